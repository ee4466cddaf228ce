// Replicas sharing state through Redis (issue 16, docs/scale-out.md): three
// real gateway processes, one real redis-server (Debian's, on a free loopback
// port) and backup-sim. What must hold across the fleet: one rate limit, one
// set of Idempotency-Key records, one vendor throttle; and what happens when
// Redis goes away and comes back.
#define BOOST_TEST_MODULE integration_scale_out
#include "tests/integration/harness.hpp"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <signal.h>
#include <thread>

using namespace bgtest;

namespace {

const std::string key = "key-scale-out";
const std::string limited_key = "key-scale-out-limited";
const std::string roomy_key = "key-scale-out-roomy";
const std::string leased_key = "key-scale-out-leased";

const char* const config_template = R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 2
access_log: {path: "off"}
drain_delay: 0s
redis: {address: 127.0.0.1, port: {REDIS}, timeout: 50ms, replicas_hint: 3, key_prefix: "t16:",
        encryption_key: "{EKEY}"}
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
  - name: limited
    api_key_sha256: "{LIMITED}"
    backends: ["*"]
    rate_limits: [{rate: 50/10s}]
  - name: roomy
    api_key_sha256: "{ROOMY}"
    backends: ["*"]
    rate_limits: [{rate: 100000/s}]
  - name: leased
    api_key_sha256: "{LEASED}"
    backends: ["*"]
    rate_limits: [{rate: 1000/10s}]
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    retries: {attempts: 1}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
  - name: backupdr
    type: google-backupdr
    base_url: {BDR}/actifio
    options: {token_file: "{TOKEN_FILE}"}
)";

struct fleet {
    fleet() : redis(std::make_unique<redis_server>(free_port()))
    {
        write_file(dir / "bdr.token", "backupdr-demo-token\n");
        const auto yaml = fill(config_template, {{"KEY", sha256_hex(key)},
                                                 {"LIMITED", sha256_hex(limited_key)},
                                                 {"ROOMY", sha256_hex(roomy_key)},
                                                 {"LEASED", sha256_hex(leased_key)},
                                                 {"REDIS", std::to_string(redis->port)},
                                                 {"EKEY", "5f1e0c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f"},
                                                 {"CPM", sim.base_url("cpm")},
                                                 {"VEEAM", sim.base_url("veeam")},
                                                 {"BDR", sim.base_url("backupdr")},
                                                 {"TOKEN_FILE", (dir / "bdr.token").string()}});
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            fs::create_directories(dir / ("r" + std::to_string(i)));
            replicas[i] = std::make_unique<gateway_process>(dir / ("r" + std::to_string(i)), yaml, 1);
        }
    }

    temp_dir dir;
    std::unique_ptr<redis_server> redis;
    sim_process sim;
    std::array<std::unique_ptr<gateway_process>, 3> replicas;

    gateway_process& at(std::size_t i) { return *replicas[i % replicas.size()]; }

    http_response get(std::size_t replica, std::string_view target, const std::string& k = key,
                      const std::vector<std::string>& more = {})
    {
        return gateway_get(at(replica), k, target, more);
    }
    http_response post_keyed(std::size_t replica, std::string_view target, const std::string& json,
                             const std::string& idem)
    {
        return get(replica, target, key,
                   {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Idempotency-Key: " + idem,
                    "--data-binary", json});
    }
    std::int64_t jobs(const std::string& vendor = "cpm") const
    {
        return sim.state(vendor).at("vendor_state").at("jobs_started").as_int64();
    }
    // The value of a series in a replica's /metrics ("" when absent).
    std::string metric(std::size_t replica, const std::string& series)
    {
        return metric_value(at(replica).admin_port(), series);
    }

    // `per_replica` GETs of `target` through each replica at once (one curl
    // --parallel per replica, all started together); their statuses.
    std::vector<unsigned> storm(std::string_view target, const std::string& k, std::size_t per_replica)
    {
        std::vector<std::unique_ptr<child_process>> runs;
        for (std::size_t r = 0; r < replicas.size(); ++r) {
            std::vector<std::string> args{"--parallel", "--parallel-max", "64", "-s", "-H", "Authorization: Bearer " + k,
                                          "-w", "%{http_code}\\n"};
            for (std::size_t i = 0; i < per_replica; ++i) {
                args.push_back("-o");
                args.push_back("/dev/null");
                args.push_back(gateway_url(at(r), target));
            }
            runs.push_back(curl_async(args, 60));
        }
        std::vector<unsigned> codes;
        for (auto& run : runs) {
            BOOST_REQUIRE(run->wait_exit(70s).exited);
            std::istringstream lines(run->out());
            for (std::string line; std::getline(lines, line);)
                if (!line.empty())
                    codes.push_back(static_cast<unsigned>(std::stoul(line)));
        }
        return codes;
    }
};

