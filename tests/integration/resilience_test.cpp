// Vendor faults, end to end (docs/resilience.md): the real gateway in front
// of backup-sim, whose fault switches answer 429/503 (with Retry-After in
// both forms), reset the connection before or after the vendor ran the
// request, or fail one request in K. What is asserted is what the vendor saw:
// backup-sim's request counter.
#define BOOST_TEST_MODULE integration_resilience
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <ctime>

using namespace bgtest;

namespace {

const std::string key = "key-resilience-test";

const char* const config_template = R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 2
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    circuit_breaker: {failures: 50}
  - name: fragile
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    retries: {attempts: 1}
    circuit_breaker: {failures: 5, open_for: 1s, open_max: 4s}
)";

struct env {
    env()
    {
        gw = std::make_unique<gateway_process>(
            dir.path(), fill(config_template, {{"KEY", sha256_hex(key)}, {"CPM", sim.base_url("cpm")}}), 1);
    }
    temp_dir dir;
    sim_process sim;
    std::unique_ptr<gateway_process> gw;

    http_response get(std::string_view target, const std::vector<std::string>& more = {}) const
    {
        return gateway_get(*gw, key, target, more);
    }
    http_response post(std::string_view target, const std::string& json) const
    {
        return get(target, {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json});
    }
    std::int64_t vendor_requests() const { return sim.counter("cpm", "requests"); }
    void fault(const std::string& json) const { BOOST_REQUIRE(sim.admin_post("cpm", "faults", json) == 200u); }
    // A line of the admin listener's /metrics, by its name and labels ("" when absent).
    std::string metric(const std::string& series) const
    {
        const auto text = curl({"http://127.0.0.1:" + std::to_string(gw->admin_port()) + "/metrics"}).response().body;
        const auto at = text.find("\n" + series + " ");
        if (at == std::string::npos)
            return "";
        const auto from = at + series.size() + 2;
        return text.substr(from, text.find('\n', from) - from);
    }
    std::size_t policies() const
    {
        return static_cast<std::size_t>(get("/cpm/policies/?limit=1").json().at("total").to_number<std::uint64_t>());
    }
};

std::string problem_type(const http_response& r)
{
    return std::string(r.json().at("type").as_string());
}

double seconds_since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_get_is_retried_a_post_never)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);  // logged in
    // A 503 to a GET of an item: one retry, the client sees 200.
    auto before = e.vendor_requests();
    e.fault(R"({"count":1,"status":503})");
    BOOST_TEST(e.get("/cpm/policies/1/").status == 200u);
    BOOST_TEST(e.vendor_requests() - before == 2);
    // The same on a list call.
    before = e.vendor_requests();
    e.fault(R"({"count":1,"status":502})");
    BOOST_TEST(e.get("/cpm/policies/?limit=5").status == 200u);
    BOOST_TEST(e.vendor_requests() - before == 2);
    // A reset before any answer byte: retried.
    before = e.vendor_requests();
    e.fault(R"({"count":1,"reset":true})");
    BOOST_TEST(e.get("/cpm/policies/1/").status == 200u);
    BOOST_TEST(e.vendor_requests() - before == 2);
    // A 503 to a POST: answered as it is, never sent twice.
    const auto count = e.policies();
    before = e.vendor_requests();
    e.fault(R"({"count":1,"status":503})");
    const auto refused = e.post("/cpm/policies/", R"({"name":"p_retry_1","account":2})");
    BOOST_TEST(refused.status == 503u);
    BOOST_TEST(refused.header("Retry-After") == "1");  // every 503 says when to come back
    BOOST_TEST(e.vendor_requests() - before == 1);
    BOOST_TEST(e.policies() == count);
    // A reset after the vendor ran the POST (the ambiguous case): not resent.
    before = e.vendor_requests();
    e.fault(R"({"count":1,"reset":true,"after":true})");
    const auto lost = e.post("/cpm/policies/", R"({"name":"p_retry_2","account":2})");
    BOOST_TEST(lost.status == 502u);
    BOOST_TEST(e.vendor_requests() - before == 1);
    BOOST_TEST(e.policies() == count + 1);  // it ran once
    // A 4xx is the vendor's answer, not a fault: no retry.
    before = e.vendor_requests();
    BOOST_TEST(e.get("/cpm/policies/999999/").status == 404u);
    BOOST_TEST(e.vendor_requests() - before == 1);
    BOOST_TEST(e.metric("gateway_backend_retries_total{backend=\"cpm\"}") == "3");
    BOOST_TEST(e.metric("gateway_backend_requests_in_flight{backend=\"cpm\"}") == "0");
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_or_passed_through)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);
    // Retry-After: 1 fits the request's deadline (30 s): the retry waits for it.
    auto before = e.vendor_requests();
    e.fault(R"({"count":1,"status":503,"retry_after":1})");
    auto t = std::chrono::steady_clock::now();
    BOOST_TEST(e.get("/cpm/policies/1/").status == 200u);
    BOOST_TEST(seconds_since(t) >= 0.95);
    BOOST_TEST(e.vendor_requests() - before == 2);
    // An HTTP-date two minutes ahead does not fit: the client gets the 429 at
    // once, with the vendor's Retry-After.
    char date[64];
    const std::time_t later = std::time(nullptr) + 120;
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&later));
    before = e.vendor_requests();
    e.fault(std::string(R"({"count":1,"status":429,"retry_after":")") + date + R"("})");
    t = std::chrono::steady_clock::now();
    const auto limited = e.get("/cpm/policies/1/");
    BOOST_TEST(seconds_since(t) < 0.9);
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(limited.header("Retry-After") == date);
    BOOST_TEST(limited.header("Content-Type") == "application/problem+json");
    BOOST_TEST(e.vendor_requests() - before == 1);
    // The vendor's Allow reaches the client on its 405.
    const auto not_allowed = e.get("/cpm/backups/", {"-X", "PUT", "-H", "Content-Type: application/json",
                                                     "--data-binary", "{}"});
    BOOST_TEST(not_allowed.status == 405u);
    BOOST_TEST(not_allowed.header("Allow") == "GET, HEAD, OPTIONS");  // backup-sim's, as DRF writes it
}

