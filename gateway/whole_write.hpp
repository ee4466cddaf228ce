// Writing a message held whole (a buffered request, an answer read whole, an
// envelope, a problem): its head written by append_head() and its body, as
// two buffers of one gathered write, tried at once on the non-blocking
// socket; only what the socket does not take is written asynchronously. Both
// the client side (plain, tls_server_stream) and the upstream side (plain,
// Asio's ssl::stream, which has no immediate write) use it.
#pragma once

#include "gateway/deadline.hpp"
#include "gateway/http_util.hpp"
#include "gateway/tls_server_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>
#include <string>

namespace bg {

using whole_pieces = std::array<boost::asio::const_buffer, 2>;

// `m` as its head (written into `head`, which the caller keeps alive and may
// reuse) and its body. Its framing fields must be set: Content-Length, never chunked.
template <bool isRequest>
whole_pieces whole_message(std::string& head, const http::message<isRequest, http::string_body>& m)
{
    head.clear();
    append_head(head, m.base());
    return {boost::asio::buffer(head), boost::asio::buffer(m.body())};
}

// One write attempt that never waits (write_now, write_some_now): how many
// bytes went out. Asio's ssl::stream (upstream TLS) has none: 0, and
// everything goes asynchronously.
template <class ConstBufferSequence>
std::size_t write_immediately(beast::tcp_stream& s, const ConstBufferSequence& buffers, boost::system::error_code& ec)
{
    ec = {};
    return write_now(s, buffers, ec);
}
template <class ConstBufferSequence>
std::size_t write_immediately(tls_server_stream& s, const ConstBufferSequence& buffers, boost::system::error_code& ec)
{
    ec = {};
    return s.write_some_now(buffers, ec);
}
template <class S, class ConstBufferSequence>
std::size_t write_immediately(S&, const ConstBufferSequence&, boost::system::error_code& ec)
{
    ec = {};
    return 0;
}

// What an immediate write left of `pieces`, written asynchronously within
// `limit`. A coroutine of its own: only the slow path pays for its frame.
template <class S>
boost::asio::awaitable<boost::system::error_code> write_rest(S& s, beast::tcp_stream& lowest, deadline_list& deadlines,
                                                             const whole_pieces& pieces, std::size_t sent,
                                                             std::chrono::milliseconds limit)
{
    beast::buffers_suffix<whole_pieces> rest(pieces);
    rest.consume(sent);
    io_deadline deadline(deadlines, lowest, limit);
    auto [ec, n] = co_await boost::asio::async_write(s, rest, boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return deadline.outcome(ec);
}

}  // namespace bg
