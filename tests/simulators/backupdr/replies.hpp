// Backup and DR answers: the document's error body (section 3.6), its status
// codes (section 3.5) and the simulator's own err_code table.
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sim::backupdr {

// The document shows the body {"err_code", "err_message"} but no code values;
// these are the simulator's own, listed in docs/simulators.md.
enum class err_code : int {
    bad_request = 10001,         // malformed JSON, wrong attribute type, unknown attribute
    invalid_query = 10002,       // bad offset, limit, filter, sort or keyword
    object_not_found = 10003,    // no such id (or not visible, section 3.7)
    no_such_endpoint = 10004,    // the path names no resource
    method_not_allowed = 10005,  // 405
    conflict = 10006,            // 409: a constraint would be violated
    unsupported_media = 10007,   // 415: Content-Type is not application/json
};

struct api_error {
    api_error(http::status s, err_code c, std::string m) : status(s), code(c), message(std::move(m)) {}
    http::status status;
    err_code code;
    std::string message;
};

// A value or the error that replaces it (std::expected is C++23).
template <class T>
class outcome {
public:
    outcome(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose, like expected
    outcome(api_error error) : v_(std::move(error)) {}  // NOLINT
    explicit operator bool() const { return v_.index() == 0; }
    T& operator*() { return std::get<0>(v_); }
    const T& operator*() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const api_error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, api_error> v_;
};

api_error bad_request(std::string message);
api_error invalid_query(std::string message);
api_error not_found(std::string message);

reply json_reply(http::status status, const boost::json::value& body);
reply error_reply(const api_error& e);
reply no_content();
// 405 with the Allow header naming what the path accepts.
reply method_not_allowed(std::string_view allow);
// 401: section 3.5 says 401 carries no error body, only WWW-Authenticate with
// the "Basic" scheme for the login API or "Actifio" for every other API.
// X-Sim-Reason is the simulator's own hint for people reading a trace.
reply unauthorized(std::string_view scheme, std::string_view reason);

}  // namespace sim::backupdr
