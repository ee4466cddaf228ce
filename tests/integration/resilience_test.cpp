// Vendor faults, end to end (docs/resilience.md): the real gateway in front
// of backup-sim, whose fault switches answer 429/503 (with Retry-After in
// both forms), reset the connection before or after the vendor ran the
// request, or fail one request in K. What is asserted is what the vendor saw:
// backup-sim's request counter.
#define BOOST_TEST_MODULE integration_resilience
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

using namespace bgtest;

namespace {

const std::string key = "key-resilience-test";

const char* const config_template = R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 2
# Off, as in production setups that ship logs elsewhere (and bench/): the
# retries' deadline must not depend on the access log's clock.
access_log: {path: "off"}
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
  - name: strict_keys
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    idempotency: {keys: required}
  - name: tight
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    concurrency: {max_in_flight: 2, queue: 2, queue_wait: 1s}
  - name: patient
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    concurrency: {max_in_flight: 1, queue: 8, queue_wait: 10s}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
  - name: backupdr
    type: google-backupdr
    base_url: {BDR}/actifio
    options: {token_file: "{TOKEN_FILE}"}
  - name: no_keys
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    idempotency: {keys: off}
)";

struct env {
    env()
    {
        write_file(dir / "bdr.token", "backupdr-demo-token\n");
        gw = std::make_unique<gateway_process>(
            dir.path(),
            fill(config_template, {{"KEY", sha256_hex(key)},
                                   {"CPM", sim.base_url("cpm")},
                                   {"VEEAM", sim.base_url("veeam")},
                                   {"BDR", sim.base_url("backupdr")},
                                   {"TOKEN_FILE", (dir / "bdr.token").string()}}),
            1);
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
    // Jobs the vendor started (backup-sim's count, whatever the answers said).
    std::int64_t jobs() const { return sim.state("cpm").at("vendor_state").at("jobs_started").as_int64(); }
    // POST with an Idempotency-Key.
    http_response post_keyed(std::string_view target, const std::string& json, const std::string& idem,
                             const std::string& backend = "cpm") const
    {
        return get("/" + backend + std::string(target),
                   {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Idempotency-Key: " + idem,
                    "--data-binary", json});
    }
    std::vector<std::string> keyed_args(std::string_view target, const std::string& json, const std::string& idem) const
    {
        return {"-H", "Authorization: Bearer " + key, "-X", "POST", "-H",
                "Content-Type: application/json", "-H", "Idempotency-Key: " + idem, "--data-binary", json,
                gateway_url(*gw, target)};
    }
    void fault(const std::string& json) const { BOOST_REQUIRE(sim.admin_post("cpm", "faults", json) == 200u); }
    // A line of the admin listener's /metrics, by its name and labels ("" when absent).
    std::string metric(const std::string& series) const { return metric_value(gw->admin_port(), series); }
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
    // (The reset is retried by the breaker's policy, or, when it met a pooled
    // connection, by the stale-connection replay before it: 2 or 3.)
    const auto retried = e.metric("gateway_backend_retries_total{backend=\"cpm\"}");
    BOOST_TEST((retried == "2" || retried == "3"), retried);
    BOOST_TEST(e.metric("gateway_backend_requests_in_flight{backend=\"cpm\"}") == "0");
    BOOST_TEST(e.metric("gateway_backend_retries_in_flight{backend=\"cpm\"}") == "0");  // every retry ended
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
    // The vendor said when to come back: until then nothing more is sent to
    // that backend (docs/scale-out.md, vendor throttling).
    const auto held = e.get("/cpm/policies/1/");
    BOOST_TEST(held.status == 429u);
    BOOST_TEST(held.json().at("type").as_string() == "urn:backup-gateway:problem:upstream-throttled");
    const auto wait = std::stoi(held.header("Retry-After"));
    BOOST_TEST((wait >= 115 && wait <= 120));
    BOOST_TEST(e.vendor_requests() - before == 1);
    // The vendor's Allow reaches the client on its 405 (another backend: cpm is held).
    const auto not_allowed = e.get("/no_keys/backups/", {"-X", "PUT", "-H", "Content-Type: application/json",
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
    BOOST_TEST(e.metric("gateway_backend_retries_in_flight{backend=\"cpm\"}") == "0");
    const auto seen = e.vendor_requests() - before;
    BOOST_TEST(seen > 60);
    BOOST_TEST(seen <= 120);
}

// Idempotency keys: 100 clients start the same backup with one key; the
// vendor starts exactly one job. The first takes 0.8 s: the others meet it
// running (409) or answered (the same 201, replayed).
BOOST_AUTO_TEST_CASE(one_key_one_job)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);
    const auto jobs = e.jobs();
    const auto requests = e.vendor_requests();
    e.fault(R"({"count":1,"delay_ms":800})");
    const auto args = e.keyed_args("/cpm/policies/3/backups/", "{}", "\"run-3-once\"");
    std::vector<std::unique_ptr<child_process>> clients;
    clients.push_back(curl_async(args));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (int i = 1; i < 100; ++i)
        clients.push_back(curl_async(args));
    int created = 0, conflicts = 0, replays = 0, other = 0;
    for (auto& c : clients) {
        const auto exit = c->wait_exit(std::chrono::seconds(30));
        BOOST_REQUIRE(exit.exited);
        const auto responses = parse_curl_output(c->out());
        BOOST_REQUIRE(!responses.empty());
        const auto& r = responses.back();
        if (r.status == 201u && r.header("Idempotent-Replayed").empty())
            ++created;
        else if (r.status == 201u && r.header("Idempotent-Replayed") == "true")
            ++replays;
        else if (r.status == 409u && problem_type(r) == "urn:backup-gateway:problem:idempotency-conflict")
            ++conflicts;
        else
            ++other;
    }
    BOOST_TEST(created == 1);
    BOOST_TEST(other == 0);
    BOOST_TEST(conflicts + replays == 99);
    BOOST_TEST(conflicts > 0);
    BOOST_TEST(e.jobs() - jobs == 1);
    BOOST_TEST(e.vendor_requests() - requests == 1);
    BOOST_TEST(e.metric("gateway_idempotency_refusals_total") == std::to_string(conflicts));
    BOOST_TEST(e.metric("gateway_idempotent_replays_total") == std::to_string(replays));
    BOOST_TEST(e.metric("gateway_idempotency_records") == "1");
    // Afterwards the same key gives the same answer; with another body, 422.
    const auto again = e.post_keyed("/policies/3/backups/", "{}", "\"run-3-once\"");
    BOOST_TEST(again.status == 201u);
    BOOST_TEST(again.header("Idempotent-Replayed") == "true");
    const auto other_body = e.post_keyed("/policies/3/backups/", R"({"note":"x"})", "\"run-3-once\"");
    BOOST_TEST(other_body.status == 422u);
    BOOST_TEST(problem_type(other_body) == "urn:backup-gateway:problem:idempotency-mismatch");
    // The key is scoped to the path: the same key on another policy is another request.
    BOOST_TEST(e.post_keyed("/policies/4/backups/", "{}", "\"run-3-once\"").status == 201u);
    BOOST_TEST(e.jobs() - jobs == 2);
}

// The answer lost after the vendor ran it: 502 outcome-unknown, one job, and
// the same key again starts nothing.
BOOST_AUTO_TEST_CASE(a_lost_answer_is_an_unknown_outcome_never_resent)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);
    const auto jobs = e.jobs();
    e.fault(R"({"count":1,"reset":true,"after":true})");
    const auto lost = e.post_keyed("/policies/3/backups/", "{}", "lost-1");
    BOOST_TEST(lost.status == 502u);
    BOOST_TEST(problem_type(lost) == "urn:backup-gateway:problem:outcome-unknown");
    BOOST_TEST(e.jobs() - jobs == 1);
    const auto requests = e.vendor_requests();
    for (int i = 0; i < 3; ++i) {
        const auto again = e.post_keyed("/policies/3/backups/", "{}", "lost-1");
        BOOST_TEST(again.status == 502u);
        BOOST_TEST(problem_type(again) == "urn:backup-gateway:problem:outcome-unknown");
    }
    BOOST_TEST(e.vendor_requests() == requests);
    BOOST_TEST(e.jobs() - jobs == 1);
    BOOST_TEST(e.metric("gateway_outcomes_unknown_total") == "4");
    // A 503 (turned away, not run) releases the key: the same key runs later.
    e.fault(R"({"count":1,"status":503,"retry_after":2})");
    const auto busy = e.post_keyed("/policies/3/backups/", "{}", "busy-1");
    BOOST_TEST(busy.status == 503u);
    BOOST_TEST(busy.header("Retry-After") == "2");
    BOOST_TEST(e.post_keyed("/policies/3/backups/", "{}", "busy-1").status == 201u);
    BOOST_TEST(e.jobs() - jobs == 2);
}

