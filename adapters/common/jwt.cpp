#include "adapters/common/jwt.hpp"

#include "adapters/common/encoding.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace bg::jwt {

namespace {

// ---- OpenSSL handles --------------------------------------------------------

struct openssl_free {
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(X509* p) const { X509_free(p); }
};
using bio_ptr = std::unique_ptr<BIO, openssl_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free>;
using x509_ptr = std::unique_ptr<X509, openssl_free>;

bio_ptr memory_bio(std::string_view text)
{
    return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Called by OpenSSL for an encrypted key: refusing beats a prompt on the terminal.
int no_passphrase(char*, int, int, void*)
{
    return -1;
}

// A failed OpenSSL call leaves its reasons on this thread's error queue: drop
// them so they are not blamed on some later, unrelated call.
template <class T> T cleared(T value)
{
    ERR_clear_error();
    return value;
}

pkey_ptr rsa_only(pkey_ptr key)
{
    if (key && EVP_PKEY_is_a(key.get(), "RSA") != 1)
        key.reset();
    return key;
}

pkey_ptr load_private_key(std::string_view pem)
{
    auto bio = memory_bio(pem);
    if (!bio)
        return nullptr;
    return cleared(rsa_only(pkey_ptr(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr))));
}

pkey_ptr load_public_key(std::string_view pem)
{
    auto bio = memory_bio(pem);
    if (!bio)
        return nullptr;
    pkey_ptr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key) {
        auto cert_bio = memory_bio(pem);
        x509_ptr cert(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
        if (cert)
            key.reset(X509_get_pubkey(cert.get()));
    }
    return cleared(rsa_only(std::move(key)));
}

std::optional<std::string> rs256_signature(EVP_PKEY* key, std::string_view signing_input)
{
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
    std::size_t size = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, data, signing_input.size()) != 1)
        return cleared(std::nullopt);
    std::string sig(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size, data, signing_input.size()) != 1)
        return cleared(std::nullopt);
    sig.resize(size);
    return sig;
}

bool rs256_verify(EVP_PKEY* key, std::string_view signing_input, std::string_view sig)
{
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    return cleared(ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                   EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                    reinterpret_cast<const unsigned char*>(signing_input.data()),
                                    signing_input.size()) == 1);
}

// ---- Compact serialization --------------------------------------------------

struct compact_parts {
    std::string_view header;
    std::string_view claims;
    std::string_view signature;
    std::string_view signing_input;  // header "." claims
};

std::optional<compact_parts> split_compact(std::string_view jwt)
{
    const auto first = jwt.find('.');
    if (first == std::string_view::npos)
        return std::nullopt;
    const auto second = jwt.find('.', first + 1);
    if (second == std::string_view::npos || jwt.find('.', second + 1) != std::string_view::npos)
        return std::nullopt;
    return compact_parts{jwt.substr(0, first), jwt.substr(first + 1, second - first - 1), jwt.substr(second + 1),
                         jwt.substr(0, second)};
}

std::optional<boost::json::object> decode_json_object(std::string_view base64url)
{
    auto text = encoding::base64url_decode(base64url);
    if (!text)
        return std::nullopt;
    boost::system::error_code ec;
    auto value = boost::json::parse(*text, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    return std::move(value.as_object());
}

std::optional<std::string> string_field(const boost::json::object& o, std::string_view name)
{
    const auto* v = o.if_contains(name);
    if (!v || !v->is_string())
        return std::nullopt;
    return std::string(v->as_string());
}

// A NumericDate as a time, clamped to what a time_point can hold.
std::optional<time_point> numeric_date(const boost::json::value& v)
{
    double seconds = 0;
    if (v.is_int64())
        seconds = static_cast<double>(v.as_int64());
    else if (v.is_uint64())
        seconds = static_cast<double>(v.as_uint64());
    else if (v.is_double())
        seconds = v.as_double();
    else
        return std::nullopt;
    // A time_point holds about +-292 years of nanoseconds.
    const double limit = std::chrono::duration<double>(time_point::max().time_since_epoch()).count() - 1;
    if (seconds >= limit)
        return time_point::max();
    if (seconds <= -limit)
        return time_point::min();
    const auto whole = std::chrono::floor<std::chrono::seconds>(std::chrono::duration<double>(seconds));
    return time_point(std::chrono::duration_cast<time_point::duration>(whole));
}

}  // namespace

