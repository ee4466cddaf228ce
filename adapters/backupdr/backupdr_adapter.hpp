// Backend type `google-backupdr`: the Google Backup and DR Management console
// API (google-backupdr-management-api.txt, §3.5 status codes, §3.7 access control).
//
// §3.7: every call carries a Google bearer token (`Authorization: Bearer`)
// and a session id (`backupdr-management-session: Actifio <session_id>`). The
// session comes from POST <base>/session with the bearer token alone; it
// expires after options.session_idle seconds without a call (default 3600,
// "1 hour of inactivity"), and DELETE <base>/session/current ends it (done on
// shutdown). §3.5: 401 means the bearer token or the session is missing,
// invalid or expired (no body, §3.6).
//
// The bearer token comes from exactly one of:
// - options.token_file: a file holding an OAuth access token, re-read when it
//   changes (its size or modification time, looked at at most once a second,
//   and read again whenever a session must be opened). Its expiry is unknown:
//   when POST session refuses the file's token with 401, the backend fails
//   closed until the file holds another token.
// - credentials.service_account: a service-account JSON key ("Method #1"):
//   the adapter signs a JWT assertion and exchanges it at the token endpoint
//   (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, RFC 7523) for an
//   access token, renewed at 80% of its expires_in.
//
// The token endpoint is options.token_uri, else the key file's token_uri,
// else https://oauth2.googleapis.com/token. On the backend's own origin it is
// reached through the backend's client; on another (Google's) through the
// core's auxiliary client (auxiliary_origin()), TLS verified with the
// system's trust store.
//
// Lifecycle: the session is kept with the time of its last use (a request
// that carries `Actifio-No-Session-Refresh: true` does not extend it, §3.7);
// a new one is opened before last use + idle − margin, so an idle-expired
// session is never knowingly sent. An upstream 401 drops the session it
// carried; the next request opens another, and when POST session itself
// answers 401 the bearer token is replaced (a new assertion, or the file read
// again) and POST session tried once more. One login at a time per backend,
// with back-off after a failure (login_gate).
#pragma once

#include "adapters/adapter.hpp"
#include "adapters/backupdr/backupdr_list.hpp"
#include "adapters/common/jwt.hpp"
#include "adapters/login/credential_share.hpp"
#include "adapters/login/login_gate.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace bg::adapters {

class backupdr_adapter final : public adapter {
public:
    using clock = std::chrono::steady_clock;

    explicit backupdr_adapter(const config::backend& backend);

    awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head, const std::string* body,
                                                               upstream_client& upstream) override;
    void credentials_rejected(const http::request_header<>& head) override;
    bool renews_credentials() const override { return true; }
    awaitable<void> logout(upstream_client& upstream) override;
    const list_dialect* list_at(std::string_view upstream_path) const override;
    const query_support* query_at(std::string_view upstream_path) const override;
    // §3.7's session header is the gateway's.
    std::span<const std::string_view> owned_headers() const override;
    std::optional<std::string> error_message(const upstream_response& res) const override;
    std::optional<std::string> auxiliary_origin() const override { return auxiliary_origin_; }

    static adapter_type type();

    std::uint64_t logins_led() const { return gate_.logins_led(); }
    void share_credentials(std::shared_ptr<credential_share> share) override { share_ = std::move(share); }
    // valid_until: the session's idle expiry, or the bearer token's expiry when sooner.
    credential_report credentials() const override;

private:
    struct bearer {
        std::string value;
        clock::time_point issued{};
        std::optional<clock::time_point> expires;  // none: a token file's (unknown)
    };
    struct session {
        std::string id;
        clock::time_point last_used{};
    };
    struct file_stamp {
        std::filesystem::file_time_type mtime{};
        std::uintmax_t size = 0;
        bool operator==(const file_stamp&) const = default;
    };
    // What attach needs to know, read under the lock. Its phase (login_gate's
    // attach loop): fresh when token and session are usable, ageing when the
    // bearer token is due for renewal, expired when there is no usable token
    // or no live session (wait for one login).
    struct view {
        std::optional<bearer> token;
        std::optional<session> live_session;  // only while not idle-expired
        bool token_fresh = false;             // before its renewal point
        bool token_usable = false;            // before its expiry less the margin
        credential_phase phase = credential_phase::expired;
    };

    view current() const;
    void apply(http::request_header<>& head, const view& v);
    // A new bearer token when it is due, and a session when there is none.
    awaitable<std::optional<gateway_error>> log_in(upstream_client& upstream);
    // POST session (a second time with a new bearer token when the first is refused and can be renewed).
    awaitable<std::optional<gateway_error>> open_session(upstream_client& upstream, std::string token,
                                                         bool token_is_new);
    // The fleet's session (the share): one another replica opened, or one
    // opened here under the fleet's lock and stored. nullopt: the share
    // could not be reached (open one here).
    awaitable<std::optional<std::optional<gateway_error>>> shared_session(upstream_client& upstream,
                                                                          const std::string& token,
                                                                          bool token_is_new);

    // The bearer token: a new one from the service account or the token file.
    awaitable<std::variant<bearer, gateway_error>> new_token(upstream_client& upstream);
    awaitable<std::variant<bearer, gateway_error>> jwt_bearer_grant(upstream_client& upstream);
    std::variant<bearer, gateway_error> read_token_file();
    void check_token_file();  // at most once a second: swap in a changed file's token

    // POST <base>/session with the bearer token.
    awaitable<upstream_result> post_session(upstream_client& upstream, const std::string& token);

    std::optional<std::string> token_file_;
    std::optional<jwt::service_account> service_account_;
    std::string token_path_;  // the token endpoint's path on its host
    std::string audience_;    // the token endpoint's URL
    std::optional<std::string> auxiliary_origin_;  // the token endpoint's origin when it is not the backend's
    std::string scope_;
    std::chrono::seconds idle_;

    mutable std::mutex mutex_;
    std::optional<bearer> token_;
    std::optional<session> session_;
    std::optional<file_stamp> stamp_;
    clock::time_point next_file_check_{};
    std::string refused_file_token_;  // a file token POST session refused: not sent again
    std::shared_ptr<credential_share> share_;
    std::string shared_form_;    // session_'s form in the share
    std::string rejected_form_;  // the shared form of a session the vendor refused
    login_gate gate_;
    backupdr_list list_;
};

}  // namespace bg::adapters
