#include "tests/integration/test_upstream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <stdexcept>

namespace bgtest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t piece = 64 * 1024;

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The value of `name` in a query ("a=1&n=42"), as a number; `fallback` when absent.
std::uint64_t query_number(std::string_view query, std::string_view name, std::uint64_t fallback)
{
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
            return std::stoull(std::string(pair.substr(name.size() + 1)));
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return fallback;
}

// 64 KiB + 251 pattern bytes: any piece of a pattern body is a slice of it.
const std::string& pattern_block()
{
    static const std::string block = [] {
        std::string b(piece + 251, '\0');
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<char>(pattern_byte(i));
        return b;
    }();
    return block;
}

std::string_view pattern_slice(std::uint64_t offset, std::size_t size)
{
    return std::string_view(pattern_block()).substr(static_cast<std::size_t>(offset % 251), size);
}

std::string head(unsigned status, std::string_view reason, std::string_view fields)
{
    std::string h = "HTTP/1.1 " + std::to_string(status) + " ";
    h.append(reason).append("\r\n").append(fields).append("\r\n");
    return h;
}

}  // namespace

struct test_upstream::impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::unique_ptr<asio::ssl::context> ssl;
    std::thread accept_thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    bool stopping = false;
    std::set<int> live_fds;
    std::vector<std::thread> connection_threads;
    std::vector<upstream_request> requests;

    void accept_loop(test_upstream& self);
    void serve_socket(tcp::socket socket, std::size_t id, bool tls);
    template <class Stream>
    void serve(Stream& stream, std::size_t id, bool tls);
    template <class Stream>
    bool respond(Stream& stream, const http::request<http::buffer_body>& req, std::size_t record, std::size_t id,
                 bool tls);
    // Sleeps `d`, or less when stopping; false when stopping.
    bool sleep_for(ms d)
    {
        std::unique_lock lock(mutex);
        return !changed.wait_for(lock, d, [&] { return stopping; });
    }
};

test_upstream::test_upstream(const tls_files* tls) : impl_(std::make_unique<impl>()), tls_(tls != nullptr)
{
    if (tls) {
        impl_->ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        impl_->ssl->use_certificate_chain_file(tls->cert.string());
        impl_->ssl->use_private_key_file(tls->key.string(), asio::ssl::context::pem);
    }
    const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    port_ = impl_->acceptor.local_endpoint().port();
    impl_->accept_thread = std::thread([this] { impl_->accept_loop(*this); });
}

test_upstream::~test_upstream()
{
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        // shutdown() wakes the threads blocked in accept() and read().
        ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
        for (int fd : impl_->live_fds)
            ::shutdown(fd, SHUT_RDWR);
    }
    impl_->changed.notify_all();
    impl_->accept_thread.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(impl_->mutex);
        threads.swap(impl_->connection_threads);
    }
    for (auto& t : threads)
        t.join();
}

std::string test_upstream::base_url() const
{
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::size_t test_upstream::requests() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->requests.size();
}

std::vector<upstream_request> test_upstream::received() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

upstream_request test_upstream::last() const
{
    std::lock_guard lock(impl_->mutex);
    if (impl_->requests.empty())
        throw std::runtime_error("the test upstream received no request");
    return impl_->requests.back();
}

std::size_t test_upstream::close_connections()
{
    std::lock_guard lock(impl_->mutex);
    // shutdown() wakes the thread blocked in read(); it closes the socket.
    for (int fd : impl_->live_fds)
        ::shutdown(fd, SHUT_RDWR);
    return impl_->live_fds.size();
}

std::size_t test_upstream::open_connections() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->live_fds.size();
}

bool test_upstream::wait_for_requests(std::size_t n, ms timeout) const
{
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

void test_upstream::impl::accept_loop(test_upstream& self)
{
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket(io);
        acceptor.accept(socket, ec);
        std::lock_guard lock(mutex);
        if (stopping)
            return;
        if (ec)
            continue;
        const auto id = ++self.connections_;
        live_fds.insert(socket.native_handle());
        connection_threads.emplace_back(
            [this, s = std::move(socket), id, tls = self.tls_]() mutable { serve_socket(std::move(s), id, tls); });
    }
}

void test_upstream::impl::serve_socket(tcp::socket socket, std::size_t id, bool tls)
{
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    if (tls) {
        asio::ssl::stream<tcp::socket&> stream(socket, *ssl);
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (!ec)
            serve(stream, id, true);
    } else {
        serve(socket, id, false);
    }
    std::lock_guard lock(mutex);
    live_fds.erase(socket.native_handle());
    socket.close(ec);
}

