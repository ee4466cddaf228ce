// The gateway's own I/O pieces under the session: the message head it writes
// itself (http_util append_head) and the coarse time limits (deadline.hpp),
// the latter on real loopback sockets.
#define BOOST_TEST_MODULE io
#include <boost/test/unit_test.hpp>

#include "gateway/deadline.hpp"
#include "gateway/http_util.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// What Beast's parser makes of the bytes: the head written by hand must read
// back as the message it came from.
template <bool isRequest>
http::message<isRequest, http::string_body> parse_back(const std::string& wire)
{
    http::parser<isRequest, http::string_body> p;
    p.eager(true);
    beast::error_code ec;
    const auto used = p.put(asio::buffer(wire), ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(used == wire.size());
    BOOST_TEST(p.is_done());
    return p.release();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_request_head_reads_back_as_the_request)
{
    http::request<http::string_body> req{http::verb::put, "/api/v1/policies/7?x=%20y", 11};
    req.set(http::field::host, "backup.example:8443");
    req.set("X-Forwarded-For", "10.0.0.1, 127.0.0.1");
    req.insert("X-Repeated", "one");
    req.insert("X-Repeated", "two");
    req.set("x-lower-case-custom", "kept as sent");
    req.body() = R"({"name":"nightly"})";
    req.prepare_payload();

    std::string wire;
    bg::append_head(wire, req.base());
    BOOST_TEST(wire.starts_with("PUT /api/v1/policies/7?x=%20y HTTP/1.1\r\nHost: backup.example:8443\r\n"));
    BOOST_TEST(wire.ends_with("\r\n\r\n"));
    wire += req.body();
    const auto back = parse_back<true>(wire);
    BOOST_TEST(back.method() == http::verb::put);
    BOOST_TEST(back.target() == req.target());
    BOOST_TEST(back.version() == 11u);
    BOOST_TEST(back["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1");
    BOOST_TEST(back.count("X-Repeated") == 2u);
    BOOST_TEST(back["x-lower-case-custom"] == "kept as sent");
    BOOST_TEST(back[http::field::content_length] == std::to_string(req.body().size()));
    BOOST_TEST(back.body() == req.body());
    // Field order is kept, as Beast's serializer keeps it.
    BOOST_TEST(wire.find("X-Repeated: one\r\nX-Repeated: two\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_response_head_reads_back_as_the_response)
{
    for (const unsigned version : {10u, 11u}) {
        http::response<http::string_body> res{http::status::not_found, version};
        res.set(http::field::content_type, "application/problem+json");
        res.set("X-Request-Id", "abc");
        res.body() = R"({"title":"no such policy"})";
        res.prepare_payload();
        std::string wire;
        bg::append_head(wire, res.base());
        BOOST_TEST(wire.starts_with((version == 10 ? "HTTP/1.0" : "HTTP/1.1") + std::string(" 404 Not Found\r\n")));
        wire += res.body();
        const auto back = parse_back<false>(wire);
        BOOST_TEST(back.result() == http::status::not_found);
        BOOST_TEST(back.version() == version);
        BOOST_TEST(back["X-Request-Id"] == "abc");
        BOOST_TEST(back.body() == res.body());
    }
    // A reason the upstream sent is kept; a code without one gets Beast's.
    http::response<http::empty_body> custom{http::status::ok, 11};
    custom.reason("Fine Thanks");
    std::string wire;
    bg::append_head(wire, custom.base());
    BOOST_TEST(wire == "HTTP/1.1 200 Fine Thanks\r\n\r\n");
}

namespace {

// A connected loopback pair on one event loop.
struct socket_pair {
    asio::io_context io{1};
    beast::tcp_stream a{io};
    asio::ip::tcp::socket b{io};

    socket_pair()
    {
        asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
        a.socket().connect(acceptor.local_endpoint());
        acceptor.accept(b);
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_expired_limit_cancels_the_read_and_says_timeout)
{
    socket_pair p;
    bg::deadline_list deadlines(p.io, 10ms);
    char byte = 0;
    std::optional<boost::system::error_code> outcome;
    std::optional<bg::io_deadline> limit;
    limit.emplace(deadlines, p.a, 100ms);
    BOOST_TEST(deadlines.armed() == 1u);
    const auto start = clock_type::now();
    clock_type::duration took{};
    p.a.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
        outcome = limit->outcome(ec);
        took = clock_type::now() - start;
        limit.reset();
    });
    p.io.run_for(5s);
    BOOST_TEST_REQUIRE(outcome.has_value());
    BOOST_TEST((*outcome == beast::error::timeout), outcome->message());
    BOOST_TEST((took >= 100ms));
    BOOST_TEST((took < 1s));  // a tick late at most, with room for a loaded machine
    BOOST_TEST(deadlines.armed() == 0u);
    // The socket stays open: a 408 could still be written on it.
    BOOST_TEST(p.a.socket().is_open());
    const std::string answer = "HTTP/1.1 408 Request Timeout\r\n\r\n";
    asio::write(p.a.socket(), asio::buffer(answer));
    std::string got(answer.size(), '\0');
    asio::read(p.b, asio::buffer(got));
    BOOST_TEST(got == answer);
}

BOOST_AUTO_TEST_CASE(a_read_that_ends_in_time_is_not_a_timeout_and_disarms)
{
    socket_pair p;
    bg::deadline_list deadlines(p.io, 10ms);
    char byte = 0;
    std::optional<boost::system::error_code> outcome;
    {
        auto limit = std::make_unique<bg::io_deadline>(deadlines, p.a, 200ms);
        p.a.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
            outcome = limit->outcome(ec);
            limit.reset();
        });
        asio::write(p.b, asio::buffer("x", 1));
        p.io.run_for(2s);
    }
    BOOST_TEST_REQUIRE(outcome.has_value());
    BOOST_TEST(!*outcome);
    BOOST_TEST(byte == 'x');
    BOOST_TEST(deadlines.armed() == 0u);
}

BOOST_AUTO_TEST_CASE(limits_of_several_durations_fire_in_their_own_time)
{
    // Armed longest first: the lanes (one per duration) keep each in order,
    // so the short limit is not held up behind the long ones.
    asio::io_context io{1};
    bg::deadline_list deadlines(io, 10ms);
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<std::unique_ptr<beast::tcp_stream>> clients;
    std::vector<asio::ip::tcp::socket> servers;
    const std::chrono::milliseconds durations[] = {2000ms, 1500ms, 80ms};
    std::vector<std::unique_ptr<bg::io_deadline>> limits;
    std::vector<clock_type::duration> fired(3, clock_type::duration::max());
    char bytes[3] = {};
    const auto start = clock_type::now();
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<beast::tcp_stream>(io));
        clients.back()->socket().connect(acceptor.local_endpoint());
        servers.push_back(acceptor.accept());
        limits.push_back(std::make_unique<bg::io_deadline>(deadlines, *clients.back(), durations[i]));
        clients.back()->async_read_some(asio::buffer(&bytes[i], 1), [&, i](boost::system::error_code ec, std::size_t) {
            if (limits[static_cast<std::size_t>(i)]->outcome(ec) == beast::error::timeout)
                fired[static_cast<std::size_t>(i)] = clock_type::now() - start;
            limits[static_cast<std::size_t>(i)].reset();
        });
    }
    BOOST_TEST(deadlines.armed() == 3u);
    // The 1.5 s one is answered in time; the others expire.
    asio::steady_timer answer(io, 300ms);
    answer.async_wait([&](boost::system::error_code) { asio::write(servers[1], asio::buffer("y", 1)); });
    io.run_for(5s);
    BOOST_TEST((fired[2] >= 80ms));
    BOOST_TEST((fired[2] < 1000ms));
    BOOST_TEST((fired[1] == clock_type::duration::max()));
    BOOST_TEST(bytes[1] == 'y');
    BOOST_TEST((fired[0] >= 2000ms));
    BOOST_TEST((fired[0] < 4000ms));
    BOOST_TEST(deadlines.armed() == 0u);
}
