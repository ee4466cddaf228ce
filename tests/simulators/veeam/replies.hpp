// How the Veeam simulator answers: JSON bodies, and failures rendered as the
// error body every error example in the reference shows:
//   {"title": ..., "status": 400, "errorCode": "AccessDenied", "details": ..., "data": {...}}
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <boost/json.hpp>

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sim::veeam {

// An error on the request path: a value, turned into a reply by error_reply().
struct failure {
    http::status status = http::status::bad_request;
    std::string details;
    std::vector<std::pair<http::field, std::string>> headers = {};
};

template <class T>
using outcome = std::variant<T, failure>;

failure bad_request(std::string details);
failure unauthorized(std::string details);
failure forbidden(std::string details);
failure not_found(std::string details);

// The errorCode the simulator sends with each status. The reference names only
// "AccessDenied" (on its 401/403/404 examples); the others follow the status.
std::string_view error_code_for(http::status status);

sim::reply json_reply(const request& req, http::status status, const boost::json::value& body);
sim::reply error_reply(const request& req, const failure& f);
sim::reply empty_reply(const request& req, http::status status);

}  // namespace sim::veeam
