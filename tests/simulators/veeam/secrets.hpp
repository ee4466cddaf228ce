// Random credentials for the Veeam simulator (OpenSSL's CSPRNG, thread-safe).
#pragma once

#include "tests/simulators/veeam/totp.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace sim::veeam {

bytes random_bytes(std::size_t n);
std::string base64(std::span<const unsigned char> data);     // RFC 4648 §4, padded
std::string base64url(std::span<const unsigned char> data);  // RFC 4648 §5, unpadded
std::string hex_upper(std::span<const unsigned char> data);

// Shaped like the documents' mfa_token and MFA "token": base64 of 64 upper-case
// hex digits, e.g. "NkZFMzc4RjA4NzJC...Rg==". Such text never holds '+' or '/'.
std::string hex_base64_token();

}  // namespace sim::veeam
