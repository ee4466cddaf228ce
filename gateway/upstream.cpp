#include "gateway/upstream.hpp"

#include "gateway/http_util.hpp"
#include "gateway/whole_write.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The errors a pooled connection gives when the upstream closed it while idle.
bool stale_connection(boost::system::error_code ec)
{
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

gateway_error unreachable(const config::backend& b, const std::string& what)
{
    return gateway_error{errc::upstream_unreachable,
                         "cannot reach backend '" + b.name + "' at " + b.base_url + ": " + what, {}, {}};
}

// SHA-256 of the peer's leaf certificate (DER) equals the configured pin.
bool pin_matches(SSL* ssl, const config::sha256_digest& pin)
{
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return false;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const bool ok = X509_digest(cert, EVP_sha256(), digest, &len) == 1 && len == pin.size() &&
                    CRYPTO_memcmp(digest, pin.data(), pin.size()) == 0;
    X509_free(cert);
    return ok;
}

}  // namespace

upstream_target::upstream_target(const config::backend& backend) : backend_(backend)
{
    const auto& url = backend.url;
    const bool default_port = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
    host_header_ = default_port ? url.host : url.host + ":" + std::to_string(url.port);
    server_name_ = backend.tls.server_name.value_or(url.host);
    if (url.scheme != "https")
        return;
    ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    const auto& tls = backend.tls;
    if (!tls.verify || tls.pin_sha256) {
        // A pin replaces chain checks: appliances with self-signed certificates
        // are the norm; the pin is checked after the handshake, see connect().
        ssl_->set_verify_mode(asio::ssl::verify_none);
        return;
    }
    ssl_->set_verify_mode(asio::ssl::verify_peer);
    if (tls.ca_file)
        ssl_->load_verify_file(*tls.ca_file);
    else
        ssl_->set_default_verify_paths();
}

upstream_pool::upstream_pool(asio::any_io_executor executor, const upstream_target& target)
    : executor_(executor), target_(target), sweep_timer_(std::move(executor))
{
}

awaitable<std::variant<connection_ptr, gateway_error>> upstream_pool::acquire()
{
    const auto now = coarse_clock::now();
    const auto max_idle = target_.backend().timeouts.idle;
    while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        if (now - c->idle_since < max_idle && c->tcp().socket().is_open()) {
            c->reused = true;
            co_return std::move(c);
        }
    }
    co_return co_await connect();
}

awaitable<std::variant<connection_ptr, gateway_error>> upstream_pool::connect()
{
    const auto& b = target_.backend();
    tcp::resolver resolver(executor_);
    const auto port = std::to_string(b.url.port);
    auto [rec, endpoints] = co_await resolver.async_resolve(b.url.host, port, use_tuple);
    if (rec)
        co_return unreachable(b, "cannot resolve '" + b.url.host + "': " + rec.message());

    beast::tcp_stream tcp_s(executor_);
    tcp_s.expires_after(b.timeouts.connect);
    auto [cec, ep] = co_await tcp_s.async_connect(endpoints, use_tuple);
    if (cec == beast::error::timeout)
        co_return unreachable(b, "connect timed out after " + std::to_string(b.timeouts.connect.count()) + " ms");
    if (cec)
        co_return unreachable(b, "connect failed: " + cec.message());
    tcp_s.socket().set_option(tcp::no_delay(true));
    tcp_s.socket().non_blocking(true);  // (synchronous writes are attempts that never wait: write_now)

    auto c = std::make_unique<upstream_connection>(upstream_connection{std::move(tcp_s), {}, {}, false});
    c->buffer.reserve(initial_room);
    if (!target_.tls()) {
        c->tcp().expires_never();
        co_return std::move(c);
    }

    auto plain = std::move(std::get<plain_stream>(c->stream));
    tls_stream tls_s(std::move(plain), target_.ssl());
    SSL* ssl = tls_s.native_handle();
    const auto& name = target_.server_name();
    boost::system::error_code ignored;
    asio::ip::make_address(name, ignored);
    if (ignored)  // SNI carries host names only, never IP literals (RFC 6066 §3)
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
    if (b.tls.verify && !b.tls.pin_sha256)
        tls_s.set_verify_callback(asio::ssl::host_name_verification(name));
    auto [hec] = co_await tls_s.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec == beast::error::timeout)
        co_return unreachable(b, "TLS handshake timed out");
    if (hec)
        co_return unreachable(b, "TLS handshake failed: " + hec.message());
    if (b.tls.pin_sha256 && !pin_matches(ssl, *b.tls.pin_sha256))
        co_return unreachable(b, "the upstream certificate does not match tls.pin_sha256");
    beast::get_lowest_layer(tls_s).expires_never();
    c->stream.emplace<tls_stream>(std::move(tls_s));
    co_return std::move(c);
}

