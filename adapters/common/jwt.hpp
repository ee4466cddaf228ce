// JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515), RS256 only
// (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3), and the assertion
// of Google's OAuth 2.0 JWT-bearer grant for service accounts.
//
// Pure functions of their arguments: the time is passed in, keys are PEM text.
// Errors are values (these run on the request path when a token is renewed):
// signing returns a token_result (boost::system::result holding the token or
// a std::error_code of bg::jwt::error); reading returns std::optional or bool.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace bg::jwt {

using time_point = std::chrono::system_clock::time_point;

enum class error {
    invalid_private_key = 1,  // not PEM, encrypted (no passphrase is ever asked), or not an RSA key
    signing_failed,           // OpenSSL refused to sign with the key (e.g. too small for RS256)
};
const std::error_category& error_category() noexcept;
std::error_code make_error_code(error e) noexcept;

// The compact token, or why it could not be made.
using token_result = boost::system::result<std::string, std::error_code>;

// RFC 4648 section 5 without padding (as bg::encoding, here for JWT users).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// The claims (payload) of a compact JWS, NOT verified: for reading a token
// that came from its issuer over TLS (an access token's "exp"). nullopt unless
// there are three dot-separated parts and the second is base64url of a JSON object.
std::optional<boost::json::object> decode_claims(std::string_view jwt);
// Its "exp" claim (NumericDate: seconds since the epoch; a fraction is dropped).
std::optional<time_point> expiry(std::string_view jwt);

// BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(RS256 signature).
// `header` gets "alg":"RS256" (set or overwritten: the key decides the algorithm).
// `private_key_pem`: PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"), unencrypted.
token_result sign_rs256(const boost::json::object& header, const boost::json::object& claims,
                        std::string_view private_key_pem);
// The same over JSON texts taken byte for byte (RFC 7515's examples contain
// CRLFs no serializer would produce). The header is not checked.
token_result sign_rs256_json(std::string_view header_json, std::string_view claims_json,
                             std::string_view private_key_pem);

// True when `jwt` is a compact JWS whose header says "alg":"RS256" and whose
// signature verifies under `public_key_pem`, an RSA key as "BEGIN PUBLIC KEY"
// (SubjectPublicKeyInfo) or inside a "BEGIN CERTIFICATE". Claims ("exp",
// "aud"...) are not checked: that is the caller's policy.
bool verify_rs256(std::string_view jwt, std::string_view public_key_pem);

// Google's service-account JSON key file (the fields used here).
struct service_account {
    std::string type;  // "service_account"
    std::string client_email;
    std::string private_key;     // PEM
    std::string private_key_id;  // becomes the assertion's "kid"
    std::string token_uri;       // where to POST the assertion; empty when the file has none
};
// nullopt unless `json` is an object with "type":"service_account" and
// non-empty string "client_email" and "private_key".
std::optional<service_account> parse_service_account(std::string_view json);

// The JWT for the grant urn:ietf:params:oauth:grant-type:jwt-bearer:
// header {"alg":"RS256","typ":"JWT","kid":private_key_id} (no "kid" when the
// id is empty), claims {"iss":client_email,"scope","aud","iat":now,"exp":now+lifetime}
// (Google accepts at most one hour). `audience` is usually sa.token_uri.
token_result google_service_account_assertion(const service_account& sa, std::string_view scope,
                                              std::string_view audience, time_point now,
                                              std::chrono::seconds lifetime = std::chrono::seconds{3600});

}  // namespace bg::jwt

namespace std {
template <>
struct is_error_code_enum<bg::jwt::error> : true_type {};
}  // namespace std