std::size_t count_of(const std::vector<unsigned>& codes, unsigned status)
{
    return static_cast<std::size_t>(std::count(codes.begin(), codes.end(), status));
}

}  // namespace

// One client limited to 50 requests per 10 s (a burst of 50, then one per
// 200 ms): 150 requests at once, 50 through each replica. Admitted: the
// burst, plus what the rate refilled while they ran; never more. Each
// replica alone would have admitted 50 of its own 50.
BOOST_AUTO_TEST_CASE(one_rate_limit_across_the_replicas)
{
    fleet f;
    const auto start = std::chrono::steady_clock::now();
    const auto codes = f.storm("/cpm/regions/", limited_key, 50);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_REQUIRE_EQUAL(codes.size(), 150u);
    const auto admitted = count_of(codes, 200);
    const auto refused = count_of(codes, 429);
    BOOST_TEST(admitted + refused == 150u);
    const auto refill = static_cast<std::size_t>(std::chrono::duration_cast<ms>(elapsed).count() / 200) + 1;
    BOOST_TEST_MESSAGE("admitted " << admitted << " of 150 in " << std::chrono::duration_cast<ms>(elapsed).count()
                                   << " ms (at most 50 + " << refill << ")");
    BOOST_TEST(admitted >= 50u);
    BOOST_TEST(admitted <= 50u + refill);

    // The refusal: problem type, Retry-After and the draft's header fields.
    // (Each request now waits for the next refill: two in a row within
    // 200 ms cannot both pass.)
    std::optional<http_response> no;
    for (int i = 0; i < 5 && !no; ++i) {
        auto r = f.get(static_cast<std::size_t>(i), "/cpm/regions/", limited_key);
        if (r.status == 429)
            no = r;
    }
    BOOST_REQUIRE(no.has_value());
    BOOST_TEST(no->json().at("type").as_string() == "urn:backup-gateway:problem:rate-limited");
    BOOST_TEST(std::string(no->json().at("detail").as_string()).find("client 'limited': 50/10s, burst 50") !=
               std::string::npos);
    BOOST_TEST(no->header("Retry-After") == "1");
    BOOST_TEST(no->header("RateLimit-Policy") == "\"client\";q=50;w=10");
    BOOST_TEST(no->header("RateLimit").starts_with("\"client\";r=0;t="));
    // Another client has limits of its own.
    BOOST_TEST(f.get(0, "/cpm/regions/", key).status == 200u);
    // The key holds names from the configuration only.
    BOOST_TEST(f.redis->cli({"EXISTS", "t16:rl:c:50/10000ms:50:limited"}) == "1");
    BOOST_TEST(f.metric(0, "gateway_rate_limit_fallbacks_total") == "0");
}

// A limit with room for leases (1000 per 10 s: each thread's process takes
// 10 at a time, docs/scale-out.md): 1800 requests at once over three
// replicas. Never more than the limit and its refill; at most the unused
// leases (10 per thread, 2 threads, 3 replicas) fewer.
BOOST_AUTO_TEST_CASE(a_leased_limit_never_admits_more)
{
    fleet f;
    const auto start = std::chrono::steady_clock::now();
    const auto codes = f.storm("/cpm/regions/", leased_key, 600);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_REQUIRE_EQUAL(codes.size(), 1800u);
    const auto admitted = count_of(codes, 200);
    BOOST_TEST(admitted + count_of(codes, 429) == 1800u);
    const auto refill = static_cast<std::size_t>(std::chrono::duration_cast<ms>(elapsed).count() / 10) + 1;
    BOOST_TEST_MESSAGE("leased: admitted " << admitted << " of 1800 in "
                                           << std::chrono::duration_cast<ms>(elapsed).count() << " ms");
    BOOST_TEST(admitted <= 1000u + refill);
    BOOST_TEST(admitted >= 1000u - 60u);
}

