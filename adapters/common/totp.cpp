#include "adapters/common/totp.hpp"

#include <algorithm>
#include <array>

namespace bg::totp {

namespace {

std::array<std::uint8_t, 8> big_endian(std::uint64_t n)
{
    std::array<std::uint8_t, 8> out{};
    for (auto it = out.rbegin(); it != out.rend(); ++it, n >>= 8)
        *it = static_cast<std::uint8_t>(n & 0xff);
    return out;
}

// RFC 4226 section 5.3: 31 bits read at the offset the last nibble names.
std::uint32_t dynamic_truncation(const std::vector<std::uint8_t>& mac)
{
    const std::size_t offset = mac.back() & 0x0f;
    return (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
           (static_cast<std::uint32_t>(mac[offset + 1]) << 16) | (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
           static_cast<std::uint32_t>(mac[offset + 3]);
}

// The value of a base32 character, or -1.
int base32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

}  // namespace

std::string hotp(std::span<const std::uint8_t> secret, std::uint64_t counter, int digits, algorithm alg)
{
    digits = std::clamp(digits, 1, 10);
    const auto message = big_endian(counter);
    const std::uint32_t truncated = dynamic_truncation(crypto::hmac(alg, secret, message));
    std::uint64_t modulus = 1;
    for (int i = 0; i < digits; ++i)
        modulus *= 10;
    std::string out = std::to_string(truncated % modulus);
    out.insert(0, static_cast<std::size_t>(digits) - out.size(), '0');
    return out;
}

std::string code(std::span<const std::uint8_t> secret, time_point t, int digits, std::chrono::seconds step,
                 algorithm alg)
{
    return code(secret, std::chrono::floor<std::chrono::seconds>(t), digits, step, alg);
}

std::string code(std::span<const std::uint8_t> secret, std::chrono::sys_seconds t, int digits,
                 std::chrono::seconds step, algorithm alg)
{
    const auto steps = step.count() > 0 ? t.time_since_epoch() / step : 0;
    return hotp(secret, steps > 0 ? static_cast<std::uint64_t>(steps) : 0, digits, alg);
}

std::optional<std::vector<std::uint8_t>> decode_base32(std::string_view text)
{
    std::vector<std::uint8_t> out;
    std::uint32_t bits = 0;  // the not yet emitted bits, in the low `bit_count`
    int bit_count = 0;
    std::size_t chars = 0;
    for (char c : text) {
        if (c == ' ' || c == '=')
            continue;
        const int value = base32_value(c);
        if (value < 0)
            return std::nullopt;
        ++chars;
        bits = (bits << 5) | static_cast<std::uint32_t>(value);
        bit_count += 5;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<std::uint8_t>((bits >> bit_count) & 0xff));
            bits &= (1u << bit_count) - 1;
        }
    }
    // A final quantum of 1, 3 or 6 characters is not the encoding of whole bytes.
    const std::size_t tail = chars % 8;
    if (tail == 1 || tail == 3 || tail == 6)
        return std::nullopt;
    return out;
}

}  // namespace bg::totp
