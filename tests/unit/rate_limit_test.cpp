// GCRA as the gateway applies it (gateway/rate_limit.*): the decision over
// several limits, the fallback share, the keys, the RateLimit header fields
// (draft-ietf-httpapi-ratelimit-headers-10), and the rate syntax of the YAML.
#define BOOST_TEST_MODULE rate_limit
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "config/values.hpp"
#include "gateway/rate_limit.hpp"
#include "gateway/redis_client.hpp"
#include "gateway/redis_idempotency.hpp"

using namespace bg;

namespace {

config::rate_limit limit(std::uint64_t count, long long period_ms, std::uint64_t burst, std::string spec)
{
    config::rate_limit l;
    l.count = count;
    l.period = config::duration(period_ms);
    l.burst = burst;
    l.spec = std::move(spec);
    return l;
}

constexpr std::int64_t second = 1'000'000;

}  // namespace

BOOST_AUTO_TEST_CASE(a_quiet_key_admits_the_burst_then_one_per_interval)
{
    const auto prepared = prepare_limits({limit(50, 10'000, 10, "50/10s")}, "bg:", "client", "ops");
    BOOST_REQUIRE_EQUAL(prepared.size(), 1u);
    BOOST_TEST(prepared[0].interval_us == 200'000);   // 10 s / 50
    BOOST_TEST(prepared[0].tolerance_us == 1'800'000); // 9 intervals
    local_limiter l;
    const std::vector<const prepared_limit*> limits{&prepared[0]};
    const std::int64_t t0 = 1'000 * second;
    for (int i = 0; i < 10; ++i) {
        const auto a = l.admit(limits, t0);
        BOOST_TEST((a.what == admission::verdict::admitted));
        BOOST_TEST(a.states[0].remaining == 9 - i);
    }
    const auto no = l.admit(limits, t0);
    BOOST_TEST((no.what == admission::verdict::limited));
    BOOST_TEST(no.wait_us == 200'000);            // the next interval
    BOOST_TEST(no.states[0].remaining == 0);
    BOOST_TEST(no.states[0].reset_us == 2'000'000);  // whole again after 10 intervals
    // A refusal consumes nothing: one interval later exactly one passes.
    BOOST_TEST((l.admit(limits, t0 + 199'999).what == admission::verdict::limited));
    BOOST_TEST((l.admit(limits, t0 + 200'000).what == admission::verdict::admitted));
    BOOST_TEST((l.admit(limits, t0 + 200'000).what == admission::verdict::limited));
    // After a quiet spell the burst is back, and no more than the burst.
    int passed = 0;
    while (l.admit(limits, t0 + 60 * second).what == admission::verdict::admitted)
        ++passed;
    BOOST_TEST(passed == 10);
}

BOOST_AUTO_TEST_CASE(every_limit_must_admit_and_a_refusal_moves_none)
{
    const auto client = prepare_limits({limit(100, 1'000, 100, "100/s")}, "", "client", "ops");
    const auto backend = prepare_limits({limit(2, 1'000, 2, "2/s")}, "", "backend", "cpm");
    const std::vector<const prepared_limit*> limits{&client[0], &backend[0]};
    local_limiter l;
    const std::int64_t t0 = 5 * second;
    BOOST_TEST((l.admit(limits, t0).what == admission::verdict::admitted));
    BOOST_TEST((l.admit(limits, t0).what == admission::verdict::admitted));
    const auto no = l.admit(limits, t0);
    BOOST_TEST((no.what == admission::verdict::limited));
    BOOST_TEST(no.states[0].remaining == 98);  // the client's limit was not charged for the refusal
    BOOST_TEST(no.states[1].remaining == 0);
    // The client's limit alone (another backend) still has its 98.
    const std::vector<const prepared_limit*> only_client{&client[0]};
    BOOST_TEST(l.admit(only_client, t0).states[0].remaining == 97);
}

BOOST_AUTO_TEST_CASE(keys_hold_configuration_names_only)
{
    const auto a = prepare_limits({limit(50, 10'000, 50, "50/10s"), limit(1000, 3'600'000, 100, "1000/h")}, "bg:",
                                  "client", "ops");
    BOOST_TEST(a[0].key == "bg:rl:c:50/10000ms:50:ops");
    BOOST_TEST(a[1].key == "bg:rl:c:1000/3600000ms:100:ops");
    BOOST_TEST(a[0].policy == "client");
    BOOST_TEST(a[1].policy == "client-2");
    const auto b = prepare_limits({limit(50, 10'000, 50, "50/10s")}, "bg:", "backend", "ops");
    BOOST_TEST(b[0].key == "bg:rl:b:50/10000ms:50:ops");  // a client and a backend of one name: two keys
}

BOOST_AUTO_TEST_CASE(the_fallback_share_is_the_limit_divided)
{
    const auto p = prepare_limits({limit(50, 10'000, 30, "50/10s")}, "", "client", "ops");
    const auto d = divided(p[0], 3);
    BOOST_TEST(d.interval_us == 600'000);
    BOOST_TEST(d.burst == 10u);
    BOOST_TEST(d.key == p[0].key);
    const auto tiny = divided(prepare_limits({limit(2, 1'000, 2, "2/s")}, "", "client", "x")[0], 5);
    BOOST_TEST(tiny.burst == 1u);  // never below one request
}

BOOST_AUTO_TEST_CASE(header_fields_follow_the_draft)
{
    const auto c = prepare_limits({limit(50, 10'000, 50, "50/10s")}, "", "client", "ops");
    const auto b = prepare_limits({limit(5, 500, 5, "5/500ms")}, "", "backend", "cpm");
    const std::vector<const prepared_limit*> limits{&c[0], &b[0]};
    BOOST_TEST(ratelimit_policy_field(limits) == "\"client\";q=50;w=10, \"backend\";q=10;w=1");
    admission a;
    a.states = {{0, 2'500'000}, {4, 100'000}};
    BOOST_TEST(ratelimit_field(limits, a) == "\"client\";r=0;t=3, \"backend\";r=4;t=1");
}

BOOST_AUTO_TEST_CASE(rates_parse_with_specific_errors)
{
    auto r = config::parse_rate("50/10s");
    BOOST_REQUIRE(r);
    BOOST_TEST(r.value->count == 50u);
    BOOST_TEST(r.value->period.count() == 10'000);
    BOOST_TEST(config::parse_rate("100/s").value->period.count() == 1'000);
    BOOST_TEST(config::parse_rate("5/m").value->period.count() == 60'000);
    BOOST_TEST(config::parse_rate("50").problem.find("50/10s") != std::string::npos);
    BOOST_TEST(config::parse_rate("0/s").problem.find("count") != std::string::npos);
    BOOST_TEST(config::parse_rate("5/0s").problem.find("at least 1ms") != std::string::npos);
    BOOST_TEST(config::parse_rate("5/parsec").problem.find("unit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rate_limits_and_redis_in_the_yaml)
{
    const auto cfg = config::load_from_string(R"(
listen: {address: 127.0.0.1, port: 8443}
redis: {address: redis.example, port: 6380, timeout: 20ms, replicas_hint: 3,
        encryption_key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}
clients:
  - name: ops
    api_key_sha256: c48a01f49fd0f2cc404bc3cbbc80e91457a3d41bb429a695243de4c61794155c
    backends: ["*"]
    rate_limits: [{rate: 50/10s, burst: 10}, {rate: 1000/h}]
backends:
  - {name: cpm, type: http, base_url: "http://127.0.0.1:1", rate_limits: [{rate: 100/s}]}
)");
    BOOST_REQUIRE(cfg.redis.has_value());
    BOOST_TEST(cfg.redis->address == "redis.example");
    BOOST_TEST(cfg.redis->port == 6380);
    BOOST_TEST(cfg.redis->timeout.count() == 20);
    BOOST_TEST(cfg.redis->replicas_hint == 3u);
    BOOST_TEST(cfg.redis->encryption_key.reveal().size() == 32u);
    BOOST_TEST(cfg.redis->key_prefix == "bg:");
    BOOST_REQUIRE_EQUAL(cfg.clients[0].rate_limits.size(), 2u);
    BOOST_TEST(cfg.clients[0].rate_limits[0].burst == 10u);
    BOOST_TEST(cfg.clients[0].rate_limits[1].burst == 1000u);  // the count, when not given
    BOOST_TEST(cfg.backends[0].rate_limits[0].count == 100u);

    auto problem = [](const std::string& yaml) {
        try {
            config::load_from_string(yaml);
        } catch (const config::error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string head = "listen: {address: 127.0.0.1, port: 8443}\n";
    BOOST_TEST(problem(head + "redis: {encryption_key: abc}\n").find("64 hex digits") != std::string::npos);
    BOOST_TEST(problem(head + "redis: {encryption_key: abc}\n").find("abc") == std::string::npos);  // a secret
    BOOST_TEST(problem(head + "redis: {replicas_hint: 0}\n").find("<string>:2: redis.replicas_hint") !=
               std::string::npos);
    BOOST_TEST(problem(head + "redis: {timeout: 0ms}\n").find("redis.timeout") != std::string::npos);
    BOOST_TEST(problem(head + "redis: {port: 0}\n").find("redis.port") != std::string::npos);
    BOOST_TEST(problem(head + "backends:\n  - {name: a, type: http, base_url: \"http://x\", rate_limits: [{rate: "
                              "fast}]}\n")
                   .find("backends[0].rate_limits[0].rate") != std::string::npos);
    BOOST_TEST(problem(head + "backends:\n  - {name: a, type: http, base_url: \"http://x\", rate_limits: [{rate: "
                              "5/s, burst: 0}]}\n")
                   .find("burst") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stored_header_fields_round_trip)
{
    const std::vector<std::pair<std::string, std::string>> fields{{"Location", "/api/policies/3"},
                                                                  {"X-Odd", "a: b"}};
    BOOST_TEST((decode_fields(encode_fields(fields)) == fields));
    BOOST_TEST(decode_fields("").empty());
}

BOOST_AUTO_TEST_CASE(throttle_messages_and_commands)
{
    const auto m = read_throttle_message("cpm\n5000");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->first == "cpm");
    BOOST_TEST(m->second == 5000);
    BOOST_TEST(!read_throttle_message("cpm").has_value());
    BOOST_TEST(!read_throttle_message("\n5000").has_value());
    BOOST_TEST(!read_throttle_message("cpm\n-1").has_value());
    BOOST_TEST(!read_throttle_message("cpm\n5s").has_value());
    const auto argv = throttle_command("bg:throttle:cpm", "bg:throttles", "cpm", 5000);
    BOOST_TEST((argv == std::vector<std::string>{"EVALSHA", throttle_script().sha1, "1", "bg:throttle:cpm", "5000",
                                                 "bg:throttles", "cpm\n5000"}));
    std::atomic<std::int64_t> until{100};
    hold_until(until, 50);
    BOOST_TEST(until.load() == 100);  // a longer hold stays
    hold_until(until, 300);
    BOOST_TEST(until.load() == 300);
}

BOOST_AUTO_TEST_CASE(the_admission_command_asks_for_a_lease)
{
    const auto p = prepare_limits({limit(1000, 10'000, 1000, "1000/10s")}, "bg:", "client", "ops");
    const std::vector<const prepared_limit*> limits{&p[0]};
    const auto argv = admission_command(limits, "bg:throttle:cpm", 10);
    BOOST_TEST((argv == std::vector<std::string>{"EVALSHA", admission_script().sha1, "2", "bg:rl:c:1000/10000ms:1000:ops",
                                                 "bg:throttle:cpm", "1", "10", "10000", "9990000"}));
}