// Three cold replicas, 300 first requests at once spread across them: one
// vendor login per backend for the fleet (backup-sim's counter). After the
// vendor expires every token (/__sim/expire), one login again, fleet-wide:
// the refused credential is removed from Redis only while it is still the one
// stored (compare-and-delete), and one replica logs in under the lock.
BOOST_AUTO_TEST_CASE(one_login_for_the_whole_fleet)
{
    fleet f;
    const std::vector<std::pair<std::string, std::string>> vendors{
        {"cpm", "/cpm/regions/"}, {"veeam", "/veeam/virtualMachines"}, {"backupdr", "/backupdr/host"}};
    for (const auto& [vendor, target] : vendors) {
        const auto codes = f.storm(target, key, 100);
        BOOST_TEST(codes.size() == 300u);
        BOOST_TEST(count_of(codes, 200) == 300u, vendor);
        BOOST_TEST(f.sim.counter(vendor, "logins") == 1, vendor);
    }
    // The credential in Redis is sealed: the vendor's token is not in it.
    const auto keys = f.redis->cli({"--scan", "--pattern", "t16:cred:cpm:*"});
    BOOST_REQUIRE(!keys.empty());
    BOOST_TEST(f.redis->cli({"GET", keys}).find("eyJ") == std::string::npos);  // no JWT in the clear
    for (const auto& [vendor, target] : vendors) {
        BOOST_REQUIRE(f.sim.admin_post(vendor, "expire") == 200u);
        const auto codes = f.storm(target, key, 30);
        BOOST_TEST(count_of(codes, 200) == 90u, vendor);
        BOOST_TEST(f.sim.counter(vendor, "logins") == 2, vendor);
    }
    // A replica shutting down does not end the session the others use.
    f.at(2).signal(SIGTERM);
    BOOST_TEST(f.at(2).wait_exit(20s).code == 0);
    for (const auto& [vendor, target] : vendors)
        BOOST_TEST(f.sim.counter(vendor, "logouts") == 0, vendor);
    BOOST_TEST(f.get(0, "/cpm/regions/").status == 200u);
    BOOST_TEST(f.sim.counter("cpm", "logins") == 2);
}

// The same Idempotency-Key through replica A, then B, then C: one job.
BOOST_AUTO_TEST_CASE(an_idempotency_key_holds_on_every_replica)
{
    fleet f;
    const auto first = f.post_keyed(0, "/cpm/policies/3/backups/", "{}", "\"fleet-1\"");
    BOOST_TEST_REQUIRE(first.status == 201u, first.body);
    const auto second = f.post_keyed(1, "/cpm/policies/3/backups/", "{}", "\"fleet-1\"");
    BOOST_TEST(second.status == 201u);
    BOOST_TEST(second.header("Idempotent-Replayed") == "true");
    BOOST_TEST(second.body == first.body);
    const auto other = f.post_keyed(2, "/cpm/policies/3/backups/", R"({"note":"x"})", "\"fleet-1\"");
    BOOST_TEST(other.status == 422u);
    BOOST_TEST(f.jobs() == 1);

    // 60 at once, 20 through each replica, one key: one job; the others see
    // it running (409) or its answer.
    std::vector<std::unique_ptr<child_process>> runs;
    for (std::size_t r = 0; r < 3; ++r) {
        std::vector<std::string> args{"--parallel", "--parallel-max", "20", "-s", "-H", "Authorization: Bearer " + key,
                                      "-H", "Content-Type: application/json", "-H", "Idempotency-Key: fleet-2",
                                      "--data-binary", "{}", "-w", "%{http_code}\\n"};
        for (int i = 0; i < 20; ++i) {
            args.push_back("-o");
            args.push_back("/dev/null");
            args.push_back(gateway_url(f.at(r), "/cpm/policies/4/backups/"));
        }
        runs.push_back(curl_async(args, 60));
    }
    std::size_t created = 0, busy = 0, other_status = 0;
    for (auto& run : runs) {
        BOOST_REQUIRE(run->wait_exit(70s).exited);
        std::istringstream lines(run->out());
        for (std::string line; std::getline(lines, line);)
            (line == "201" ? created : line == "409" ? busy : other_status) += 1;
    }
    BOOST_TEST(created + busy == 60u);
    BOOST_TEST(other_status == 0u);
    BOOST_TEST(f.jobs() == 2);
}

