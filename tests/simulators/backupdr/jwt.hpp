// Checks the JWT assertion of Google's service-account flow (section 3.7,
// "Generating Access Token For Service Account Method #1"; RFC 7515/7519/7523):
// pure functions over bytes, a key and a time.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sim::backupdr {

struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

// Reads a PEM public key ("BEGIN PUBLIC KEY") or an X.509 certificate, the two
// forms Google publishes a service account's key in. Throws on failure
// (start-up only).
pkey_ptr load_public_key(const std::string& pem_file);

// RFC 4648 section 5, without padding (RFC 7515 section 2). nullopt when the
// text is not base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256") over `signing_input`.
bool verify_rs256(EVP_PKEY& key, std::string_view signing_input, std::string_view signature);

struct assertion_rules {
    std::vector<std::string> audiences;  // the token endpoint's URLs; aud must be one of them
    std::optional<std::string> issuer;   // the service account's email, when configured
    std::chrono::seconds max_lifetime{3600};
    std::chrono::seconds max_future_iat{300};  // clock skew tolerated on iat
};

// An OAuth 2.0 error (RFC 6749 section 5.2), as Google words them.
struct grant_error {
    std::string error;
    std::string description;
};

// The identity a valid assertion speaks for: `sub` when present (domain-wide
// delegation), else `iss`.
struct assertion_identity {
    std::string subject;
    std::string scope;
};

std::variant<assertion_identity, grant_error> check_assertion(std::string_view jwt, EVP_PKEY& key,
                                                              const assertion_rules& rules,
                                                              std::chrono::system_clock::time_point now);

}  // namespace sim::backupdr
