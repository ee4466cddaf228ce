// gateway/idempotency.*: the in-process store of Idempotency-Key records
// (what became of the first request), its expiry and its bounds; the key's
// syntax and scope.
#define BOOST_TEST_MODULE idempotency
#include <boost/test/unit_test.hpp>

#include "gateway/idempotency.hpp"

using namespace bg;
using namespace std::chrono_literals;
using state = idempotency_store::state;

namespace {

idempotency_store::clock::time_point fake_now{};
idempotency_store::clock::time_point now() { return fake_now; }

stored_answer answer(unsigned status, std::string body)
{
    return stored_answer{status, {{"Content-Type", "application/json"}}, std::move(body), true};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_key_runs_once)
{
    memory_idempotency_store s(100, 1 << 20, &now);
    BOOST_TEST((s.begin("k1", "fp", 24h).what == state::fresh));
    BOOST_TEST((s.begin("k1", "fp", 24h).what == state::running));   // a duplicate while it runs
    BOOST_TEST((s.begin("k1", "other", 24h).what == state::mismatch)); // another body
    s.answered("k1", answer(201, R"({"id":7})"));
    const auto again = s.begin("k1", "fp", 24h);
    BOOST_TEST((again.what == state::answered));
    BOOST_REQUIRE(again.answer);
    BOOST_TEST(again.answer->status == 201u);
    BOOST_TEST(again.answer->body == R"({"id":7})");
    BOOST_TEST(again.answer->headers.at(0).first == "Content-Type");
    BOOST_TEST((s.begin("k2", "fp", 24h).what == state::fresh));  // another scope
}

BOOST_AUTO_TEST_CASE(a_lost_answer_stays_unknown_and_a_refused_one_is_released)
{
    memory_idempotency_store s(100, 1 << 20, &now);
    BOOST_TEST((s.begin("lost", "fp", 24h).what == state::fresh));
    s.unknown("lost");
    BOOST_TEST((s.begin("lost", "fp", 24h).what == state::unknown));
    BOOST_TEST((s.begin("lost", "fp", 24h).what == state::unknown));
    BOOST_TEST((s.begin("refused", "fp", 24h).what == state::fresh));
    s.release("refused");
    BOOST_TEST((s.begin("refused", "fp", 24h).what == state::fresh));
}

BOOST_AUTO_TEST_CASE(records_expire)
{
    memory_idempotency_store s(100, 1 << 20, &now);
    BOOST_TEST((s.begin("k", "fp", 10s).what == state::fresh));
    s.answered("k", answer(200, "x"));
    fake_now += 9s;
    BOOST_TEST((s.begin("k", "fp", 10s).what == state::answered));
    fake_now += 2s;
    BOOST_TEST((s.begin("k", "fp", 10s).what == state::fresh));  // a new request
    BOOST_TEST(s.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bounded_in_count_and_bytes_never_dropping_a_running_one)
{
    memory_idempotency_store s(3, 1000, &now);
    BOOST_TEST((s.begin("running", "fp", 24h).what == state::fresh));
    for (int i = 0; i < 10; ++i) {
        const auto k = "done" + std::to_string(i);
        BOOST_TEST((s.begin(k, "fp", 24h).what == state::fresh));
        s.answered(k, answer(200, "body"));
    }
    BOOST_TEST(s.size() <= 3u);
    BOOST_TEST((s.begin("running", "fp", 24h).what == state::running));
    BOOST_TEST((s.begin("done9", "fp", 24h).what == state::answered));  // the newest kept
    // An answer above a quarter of the bytes is kept without its body.
    BOOST_TEST((s.begin("big", "fp", 24h).what == state::fresh));
    s.answered("big", answer(200, std::string(600, 'x')));
    const auto big = s.begin("big", "fp", 24h);
    BOOST_TEST((big.what == state::answered));
    BOOST_TEST(!big.answer->body_kept);
    BOOST_TEST(s.bytes() <= 1000u);
}

BOOST_AUTO_TEST_CASE(keys_and_scopes)
{
    BOOST_TEST(*parse_idempotency_key("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"") ==
               "8e03978e-40d5-43e8-bc93-6894a57f9324");
    BOOST_TEST(*parse_idempotency_key(" k-1 ") == "k-1");
    for (const char* bad : {"", "\"\"", "a b", "\"a\\\"b\"", "caf\xc3\xa9"})
        BOOST_TEST(!parse_idempotency_key(bad), bad);
    BOOST_TEST(!parse_idempotency_key(std::string(256, 'k')));
    BOOST_TEST(parse_idempotency_key(std::string(255, 'k')).has_value());
    BOOST_TEST(idempotency_scope("ops", "cpm", "POST", "/api/policies/3/backups/", "k") ==
               "ops\ncpm\nPOST\n/api/policies/3/backups/\nk");
    BOOST_TEST(idempotency_scope("a", "b", "POST", "/p", "k") != idempotency_scope("a", "b", "PATCH", "/p", "k"));
}
