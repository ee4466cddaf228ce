#include "tests/simulators/cpm/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace sim::cpm {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view jwt_header = R"({"alg":"HS256","typ":"JWT"})";

int decode_char(char c) {
    auto at = alphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::string_view type_name(token_type t) { return t == token_type::access ? "access" : "refresh"; }

std::int64_t epoch_seconds(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 63]);
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = decode_char(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

std::string token_issuer::sign(std::string_view signing_input) const {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac.data(), &length);
    return base64url_encode({reinterpret_cast<const char*>(mac.data()), length});
}

std::string token_issuer::issue(token_type type, std::chrono::seconds ttl, std::int64_t user_id,
                                std::uint64_t generation) {
    auto now = epoch_seconds(clock_.now());
    boost::json::object payload{
        {"token_type", type_name(type)},
        {"exp", now + ttl.count()},
        {"iat", now},
        {"jti", std::to_string(next_jti_.fetch_add(1)) + "-" + std::to_string(generation)},
        {"user_id", user_id},
        {"gen", generation},
    };
    std::string input = base64url_encode(jwt_header) + "." + base64url_encode(boost::json::serialize(payload));
    std::string signature = sign(input);
    return input + "." + signature;
}

std::optional<token_claims> token_issuer::verify(std::string_view token) const {
    auto first = token.find('.');
    auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    std::string expected = sign(token.substr(0, second));
    std::string_view given = token.substr(second + 1);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
        return std::nullopt;
    auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload) return std::nullopt;
    boost::system::error_code ec;
    auto value = boost::json::parse(*payload, ec);
    if (ec || !value.is_object()) return std::nullopt;
    const auto& claims = value.as_object();
    // The signature is ours, so the claims are ours too: their shape is known.
    token_claims out;
    out.type = claims.at("token_type").as_string() == "access" ? token_type::access : token_type::refresh;
    out.exp = claims.at("exp").as_int64();
    out.user_id = claims.at("user_id").as_int64();
    out.generation = claims.at("gen").to_number<std::uint64_t>();
    return out;
}

}  // namespace sim::cpm
