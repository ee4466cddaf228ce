// The routing of a request target (gateway/route.*): a route or a 400.
#include "gateway/route.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view target(reinterpret_cast<const char*>(data), size);
    auto routed = bg::parse_route(target);
    if (auto* r = std::get_if<bg::route>(&routed))
        (void)bg::upstream_path("/api", *r);
    return 0;
}
