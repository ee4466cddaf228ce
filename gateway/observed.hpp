// What the gateway saw of its traffic, for /metrics and the status page
// (docs/operations.md): per backend, every request's duration in a
// histogram, its attempts and whether it failed, cumulatively and over the
// last minute; per client, requests and rate-limit refusals.
//
// Every request updates these from its worker's thread, so each count is
// sharded by thread (a cache line per thread, no line bouncing between the
// workers); a reader sums the shards. Counts are relaxed atomics: a reader
// sees each count whole, and no order between them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace bg {

// The shard the calling thread updates: a worker sets its own index (0 for
// any other thread). Two threads on one shard stay correct (atomic adds).
void set_thread_shard(std::size_t index);
std::size_t thread_shard();
inline constexpr std::size_t shard_count = 8;

// The request-duration histogram's upper bounds (Prometheus `le`), in
// seconds: a management API's calls, from a cached answer on the same
// network (a millisecond) to a login and a report (tens of seconds). A
// 17th bucket, +Inf, holds the rest.
inline constexpr std::array<double, 16> duration_bounds_s{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,      2.5,   5,    10,    20,   30,  60};
inline constexpr std::size_t duration_buckets = duration_bounds_s.size() + 1;

// A counter summed over shards.
class sharded_counter {
public:
    void add(std::uint64_t n = 1) { shards_[thread_shard()].value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const;

private:
    struct alignas(64) shard {
        std::atomic<std::uint64_t> value{0};
    };
    std::array<shard, shard_count> shards_{};
};

// One backend's requests (those routed to it, whatever their answer).
class backend_observations {
public:
    // `started`: when the backend (its state) was made, so the first
    // minute's rate is over the time it has been up.
    backend_observations();

    // One request's end: its duration, whether it failed (answered 5xx,
    // or not answered at all after reaching the vendor), and the upstream
    // exchanges it made.
    void record(std::chrono::microseconds duration, bool failed, unsigned attempts);

    struct totals {
        std::array<std::uint64_t, duration_buckets> buckets{};  // not cumulative (bucket i alone)
        std::uint64_t count = 0;
        std::uint64_t failed = 0;
        std::uint64_t attempts = 0;
        std::uint64_t sum_us = 0;
    };
    // Since the backend was made.
    totals cumulative() const;

    struct minute {
        std::uint64_t requests = 0;
        std::uint64_t failed = 0;
        double seconds = 0;  // the window's length: 60, or less in the backend's first minute
        std::optional<double> p50_ms, p99_ms;  // none without requests
    };
    // The last 60 whole seconds and the current one's part.
    minute last_minute() const;

    // The quantile q (0..1) of a histogram's counts, interpolated linearly
    // inside its bucket (as Prometheus's histogram_quantile does); in ms.
    static std::optional<double> quantile_ms(const std::array<std::uint64_t, duration_buckets>& buckets, double q);
    static std::size_t bucket_of(std::chrono::microseconds d);

private:
    static constexpr std::size_t window = 61;  // one-second slots: 60 whole and the current one
    struct slot {
        std::atomic<std::int64_t> second{-1};  // which second (coarse clock) the counts are of
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> failed{0};
        std::array<std::atomic<std::uint64_t>, duration_buckets> buckets{};
    };
    struct alignas(64) shard {
        std::array<std::atomic<std::uint64_t>, duration_buckets> buckets{};
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> failed{0};
        std::atomic<std::uint64_t> attempts{0};
        std::atomic<std::uint64_t> sum_us{0};
        std::array<slot, window> slots{};
    };
    std::int64_t started_second_;
    std::array<shard, shard_count> shards_{};
};

// One client's (by its configured name; kept across reloads).
struct client_observations {
    sharded_counter requests;
    sharded_counter rate_limited;  // 429 rate-limited
};

}  // namespace bg
