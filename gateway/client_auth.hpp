// Client authentication: the gateway's own keys, never the vendors'.
// Keys are configured as SHA-256 hex; a presented key is hashed and compared
// with every configured digest in constant time.
#pragma once

#include "config/config.hpp"
#include "gateway/errors.hpp"

#include <boost/beast/http/fields.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bg {

struct principal {
    std::string name;
    std::vector<std::string> backends;  // "*" allows all
    bool may_reach(std::string_view backend) const;
};

class client_auth {
public:
    explicit client_auth(const std::vector<config::client>& clients);

    // The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`;
    // unauthorized when neither is there, both disagree, or the key is unknown.
    std::variant<const principal*, gateway_error> authenticate(const boost::beast::http::fields& headers) const;

    // The key presented, or "" (exposed for tests).
    static std::string_view presented_key(const boost::beast::http::fields& headers, bool& conflicting);

private:
    struct entry {
        config::sha256_digest digest;
        principal who;
    };
    std::vector<entry> entries_;
};

// RFC 6750 challenge sent with every 401.
inline constexpr std::string_view www_authenticate_challenge =
    R"(Bearer realm="backup-gateway", error="invalid_token")";

}  // namespace bg
