// One client connection over HTTP/1.1, plain or TLS: the handshake, phase 1
// (read each request's head, bounded), pipelining (requests answered in
// order, one at a time; what the client sends ahead waits in the
// connection's buffer, bounded by limits.max_header_bytes), keep-alive, and
// the lingering close. Each request's phases 2–10 are the exchange's
// (exchange.hpp), which reaches the client through this class as its
// Downstream: reading the request's body, writing whole answers, relaying
// streamed ones. Plain and TLS differ only in their stream (as in Beast's
// advanced_server_flex), and where they differ, in the overloads of
// `stream_ops` below.
#include "gateway/exchange.hpp"
#include "gateway/http_util.hpp"
#include "gateway/relay.hpp"
#include "gateway/request_checks.hpp"
#include "gateway/tls_server_stream.hpp"
#include "gateway/whole_write.hpp"
#include "gateway/worker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t first_read_size = 2048;

// What a plain and a TLS client stream do differently.
struct stream_ops {
    // The TLS handshake; a plain connection has none.
    static awaitable<bool> handshake(beast::tcp_stream&) { co_return true; }
    static awaitable<bool> handshake(tls_server_stream& s)
    {
        auto [ec] = co_await s.async_handshake(use_tuple);
        co_return !ec;
    }
    // close_notify before the TCP close; a plain connection has none.
    static awaitable<void> shutdown(beast::tcp_stream&) { co_return; }
    static awaitable<void> shutdown(tls_server_stream& s) { co_await s.async_shutdown(use_tuple); }
    // Request bytes already received but not yet parsed, beyond the
    // connection's buffer (OpenSSL's decrypted records).
    static bool has_pending(const beast::tcp_stream&) { return false; }
    static bool has_pending(const tls_server_stream& s) { return s.has_pending(); }
};

template <class Stream>
class http1_connection {
public:
    http1_connection(worker& w, Stream stream, bool tls, std::string remote_ip, std::string hsts)
        : w_(w), stream_(std::move(stream)), tls_(tls), remote_ip_(std::move(remote_ip)), hsts_(std::move(hsts))
    {
    }

    awaitable<void> run()
    {
        auto* tcp = &beast::get_lowest_layer(stream_);
        idle_ = &w_.session_opened(tcp);
        if (co_await handshake())
            co_await serve();
        co_await close();
        idle_ = nullptr;
        w_.session_closed(tcp);
    }

    // ---- The Downstream the exchange drives ---------------------------------

    bool tls() const { return tls_; }
    const std::string& remote_ip() const { return remote_ip_; }
    // What every answer on this connection carries: the listener's
    // Strict-Transport-Security (RFC 6797), when configured.
    void decorate(http::response_header<>& res) const
    {
        if (!hsts_.empty())
            res.set(http::field::strict_transport_security, hsts_);
    }
    client_auth::remembered_key& known_key() { return known_key_; }

    // Expect: 100-continue is answered by the gateway once the request is
    // known to be acceptable (authenticated, routed). false: the client went away.
    awaitable<bool> send_continue(bool expected)
    {
        if (!expected)
            co_return true;
        http::response<http::empty_body> cont{http::status::continue_, 11};
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write(stream_, cont, use_tuple);
        co_return !ec;
    }

    // The rest of the request's body, read whole within body_timeout.
    awaitable<boost::system::error_code> read_body(http::request_parser<http::string_body>& parser)
    {
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
        co_return deadline.outcome(ec);
    }

    // The request's body, as it arrives, to the upstream stream `up`.
    // A chunked body's framing is checked as it arrives (chunked_framing).
    template <class Up>
    awaitable<relay_result> relay_request(Up& up, http::request_parser<http::buffer_body>& parser,
                                          http::request_serializer<http::buffer_body>& serializer,
                                          relay_limits limits, chunked_framing* framing)
    {
        return relay_body(stream_, buffer_, parser, up, serializer, w_.deadlines(), limits, framing);
    }

    // A whole answer (its framing set: Content-Length), head and body in one
    // write, tried at once: its pieces, and how much of them went (`sent`).
    whole_pieces write_at_once(const http::response<http::string_body>& res, std::size_t& sent,
                               boost::system::error_code& ec)
    {
        const auto pieces = whole_message(wire_head_, res);
        sent = write_immediately(stream_, pieces, ec);
        return pieces;
    }
    // What write_at_once() left, within body_timeout.
    awaitable<boost::system::error_code> write_rest(const whole_pieces& pieces, std::size_t sent)
    {
        return bg::write_rest(stream_, tcp(), w_.deadlines(), pieces, sent, cfg().limits.body_timeout);
    }

    // An answer's head alone (HEAD, 204, 304).
    awaitable<boost::system::error_code> write_header(http::response_serializer<http::buffer_body>& serializer)
    {
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write_header(stream_, serializer, use_tuple);
        co_return deadline.outcome(ec);
    }

    // An answer's body, as it arrives from the upstream stream `up`.
    template <class Up>
    awaitable<relay_result> relay_response(Up& up, beast::flat_buffer& up_buffer,
                                           http::response_parser<http::buffer_body>& parser,
                                           http::response_serializer<http::buffer_body>& serializer,
                                           relay_limits limits)
    {
        return relay_body(up, up_buffer, parser, stream_, serializer, w_.deadlines(), limits);
    }

private:
    const config::gateway_config& cfg() const { return w_.cfg(); }
    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