BOOST_AUTO_TEST_CASE(keys_required_or_off)
{
    env e;
    BOOST_REQUIRE(e.get("/cpm/policies/1/").status == 200u);
    const auto jobs = e.jobs();
    const auto missing = e.post("/strict_keys/policies/3/backups/", "{}");
    BOOST_TEST(missing.status == 400u);
    BOOST_TEST(std::string(missing.json().at("detail").as_string()).find("requires an Idempotency-Key") !=
               std::string::npos);
    BOOST_TEST(e.post_keyed("/policies/3/backups/", "{}", "\"\"", "strict_keys").status == 400u);  // empty
    BOOST_TEST(e.post_keyed("/policies/3/backups/", "{}", "req-1", "strict_keys").status == 201u);
    BOOST_TEST(e.jobs() - jobs == 1);
    // off: the header is not the gateway's business, and not forwarded either.
    BOOST_TEST(e.post_keyed("/policies/3/backups/", "{}", "off-1", "no_keys").status == 201u);
    BOOST_TEST(e.post_keyed("/policies/3/backups/", "{}", "off-1", "no_keys").status == 201u);
    BOOST_TEST(e.jobs() - jobs == 3);
    const auto headers = e.sim.state("cpm").at("last_request").at("headers").as_object();
    BOOST_TEST(!headers.contains("idempotency-key"));
}

