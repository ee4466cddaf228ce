// One request's access-log line and metrics, written once by finish(): the
// worker's counts, its backend's and its client's observations
// (observed.hpp), and, when the access log is on, its line.
#pragma once

#include "gateway/worker.hpp"

#include <boost/beast/http/message.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace bg {

class access_entry {
public:
    access_entry(worker& w, const boost::beast::http::request_header<>& req, const std::string& remote_ip,
                 std::string request_id);
    ~access_entry();
    access_entry(const access_entry&) = delete;
    access_entry& operator=(const access_entry&) = delete;

    // status 0: no response was sent (the client went away). aborted: the
    // response started but did not complete.
    void finish(unsigned status, bool aborted = false);

    using clock = std::chrono::steady_clock;

    // A phase's start, for add(): read only when the log is on (its
    // durations are the line's alone).
    clock::time_point mark() const { return timed_ ? clock::now() : clock::time_point{}; }
    // The time since `from` (a mark()), added to `total`.
    void add(std::uint64_t& total_us, clock::time_point from) const
    {
        if (timed_)
            total_us += static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - from).count());
    }

    // Spans of this request go to `sink` (its trace is sampled and spans are
    // exported): its own at finish(), its phases' through mark() and add().
    // (Called before the request's head is rewritten: its method and target are kept.)
    void trace_to(span_sink* sink, const trace_context* t, const boost::beast::http::request_header<>& req);

    std::string request_id;
    std::string_view trace_id;  // the request's (request_ctx::trace), which outlives this entry's line
    const trace_context* trace = nullptr;
    span_sink* spans = nullptr;  // null: no span is made
    std::string principal;
    std::string backend;
    backend_state* state = nullptr;        // the backend routed to, whose observations count it
    client_observations* client = nullptr;  // the client's
    unsigned upstream_status = 0;
    unsigned attempts = 0;  // upstream exchanges (request_ctx::attempts)
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t upstream_us = 0;    // in upstream exchanges: sent, until the answer's head (summed)
    std::uint64_t login_wait_us = 0;  // waiting for the vendor's credential (a login, a refresh)

private:
    void submit_span(unsigned status, std::chrono::microseconds took) const;

    worker& w_;
    bool timed_;  // the access log is on
    clock::time_point start_;
    std::string method_;
    std::string target_;
    const std::string& remote_ip_;
    std::uint64_t generation_;  // the configuration's, when the request came
    bool finished_ = false;
};

}  // namespace bg
