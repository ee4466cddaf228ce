// One client connection: read (bounded) → authenticate → route → build the
// upstream request → credentials → send → relay the response → log.
// Plain and TLS connections share http_session<Stream> and differ only in
// their stream (as in Beast's advanced_server_flex). Pipelined requests are
// answered in order, one at a time; what the client sends ahead waits in the
// connection's buffer, which is bounded by limits.max_header_bytes.
#include "gateway/access_entry.hpp"
#include "gateway/http_util.hpp"
#include "gateway/read_deadline.hpp"
#include "gateway/relay.hpp"
#include "gateway/route.hpp"
#include "gateway/worker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Request bodies up to this size are read whole before going upstream, so a
// request can be signed and replayed; larger ones stream.
constexpr std::size_t buffered_body_limit = 1024 * 1024;
constexpr std::size_t first_read_size = 2048;

using header_parser = http::request_parser<http::empty_body>;

// The upstream answered, headers read; the body is still to come.
struct upstream_exchange {
    connection_ptr conn;
    std::unique_ptr<http::response_parser<http::empty_body>> parser;
};
using exchange_result = std::variant<upstream_exchange, gateway_error>;

bool idempotent(http::verb m)
{
    return m == http::verb::get || m == http::verb::head || m == http::verb::options || m == http::verb::put ||
           m == http::verb::delete_ || m == http::verb::trace;
}

