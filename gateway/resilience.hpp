// What keeps a failing vendor from being hammered and a flaky one from
// failing clients (docs/resilience.md): which upstream outcomes are failures
// and which a retry may cure, the retry's wait (full-jitter backoff, the
// vendor's Retry-After), and, per backend and shared by every thread, the
// retry budget and the circuit breaker. Pure but for the clock passed in:
// tests/unit/resilience_test.cpp drives it.
#pragma once

#include "config/config.hpp"
#include "core/errors.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace bg {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// An upstream outcome as the breaker and the retries see it.
enum class outcome {
    success,    // an answer that says nothing bad of the vendor (2xx-4xx but 429)
    retryable,  // connect failure, reset or close before an answer, 429, 502, 503, 504
    failure,    // the vendor failed, but a retry would not cure it: a timeout, another 5xx
};
outcome outcome_of_status(unsigned status);
outcome outcome_of_error(const gateway_error& e);

// RFC 9110 §10.2.3 Retry-After: delay-seconds, or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime, as §5.6.7 asks a recipient to take), as a wait from
// `now` (0 for a date past). nullopt when it is neither.
std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// The wait before retry number `retry` (1 for the first): full jitter, a
// uniform draw in [0, min(cap, base·2^(retry-1))) made from `random`.
milliseconds backoff(const config::retry_settings& s, unsigned retry, std::uint64_t random);
// A random number for backoff() (a per-thread generator).
std::uint64_t jitter_random();

// One backend's shared state: requests in flight, retries in flight (the
// budget) and the circuit breaker. One per backend for the process; every
// member is safe to call from any thread. The closed breaker's check is one
// atomic load.
class backend_health {
public:
    using clock_fn = steady::time_point (*)();
    // `now`: the clock (tests pass their own).
    backend_health(const config::retry_settings& retries, const config::breaker_settings& breaker,
                   const config::concurrency_settings& concurrency = {}, clock_fn now = &steady::now);

    // ---- The concurrency limit: a slot per request to the backend, from
    // admission to its answer (concurrency.max_in_flight; 0: no limit).
    // A slot now, if one is free.
    bool try_enter();
    // A request that found none waits for one in a bounded queue: it is
    // granted one by leave() (grant() is called, under the lock, with
    // `granted` set), or withdraws when its wait runs out.
    struct waiter {
        virtual ~waiter() = default;
        virtual void grant() = 0;  // wake the waiting request (any thread may call it)
        bool granted = false;
    };
    enum class queued { entered, waiting, full };
    queued enter_or_queue(const std::shared_ptr<waiter>& w);
    // The wait ran out: true when it was withdrawn (no slot); false when a
    // slot was granted meanwhile (the request holds it).
    bool withdraw(const std::shared_ptr<waiter>& w);
    // The request is over: its slot to the first waiter, or freed.
    void leave();
    std::uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    std::uint64_t queued_now() const { return waiting_.load(std::memory_order_relaxed); }
    std::uint64_t overloaded() const { return overloaded_.load(std::memory_order_relaxed); }
    void count_overloaded() { overloaded_.fetch_add(1, std::memory_order_relaxed); }

    // A retry may start when retries in flight stay within budget_percent of
    // the requests in flight plus budget_min; then retry_ended() when it is over.
    bool try_start_retry();
    void retry_ended() { retries_in_flight_.fetch_sub(1, std::memory_order_relaxed); }

    // The breaker, before each upstream exchange.
    enum class admission {
        allowed,  // closed
        probe,    // the one exchange let through after an open period (record() its outcome)
        refused,  // open (or a probe is out): answer 503 circuit-open with Retry-After `wait`
    };
    admission admit(milliseconds& wait);
    // After each exchange that was admitted: `failed` (outcome retryable or
    // failure); `probe`: it was the probe. (A probe whose outcome is never
    // recorded, its client gone, is replaced after probe_grace.)
    void record(bool failed, bool probe);
    static constexpr milliseconds probe_grace{30'000};

    enum class state { closed, open, half_open };
    state current() const { return state_.load(std::memory_order_acquire); }
    // Counts for /metrics.
    std::uint64_t opened() const { return opened_.load(std::memory_order_relaxed); }
    // Transitions into `to` (closed: a probe succeeded; half_open: a probe
    // let through; open: failures, or a probe failed).
    std::uint64_t transitions(state to) const
    {
        return transitions_[static_cast<std::size_t>(to)].load(std::memory_order_relaxed);
    }
    // When the breaker took its current state (the health's making, for a
    // breaker closed since).
    std::chrono::system_clock::time_point since() const
    {
        return std::chrono::system_clock::time_point(std::chrono::microseconds(since_us_.load(std::memory_order_relaxed)));
    }
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    std::uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
    std::uint64_t retries_denied() const { return retries_denied_.load(std::memory_order_relaxed); }
    std::uint64_t retries_in_flight() const { return retries_in_flight_.load(std::memory_order_relaxed); }

private:
    void open_locked(steady::time_point now, milliseconds period);
    void transition_locked(state to);

    const clock_fn now_;
    const config::retry_settings retry_;
    const config::breaker_settings breaker_;
    const config::concurrency_settings concurrency_;
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> waiting_{0};
    std::deque<std::shared_ptr<waiter>> waiters_;  // under mutex_
    std::atomic<std::uint64_t> overloaded_{0};
    std::atomic<std::uint64_t> retries_in_flight_{0};
    std::atomic<state> state_{state::closed};
    std::atomic<unsigned> consecutive_failures_{0};
    std::mutex mutex_;  // the open/half-open transitions and the fields below
    steady::time_point open_until_{};
    milliseconds open_period_{0};
    std::atomic<std::uint64_t> opened_{0};
    std::array<std::atomic<std::uint64_t>, 3> transitions_{};
    std::atomic<std::int64_t> since_us_;  // system_clock, µs since the epoch
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> retries_denied_{0};
};

}  // namespace bg
