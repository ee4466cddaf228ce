// An in-process stand-in for an adapter's upstream: answers each request with
// the next scripted response and records what it was sent. For the adapters'
// dialect tests; the adapters over real sockets are the integration tests'.
#pragma once

#include "adapters/adapter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <deque>
#include <string>
#include <vector>

namespace bg::test {

namespace http = boost::beast::http;

class scripted_upstream final : public adapters::upstream_client {
public:
    std::deque<adapters::upstream_response> answers;
    std::vector<http::request<http::string_body>> seen;
    adapters::upstream_client* aux = nullptr;  // what auxiliary() gives

    adapters::upstream_client* auxiliary() override { return aux; }

    void answer(http::status status, std::string json_body)
    {
        adapters::upstream_response res{status, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(json_body);
        answers.push_back(std::move(res));
    }

    adapters::awaitable<adapters::upstream_result> send(http::request<http::string_body>& req) override
    {
        seen.push_back(req);
        BOOST_REQUIRE_MESSAGE(!answers.empty(), "unexpected upstream call: " << req.method_string() << ' '
                                                                               << req.target());
        auto res = std::move(answers.front());
        answers.pop_front();
        co_return res;
    }
};

// Runs one attach_credentials to completion on a private event loop.
inline std::optional<gateway_error> attach(adapters::adapter& a, http::request_header<>& head,
                                           adapters::upstream_client& up)
{
    boost::asio::io_context io;
    std::optional<gateway_error> result;
    boost::asio::co_spawn(
        io, [&]() -> adapters::awaitable<void> { result = co_await a.attach_credentials(head, nullptr, up); },
        boost::asio::detached);
    io.run();
    return result;
}

// Runs the adapter's logout to completion.
inline void logout(adapters::adapter& a, adapters::upstream_client& up)
{
    boost::asio::io_context io;
    boost::asio::co_spawn(io, a.logout(up), boost::asio::detached);
    io.run();
}

// The value of `name` in an application/x-www-form-urlencoded body (as sent, not decoded).
inline std::string form_field(const std::string& body, const std::string& name)
{
    std::size_t at = 0;
    while (at <= body.size()) {
        const auto end = std::min(body.find('&', at), body.size());
        const auto pair = body.substr(at, end - at);
        if (pair.rfind(name + "=", 0) == 0)
            return pair.substr(name.size() + 1);
        at = end + 1;
    }
    return {};
}

}  // namespace bg::test