// The errors a pooled connection gives when the upstream closed it while idle.
bool stale_connection(boost::system::error_code ec)
{
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

template <class Stream>
class http_session {
public:
    http_session(worker& w, Stream stream, bool tls, std::string remote_ip)
        : w_(w), stream_(std::move(stream)), tls_(tls), remote_ip_(std::move(remote_ip))
    {
    }

    awaitable<void> run()
    {
        auto* tcp = &beast::get_lowest_layer(stream_);
        w_.session_opened(tcp);
        if (co_await handshake())
            co_await serve();
        co_await close();
        w_.session_closed(tcp);
    }

private:
    const config::gateway_config& cfg() const { return w_.cfg(); }
    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

    awaitable<bool> handshake()
    {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            tcp().expires_after(cfg().limits.header_timeout);
            auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
            co_return !ec;
        }
        co_return true;
    }

    awaitable<void> close()
    {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            tcp().expires_after(std::chrono::seconds(2));
            co_await stream_.async_shutdown(use_tuple);
        }
        boost::system::error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        tcp().close();
    }

    bool bytes_pending() const
    {
        if (buffer_.size() > 0)
            return true;
        if constexpr (std::is_same_v<Stream, tls_stream>)
            return SSL_pending(const_cast<Stream&>(stream_).native_handle()) > 0;
        return false;
    }

    // Waits, at most idle_timeout, for the first bytes of the next request.
    // false: the connection is to be closed (idle, closed by the peer, draining).
    awaitable<bool> wait_for_request()
    {
        if (bytes_pending())
            co_return true;
        if (buffer_.capacity() > 4 * first_read_size)
            buffer_.shrink_to_fit();  // an idle connection keeps little memory
        w_.mark_idle(&tcp(), true);
        tcp().expires_after(cfg().limits.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(first_read_size), use_tuple);
        w_.mark_idle(&tcp(), false);
        if (ec)
            co_return false;
        buffer_.commit(n);
        co_return !w_.draining() || n > 0;
    }

    awaitable<void> serve()
    {
        for (;;) {
            if (w_.draining())
                co_return;
            // (co_await is kept out of ?:, && and ||: GCC 12 miscompiles it there.)
            const bool more = co_await wait_for_request();
            if (!more)
                co_return;
            header_parser parser;
            parser.header_limit(static_cast<std::uint32_t>(cfg().limits.max_header_bytes));
            parser.body_limit(cfg().limits.max_body_bytes);
            boost::system::error_code ec;
            {
                read_deadline deadline(tcp(), cfg().limits.header_timeout);
                auto [rec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
                ec = deadline.outcome(rec);
            }
            if (ec) {
                co_await answer_read_error(ec, parser);
                co_return;
            }
            if (!co_await handle(parser))
                co_return;
        }
    }

    awaitable<void> answer_read_error(boost::system::error_code ec, header_parser& parser)
    {
        std::optional<gateway_error> e;
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            e = gateway_error{errc::header_too_large,
                              "the request line and headers exceed " +
                                  std::to_string(cfg().limits.max_header_bytes) + " bytes (limits.max_header_bytes)",
                              {}, {}};
        else if (ec == http::error::body_limit)
            e = gateway_error{errc::payload_too_large,
                              "the request body exceeds " + std::to_string(cfg().limits.max_body_bytes) +
                                  " bytes (limits.max_body_bytes)",
                              {}, {}};
        else if (ec == beast::error::timeout)
            e = gateway_error{errc::request_timeout,
                              "the request headers did not arrive within " +
                                  std::to_string(cfg().limits.header_timeout.count()) + " ms",
                              {}, {}};
        else if (is_http_protocol_error(ec) && ec != http::error::partial_message)
            e = gateway_error{errc::bad_request, "malformed HTTP request: " + ec.message(), {}, {}};
        if (!e)
            co_return;  // the peer went away: nobody to answer
        head_request_ = false;  // the request was not understood: the problem has its body
        access_entry log(w_, parser.get(), remote_ip_, request_id_for({}));
        co_await write_problem(*e, log, false);
    }

    // Authenticate and route: the backend's index, or why the request is refused.
    std::variant<std::size_t, gateway_error> admit(const http::request<http::empty_body>& req, access_entry& log,
                                                   route& r)
    {
        auto who = w_.rt().auth.authenticate(req);
        if (auto* e = std::get_if<gateway_error>(&who))
            return std::move(*e);
        const principal& p = *std::get<const principal*>(who);
        log.principal = p.name;
        auto routed = parse_route(req.target());
        if (auto* e = std::get_if<gateway_error>(&routed))
            return std::move(*e);
        r = std::get<route>(routed);
        const auto* index = w_.rt().find_backend(r.backend);
        if (!index)
            return gateway_error{errc::unknown_backend, "no backend named '" + std::string(r.backend) + "'", {}, {}};
        const auto& backend = cfg().backends[*index];
        log.backend = backend.name;
        if (!p.may_reach(backend.name))
            return gateway_error{errc::forbidden,
                                 "the key of '" + p.name + "' may not reach backend '" + backend.name + "'", {}, {}};
        return *index;
    }

    // One request. Returns whether the connection stays open for the next.
    // (GCC 12 mishandles co_await inside ?:, && and ||, and temporaries with
    // destructors inside a co_await expression: call sites use named locals.)
    awaitable<bool> handle(header_parser& parser)
    {
        auto& req = parser.get();
        access_entry log(w_, req, remote_ip_, request_id_for(req["X-Request-Id"]));
        // Before anything can be answered: a problem for this request must
        // follow its version and method (no body for HEAD), not the last one's.
        client_version_ = req.version();
        client_keep_alive_ = req.keep_alive();
        head_request_ = req.method() == http::verb::head;
        if (req.count(http::field::transfer_encoding) > 0 && !req.chunked()) {
            // RFC 9112 §6.3: the body's length cannot be known; reading on
            // would take the body for the next request.
            const gateway_error e{errc::bad_request, "Transfer-Encoding must end with 'chunked'", {}, {}};
            co_return co_await write_problem(e, log, false);
        }
        const bool body_follows = !parser.is_done();
        route r;
        auto admitted = admit(req, log, r);
        if (auto* e = std::get_if<gateway_error>(&admitted)) {
            // An unread body would be taken for the next request: close instead.
            const bool keep_alive = req.keep_alive() && !body_follows;
            co_return co_await write_problem(*e, log, keep_alive);
        }
        const auto index = std::get<std::size_t>(admitted);
        prepare_upstream_head(req, cfg().backends[index], r, log.request_id);
        if (body_follows) {
            const bool continued = co_await send_continue();
            if (!continued)
                co_return false;
        }
        const auto length = parser.content_length();
        const auto buffer_up_to = w_.rt().adapters[index]->buffered_body_limit().value_or(buffered_body_limit);
        if (!body_follows || (length && *length <= buffer_up_to))
            co_return co_await proxy_buffered(std::move(parser), index, log);
        co_return co_await proxy_streamed(std::move(parser), index, log);
    }

    // The client's request head becomes the upstream's, in place.
    void prepare_upstream_head(http::request<http::empty_body>& req, const config::backend& backend, const route& r,
                               const std::string& request_id)
    {
        const bool chunked = req.chunked();
        expect_continue_ = beast::iequals(req[http::field::expect], "100-continue");
        const std::string forwarded_host(req[http::field::host]);
        // Every X-Forwarded-For line a client (or a proxy before us) sent, not just the first.
        const std::string xff = forwarded_for(combined_values(req, "X-Forwarded-For"), remote_ip_);
        remove_hop_by_hop(req);
        req.erase(http::field::authorization);  // the client's gateway key never goes upstream
        req.erase("X-API-Key");
        req.erase(http::field::expect);  // answered here, see send_continue()
        req.target(upstream_path(backend.url.base_path, r));
        req.version(11);
        req.set(http::field::host, w_.rt().targets[static_cast<std::size_t>(&backend - cfg().backends.data())]->host_header());
        req.set("X-Forwarded-For", xff);
        req.set("X-Forwarded-Proto", tls_ ? "https" : "http");
        if (!forwarded_host.empty())
            req.set("X-Forwarded-Host", forwarded_host);
        req.set("X-Request-Id", request_id);
        if (chunked)
            req.chunked(true);
    }

    // Expect: 100-continue is answered by the gateway once the request is
    // known to be acceptable (authenticated, routed).
    awaitable<bool> send_continue()
    {
        if (!expect_continue_)
            co_return true;
        http::response<http::empty_body> cont{http::status::continue_, 11};
        tcp().expires_after(cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write(stream_, cont, use_tuple);
        co_return !ec;
    }

    awaitable<bool> proxy_buffered(header_parser&& head_parser, std::size_t backend_index, access_entry& log)
    {
        const auto& backend = cfg().backends[backend_index];
        http::request_parser<http::string_body> parser{std::move(head_parser)};
        if (!parser.is_done()) {
            boost::system::error_code ec;
            {
                read_deadline deadline(tcp(), cfg().limits.body_timeout);
                auto [rec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
                ec = deadline.outcome(rec);
            }
            if (ec) {
                co_await answer_body_error(ec, log);
                co_return false;
            }
        }
        auto req = parser.release();
        log.bytes_in = req.body().size();
        req.prepare_payload();

        auto& adapter = *w_.rt().adapters[backend_index];
        adapter.build_request(req);
        pool_client upstream_calls(w_.pool(backend_index));
        if (auto e = co_await adapter.attach_credentials(req, &req.body(), upstream_calls))
            co_return co_await write_problem(*e, log, client_keep_alive_);

        auto result = co_await exchange_buffered(req, backend_index);
        if (auto* e = std::get_if<gateway_error>(&result))
            co_return co_await write_problem(*e, log, client_keep_alive_);
        auto& exchange = std::get<upstream_exchange>(result);
        co_return co_await relay_response(exchange, backend, log);
    }

    // Sends a buffered request; a pooled connection that turns out to have
    // been closed by the upstream is replaced by a new one, once.
    awaitable<exchange_result> exchange_buffered(http::request<http::string_body>& req, std::size_t backend_index)
    {
        auto& pool = w_.pool(backend_index);
        const auto& backend = pool.target().backend();
        for (int attempt = 0;; ++attempt) {
            std::variant<connection_ptr, gateway_error> acquired;
            if (attempt == 0)
                acquired = co_await pool.acquire();
            else
                acquired = co_await pool.connect();
            if (auto* e = std::get_if<gateway_error>(&acquired)) {
                w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
                co_return std::move(*e);
            }
            auto conn = std::get<connection_ptr>(std::move(acquired));
            // Only an idempotent request is sent again: a POST the upstream
            // ran before closing must not run twice (RFC 9110 §9.2.2).
            const bool may_retry = conn->reused && attempt == 0 && idempotent(req.method());
            conn->tcp().expires_after(backend.timeouts.request);
            auto [wec, wn] = co_await std::visit(
                [&](auto& s) { return http::async_write(s, req, use_tuple); }, conn->stream);
            if (wec) {
                if (may_retry && stale_connection(wec))
                    continue;
                w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
                co_return upstream_error(backend, wec, false);
            }
            auto result = co_await read_upstream_head(conn, backend);
            if (auto* e = std::get_if<gateway_error>(&result); e && may_retry && e->code == errc::upstream_unreachable &&
                                                                 last_read_stale_)
                continue;
            co_return result;
        }
    }

    awaitable<exchange_result> read_upstream_head(connection_ptr& conn, const config::backend& backend)
    {
        std::unique_ptr<http::response_parser<http::empty_body>> parser;
        conn->tcp().expires_after(backend.timeouts.request);
        for (bool first = true;; first = false) {
            parser = std::make_unique<http::response_parser<http::empty_body>>();
            parser->body_limit(boost::none);  // bodies stream; no size is too large
            parser->header_limit(64 * 1024);
            if (head_request_)
                parser->skip(true);
            auto [ec, n] = co_await std::visit(
                [&](auto& s) { return http::async_read_header(s, conn->buffer, *parser, use_tuple); }, conn->stream);
            last_read_stale_ = first && ec && stale_connection(ec) && n == 0;
            if (ec) {
                w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
                co_return upstream_error(backend, ec, true);
            }
            // 1xx responses (100 Continue, 103 Early Hints) come before the
            // answer (RFC 9110 §15.2): read past them. 101 would be final, but
            // Upgrade is never forwarded, so no upstream should send it.
            const auto status = parser->get().result_int();
            if (status >= 200 || status == 101)
                break;
        }
        co_return upstream_exchange{std::move(conn), std::move(parser)};
    }

    awaitable<bool> proxy_streamed(header_parser&& head_parser, std::size_t backend_index, access_entry& log)
    {
        const auto& backend = cfg().backends[backend_index];
        http::request_parser<http::buffer_body> parser{std::move(head_parser)};
        auto& req = parser.get();
        auto& adapter = *w_.rt().adapters[backend_index];
        adapter.build_request(req);
        pool_client upstream_calls(w_.pool(backend_index));
        if (auto e = co_await adapter.attach_credentials(req, nullptr, upstream_calls))
            co_return co_await write_problem(*e, log, false);

        // A streamed body cannot be replayed: use a new connection rather than
        // risk a pooled one the upstream has just closed.
        auto acquired = co_await w_.pool(backend_index).connect();
        if (auto* e = std::get_if<gateway_error>(&acquired))
            co_return co_await write_problem(*e, log, false);
        auto conn = std::get<connection_ptr>(std::move(acquired));

        http::request_serializer<http::buffer_body> serializer{req};
        const auto limits = relay_limits{cfg().limits.body_timeout, backend.timeouts.request, true};
        const auto relayed = co_await std::visit(
            [&](auto& up) { return relay_body(stream_, buffer_, parser, up, serializer, limits); }, conn->stream);
        log.bytes_in = relayed.bytes;
        if (relayed.failed == relay_side::in) {
            co_await answer_body_error(relayed.ec, log);
            co_return false;
        }
        if (relayed.failed == relay_side::out) {
            const auto e = upstream_error(backend, relayed.ec, false);
            co_return co_await write_problem(e, log, false);
        }
        auto result = co_await read_upstream_head(conn, backend);
        if (auto* e = std::get_if<gateway_error>(&result))
            co_return co_await write_problem(*e, log, false);
        auto& exchange = std::get<upstream_exchange>(result);
        co_return co_await relay_response(exchange, backend, log);
    }

    awaitable<void> answer_body_error(boost::system::error_code ec, access_entry& log)
    {
        std::optional<gateway_error> e;
        if (ec == http::error::body_limit)
            e = gateway_error{errc::payload_too_large,
                              "the request body exceeds " + std::to_string(cfg().limits.max_body_bytes) +
                                  " bytes (limits.max_body_bytes)",
                              {}, {}};
        else if (ec == beast::error::timeout)
            e = gateway_error{errc::request_timeout,
                              "the request body did not arrive within " +
                                  std::to_string(cfg().limits.body_timeout.count()) + " ms",
                              {}, {}};
        else if (is_http_protocol_error(ec) && ec != http::error::partial_message)
            e = gateway_error{errc::bad_request, "malformed request body: " + ec.message(), {}, {}};
        if (e)
            co_await write_problem(*e, log, false);
        else
            log.finish(0, true);  // the client went away mid-body
    }

    // Streams the upstream's response to the client; the upstream connection
    // goes back to the pool when the exchange ended cleanly.
    awaitable<bool> relay_response(upstream_exchange& ex, const config::backend& backend, access_entry& log)
    {
        http::response_parser<http::buffer_body> parser{std::move(*ex.parser)};
        auto& res = parser.get();
        const unsigned upstream_status = res.result_int();
        const bool upstream_keep_alive = res.keep_alive();
        const bool has_length = parser.content_length().has_value();
        remove_hop_by_hop(res);
        res.set("X-Request-Id", log.request_id);
        res.version(client_version_);
        const bool body_allowed = !head_request_ && upstream_status >= 200 && upstream_status != 204 &&
                                  upstream_status != 304;
        bool keep_alive = client_keep_alive_ && !w_.draining();
        if (body_allowed && !has_length) {
            if (client_version_ == 11)
                res.chunked(true);
            else
                keep_alive = false;  // an HTTP/1.0 client learns the end from the close
        }
        res.keep_alive(keep_alive);

        http::response_serializer<http::buffer_body> serializer{res};
        relay_result relayed;
        if (!body_allowed) {
            tcp().expires_after(cfg().limits.body_timeout);
            auto [ec, n] = co_await http::async_write_header(stream_, serializer, use_tuple);
            relayed.failed = ec ? relay_side::out : relay_side::none;
            relayed.ec = ec;
        } else {
            const auto limits = relay_limits{backend.timeouts.request, cfg().limits.body_timeout};
            relayed = co_await std::visit(
                [&](auto& up) { return relay_body(up, ex.conn->buffer, parser, stream_, serializer, limits); },
                ex.conn->stream);
        }
        log.upstream_status = upstream_status;
        log.bytes_out = relayed.bytes;
        log.finish(upstream_status, relayed.failed != relay_side::none);
        if (relayed.failed == relay_side::none && parser.is_done() && upstream_keep_alive && !parser.need_eof())
            w_.pool(static_cast<std::size_t>(&backend - cfg().backends.data())).release(std::move(ex.conn));
        if (relayed.failed == relay_side::in)
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        co_return relayed.failed == relay_side::none && keep_alive;
    }

    awaitable<bool> write_problem(const gateway_error& e, access_entry& log, bool keep_alive)
    {
        keep_alive = keep_alive && !w_.draining();
        const auto status = status_of(e.code);
        http::response<http::string_body> res{static_cast<http::status>(status), client_version_};
        res.set(http::field::content_type, "application/problem+json");
        res.set(http::field::cache_control, "no-store");
        res.set("X-Request-Id", log.request_id);
        if (e.code == errc::unauthorized)
            res.set(http::field::www_authenticate, www_authenticate_challenge);
        if (!head_request_)
            res.body() = render_problem(e, log.backend, log.request_id);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        if (head_request_)
            res.content_length(render_problem(e, log.backend, log.request_id).size());
        tcp().expires_after(cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
        log.bytes_out = res.body().size();
        log.upstream_status = e.upstream_status.value_or(0);
        log.finish(status);
        co_return !ec && keep_alive;
    }

    worker& w_;
    Stream stream_;
    bool tls_;
    std::string remote_ip_;
    beast::flat_buffer buffer_{};
    unsigned client_version_ = 11;
    bool client_keep_alive_ = true;
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool last_read_stale_ = false;
};

template <class Stream>
awaitable<void> run_session(worker& w, Stream stream, bool tls, std::string remote_ip)
{
    http_session<Stream> session(w, std::move(stream), tls, std::move(remote_ip));
    co_await session.run();
}

}  // namespace

void start_session(worker& w, tcp::socket socket, asio::ssl::context* tls)
{
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("unknown") : remote.address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream tcp_s(std::move(socket));
    if (tls)
        asio::co_spawn(w.io(), run_session(w, tls_stream(std::move(tcp_s), *tls), true, std::move(ip)),
                       asio::detached);
    else
        asio::co_spawn(w.io(), run_session(w, std::move(tcp_s), false, std::move(ip)), asio::detached);
}

}  // namespace bg
