// gateway/redis_client.* against a real redis-server (Debian's), started here
// on a free loopback port and stopped afterwards: replies of every kind,
// pipelined calls on one connection, the timeout when the server stops
// answering (SIGSTOP), the fast failure while it is down, and the reconnect
// when it is back.
#define BOOST_TEST_MODULE integration_redis_client
#include <boost/test/unit_test.hpp>

#include "gateway/redis_client.hpp"
#include "tests/integration/harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace bgtest;
namespace asio = boost::asio;
using bg::redis::reply;
using namespace std::chrono_literals;

namespace {

// Runs `body` (a coroutine using `c`) to its end on a fresh io_context.
template <class Body>
void run(const bg::redis::settings& s, Body body)
{
    asio::io_context ctx;
    auto c = std::make_shared<bg::redis::connection>(ctx.get_executor(), s);
    auto done = asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            co_await body(c);
            c->close();  // its reader would keep the loop running
        },
        asio::use_future);
    ctx.run();
    done.get();
}

const reply& ok(const bg::redis::result& r)
{
    if (const auto* e = std::get_if<bg::gateway_error>(&r))
        BOOST_FAIL("redis call failed: " << e->detail);
    return std::get<reply>(r);
}

}  // namespace

BOOST_AUTO_TEST_CASE(replies_of_every_kind)
{
    redis_server server(free_port());
    bg::redis::settings s;
    s.port = server.port;
    run(s, [](std::shared_ptr<bg::redis::connection> c) -> asio::awaitable<void> {
        const std::vector<std::string> cmd1{"PING"};
        const auto pong = co_await c->call(cmd1);
        BOOST_TEST((ok(pong).type == reply::kind::status));
        BOOST_TEST(ok(pong).str == "PONG");
        const std::string binary("a\0b\r\nc", 6);
        const std::vector<std::string> cmd2{"SET", "k", binary};
        const auto r1 = co_await c->call(cmd2);
        BOOST_TEST((ok(r1).type == reply::kind::status));
        const std::vector<std::string> cmd3{"GET", "k"};
        const auto got = co_await c->call(cmd3);
        BOOST_TEST((ok(got).type == reply::kind::string));
        BOOST_TEST(ok(got).str == binary);
        const std::vector<std::string> cmd4{"INCRBY", "n", "41"};
        const auto r2 = co_await c->call(cmd4);
        BOOST_TEST(ok(r2).integer == 41);
        const std::vector<std::string> cmd5{"GET", "missing"};
        const auto r3 = co_await c->call(cmd5);
        BOOST_TEST((ok(r3).type == reply::kind::nil));
        const std::vector<std::string> cmd6{"MGET", "n", "missing"};
        const auto both = co_await c->call(cmd6);
        BOOST_TEST((ok(both).type == reply::kind::array));
        BOOST_REQUIRE(ok(both).elements.size() == 2u);
        BOOST_TEST(ok(both).elements[0].str == "41");
        const std::vector<std::string> cmd7{"NOSUCHCOMMAND"};
        const auto bad = co_await c->call(cmd7);
        BOOST_TEST((ok(bad).type == reply::kind::error));  // the server's error is a reply
        const std::vector<std::string> cmd8{"EVAL", "return redis.call('INCR', KEYS[1]) * 2", "1", "n"};
        const auto script = co_await c->call(cmd8);
        BOOST_TEST(ok(script).integer == 84);
        BOOST_TEST(c->connects() == 1u);
    });
}

