// The admin listener's status page and its token (issue 18; docs/operations.md):
// /status.json's facts after real traffic through the gateway (requests,
// failures, the last upstream error, a breaker opening, the clients' counts
// and rate-limit refusals), the HTML page's headers, and admin.token: every
// admin path but /healthz and /readyz refused without it; a non-loopback
// admin address refused without one. (The page in a real browser:
// tests/browser; /metrics through promtool: tests/metrics.)
#define BOOST_TEST_MODULE integration_status
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/parse.hpp>

using namespace bgtest;

namespace {

const std::string key = "key-status-0123456";
const std::string admin_token = "admin-t0ken-0123456789abcdef";

const char* const config_template = R"(
listen: {address: 127.0.0.1, port: 0}
admin: {address: 127.0.0.1, port: 0{TOKEN}}
threads: 2
drain_delay: 0s
clients:
  - {name: ops, api_key_sha256: "{DIGEST}", backends: ["*"], rate_limits: [{rate: 5/1m, burst: 5}]}
  - {name: idle, api_key_sha256: "{DIGEST2}", backends: ["*"]}
backends:
  - name: up
    type: http
    base_url: "{UP}"
    retries: {attempts: 1}
    circuit_breaker: {failures: 2, open_for: 1m}
  - {name: other, type: http, base_url: "{UP}"}
)";

std::string config(const test_upstream& up, const std::string& token = {})
{
    return fill(config_template, {{"TOKEN", token.empty() ? "" : ", token: \"" + token + "\""},
                                  {"DIGEST", sha256_hex(key)},
                                  {"DIGEST2", sha256_hex(key + "-idle")},
                                  {"UP", up.base_url()}});
}

std::string proxy(const gateway_process& gw, std::string_view path)
{
    return "http://127.0.0.1:" + std::to_string(gw.port()) + std::string(path);
}

std::string admin(const gateway_process& gw, std::string_view path)
{
    return "http://127.0.0.1:" + std::to_string(gw.admin_port()) + std::string(path);
}

unsigned get(const std::string& url, std::vector<std::string> more = {})
{
    more.push_back(url);
    return curl(more).response().status;
}

const boost::json::object& backend_in(const boost::json::object& doc, std::string_view name)
{
    for (const auto& b : doc.at("backends").as_array())
        if (b.as_object().at("name").as_string() == name)
            return b.as_object();
    BOOST_FAIL("no backend " << name << " in " << doc);
    throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_CASE(status_json_tells_what_the_traffic_did)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up), 1);
    const std::vector<std::string> auth{"-H", "Authorization: Bearer " + key};
    BOOST_TEST(get(proxy(gw, "/up/echo"), auth) == 200u);
    BOOST_TEST(get(proxy(gw, "/up/echo"), auth) == 200u);
    // Two vendor 503s open the breaker (failures: 2); the next is refused by it.
    BOOST_TEST(get(proxy(gw, "/up/status/503"), auth) == 503u);
    BOOST_TEST(get(proxy(gw, "/up/status/503"), auth) == 503u);
    const auto refused = curl(std::vector<std::string>{"-H", "Authorization: Bearer " + key, proxy(gw, "/up/echo")});
    BOOST_TEST(refused.response().status == 503u);
    BOOST_TEST(refused.response().body.find("circuit-open") != std::string::npos, refused.response().body);
    // The client's limit (5 a minute) is now spent: one refusal.
    BOOST_TEST(get(proxy(gw, "/other/echo"), auth) == 429u);

    const auto res = curl({admin(gw, "/status.json")}).response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(res.header("Content-Type") == "application/json");
    const auto doc = boost::json::parse(res.body).as_object();
    const auto& g = doc.at("gateway").as_object();
    BOOST_TEST(!g.at("version").as_string().empty());
    BOOST_TEST(g.at("config_generation").to_number<int>() == 1);
    BOOST_TEST(g.at("last_reload").at("result").as_string() == "none");
    BOOST_TEST(g.at("draining").as_bool() == false);
    BOOST_TEST(g.at("redis").at("configured").as_bool() == false);

    const auto& b = backend_in(doc, "up");
    BOOST_TEST(b.at("type").as_string() == "http");
    BOOST_TEST(b.at("base_url").as_string() == up.base_url());
    BOOST_TEST(b.at("breaker").at("state").as_string() == "open");
    BOOST_TEST(b.at("breaker").at("opened_total").to_number<int>() == 1);
    BOOST_TEST(b.at("in_flight").to_number<int>() == 0);
    BOOST_TEST(b.at("limit").to_number<int>() == 64);
    const auto& m = b.at("last_minute").as_object();
    BOOST_TEST(m.at("requests").to_number<int>() == 5);
    BOOST_TEST(m.at("errors").to_number<int>() == 3);  // two vendor 503s, one circuit-open 503
    BOOST_TEST(m.at("error_rate").to_number<double>() == 0.6, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(m.at("requests_per_second").to_number<double>() > 0.0);
    BOOST_TEST(m.at("p50_ms").to_number<double>() > 0.0);
    BOOST_TEST(m.at("p99_ms").to_number<double>() >= m.at("p50_ms").to_number<double>());
    BOOST_TEST(b.at("credential").at("kind").as_string() == "none");
    // The vendor's 503 is the last upstream error; the breaker's refusal is not one.
    const auto& e = b.at("last_error").as_object();
    BOOST_TEST(e.at("detail").as_string().find("503") != std::string::npos, e);
    BOOST_TEST(backend_in(doc, "other").at("breaker").at("state").as_string() == "closed");
    BOOST_TEST(backend_in(doc, "other").at("last_error").is_null());
    BOOST_TEST(backend_in(doc, "other").at("last_minute").at("requests").to_number<int>() == 1);

    const auto& clients = doc.at("clients").as_array();
    BOOST_TEST_REQUIRE(clients.size() == 2u);
    BOOST_TEST(clients[0].at("name").as_string() == "ops");
    BOOST_TEST(clients[0].at("requests").to_number<int>() == 6);
    BOOST_TEST(clients[0].at("rate_limited").to_number<int>() == 1);
    BOOST_TEST(clients[1].at("requests").to_number<int>() == 0);

    // /metrics says the same in Prometheus's terms.
    BOOST_TEST(metric_value(gw.admin_port(), "gateway_backend_request_duration_seconds_count{backend=\"up\"}") == "5");
    BOOST_TEST(metric_value(gw.admin_port(), "gateway_backend_requests_failed_total{backend=\"up\"}") == "3");
    BOOST_TEST(metric_value(gw.admin_port(), "gateway_backend_upstream_attempts_total{backend=\"up\"}") == "4");
    BOOST_TEST(metric_value(gw.admin_port(), "gateway_backend_circuit_transitions_total{backend=\"up\",to=\"open\"}") ==
               "1");
    BOOST_TEST(metric_value(gw.admin_port(), "gateway_client_rate_limited_total{client=\"ops\"}") == "1");
}

