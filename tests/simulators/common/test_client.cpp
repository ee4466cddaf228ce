#include "tests/simulators/common/test_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <limits>
#include <stdexcept>
#include <strings.h>

namespace sim::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Every step is bounded, so a test against a server that hangs fails instead
// of waiting for ctest's timeout.
constexpr auto step_timeout = std::chrono::seconds(60);

// Runs one asynchronous operation to completion on `ioc` and returns its error.
template <class Initiate>
error_code run(asio::io_context& ioc, Initiate&& initiate) {
    error_code result;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
}

void throw_if(error_code ec, const char* what) {
    if (ec) throw boost::system::system_error(ec, what);
}

void fill_in(http::request<http::string_body>& req, std::uint16_t port) {
    if (req.find(http::field::host) == req.end()) req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    if (!req.has_content_length() && !req.chunked()) req.prepare_payload();
}

tcp::endpoint loopback(std::uint16_t port) { return {asio::ip::make_address_v4("127.0.0.1"), port}; }

template <class Stream>
result exchange(asio::io_context& ioc, Stream& stream, beast::flat_buffer& buffer,
                http::request<http::string_body>& req) {
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(step_timeout);
    throw_if(run(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); }), "write");

    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (req.method() == http::verb::head) parser.skip(true);  // a HEAD answer has no body to wait for
    lowest.expires_after(step_timeout);
    throw_if(run(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); }), "read");

    auto res = parser.release();
    result out;
    out.status = res.result_int();
    for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
    out.body = std::move(res.body());
    return out;
}

}  // namespace

std::string result::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
    return {};
}

result send(std::uint16_t port, http::request<http::string_body> req) {
    connection conn(port);
    return conn.send(std::move(req));
}

result send(std::uint16_t port, http::verb method, std::string target,
            std::vector<std::pair<std::string, std::string>> headers, std::string body) {
    http::request<http::string_body> req{method, target, 11};
    for (auto& [name, value] : headers) req.insert(name, value);
    req.body() = std::move(body);
    return send(port, std::move(req));
}

result send_tls(std::uint16_t port, http::request<http::string_body> req) {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    ctx.set_verify_mode(ssl::verify_none);  // the tests' certificates are throwaway self-signed ones
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
    beast::flat_buffer buffer;
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(step_timeout);
    throw_if(run(ioc, [&](auto handler) { lowest.async_connect(loopback(port), std::move(handler)); }), "connect");
    lowest.expires_after(step_timeout);
    throw_if(run(ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); }),
             "handshake");
    fill_in(req, port);
    return exchange(ioc, stream, buffer, req);
}

struct connection::impl {
    explicit impl(std::uint16_t p) : port(p) {}
    std::uint16_t port;
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
};

connection::connection(std::uint16_t port) : impl_(std::make_unique<impl>(port)) {
    impl_->stream.expires_after(step_timeout);
    throw_if(run(impl_->ioc, [&](auto handler) { impl_->stream.async_connect(loopback(port), std::move(handler)); }),
             "connect");
}

connection::~connection() = default;

result connection::send(http::request<http::string_body> req) {
    fill_in(req, impl_->port);
    return exchange(impl_->ioc, impl_->stream, impl_->buffer, req);
}

bool connection::closed_by_peer() {
    char byte = 0;
    impl_->stream.expires_after(std::chrono::seconds(5));
    error_code ec = run(impl_->ioc, [&](auto handler) {
        impl_->stream.async_read_some(asio::buffer(&byte, 1), std::move(handler));
    });
    return ec == asio::error::eof || ec == asio::error::connection_reset;
}

}  // namespace sim::test
