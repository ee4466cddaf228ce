#include "gateway/tls_server_stream.hpp"

#include <boost/asio/error.hpp>

#include <openssl/err.h>

#include <cerrno>
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

unsigned char* gather_space()
{
    thread_local std::unique_ptr<unsigned char[]> space(new unsigned char[record_payload]);
    return space.get();
}

}  // namespace tls_detail

tls_server_stream::tls_server_stream(boost::beast::tcp_stream stream, SSL_CTX* ctx) : next_(std::move(stream))
{
    ssl_ = SSL_new(ctx);
    if (!ssl_)
        throw std::bad_alloc();
    // OpenSSL reads and writes the descriptor itself: it must not block.
    boost::system::error_code ignored;
    next_.socket().native_non_blocking(true, ignored);
    SSL_set_fd(ssl_, static_cast<int>(next_.socket().native_handle()));
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
    : next_(std::move(other.next_)), ssl_(std::exchange(other.ssl_, nullptr))
{
}

}  // namespace bg
