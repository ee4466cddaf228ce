// tls_server_stream: the client side's TLS, OpenSSL working on the socket
// itself (as nginx and HAProxy use it), not through Asio's ssl::stream.
//
// asio::ssl::stream feeds OpenSSL through a BIO pair and keeps, per
// connection and for its whole life, four 17 KiB buffers (its own input and
// output, and the pair's two): 68 KiB of every idle TLS connection, and two
// more copies of every byte. Here the SSL object reads and writes the
// non-blocking socket directly; when it wants the socket readable or
// writable the operation waits for that (socket async_wait) and tries again.
// OpenSSL's own record buffers are released while the connection is idle
// (SSL_MODE_RELEASE_BUFFERS), so an idle connection keeps the SSL object and
// little else.
//
// OpenSSL reaches the socket through a small BIO of ours (recv/send on the
// descriptor) with one addition: a read that must wait for the client does
// not ask OpenSSL first and then wait for readability (a recv that finds
// nothing, then an epoll_ctl for Asio's async_wait), but receives into a
// small per-connection space with Asio's own read (one recv that finds
// nothing, then the reactor's recv when data comes, as a plain connection
// reads), and OpenSSL takes those bytes from the BIO first.
//
// Reads and writes are Beast's AsyncReadStream/AsyncWriteStream, so
// http::async_read/async_write work on it; the lowest layer is the
// beast::tcp_stream (deadlines, connection bookkeeping). One operation of
// each kind at a time, on the stream's one event loop (the session's rule).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace bg {

namespace tls_detail {

enum class want { done, read, write };

// SSL_get_error's verdict on a failed call, as an error code (or a wait).
want classify(SSL* ssl, int ret, boost::system::error_code& ec);

// Empties this thread's OpenSSL error queue before a call that classify()
// will judge: SSL_get_error reads the queue, and an old error there would be
// taken for the call's. The queue is nearly always empty already, which
// ERR_peek_error() sees in 20 ns; ERR_clear_error() clears all of its slots
// every time (150 ns here, and a TLS request makes two or three calls).
inline void clear_errors()
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

// Copies the buffer sequence's first `limit` bytes to `out`; how many.
template <class ConstBufferSequence>
std::size_t gather(const ConstBufferSequence& buffers, unsigned char* out, std::size_t limit)
{
    std::size_t n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers) && n < limit;
         ++it) {
        const boost::asio::const_buffer b = *it;
        const std::size_t take = std::min(b.size(), limit - n);
        std::memcpy(out + n, b.data(), take);
        n += take;
    }
    return n;
}

// What the BIO reads from first: bytes received by an Asio read while the
// connection waited for its client, then the socket itself. Its address is
// stable (the BIO points at it), so the stream owns it through a pointer.
struct socket_bio {
    static constexpr std::size_t space_size = 512;  // a usual request's record; more is read by the BIO
    int fd = -1;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool eof = false;  // the Asio read met the end: the BIO reports it to OpenSSL
    unsigned char space[space_size];

    bool holds_bytes() const { return begin < end; }
};
// A BIO reading and writing `state`'s descriptor (non-blocking), after its
// received bytes. SSL_set_bio() takes it; `state` outlives it.
BIO* make_socket_bio(socket_bio& state);

// One TLS record's worth of plaintext: a write of a buffer sequence (Beast's
// header and body) is gathered into this many bytes, sent as one record.
constexpr std::size_t record_payload = 16 * 1024;
unsigned char* gather_space();  // per thread, record_payload bytes

}  // namespace tls_detail

