// Section 3.7, "Authentication": Google bearer tokens (from the simulator's own
// OAuth 2.0 token endpoint, or one static token) and Management console
// sessions that expire after an idle time. Not thread-safe: the vendor holds
// its lock.
#pragma once

#include "tests/simulators/backupdr/jwt.hpp"
#include "tests/simulators/backupdr/seed.hpp"
#include "tests/simulators/common/vendor.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sim::backupdr {

using time_point = clock::time_point;

struct token_settings {
    std::string static_token;  // always valid; empty: none
    std::string static_identity;
    std::chrono::seconds ttl{3600};
    std::string key_file;  // the service account's public key; empty: every assertion is refused
    assertion_rules rules;
};

class token_store {
public:
    explicit token_store(token_settings settings);  // loads the key; throws if it cannot

    // POST /token: the JWT bearer grant (RFC 7523) as Google's endpoint answers it.
    reply grant(const request& req, time_point now, seeded_random& rng);
    // Whom a bearer token speaks for; nullopt when unknown or expired.
    std::optional<std::string> identity(std::string_view token, time_point now) const;

    void clear() { tokens_.clear(); }
    void reset() {
        clear();
        issued_ = refused_ = 0;
    }
    std::uint64_t issued() const { return issued_; }
    std::uint64_t refused() const { return refused_; }
    std::size_t active(time_point now) const;

private:
    struct token_entry {
        std::string identity;
        time_point expires;
    };
    reply refuse(std::string_view error, std::string_view description,
                 http::status status = http::status::bad_request);
    reply issue(std::string identity, time_point now, seeded_random& rng);
    assertion_rules rules_for(const request& req) const;

    token_settings settings_;
    pkey_ptr key_;
    std::map<std::string, token_entry, std::less<>> tokens_;
    std::uint64_t issued_ = 0;
    std::uint64_t refused_ = 0;
};

enum class session_check { ok, unknown, expired, other_identity };

class session_store {
public:
    explicit session_store(std::chrono::seconds idle) : idle_(idle) {}

    std::string open(std::string identity, time_point now, seeded_random& rng);
    // Checks that session `id` is live and belongs to `identity`; `refresh`
    // extends it by the idle time (section 3.7, Actifio-No-Session-Refresh).
    session_check use(std::string_view id, std::string_view identity, time_point now, bool refresh);
    bool close(std::string_view id);

    void clear() { sessions_.clear(); }
    std::size_t active(time_point now) const;
    std::chrono::seconds idle() const { return idle_; }

private:
    struct session {
        std::string identity;
        time_point last_used;
    };
    bool live(const session& s, time_point now) const { return now - s.last_used < idle_; }

    std::chrono::seconds idle_;
    std::map<std::string, session, std::less<>> sessions_;
};

}  // namespace sim::backupdr
