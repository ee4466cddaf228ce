#include "gateway/observed.hpp"

#include "gateway/coarse_clock.hpp"

#include <algorithm>

namespace bg {
namespace {

thread_local std::size_t this_shard = 0;

std::int64_t second_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(coarse_clock::now().time_since_epoch()).count();
}

constexpr auto relaxed = std::memory_order_relaxed;

}  // namespace

void set_thread_shard(std::size_t index) { this_shard = index % shard_count; }
std::size_t thread_shard() { return this_shard; }

std::uint64_t sharded_counter::value() const
{
    std::uint64_t total = 0;
    for (const auto& s : shards_)
        total += s.value.load(relaxed);
    return total;
}

backend_observations::backend_observations() : started_second_(second_now()) {}

std::size_t backend_observations::bucket_of(std::chrono::microseconds d)
{
    const double s = static_cast<double>(d.count()) / 1e6;
    const auto it = std::lower_bound(duration_bounds_s.begin(), duration_bounds_s.end(), s);
    return static_cast<std::size_t>(it - duration_bounds_s.begin());  // size(): +Inf
}

void backend_observations::record(std::chrono::microseconds duration, bool failed, unsigned attempts)
{
    auto& s = shards_[thread_shard()];
    const auto b = bucket_of(duration);
    s.buckets[b].fetch_add(1, relaxed);
    s.count.fetch_add(1, relaxed);
    s.sum_us.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count())), relaxed);
    if (attempts)
        s.attempts.fetch_add(attempts, relaxed);
    if (failed)
        s.failed.fetch_add(1, relaxed);
    // The minute's slot for this second: a slot last used a minute ago (or
    // more) is claimed and cleared by the one thread whose exchange wins.
    const auto now = second_now();
    auto& now_slot = s.slots[static_cast<std::size_t>(now) % window];
    auto seen = now_slot.second.load(std::memory_order_acquire);
    if (seen != now && now_slot.second.compare_exchange_strong(seen, now, std::memory_order_acq_rel)) {
        now_slot.count.store(0, relaxed);
        now_slot.failed.store(0, relaxed);
        for (auto& c : now_slot.buckets)
            c.store(0, relaxed);
    }
    now_slot.count.fetch_add(1, relaxed);
    if (failed)
        now_slot.failed.fetch_add(1, relaxed);
    now_slot.buckets[b].fetch_add(1, relaxed);
}

backend_observations::totals backend_observations::cumulative() const
{
    totals t;
    for (const auto& s : shards_) {
        for (std::size_t i = 0; i < duration_buckets; ++i)
            t.buckets[i] += s.buckets[i].load(relaxed);
        t.count += s.count.load(relaxed);
        t.failed += s.failed.load(relaxed);
        t.attempts += s.attempts.load(relaxed);
        t.sum_us += s.sum_us.load(relaxed);
    }
    return t;
}

backend_observations::minute backend_observations::last_minute() const
{
    const auto now = second_now();
    minute m;
    std::array<std::uint64_t, duration_buckets> buckets{};
    for (const auto& s : shards_) {
        for (const auto& past : s.slots) {
            const auto second = past.second.load(std::memory_order_acquire);
            if (second < 0 || second > now || now - second >= static_cast<std::int64_t>(window))
                continue;
            m.requests += past.count.load(relaxed);
            m.failed += past.failed.load(relaxed);
            for (std::size_t i = 0; i < duration_buckets; ++i)
                buckets[i] += past.buckets[i].load(relaxed);
        }
    }
    // 60 whole seconds and the current one's part (taken as half, on average).
    m.seconds = std::clamp(static_cast<double>(now - started_second_) + 0.5, 1.0, 60.5);
    m.p50_ms = quantile_ms(buckets, 0.5);
    m.p99_ms = quantile_ms(buckets, 0.99);
    return m;
}

std::optional<double> backend_observations::quantile_ms(const std::array<std::uint64_t, duration_buckets>& buckets,
                                                        double q)
{
    std::uint64_t total = 0;
    for (auto c : buckets)
        total += c;
    if (total == 0)
        return std::nullopt;
    const double rank = q * static_cast<double>(total);
    double below = 0;
    for (std::size_t i = 0; i < duration_buckets; ++i) {
        const auto c = static_cast<double>(buckets[i]);
        if (c > 0 && below + c >= rank) {
            if (i == duration_bounds_s.size())  // +Inf: the highest bound is all that is known
                return duration_bounds_s.back() * 1000;
            const double lower = i == 0 ? 0 : duration_bounds_s[i - 1];
            const double upper = duration_bounds_s[i];
            return (lower + (upper - lower) * ((rank - below) / c)) * 1000;
        }
        below += c;
    }
    return duration_bounds_s.back() * 1000;
}

}  // namespace bg
