// What operators see (issue 18), in process: the duration histogram and its
// quantiles, the last minute's window, the access log's masking of secret
// query values, and the status page's HTML (escaped, complete).
#define BOOST_TEST_MODULE observability
#include <boost/test/unit_test.hpp>

#include "gateway/http_util.hpp"
#include "gateway/observed.hpp"
#include "gateway/status_page.hpp"

#include <boost/json/parse.hpp>

#include <thread>

using namespace std::chrono_literals;
using bg::backend_observations;

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(a_duration_falls_in_the_first_bucket_whose_bound_holds_it)
{
    // `le` is inclusive: 5 ms is in the 0.005 bucket; just over, in the next.
    BOOST_TEST(backend_observations::bucket_of(0us) == 0u);
    BOOST_TEST(backend_observations::bucket_of(1000us) == 0u);
    BOOST_TEST(backend_observations::bucket_of(1001us) == 1u);
    BOOST_TEST(backend_observations::bucket_of(5000us) == 2u);
    BOOST_TEST(backend_observations::bucket_of(5001us) == 3u);
    BOOST_TEST(backend_observations::bucket_of(60s) == bg::duration_bounds_s.size() - 1);
    BOOST_TEST(backend_observations::bucket_of(61s) == bg::duration_bounds_s.size());  // +Inf
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_inside_the_bucket)
{
    std::array<std::uint64_t, bg::duration_buckets> b{};
    BOOST_TEST(!backend_observations::quantile_ms(b, 0.5).has_value());
    // 100 requests between 10 and 25 ms: the median halfway, p99 near the top.
    b[backend_observations::bucket_of(20ms)] = 100;
    BOOST_TEST(*backend_observations::quantile_ms(b, 0.5) == 17.5, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(*backend_observations::quantile_ms(b, 0.99) == 24.85, boost::test_tools::tolerance(1e-9));
    // One slow request in 100 moves p99 but not the median.
    b[backend_observations::bucket_of(20ms)] = 98;
    b[backend_observations::bucket_of(3s)] = 2;  // (2.5, 5] s
    BOOST_TEST(*backend_observations::quantile_ms(b, 0.5) < 25.0);
    BOOST_TEST(*backend_observations::quantile_ms(b, 0.99) == 3750.0, boost::test_tools::tolerance(1e-9));
    // Beyond the last bound only the bound is known.
    std::array<std::uint64_t, bg::duration_buckets> slow{};
    slow.back() = 3;
    BOOST_TEST(*backend_observations::quantile_ms(slow, 0.5) == 60'000.0);
}

BOOST_AUTO_TEST_CASE(cumulative_and_last_minute_agree_and_count_every_thread)
{
    backend_observations o;
    // Two threads on two shards, as two workers.
    auto work = [&](std::size_t shard) {
        bg::set_thread_shard(shard);
        for (int i = 0; i < 1000; ++i)
            o.record(std::chrono::microseconds(2000 + i), i % 10 == 0, 1 + (i % 2));
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    const auto t = o.cumulative();
    BOOST_TEST(t.count == 2000u);
    BOOST_TEST(t.failed == 200u);
    BOOST_TEST(t.attempts == 3000u);
    std::uint64_t in_buckets = 0;
    for (auto c : t.buckets)
        in_buckets += c;
    BOOST_TEST(in_buckets == 2000u);
    BOOST_TEST(t.sum_us == 2u * (1000u * 2000u + 999u * 1000u / 2u));
    const auto m = o.last_minute();
    BOOST_TEST(m.requests == 2000u);
    BOOST_TEST(m.failed == 200u);
    BOOST_TEST(m.seconds >= 1.0);
    BOOST_TEST(m.seconds <= 60.5);
    // 2 to 3 ms: the (2.5, 5] ms bucket and the one below it.
    BOOST_TEST(*m.p50_ms > 1.0);
    BOOST_TEST(*m.p99_ms <= 5.0);
}

BOOST_AUTO_TEST_CASE(a_sharded_counter_sums_its_shards)
{
    bg::sharded_counter c;
    std::thread a([&] { bg::set_thread_shard(3); for (int i = 0; i < 500; ++i) c.add(); });
    std::thread b([&] { bg::set_thread_shard(3); for (int i = 0; i < 500; ++i) c.add(2); });  // one shard, two threads
    a.join();
    b.join();
    c.add(7);
    BOOST_TEST(c.value() == 1507u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_log_query)

BOOST_AUTO_TEST_CASE(values_named_like_secrets_are_masked)
{
    BOOST_TEST(bg::masked_query("") == "");
    BOOST_TEST(bg::masked_query("page=2&sort=-name") == "page=2&sort=-name");
    BOOST_TEST(bg::masked_query("access_token=abc&page=2") == "access_token=***&page=2");
    BOOST_TEST(bg::masked_query("X-Amz-Signature=f00&X-Amz-Credential=AKID%2F2026&X-Amz-Date=20261207T000000Z") ==
               "X-Amz-Signature=***&X-Amz-Credential=***&X-Amz-Date=20261207T000000Z");
    BOOST_TEST(bg::masked_query("key=1&monkey=2&sig=3&code=4") == "key=***&monkey=***&sig=***&code=***");
    // The name as decoded and case-insensitively; a name without a value kept.
    BOOST_TEST(bg::masked_query("Client%5FSecret=x&password&PassWord=y") == "Client%5FSecret=***&password&PassWord=***");
    BOOST_TEST(bg::masked_query("sessionid=a&sessionid=b") == "sessionid=***&sessionid=***");
    // Not secrets: the ordinary list parameters.
    BOOST_TEST(bg::masked_query("q=name%3Dweb&limit=10&offset=0&filter=status:ok") ==
               "q=name%3Dweb&limit=10&offset=0&filter=status:ok");
    // Empty pieces and a bad escape stay as they were.
    BOOST_TEST(bg::masked_query("&&a=%zz&token=%zz") == "&&a=%zz&token=***");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_page)

const char* const document = R"({
  "gateway": {"version": "0.1.0", "now": "2026-12-07T09:02:05Z", "started_at": "2026-12-07T08:00:00Z", "uptime_seconds": 3725,
              "config_generation": 3,
              "last_reload": {"result": "failure", "at": "2026-12-07T09:00:00Z", "error": "gw.yaml:4: <bad> & worse"},
              "draining": false, "redis": {"configured": true, "reachable": false}},
  "backends": [
    {"name": "cpm", "type": "n2ws-cpm", "base_url": "https://cpm.example.com:443/api",
     "breaker": {"state": "open", "since": "2026-12-07T09:01:00Z", "opened_total": 1},
     "in_flight": 2, "limit": 64, "queued": 0,
     "last_minute": {"requests": 120, "requests_per_second": 2.0, "errors": 6, "error_rate": 0.05,
                     "p50_ms": 41.5, "p99_ms": 2400.0},
     "credential": {"kind": "login", "state": "valid", "valid_until": "2026-12-07T10:00:00Z",
                    "last_login": "2026-12-07T09:00:00Z", "renewals": 1, "failures": 0,
                    "consecutive_failures": 0, "last_failure": null},
     "last_error": {"at": "2026-12-07T09:00:59Z", "detail": "upstream answered 503 <script>alert(1)</script>"}},
    {"name": "cb", "type": "cloudbasic", "base_url": "https://cb.example.com:443",
     "breaker": {"state": "closed", "since": "2026-12-07T08:00:00Z", "opened_total": 0},
     "in_flight": 0, "limit": null, "queued": 0,
     "last_minute": {"requests": 0, "requests_per_second": 0.0, "errors": 0, "error_rate": 0.0,
                     "p50_ms": null, "p99_ms": null},
     "credential": {"kind": "static", "state": "static"}, "last_error": null}],
  "clients": [{"name": "ops \"team\"", "requests": 500, "rate_limited": 7}]
})";

BOOST_AUTO_TEST_CASE(every_fact_is_on_the_page_and_every_string_escaped)
{
    const auto html = bg::render_status_html(boost::json::parse(document).as_object());
    auto has = [&](std::string_view s) { return html.find(s) != std::string::npos; };
    BOOST_TEST(has("<meta http-equiv=\"refresh\" content=\"5\">"));
    BOOST_TEST(!has("<script"));  // no script of ours, and the vendor's text escaped
    BOOST_TEST(has("upstream answered 503 &lt;script&gt;alert(1)&lt;/script&gt;"));
    BOOST_TEST(has("gw.yaml:4: &lt;bad&gt; &amp; worse"));
    BOOST_TEST(!has("http://"));  // nothing loaded from elsewhere
    BOOST_TEST(!has("src="));
    BOOST_TEST(has("<dd data-field=\"version\">0.1.0</dd>"));
    BOOST_TEST(has("1h 2m"));  // 3725 s up
    BOOST_TEST(has("<dd data-field=\"generation\">3</dd>"));
    BOOST_TEST(has("unreachable"));  // Redis
    BOOST_TEST(has("<tr class=\"backend open\" data-backend=\"cpm\" data-breaker=\"open\">"));
    BOOST_TEST(has("<tr class=\"backend closed\" data-backend=\"cb\" data-breaker=\"closed\">"));
    BOOST_TEST(has("https://cpm.example.com:443/api"));
    BOOST_TEST(has("2 / 64 (0)"));
    BOOST_TEST(has("0 / no limit (0)"));
    BOOST_TEST(has(">5.0 %<"));
    BOOST_TEST(has(">41.5 ms<"));
    BOOST_TEST(has(">2400.0 ms<"));
    // Times of the page's own day are short (the whole one in a title).
    BOOST_TEST(has(">valid</span><br>until 10:00:00Z<br>last login 09:00:00Z"));
    BOOST_TEST(has("since <span title=\"2026-12-07T09:01:00Z\">09:01:00Z</span>"));
    BOOST_TEST(has("static keys<br>(each request signed)"));
    BOOST_TEST(has("data-client=\"ops &quot;team&quot;\""));
    BOOST_TEST(has("<td class=\"rate-limited num\">7</td>"));
}

BOOST_AUTO_TEST_CASE(a_partial_document_still_renders)
{
    const auto html = bg::render_status_html(boost::json::parse(R"({"backends":[{"name":"x"}, 3]})").as_object());
    BOOST_TEST(html.find("data-backend=\"x\"") != std::string::npos);
    BOOST_TEST(html.find("</html>") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
