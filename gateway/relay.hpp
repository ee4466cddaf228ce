// relay_body: moves a message body from one stream to another in 64 KiB
// pieces (Beast's "relay" pattern), so bodies of any size pass with flat
// memory. The same code serves uploads (client → upstream) and downloads
// (upstream → client). The serializer writes the (already rewritten) header
// first.
#pragma once

#include "gateway/deadline.hpp"
#include "gateway/request_checks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace bg {

enum class relay_side { none, in, out };

struct relay_result {
    relay_side failed = relay_side::none;  // which side's error ended the relay
    boost::system::error_code ec;
    std::uint64_t bytes = 0;  // body bytes moved
};

// Each read and each write has its own limit (deadline.hpp): on expiry the
// operation is cancelled and the socket left open, so a client that was too
// slow still gets its 408; the caller closes an upstream that was.
struct relay_limits {
    std::chrono::milliseconds in_timeout;   // per read
    std::chrono::milliseconds out_timeout;  // per write
};

// One read of a body piece into `p`, like Beast's http::async_read, with
// every byte that arrives checked by `framing` first (a chunked request body:
// Beast would wait for the rest of a chunk line that is already wrong).
template <class In, bool isRequest>
boost::asio::awaitable<boost::system::error_code> read_checked(In& in, boost::beast::flat_buffer& in_buffer,
                                                               boost::beast::http::parser<isRequest, boost::beast::http::buffer_body>& p,
                                                               chunked_framing& framing)
{
    namespace http = boost::beast::http;
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    p.eager(true);  // (as Beast's own read: put() goes on past each chunk's head)
    for (;;) {
        boost::system::error_code ec;
        if (in_buffer.size() > 0) {
            const auto used = p.put(in_buffer.data(), ec);
            in_buffer.consume(used);
            if (ec != http::error::need_more)
                co_return ec;  // a piece, the end, or the parser's error
            if (used > 0)
                continue;
        }
        if (p.is_done())
            co_return ec;
        auto [rec, n] = co_await in.async_read_some(in_buffer.prepare(16 * 1024), use_tuple);
        if (rec == boost::asio::error::eof) {
            p.put_eof(ec);
            co_return ec ? ec : boost::system::error_code(http::error::partial_message);
        }
        if (rec)
            co_return rec;
        in_buffer.commit(n);
        const auto* fresh = static_cast<const char*>(in_buffer.data().data()) + in_buffer.size() - n;
        if (!framing.feed(std::string_view(fresh, n)))
            co_return http::error::bad_chunk;
    }
}

// `framing`: for a chunked request body, the check of its framing as it
// arrives (read_checked); null otherwise.
template <class In, class Out, bool isRequest>
boost::asio::awaitable<relay_result> relay_body(In& in, boost::beast::flat_buffer& in_buffer,
                                                boost::beast::http::parser<isRequest, boost::beast::http::buffer_body>& p,
                                                Out& out,
                                                boost::beast::http::serializer<isRequest, boost::beast::http::buffer_body>& sr,
                                                deadline_list& deadlines, relay_limits limits,
                                                chunked_framing* framing = nullptr)
{
    namespace http = boost::beast::http;
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    constexpr std::size_t chunk = 64 * 1024;
    std::unique_ptr<char[]> buf(new char[chunk]);  // (not value-initialized: every byte is written before it is read)
    // Room for a piece at a time: Beast reads no more than the buffer's free
    // room (at least 512 bytes), and the parser keeps emptying it.
    in_buffer.reserve(std::max(in_buffer.capacity(), chunk));
    relay_result result;
    if (framing && !framing->feed(std::string_view(static_cast<const char*>(in_buffer.data().data()), in_buffer.size()))) {
        result.failed = relay_side::in;  // what came with the head is wrong already
        result.ec = boost::beast::http::error::bad_chunk;
        co_return result;
    }
    do {
        auto& body = p.get().body();
        if (!p.is_done()) {
            body.data = buf.get();
            body.size = chunk;
            boost::system::error_code ec;
            {
                io_deadline deadline(deadlines, boost::beast::get_lowest_layer(in), limits.in_timeout);
                if (framing) {
                    const auto rec = co_await read_checked(in, in_buffer, p, *framing);
                    ec = deadline.outcome(rec);
                } else {
                    auto [rec, n] = co_await http::async_read(in, in_buffer, p, use_tuple);
                    ec = deadline.outcome(rec);
                }
            }
            if (ec == http::error::need_buffer)
                ec = {};  // the piece is full: send it, then read on
            if (ec) {
                result.failed = relay_side::in;
                result.ec = ec;
                co_return result;
            }
            body.size = chunk - body.size;
            body.data = buf.get();
            body.more = !p.is_done();
            result.bytes += body.size;
        } else {
            body.data = nullptr;
            body.size = 0;
        }
        boost::system::error_code wec;
        {
            io_deadline deadline(deadlines, boost::beast::get_lowest_layer(out), limits.out_timeout);
            auto [ec, m] = co_await http::async_write(out, sr, use_tuple);
            wec = deadline.outcome(ec);
        }
        if (wec == http::error::need_buffer)
            wec = {};  // the piece is written: read the next
        if (wec) {
            result.failed = relay_side::out;
            result.ec = wec;
            co_return result;
        }
    } while (!p.is_done() && !sr.is_done());
    co_return result;
}

}  // namespace bg
