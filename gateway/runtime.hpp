// What every thread shares, read-only, for one configuration: the snapshot,
// the client keys, one adapter and one upstream target per backend, the
// listeners' TLS contexts and the access log.
#pragma once

#include "adapters/adapter.hpp"
#include "config/config.hpp"
#include "gateway/client_auth.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/log.hpp"
#include "gateway/resilience.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/upstream.hpp"

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bg {

struct runtime {
    explicit runtime(config::snapshot snapshot);  // throws at start-up (TLS files, access log)

    config::snapshot cfg;
    client_auth auth;
    mutable admission_control admission;  // rate limits and vendor throttles (shared, thread-safe)
    std::vector<std::unique_ptr<adapters::adapter>> adapters;  // by backend index
    std::vector<std::unique_ptr<upstream_target>> targets;     // by backend index
    std::vector<std::unique_ptr<backend_health>> health;       // by backend index: retry budget, breaker
    // The process's own idempotency records (without Redis; a worker's
    // idempotency() is Redis's when it is configured).
    std::unique_ptr<idempotency_store> idempotency = std::make_unique<memory_idempotency_store>();
    // The adapters' auxiliary origins (token endpoints), by backend index;
    // null when the adapter has none. Each has a backend of its own (its URL,
    // TLS verified with the system's trust store, the backend's timeouts).
    std::vector<std::unique_ptr<config::backend>> auxiliary_backends;
    std::vector<std::unique_ptr<upstream_target>> auxiliary_targets;
    std::unordered_map<std::string_view, std::size_t> backend_index;
    std::vector<std::unique_ptr<asio::ssl::context>> listener_tls;  // by listener index; null: plain
    log::access_sink access;

    const std::size_t* find_backend(std::string_view name) const
    {
        auto it = backend_index.find(name);
        return it == backend_index.end() ? nullptr : &it->second;
    }
};

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
