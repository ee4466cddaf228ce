// The credential lifecycle shared by the token-based vendors
// (adapters/login/): one login at a time across threads, renewal before
// expiry, back-off after a failure, rejection of a credential by a 401.
#define BOOST_TEST_MODULE token_adapter
#include <boost/test/unit_test.hpp>

#include "adapters/login/token_adapter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <boost/asio/detached.hpp>
#include <mutex>
#include <set>
#include <thread>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using bg::adapters::token_adapter;

namespace {

// A vendor whose login takes `latency`, yields "token-N" for the N-th login
// and lives `ttl`, or fails when `fail` is set.
class fake_vendor final : public token_adapter {
public:
    explicit fake_vendor(const bg::config::backend& b) : token_adapter(b) {}

    std::atomic<int> obtains{0};
    std::atomic<int> renewals{0};  // obtains that were given a previous credential
    std::atomic<bool> fail{false};
    std::chrono::milliseconds latency{50};
    std::chrono::milliseconds ttl{10'000};

protected:
    bg::adapters::awaitable<std::variant<credential, bg::gateway_error>> obtain(
        bg::adapters::upstream_client&, const std::optional<credential>& previous) override
    {
        const int n = ++obtains;
        if (previous)
            ++renewals;
        asio::steady_timer t(co_await asio::this_coro::executor, latency);
        co_await t.async_wait(asio::use_awaitable);
        if (fail) {
            bg::gateway_error e{bg::errc::upstream_auth_failed, "wrong password", 401u, {}};
            co_return e;
        }
        credential c;
        c.issued = now();
        c.access = "token-" + std::to_string(n);
        c.access_expires = c.issued + ttl;
        co_return c;
    }
    void apply(http::request_header<>& head, const credential& c) const override
    {
        head.set(http::field::authorization, "Bearer " + c.access);
    }
    std::string carried(const http::request_header<>& head) const override
    {
        auto v = std::string(head[http::field::authorization]);
        return v.size() > 7 ? v.substr(7) : std::string();
    }
};

class no_upstream final : public bg::adapters::upstream_client {
public:
    bg::adapters::awaitable<bg::adapters::upstream_result> send(http::request<http::string_body>&) override
    {
        bg::gateway_error e{bg::errc::upstream_unreachable, "not in this test", {}, {}};
        co_return e;
    }
};

bg::config::backend fake_backend()
{
    bg::config::backend b;
    b.name = "fake";
    b.type = "fake";
    b.timeouts.connect = 1000ms;
    b.timeouts.request = 1000ms;
    return b;
}

struct outcome {
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::mutex mutex;
    std::set<std::string> tokens;
};

// `n` concurrent requests, spread over two event loops on two threads.
void attach_concurrently(fake_vendor& v, int n, outcome& out)
{
    asio::io_context a, b;
    no_upstream up;
    for (int i = 0; i < n; ++i) {
        auto& io = i % 2 ? a : b;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                http::request_header<> head;
                auto err = co_await v.attach_credentials(head, nullptr, up);
                if (err) {
                    ++out.failed;
                    co_return;
                }
                ++out.ok;
                std::lock_guard lock(out.mutex);
                out.tokens.insert(std::string(head[http::field::authorization]));
            },
            asio::detached);
    }
    std::thread other([&] { a.run(); });
    b.run();
    other.join();
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_first_requests_cause_one_login)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    outcome out;
    attach_concurrently(v, 200, out);
    BOOST_TEST(v.obtains.load() == 1);
    BOOST_TEST(out.ok.load() == 200);
    BOOST_TEST(out.failed.load() == 0);
    BOOST_TEST(out.tokens.size() == 1u);
    BOOST_TEST(*out.tokens.begin() == "Bearer token-1");
}

BOOST_AUTO_TEST_CASE(a_failed_login_is_shared_and_backs_off)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    v.fail = true;
    outcome out;
    attach_concurrently(v, 200, out);
    BOOST_TEST(v.obtains.load() == 1);  // the waiters take the leader's failure
    BOOST_TEST(out.failed.load() == 200);
    // Within the back-off (1 s after the first failure) nobody logs in again.
    outcome again;
    attach_concurrently(v, 50, again);
    BOOST_TEST(v.obtains.load() == 1);
    BOOST_TEST(again.failed.load() == 50);
}

BOOST_AUTO_TEST_CASE(a_login_after_the_back_off_succeeds)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    v.fail = true;
    outcome first;
    attach_concurrently(v, 10, first);
    BOOST_TEST(first.failed.load() == 10);
    v.fail = false;
    std::this_thread::sleep_for(1100ms);
    outcome second;
    attach_concurrently(v, 10, second);
    BOOST_TEST(v.obtains.load() == 2);
    BOOST_TEST(second.ok.load() == 10);
}

BOOST_AUTO_TEST_CASE(an_ageing_credential_is_renewed_once_while_others_use_it)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    v.ttl = 1000ms;
    outcome first;
    attach_concurrently(v, 1, first);
    BOOST_TEST(v.obtains.load() == 1);
    std::this_thread::sleep_for(850ms);  // past 80% of the lifetime, before its last tenth
    outcome second;
    attach_concurrently(v, 100, second);
    BOOST_TEST(v.obtains.load() == 2);
    BOOST_TEST(v.renewals.load() == 1);  // the renewal was given the previous credential
    BOOST_TEST(second.ok.load() == 100);
    BOOST_TEST(second.failed.load() == 0);
}

// A renewal that fails while the credential is still usable costs no
// request: the one that led it, like the others, is sent with the current
// credential, and the back-off keeps the next ones from renewing at once.
BOOST_AUTO_TEST_CASE(a_failed_renewal_of_an_ageing_credential_fails_no_request)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    v.ttl = 3000ms;  // ageing from 2.4 s, usable until 2.7 s
    outcome first;
    attach_concurrently(v, 1, first);
    std::this_thread::sleep_for(2450ms);
    v.fail = true;
    outcome second;
    attach_concurrently(v, 20, second);
    BOOST_TEST(v.obtains.load() == 2);  // one renewal attempt, then the back-off
    BOOST_TEST(second.failed.load() == 0);
    BOOST_TEST(second.ok.load() == 20);
    BOOST_TEST(second.tokens.size() == 1u);
    BOOST_TEST(*second.tokens.begin() == "Bearer token-1");
}

BOOST_AUTO_TEST_CASE(an_expired_credential_is_never_sent)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    v.ttl = 300ms;
    outcome first;
    attach_concurrently(v, 1, first);
    std::this_thread::sleep_for(350ms);  // expired
    outcome second;
    attach_concurrently(v, 20, second);
    BOOST_TEST(v.obtains.load() == 2);
    BOOST_TEST(second.tokens.size() == 1u);
    BOOST_TEST(*second.tokens.begin() == "Bearer token-2");
}

BOOST_AUTO_TEST_CASE(a_rejected_credential_is_replaced_but_a_newer_one_is_kept)
{
    const auto b = fake_backend();
    fake_vendor v(b);
    outcome first;
    attach_concurrently(v, 1, first);
    http::request_header<> stale;
    stale.set(http::field::authorization, "Bearer token-0");  // not the current one
    v.credentials_rejected(stale);
    outcome still;
    attach_concurrently(v, 5, still);
    BOOST_TEST(v.obtains.load() == 1);

    http::request_header<> current;
    current.set(http::field::authorization, "Bearer token-1");
    v.credentials_rejected(current);
    outcome after;
    attach_concurrently(v, 5, after);
    BOOST_TEST(v.obtains.load() == 2);
    BOOST_TEST(*after.tokens.begin() == "Bearer token-2");
}