template <class Stream>
void test_upstream::impl::serve(Stream& stream, std::size_t id, bool tls)
{
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::buffer_body> parser;
        parser.header_limit(1024 * 1024);
        parser.body_limit(boost::none);
        boost::system::error_code ec;
        http::read_header(stream, buffer, parser, ec);
        if (ec)
            return;
        const auto& req = parser.get();
        std::size_t record = 0;
        {
            std::lock_guard lock(mutex);
            upstream_request r;
            r.method = std::string(req.method_string());
            r.target = std::string(req.target());
            for (const auto& f : req)
                r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            r.connection = id;
            r.body_fnv = fnv1a({});
            record = requests.size();
            requests.push_back(std::move(r));
        }
        changed.notify_all();

        std::uint64_t bytes = 0;
        std::uint64_t fnv = fnv1a({});
        std::string kept;  // the body itself, up to kept_body_limit
        auto chunk = std::make_unique<char[]>(piece);
        while (!parser.is_done()) {
            parser.get().body().data = chunk.get();
            parser.get().body().size = piece;
            http::read(stream, buffer, parser, ec);
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec)
                return;
            const auto got = piece - parser.get().body().size;
            bytes += got;
            fnv = fnv1a(std::string_view(chunk.get(), got), fnv);
            if (kept.size() + got <= kept_body_limit)
                kept.append(chunk.get(), got);
        }
        {
            std::lock_guard lock(mutex);
            requests[record].body_bytes = bytes;
            requests[record].body_fnv = fnv;
            requests[record].body_complete = true;
            if (bytes <= kept_body_limit)
                requests[record].body = std::move(kept);
        }
        changed.notify_all();
        if (!respond(stream, parser.get(), record, id, tls))
            return;
    }
}

template <class Stream>
bool test_upstream::impl::respond(Stream& stream, const http::request<http::buffer_body>& req, std::size_t record,
                                  std::size_t id, bool tls)
{
    const std::string_view target = req.target();
    const auto q = target.find('?');
    const auto path = target.substr(0, q);
    const auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    const bool keep_alive = req.keep_alive();
    const std::string connection = keep_alive ? "" : "Connection: close\r\n";
    boost::system::error_code ec;
    auto send = [&](std::string_view data) {
        asio::write(stream, asio::buffer(data.data(), data.size()), ec);
        return !ec;
    };

    if (ends_with(path, "/close"))
        return false;
    if (ends_with(path, "/slow")) {
        if (!sleep_for(ms(query_number(query, "ms", 1000))))
            return false;
        return send(head(200, "OK", "Content-Type: text/plain\r\nContent-Length: 5\r\n" + connection) + "slow\n") &&
               keep_alive;
    }
    if (ends_with(path, "/bytes") || ends_with(path, "/chunked")) {
        const bool chunked = ends_with(path, "/chunked");
        const auto n = query_number(query, "n", 0);
        const std::size_t size = chunked ? 10000 : piece;
        if (!send(head(200, "OK",
                       "Content-Type: application/octet-stream\r\n" +
                           (chunked ? std::string("Transfer-Encoding: chunked\r\n")
                                    : "Content-Length: " + std::to_string(n) + "\r\n") +
                           connection)))
            return false;
        for (std::uint64_t offset = 0; offset < n;) {
            const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(size, n - offset));
            if (chunked) {
                char prefix[32];
                std::snprintf(prefix, sizeof prefix, "%zx\r\n", len);
                if (!send(prefix) || !send(pattern_slice(offset, len)) || !send("\r\n"))
                    return false;
            } else if (!send(pattern_slice(offset, len))) {
                return false;
            }
            offset += len;
        }
        if (chunked && !send("0\r\n\r\n"))
            return false;
        return keep_alive;
    }
    if (const auto s = path.find("/status/"); s != std::string_view::npos) {
        const auto status = static_cast<unsigned>(std::stoul(std::string(path.substr(s + 8))));
        if (status == 204 || status == 304)
            return send(head(status, "No body", connection)) && keep_alive;
        const std::string body = R"({"upstream_status":)" + std::to_string(status) + "}";
        return send(head(status, "Test status",
                         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\n" + connection) +
                    body) &&
               keep_alive;
    }
    if (ends_with(path, "/early")) {
        // Informational responses first (RFC 9110 §15.2: a client must parse them), then the answer.
        return send("HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
                    head(200, "OK", "Content-Type: text/plain\r\nContent-Length: 5\r\n" + connection) + "early") &&
               keep_alive;
    }
    if (ends_with(path, "/hop")) {
        // Hop-by-hop fields, and one named by Connection, that must not reach the client.
        return send(head(200, "OK",
                         "Content-Type: text/plain\r\nContent-Length: 3\r\n"
                         "Connection: keep-alive, X-Upstream-Private\r\n"
                         "X-Upstream-Private: secret\r\n"
                         "Keep-Alive: timeout=30\r\n"
                         "Proxy-Authenticate: Basic realm=\"up\"\r\n"
                         "Upgrade: h2c\r\n"
                         "Trailer: X-Checksum\r\n"
                         "X-Upstream-Public: visible\r\n") +
                    "hop") &&
               keep_alive;
    }

    upstream_request r;
    {
        std::lock_guard lock(mutex);
        r = requests[record];
    }
    boost::json::object headers;
    for (const auto& [name, value] : r.headers) {
        const auto key = to_lower(name);
        if (auto* existing = headers.if_contains(key))
            *existing = std::string(existing->as_string()) + ", " + value;
        else
            headers[key] = value;
    }
    boost::json::object doc;
    doc["method"] = r.method;
    doc["target"] = r.target;
    doc["headers"] = std::move(headers);
    doc["body_bytes"] = r.body_bytes;
    doc["body_fnv"] = r.body_fnv;
    doc["connection"] = id;
    doc["tls"] = tls;
    const auto body = boost::json::serialize(doc);
    const auto fields = "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nX-Upstream-Connection: " + std::to_string(id) + "\r\n" + connection;
    if (req.method() == http::verb::head)
        return send(head(200, "OK", fields)) && keep_alive;
    return send(head(200, "OK", fields) + body) && keep_alive;
}

}  // namespace bgtest
