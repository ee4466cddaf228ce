#include "gateway/tls_server_stream.hpp"

#include <boost/asio/error.hpp>

#include <openssl/err.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

namespace bg {

namespace tls_detail {

want classify(SSL* ssl, int ret, boost::system::error_code& ec)
{
    const int err = SSL_get_error(ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
        return want::read;
    case SSL_ERROR_WANT_WRITE:
        return want::write;
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify: a clean end
        ec = boost::asio::error::eof;
        return want::done;
    case SSL_ERROR_SYSCALL: {
        const int e = errno;
        if (ERR_peek_error() == 0 && e != 0)
            ec = boost::system::error_code(e, boost::asio::error::get_system_category());
        else
            ec = boost::asio::ssl::error::stream_truncated;  // closed without close_notify
        return want::done;
    }
    default: {
        const unsigned long e = ERR_get_error();
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            ec = boost::asio::ssl::error::stream_truncated;
        else if (e != 0)
            ec = boost::system::error_code(static_cast<int>(e), boost::asio::error::get_ssl_category());
        else
            ec = boost::asio::error::fault;  // (OpenSSL failed without saying why)
        ERR_clear_error();
        return want::done;
    }
    }
}

namespace {

int bio_read(BIO* b, char* out, int size)
{
    auto& state = *static_cast<socket_bio*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (size <= 0)
        return 0;
    if (state.holds_bytes()) {
        const std::size_t n = std::min(state.end - state.begin, static_cast<std::size_t>(size));
        std::memcpy(out, state.space + state.begin, n);
        state.begin += n;
        return static_cast<int>(n);
    }
    if (state.eof) {
        errno = 0;  // an end, not a failure
        return 0;
    }
    const ssize_t r = ::recv(state.fd, out, static_cast<std::size_t>(size), 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return static_cast<int>(r);
}

int bio_write(BIO* b, const char* in, int size)
{
    auto& state = *static_cast<socket_bio*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (size <= 0)
        return 0;
    const ssize_t r = ::send(state.fd, in, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return static_cast<int>(r);
}

long bio_ctrl(BIO*, int cmd, long, void*)
{
    // Writes go straight to the socket: nothing to flush. Every other
    // control (kTLS, descriptor queries) is "not supported".
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* socket_bio_method()
{
    static const BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "backup-gateway socket");
        if (!m || !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_write(m, bio_write) ||
            !BIO_meth_set_ctrl(m, bio_ctrl))
            throw std::bad_alloc();
        return m;
    }();
    return method;
}

}  // namespace

BIO* make_socket_bio(socket_bio& state)
{
    BIO* b = BIO_new(socket_bio_method());
    if (!b)
        throw std::bad_alloc();
    BIO_set_data(b, &state);
    BIO_set_init(b, 1);
    return b;
}

unsigned char* gather_space()
{
    thread_local std::unique_ptr<unsigned char[]> space(new unsigned char[record_payload]);
    return space.get();
}

}  // namespace tls_detail

tls_server_stream::tls_server_stream(boost::beast::tcp_stream stream, SSL_CTX* ctx)
    : next_(std::move(stream)), bio_(std::make_unique<tls_detail::socket_bio>())
{
    ssl_ = SSL_new(ctx);
    if (!ssl_)
        throw std::bad_alloc();
    // OpenSSL reads and writes the descriptor itself: it must not block.
    boost::system::error_code ignored;
    next_.socket().native_non_blocking(true, ignored);
    bio_->fd = static_cast<int>(next_.socket().native_handle());
    BIO* bio = tls_detail::make_socket_bio(*bio_);
    SSL_set_bio(ssl_, bio, bio);  // (one reference, for both directions)
    SSL_set_accept_state(ssl_);
    // A write may return after some records (write_some); a retry may pass
    // the same bytes from another address (gathered anew).
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Whole records (and what follows) in one recv(), not header then body.
    SSL_set_read_ahead(ssl_, 1);
}

tls_server_stream::~tls_server_stream()
{
    if (ssl_)
        SSL_free(ssl_);  // (does not close the descriptor: the socket does)
}

tls_server_stream::tls_server_stream(tls_server_stream&& other) noexcept
    : next_(std::move(other.next_)), bio_(std::move(other.bio_)), ssl_(std::exchange(other.ssl_, nullptr))
{
}

}  // namespace bg
