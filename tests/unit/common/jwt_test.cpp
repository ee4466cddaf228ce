// bg::jwt against RFC 7515 Appendix A.2 (RS256, deterministic), RFC 4648 and
// RFC 7515 Appendix C (base64url), RFC 7519 section 3.1 (claims), with
// OpenSSL's own EVP_DigestVerify as an independent check of what we sign.
#define BOOST_TEST_MODULE jwt
#include <boost/test/unit_test.hpp>

#include "adapters/common/jwt.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace bg::jwt;
using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::March;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;

// Boost.Test prints both sides of a failed ==; these types have no operator<<.
using optional_string = std::optional<std::string>;
using optional_object = std::optional<boost::json::object>;
using optional_time = std::optional<time_point>;
BOOST_TEST_DONT_PRINT_LOG_VALUE(optional_string)
BOOST_TEST_DONT_PRINT_LOG_VALUE(optional_object)
BOOST_TEST_DONT_PRINT_LOG_VALUE(optional_time)
BOOST_TEST_DONT_PRINT_LOG_VALUE(time_point)

namespace {

// ---- OpenSSL helpers for the test's own keys ----------------------------------

struct openssl_free {
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
    void operator()(X509* p) const { X509_free(p); }
};
template <class T> using owned = std::unique_ptr<T, openssl_free>;

std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string private_pem(EVP_PKEY* key)
{
    owned<BIO> bio(BIO_new(BIO_s_mem()));
    BOOST_TEST_REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return bio_text(bio.get());
}

std::string public_pem(EVP_PKEY* key)
{
    owned<BIO> bio(BIO_new(BIO_s_mem()));
    BOOST_TEST_REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key) == 1);
    return bio_text(bio.get());
}

// A self-signed certificate for `key`, as Google publishes its token-signing keys.
std::string certificate_pem(EVP_PKEY* key)
{
    owned<X509> cert(X509_new());
    BOOST_TEST_REQUIRE(cert != nullptr);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("jwt test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    BOOST_TEST_REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
    BOOST_TEST_REQUIRE(X509_sign(cert.get(), key, EVP_sha256()) > 0);
    owned<BIO> bio(BIO_new(BIO_s_mem()));
    BOOST_TEST_REQUIRE(PEM_write_bio_X509(bio.get(), cert.get()) == 1);
    return bio_text(bio.get());
}

owned<EVP_PKEY> fresh_rsa_2048()
{
    owned<EVP_PKEY> key(EVP_RSA_gen(2048));
    BOOST_TEST_REQUIRE(key != nullptr);
    return key;
}

// An RSA key from a JWK's base64url members (RFC 7518 section 6.3).
struct rsa_jwk {
    const char *n, *e, *d, *p, *q, *dp, *dq, *qi;
};

owned<BIGNUM> bignum(const char* base64url)
{
    auto bytes = base64url_decode(base64url);
    BOOST_TEST_REQUIRE(bytes.has_value());
    return owned<BIGNUM>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size()), nullptr));
}

owned<EVP_PKEY> key_from_jwk(const rsa_jwk& jwk)
{
    const std::pair<const char*, const char*> members[] = {
        {OSSL_PKEY_PARAM_RSA_N, jwk.n},          {OSSL_PKEY_PARAM_RSA_E, jwk.e},
        {OSSL_PKEY_PARAM_RSA_D, jwk.d},          {OSSL_PKEY_PARAM_RSA_FACTOR1, jwk.p},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, jwk.q},    {OSSL_PKEY_PARAM_RSA_EXPONENT1, jwk.dp},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, jwk.dq}, {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, jwk.qi}};
    owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
    std::vector<owned<BIGNUM>> numbers;  // must outlive OSSL_PARAM_BLD_to_param
    for (const auto& [name, value] : members) {
        numbers.push_back(bignum(value));
        BOOST_TEST_REQUIRE(OSSL_PARAM_BLD_push_BN(builder.get(), name, numbers.back().get()) == 1);
    }
    owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder.get()));
    owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    BOOST_TEST_REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
    BOOST_TEST_REQUIRE(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) == 1);
    return owned<EVP_PKEY>(key);
}