void make_room(beast::flat_buffer& buffer, boost::optional<std::uint64_t> content_length)
{
    const std::uint64_t want = content_length ? buffer.size() + *content_length : kept_room;
    buffer.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(want, whole_read_room)));
}

void upstream_pool::release(connection_ptr c)
{
    const auto cap = target_.backend().max_idle_connections;
    if (cap == 0)
        return;  // no pooling: dropping it closes it
    const auto now = coarse_clock::now();
    c->idle_since = now;
    c->buffer.clear();
    if (c->buffer.capacity() > kept_room) {
        c->buffer.shrink_to_fit();  // (empty: gives it all back)
        c->buffer.reserve(initial_room);
    }
    idle_.push_back(std::move(c));
    trim_surplus(now);
    schedule_sweep();
}

void upstream_pool::trim_surplus(coarse_clock::time_point now)
{
    const auto cap = target_.backend().max_idle_connections;
    while (idle_.size() > cap && now - idle_.front()->idle_since >= surplus_linger)
        idle_.pop_front();  // dropping it closes it
}

// While any connection is idle, look again a linger later: at the surplus
// (traffic may have stopped) and at connections the upstream has closed.
void upstream_pool::schedule_sweep()
{
    if (sweep_scheduled_)
        return;
    sweep_scheduled_ = true;
    sweep_timer_.expires_after(surplus_linger);
    // (A wait already completed cannot be cancelled: its handler may run
    // after the pool is gone, which `alive` tells.)
    sweep_timer_.async_wait([this, alive = std::weak_ptr<void>(alive_)](boost::system::error_code ec) {
        if (ec || alive.expired())
            return;  // the pool is going away
        sweep_scheduled_ = false;
        // (The coarse clock may lag the timer by a tick: what was released a
        // linger ago, as the timer was set, goes now, not a linger later.)
        trim_surplus(coarse_clock::now() + coarse_clock::resolution());
        drop_closed();
        if (!idle_.empty())
            schedule_sweep();
    });
}