namespace {

// `n` GETs of `target` at once; their statuses, in the order they were started.
std::vector<unsigned> at_once(const env& e, const std::string& target, int n)
{
    std::vector<std::unique_ptr<child_process>> clients;
    for (int i = 0; i < n; ++i)
        clients.push_back(curl_async({"-H", "Authorization: Bearer " + key, gateway_url(*e.gw, target)}));
    std::vector<unsigned> statuses;
    for (auto& c : clients) {
        BOOST_REQUIRE(c->wait_exit(std::chrono::seconds(30)).exited);
        const auto responses = parse_curl_output(c->out());
        statuses.push_back(responses.empty() ? 0u : responses.back().status);
    }
    return statuses;
}

}  // namespace

// concurrency: 2 in flight, 2 waiting, 1 s of waiting; the vendor takes 1.5 s.
BOOST_AUTO_TEST_CASE(the_concurrency_limit_and_its_queue)
{
    env e;
    BOOST_REQUIRE(e.get("/tight/policies/1/").status == 200u);
    const auto before = e.vendor_requests();
    e.fault(R"({"count":2,"delay_ms":1500})");
    auto statuses = at_once(e, "/tight/policies/1/", 6);
    std::sort(statuses.begin(), statuses.end());
    BOOST_TEST((statuses == std::vector<unsigned>{200, 200, 503, 503, 503, 503}));
    BOOST_TEST(e.vendor_requests() - before == 2);  // the others never reached it
    const auto refused = e.get("/tight/policies/1/");  // the slots are free again
    BOOST_TEST(refused.status == 200u);
    BOOST_TEST(e.metric("gateway_backend_requests_in_flight{backend=\"tight\"}") == "0");
    BOOST_TEST(e.metric("gateway_backend_overloaded_total{backend=\"tight\"}") == "4");
    // One at a time, waiting long enough: every request is answered, in turn.
    BOOST_REQUIRE(e.get("/patient/policies/1/").status == 200u);
    e.fault(R"({"count":4,"delay_ms":300})");
    const auto t = std::chrono::steady_clock::now();
    const auto served = at_once(e, "/patient/policies/1/", 4);
    BOOST_TEST((served == std::vector<unsigned>{200, 200, 200, 200}));
    BOOST_TEST(seconds_since(t) >= 1.15);  // 4 × 0.3 s, one after another
}

