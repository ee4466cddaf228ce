#include "adapters/common/encoding.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace bg::encoding {

namespace base64 = boost::beast::detail::base64;

namespace {
constexpr std::string_view base64url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}  // namespace

std::string hex(std::span<const std::uint8_t> bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    char* p = out.data();
    for (std::uint8_t b : bytes) {
        *p++ = digits[b >> 4];
        *p++ = digits[b & 0x0f];
    }
    return out;
}

std::string percent_encode(std::string_view bytes)
{
    // Boost.URL's default options: uppercase hex digits, a space as %20.
    return boost::urls::encode(bytes, boost::urls::unreserved_chars);
}

std::optional<std::string> percent_decode(std::string_view encoded)
{
    auto checked = boost::urls::make_pct_string_view(encoded);
    if (!checked)
        return std::nullopt;
    return checked->decode();
}

std::string encode_query(std::span<const std::pair<std::string_view, std::string_view>> params)
{
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty())
            out.push_back('&');
        out += percent_encode(name);
        out.push_back('=');
        out += percent_encode(value);
    }
    return out;
}

std::string base64url_encode(std::string_view bytes)
{
    std::string out(base64::encoded_size(bytes.size()), '\0');
    out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    // One leftover character would carry only 6 of a byte's 8 bits.
    if (text.size() % 4 == 1)
        return std::nullopt;
    // Beast decodes the standard alphabet: map ours onto it first, after
    // refusing the standard alphabet's own '+' and '/' (and '=' padding).
    if (text.find_first_of("+/=") != std::string_view::npos)
        return std::nullopt;
    std::string standard(text);
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
    // Beast's decoded_size() assumes padded input: 2 or 3 leftover characters need a byte more.
    std::string out((standard.size() + 3) / 4 * 3, '\0');
    auto [written, read] = base64::decode(out.data(), standard.data(), standard.size());
    if (read != standard.size())  // stopped early: a character outside the alphabet
        return std::nullopt;
    out.resize(written);
    // The unused low bits of a last partial group must be zero: otherwise several
    // texts would decode to the same bytes (RFC 4648 section 3.5), and a signature
    // could be altered without failing verification.
    const std::size_t unused_bits = text.size() % 4 == 2 ? 4 : text.size() % 4 == 3 ? 2 : 0;
    if (unused_bits != 0 && (base64url_alphabet.find(text.back()) & ((1u << unused_bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

}  // namespace bg::encoding
