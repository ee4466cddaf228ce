// What every connection of one sim::server shares: the vendor, the clock, the
// pending fault switches and the last non-admin request (see server.hpp).
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace sim::detail {

// One POST /__sim/faults entry. Requests consume entries front to back, so
// faults posted one after another hit consecutive requests in that order.
struct fault {
    std::uint64_t remaining = 0;
    std::optional<unsigned> status;
    std::chrono::milliseconds delay{0};
    bool reset = false;
    bool after = false;               // reset: after the vendor ran the request (its answer lost)
    std::string retry_after;          // on an injected status: a Retry-After header ("2" or an HTTP-date)
    std::uint64_t one_in = 1;         // of the requests the entry covers, the 1st, (1+K)th, ... get it
    std::uint64_t covered = 0;        // requests the entry has covered so far
};

// What one request gets: an optional delay, then an injected status, a reset
// connection (before or after the vendor ran it), or (none) the vendor's own answer.
struct fault_action {
    std::optional<unsigned> status;
    std::chrono::milliseconds delay{0};
    bool reset = false;
    bool after = false;
    std::string retry_after;
};

class server_state {
public:
    server_state(vendor& v, clock& c, bool tls) : vendor_(v), clock_(c), tls_(tls) {}

    vendor& served() const { return vendor_; }
    clock& time() const { return clock_; }
    bool tls() const { return tls_; }

    fault_action take_fault();
    void add_fault(const fault& f);
    std::size_t pending_faults() const;

    // Keeps `req` (moved in) as the last non-admin request.
    void record(request&& req);
    // {"method","target","headers":{lower-case name: value},"body"} or null.
    boost::json::value last_request() const;

    // POST /__sim/reset: counters, faults and the last request cleared.
    void reset();

private:
    vendor& vendor_;
    clock& clock_;
    bool tls_;
    mutable std::mutex mutex_;
    std::deque<fault> faults_;
    std::optional<request> last_;
    // Lets the common case (no fault pending) skip the lock.
    std::atomic<bool> has_faults_{false};
};

}  // namespace sim::detail
