// What replicas share through Redis (docs/scale-out.md), and what each holds
// alone when there is no Redis or it cannot be reached:
//   redis_status       reachable or not; each transition logged once
//   admission_control  rate limits and vendor throttling, decided before a
//                      request takes a backend slot
// (The idempotency records and vendor credentials have their own stores.)
#pragma once

#include "config/config.hpp"
#include "gateway/rate_limit.hpp"
#include "gateway/redis_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace bg {

// Whether Redis answers, as the last call found; a change is logged once.
class redis_status {
public:
    void succeeded();
    // `what`: the call that failed ("rate limits", "idempotency"...).
    void failed(std::string_view what, const gateway_error& why);
    bool reachable() const { return reachable_.load(std::memory_order_relaxed); }
    std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> reachable_{true};
    std::atomic<std::uint64_t> errors_{0};
};

class admission_control {
public:
    // `local`, `fallback`, `health`: the process's (they outlive a reload);
    // `throttles`: each backend's throttle time, by backend index.
    admission_control(const config::gateway_config& cfg, local_limiter& local, local_limiter& fallback,
                      redis_status& health, std::vector<std::atomic<std::int64_t>*> throttles);

    // Whether any request needs a decision beyond the local throttle check
    // (a limit is configured, or Redis holds the fleet's throttles).
    bool active() const { return active_; }

    // The rate limits and throttle of one request by `client` to `backend`:
    // through `redis` when it is configured (null: this process decides),
    // falling back to this process at limit ÷ replicas_hint when it fails.
    boost::asio::awaitable<admission> admit(redis::connection* redis, std::size_t client, std::size_t backend);
    // The local throttle alone (no limits, no Redis): µs to wait, or 0.
    std::int64_t throttled(std::size_t backend) const
    {
        const auto until = throttles_[backend]->load(std::memory_order_relaxed);
        if (until == 0)
            return 0;  // (no clock reading when no vendor ever throttled it)
        const auto now = now_us();
        return until > now ? until - now : 0;
    }

    // The limits that applied to a request (for its 429's header fields):
    // the shared ones, or the fallback's when `fallback`.
    const std::vector<const prepared_limit*>& limits(std::size_t client, std::size_t backend, bool fallback) const;

    // A vendor answered 429 with Retry-After: nothing goes to it for `ms`, from
    // this process at once and, through `redis`, from every replica.
    void vendor_throttled(redis::connection* redis, std::size_t backend, std::int64_t ms);

    redis_status& redis_health() { return redis_health_; }
    const redis_status& redis_health() const { return redis_health_; }

    // For /metrics (the process's counts: they go on across reloads).
    static std::uint64_t limited() { return limited_.load(std::memory_order_relaxed); }
    static std::uint64_t throttled_refusals() { return throttled_.load(std::memory_order_relaxed); }
    static std::uint64_t fallback_decisions() { return fallbacks_.load(std::memory_order_relaxed); }
    void count(const admission& a);

private:
    struct plan {
        std::vector<const prepared_limit*> limits;    // the client's, then the backend's
        std::vector<const prepared_limit*> fallback;  // the same at ÷ replicas_hint
        std::vector<std::string> command;             // EVALSHA ..., ready to send
    };
    const plan& plan_for(std::size_t client, std::size_t backend) const
    {
        return plans_[client * backends_ + backend];
    }

    std::size_t backends_ = 0;
    std::vector<std::vector<prepared_limit>> client_limits_, backend_limits_;  // by index
    std::vector<std::vector<prepared_limit>> client_fallback_, backend_fallback_;
    std::vector<std::string> throttle_keys_;  // by backend
    std::vector<plan> plans_;                 // by client × backend
    bool shared_ = false;                     // Redis configured
    bool active_ = false;
    local_limiter& local_;     // the limits, without Redis
    local_limiter& fallback_;  // the limits ÷ replicas_hint, while Redis fails
    std::vector<std::atomic<std::int64_t>*> throttles_;
    redis_status& redis_health_;
    static inline std::atomic<std::uint64_t> limited_{0}, throttled_{0}, fallbacks_{0};
};

// The settings of a per-loop Redis connection, from the configuration.
redis::settings redis_settings_of(const config::redis_settings& s);

}  // namespace bg
