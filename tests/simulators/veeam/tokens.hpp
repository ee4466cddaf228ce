// The Veeam simulator's credentials: access and refresh tokens grouped in logon
// sessions, MFA tokens (password grant of an MFA user) and authorization codes.
// Every time comes from the caller, so expiry follows the injected clock.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sim::veeam {

using time_point = std::chrono::system_clock::time_point;

inline std::int64_t unix_seconds(time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct lifetimes {
    std::chrono::seconds access{3600};   // overview: access token 1 hour
    std::chrono::seconds refresh{7200};  // overview: refresh token 2 hours
    std::chrono::seconds mfa{300};       // not documented
    std::chrono::seconds code{60};       // overview: authorization code 60 seconds
};

// What a successful grant hands out.
struct token_pair {
    std::string access_token;
    std::string refresh_token;
    std::string username;
    time_point issued;
    time_point expires;  // of the access token
};

enum class bearer_status { valid, expired, unknown };

struct bearer_check {
    bearer_status status = bearer_status::unknown;
    std::string username;
};

class token_store {
public:
    explicit token_store(lifetimes ttl) : ttl_(ttl) {}

    token_pair open_session(const std::string& username, time_point now);
    // Refresh tokens are single-use: the old one is gone once the new pair is out.
    std::optional<token_pair> refresh(std::string_view refresh_token, time_point now);
    bearer_check authenticate(std::string_view access_token, time_point now) const;
    // Revokes every token of the access token's logon session.
    bool logout(std::string_view access_token, time_point now);

    std::string issue_mfa_token(const std::string& username, time_point now);
    std::optional<std::string> mfa_user(std::string_view mfa_token, time_point now) const;
    void consume_mfa_token(std::string_view mfa_token);

    std::string issue_code(const std::string& username, time_point now);
    std::optional<std::string> redeem_code(std::string_view code, time_point now);  // single-use

    void expire_all(time_point now);
    void clear();
    boost::json::object state(time_point now) const;

private:
    struct entry {
        std::string username;
        time_point expires;
        std::uint64_t session = 0;
    };
    using table = std::unordered_map<std::string, entry>;

    token_pair issue_pair(const std::string& username, std::uint64_t session, time_point now);
    void prune(time_point now);

    const lifetimes ttl_;
    mutable std::mutex mutex_;
    table access_;
    table refresh_;
    table mfa_;
    table codes_;
    std::uint64_t next_session_ = 1;
    std::uint64_t issued_since_prune_ = 0;
};

}  // namespace sim::veeam