    awaitable<bool> handshake()
    {
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.header_timeout);
        co_return co_await stream_ops::handshake(stream_);
    }

    awaitable<void> close()
    {
        {
            io_deadline deadline(w_.deadlines(), tcp(), std::chrono::seconds(2));
            co_await stream_ops::shutdown(stream_);
        }
        boost::system::error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        if (linger_)
            co_await linger();
        tcp().close();
    }

    // The lingering close (nginx's lingering_close): the gateway answered and
    // shut its write side, but the client may still be sending (a body the
    // gateway refused before reading it, headers past the limit, pipelined
    // requests). Closing now would make the kernel answer those bytes with a
    // reset, and a reset throws away what the client had not yet read: the
    // answer. So what arrives is read and discarded until the client closes,
    // limits.linger_time passes or limits.linger_bytes were read. Over TLS
    // the bytes are records after our close_notify: read raw, never decrypted.
    awaitable<void> linger()
    {
        const auto& limits = cfg().limits;
        if (limits.linger_time.count() <= 0)
            co_return;
        const std::size_t piece = 16 * 1024;
        const auto sink = std::make_unique<char[]>(piece);  // (not in the frame: Asio reuses small frames only)
        std::size_t discarded = 0;
        io_deadline deadline(w_.deadlines(), tcp(), limits.linger_time);
        while (discarded < limits.linger_bytes && !deadline.expired()) {
            auto [ec, n] = co_await tcp().socket().async_read_some(asio::buffer(sink.get(), piece), use_tuple);
            if (ec)
                break;  // the client closed (or reset), or the time is up
            discarded += n;
        }
    }

    // Waits, at most idle_timeout, for the first bytes of the next request.
    // false: the connection is to be closed (idle, closed by the peer, draining).
    awaitable<bool> wait_for_request()
    {
        if (buffer_.size() > 0 || stream_ops::has_pending(stream_))
            co_return true;
        if (buffer_.capacity() > 4 * first_read_size)
            buffer_.shrink_to_fit();  // an idle connection keeps little memory
        *idle_ = true;
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(first_read_size), use_tuple);
        *idle_ = false;
        if (ec)
            co_return false;
        buffer_.commit(n);
        co_return !w_.draining() || n > 0;
    }

    // Phase 1, request after request, each handed to the exchange.
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
            head_.reset();
            const bool parsed = head_.parse(parser, buffer_, ec);  // (the usual case: one read brought it)
            if (!parsed)
                ec = co_await read_rest_of_head(parser);
            linger_ = true;  // from here on, a close comes after an answer (or during a request)
            if (ec) {
                co_await refuse_unread(ec, parser);
                co_return;
            }
            std::optional<request_ctx> ctx;
            ctx.emplace(w_, parser, remote_ip_);
            const bool keep_open = co_await exchange_.run(*ctx);
            ctx.reset();
            if (!keep_open)
                co_return;
            linger_ = false;
        }
    }

    // The rest of a head that one read did not bring, within header_timeout.
    awaitable<boost::system::error_code> read_rest_of_head(header_parser& parser)
    {
        constexpr std::size_t read_size = 4096;
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.header_timeout);
        for (;;) {
            auto [rec, n] = co_await stream_.async_read_some(buffer_.prepare(read_size), use_tuple);
            if (rec == asio::error::eof)
                rec = buffer_.size() > 0 ? http::error::partial_message : http::error::end_of_stream;
            if (rec)
                co_return deadline.outcome(rec);
            buffer_.commit(n);
            boost::system::error_code ec;
            if (head_.parse(parser, buffer_, ec))
                co_return ec;
        }
    }

    // A head that could not be read: its problem, when the client is still
    // there to read one (the connection then closes).
    awaitable<void> refuse_unread(boost::system::error_code ec, header_parser& parser)
    {
        std::optional<gateway_error> e;
        if (head_.obs_fold())
            e = gateway_error{errc::bad_request,
                              "a header line starts with a space or a tab (obs-fold, RFC 9112 §5.2): "
                              "send each field on a line of its own",
                              {}, {}};
        else if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
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
        request_ctx ctx(w_, parser, remote_ip_);
        ctx.log.request_id = request_id_for({});  // (the head is not trusted: not the client's id)
        co_await exchange_.refuse(ctx, *e);
    }

    worker& w_;
    Stream stream_;
    bool tls_;
    std::string remote_ip_;
    std::string hsts_;  // the listener's, as configured when the connection came (a copy: a reload may come)
    bool* idle_ = nullptr;  // the worker's flag: waiting for the next request (for draining)
    beast::flat_buffer buffer_{};
    std::string wire_head_;  // a whole answer's head being written, reused
    client_auth::remembered_key known_key_;  // (for one configuration generation: checked again after a reload)
    bool linger_ = false;                    // closing after an answer: see linger()
    head_reader head_;                       // phase 1's parse of the head being read
    exchange<http1_connection> exchange_{w_, *this};
};

template <class Stream>
awaitable<void> run_connection(worker& w, Stream stream, bool tls, std::string remote_ip, std::string hsts)
{
    http1_connection<Stream> connection(w, std::move(stream), tls, std::move(remote_ip), std::move(hsts));
    co_await connection.run();
}

}  // namespace

void start_session(worker& w, tcp::socket socket, asio::ssl::context* tls, std::string hsts)
{
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("unknown") : remote.address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // (synchronous writes are attempts that never wait: write_now)
    beast::tcp_stream tcp_s(std::move(socket));
    if (tls)
        asio::co_spawn(w.io(),
                       run_connection(w, tls_server_stream(std::move(tcp_s), tls->native_handle()), true,
                                      std::move(ip), std::move(hsts)),
                       asio::detached);
    else
        asio::co_spawn(w.io(), run_connection(w, std::move(tcp_s), false, std::move(ip), std::move(hsts)),
                       asio::detached);
}

}  // namespace bg
