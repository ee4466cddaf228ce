// Client authentication: the gateway's own keys, never the vendors'.
// Keys are configured as SHA-256 hex; a presented key is hashed and compared
// with every configured digest in constant time.
#pragma once

#include "config/config.hpp"
#include "core/errors.hpp"

#include <boost/beast/http/fields.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bg {

struct principal {
    std::string name;
    std::vector<std::string> backends;  // "*" allows all
    std::size_t index = 0;              // in the configuration's clients
    bool may_reach(std::string_view backend) const;
};

class client_auth {
public:
    // `generation`: the configuration's (a connection's remembered key is
    // for one generation: after a reload the key is checked again).
    explicit client_auth(const std::vector<config::client>& clients, std::uint64_t generation = 0);

    // What one connection remembers of the last valid key it presented: a
    // keep-alive client sends the same key with every request, and hashing it
    // each time was about 2% of a small request's CPU. The key is compared in
    // constant time and wiped when forgotten (at the latest, with the
    // connection). It names a principal of this client_auth: it must not
    // outlive it.
    class remembered_key {
    public:
        remembered_key() = default;
        remembered_key(const remembered_key&) = delete;
        remembered_key& operator=(const remembered_key&) = delete;
        ~remembered_key() { forget(); }
        void forget();

    private:
        friend class client_auth;
        std::string key_;
        const principal* who_ = nullptr;
        std::uint64_t generation_ = 0;
    };

    // The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`;
    // unauthorized when neither is there, both disagree, or the key is unknown.
    std::variant<const principal*, gateway_error> authenticate(const boost::beast::http::fields& headers) const;
    // The same; a key equal to `memo`'s is not hashed again, and a valid key
    // is remembered in `memo`.
    std::variant<const principal*, gateway_error> authenticate(const boost::beast::http::fields& headers,
                                                               remembered_key& memo) const;

    // The key presented, or "" (exposed for tests).
    static std::string_view presented_key(const boost::beast::http::fields& headers, bool& conflicting);

private:
    std::variant<const principal*, gateway_error> check(const boost::beast::http::fields& headers,
                                                        remembered_key* memo) const;

    struct entry {
        config::sha256_digest digest;
        principal who;
    };
    std::vector<entry> entries_;
    std::uint64_t generation_ = 0;
};

// RFC 6750 challenge sent with every 401.
inline constexpr std::string_view www_authenticate_challenge =
    R"(Bearer realm="backup-gateway", error="invalid_token")";

}  // namespace bg
