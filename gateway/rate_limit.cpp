#include "gateway/rate_limit.hpp"

#include "gateway/redis_client.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bg {
namespace {

std::int64_t micros(config::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

// Requests left at `now` when the TAT is `tat`: floor((now + τ − tat) / T) + 1, at least 0.
std::int64_t remaining_at(const prepared_limit& l, std::int64_t tat, std::int64_t now)
{
    const auto room = now + l.tolerance_us - tat;
    if (room < 0)
        return 0;
    return room / l.interval_us + 1;
}

// What one request does to the limits whose TATs are `tat` (0: a quiet
// key), at `now`: all admit it (and each TAT moves on) or it is refused
// (none moves).
admission decide(const std::vector<const prepared_limit*>& limits, std::vector<std::int64_t>& tat, std::int64_t now)
{
    admission a;
    std::int64_t wait = 0;
    for (std::size_t i = 0; i < limits.size(); ++i) {
        tat[i] = std::max(tat[i], now);
        wait = std::max(wait, tat[i] - limits[i]->tolerance_us - now);
    }
    if (wait > 0) {
        a.what = admission::verdict::limited;
        a.wait_us = wait;
    }
    a.states.reserve(limits.size());
    for (std::size_t i = 0; i < limits.size(); ++i) {
        if (a.what == admission::verdict::admitted)
            tat[i] += limits[i]->interval_us;
        a.states.push_back({remaining_at(*limits[i], tat[i], now), tat[i] - now});
    }
    return a;
}

std::string policy_name(std::string_view kind, std::size_t index)
{
    return index == 0 ? std::string(kind) : std::string(kind) + "-" + std::to_string(index + 1);
}

}  // namespace

std::vector<prepared_limit> prepare_limits(const std::vector<config::rate_limit>& limits, std::string_view prefix,
                                           std::string_view kind, std::string_view name)
{
    std::vector<prepared_limit> out;
    for (std::size_t i = 0; i < limits.size(); ++i) {
        const auto& l = limits[i];
        prepared_limit p;
        // The name last: what comes before it has no free text, so two
        // names can never make one key.
        p.key = std::string(prefix) + "rl:" + kind.front() + ":" + std::to_string(l.count) + "/" +
                std::to_string(l.period.count()) + "ms:" + std::to_string(l.burst) + ":" + std::string(name);
        p.policy = policy_name(kind, i);
        p.count = l.count;
        p.burst = l.burst;
        p.interval_us = std::max<std::int64_t>(1, micros(l.period) / static_cast<std::int64_t>(l.count));
        p.tolerance_us = p.interval_us * static_cast<std::int64_t>(l.burst - 1);
        p.interval_arg = std::to_string(p.interval_us);
        p.tolerance_arg = std::to_string(p.tolerance_us);
        p.window_s = std::max<std::int64_t>(1, l.period.count() / 1000);
        p.described = std::string(kind) + " '" + std::string(name) + "': " + l.spec + ", burst " +
                      std::to_string(l.burst);
        out.push_back(std::move(p));
    }
    return out;
}

prepared_limit divided(const prepared_limit& l, unsigned divisor)
{
    prepared_limit d = l;
    if (divisor <= 1)
        return d;
    d.interval_us = l.interval_us * divisor;
    d.burst = std::max<std::uint64_t>(1, l.burst / divisor);
    d.tolerance_us = d.interval_us * static_cast<std::int64_t>(d.burst - 1);
    d.count = std::max<std::uint64_t>(1, l.count / divisor);
    d.interval_arg = std::to_string(d.interval_us);
    d.tolerance_arg = std::to_string(d.tolerance_us);
    return d;
}

admission local_limiter::admit(const std::vector<const prepared_limit*>& limits, std::int64_t now)
{
    std::lock_guard lock(mutex_);
    scratch_.assign(limits.size(), 0);
    for (std::size_t i = 0; i < limits.size(); ++i) {
        auto it = tat_.find(limits[i]->key);
        if (it != tat_.end())
            scratch_[i] = it->second;
    }
    auto a = decide(limits, scratch_, now);
    if (a.what == admission::verdict::admitted)
        for (std::size_t i = 0; i < limits.size(); ++i)
            tat_[limits[i]->key] = scratch_[i];
    return a;
}

// ---------------------------------------------------------------- Redis

// KEYS[1..n]: the limits' keys; KEYS[n+1]: the backend's throttle key.
// ARGV[1]: n; ARGV[2]: the requests wanted (1, or a lease); ARGV[2i+1],
// ARGV[2i+2]: limit i's T and τ in µs. Grants as many as every limit has
// room for now, up to the wanted (none: refused). Returns {verdict (0
// admitted, 1 limited, 2 throttled), wait µs, granted, remaining 1, reset µs
// 1, ...}. Redis TIME is the clock of every replica. A refused request
// writes nothing. (Redis 7 replicates a script's effects, so TIME before a
// write is allowed.)
const redis::script& admission_script()
{
    static const redis::script s(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local granted = tonumber(ARGV[2])
local throttle = redis.call('PTTL', KEYS[n + 1])
local tats = {}
local wait = 0
for i = 1, n do
  local T = tonumber(ARGV[2 * i + 1])
  local tau = tonumber(ARGV[2 * i + 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  local w = tat - tau - now
  if w > wait then wait = w end
  local room = 0
  if w <= 0 then room = math.floor((now + tau - tat) / T) + 1 end
  if room < granted then granted = room end
end
local out = {0, 0, 0}
if throttle > 0 then
  out[1] = 2
  out[2] = throttle * 1000
elseif granted < 1 then
  out[1] = 1
  out[2] = wait
else
  out[3] = granted
end
for i = 1, n do
  local T = tonumber(ARGV[2 * i + 1])
  local tau = tonumber(ARGV[2 * i + 2])
  local tat = tats[i]
  if out[1] == 0 then
    tat = tat + granted * T
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
  local room = now + tau - tat
  local remaining = 0
  if room >= 0 then remaining = math.floor(room / T) + 1 end
  out[#out + 1] = remaining
  out[#out + 1] = tat - now
end
return out
)lua");
    return s;
}

std::vector<std::string> admission_command(const std::vector<const prepared_limit*>& limits,
                                           const std::string& throttle_key, std::int64_t wanted)
{
    std::vector<std::string> argv;
    argv.reserve(5 + limits.size() * 3 + 1);
    argv.emplace_back("EVALSHA");
    argv.push_back(admission_script().sha1);
    argv.push_back(std::to_string(limits.size() + 1));
    for (const auto* l : limits)
        argv.push_back(l->key);
    argv.push_back(throttle_key);
    argv.push_back(std::to_string(limits.size()));
    argv.push_back(std::to_string(std::max<std::int64_t>(1, wanted)));
    for (const auto* l : limits) {
        argv.push_back(l->interval_arg);
        argv.push_back(l->tolerance_arg);
    }
    return argv;
}

std::optional<admission> read_admission(const redis::reply& r, std::size_t limits)
{
    using kind = redis::reply::kind;
    if (r.type != kind::array || r.elements.size() != 3 + 2 * limits)
        return std::nullopt;
    for (const auto& e : r.elements)
        if (e.type != kind::integer)
            return std::nullopt;
    admission a;
    const auto verdict = r.elements[0].integer;
    if (verdict < 0 || verdict > 2)
        return std::nullopt;
    a.what = static_cast<admission::verdict>(verdict);
    a.wait_us = r.elements[1].integer;
    a.granted = r.elements[2].integer;
    if (a.what == admission::verdict::admitted && a.granted < 1)
        return std::nullopt;
    for (std::size_t i = 0; i < limits; ++i)
        a.states.push_back({r.elements[3 + 2 * i].integer, r.elements[4 + 2 * i].integer});
    return a;
}

// KEYS[1]: the throttle key; ARGV[1]: ms; ARGV[2]: the channel every
// replica listens on; ARGV[3]: the message (the backend and the ms). A
// longer throttle already held stays; the message goes out either way.
const redis::script& throttle_script()
{
    static const redis::script s(R"lua(
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
)lua");
    return s;
}

std::vector<std::string> throttle_command(const std::string& throttle_key, const std::string& channel,
                                          std::string_view backend, std::int64_t ms)
{
    const auto wait = std::to_string(std::max<std::int64_t>(1, ms));
    return {"EVALSHA", throttle_script().sha1, "1", throttle_key, wait, channel, std::string(backend) + "\n" + wait};
}

std::optional<std::pair<std::string, std::int64_t>> read_throttle_message(std::string_view payload)
{
    const auto nl = payload.find('\n');
    if (nl == std::string_view::npos || nl == 0)
        return std::nullopt;
    std::int64_t ms = 0;
    const auto digits = payload.substr(nl + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec != std::errc{} || end != digits.data() + digits.size() || ms <= 0)
        return std::nullopt;
    return std::make_pair(std::string(payload.substr(0, nl)), ms);
}

void hold_until(std::atomic<std::int64_t>& slot, std::int64_t until)
{
    auto seen = slot.load(std::memory_order_relaxed);
    while (seen < until && !slot.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
    }
}

// ---------------------------------------------------------------- header fields

namespace {

// q and w of a limit: its count per its period in whole seconds; a period
// that is not whole seconds is given per second.
std::pair<std::uint64_t, std::int64_t> quota_window(const prepared_limit& l)
{
    const auto period_us = l.interval_us * static_cast<std::int64_t>(l.count);
    if (period_us % 1'000'000 == 0)
        return {l.count, period_us / 1'000'000};
    return {std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(1e6 / static_cast<double>(l.interval_us)))),
            1};
}

std::int64_t ceil_seconds(std::int64_t us) { return (us + 999'999) / 1'000'000; }

}  // namespace

std::string ratelimit_policy_field(const std::vector<const prepared_limit*>& limits)
{
    std::string out;
    for (const auto* l : limits) {
        if (!out.empty())
            out += ", ";
        const auto [q, w] = quota_window(*l);
        out += "\"" + l->policy + "\";q=" + std::to_string(q) + ";w=" + std::to_string(w);
    }
    return out;
}

std::string ratelimit_field(const std::vector<const prepared_limit*>& limits, const admission& a)
{
    std::string out;
    for (std::size_t i = 0; i < limits.size() && i < a.states.size(); ++i) {
        if (!out.empty())
            out += ", ";
        out += "\"" + limits[i]->policy + "\";r=" + std::to_string(a.states[i].remaining) +
               ";t=" + std::to_string(ceil_seconds(a.states[i].reset_us));
    }
    return out;
}

}  // namespace bg