class tls_server_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using next_layer_type = boost::beast::tcp_stream;

    // Takes the connected socket's stream; the SSL object comes from `ctx`
    // (its certificate, verification mode and options). Throws std::bad_alloc.
    tls_server_stream(boost::beast::tcp_stream stream, SSL_CTX* ctx);
    ~tls_server_stream();
    tls_server_stream(tls_server_stream&& other) noexcept;
    tls_server_stream& operator=(tls_server_stream&&) = delete;
    tls_server_stream(const tls_server_stream&) = delete;
    tls_server_stream& operator=(const tls_server_stream&) = delete;

    executor_type get_executor() { return next_.get_executor(); }
    boost::beast::tcp_stream& next_layer() { return next_; }
    const boost::beast::tcp_stream& next_layer() const { return next_; }
    SSL* native_handle() { return ssl_; }
    // Decrypted or still-encrypted bytes already read from the socket.
    bool has_pending() const { return SSL_has_pending(ssl_) == 1 || bio_->holds_bytes(); }

    template <class Handler>
    auto async_handshake(Handler&& handler)
    {
        return boost::asio::async_compose<Handler, void(boost::system::error_code)>(
            op<handshake_call, void_completion>{*this, {}}, handler, next_.socket());
    }

    // Sends close_notify (once; the peer's is not awaited: the connection
    // closes right after, as nginx does).
    template <class Handler>
    auto async_shutdown(Handler&& handler)
    {
        return boost::asio::async_compose<Handler, void(boost::system::error_code)>(
            op<shutdown_call, void_completion>{*this, {}}, handler, next_.socket());
    }

    template <class MutableBufferSequence, class Handler>
    auto async_read_some(const MutableBufferSequence& buffers, Handler&& handler)
    {
        boost::asio::mutable_buffer first;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            first = *it;
            if (first.size() > 0)
                break;
        }
        return boost::asio::async_compose<Handler, void(boost::system::error_code, std::size_t)>(
            op<read_call, size_completion>{*this, read_call{first}}, handler, next_.socket());
    }

    // One write attempt now, never waiting: the bytes taken (0 when the
    // socket is full or OpenSSL wants to read first; the caller then writes
    // the same bytes asynchronously, as OpenSSL requires).
    template <class ConstBufferSequence>
    std::size_t write_some_now(const ConstBufferSequence& buffers, boost::system::error_code& ec)
    {
        tls_detail::clear_errors();
        std::size_t n = 0;
        const int r = write_call<ConstBufferSequence>{buffers}(ssl_, n);
        ec = {};
        if (r > 0)
            return n;
        tls_detail::classify(ssl_, r, ec);  // a wait is no error: 0 bytes
        return 0;
    }

    template <class ConstBufferSequence, class Handler>
    auto async_write_some(const ConstBufferSequence& buffers, Handler&& handler)
    {
        return boost::asio::async_compose<Handler, void(boost::system::error_code, std::size_t)>(
            op<write_call<ConstBufferSequence>, size_completion>{*this, write_call<ConstBufferSequence>{buffers}},
            handler, next_.socket());
    }

