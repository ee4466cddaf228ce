// W3C trace context through the gateway (issue 18): the client's traceparent
// joined and sent on with the gateway's own span as the parent, or a trace
// started; the trace id in the access log and in every problem document.
// backup-sim records the headers it received (last_request).
#define BOOST_TEST_MODULE integration_trace
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
