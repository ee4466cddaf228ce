#include "gateway/admin.hpp"

#include "core/ascii.hpp"
#include "core/errors.hpp"
#include "gateway/http_util.hpp"
#include "gateway/server.hpp"
#include "gateway/status_page.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>

#include <optional>
#include <string>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool open_path(std::string_view path) { return path == "/healthz" || path == "/readyz"; }

// The admin token (admin.token), when the configuration has one: every path
// but /healthz and /readyz requires it as a bearer token. nullopt: let in.
std::optional<std::string> refused_by_token(const server& s, std::string_view path,
                                            const http::request<http::string_body>& req)
{
    const auto rt = s.current();
    const auto& token = rt->cfg->admin.token;
    if (token.empty() || open_path(path))
        return std::nullopt;
    const auto given = req[http::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (given.empty())
        return std::string("the admin listener requires its bearer token (admin.token): send Authorization: Bearer "
                           "<token>");
    if (given.size() <= scheme.size() || !bg::iequals(given.substr(0, scheme.size()), scheme))
        return std::string("the Authorization header is not a Bearer token");
    const auto presented = given.substr(scheme.size());
    const auto& expected = token.reveal();
    // Compared in constant time (the length is not the secret).
    if (presented.size() != expected.size() ||
        CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) != 0)
        return std::string("the admin bearer token does not match admin.token");
    return std::nullopt;
}

http::response<http::string_body> admin_response(server& s, const http::request<http::string_body>& req,
                                                  std::string_view path)
{
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
    if (auto why = refused_by_token(s, path, req)) {
        problem(errc::unauthorized, std::move(*why));
        res.set(http::field::www_authenticate, "Bearer realm=\"backup-gateway admin\"");
    } else if (path != "/" && path != "/status.json" && path != "/healthz" && path != "/readyz" &&
               path != "/metrics" && path != "/-/reload") {
        problem(errc::not_found, "the admin listener serves / (the status page), /status.json, /healthz, /readyz, "
                                 "/metrics and POST /-/reload");
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
    } else if (path == "/status.json") {
        res.set(http::field::content_type, "application/json");
        res.body() = boost::json::serialize(s.status());
    } else if (path == "/") {
        res.set(http::field::content_type, "text/html; charset=utf-8");
        // The page's own rules: nothing from elsewhere, no script, not framed.
        res.set("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'");
        res.set("X-Content-Type-Options", "nosniff");
        res.body() = render_status_html(s.status());
    } else {
        res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = s.metrics_text();
    }
    return res;
}

// POST /-/reload: the configuration file read again and, when valid, run
// (docs/operations.md). 200 with what changed; 422 when the file was refused
// (the running configuration stays); 409 while another reload runs.
awaitable<http::response<http::string_body>> reload_response(server& s, const http::request<http::string_body>& req)
{
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::cache_control, "no-store");
    res.set("X-Request-Id", request_id_for(req["X-Request-Id"]));
    if (req.method() != http::verb::post) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "POST");
        res.set(http::field::content_type, "application/problem+json");
        res.body() = render_problem({errc::method_not_allowed, "use POST to reload the configuration", {}, {}}, {},
                                    res["X-Request-Id"]);
        co_return res;
    }
    const auto r = co_await s.reload_awaited();
    auto names = [](const std::vector<std::string>& v) {
        boost::json::array a;
        for (const auto& n : v)
            a.emplace_back(n);
        return a;
    };
    boost::json::object body;
    body["result"] = r.ok ? "reloaded" : r.busy ? "busy" : "failed";
    body["generation"] = r.generation;
    if (r.ok) {
        body["backends_kept"] = names(r.kept);
        body["backends_started"] = names(r.started);
        body["backends_retired"] = names(r.retired);
    } else {
        body["error"] = r.error;
        res.result(r.busy ? http::status::conflict : http::status::unprocessable_entity);
    }
    res.set(http::field::content_type, "application/json");
    res.body() = boost::json::serialize(body);
    co_return res;
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
        const auto target = parser.get().target();
        const auto path = target.substr(0, target.find('?'));
        http::response<http::string_body> res;
        if (path == "/-/reload" && !refused_by_token(s, path, parser.get()))
            res = co_await reload_response(s, parser.get());
        else
            res = admin_response(s, parser.get(), path);
        res.keep_alive(parser.get().keep_alive() && !s.draining());
        res.prepare_payload();
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
