// CPM's access and refresh tokens: JWTs (HS256, with a key private to the
// simulator) shaped like djangorestframework-simplejwt's, whose "exp" is the
// real expiry, so a client can read it and refresh in time.
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sim::cpm {

enum class token_type { access, refresh };

struct token_claims {
    token_type type = token_type::access;
    std::int64_t exp = 0;  // seconds since the epoch
    std::int64_t user_id = 0;
    std::uint64_t generation = 0;  // tokens of an older generation were expired by expire_all()/reset()
};

class token_issuer {
public:
    token_issuer(std::string key, const clock& c) : key_(std::move(key)), clock_(c) {}

    std::string issue(token_type type, std::chrono::seconds ttl, std::int64_t user_id, std::uint64_t generation);
    // The claims of a well-formed token with a good signature; expiry is the caller's to check.
    std::optional<token_claims> verify(std::string_view token) const;

private:
    std::string sign(std::string_view signing_input) const;

    std::string key_;
    const clock& clock_;
    std::atomic<std::uint64_t> next_jti_{1};
};

// base64url without padding (RFC 7515 section 2).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sim::cpm