BOOST_AUTO_TEST_CASE(five_failures_open_the_breaker)
{
    env e;
    BOOST_REQUIRE(e.get("/fragile/policies/1/").status == 200u);
    e.fault(R"({"count":5,"status":503})");
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(e.get("/fragile/policies/1/").status == 503u);
    // Open: nothing reaches the vendor.
    const auto before = e.vendor_requests();
    for (int i = 0; i < 4; ++i) {
        const auto r = e.get(i % 2 ? "/fragile/policies/1/" : "/fragile/policies/?limit=3");
        BOOST_TEST(r.status == 503u);
        BOOST_TEST(problem_type(r) == "urn:backup-gateway:problem:circuit-open");
        BOOST_TEST(r.header("Retry-After") == "1");
    }
    BOOST_TEST(e.vendor_requests() == before);
    BOOST_TEST(e.metric("gateway_backend_circuit_state{backend=\"fragile\"}") == "1");
    BOOST_TEST(e.metric("gateway_backend_circuit_opened_total{backend=\"fragile\"}") == "1");
    BOOST_TEST(e.metric("gateway_backend_circuit_refused_total{backend=\"fragile\"}") == "4");
    BOOST_TEST(e.metric("gateway_backend_circuit_state{backend=\"cpm\"}") == "0");
    // Another backend on the same vendor is not affected.
    BOOST_TEST(e.get("/cpm/policies/1/").status == 200u);
    // After the open period, one probe; it fails: open for twice as long.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    e.fault(R"({"count":1,"status":503})");
    BOOST_TEST(e.get("/fragile/policies/1/").status == 503u);
    const auto after_probe = e.vendor_requests();
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const auto still = e.get("/fragile/policies/1/");
    BOOST_TEST(problem_type(still) == "urn:backup-gateway:problem:circuit-open");
    BOOST_TEST(e.vendor_requests() == after_probe);
    // After 2 s the probe succeeds: closed.
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    BOOST_TEST(e.get("/fragile/policies/1/").status == 200u);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(e.get("/fragile/policies/1/").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_vendor_failing_half_the_time)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);
    const auto before = e.vendor_requests();
    // One request in two answers 503: every client still gets its answer,
    // and the vendor sees each request at most twice (retries.attempts).
    e.fault(R"({"count":400,"status":503,"one_in":2})");
    int ok = 0;
    for (int i = 0; i < 60; ++i)
        ok += e.get("/cpm/policies/" + std::to_string(1 + i % 20) + "/").status == 200u;
    BOOST_TEST(ok == 60);
    const auto seen = e.vendor_requests() - before;
    BOOST_TEST(seen > 60);
    BOOST_TEST(seen <= 120);
}
