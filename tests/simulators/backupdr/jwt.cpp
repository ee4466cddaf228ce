#include "tests/simulators/backupdr/jwt.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace sim::backupdr {

namespace {

namespace json = boost::json;
namespace base64 = boost::beast::detail::base64;

using file_ptr = std::unique_ptr<std::FILE, decltype(&std::fclose)>;

struct x509_free {
    void operator()(X509* x) const { X509_free(x); }
};

struct md_ctx_free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const std::string timeframe_message =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim.";

grant_error invalid_grant(std::string description) { return {"invalid_grant", std::move(description)}; }

std::optional<json::object> decode_json_segment(std::string_view segment) {
    auto bytes = base64url_decode(segment);
    if (!bytes)
        return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(*bytes, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return std::move(v.as_object());
}

// NumericDate (RFC 7519 section 2): seconds since the epoch, maybe fractional.
std::optional<std::int64_t> numeric_date(const json::object& claims, std::string_view name) {
    const json::value* v = claims.if_contains(name);
    if (v == nullptr)
        return std::nullopt;
    if (v->is_int64())
        return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double() && std::isfinite(v->as_double()))
        return static_cast<std::int64_t>(std::floor(v->as_double()));
    return std::nullopt;
}

std::string string_claim(const json::object& claims, std::string_view name) {
    const json::value* v = claims.if_contains(name);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<grant_error> check_header(const json::object& header) {
    if (string_claim(header, "alg") != "RS256")
        return invalid_grant("Invalid JWT: the alg header must be RS256");
    const json::value* typ = header.if_contains("typ");
    if (typ != nullptr && !(typ->is_string() && typ->as_string() == "JWT"))
        return invalid_grant("Invalid JWT: the typ header must be JWT");
    return std::nullopt;
}

std::optional<grant_error> check_timeframe(const json::object& claims, const assertion_rules& rules,
                                           std::chrono::system_clock::time_point now) {
    auto iat = numeric_date(claims, "iat");
    auto exp = numeric_date(claims, "exp");
    if (!iat || !exp)
        return invalid_grant(timeframe_message);
    const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const bool short_lived = *exp > *iat && *exp - *iat <= rules.max_lifetime.count();
    const bool current = *exp > t && *iat <= t + rules.max_future_iat.count();
    if (!short_lived || !current)
        return invalid_grant(timeframe_message);
    return std::nullopt;
}

std::variant<assertion_identity, grant_error> check_claims(const json::object& claims,
                                                           const assertion_rules& rules,
                                                           std::chrono::system_clock::time_point now) {
    const std::string iss = string_claim(claims, "iss");
    if (iss.empty())
        return invalid_grant("Invalid JWT: iss is missing");
    if (rules.issuer && iss != *rules.issuer)
        return invalid_grant("Invalid grant: account not found");
    const std::string aud = string_claim(claims, "aud");
    if (std::find(rules.audiences.begin(), rules.audiences.end(), aud) == rules.audiences.end())
        return invalid_grant("Invalid JWT: Failed audience check. The right audience is " +
                             (rules.audiences.empty() ? std::string() : rules.audiences.front()));
    if (auto e = check_timeframe(claims, rules, now))
        return *e;
    const std::string scope = string_claim(claims, "scope");
    if (scope.empty())
        return grant_error{"invalid_scope", "Invalid OAuth scope or ID token audience provided."};
    const std::string sub = string_claim(claims, "sub");
    return assertion_identity{sub.empty() ? iss : sub, scope};
}

}  // namespace

pkey_ptr load_public_key(const std::string& pem_file) {
    file_ptr f(std::fopen(pem_file.c_str(), "rb"), &std::fclose);
    if (!f)
        throw std::runtime_error("backupdr: cannot open sa_public_key_file " + pem_file);
    pkey_ptr key(PEM_read_PUBKEY(f.get(), nullptr, nullptr, nullptr));
    if (key)
        return key;
    std::rewind(f.get());
    std::unique_ptr<X509, x509_free> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (cert)
        key.reset(X509_get_pubkey(cert.get()));
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
        throw std::runtime_error("backupdr: sa_public_key_file holds no RSA public key: " + pem_file);
    return key;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1)
        return std::nullopt;
    // Beast's decoder speaks the standard alphabet: translate, and refuse the
    // characters that only the standard alphabet (or padding) has.
    std::string standard(text);
    for (char& c : standard) {
        if (c == '+' || c == '/' || c == '=')
            return std::nullopt;
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
    }
    // decoded_size() assumes padded input and would be short for the tail.
    std::string out(standard.size() / 4 * 3 + 3, '\0');
    auto [written, read] = base64::decode(out.data(), standard.data(), standard.size());
    if (read != standard.size())
        return std::nullopt;
    out.resize(written);
    return out;
}

bool verify_rs256(EVP_PKEY& key, std::string_view signing_input, std::string_view signature) {
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, &key) != 1)
        return false;
    // OpenSSL's C API takes unsigned char; the bytes are the same.
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
    return EVP_DigestVerify(ctx.get(), sig, signature.size(), data, signing_input.size()) == 1;
}

std::variant<assertion_identity, grant_error> check_assertion(std::string_view jwt, EVP_PKEY& key,
                                                              const assertion_rules& rules,
                                                              std::chrono::system_clock::time_point now) {
    const auto dot1 = jwt.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos)
        return invalid_grant("Invalid JWT: not three base64url segments");
    auto header = decode_json_segment(jwt.substr(0, dot1));
    auto claims = decode_json_segment(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = base64url_decode(jwt.substr(dot2 + 1));
    if (!header || !claims || !signature)
        return invalid_grant("Invalid JWT: a segment is not base64url-encoded JSON");
    if (auto e = check_header(*header))
        return *e;
    if (!verify_rs256(key, jwt.substr(0, dot2), *signature))
        return invalid_grant("Invalid JWT Signature.");
    return check_claims(*claims, rules, now);
}

}  // namespace sim::backupdr
