// A deliberately plain, synchronous HTTP/1.1 client for the simulator's tests:
// one connection per call, so a test sees exactly what it sent.
#pragma once

#include <boost/beast/http.hpp>

#include <cstdint>
#include <memory>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

namespace sim::test {

namespace http = boost::beast::http;

struct result {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // in the order received
    std::string body;
    std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

// Sends `req` to 127.0.0.1:port (Host and Content-Length are filled in when
// missing) and reads the whole response. Throws on a network error.
result send(std::uint16_t port, http::request<http::string_body> req);

// Convenience: builds the request from a method, target, headers and body.
result send(std::uint16_t port, http::verb method, std::string target,
            std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {});

// The same over TLS (the server's certificate is not verified).
result send_tls(std::uint16_t port, http::request<http::string_body> req);

// One kept-alive connection, for tests about keep-alive and pipelining: each
// send() writes one request on it and reads one response.
class connection {
public:
    explicit connection(std::uint16_t port);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    result send(http::request<http::string_body> req);
    // True when the server has closed its end (a read returns end of stream).
    bool closed_by_peer();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sim::test
