// Rate limits and vendor throttling (docs/scale-out.md), shared by replicas
// through Redis when `redis:` is configured, else held by this process.
//
// A limit is GCRA (the generic cell rate algorithm): each key keeps one
// number, its theoretical arrival time (TAT). A request at `now` is admitted
// when TAT − τ ≤ now, and then TAT becomes max(TAT, now) + T, where T is the
// emission interval (period ÷ count) and τ = (burst − 1)·T the tolerance: a
// quiet key admits `burst` requests at once, then one per T.
//
// Every limit of a request (its client's and its backend's) and its backend's
// throttle are decided in one step: in one Lua script (one round trip, Redis
// TIME as the clock: the replicas' clocks do not matter), or under one lock
// here. A refused request consumes nothing.
//
// Keys are built from names in the configuration only (the client's or the
// backend's name and the limit's rate and burst), never from anything
// node-local: the same limit is the same key on every replica.
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <utility>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bg {

namespace redis {
struct reply;
struct script;
}

// One configured limit, ready to apply.
struct prepared_limit {
    std::string key;          // prefix + "rl:c:50/10000ms:10:" + name ("c" client, "b" backend)
    std::string policy;       // its name in RateLimit-Policy ("client", "backend", "client-2"...)
    std::int64_t interval_us = 0;   // T
    std::int64_t tolerance_us = 0;  // τ = (burst − 1)·T
    std::string interval_arg;       // T and τ as the script's arguments (decimal)
    std::string tolerance_arg;
    std::uint64_t burst = 0;
    std::uint64_t count = 0;
    std::int64_t window_s = 0;  // the period in seconds (at least 1), RateLimit-Policy's w
    std::string described;      // "client 'ops': 50/10s, burst 10" (problem details)
};

// `kind`: "client" or "backend". Each limit of the list, with its key.
std::vector<prepared_limit> prepare_limits(const std::vector<config::rate_limit>& limits, std::string_view prefix,
                                           std::string_view kind, std::string_view name);
// The same limit at 1/`divisor` of its rate and burst (at least a burst of 1):
// what one replica enforces alone while Redis is unreachable.
prepared_limit divided(const prepared_limit& l, unsigned divisor);

// The outcome of one request's admission.
struct admission {
    enum class verdict { admitted, limited, throttled };
    verdict what = verdict::admitted;
    // limited: until the refusing limits would admit it; throttled: until the
    // vendor's Retry-After runs out.
    std::int64_t wait_us = 0;
    // Per limit, in the order given: requests left now, and µs until the
    // limit is whole again.
    struct state {
        std::int64_t remaining = 0;
        std::int64_t reset_us = 0;
    };
    std::vector<state> states;
    std::int64_t granted = 1;  // admitted through Redis: the requests granted (a lease, when more than 1)
    bool fallback = false;  // decided here at limit ÷ replicas_hint: Redis could not be reached
};

// The limits of this process: its own (no Redis), or the fallback while
// Redis is unreachable (then at limit ÷ replicas_hint). Thread-safe.
class local_limiter {
public:
    admission admit(const std::vector<const prepared_limit*>& limits, std::int64_t now_us);

private:
    std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> tat_;  // by key; the keys are the configuration's: bounded
    std::vector<std::int64_t> scratch_;
};

// Redis: the admission script, the command (EVALSHA sha numkeys key...
// throttle_key n wanted T1 τ1 T2 τ2 ...; `wanted`: 1, or a lease's size),
// and its reply read back.
const redis::script& admission_script();
std::vector<std::string> admission_command(const std::vector<const prepared_limit*>& limits,
                                           const std::string& throttle_key, std::int64_t wanted = 1);
// nullopt: the reply is not the script's (a bug, or another script under that SHA).
std::optional<admission> read_admission(const redis::reply& r, std::size_t limits);

// Records a vendor's throttle (its 429's Retry-After): nothing for `ms` ms
// (kept if a longer one holds already), and tells every replica at once on
// `channel` ("<backend>\n<ms>").
const redis::script& throttle_script();
std::vector<std::string> throttle_command(const std::string& throttle_key, const std::string& channel,
                                          std::string_view backend, std::int64_t ms);
// A throttle message: the backend and its ms; nullopt when malformed.
std::optional<std::pair<std::string, std::int64_t>> read_throttle_message(std::string_view payload);
// Moves `slot` on to `until` unless it holds a later time already.
void hold_until(std::atomic<std::int64_t>& slot, std::int64_t until);

// The 429's header fields (draft-ietf-httpapi-ratelimit-headers-10 §4, §5):
//   RateLimit-Policy: "client";q=50;w=10, "backend";q=100;w=1
//   RateLimit: "client";r=0;t=3, "backend";r=80;t=1
std::string ratelimit_policy_field(const std::vector<const prepared_limit*>& limits);
std::string ratelimit_field(const std::vector<const prepared_limit*>& limits, const admission& a);

// Now, in µs since the epoch (the local clock: used without Redis).
inline std::int64_t now_us()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace bg
