// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), and the base32
// (RFC 4648) that authenticator apps show secrets in. Pure functions of the
// secret and a counter or a time.
#pragma once

#include "adapters/common/crypto.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bg::totp {

using time_point = std::chrono::system_clock::time_point;

// The HMAC's hash (RFC 6238 allows SHA-1, SHA-256, SHA-512; apps mostly use SHA-1).
using algorithm = crypto::digest_algorithm;

// RFC 4226: HMAC of the 8-byte big-endian counter, dynamic truncation, the
// low `digits` decimal digits, zero-padded. `digits` is clamped to [1, 10]
// (RFC 4226 wants 6 to 8; the truncated value has at most 10 digits).
std::string hotp(std::span<const std::uint8_t> secret, std::uint64_t counter, int digits = 6,
                 algorithm alg = algorithm::sha1);

// RFC 6238: hotp() of the number of whole `step`s since the Unix epoch
// (T0 = 0). A time before the epoch counts as step 0.
std::string code(std::span<const std::uint8_t> secret, time_point t, int digits = 6,
                 std::chrono::seconds step = std::chrono::seconds{30}, algorithm alg = algorithm::sha1);
// The same for a time in whole seconds, which reaches past 2262, where a
// nanosecond system_clock::time_point ends (RFC 6238's last row is in 2603).
std::string code(std::span<const std::uint8_t> secret, std::chrono::sys_seconds t, int digits = 6,
                 std::chrono::seconds step = std::chrono::seconds{30}, algorithm alg = algorithm::sha1);

// RFC 4648 section 6 base32, case-insensitive; spaces and '=' padding are
// ignored wherever they are (apps show "JBSW Y3DP ..."). nullopt on any other
// character outside the alphabet or on a length no encoding produces.
std::optional<std::vector<std::uint8_t>> decode_base32(std::string_view text);

}  // namespace bg::totp
