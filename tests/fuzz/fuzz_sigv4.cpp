// SigV4's canonicalization (adapters/common/sigv4.*) over what a client can
// put in a target and in header values: a path, a query, a value.
#include "adapters/common/sigv4.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace sigv4 = bg::sigv4;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parts = sigv4::split_target(input);
    (void)sigv4::normalize_path(parts.path);
    (void)sigv4::canonical_uri(parts.path, true);
    (void)sigv4::canonical_uri(parts.path, false);
    (void)sigv4::canonical_query(parts.query);
    (void)sigv4::canonical_header_value(input);
    return 0;
}