// Base64url decoding by OpenSSL (EVP_DecodeBlock), not by the code under test.
std::string openssl_base64url_decode(std::string_view text)
{
    std::string standard(text);
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
    const std::size_t padding = (4 - standard.size() % 4) % 4;
    standard.append(padding, '=');
    std::string out(standard.size() / 4 * 3, '\0');
    const int n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
    BOOST_TEST_REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n) - padding);  // EVP_DecodeBlock counts padding as zero bytes
    return out;
}

bool openssl_verifies(std::string_view jwt, EVP_PKEY* key)
{
    const auto last_dot = jwt.rfind('.');
    const auto signing_input = jwt.substr(0, last_dot);
    const auto sig = openssl_base64url_decode(jwt.substr(last_dot + 1));
    owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

std::vector<std::string_view> parts(std::string_view jwt)
{
    std::vector<std::string_view> out;
    for (;;) {
        auto dot = jwt.find('.');
        out.push_back(jwt.substr(0, dot));
        if (dot == std::string_view::npos)
            return out;
        jwt.remove_prefix(dot + 1);
    }
}

boost::json::object json_part(std::string_view base64url)
{
    return boost::json::parse(openssl_base64url_decode(base64url)).as_object();
}

// ---- RFC 7515 Appendix A.2 ------------------------------------------------------

// RFC 7515 Appendix A.2.1's JWK.
const rsa_jwk rfc7515_a2_key{
    // n
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yR"
    "T-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXB"
    "dQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9ia"
    "GNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    // e
    "AQAB",
    // d
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46su"
    "i395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4"
    "qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB"
    "4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
    // p
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8"
    "cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
    // q
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t"
    "62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
    // dp
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCj"
    "n12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
    // dq
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnw"
    "gjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
    // qi
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93"
    "IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"};

constexpr std::string_view rfc7515_a2_header = R"({"alg":"RS256"})";
constexpr std::string_view rfc7515_a2_payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
constexpr std::string_view rfc7515_a2_signing_input =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::string_view rfc7515_a2_signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9"
    "uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB"
    "_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rq"
    "Vt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

std::string rfc7515_a2_compact()
{
    return std::string(rfc7515_a2_signing_input) + "." + std::string(rfc7515_a2_signature);
}

// RFC 7519 section 3.1 (also RFC 7515 A.1): an HS256 token, for reading claims.
constexpr std::string_view rfc7519_token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

std::string unsigned_token(const boost::json::object& header, const boost::json::object& claims)
{
    return base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims)) +
           ".c2ln";
}

}  // namespace

// ---- base64url ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(base64url_rfc4648_vectors_without_padding)
{
    BOOST_TEST(base64url_encode("") == "");
    BOOST_TEST(base64url_encode("f") == "Zg");
    BOOST_TEST(base64url_encode("fo") == "Zm8");
    BOOST_TEST(base64url_encode("foo") == "Zm9v");
    BOOST_TEST(base64url_encode("foob") == "Zm9vYg");
    BOOST_TEST(base64url_encode("fooba") == "Zm9vYmE");
    BOOST_TEST(base64url_encode("foobar") == "Zm9vYmFy");
    for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
        BOOST_TEST(base64url_decode(base64url_encode(s)) == std::string(s));
}

BOOST_AUTO_TEST_CASE(base64url_rfc7515_appendix_c)
{
    const std::string octets{'\x03', '\xEC', '\xFF', '\xE0', '\xC1'};  // [3, 236, 255, 224, 193]
    BOOST_TEST(base64url_encode(octets) == "A-z_4ME");
    BOOST_TEST(base64url_decode("A-z_4ME") == octets);
}

BOOST_AUTO_TEST_CASE(base64url_decode_is_strict)
{
    BOOST_TEST(!base64url_decode("Zg=="));     // padding
    BOOST_TEST(!base64url_decode("A+z/4ME"));  // the standard alphabet's characters
    BOOST_TEST(!base64url_decode("Zm9v!"));
    BOOST_TEST(!base64url_decode("Zm9vY"));  // 4n+1 characters decode to no whole byte
    BOOST_TEST(!base64url_decode("Zm 9v"));
    // Non-zero unused bits: "Zh" and "Zm9" would decode to the same bytes as "Zg" and "Zm8".
    BOOST_TEST(!base64url_decode("Zh"));
    BOOST_TEST(!base64url_decode("Zm9"));
}

