// What every thread shares, in three lifetimes (docs/operations.md, reload):
//
//   process_state   the process's: the access log, the Redis status, the
//                   local rate-limit state, the in-process Idempotency-Key
//                   records. Outlives every configuration.
//   backend_state   one backend as configured: its adapter (credentials,
//                   sessions), upstream target, health (breaker, concurrency
//                   limit), vendor throttle. Kept across a reload that leaves
//                   the backend's settings as they were (its fingerprint).
//   runtime         one configuration: the snapshot, the client keys, the
//                   backends, the listeners' TLS contexts, the rate limits.
//                   A request holds the runtime it started with to its end.
#pragma once

#include "adapters/adapter.hpp"
#include "config/config.hpp"
#include "gateway/client_auth.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/log.hpp"
#include "gateway/observed.hpp"
#include "gateway/tracing.hpp"
#include "gateway/resilience.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/upstream.hpp"

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bg {

struct process_state {
    explicit process_state(const config::gateway_config& first);

    log::access_sink access;  // its path is read at start (a reload that changes it is refused)
    redis_status redis_health;
    local_limiter limits_local;     // the rate limits without Redis
    local_limiter limits_fallback;  // ... while Redis is unreachable
    memory_idempotency_store idempotency;
    // Spans waiting for export (tracing:), or null.
    std::unique_ptr<span_sink> spans;
    const std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    // Reloads (docs/operations.md).
    std::atomic<std::uint64_t> reloads_succeeded{0};
    std::atomic<std::uint64_t> reloads_failed{0};
    struct reload_record {
        std::chrono::system_clock::time_point at;
        bool ok = false;
        std::string error;  // why it failed (names a file and line, never a secret)
    };
    void note_reload(bool ok, std::string error = {});
    std::optional<reload_record> last_reload() const;  // nullopt: none since the start

    // The clients' counts, by configured name: kept across reloads (a
    // runtime points at its clients' when it is made).
    client_observations& client(const std::string& name);

private:
    mutable std::mutex mutex_;  // the two below
    std::optional<reload_record> last_reload_;
    std::unordered_map<std::string, std::unique_ptr<client_observations>> clients_;
};

struct backend_state {
    // Builds the adapter and the upstream target for `b` (a copy is kept:
    // the adapter refers to it). Throws at start-up or reload.
    backend_state(const config::backend& b, const config::gateway_config& gw, process_state& process);
    backend_state(const backend_state&) = delete;
    backend_state& operator=(const backend_state&) = delete;

    const config::backend cfg;
    const std::string fingerprint;  // of every setting that shapes it (backend_fingerprint)
    std::unique_ptr<adapters::adapter> adapter;
    std::unique_ptr<upstream_target> target;
    std::unique_ptr<backend_health> health;
    // The adapter's auxiliary origin (a token endpoint), or null: its own
    // backend (the URL, TLS verified with the system's trust store, the
    // backend's timeouts) and target.
    std::unique_ptr<config::backend> auxiliary_backend;
    std::unique_ptr<upstream_target> auxiliary_target;
    // A vendor's 429 Retry-After: nothing is sent before this (µs since the epoch).
    std::atomic<std::int64_t> throttled_until{0};
    // Its requests (durations, failures, attempts) for /metrics and the status page.
    backend_observations observed;
    // The last upstream failure a client was answered (5xx or 429 from the
    // vendor, or no usable answer): when, and the problem's detail.
    struct upstream_failure {
        std::chrono::system_clock::time_point at;
        std::string detail;
    };
    void note_failure(std::string detail);
    std::optional<upstream_failure> last_failure() const;

private:
    mutable std::mutex failure_mutex_;
    std::optional<upstream_failure> last_failure_;
};

// What makes a backend_state: its settings, and the gateway's that shape it
// (Redis's key prefix and encryption key). Equal fingerprints: the same state.
std::string backend_fingerprint(const config::backend& b, const config::gateway_config& gw);

struct runtime {
    // Throws at start-up or reload (TLS files, an adapter's own checks).
    // `previous`: the configuration it replaces, whose backend states are
    // kept where their fingerprint is unchanged.
    runtime(config::snapshot snapshot, std::shared_ptr<process_state> process, std::uint64_t generation,
            const runtime* previous = nullptr);

    config::snapshot cfg;
    std::shared_ptr<process_state> process;
    std::uint64_t generation;  // 1 at start, one more per successful reload
    client_auth auth;
    std::vector<std::shared_ptr<backend_state>> backends;  // by backend index (the configuration's order)
    std::unordered_map<std::string_view, std::size_t> backend_index;
    std::vector<std::unique_ptr<asio::ssl::context>> listener_tls;  // by listener index; null: plain
    std::vector<client_observations*> client_stats;  // by client index (in process)
    mutable admission_control admission;  // rate limits and vendor throttles (shared, thread-safe)

    const std::size_t* find_backend(std::string_view name) const
    {
        auto it = backend_index.find(name);
        return it == backend_index.end() ? nullptr : &it->second;
    }
    backend_state& backend(std::size_t i) const { return *backends[i]; }
    adapters::adapter& adapter(std::size_t i) const { return *backends[i]->adapter; }
    backend_health& health(std::size_t i) const { return *backends[i]->health; }
    log::access_sink& access() const { return process->access; }
};

// The listeners' TLS contexts (certificate chain, key, client CA read now),
// by listener index; null for a plain listener. Throws naming the listener
// and its line (a key that does not match its certificate, a file unreadable).
std::vector<std::unique_ptr<asio::ssl::context>> make_listener_tls(const config::gateway_config& cfg);

// A configuration's change that a reload cannot apply (the admin listener,
// threads, Redis, the access log's path), named; nullopt: none.
std::optional<std::string> needs_restart(const config::gateway_config& running, const config::gateway_config& next);

// Counters one thread updates and the admin listener reads (relaxed atomics:
// each is a count, no ordering between them is promised).
struct metrics {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_open{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> requests_in_flight{0};
    std::atomic<std::uint64_t> responses_by_class[6]{};  // index status/100; [0] unused
    std::atomic<std::uint64_t> upstream_errors{0};
    std::atomic<std::uint64_t> upstream_replays{0};  // requests sent again after an upstream 401
    std::atomic<std::uint64_t> idempotent_replays{0};    // keyed requests answered from the store
    std::atomic<std::uint64_t> idempotency_refusals{0};  // 409 (running) and 422 (another body)
    std::atomic<std::uint64_t> outcomes_unknown{0};      // 502 outcome-unknown, first or repeated
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> bytes_out{0};
};

}  // namespace bg
