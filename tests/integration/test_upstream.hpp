// The upstream the integration tests put behind the gateway: a small
// synchronous Beast server on 127.0.0.1:0, one thread per connection, plain or
// TLS. Routes (matched on the end of the path, so a base path may precede them):
//   .../slow?ms=N       answers 200 "slow" after N ms
//   .../bytes?n=N       N pattern bytes (bgtest::pattern_byte), Content-Length, written in pieces
//   .../chunked?n=N     N pattern bytes, Transfer-Encoding: chunked (pieces of 10000 bytes)
//   .../status/N        status N with a small JSON body (none for 204 and 304)
//   .../close           closes the connection without answering
//   .../hop             200 with hop-by-hop headers the gateway must drop
//   .../early           100 Continue and 103 Early Hints, then 200 "early"
//   anything else       echo: JSON {method, target, headers{lowercase name: value}, body_bytes,
//                       body_fnv, connection, tls}
// Every request body is read in pieces and counted (body_bytes, FNV-1a body_fnv).
#pragma once

#include "tests/integration/harness.hpp"

#include <atomic>
#include <memory>
#include <set>

namespace bgtest {

inline constexpr std::uint64_t kept_body_limit = 1024 * 1024;

struct upstream_request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::uint64_t body_bytes = 0;
    std::uint64_t body_fnv = 0;
    bool body_complete = false;  // the whole body arrived
    std::string body;            // the body itself when complete and at most kept_body_limit bytes
    std::size_t connection = 0;  // 1-based, in accept order
};

class test_upstream {
public:
    // Plain HTTP; with `tls`, HTTPS with that certificate and key.
    explicit test_upstream(const tls_files* tls = nullptr);
    ~test_upstream();
    test_upstream(const test_upstream&) = delete;
    test_upstream& operator=(const test_upstream&) = delete;

    std::uint16_t port() const { return port_; }
    std::string base_url() const;  // http(s)://127.0.0.1:PORT

    std::size_t connections() const { return connections_.load(); }
    std::size_t requests() const;
    std::vector<upstream_request> received() const;
    upstream_request last() const;  // throws when none
    // Waits until `n` request heads have arrived.
    bool wait_for_requests(std::size_t n, ms timeout) const;
    // Closes every open connection from this side (as an upstream whose
    // keep-alive timeout ran out): how many.
    std::size_t close_connections();
    std::size_t open_connections() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
    bool tls_ = false;
    std::atomic<std::size_t> connections_{0};
};

}  // namespace bgtest