// ---- RFC 7515 A.2 -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rfc7515_appendix_a2_signature_is_reproduced)
{
    const auto key = key_from_jwk(rfc7515_a2_key);
    const auto token = sign_rs256_json(rfc7515_a2_header, rfc7515_a2_payload, private_pem(key.get()));
    BOOST_TEST_REQUIRE(token.has_value(), token.error().message());
    // RSASSA-PKCS1-v1_5 is deterministic: the signing input and the signature are the RFC's.
    BOOST_TEST(token->substr(0, rfc7515_a2_signing_input.size()) == rfc7515_a2_signing_input);
    BOOST_TEST(*token == rfc7515_a2_compact());
}

BOOST_AUTO_TEST_CASE(rfc7515_appendix_a2_verifies)
{
    const auto key = key_from_jwk(rfc7515_a2_key);
    BOOST_TEST(verify_rs256(rfc7515_a2_compact(), public_pem(key.get())));
    BOOST_TEST(openssl_verifies(rfc7515_a2_compact(), key.get()));
    const auto claims = decode_claims(rfc7515_a2_compact());
    BOOST_TEST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->at("iss").as_string() == "joe");
    BOOST_TEST(expiry(rfc7515_a2_compact()) == time_point{seconds{1300819380}});
}

// ---- Sign and verify ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(round_trip_with_a_fresh_rsa_2048_key)
{
    const auto key = fresh_rsa_2048();
    const boost::json::object claims{{"sub", "gateway"}, {"exp", 1700000000}};
    const auto token = sign_rs256({{"typ", "JWT"}, {"alg", "HS256"}}, claims, private_pem(key.get()));
    BOOST_TEST_REQUIRE(token.has_value());
    BOOST_TEST(verify_rs256(*token, public_pem(key.get())));
    BOOST_TEST(openssl_verifies(*token, key.get()));
    // The header says what signed it, whatever the caller put there.
    BOOST_TEST(json_part(parts(*token)[0]).at("alg").as_string() == "RS256");
    BOOST_TEST(json_part(parts(*token)[0]).at("typ").as_string() == "JWT");
    BOOST_TEST(decode_claims(*token) == claims);
    // The public key may also come inside a certificate.
    BOOST_TEST(verify_rs256(*token, certificate_pem(key.get())));
    BOOST_TEST(!verify_rs256(*token, certificate_pem(fresh_rsa_2048().get())));
}