// A vendor's 429 with Retry-After: 5 seen through replica A: replica B sends
// nothing to that vendor for 5 s (its clients get 429 upstream-throttled),
// then sends again.
BOOST_AUTO_TEST_CASE(a_vendor_429_holds_for_the_whole_fleet)
{
    fleet f;
    for (std::size_t r = 0; r < 3; ++r)  // every replica logged in and talking to Redis
        BOOST_TEST_REQUIRE(f.get(r, "/cpm/regions/").status == 200u);
    BOOST_REQUIRE(f.sim.admin_post("cpm", "faults", R"({"count":1,"status":429,"retry_after":5})") == 200u);
    const auto vendor_said = f.get(0, "/cpm/regions/");
    const auto said_at = std::chrono::steady_clock::now();
    BOOST_TEST(vendor_said.status == 429u);
    BOOST_TEST(vendor_said.header("Retry-After") == "5");
    const auto before = f.sim.counter("cpm", "requests");
    std::size_t refused = 0;
    while (std::chrono::steady_clock::now() - said_at < 4s) {
        const auto r = f.get(1 + refused % 2, "/cpm/regions/");
        BOOST_TEST_REQUIRE(r.status == 429u, r.body);
        BOOST_TEST(r.json().at("type").as_string() == "urn:backup-gateway:problem:upstream-throttled");
        const auto wait = std::stoi(r.header("Retry-After"));
        BOOST_TEST((wait >= 1 && wait <= 5));
        ++refused;
        std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST(refused >= 20u);
    BOOST_TEST(f.sim.counter("cpm", "requests") == before);  // nothing reached the vendor
    BOOST_TEST(f.metric(1, "gateway_upstream_throttled_total") != "0");
    // Other vendors are not held.
    BOOST_TEST(f.get(1, "/veeam/virtualMachines").status == 200u);
    std::this_thread::sleep_until(said_at + 5200ms);
    BOOST_TEST(f.get(1, "/cpm/regions/").status == 200u);
    BOOST_TEST(f.sim.counter("cpm", "requests") == before + 1);
}

// Redis killed under load: no request fails because of it (limits fall back
// to each replica, counted); a keyed POST is refused (503) rather than risk a
// second job; Redis back on the same port: shared again, no restart.
BOOST_AUTO_TEST_CASE(redis_going_away_fails_no_request_and_sharing_resumes)
{
    fleet f;
    const auto port = f.redis->port;
    std::atomic<bool> stop{false};
    std::vector<unsigned> codes;
    std::thread load([&] {
        while (!stop)
            for (auto c : f.storm("/cpm/regions/", roomy_key, 10))
                codes.push_back(c);
    });
    std::this_thread::sleep_for(700ms);
    f.redis->proc->signal(SIGKILL);
    BOOST_REQUIRE(f.redis->proc->wait_exit(5s).exited);
    std::this_thread::sleep_for(1500ms);
    const auto refused = f.post_keyed(0, "/cpm/policies/3/backups/", "{}", "\"redis-down\"");
    BOOST_TEST(refused.status == 503u);
    BOOST_TEST(refused.json().at("type").as_string() ==
               "urn:backup-gateway:problem:idempotency-store-unavailable");
    BOOST_TEST(refused.header("Retry-After") == "1");
    BOOST_TEST(f.jobs() == 0);
    f.redis = std::make_unique<redis_server>(port);  // back, empty
    std::this_thread::sleep_for(1500ms);              // a failed connect is retried after 1 s
    stop = true;
    load.join();
    BOOST_TEST(codes.size() >= 60u);
    BOOST_TEST(count_of(codes, 200) == codes.size());
    std::size_t fallbacks = 0;
    for (std::size_t r = 0; r < 3; ++r)
        fallbacks += std::stoul(f.metric(r, "gateway_rate_limit_fallbacks_total"));
    BOOST_TEST(fallbacks > 0u);
    // Shared again: the keyed POST runs, once, and its record is in Redis.
    BOOST_TEST(f.post_keyed(1, "/cpm/policies/3/backups/", "{}", "\"redis-down\"").status == 201u);
    BOOST_TEST(f.post_keyed(2, "/cpm/policies/3/backups/", "{}", "\"redis-down\"").header("Idempotent-Replayed") ==
               "true");
    BOOST_TEST(f.jobs() == 1);
    // (A key lives until its limit is whole again: 200 ms for one request of 50/10s.)
    BOOST_TEST(f.get(0, "/cpm/regions/", limited_key).status == 200u);
    BOOST_TEST(f.redis->cli({"EXISTS", "t16:rl:c:50/10000ms:50:limited"}) == "1");
    BOOST_TEST(f.metric(0, "gateway_redis_up") == "1");
    BOOST_TEST(f.at(0).log().find("redis unreachable") != std::string::npos);
    BOOST_TEST(f.at(0).log().find("redis reachable again") != std::string::npos);
}

// Without redis: the same limits hold in the one process: a client's across
// its backends, a backend's across its clients.
BOOST_AUTO_TEST_CASE(limits_hold_in_one_process_without_redis)
{
    temp_dir dir;
    sim_process sim;
    gateway_process gw(dir.path(), fill(R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
access_log: {path: "off"}
clients:
  - {name: five, api_key_sha256: "{FIVE}", backends: ["*"], rate_limits: [{rate: 5/m}]}
  - {name: other, api_key_sha256: "{OTHER}", backends: ["*"]}
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
    rate_limits: [{rate: 3/m}]
)",
                                        {{"FIVE", sha256_hex("key-five")},
                                         {"OTHER", sha256_hex("key-other")},
                                         {"CPM", sim.base_url("cpm")},
                                         {"VEEAM", sim.base_url("veeam")}}),
                       1);
    std::vector<unsigned> five;
    for (int i = 0; i < 8; ++i)
        five.push_back(gateway_get(gw, "key-five", i % 2 ? "/cpm/regions/" : "/veeam/virtualMachines").status);
    // Five pass (three of them to veeam: its own 3/m is spent too), then the client's 5/m refuses.
    BOOST_TEST(count_of(five, 200) == 5u);
    BOOST_TEST(count_of(five, 429) == 3u);
    const auto other = gateway_get(gw, "key-other", "/veeam/virtualMachines");
    BOOST_TEST(other.status == 429u);  // veeam's 3 are spent, whoever asks
    BOOST_TEST(other.header("RateLimit-Policy") == "\"backend\";q=3;w=60");
    BOOST_TEST(other.header("RateLimit").starts_with("\"backend\";r=0;t="));
    BOOST_TEST(std::string(other.json().at("detail").as_string()).find("backend 'veeam': 3/m, burst 3") !=
               std::string::npos);
    BOOST_TEST(gateway_get(gw, "key-other", "/cpm/regions/").status == 200u);  // no limit of its own
    const auto refused = gateway_get(gw, "key-five", "/cpm/regions/");
    BOOST_TEST(refused.status == 429u);
    BOOST_TEST(refused.header("RateLimit-Policy") == "\"client\";q=5;w=60");
    const auto wait = std::stoi(refused.header("Retry-After"));
    BOOST_TEST((wait >= 1 && wait <= 12));  // one request per 12 s
}
