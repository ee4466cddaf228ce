// One login at a time per backend, across every thread, and the one attach
// loop every adapter with a login runs around it (attach()).
//
// The first request that needs a new credential leads the login; requests that
// arrive meanwhile wait for its outcome instead of logging in themselves. A
// failed login is remembered and given to every request during a back-off that
// doubles from 1 s up to 60 s, so a wrong password costs a bounded number of
// logins per minute, not a storm.
#pragma once

#include "adapters/adapter.hpp"
#include "core/errors.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bg::adapters {

// Where a backend's credential stands, for attach():
//   fresh    use it
//   ageing   still usable, due for renewal: one request renews it (never
//            waiting for a gate held by another), the others, and that one if
//            the renewal fails, keep using it meanwhile
//   expired  none, or no longer usable: every request waits for one login
enum class credential_phase { fresh, ageing, expired };

// Who is told of a login this gate leads (the span exporter of the gateway,
// for the request that leads it): current() is set by the caller of
// attach_credentials() right before it, per thread, and read once at the
// start of attach(), before anything can suspend; nullptr: nobody.
class login_trace {
public:
    virtual ~login_trace() = default;
    virtual void login(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to,
                       const std::optional<gateway_error>& failure) = 0;
    static login_trace*& current();
};

class login_gate {
public:
    using clock = std::chrono::steady_clock;

    // `max_wait`: how long a waiter waits for the leader before giving up.
    explicit login_gate(std::chrono::milliseconds max_wait) : max_wait_(max_wait) {}

    struct ticket {
        bool lead = false;                   // true: log in, then call finish()
        std::optional<gateway_error> error;  // set: the (recent) login failed; give up
    };

    // Waits while another login is running. When it returns with lead false
    // and no error, a login has just succeeded: read the credential again.
    boost::asio::awaitable<ticket> enter();
    // Leads a login only if none runs and none failed recently; never waits.
    bool try_lead();
    // The leader's outcome: nullopt for success. `obtained`: a credential
    // was obtained (false: the leader found one fresh and made no login).
    void finish(const std::optional<gateway_error>& failure, bool obtained = true);

    std::uint64_t logins_led() const;
    // The logins' record for credential_report (kind, valid_until left to the adapter).
    void report(credential_report& r) const;

    // The attach loop (token_adapter, backupdr_adapter). `current()` reads the
    // credential's state (a value with a `phase` member, credential_phase);
    // `apply(state)` puts that credential on the request; `renew(state)` logs
    // in or renews (awaitable<std::optional<gateway_error>>, the failure or
    // nothing) and stores what it got, and this gate then takes its outcome.
    // `exhausted()` is the error when three rounds found no credential that
    // held: a waiter may find, after a login it waited for, that the
    // credential was already rejected again by a concurrent 401. The
    // callables are named locals of the caller (GCC 12 mishandles temporaries
    // and by-value arguments in a co_await expression).
    template <class Current, class Apply, class Renew, class Exhausted>
    boost::asio::awaitable<std::optional<gateway_error>> attach(const Current& current, const Apply& apply,
                                                                const Renew& renew, const Exhausted& exhausted)
    {
        auto* const trace = login_trace::current();
        // renew(), and its span for whoever asked (a renewal's failure included).
        const auto renew_traced = [&](const auto& state) -> boost::asio::awaitable<std::optional<gateway_error>> {
            const auto from = std::chrono::steady_clock::now();
            auto failed = co_await renew(state);
            if (trace)
                trace->login(from, std::chrono::steady_clock::now(), failed);
            co_return failed;
        };
        for (int round = 0; round < 3; ++round) {
            const auto seen = current();
            if (seen.phase == credential_phase::fresh) {
                apply(seen);
                co_return std::nullopt;
            }
            if (seen.phase == credential_phase::ageing) {
                if (!try_lead()) {
                    apply(seen);  // someone is renewing it; it is still valid
                    co_return std::nullopt;
                }
                auto failed = co_await renew_traced(seen);
                finish(failed);
                if (!failed)
                    continue;  // renewed: read it
                const auto still = current();
                if (still.phase == credential_phase::expired)
                    co_return failed;
                apply(still);
                co_return std::nullopt;
            }
            auto t = co_await enter();
            if (t.error)
                co_return std::move(t.error);
            if (!t.lead)
                continue;  // a login just finished: read it
            const auto again = current();  // it may have been renewed since we looked
            if (again.phase == credential_phase::fresh) {
                finish(std::nullopt, false);
                apply(again);
                co_return std::nullopt;
            }
            auto failed = co_await renew_traced(again);
            finish(failed);
            if (failed)
                co_return failed;
        }
        co_return exhausted();
    }

private:
    struct waiter {
        boost::asio::any_io_executor executor;
        std::shared_ptr<boost::asio::steady_timer> timer;
    };
    std::optional<gateway_error> recent_failure_locked() const;

    const std::chrono::milliseconds max_wait_;
    mutable std::mutex mutex_;
    bool busy_ = false;
    std::vector<waiter> waiters_;
    std::optional<gateway_error> last_failure_;
    clock::time_point retry_after_{};
    std::chrono::seconds backoff_{0};
    std::uint64_t logins_led_ = 0;
    std::uint64_t renewals_ = 0;
    std::uint64_t failures_ = 0;
    unsigned consecutive_failures_ = 0;
    std::optional<std::chrono::system_clock::time_point> last_login_;
    std::string last_failure_detail_;
};

}  // namespace bg::adapters
