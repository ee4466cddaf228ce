// W3C trace context through the gateway (issue 18): the client's traceparent
// joined and sent on with the gateway's own span as the parent, or a trace
// started; the trace id in the access log and in every problem document.
// backup-sim records the headers it received (last_request).
#define BOOST_TEST_MODULE integration_trace
#include "tests/integration/test_upstream.hpp"
#include "tests/integration/vendor_env.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <sstream>

using namespace bgtest;

namespace {

const std::string client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string client_parent = "00f067aa0ba902b7";

// The headers of the last request backup-sim's CPM received.
boost::json::object vendor_headers(const env& e)
{
    const auto state = e.sim.state("cpm");
    return state.at("last_request").at("headers").as_object();
}

std::string header_of(const boost::json::object& headers, std::string_view name)
{
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : std::string(it->value().as_string());
}

// The access-log line of the request with this X-Request-Id.
boost::json::object log_line(const env& e, const std::string& request_id)
{
    for (int i = 0; i < 100; ++i) {
        std::istringstream lines(e.gw->access_log());
        for (std::string line; std::getline(lines, line);)
            if (line.find("\"" + request_id + "\"") != std::string::npos)
                return boost::json::parse(line).as_object();
        std::this_thread::sleep_for(50ms);  // (the log is flushed within a second)
    }
    BOOST_FAIL("no access-log line for " << request_id);
    return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_client_trace_is_joined_and_sent_on)
{
    env e;
    const auto r = e.get("/cpm/regions/", {"-H", "traceparent: 00-" + client_trace + "-" + client_parent + "-01",
                                          "-H", "tracestate: congo=t61rcWkgMzE", "-H", "X-Request-Id: trace-1"});
    BOOST_TEST_REQUIRE(r.status == 200u);
    const auto headers = vendor_headers(e);
    const auto sent = header_of(headers, "traceparent");
    BOOST_TEST(sent.size() == 55u);
    BOOST_TEST(sent.substr(0, 36) == "00-" + client_trace + "-");   // the client's trace
    BOOST_TEST(sent.substr(36, 16) != client_parent);              // the gateway's span is the parent
    BOOST_TEST(sent.substr(36, 16).find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(sent.substr(52) == "-01");                          // its flags kept
    BOOST_TEST(header_of(headers, "tracestate") == "congo=t61rcWkgMzE");
    BOOST_TEST(log_line(e, "trace-1").at("trace_id").as_string() == client_trace);
}

BOOST_AUTO_TEST_CASE(no_or_an_invalid_traceparent_starts_a_trace)
{
    env e;
    BOOST_TEST_REQUIRE(e.get("/cpm/regions/", {"-H", "tracestate: congo=t61rcWkgMzE", "-H", "X-Request-Id: trace-2"})
                           .status == 200u);
    auto headers = vendor_headers(e);
    const auto started = header_of(headers, "traceparent");
    BOOST_TEST(started.size() == 55u);
    BOOST_TEST(started.substr(0, 3) == "00-");
    BOOST_TEST(started.substr(52) == "-00");
    BOOST_TEST(header_of(headers, "tracestate").empty());  // no tracestate without its traceparent
    const std::string logged(log_line(e, "trace-2").at("trace_id").as_string());
    BOOST_TEST(started.substr(3, 32) == logged);
    // Uppercase hex is not a traceparent (§3.2.2.3): a new trace.
    BOOST_TEST_REQUIRE(e.get("/cpm/regions/", {"-H", "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-" +
                                                         client_parent + "-01"})
                           .status == 200u);
    headers = vendor_headers(e);
    const auto fresh = header_of(headers, "traceparent");
    BOOST_TEST(fresh.substr(3, 32) != "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(fresh.substr(3, 32) != started.substr(3, 32));
}

BOOST_AUTO_TEST_CASE(every_problem_names_its_trace)
{
    env e;
    const std::string tp = "traceparent: 00-" + client_trace + "-" + client_parent + "-01";
    const auto unknown = e.get("/nowhere/x", {"-H", tp});
    BOOST_TEST(unknown.status == 404u);
    BOOST_TEST(unknown.json().at("trace_id").as_string() == client_trace);
    const auto refused = gateway_get(*e.gw, "not-a-key", "/cpm/regions/", {"-H", tp});
    BOOST_TEST(refused.status == 401u);
    BOOST_TEST(refused.json().at("trace_id").as_string() == client_trace);
    const auto fresh = e.get("/nowhere/x");
    BOOST_TEST(fresh.json().at("trace_id").as_string().size() == 32u);
}

// ---- OTLP/HTTP span export (tracing:) -------------------------------------

namespace {

const std::string pagination = "{default_limit: 20, max_limit: 60, max_upstream_requests: 20}";

// Every span the collector (a test_upstream) was posted, as OTLP JSON objects.
std::vector<boost::json::object> spans_posted(const test_upstream& collector)
{
    std::vector<boost::json::object> out;
    for (const auto& r : collector.received()) {
        if (r.method != "POST" || !r.body_complete)
            continue;
        BOOST_TEST(r.target == "/v1/traces");
        const auto doc = boost::json::parse(r.body).as_object();
        for (const auto& rs : doc.at("resourceSpans").as_array()) {
            const auto& attrs = rs.at("resource").at("attributes").as_array();
            BOOST_TEST(attrs.at(0).at("key").as_string() == "service.name");
            for (const auto& ss : rs.at("scopeSpans").as_array())
                for (const auto& s : ss.at("spans").as_array())
                    out.push_back(s.as_object());
        }
    }
    return out;
}

std::string attribute(const boost::json::object& span, std::string_view key)
{
    for (const auto& a : span.at("attributes").as_array())
        if (a.at("key").as_string() == key) {
            const auto& v = a.at("value").as_object();
            return std::string(v.contains("stringValue") ? v.at("stringValue").as_string()
                                                         : v.at("intValue").as_string());
        }
    return {};
}

// Waits until the collector holds a span that `match` accepts; returns every span then.
template <class Match>
std::vector<boost::json::object> wait_for_span(const test_upstream& collector, Match match)
{
    for (int i = 0; i < 100; ++i) {
        auto spans = spans_posted(collector);
        for (const auto& s : spans)
            if (match(s))
                return spans;
        std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("the collector has no such span; it has " << spans_posted(collector).size());
    return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(spans_of_a_request_its_attempt_and_its_login_reach_the_collector)
{
    test_upstream collector;
    env e({}, pagination,
          "tracing: {otlp_endpoint: \"" + collector.base_url() + "/v1/traces\", interval: 50ms, service_name: gw-test}\n");
    // The first request to CPM logs in: a login span, then the attempt's, then the request's.
    const auto r = e.get("/cpm/regions/", {"-H", "traceparent: 00-" + client_trace + "-" + client_parent + "-01",
                                          "-H", "X-Request-Id: otlp-1"});
    BOOST_TEST_REQUIRE(r.status == 200u);
    const auto vendor_parent = header_of(vendor_headers(e), "traceparent").substr(36, 16);
    const auto spans = wait_for_span(collector, [](const auto& s) {
        return attribute(s, "backup_gateway.request_id") == "otlp-1";
    });
    const boost::json::object* request = nullptr;
    std::vector<const boost::json::object*> children;
    for (const auto& s : spans) {
        if (s.at("traceId").as_string() != client_trace)
            continue;
        if (attribute(s, "backup_gateway.request_id") == "otlp-1")
            request = &s;
        else
            children.push_back(&s);
    }
    BOOST_TEST_REQUIRE(request != nullptr);
    // The request's span is the gateway's in the client's trace: the parent the vendor saw.
    BOOST_TEST(request->at("spanId").as_string() == vendor_parent);
    BOOST_TEST(request->at("parentSpanId").as_string() == client_parent);
    BOOST_TEST(request->at("kind").as_int64() == 2);  // server
    BOOST_TEST(request->at("name").as_string() == "GET /cpm");
    BOOST_TEST(attribute(*request, "http.response.status_code") == "200");
    BOOST_TEST(attribute(*request, "backup_gateway.client") == "tester");
    BOOST_TEST(attribute(*request, "url.path") == "/cpm/regions/");
    const auto start = std::stoll(std::string(request->at("startTimeUnixNano").as_string()));
    const auto end = std::stoll(std::string(request->at("endTimeUnixNano").as_string()));
    BOOST_TEST(start > 1'700'000'000'000'000'000LL);
    BOOST_TEST(end >= start);
    // Its children: the vendor login and the upstream attempt, inside its time.
    bool login = false, attempt = false;
    for (const auto* c : children) {
        BOOST_TEST(c->at("parentSpanId").as_string() == vendor_parent);
        BOOST_TEST(c->at("kind").as_int64() == 3);  // client
        BOOST_TEST(std::stoll(std::string(c->at("startTimeUnixNano").as_string())) >= start - 1'000'000);
        BOOST_TEST(std::stoll(std::string(c->at("endTimeUnixNano").as_string())) <= end + 1'000'000);
        if (c->at("name").as_string() == "login cpm")
            login = true;
        if (c->at("name").as_string() == "GET cpm") {
            attempt = true;
            BOOST_TEST(attribute(*c, "http.response.status_code") == "200");
            BOOST_TEST(attribute(*c, "server.address") == "127.0.0.1");
        }
    }
    BOOST_TEST(login);
    BOOST_TEST(attempt);

    // A trace the client did not sample is not recorded; a new one is (and sent on sampled).
    BOOST_TEST(e.get("/cpm/regions/", {"-H", "traceparent: 00-" + std::string(32, 'a') + "-" + client_parent + "-00",
                                       "-H", "X-Request-Id: otlp-unsampled"})
                   .status == 200u);
    BOOST_TEST(header_of(vendor_headers(e), "traceparent").substr(53) == "00");
    BOOST_TEST(e.get("/cpm/regions/", {"-H", "X-Request-Id: otlp-new"}).status == 200u);
    BOOST_TEST(header_of(vendor_headers(e), "traceparent").substr(53) == "01");
    const auto later = wait_for_span(collector, [](const auto& s) {
        return attribute(s, "backup_gateway.request_id") == "otlp-new";
    });
    for (const auto& s : later)
        BOOST_TEST(attribute(s, "backup_gateway.request_id") != "otlp-unsampled");
    BOOST_TEST(std::stoi(metric_value(e.gw->admin_port(), "gateway_trace_spans_exported_total")) >= 4);
    BOOST_TEST(metric_value(e.gw->admin_port(), "gateway_trace_spans_dropped_total") == "0");
}

BOOST_AUTO_TEST_CASE(a_collector_away_costs_requests_nothing)
{
    // Nothing listens there: every export fails; the queue (4 spans) drops the rest.
    const auto port = free_port();
    env e({}, pagination,
          "tracing: {otlp_endpoint: \"http://127.0.0.1:" + std::to_string(port) +
              "/v1/traces\", queue: 4, interval: 200ms, timeout: 100ms}\n");
    for (int i = 0; i < 20; ++i)
        BOOST_TEST(e.get("/cpm/regions/").status == 200u);
    BOOST_TEST(std::stoi(metric_value(e.gw->admin_port(), "gateway_trace_spans_dropped_total")) > 0);
    std::this_thread::sleep_for(500ms);  // an export tried, and failed
    BOOST_TEST(std::stoi(metric_value(e.gw->admin_port(), "gateway_trace_spans_failed_total")) > 0);
    BOOST_TEST(std::stoi(metric_value(e.gw->admin_port(), "gateway_trace_spans_queued")) <= 4);
    BOOST_TEST(e.gw->log().find("span export failed") != std::string::npos);
    // Logged once, not once per batch.
    const auto first = e.gw->log().find("span export failed");
    BOOST_TEST(e.gw->log().find("span export failed", first + 1) == std::string::npos);
}
