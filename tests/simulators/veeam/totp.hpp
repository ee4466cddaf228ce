// RFC 4648 base32, RFC 4226 HOTP and RFC 6238 TOTP (HMAC-SHA1), as pure
// functions over bytes and a time: the Veeam simulator's MFA grant checks codes
// with them (overview, "Multi-Factor Authentication").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sim::veeam {

using bytes = std::vector<unsigned char>;

// Base32 as authenticator apps take it: upper or lower case, '=' padding
// optional. nullopt for any other character or non-zero trailing bits.
std::optional<bytes> base32_decode(std::string_view text);
// Upper case, without padding (the form Veeam shows as "secretKey").
std::string base32_encode(std::span<const unsigned char> data);

// RFC 4226 HOTP over HMAC-SHA1: `digits` (1..9) decimal digits, zero-padded.
std::string hotp(std::span<const unsigned char> key, std::uint64_t counter, int digits);

struct totp_params {
    int digits = 6;  // what Google Authenticator shows
    int step = 30;   // seconds (RFC 6238 §4: X = 30)
};

// RFC 6238 TOTP at `unix_seconds`: HOTP with T = floor(unix_seconds / step).
std::string totp(std::span<const unsigned char> key, std::int64_t unix_seconds, totp_params p = {});

// True when `code` is the TOTP of the step holding `unix_seconds` or of one of
// the `window` steps either side (RFC 6238 §5.2 allows for clock drift).
bool totp_matches(std::span<const unsigned char> key, std::string_view code, std::int64_t unix_seconds, int window = 1,
                  totp_params p = {});

}  // namespace sim::veeam