// 300 calls at once from one event loop: one connection, every reply to its call.
BOOST_AUTO_TEST_CASE(calls_are_pipelined_on_one_connection)
{
    redis_server server(free_port());
    bg::redis::settings s;
    s.port = server.port;
    run(s, [](std::shared_ptr<bg::redis::connection> c) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        int matched = 0;
        int finished = 0;
        for (int i = 0; i < 300; ++i)
            asio::co_spawn(
                ex,
                [c, i, &matched, &finished]() -> asio::awaitable<void> {
                    const auto key = "key" + std::to_string(i);
                    const std::vector<std::string> cmd9{"SET", key, std::to_string(i * 7)};
                    co_await c->call(cmd9);
                    const std::vector<std::string> cmd10{"GET", key};
                    const auto r = co_await c->call(cmd10);
                    if (const auto* v = std::get_if<reply>(&r); v && v->str == std::to_string(i * 7))
                        ++matched;
                    ++finished;
                },
                asio::detached);
        asio::steady_timer wait(ex);
        for (int i = 0; i < 200 && finished < 300; ++i) {
            wait.expires_after(10ms);
            co_await wait.async_wait(asio::use_awaitable);
        }
        BOOST_TEST(finished == 300);
        BOOST_TEST(matched == 300);
        BOOST_TEST(c->connects() == 1u);
    });
}

// A server that stops answering: each call ends at its timeout, never hangs;
// when it answers again, the next call reconnects.
BOOST_AUTO_TEST_CASE(a_silent_server_times_out_and_is_reconnected)
{
    redis_server server(free_port());
    bg::redis::settings s;
    s.port = server.port;
    s.timeout = 50ms;
    run(s, [&server](std::shared_ptr<bg::redis::connection> c) -> asio::awaitable<void> {
        const std::vector<std::string> cmd11{"PING"};
        ok(co_await c->call(cmd11));
        server.proc->signal(SIGSTOP);
        const auto t = std::chrono::steady_clock::now();
        const std::vector<std::string> cmd12{"PING"};
        const auto silent = co_await c->call(cmd12);
        const auto took = std::chrono::steady_clock::now() - t;
        BOOST_REQUIRE(std::holds_alternative<bg::gateway_error>(silent));
        BOOST_TEST(std::get<bg::gateway_error>(silent).detail.find("no reply within 50 ms") != std::string::npos);
        BOOST_TEST((took >= 45ms && took < 500ms));
        BOOST_TEST(!c->connected());
        server.proc->signal(SIGCONT);
        const std::vector<std::string> cmd13{"PING"};
        const auto back = co_await c->call(cmd13);
        BOOST_TEST(ok(back).str == "PONG");
        BOOST_TEST(c->connects() == 2u);
    });
}

// A server that is gone: the call fails at once ("cannot connect"), the calls
// after it fail without trying for retry_after, then a new server is used.
BOOST_AUTO_TEST_CASE(a_server_down_fails_fast_then_comes_back)
{
    const auto port = free_port();
    bg::redis::settings s;
    s.port = port;
    s.retry_after = 300ms;
    auto server = std::make_unique<redis_server>(port);
    run(s, [&server, port](std::shared_ptr<bg::redis::connection> c) -> asio::awaitable<void> {
        const std::vector<std::string> cmd14{"SET", "x", "1"};
        ok(co_await c->call(cmd14));
        server.reset();  // stopped
        const std::vector<std::string> cmd15{"GET", "x"};
        const auto down = co_await c->call(cmd15);
        BOOST_REQUIRE(std::holds_alternative<bg::gateway_error>(down));
        // (That one met the closed connection, or found none and failed to
        // connect; the next tries once more at most. After a failed connect,
        // calls fail at once without trying.)
        const std::vector<std::string> cmd16{"GET", "x"};
        const auto tried = co_await c->call(cmd16);
        BOOST_REQUIRE(std::holds_alternative<bg::gateway_error>(tried));
        const auto t = std::chrono::steady_clock::now();
        const auto again = co_await c->call(cmd16);
        BOOST_REQUIRE(std::holds_alternative<bg::gateway_error>(again));
        BOOST_TEST(std::get<bg::gateway_error>(again).detail.find("not connected") != std::string::npos,
                   std::get<bg::gateway_error>(again).detail);
        BOOST_TEST((std::chrono::steady_clock::now() - t < 20ms));
        server = std::make_unique<redis_server>(port);  // back (empty)
        asio::steady_timer wait(co_await asio::this_coro::executor, 350ms);
        co_await wait.async_wait(asio::use_awaitable);
        const std::vector<std::string> cmd17{"GET", "x"};
        const auto fresh = co_await c->call(cmd17);
        BOOST_TEST((ok(fresh).type == reply::kind::nil));
    });
}
