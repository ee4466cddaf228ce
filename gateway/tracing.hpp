// OTLP/HTTP span export (docs/operations.md, "Trace context"): a span per
// request (the gateway's span of the W3C trace, the parent the vendor sees),
// per upstream attempt and per vendor login, for the traces the gateway
// records (sampled: a client's sampled trace, or a new one while tracing is
// on). Spans wait in one bounded queue that drops rather than makes a
// request wait; worker 0 posts them to the collector in batches as OTLP
// JSON (opentelemetry-proto, ExportTraceServiceRequest).
#pragma once

#include "config/config.hpp"
#include "gateway/trace_context.hpp"
#include "gateway/upstream.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bg {

struct span {
    enum class kind { internal = 1, server = 2, client = 3 };  // OTLP's SpanKind
    std::array<char, 32> trace_id{};
    std::array<char, 16> span_id{};
    std::array<char, 16> parent_id{};
    bool has_parent = false;
    std::string name;
    kind what = kind::internal;
    std::int64_t start_ns = 0;  // Unix time
    std::int64_t end_ns = 0;
    boost::json::array attributes;  // OTLP KeyValue objects (attribute())
    bool error = false;
    std::string status_message;

    // The gateway's own span of `t` (the parent the vendor sees; its parent
    // the client's span when the trace was joined).
    static span of_request(const trace_context& t);
    // A child of the gateway's span, with a new id.
    static span child_of(const trace_context& t);
    // Start and end from a steady-clock interval (read as Unix time now).
    void set_times(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to);
    void attribute(std::string_view key, std::string_view value);
    void attribute(std::string_view key, std::int64_t value);
};

// The bounded queue between the requests and the exporter (any thread).
class span_sink {
public:
    explicit span_sink(std::size_t capacity) : capacity_(capacity) {}

    // Queued, or dropped (counted) when the queue is full: never waits.
    void submit(span s);
    // Up to `max` spans, oldest first.
    std::vector<span> take(std::size_t max);
    std::size_t queued() const;

    void count_exported(std::size_t n) { exported_.fetch_add(n, std::memory_order_relaxed); }
    void count_failed(std::size_t n)
    {
        failed_.fetch_add(n, std::memory_order_relaxed);
        failed_exports_.fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
    std::uint64_t failed_exports() const { return failed_exports_.load(std::memory_order_relaxed); }

private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<span> queue_;
    std::atomic<std::uint64_t> exported_{0}, dropped_{0}, failed_{0}, failed_exports_{0};
};

// An ExportTraceServiceRequest of `spans` as OTLP JSON (ids in hex, times
// and integers as decimal strings, as the OTLP/JSON mapping has them).
std::string otlp_json(const std::vector<span>& spans, std::string_view service_name, std::string_view version);

class worker;

// Posts what the sink holds to the collector, on one worker's loop: every
// tracing.interval, in requests of tracing.batch spans at most, each within
// tracing.timeout (TLS verified as for a backend). A failed export's spans
// are dropped and counted (never retried: the queue stays bounded); the
// first failure after a success, and the first success after, are logged.
class span_exporter {
public:
    span_exporter(const config::tracing_settings& settings, span_sink& sink, worker& w);
    span_exporter(const span_exporter&) = delete;
    span_exporter& operator=(const span_exporter&) = delete;

    // Until the loop stops.
    awaitable<void> run();
    // What waits, now (each round, and at shutdown), until a batch fails.
    awaitable<void> flush();

private:
    awaitable<void> post(std::vector<span> batch);

    const config::tracing_settings settings_;
    config::backend collector_;
    upstream_target target_;
    upstream_pool pool_;
    span_sink& sink_;
    worker& w_;
    bool failing_ = false;
};

}  // namespace bg