BOOST_AUTO_TEST_CASE(the_page_is_html_of_its_own)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up), 1);
    const auto res = curl({admin(gw, "/")}).response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(res.header("Content-Type") == "text/html; charset=utf-8");
    BOOST_TEST(res.header("Content-Security-Policy").find("default-src 'none'") != std::string::npos);
    BOOST_TEST(res.header("Cache-Control") == "no-store");
    BOOST_TEST(res.body.find("data-backend=\"up\"") != std::string::npos);
    BOOST_TEST(res.body.find("data-backend=\"other\"") != std::string::npos);
    BOOST_TEST(res.body.find("data-client=\"idle\"") != std::string::npos);
    BOOST_TEST(get(admin(gw, "/nothing")) == 404u);
}

BOOST_AUTO_TEST_CASE(with_a_token_every_path_but_the_probes_requires_it)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, admin_token), 1);
    const std::vector<std::string> right{"-H", "Authorization: Bearer " + admin_token};
    const std::vector<std::string> wrong{"-H", "Authorization: Bearer " + admin_token + "x"};
    for (const auto* path : {"/", "/status.json", "/metrics", "/nothing"}) {
        BOOST_TEST_INFO("path " << path);
        const auto res = curl({admin(gw, path)}).response();
        BOOST_TEST(res.status == 401u);
        BOOST_TEST(res.header("WWW-Authenticate") == "Bearer realm=\"backup-gateway admin\"");
        BOOST_TEST(res.body.find(admin_token) == std::string::npos);
        BOOST_TEST(get(admin(gw, path), wrong) == 401u);
        BOOST_TEST(get(admin(gw, path), {"-H", "Authorization: Basic YWRtaW46eA=="}) == 401u);
    }
    BOOST_TEST(get(admin(gw, "/"), right) == 200u);
    BOOST_TEST(get(admin(gw, "/status.json"), right) == 200u);
    BOOST_TEST(get(admin(gw, "/metrics"), right) == 200u);
    BOOST_TEST(get(admin(gw, "/nothing"), right) == 404u);
    // The probes stay open (a load balancer or kubelet has no token).
    BOOST_TEST(get(admin(gw, "/healthz")) == 200u);
    BOOST_TEST(get(admin(gw, "/readyz")) == 200u);
    // A reload too: refused without it (nothing reloaded), done with it.
    BOOST_TEST(get(admin(gw, "/-/reload"), {"-X", "POST"}) == 401u);
    auto with = right;
    with.insert(with.end(), {"-X", "POST"});
    BOOST_TEST(get(admin(gw, "/-/reload"), with) == 200u);
    // The token is never logged.
    BOOST_TEST(gw.log().find(admin_token) == std::string::npos);
    BOOST_TEST(gw.access_log().find(admin_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(beyond_loopback_without_a_token_it_refuses_to_start)
{
    temp_dir dir;
    test_upstream up;
    auto yaml = config(up);
    yaml.replace(yaml.find("admin: {address: 127.0.0.1"), 26, "admin: {address: 0.0.0.0");
    const auto file = dir / "gateway.yaml";
    write_file(file, yaml);
    const auto checked = run({gateway_binary(), "--check-config", file.string()});
    BOOST_TEST(checked.code == 1);
    BOOST_TEST(checked.err.find("admin.address") != std::string::npos, checked.err);
    BOOST_TEST(checked.err.find("set admin.token or admin.token_file") != std::string::npos, checked.err);
    const auto started = run({gateway_binary(), "--config", file.string()}, std::chrono::seconds(10));
    BOOST_TEST(started.code == 1);
    BOOST_TEST(started.err.find("set admin.token or admin.token_file") != std::string::npos, started.err);
}
