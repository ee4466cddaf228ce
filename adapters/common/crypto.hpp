// Digests and MACs over bytes, through OpenSSL. Pure functions: no state, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bg::crypto {

enum class digest_algorithm { sha1, sha256, sha512 };

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::string_view data);

// HMAC (RFC 2104) of `data` under `key`; the result is the digest's size.
std::vector<std::uint8_t> hmac(digest_algorithm alg, std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> data);
sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);

// The bytes of a string, for the functions above.
inline std::span<const std::uint8_t> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace bg::crypto
