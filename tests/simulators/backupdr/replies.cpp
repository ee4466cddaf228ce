#include "tests/simulators/backupdr/replies.hpp"

namespace sim::backupdr {

api_error bad_request(std::string message) {
    return {http::status::bad_request, err_code::bad_request, std::move(message)};
}

api_error invalid_query(std::string message) {
    return {http::status::bad_request, err_code::invalid_query, std::move(message)};
}

api_error not_found(std::string message) {
    return {http::status::not_found, err_code::object_not_found, std::move(message)};
}

reply json_reply(http::status status, const boost::json::value& body) {
    reply r;
    r.head.result(status);
    r.head.set(http::field::content_type, "application/json");
    r.head.body() = boost::json::serialize(body);
    r.head.prepare_payload();
    return r;
}

reply error_reply(const api_error& e) {
    return json_reply(e.status, {{"err_code", static_cast<int>(e.code)}, {"err_message", e.message}});
}

reply no_content() {
    reply r;
    r.head.result(http::status::no_content);
    return r;
}

reply method_not_allowed(std::string_view allow) {
    reply r = error_reply({http::status::method_not_allowed, err_code::method_not_allowed,
                           "method not allowed; allowed: " + std::string(allow)});
    r.head.set(http::field::allow, allow);
    return r;
}

reply unauthorized(std::string_view scheme, std::string_view reason) {
    reply r;
    r.head.result(http::status::unauthorized);
    r.head.set(http::field::www_authenticate, std::string(scheme) + " realm=\"Management console\"");
    r.head.set("X-Sim-Reason", reason);
    r.head.prepare_payload();
    return r;
}

}  // namespace sim::backupdr
