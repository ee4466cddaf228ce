// gateway/resilience.*: which outcomes are failures and which a retry may
// cure, Retry-After in both forms, the full-jitter backoff, the retry budget
// and the circuit breaker on a clock the test moves (docs/resilience.md).
#define BOOST_TEST_MODULE resilience
#include <boost/test/unit_test.hpp>

#include "gateway/resilience.hpp"

#include <set>

using namespace bg;
using namespace std::chrono_literals;

namespace {

steady::time_point fake_now{};
steady::time_point now() { return fake_now; }

std::chrono::system_clock::time_point at(std::time_t t) { return std::chrono::system_clock::from_time_t(t); }

}  // namespace

BOOST_AUTO_TEST_CASE(outcomes)
{
    for (unsigned s : {429u, 502u, 503u, 504u})
        BOOST_TEST((outcome_of_status(s) == outcome::retryable), s);
    for (unsigned s : {500u, 501u, 505u, 599u})
        BOOST_TEST((outcome_of_status(s) == outcome::failure), s);
    for (unsigned s : {200u, 204u, 301u, 400u, 401u, 404u, 409u})
        BOOST_TEST((outcome_of_status(s) == outcome::success), s);
    BOOST_TEST((outcome_of_error(gateway_error{errc::upstream_unreachable, "", {}, {}}) == outcome::retryable));
    BOOST_TEST((outcome_of_error(gateway_error{errc::upstream_timeout, "", {}, {}}) == outcome::failure));
    BOOST_TEST((outcome_of_error(gateway_error{errc::upstream_auth_failed, "", {}, {}}) == outcome::success));
}

// RFC 9110 §10.2.3: delay-seconds or an HTTP-date (the three forms of §5.6.7).
BOOST_AUTO_TEST_CASE(retry_after_in_both_forms)
{
    const auto t0 = at(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    BOOST_TEST(parse_retry_after("120", t0)->count() == 120'000);
    BOOST_TEST(parse_retry_after(" 3\t", t0)->count() == 3'000);
    BOOST_TEST(parse_retry_after("0", t0)->count() == 0);
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", t0)->count() == 10'000);
    BOOST_TEST(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", t0)->count() == 60'000);
    BOOST_TEST(parse_retry_after("Sun Nov  6 08:49:38 1994", t0)->count() == 1'000);
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", t0)->count() == 0);  // past: now
    BOOST_TEST(parse_retry_after("99999999999999999999999", t0)->count() >= 3600'000);  // never fits a deadline
    for (const char* bad : {"", " ", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:47", "12 s"})
        BOOST_TEST(!parse_retry_after(bad, t0), bad);
}

BOOST_AUTO_TEST_CASE(full_jitter_backoff)
{
    config::retry_settings s;  // base 100 ms, cap 2 s
    for (std::uint64_t r = 0; r < 5000; r += 37) {
        BOOST_TEST(backoff(s, 1, r).count() < 100);
        BOOST_TEST(backoff(s, 2, r).count() < 200);
        BOOST_TEST(backoff(s, 9, r).count() < 2000);  // 25.6 s, capped
        BOOST_TEST(backoff(s, 40, r).count() < 2000);  // no overflow
    }
    BOOST_TEST(backoff(s, 1, 99).count() == 99);
    BOOST_TEST(backoff(s, 1, 100).count() == 0);
    s.backoff_base = 0ms;
    BOOST_TEST(backoff(s, 3, 12345).count() == 0);
    std::set<std::uint64_t> drawn;
    for (int i = 0; i < 50; ++i)
        drawn.insert(jitter_random());
    BOOST_TEST(drawn.size() > 45u);
}

// Retries in flight at most budget_percent of the requests in flight, plus budget_min.
BOOST_AUTO_TEST_CASE(the_retry_budget)
{
    backend_health h({}, {}, {}, &now);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(h.try_start_retry());
    BOOST_TEST(!h.try_start_retry());  // 3 + 0 % of none
    h.retry_ended();
    BOOST_TEST(h.try_start_retry());
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(h.try_enter());
    BOOST_TEST(h.try_start_retry());  // 3 + 20 % of 10 = 5
    BOOST_TEST(h.try_start_retry());
    BOOST_TEST(!h.try_start_retry());
    BOOST_TEST(h.retries() == 6u);
    BOOST_TEST(h.retries_denied() == 2u);
}

BOOST_AUTO_TEST_CASE(the_circuit_breaker)
{
    using state = backend_health::state;
    using admission = backend_health::admission;
    config::breaker_settings b;  // 5 failures, 5 s, doubling to 5 min
    backend_health h({}, b, {}, &now);
    milliseconds wait{0};
    // Failures that a success interrupts do not open it.
    for (int i = 0; i < 4; ++i)
        h.record(true, false);
    h.record(false, false);
    for (int i = 0; i < 4; ++i)
        h.record(true, false);
    BOOST_TEST((h.current() == state::closed));
    BOOST_TEST((h.admit(wait) == admission::allowed));
    h.record(true, false);  // the fifth in a row
    BOOST_TEST((h.current() == state::open));
    BOOST_TEST(h.opened() == 1u);
    BOOST_TEST((h.admit(wait) == admission::refused));
    BOOST_TEST(wait.count() == 5000);
    fake_now += 4s;
    BOOST_TEST((h.admit(wait) == admission::refused));
    BOOST_TEST(wait.count() == 1000);
    fake_now += 1s;
    BOOST_TEST((h.admit(wait) == admission::probe));  // exactly one
    BOOST_TEST((h.current() == state::half_open));
    BOOST_TEST((h.admit(wait) == admission::refused));
    h.record(true, true);  // the probe failed: open twice as long
    BOOST_TEST((h.admit(wait) == admission::refused));
    BOOST_TEST(wait.count() == 10'000);
    fake_now += 10s;
    BOOST_TEST((h.admit(wait) == admission::probe));
    h.record(false, true);  // closed again, counting from zero
    BOOST_TEST((h.current() == state::closed));
    for (int i = 0; i < 4; ++i)
        h.record(true, false);
    BOOST_TEST((h.current() == state::closed));
    // Doubling stops at open_max.
    h.record(true, false);
    for (int i = 0; i < 12; ++i) {
        fake_now += 10min;
        BOOST_TEST((h.admit(wait) == admission::probe));
        h.record(true, true);
    }
    BOOST_TEST((h.admit(wait) == admission::refused));
    BOOST_TEST(wait.count() == 300'000);
    // A probe whose outcome never comes is replaced after probe_grace.
    fake_now += 5min;
    BOOST_TEST((h.admit(wait) == admission::probe));
    fake_now += backend_health::probe_grace;
    BOOST_TEST((h.admit(wait) == admission::probe));
    BOOST_TEST(h.refused() >= 5u);
}

BOOST_AUTO_TEST_CASE(a_breaker_of_zero_failures_never_opens)
{
    config::breaker_settings b;
    b.failures = 0;
    backend_health h({}, b, {}, &now);
    milliseconds wait{0};
    for (int i = 0; i < 100; ++i)
        h.record(true, false);
    BOOST_TEST((h.admit(wait) == backend_health::admission::allowed));
}