// ---- Errors ------------------------------------------------------------------

namespace {

class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "bg.jwt"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::invalid_private_key: return "the private key is not an unencrypted RSA key in PEM";
        case error::signing_failed: return "RS256 signing failed with this key";
        }
        return "unknown jwt error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept
{
    static const error_category_impl category;
    return category;
}

std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

// ---- Base64url -----------------------------------------------------------------

std::string base64url_encode(std::string_view bytes)
{
    return encoding::base64url_encode(bytes);
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    return encoding::base64url_decode(text);
}

// ---- Reading -------------------------------------------------------------------

std::optional<boost::json::object> decode_claims(std::string_view jwt)
{
    auto parts = split_compact(jwt);
    if (!parts)
        return std::nullopt;
    return decode_json_object(parts->claims);
}

std::optional<time_point> expiry(std::string_view jwt)
{
    auto claims = decode_claims(jwt);
    if (!claims)
        return std::nullopt;
    const auto* exp = claims->if_contains("exp");
    if (!exp)
        return std::nullopt;
    return numeric_date(*exp);
}

// ---- Signing and verifying -----------------------------------------------------

token_result sign_rs256_json(std::string_view header_json, std::string_view claims_json,
                             std::string_view private_key_pem)
{
    auto key = load_private_key(private_key_pem);
    if (!key)
        return error::invalid_private_key;
    std::string token = base64url_encode(header_json);
    token.append(".").append(base64url_encode(claims_json));
    auto sig = rs256_signature(key.get(), token);
    if (!sig)
        return error::signing_failed;
    token.append(".").append(base64url_encode(*sig));
    return token;
}

token_result sign_rs256(const boost::json::object& header, const boost::json::object& claims,
                        std::string_view private_key_pem)
{
    boost::json::object rs256_header = header;
    rs256_header["alg"] = "RS256";
    return sign_rs256_json(boost::json::serialize(rs256_header), boost::json::serialize(claims), private_key_pem);
}

bool verify_rs256(std::string_view jwt, std::string_view public_key_pem)
{
    auto parts = split_compact(jwt);
    if (!parts)
        return false;
    // The header names the algorithm, but only RS256 is accepted: a token must
    // not choose how it is checked ("none", or HS256 keyed with the public key).
    auto header = decode_json_object(parts->header);
    if (!header || string_field(*header, "alg") != "RS256")
        return false;
    auto sig = encoding::base64url_decode(parts->signature);
    auto key = load_public_key(public_key_pem);
    return sig && key && rs256_verify(key.get(), parts->signing_input, *sig);
}

// ---- Google service accounts ---------------------------------------------------

std::optional<service_account> parse_service_account(std::string_view json)
{
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    const auto& o = value.as_object();
    service_account sa;
    sa.type = string_field(o, "type").value_or("");
    sa.client_email = string_field(o, "client_email").value_or("");
    sa.private_key = string_field(o, "private_key").value_or("");
    sa.private_key_id = string_field(o, "private_key_id").value_or("");
    sa.token_uri = string_field(o, "token_uri").value_or("");
    if (sa.type != "service_account" || sa.client_email.empty() || sa.private_key.empty())
        return std::nullopt;
    return sa;
}

token_result google_service_account_assertion(const service_account& sa, std::string_view scope,
                                              std::string_view audience, time_point now, std::chrono::seconds lifetime)
{
    const auto iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
    boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
    if (!sa.private_key_id.empty())
        header["kid"] = sa.private_key_id;
    boost::json::object claims{{"iss", sa.client_email},
                               {"scope", scope},
                               {"aud", audience},
                               {"iat", iat.count()},
                               {"exp", (iat + lifetime).count()}};
    return sign_rs256(header, claims, sa.private_key);
}

}  // namespace bg::jwt
