#include "gateway/resilience.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <random>

namespace bg {

outcome outcome_of_status(unsigned status)
{
    if (status == 429 || status == 502 || status == 503 || status == 504)
        return outcome::retryable;
    if (status >= 500)
        return outcome::failure;
    return outcome::success;
}

outcome outcome_of_error(const gateway_error& e)
{
    switch (e.code) {
    case errc::upstream_unreachable: return outcome::retryable;  // connect failure, reset or close before an answer
    case errc::upstream_timeout:
    case errc::upstream_bad_response: return outcome::failure;
    default: return outcome::success;  // ours or the client's, not the vendor's health
    }
}

namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994".
std::optional<std::time_t> parse_http_date(std::string_view v)
{
    static constexpr const char* formats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                              "%a %b %e %H:%M:%S %Y"};
    const std::string text(v);
    for (const char* f : formats) {
        std::tm tm{};
        const char* end = strptime(text.c_str(), f, &tm);
        if (end && *end == '\0')
            return timegm(&tm);
    }
    return std::nullopt;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::uint64_t seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc{} || end != value.data() + value.size())
            seconds = UINT32_MAX;  // absurdly long: never fits a deadline
        return milliseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(seconds, UINT32_MAX)) * 1000);
    }
    const auto date = parse_http_date(value);
    if (!date)
        return std::nullopt;
    const auto at = std::chrono::system_clock::from_time_t(*date);
    if (at <= now)
        return milliseconds(0);
    return std::chrono::duration_cast<milliseconds>(at - now);
}

milliseconds backoff(const config::retry_settings& s, unsigned retry, std::uint64_t random)
{
    const auto base = static_cast<std::uint64_t>(std::max<std::int64_t>(s.backoff_base.count(), 0));
    const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(s.backoff_cap.count(), 0));
    const unsigned shift = std::min(retry == 0 ? 0u : retry - 1, 32u);
    const std::uint64_t ceiling = std::min(cap, base << shift);
    if (ceiling == 0)
        return milliseconds(0);
    return milliseconds(static_cast<std::int64_t>(random % ceiling));
}

std::uint64_t jitter_random()
{
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return generator();
}

backend_health::backend_health(const config::retry_settings& retries, const config::breaker_settings& breaker,
                               const config::concurrency_settings& concurrency, clock_fn now)
    : now_(now), retry_(retries), breaker_(breaker), concurrency_(concurrency), open_period_(breaker.open_for),
      since_us_(std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count())
{
}

bool backend_health::try_enter()
{
    const std::uint64_t max = concurrency_.max_in_flight;
    if (max == 0) {
        in_flight_.fetch_add(1, std::memory_order_seq_cst);
        return true;
    }
    auto current = in_flight_.load(std::memory_order_seq_cst);
    while (current < max)
        if (in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_seq_cst))
            return true;
    return false;
}

// The waiter counts itself before it tries again, and leave() frees its slot
// before it looks for waiters: whichever comes second sees the other, so a
// slot freed while a request queues is never left idle.
backend_health::queued backend_health::enter_or_queue(const std::shared_ptr<waiter>& w)
{
    std::lock_guard lock(mutex_);
    waiting_.fetch_add(1, std::memory_order_seq_cst);
    if (try_enter()) {
        waiting_.fetch_sub(1, std::memory_order_seq_cst);
        return queued::entered;
    }
    if (waiters_.size() >= concurrency_.queue) {
        waiting_.fetch_sub(1, std::memory_order_seq_cst);
        overloaded_.fetch_add(1, std::memory_order_relaxed);
        return queued::full;
    }
    waiters_.push_back(w);
    return queued::waiting;
}

bool backend_health::withdraw(const std::shared_ptr<waiter>& w)
{
    std::lock_guard lock(mutex_);
    if (w->granted)
        return false;
    const auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it != waiters_.end()) {
        waiters_.erase(it);
        waiting_.fetch_sub(1, std::memory_order_seq_cst);
    }
    overloaded_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void backend_health::leave()
{
    in_flight_.fetch_sub(1, std::memory_order_seq_cst);
    if (waiting_.load(std::memory_order_seq_cst) == 0)
        return;
    std::lock_guard lock(mutex_);
    while (!waiters_.empty() && try_enter()) {
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        waiting_.fetch_sub(1, std::memory_order_seq_cst);
        w->granted = true;
        w->grant();
    }
}

bool backend_health::try_start_retry()
{
    const auto allowed = retry_.budget_min + in_flight() * retry_.budget_percent / 100;
    auto current = retries_in_flight_.load(std::memory_order_relaxed);
    while (current < allowed) {
        if (retries_in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) {
            retries_.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
    }
    retries_denied_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

backend_health::admission backend_health::admit(milliseconds& wait)
{
    if (state_.load(std::memory_order_acquire) == state::closed)
        return admission::allowed;
    const auto now = now_();
    std::lock_guard lock(mutex_);
    const auto s = state_.load(std::memory_order_relaxed);
    if (s == state::closed)
        return admission::allowed;
    if (now >= open_until_) {
        // The open period is over (or a probe went unanswered): one probe.
        transition_locked(state::half_open);
        open_until_ = now + probe_grace;
        return admission::probe;
    }
    // Open, or a probe is out: come back when the open period ends (at
    // least a second: Retry-After counts whole seconds).
    const auto left = s == state::open ? std::chrono::duration_cast<milliseconds>(open_until_ - now) : milliseconds(0);
    // (half-open: a probe is out; its outcome decides within a request's time)
    wait = std::max(left, milliseconds(1000));
    refused_.fetch_add(1, std::memory_order_relaxed);
    return admission::refused;
}

void backend_health::open_locked(steady::time_point now, milliseconds period)
{
    open_period_ = period;
    open_until_ = now + period;
    transition_locked(state::open);
    opened_.fetch_add(1, std::memory_order_relaxed);
}

void backend_health::transition_locked(state to)
{
    state_.store(to, std::memory_order_release);
    transitions_[static_cast<std::size_t>(to)].fetch_add(1, std::memory_order_relaxed);
    since_us_.store(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count(),
                    std::memory_order_relaxed);
}

void backend_health::record(bool failed, bool probe)
{
    if (breaker_.failures == 0)
        return;
    if (probe) {
        const auto now = now_();
        std::lock_guard lock(mutex_);
        if (failed) {
            open_locked(now, std::min(open_period_ * 2, breaker_.open_max));
        } else {
            consecutive_failures_.store(0, std::memory_order_relaxed);
            open_period_ = breaker_.open_for;
            transition_locked(state::closed);
        }
        return;
    }
    if (!failed) {
        // One load on the usual path; a store only when there was a failure to forget.
        if (consecutive_failures_.load(std::memory_order_relaxed) != 0)
            consecutive_failures_.store(0, std::memory_order_relaxed);
        return;
    }
    const auto n = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n < breaker_.failures)
        return;
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) == state::closed)
        open_locked(now, breaker_.open_for);
}

}  // namespace bg
