#include "gateway/client_auth.hpp"

#include "core/ascii.hpp"

#include "adapters/common/crypto.hpp"

#include <openssl/crypto.h>

#include <boost/beast/core/string.hpp>

#include <algorithm>

namespace bg {

namespace http = boost::beast::http;

bool principal::may_reach(std::string_view backend) const
{
    return std::any_of(backends.begin(), backends.end(), [&](const std::string& b) { return b == "*" || b == backend; });
}

client_auth::client_auth(const std::vector<config::client>& clients, std::uint64_t generation)
    : generation_(generation)
{
    entries_.reserve(clients.size());
    for (std::size_t i = 0; i < clients.size(); ++i)
        entries_.push_back({clients[i].api_key_sha256, principal{clients[i].name, clients[i].backends, i}});
}

std::string_view client_auth::presented_key(const http::fields& headers, bool& conflicting)
{
    conflicting = false;
    std::string_view bearer;
    if (auto it = headers.find(http::field::authorization); it != headers.end()) {
        std::string_view v = it->value();
        // The scheme is case-insensitive (RFC 9110 §11.1).
        if (v.size() > 7 && bg::iequals(v.substr(0, 7), "bearer ")) {
            bearer = v.substr(7);
            while (!bearer.empty() && bearer.front() == ' ')
                bearer.remove_prefix(1);
        }
    }
    std::string_view api_key;
    if (auto it = headers.find("X-API-Key"); it != headers.end())
        api_key = it->value();
    if (!bearer.empty() && !api_key.empty() && bearer != api_key)
        conflicting = true;
    return bearer.empty() ? api_key : bearer;
}

void client_auth::remembered_key::forget()
{
    if (!key_.empty())
        OPENSSL_cleanse(key_.data(), key_.size());
    key_.clear();
    who_ = nullptr;
}

std::variant<const principal*, gateway_error> client_auth::authenticate(const http::fields& headers) const
{
    return check(headers, nullptr);
}

std::variant<const principal*, gateway_error> client_auth::authenticate(const http::fields& headers,
                                                                        remembered_key& memo) const
{
    return check(headers, &memo);
}

std::variant<const principal*, gateway_error> client_auth::check(const http::fields& headers,
                                                                 remembered_key* memo) const
{
    bool conflicting = false;
    const auto key = presented_key(headers, conflicting);
    if (conflicting)
        return gateway_error{errc::unauthorized, "Authorization and X-API-Key carry different keys", {}, {}};
    if (key.empty())
        return gateway_error{errc::unauthorized,
                             "send the gateway key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", {}, {}};
    // The connection's last valid key: only its own client sent it on this
    // connection, so the shortcut tells nobody anything new.
    if (memo && memo->who_ && memo->generation_ == generation_ && key.size() == memo->key_.size() &&
        CRYPTO_memcmp(key.data(), memo->key_.data(), key.size()) == 0)
        return memo->who_;
    const auto digest = crypto::sha256(key);  // (a kept context: no per-request fetch)
    // Every entry is compared, with no early exit, so timing does not tell
    // which (or whether a) key matched.
    const principal* found = nullptr;
    for (const auto& e : entries_) {
        const bool match = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
        found = match ? &e.who : found;
    }
    if (!found)
        return gateway_error{errc::unauthorized, "the API key is not valid", {}, {}};
    if (memo) {
        memo->forget();
        memo->key_.assign(key);
        memo->who_ = found;
        memo->generation_ = generation_;
    }
    return found;
}

}  // namespace bg