std::size_t upstream_pool::drop_closed()
{
    const auto before = idle_.size();
    std::erase_if(idle_, [](const connection_ptr& c) {
        char byte;
        const auto n = ::recv(c->tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        // 0: the peer closed it; > 0: it sent something unasked (a TLS
        // close_notify, a late answer): either way it cannot carry a request.
        return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    });
    return before - idle_.size();
}

void upstream_pool::close_idle()
{
    idle_.clear();
    sweep_timer_.cancel();
    sweep_scheduled_ = false;
}


gateway_error upstream_error(const config::backend& b, boost::system::error_code ec, bool reading)
{
    gateway_error e;
    if (ec == beast::error::timeout) {
        e = {errc::upstream_timeout,
             "backend '" + b.name + "' did not answer within " + std::to_string(b.timeouts.request.count()) + " ms",
             {}, {}};
    } else if (reading && is_http_protocol_error(ec) && ec != beast::http::error::partial_message) {
        e = {errc::upstream_bad_response, "backend '" + b.name + "' sent an invalid response: " + ec.message(), {},
             {}};
    } else {
        e = {errc::upstream_unreachable,
             "connection to backend '" + b.name + "' failed " + (reading ? "reading the response: " : "sending: ") +
                 ec.message(),
             {}, {}};
    }
    e.sent = reading;  // reading: the request had gone whole
    return e;
}

adapters::upstream_client* pool_client::auxiliary()
{
    if (!auxiliary_pool_)
        return nullptr;
    if (!auxiliary_)
        auxiliary_ = std::make_unique<pool_client>(deadlines_, *auxiliary_pool_);
    return auxiliary_.get();
}

awaitable<adapters::upstream_result> pool_client::send(http::request<http::string_body>& req)
{
    req.set(http::field::host, pool_.target().host_header());
    req.prepare_payload();
    std::string head;
    auto result = co_await exchange_buffered(deadlines_, pool_, req, head, pooled_);
    if (auto* e = std::get_if<gateway_error>(&result))
        co_return std::move(*e);
    co_return co_await read_whole_answer(deadlines_, pool_, std::get<upstream_exchange>(result), 8 * 1024 * 1024);
}

awaitable<exchange_result> exchange_buffered(deadline_list& deadlines, upstream_pool& pool,
                                             const http::request<http::string_body>& req, std::string& head,
                                             bool pooled)
{
    const auto& backend = pool.target().backend();
    for (int attempt = 0;; ++attempt) {
        std::variant<connection_ptr, gateway_error> acquired;
        if (pooled && attempt == 0)
            acquired = co_await pool.acquire();
        else
            acquired = co_await pool.connect();
        if (auto* e = std::get_if<gateway_error>(&acquired))
            co_return std::move(*e);
        auto conn = std::get<connection_ptr>(std::move(acquired));
        const bool may_retry = conn->reused && attempt == 0 && is_idempotent(req.method());
        const auto pieces = whole_message(head, req);
        boost::system::error_code wec;
        const std::size_t sent = std::visit([&](auto& s) { return write_immediately(s, pieces, wec); }, conn->stream);
        if (!wec && sent < beast::buffer_bytes(pieces))
            wec = co_await std::visit(
                [&](auto& s) {
                    return write_rest(s, conn->tcp(), deadlines, pieces, sent, backend.timeouts.request);
                },
                conn->stream);
        if (wec) {
            if (may_retry && stale_connection(wec))
                continue;
            co_return upstream_error(backend, wec, false);
        }
        bool stale = false;
        auto result =
            co_await read_response_head(deadlines, conn, backend, req.method() == http::verb::head, &stale);
        if (std::holds_alternative<gateway_error>(result) && may_retry && stale)
            continue;
        co_return result;
    }
}

awaitable<exchange_result> read_response_head(deadline_list& deadlines, connection_ptr& conn,
                                              const config::backend& backend, bool head_request, bool* stale)
{
    std::unique_ptr<http::response_parser<http::empty_body>> parser;
    io_deadline deadline(deadlines, conn->tcp(), backend.timeouts.request);
    for (bool first = true;; first = false) {
        parser = std::make_unique<http::response_parser<http::empty_body>>();
        parser->body_limit(boost::none);  // bodies stream; no size is too large
        parser->header_limit(64 * 1024);
        if (head_request)
            parser->skip(true);
        auto [rec, n] = co_await std::visit(
            [&](auto& s) { return http::async_read_header(s, conn->buffer, *parser, use_tuple); }, conn->stream);
        const auto ec = deadline.outcome(rec);
        if (stale)
            *stale = first && ec && stale_connection(ec) && n == 0;
        if (ec)
            co_return upstream_error(backend, ec, true);
        // 101 would be final, but Upgrade is never forwarded, so no upstream should send it.
        const auto status = parser->get().result_int();
        if (status >= 200 || status == 101)
            break;
    }
    co_return upstream_exchange{std::move(conn), std::move(parser)};
}

awaitable<adapters::upstream_result> read_whole_answer(deadline_list& deadlines, upstream_pool& pool,
                                                       upstream_exchange& ex, std::uint64_t limit)
{
    const auto& backend = pool.target().backend();
    http::response_parser<http::string_body> body{std::move(*ex.parser)};
    body.body_limit(limit);
    auto& conn = ex.conn;
    boost::system::error_code ec;
    const bool parsed = body.is_done() || parse_buffered(body, conn->buffer, false, ec);
    if (!parsed) {
        make_room(conn->buffer, body.content_length());
        io_deadline deadline(deadlines, conn->tcp(), backend.timeouts.request);
        auto [rec, n] = co_await std::visit(
            [&](auto& s) { return http::async_read(s, conn->buffer, body, use_tuple); }, conn->stream);
        ec = deadline.outcome(rec);
    }
    if (ec)
        co_return upstream_error(backend, ec, true);
    if (body.get().keep_alive())
        pool.release(std::move(conn));
    co_return body.release();
}

}  // namespace bg
