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
#include <memory>
#include <string>
#include <unordered_map>
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
    // The common case at once, with no coroutine: admitted when the request
    // has no limit, or a token of this process's lease, and its backend is
    // not throttled. false: admit() decides.
    bool admit_now(std::size_t client, std::size_t backend);

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
    // this process at once and, through `redis` (a key, and a message on
    // throttle_channel()), from every replica.
    void vendor_throttled(redis::connection* redis, std::size_t backend, std::int64_t ms);
    // Another replica's throttle message (its payload).
    void throttle_message(std::string_view payload);
    // What a replica that (re)subscribes reads to catch up: each backend's
    // throttle key, by backend index.
    const std::vector<std::string>& throttle_keys() const { return throttle_keys_; }
    void hold_throttle(std::size_t backend, std::int64_t ms);
    const std::string& throttle_channel() const { return throttle_channel_; }

    // Lease sizes (docs/scale-out.md): a request whose every limit has room
    // for at least lease_min × 32 × replicas_hint takes its tokens from Redis
    // in leases of up to lease_max, used by this process within lease_ttl;
    // any other request asks Redis for itself alone.
    static constexpr std::int64_t lease_min = 8;
    static constexpr std::int64_t lease_max = 256;
    static constexpr std::int64_t lease_ttl_us = 100'000;

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
        std::vector<std::string> command;             // EVALSHA ..., ready to send (asks for `lease`)
        std::vector<std::string> single;              // the same for one request (leased plans)
        std::int64_t lease = 1;                       // requests asked for at once (1: no lease)
    };
    // The tokens a plan's last lease has left, and until when they may be
    // used (µs). Shared by the threads: a token is taken with one atomic
    // compare-and-swap.
    struct lease_slot {
        std::atomic<std::int64_t> left{0};
        std::atomic<std::int64_t> until{0};
        // One lease asked for at a time per process: the other requests
        // meanwhile ask for themselves, so that a burst does not take a
        // lease each (tokens it would leave unused).
        std::atomic<bool> refilling{false};
    };
    static bool take(lease_slot& lease, std::int64_t now);
    const plan& plan_for(std::size_t client, std::size_t backend) const
    {
        return plans_[client * backends_ + backend];
    }

    std::size_t backends_ = 0;
    std::vector<std::vector<prepared_limit>> client_limits_, backend_limits_;  // by index
    std::vector<std::vector<prepared_limit>> client_fallback_, backend_fallback_;
    std::vector<std::string> throttle_keys_;  // by backend
    std::string throttle_channel_;
    std::unordered_map<std::string, std::size_t> backend_of_;  // name → index
    std::vector<std::string> backend_names_;                   // by index
    std::vector<plan> plans_;                 // by client × backend
    std::unique_ptr<lease_slot[]> leases_;    // by client × backend
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