BOOST_AUTO_TEST_CASE(an_overloaded_answer_is_a_problem_with_retry_after)
{
    env e;
    BOOST_REQUIRE(e.get("/tight/policies/1/").status == 200u);
    e.fault(R"({"count":2,"delay_ms":1200})");
    std::vector<std::unique_ptr<child_process>> busy;
    for (int i = 0; i < 4; ++i)  // 2 in flight, 2 queued
        busy.push_back(curl_async({"-o", "/dev/null", "-H", "Authorization: Bearer " + key,
                                   gateway_url(*e.gw, "/tight/policies/1/")}));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    const auto r = e.get("/tight/policies/1/");
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(problem_type(r) == "urn:backup-gateway:problem:backend-overloaded");
    BOOST_TEST(r.header("Retry-After") == "1");
    BOOST_TEST(std::string(r.json().at("detail").as_string()).find("concurrency.queue") != std::string::npos);
    for (auto& c : busy)
        c->wait_exit(std::chrono::seconds(30));
}

// The other vendors' job starts, through their own adapters (Veeam's token,
// Backup and DR's session): one key, one job, whatever the repeats; a lost
// answer is an unknown outcome there too.
BOOST_AUTO_TEST_CASE(every_vendors_job_start_runs_once_per_key)
{
    env e;
    struct vendor_case {
        const char* vendor;
        std::string list;       // where to find something to start
        std::string start;      // the start path, with {id}
        unsigned status;        // the vendor's answer to a start
    };
    const vendor_case cases[] = {
        {"veeam", "/veeam/virtualMachines/policies?limit=1", "/veeam/virtualMachines/policies/{id}/start", 202},
        {"backupdr", "/backupdr/application?limit=1", "/backupdr/application/{id}/backup", 200},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.vendor)
        {
            const auto first = e.get(c.list);
            BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
            const auto listed = first.json();
            const auto& id = listed.at("items").as_array().at(0).at("id");
            std::string path = c.start;
            path.replace(path.find("{id}"), 4, id.is_string() ? std::string(id.as_string()) : boost::json::serialize(id));
            const auto jobs = [&] { return e.sim.state(c.vendor).at("vendor_state").at("jobs_started").as_int64(); };
            const auto requests = [&] { return e.sim.counter(c.vendor, "requests"); };
            const auto before = jobs();
            const auto args = std::vector<std::string>{"-X", "POST", "-H", "Content-Type: application/json", "-H",
                                                       "Idempotency-Key: start-1", "--data-binary", "{}"};
            const auto started = e.get(path, args);
            BOOST_TEST(started.status == c.status, started.body);
            const auto seen = requests();
            for (int i = 0; i < 3; ++i) {
                const auto again = e.get(path, args);
                BOOST_TEST(again.status == c.status);
                BOOST_TEST(again.header("Idempotent-Replayed") == "true");
                BOOST_TEST(again.body == started.body);
            }
            BOOST_TEST(requests() == seen);
            BOOST_TEST(jobs() - before == 1);
            // The answer lost after the vendor ran it: unknown, and never sent again.
            BOOST_REQUIRE(e.sim.admin_post(c.vendor, "faults", R"({"count":1,"reset":true,"after":true})") == 200u);
            const auto lost_args = std::vector<std::string>{"-X", "POST", "-H", "Content-Type: application/json",
                                                            "-H", "Idempotency-Key: start-2", "--data-binary", "{}"};
            BOOST_TEST(problem_type(e.get(path, lost_args)) == "urn:backup-gateway:problem:outcome-unknown");
            const auto after_loss = requests();
            BOOST_TEST(problem_type(e.get(path, lost_args)) == "urn:backup-gateway:problem:outcome-unknown");
            BOOST_TEST(requests() == after_loss);
            BOOST_TEST(jobs() - before == 2);
        }
    }
}
