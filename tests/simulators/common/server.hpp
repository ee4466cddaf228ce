// backup-sim's HTTP(S) server: serves one vendor on one port, answers the admin
// endpoints (/__sim/...), applies fault switches, counts requests. Used by the
// backup-sim executable (one server per vendor) and in-process by tests.
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sim {

struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: an ephemeral port, see server::port()
    int threads = 1;
    // When both are set the vendor is served over HTTPS (the vendors' APIs are
    // HTTPS-only in production); otherwise plain HTTP.
    std::optional<std::string> tls_cert_file;
    std::optional<std::string> tls_key_file;
};

// Admin endpoints, on every vendor's port, never counted or faulted:
//   GET  /__sim/state    {"vendor":..., "counters":{requests,logins,failed_logins,refreshes,
//                         logouts,unauthorized}, "last_request":{"method","target","headers":{..}},
//                         "vendor_state":{...vendor::state()}}
//   POST /__sim/faults   {"count":N, "status":500|503}   the next N requests answer that status
//                        {"count":N, "delay_ms":D}       the next N requests are answered D ms late
//                        {"count":N, "reset":true}       the next N requests get the connection reset
//                                                        (after the request was read; with "after":true, after
//                                                        the vendor ran it: the ambiguous case, a job started)
//                        "retry_after": 2 | "<HTTP-date>" with "status": a Retry-After header on the answer
//                        "one_in": K                      of the N requests covered, the 1st, (K+1)th, ... are faulted
//   POST /__sim/expire   vendor::expire_all()
//   POST /__sim/reset    vendor::reset(), counters and faults cleared
//   POST /__sim/clock    {"advance_seconds":N}  moves the shared clock forward
// Request bodies above this are answered 413 and the connection is closed.
constexpr std::uint64_t max_request_body = 64ull * 1024 * 1024;

// The pattern of a streamed body (reply::streamed_bytes): the byte at `offset`.
// 251 is prime, so the pattern never lines up with the 64 KiB chunks.
constexpr std::uint8_t streamed_byte(std::uint64_t offset) { return static_cast<std::uint8_t>(offset % 251); }

// last_request's header names are lower-cased (HTTP names are case-insensitive),
// repeated headers are joined with ", ", and it also holds the first 64 KiB of
// the body as "body". Every port is also served HEAD like GET without a body.
class server {
public:
    // Starts serving at once on background threads. `v` and `c` must outlive the server.
    server(vendor& v, clock& c, const server_options& opts);
    ~server();  // stops, closes every connection, joins the threads
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::uint16_t port() const;
    bool tls() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sim
