// The JWT reader and the service-account key reader (adapters/common/jwt.*):
// a token's claims and expiry, a key file's fields, or nothing.
#include "adapters/common/jwt.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace jwt = bg::jwt;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)jwt::base64url_decode(input);
    (void)jwt::decode_claims(input);
    (void)jwt::expiry(input);
    (void)jwt::parse_service_account(input);
    return 0;
}
