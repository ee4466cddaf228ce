#include "gateway/tracing.hpp"

#include "gateway/log.hpp"
#include "gateway/worker.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

#ifndef BG_VERSION
#define BG_VERSION "0.0.0"
#endif

namespace bg {
namespace json = boost::json;

span span::of_request(const trace_context& t)
{
    span s;
    const auto trace = t.trace_id();
    const auto own = t.span_id();
    std::copy(trace.begin(), trace.end(), s.trace_id.begin());
    std::copy(own.begin(), own.end(), s.span_id.begin());
    if (t.joined) {
        s.parent_id = t.client_parent;
        s.has_parent = true;
    }
    s.what = kind::server;
    return s;
}

span span::child_of(const trace_context& t)
{
    span s;
    const auto trace = t.trace_id();
    const auto parent = t.span_id();
    std::copy(trace.begin(), trace.end(), s.trace_id.begin());
    std::copy(parent.begin(), parent.end(), s.parent_id.begin());
    s.has_parent = true;
    new_span_id(s.span_id.data());
    return s;
}

void span::set_times(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to)
{
    const auto wall_now = std::chrono::system_clock::now();
    const auto steady_now = std::chrono::steady_clock::now();
    auto unix_ns = [&](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(wall_now.time_since_epoch() -
                                                                    (steady_now - t))
            .count();
    };
    start_ns = unix_ns(from);
    end_ns = std::max(start_ns, unix_ns(to));
}

void span::attribute(std::string_view key, std::string_view value)
{
    attributes.push_back(json::object{{"key", key}, {"value", json::object{{"stringValue", value}}}});
}

void span::attribute(std::string_view key, std::int64_t value)
{
    attributes.push_back(json::object{{"key", key}, {"value", json::object{{"intValue", std::to_string(value)}}}});
}

void span_sink::submit(span s)
{
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    queue_.push_back(std::move(s));
}

std::vector<span> span_sink::take(std::size_t max)
{
    std::vector<span> out;
    std::lock_guard lock(mutex_);
    if (queue_.size() <= max) {
        out.swap(queue_);
        return out;
    }
    out.assign(std::make_move_iterator(queue_.begin()),
               std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(max)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(max));
    return out;
}

std::size_t span_sink::queued() const
{
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::string otlp_json(const std::vector<span>& spans, std::string_view service_name, std::string_view version)
{
    json::array list;
    list.reserve(spans.size());
    for (const auto& s : spans) {
        json::object o;
        o["traceId"] = std::string_view(s.trace_id.data(), s.trace_id.size());
        o["spanId"] = std::string_view(s.span_id.data(), s.span_id.size());
        if (s.has_parent)
            o["parentSpanId"] = std::string_view(s.parent_id.data(), s.parent_id.size());
        o["name"] = s.name;
        o["kind"] = static_cast<int>(s.what);
        o["startTimeUnixNano"] = std::to_string(s.start_ns);
        o["endTimeUnixNano"] = std::to_string(s.end_ns);
        o["attributes"] = s.attributes;
        json::object status;
        status["code"] = s.error ? 2 : 0;  // STATUS_CODE_ERROR, or unset
        if (s.error && !s.status_message.empty())
            status["message"] = s.status_message;
        o["status"] = std::move(status);
        list.push_back(std::move(o));
    }
    json::object resource{
        {"attributes", json::array{json::object{{"key", "service.name"},
                                                {"value", json::object{{"stringValue", service_name}}}}}}};
    json::object scope{{"name", "backup-gateway"}, {"version", version}};
    json::object scope_spans{{"scope", std::move(scope)}, {"spans", std::move(list)}};
    json::object resource_spans{{"resource", std::move(resource)},
                                {"scopeSpans", json::array{std::move(scope_spans)}}};
    return json::serialize(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

namespace {

config::backend collector_of(const config::tracing_settings& t)
{
    config::backend b;
    b.name = "tracing collector";
    b.type = "http";
    b.url = t.url;
    b.base_url = t.endpoint;
    b.timeouts.connect = t.timeout;
    b.timeouts.request = t.timeout;
    return b;
}

}  // namespace

span_exporter::span_exporter(const config::tracing_settings& settings, span_sink& sink, worker& w)
    : settings_(settings), collector_(collector_of(settings)), target_(collector_),
      pool_(w.io().get_executor(), target_), sink_(sink), w_(w)
{
}

awaitable<void> span_exporter::run()
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(settings_.interval);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;
        co_await flush();
    }
}

awaitable<void> span_exporter::flush()
{
    // Batch after batch while the collector takes them; after a failure the
    // rest waits for the next round (or, at shutdown, is lost): a collector
    // away costs one timeout a round, not one a batch.
    while (sink_.queued() > 0) {
        co_await post(sink_.take(settings_.batch));
        if (failing_)
            co_return;
    }
}

awaitable<void> span_exporter::post(std::vector<span> batch)
{
    if (batch.empty())
        co_return;
    http::request<http::string_body> req{http::verb::post,
                                         target_.backend().url.base_path.empty() ? "/" : target_.backend().url.base_path,
                                         11};
    req.set(http::field::host, target_.host_header());
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "backup-gateway/" BG_VERSION);
    req.body() = otlp_json(batch, settings_.service_name, BG_VERSION);
    req.prepare_payload();
    pool_client client(w_.deadlines(), pool_, true);
    auto result = co_await client.send(req);
    std::string failure;
    if (const auto* e = std::get_if<gateway_error>(&result))
        failure = e->detail;
    else if (const auto status = std::get<adapters::upstream_response>(result).result_int(); status / 100 != 2)
        failure = "the collector answered " + std::to_string(status);
    if (failure.empty()) {
        sink_.count_exported(batch.size());
        if (std::exchange(failing_, false))
            log::info("span export: the collector takes spans again", {{"endpoint", settings_.endpoint}});
        co_return;
    }
    sink_.count_failed(batch.size());
    if (!std::exchange(failing_, true))
        log::warn("span export failed: spans are dropped until the collector takes them again",
                  {{"endpoint", settings_.endpoint}, {"error", failure}, {"spans", batch.size()}});
}

}  // namespace bg
