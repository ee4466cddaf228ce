// Upstreams: how the gateway reaches a backend's base_url.
//
// upstream_target is per backend and shared by every thread (its TLS context
// and settings are read-only after start-up). upstream_pool is per backend and
// per thread: keep-alive connections that only that thread's event loop uses,
// so no locking is needed on the hot path.
#pragma once

#include "adapters/adapter.hpp"
#include "config/config.hpp"
#include "gateway/coarse_clock.hpp"
#include "gateway/deadline.hpp"
#include "core/errors.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/optional/optional.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace bg {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::asio::awaitable;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

class upstream_target {
public:
    // Builds the TLS context; throws (at start-up only) when ca_file cannot be read.
    explicit upstream_target(const config::backend& backend);

    const config::backend& backend() const { return backend_; }
    bool tls() const { return ssl_ != nullptr; }
    asio::ssl::context& ssl() const { return *ssl_; }
    const std::string& host_header() const { return host_header_; }  // "host" or "host:port"
    const std::string& server_name() const { return server_name_; }  // SNI and the name verified

private:
    const config::backend& backend_;
    std::unique_ptr<asio::ssl::context> ssl_;
    std::string host_header_;
    std::string server_name_;
};

struct upstream_connection {
    std::variant<plain_stream, tls_stream> stream;
    beast::flat_buffer buffer;
    coarse_clock::time_point idle_since{};
    bool reused = false;  // came from the pool: the peer may have closed it meanwhile

    beast::tcp_stream& tcp()
    {
        return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
    }
};
using connection_ptr = std::unique_ptr<upstream_connection>;

// How long connections beyond max_idle_connections stay pooled after their
// last use; also how often idle connections are looked at (drop_closed).
constexpr std::chrono::seconds surplus_linger{1};

// Beast reads as much as its dynamic buffer has room for, at least 512 bytes:
// a flat_buffer the parser keeps emptying never grows, so a 3 KB answer took
// seven recv() calls and a streamed body one per 512 bytes. A connection's
// buffer starts with room for a typical small answer (`initial_room`), grows
// to the length of an answer read whole (up to `whole_read_room`) or to a
// relay's 64 KiB, and goes back to `initial_room` when the connection returns
// to the pool holding more than `kept_room`.
constexpr std::size_t initial_room = 4 * 1024;
constexpr std::size_t whole_read_room = 64 * 1024;
constexpr std::size_t kept_room = 16 * 1024;
// Room for the rest of an answer whose head is read (its Content-Length, if any).
void make_room(beast::flat_buffer& buffer, boost::optional<std::uint64_t> content_length);

class upstream_pool {
public:
    upstream_pool(asio::any_io_executor executor, const upstream_target& target);

    // An idle pooled connection, or a new one (resolve, connect, TLS handshake
    // and verification, all within timeouts.connect).
    awaitable<std::variant<connection_ptr, gateway_error>> acquire();
    // A new connection, never a pooled one (the retry after a stale one failed).
    awaitable<std::variant<connection_ptr, gateway_error>> connect();
    // Back to the pool after a complete exchange that keeps the connection
    // alive. Up to max_idle_connections are kept; under a load that uses
    // more at once, the surplus is kept too while it is being reused, and
    // closed once idle for surplus_linger (as HAProxy purges its idle pools):
    // dropping a connection at every release above the cap made a new
    // upstream connection for 7 % of requests at 1,000 clients.
    void release(connection_ptr c);
    // Closes every idle connection (shutdown).
    void close_idle();
    // Closes the idle connections the upstream has closed (or sent anything
    // on: an idle HTTP/1.1 connection has nothing to say): left pooled they
    // sat in CLOSE-WAIT until timeouts.idle. Looked at by peeking at each
    // socket, once a second while any connection is idle (no cost per
    // request: a wait on each idle socket would cost an epoll_ctl each).
    // How many it closed.
    std::size_t drop_closed();

