// token_adapter: the credential lifecycle that CPM, Backup and DR and Veeam
// share, with the vendor's dialect left to three hooks.
//
//   fresh    (now < refresh_at)             use it
//   ageing   (refresh_at ≤ now < usable_to) one request refreshes (obtain()),
//                                           the others keep using it meanwhile
//   expired  (usable_to ≤ now) or none      every request waits for one login
//
// usable_to is the expiry less a safety margin, so an expired credential is
// never knowingly sent. On an upstream 401 the core calls
// credentials_rejected(): the credential it carried is dropped (unless a newer
// one replaced it already) and the next attach obtains another.
#pragma once

#include "adapters/adapter.hpp"
#include "adapters/login/credential_share.hpp"
#include "adapters/login/login_gate.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace bg::adapters {

class token_adapter : public adapter {
public:
    using time_point = std::chrono::system_clock::time_point;

    // What a vendor's login gives. `access` is what attach puts on requests;
    // `refresh` (may be empty) what obtain() may use to renew it.
    struct credential {
        std::string access;
        time_point access_expires{};
        std::string refresh;
        time_point refresh_expires{};
        time_point issued{};
    };

    awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head, const std::string* body,
                                                               upstream_client& upstream) final;
    void credentials_rejected(const http::request_header<>& head) final;
    bool renews_credentials() const final { return true; }
    awaitable<void> logout(upstream_client& upstream) final;
    void share_credentials(std::shared_ptr<credential_share> share) final { share_ = std::move(share); }
    credential_report credentials() const final;

    std::uint64_t logins_led() const { return gate_.logins_led(); }

protected:
    explicit token_adapter(const config::backend& backend);

    // Obtains a credential: renew `previous` when it can (refresh grant), else
    // log in from the configured secrets. Errors are upstream_auth_failed and
    // carry the vendor's status and body, never a secret.
    virtual awaitable<std::variant<credential, gateway_error>> obtain(upstream_client& upstream,
                                                                      const std::optional<credential>& previous) = 0;
    // Puts the credential on a request. Default: `Authorization: Bearer <access>`.
    virtual void apply(http::request_header<>& head, const credential& c) const;
    // The credential a request carried, to recognize it in credentials_rejected().
    // Default: the Bearer token.
    virtual std::string carried(const http::request_header<>& head) const;
    // Ends the upstream session (DELETE token / session). Default: nothing.
    virtual awaitable<void> end_session(upstream_client& upstream, const credential& c);

    static time_point now() { return std::chrono::system_clock::now(); }

private:
    // A copy of the current credential and its phase, read under the lock.
    struct snapshot {
        std::optional<credential> cred;
        credential_phase phase = credential_phase::expired;
    };
    snapshot current() const;
    void store(credential c, std::string shared_form = {});
    // obtain(), and the credential stored when it came; through the share
    // when there is one and it answers.
    awaitable<std::optional<gateway_error>> renew(const snapshot& seen, upstream_client& upstream);
    // The fleet's way: a credential another replica stored, or one login
    // under the fleet's lock. nullopt: the share could not be reached (log
    // in here); else the outcome (nullopt inside: a credential is stored).
    awaitable<std::optional<std::optional<gateway_error>>> renew_shared(const snapshot& seen,
                                                                        upstream_client& upstream);
    // A credential read from the share that this replica may use instead
    // of `seen`'s, or nullopt.
    std::optional<credential> usable_shared(const credential_share::entry& e, const snapshot& seen) const;
    std::string rejected_form() const;

    mutable std::mutex mutex_;
    std::optional<credential> credential_;
    std::string shared_form_;    // credential_'s form in the share ("" when it never was there)
    std::string rejected_form_;  // the shared form of a credential the vendor refused
    time_point deferred_until_{};  // ageing, another replica renewing it: used as fresh until then
    std::shared_ptr<credential_share> share_;
    login_gate gate_;
};

// The error for a failed login: the vendor's status and body (as JSON when
// it is JSON, else as a string), and what was being done.
gateway_error login_failed(const config::backend& b, std::string_view what, const upstream_response& res);
gateway_error login_failed(const config::backend& b, std::string_view what, const gateway_error& transport);

// A token endpoint's answer as a JSON object, or the login failure it means
// (a status other than 200, or a body that is not a JSON object).
std::variant<boost::json::object, gateway_error> token_response(const config::backend& b, std::string_view what,
                                                                const upstream_response& res);

// A string member of a token response, "" when absent or not a string.
std::string json_string(const boost::json::object& o, std::string_view key);

// A lifetime option ("3600"): a positive whole number of seconds, else nullopt.
std::optional<std::chrono::seconds> positive_seconds(std::string_view text);

// application/x-www-form-urlencoded, encoded with Boost.URL.
std::string form_encode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace bg::adapters
