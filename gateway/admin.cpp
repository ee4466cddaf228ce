#include "gateway/admin.hpp"

#include "core/errors.hpp"
#include "gateway/http_util.hpp"
#include "gateway/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

http::response<http::string_body> admin_response(server& s, const http::request<http::string_body>& req)
{
    const auto target = req.target();
    const auto path = target.substr(0, target.find('?'));
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::cache_control, "no-store");
    // As on the proxy listener: the client's X-Request-Id when sane, else a new one.
    const std::string request_id = request_id_for(req["X-Request-Id"]);
    res.set("X-Request-Id", request_id);
    auto problem = [&](errc code, std::string detail) {
        res.result(status_of(code));
        res.set(http::field::content_type, "application/problem+json");
        res.body() = render_problem({code, std::move(detail), {}, {}}, {}, request_id);
    };
    if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
        problem(errc::not_found, "the admin listener serves /healthz, /readyz and /metrics");
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
        problem(errc::method_not_allowed, "use GET");
        res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/healthz") {
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"status":"ok"})";
    } else if (path == "/readyz") {
        res.set(http::field::content_type, "application/json");
        if (!s.ready()) {
            res.result(http::status::service_unavailable);
            res.body() = R"({"status":"draining"})";
        } else {
            res.body() = R"({"status":"ready"})";
        }
    } else {
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        res.body() = s.metrics_text();
    }
    res.keep_alive(req.keep_alive() && !s.draining());
    res.prepare_payload();
    return res;
}

}  // namespace

awaitable<void> serve_admin(server& s, tcp::socket socket)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(8 * 1024);
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (ec)
            break;
        auto res = admin_response(s, parser.get());
        if (parser.get().method() == http::verb::head) {
            const auto size = res.body().size();
            res.body().clear();
            res.content_length(size);
        }
        auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
        if (wec || !res.keep_alive())
            break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace bg