BOOST_AUTO_TEST_CASE(tampered_or_foreign_tokens_fail_verification)
{
    const auto key = fresh_rsa_2048();
    const auto pub = public_pem(key.get());
    const auto token = sign_rs256({}, {{"sub", "a"}}, private_pem(key.get())).value();
    const auto p = parts(token);

    // Another payload under the same signature.
    const std::string other_claims =
        std::string(p[0]) + "." + base64url_encode(R"({"sub":"b"})") + "." + std::string(p[2]);
    BOOST_TEST(!verify_rs256(other_claims, pub));
    // One signature character changed.
    std::string flipped = token;
    char& c = flipped[flipped.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    BOOST_TEST(!verify_rs256(flipped, pub));
    // The last character changed only in bits that carry no data (2048 bits of
    // signature leave 4 unused in the last of 342 characters).
    std::string padded_bits = token;
    BOOST_TEST_REQUIRE(p[2].size() == 342u);
    padded_bits.back() = static_cast<char>(padded_bits.back() + 1);
    BOOST_TEST(!verify_rs256(padded_bits, pub));
    // Another key.
    BOOST_TEST(!verify_rs256(token, public_pem(fresh_rsa_2048().get())));
    // A token may not choose a weaker algorithm: "none" with an empty signature.
    const std::string none = base64url_encode(R"({"alg":"none"})") + "." + std::string(p[1]) + ".";
    BOOST_TEST(!verify_rs256(none, pub));
    // The same signature under a header naming another algorithm.
    const std::string hs256 =
        base64url_encode(R"({"alg":"HS256"})") + "." + std::string(p[1]) + "." + std::string(p[2]);
    BOOST_TEST(!verify_rs256(hs256, pub));
    // Not a compact JWS, or not a key.
    BOOST_TEST(!verify_rs256(std::string(p[0]) + "." + std::string(p[1]), pub));
    BOOST_TEST(!verify_rs256(token + ".x", pub));
    BOOST_TEST(!verify_rs256(token, "not a key"));
    BOOST_TEST(!verify_rs256(token, private_pem(key.get())));  // a private key is not a public key PEM
}

BOOST_AUTO_TEST_CASE(bad_private_keys_are_errors_not_exceptions)
{
    const boost::json::object claims{{"sub", "a"}};
    auto garbage = sign_rs256({}, claims, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
    BOOST_TEST_REQUIRE(garbage.has_error());
    BOOST_TEST(garbage.error() == make_error_code(error::invalid_private_key));
    BOOST_TEST(sign_rs256({}, claims, "").error() == make_error_code(error::invalid_private_key));

    // An EC key cannot sign RS256.
    owned<EVP_PKEY> ec(EVP_EC_gen("P-256"));
    BOOST_TEST_REQUIRE(ec != nullptr);
    BOOST_TEST(sign_rs256({}, claims, private_pem(ec.get())).error() == make_error_code(error::invalid_private_key));

    // An encrypted key fails instead of prompting for a passphrase on the terminal.
    const auto key = fresh_rsa_2048();
    owned<BIO> bio(BIO_new(BIO_s_mem()));
    char pass[] = "secret";
    BOOST_TEST_REQUIRE(
        PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr) == 1);
    BOOST_TEST(sign_rs256({}, claims, bio_text(bio.get())).error() == make_error_code(error::invalid_private_key));
    BOOST_TEST(!make_error_code(error::invalid_private_key).message().empty());
}

// ---- Reading claims --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(claims_and_expiry_of_rfc7519_example)
{
    const auto claims = decode_claims(rfc7519_token);
    BOOST_TEST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->at("iss").as_string() == "joe");
    BOOST_TEST(claims->at("http://example.com/is_root").as_bool());
    BOOST_TEST(expiry(rfc7519_token) == time_point{seconds{1300819380}});
}

BOOST_AUTO_TEST_CASE(expiry_edge_cases)
{
    const boost::json::object header{{"alg", "RS256"}};
    BOOST_TEST(expiry(unsigned_token(header, {{"exp", 1300819380.75}})) == time_point{seconds{1300819380}});
    BOOST_TEST(!expiry(unsigned_token(header, {{"sub", "no exp"}})));
    BOOST_TEST(!expiry(unsigned_token(header, {{"exp", "1300819380"}})));
    BOOST_TEST(expiry(unsigned_token(header, {{"exp", 1e300}})) == time_point::max());
    BOOST_TEST(expiry(unsigned_token(header, {{"exp", std::uint64_t{18446744073709551615u}}})) == time_point::max());

    BOOST_TEST(!decode_claims("only.two"));
    BOOST_TEST(!decode_claims("a.b.c.d"));
    BOOST_TEST(!decode_claims(base64url_encode("{}") + "." + base64url_encode("[1,2]") + ".x"));
    BOOST_TEST(!decode_claims(base64url_encode("{}") + "." + base64url_encode("{not json") + ".x"));
    BOOST_TEST(!decode_claims(base64url_encode("{}") + ".%%%.x"));
}

// ---- Google service accounts ---------------------------------------------------------------------

