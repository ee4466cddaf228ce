// One request's access-log line and metrics, written once by finish().
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

    std::string request_id;
    std::string_view trace_id;  // the request's (request_ctx::trace), which outlives this entry's line
    std::string principal;
    std::string backend;
    unsigned upstream_status = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;

private:
    worker& w_;
    std::chrono::steady_clock::time_point start_;
    std::string method_;
    std::string target_;
    const std::string& remote_ip_;
    std::uint64_t generation_;  // the configuration's, when the request came
    bool finished_ = false;
};

}  // namespace bg