private:
    // The OpenSSL call an operation repeats until it need not wait.
    struct handshake_call {
        int operator()(SSL* ssl, std::size_t& n) const
        {
            n = 0;
            return SSL_do_handshake(ssl);
        }
    };
    struct shutdown_call {
        int operator()(SSL* ssl, std::size_t& n) const
        {
            n = 0;
            const int r = SSL_shutdown(ssl);
            return r == 0 ? 1 : r;  // 0: ours is sent, the peer's not yet read; enough
        }
    };
    struct read_call {
        boost::asio::mutable_buffer buffer;
        int operator()(SSL* ssl, std::size_t& n) const
        {
            if (buffer.size() == 0) {
                n = 0;
                return 1;
            }
            return SSL_read_ex(ssl, buffer.data(), buffer.size(), &n);
        }
    };
    template <class ConstBufferSequence>
    struct write_call {
        ConstBufferSequence buffers;
        int operator()(SSL* ssl, std::size_t& n) const
        {
            // A single buffer is written from where it is; several are
            // gathered first, so that a header and a small body make one
            // record and one send(). A retry after a wait gathers the same
            // bytes again (the move is allowed: ACCEPT_MOVING_WRITE_BUFFER).
            const void* data = nullptr;
            std::size_t size = 0;
            auto it = boost::asio::buffer_sequence_begin(buffers);
            const auto end = boost::asio::buffer_sequence_end(buffers);
            std::size_t pieces = 0;
            for (auto i = it; i != end && pieces < 2; ++i)
                if (boost::asio::const_buffer(*i).size() > 0) {
                    ++pieces;
                    if (pieces == 1) {
                        data = boost::asio::const_buffer(*i).data();
                        size = boost::asio::const_buffer(*i).size();
                    }
                }
            if (pieces == 0) {
                n = 0;
                return 1;
            }
            if (pieces > 1) {
                auto* space = tls_detail::gather_space();
                size = tls_detail::gather(buffers, space, tls_detail::record_payload);
                data = space;
            }
            return SSL_write_ex(ssl, data, size, &n);
        }
    };

    struct void_completion {
        template <class Self>
        static void complete(Self& self, boost::system::error_code ec, std::size_t)
        {
            self.complete(ec);
        }
    };
    struct size_completion {
        template <class Self>
        static void complete(Self& self, boost::system::error_code ec, std::size_t n)
        {
            self.complete(ec, n);
        }
    };

    template <class Call, class Completion>
    struct op {
        tls_server_stream& s;
        Call call;
        bool waited = false;    // completed after a wait: the handler may run now
        bool deferred = false;  // completing on a later turn of the event loop
        boost::system::error_code result{};
        std::size_t bytes = 0;

        static constexpr bool reads = std::is_same_v<Call, read_call>;

        // A read with nothing to decrypt yet receives into the BIO's space
        // (see above); OpenSSL then takes those bytes first.
        template <class Self>
        void receive(Self& self)
        {
            waited = true;
            auto& bio = *s.bio_;
            bio.begin = bio.end = 0;
            s.next_.socket().async_receive(boost::asio::buffer(bio.space), std::move(self));
        }

        // That receive's end: the bytes are the BIO's; the end of the stream
        // is OpenSSL's to judge (close_notify or not), as if it had read it.
        template <class Self>
        void operator()(Self& self, boost::system::error_code ec, std::size_t n)
        {
            if (ec == boost::asio::error::eof) {
                s.bio_->eof = true;
                ec = {};
            } else if (!ec) {
                s.bio_->end = n;
            }
            (*this)(self, ec);
        }

        template <class Self>
        void operator()(Self& self, boost::system::error_code ec = {})
        {
            if (deferred)
                return Completion::complete(self, result, bytes);
            if (ec)  // the wait failed: cancelled (a deadline) or the socket closed
                return Completion::complete(self, ec, 0);
            if constexpr (reads) {
                // Nothing read ahead yet: asking OpenSSL would only find the socket empty.
                if (!waited && call.buffer.size() > 0 && !s.has_pending() && !s.bio_->eof)
                    return receive(self);
            }
            tls_detail::clear_errors();
            std::size_t n = 0;
            const int r = call(s.ssl_, n);
            boost::system::error_code err;
            if (r <= 0) {
                switch (tls_detail::classify(s.ssl_, r, err)) {
                case tls_detail::want::read:
                    if constexpr (reads)
                        return receive(self);  // (a record's rest)
                    waited = true;
                    return s.next_.socket().async_wait(boost::asio::socket_base::wait_read, std::move(self));
                case tls_detail::want::write:
                    waited = true;
                    return s.next_.socket().async_wait(boost::asio::socket_base::wait_write, std::move(self));
                case tls_detail::want::done:
                    break;
                }
                n = 0;
            }
            if (waited)
                return Completion::complete(self, err, n);
            // Done without waiting: the handler must not run inside the
            // initiating call (Asio's rule), so it runs on the next turn.
            deferred = true;
            result = err;
            bytes = n;
            auto ex = s.get_executor();
            boost::asio::post(ex, std::move(self));
        }
    };

    boost::beast::tcp_stream next_;
    std::unique_ptr<tls_detail::socket_bio> bio_;
    SSL* ssl_ = nullptr;
};

}  // namespace bg