namespace {

std::string service_account_json(const std::string& private_key)
{
    boost::json::object o{{"type", "service_account"},
                          {"project_id", "backup-project"},
                          {"private_key_id", "0123456789abcdef"},
                          {"private_key", private_key},
                          {"client_email", "gateway@backup-project.iam.gserviceaccount.com"},
                          {"client_id", "1234567890"},
                          {"token_uri", "https://oauth2.googleapis.com/token"}};
    return boost::json::serialize(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_service_account_key_file)
{
    const auto sa = parse_service_account(service_account_json("-----BEGIN PRIVATE KEY-----\n..."));
    BOOST_TEST_REQUIRE(sa.has_value());
    BOOST_TEST(sa->type == "service_account");
    BOOST_TEST(sa->client_email == "gateway@backup-project.iam.gserviceaccount.com");
    BOOST_TEST(sa->private_key == "-----BEGIN PRIVATE KEY-----\n...");
    BOOST_TEST(sa->private_key_id == "0123456789abcdef");
    BOOST_TEST(sa->token_uri == "https://oauth2.googleapis.com/token");

    BOOST_TEST(!parse_service_account("not json"));
    BOOST_TEST(!parse_service_account("[]"));
    BOOST_TEST(!parse_service_account(R"({"type":"authorized_user","client_email":"a","private_key":"k"})"));
    BOOST_TEST(!parse_service_account(R"({"type":"service_account","private_key":"k"})"));
    BOOST_TEST(!parse_service_account(R"({"type":"service_account","client_email":"a","private_key":""})"));
    BOOST_TEST(!parse_service_account(R"({"type":"service_account","client_email":"a","private_key":7})"));
    const auto minimal = parse_service_account(R"({"type":"service_account","client_email":"a","private_key":"k"})");
    BOOST_TEST_REQUIRE(minimal.has_value());
    BOOST_TEST(minimal->token_uri.empty());
    BOOST_TEST(minimal->private_key_id.empty());
}

BOOST_AUTO_TEST_CASE(google_assertion_verified_by_openssl)
{
    const auto key = fresh_rsa_2048();
    const auto sa = parse_service_account(service_account_json(private_pem(key.get()))).value();
    const time_point now = sys_days{2024y / March / 1} + 10h + 0min + 30s + 250ms;
    const auto jwt =
        google_service_account_assertion(sa, "https://www.googleapis.com/auth/cloud-platform", sa.token_uri, now);
    BOOST_TEST_REQUIRE(jwt.has_value());
    BOOST_TEST(openssl_verifies(*jwt, key.get()));
    BOOST_TEST(verify_rs256(*jwt, public_pem(key.get())));

    const auto p = parts(*jwt);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    const auto header = json_part(p[0]);
    BOOST_TEST(header == (boost::json::object{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "0123456789abcdef"}}));
    const auto claims = json_part(p[1]);
    const std::int64_t iat =
        duration_cast<seconds>((sys_days{2024y / March / 1} + 10h + 30s).time_since_epoch()).count();
    BOOST_TEST(claims.at("iss").as_string() == "gateway@backup-project.iam.gserviceaccount.com");
    BOOST_TEST(claims.at("scope").as_string() == "https://www.googleapis.com/auth/cloud-platform");
    BOOST_TEST(claims.at("aud").as_string() == "https://oauth2.googleapis.com/token");
    BOOST_TEST(claims.at("iat").as_int64() == iat);
    BOOST_TEST(claims.at("exp").as_int64() == iat + 3600);
    BOOST_TEST(claims.size() == 5u);

    const auto short_lived = google_service_account_assertion(sa, "s", "a", now, 600s);
    BOOST_TEST(decode_claims(short_lived.value())->at("exp").as_int64() == iat + 600);
}

BOOST_AUTO_TEST_CASE(google_assertion_without_key_id_or_with_a_bad_key)
{
    const auto key = fresh_rsa_2048();
    auto sa = parse_service_account(service_account_json(private_pem(key.get()))).value();
    sa.private_key_id.clear();
    const auto jwt = google_service_account_assertion(sa, "s", "a", system_clock::now());
    BOOST_TEST_REQUIRE(jwt.has_value());
    BOOST_TEST(!json_part(parts(*jwt)[0]).contains("kid"));

    sa.private_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    const auto bad = google_service_account_assertion(sa, "s", "a", system_clock::now());
    BOOST_TEST(bad.error() == make_error_code(error::invalid_private_key));
}