    const upstream_target& target() const { return target_; }
    std::size_t idle_count() const { return idle_.size(); }

private:
    void trim_surplus(coarse_clock::time_point now);
    void schedule_sweep();

    asio::any_io_executor executor_;
    const upstream_target& target_;
    // Taken from the back (the most recently used is the likeliest alive),
    // trimmed from the front (the longest idle).
    std::deque<connection_ptr> idle_;
    asio::steady_timer sweep_timer_;
    bool sweep_scheduled_ = false;
    std::shared_ptr<void> alive_ = std::make_shared<char>();  // expires with the pool (a retired backend's)
};

}  // namespace bg

namespace bg {

// The adapter's way to its upstream (logins, refreshes, logouts) over the
// calling thread's pool: a complete buffered request, a complete response.
class pool_client final : public adapters::upstream_client {
public:
    // `pooled`: use a pooled keep-alive connection (replaced once if the
    // upstream closed it while idle: only for idempotent requests), rather
    // than a new one (logins: rare, and must not fail on a stale connection).
    pool_client(deadline_list& deadlines, upstream_pool& pool, bool pooled = false,
                upstream_pool* auxiliary = nullptr)
        : deadlines_(deadlines), pool_(pool), pooled_(pooled), auxiliary_pool_(auxiliary)
    {
    }
    pool_client(pool_client&&) = default;
    awaitable<adapters::upstream_result> send(http::request<http::string_body>& req) override;
    upstream_client* auxiliary() override;

private:
    deadline_list& deadlines_;
    upstream_pool& pool_;
    bool pooled_;
    upstream_pool* auxiliary_pool_;
    std::unique_ptr<pool_client> auxiliary_;
};

// The error for a failed exchange with an upstream: 504 on a timeout, 502 otherwise.
gateway_error upstream_error(const config::backend& b, boost::system::error_code ec, bool reading);

// ---- One upstream exchange ------------------------------------------------------
//
// Every buffered request the gateway sends upstream (a proxied request, a
// list call, an adapter's login or refresh) goes through exchange_buffered();
// the answer's head comes back, its body still on the connection.

// The upstream answered, headers read; the body is still to come.
struct upstream_exchange {
    connection_ptr conn;
    std::unique_ptr<http::response_parser<http::empty_body>> parser;
};
using exchange_result = std::variant<upstream_exchange, gateway_error>;

// Sends `req` (its body whole, framed by Content-Length: prepare_payload())
// on a pooled connection (`pooled`) or a new one, head and body in one
// gathered write (`head` is the caller's scratch space for the head), and
// reads the answer's head past any 1xx (RFC 9110 §15.2), within
// timeouts.request. A pooled connection that the upstream had closed while
// idle (the write fails, or the read ends with no byte) is replaced by a new
// one, once, and only for an idempotent request: one the upstream may have
// run before closing must not run twice (RFC 9110 §9.2.2).
awaitable<exchange_result> exchange_buffered(deadline_list& deadlines, upstream_pool& pool,
                                             const http::request<http::string_body>& req, std::string& head,
                                             bool pooled = true);

// Reads the head of the answer on `conn` past any 1xx, within
// timeouts.request. `head_request`: the answer has no body (HEAD). `stale`,
// when given: whether the read ended with no byte received and the error a
// connection closed by the peer gives.
awaitable<exchange_result> read_response_head(deadline_list& deadlines, connection_ptr& conn,
                                              const config::backend& backend, bool head_request,
                                              bool* stale = nullptr);

// The rest of the answer whose head `ex` holds, read whole (a body of at most
// `limit` bytes) within timeouts.request; the connection goes back to `pool`
// when the answer keeps it alive. A failure mid-body is the error (and the
// connection closes).
awaitable<adapters::upstream_result> read_whole_answer(deadline_list& deadlines, upstream_pool& pool,
                                                       upstream_exchange& ex, std::uint64_t limit);

}  // namespace bg
