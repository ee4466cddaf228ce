// One login at a time per backend, across every thread.
//
// The first request that needs a new credential leads the login; requests that
// arrive meanwhile wait for its outcome instead of logging in themselves. A
// failed login is remembered and given to every request during a back-off that
// doubles from 1 s up to 60 s, so a wrong password costs a bounded number of
// logins per minute, not a storm.
#pragma once

#include "core/errors.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace bg::adapters {

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
    // The leader's outcome: nullopt for success.
    void finish(const std::optional<gateway_error>& failure);

    std::uint64_t logins_led() const;

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
};

}  // namespace bg::adapters
