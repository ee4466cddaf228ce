#include "gateway/access_entry.hpp"

#include "gateway/http_util.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bg {

access_entry::access_entry(worker& w, const boost::beast::http::request_header<>& req, const std::string& remote_ip,
                           std::string rid)
    : request_id(std::move(rid)),
      w_(w), timed_(w.access().enabled()),
      // (Always: the backend's duration histogram counts every request.)
      start_(clock::now()),
      // (Kept only for a line to write: the request's own target is rewritten for the upstream.)
      method_(w.access().enabled() ? std::string(req.method_string()) : std::string()),
      target_(w.access().enabled() ? std::string(req.target()) : std::string()),
      remote_ip_(remote_ip), generation_(w.rt().generation)
{
    w_.stats().requests.fetch_add(1, std::memory_order_relaxed);
    w_.stats().requests_in_flight.fetch_add(1, std::memory_order_relaxed);
}

void access_entry::trace_to(span_sink* sink, const trace_context* t, const boost::beast::http::request_header<>& req)
{
    spans = sink;
    trace = t;
    if (!sink || timed_)
        return;
    timed_ = true;
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
}

access_entry::~access_entry()
{
    if (!finished_)
        finish(0, true);
}

// The request's span: the gateway's in the W3C trace (server kind).
void access_entry::submit_span(unsigned status, std::chrono::microseconds took) const
{
    auto s = span::of_request(*trace);
    s.name = method_ + (backend.empty() ? std::string() : " /" + backend);
    const auto end = clock::now();
    s.set_times(end - took, end);
    s.attribute("http.request.method", method_);
    s.attribute("url.path", std::string_view(target_).substr(0, target_.find('?')));  // (no query: it may hold secrets)
    s.attribute("client.address", remote_ip_);
    if (status)
        s.attribute("http.response.status_code", static_cast<std::int64_t>(status));
    if (!backend.empty())
        s.attribute("backup_gateway.backend", backend);
    if (!principal.empty())
        s.attribute("backup_gateway.client", principal);
    s.attribute("backup_gateway.request_id", request_id);
    s.attribute("backup_gateway.attempts", static_cast<std::int64_t>(attempts));
    if (status >= 500 || status == 0) {
        s.error = true;
        s.status_message = status ? "answered " + std::to_string(status) : "no answer: the client went away";
    }
    spans->submit(std::move(s));
}

void access_entry::finish(unsigned status, bool aborted)
{
    if (finished_)
        return;
    finished_ = true;
    auto& stats = w_.stats();
    stats.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (status >= 100 && status < 600)
        stats.responses_by_class[status / 100].fetch_add(1, std::memory_order_relaxed);
    stats.bytes_in.fetch_add(bytes_in, std::memory_order_relaxed);
    stats.bytes_out.fetch_add(bytes_out, std::memory_order_relaxed);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start_);
    if (state)
        state->observed.record(took, status >= 500, attempts);
    if (client)
        client->requests.add();
    if (spans)
        submit_span(status, took);
    auto& sink = w_.access();
    if (!sink.enabled())
        return;
    const auto q = target_.find('?');
    boost::json::object line;
    line["time"] = log::now_rfc3339();
    line["request_id"] = request_id;
    line["trace_id"] = trace_id;
    line["remote"] = remote_ip_;
    line["client"] = principal.empty() ? boost::json::value(nullptr) : boost::json::value(principal);
    line["backend"] = backend.empty() ? boost::json::value(nullptr) : boost::json::value(backend);
    line["method"] = method_;
    line["path"] = target_.substr(0, q);
    line["query"] = q == std::string::npos ? std::string() : masked_query(std::string_view(target_).substr(q + 1));
    line["status"] = status;
    line["upstream_status"] = upstream_status == 0 ? boost::json::value(nullptr) : boost::json::value(upstream_status);
    line["attempts"] = attempts;
    line["bytes_in"] = bytes_in;
    line["bytes_out"] = bytes_out;
    line["duration_us"] = took.count();
    line["upstream_us"] = upstream_us;
    line["login_wait_us"] = login_wait_us;
    line["config_generation"] = generation_;
    if (aborted)
        line["aborted"] = true;
    sink.write_line(boost::json::serialize(line));
}

}  // namespace bg
