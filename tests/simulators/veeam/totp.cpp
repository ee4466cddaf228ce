#include "tests/simulators/veeam/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace sim::veeam {

namespace {

constexpr std::string_view base32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::optional<unsigned> base32_value(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const auto at = base32_alphabet.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    return static_cast<unsigned>(at);
}

std::string_view strip_padding(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    return text;
}

std::uint32_t power_of_ten(int digits) {
    std::uint32_t value = 1;
    for (int i = 0; i < digits; ++i) value *= 10;
    return value;
}

// RFC 4226 §5.3: four bytes at the offset named by the low nibble of the last byte.
std::uint32_t dynamic_truncation(const unsigned char* mac, unsigned mac_len) {
    const unsigned offset = mac[mac_len - 1] & 0x0fU;
    return (static_cast<std::uint32_t>(mac[offset] & 0x7fU) << 24) |
           (static_cast<std::uint32_t>(mac[offset + 1]) << 16) | (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
           static_cast<std::uint32_t>(mac[offset + 3]);
}

}  // namespace

std::optional<bytes> base32_decode(std::string_view text) {
    text = strip_padding(text);
    bytes out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const auto value = base32_value(c);
        if (!value) return std::nullopt;
        buffer = (buffer << 5) | *value;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xffU));
        }
    }
    // Leftover bits pad the last character: fewer than five, and zero.
    if (bits >= 5 || (buffer & ((1U << bits) - 1U)) != 0) return std::nullopt;
    return out;
}

std::string base32_encode(std::span<const unsigned char> data) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char byte : data) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(base32_alphabet[(buffer >> bits) & 0x1fU]);
        }
    }
    if (bits > 0) out.push_back(base32_alphabet[(buffer << (5 - bits)) & 0x1fU]);
    return out;
}

std::string hotp(std::span<const unsigned char> key, std::uint64_t counter, int digits) {
    std::array<unsigned char, 8> message{};
    for (auto it = message.rbegin(); it != message.rend(); ++it, counter >>= 8)
        *it = static_cast<unsigned char>(counter & 0xffU);
    // HMAC() wants a non-null key pointer even for an empty key.
    static const unsigned char no_key = 0;
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned mac_len = 0;
    if (!HMAC(EVP_sha1(), key.empty() ? &no_key : key.data(), static_cast<int>(key.size()), message.data(),
              message.size(), mac.data(), &mac_len))
        return {};
    const std::string code = std::to_string(dynamic_truncation(mac.data(), mac_len) % power_of_ten(digits));
    return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::string totp(std::span<const unsigned char> key, std::int64_t unix_seconds, totp_params p) {
    return hotp(key, static_cast<std::uint64_t>(unix_seconds / p.step), p.digits);
}

bool totp_matches(std::span<const unsigned char> key, std::string_view code, std::int64_t unix_seconds, int window,
                  totp_params p) {
    if (code.size() != static_cast<std::size_t>(p.digits)) return false;
    for (int drift = -window; drift <= window; ++drift) {
        const std::string expected = totp(key, unix_seconds + std::int64_t{drift} * p.step, p);
        if (expected.size() == code.size() && CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0)
            return true;
    }
    return false;
}

}  // namespace sim::veeam
