#include "tests/simulators/veeam/replies.hpp"

namespace sim::veeam {

namespace {

sim::reply start_reply(const request& req, http::status status) {
    sim::reply r;
    r.head.result(status);
    r.head.version(req.version());
    r.head.keep_alive(req.keep_alive());
    return r;
}

}  // namespace

failure bad_request(std::string details) { return {http::status::bad_request, std::move(details)}; }

failure unauthorized(std::string details) {
    // RFC 6750 §3: a bearer-protected resource names its scheme when it refuses.
    return {http::status::unauthorized,
            std::move(details),
            {{http::field::www_authenticate, "Bearer error=\"invalid_token\""}}};
}

failure forbidden(std::string details) { return {http::status::forbidden, std::move(details)}; }

failure not_found(std::string details) { return {http::status::not_found, std::move(details)}; }

std::string_view error_code_for(http::status status) {
    switch (status) {
        case http::status::bad_request: return "BadRequest";
        case http::status::unauthorized:
        case http::status::forbidden: return "AccessDenied";
        case http::status::not_found: return "NotFound";
        case http::status::method_not_allowed: return "MethodNotAllowed";
        case http::status::unsupported_media_type: return "UnsupportedMediaType";
        default: return "UnknownError";
    }
}

sim::reply json_reply(const request& req, http::status status, const boost::json::value& body) {
    sim::reply r = start_reply(req, status);
    r.head.set(http::field::content_type, "application/json; charset=utf-8");
    r.head.body() = boost::json::serialize(body);
    r.head.prepare_payload();
    return r;
}

sim::reply error_reply(const request& req, const failure& f) {
    const boost::json::object body{{"title", std::string(http::obsolete_reason(f.status))},
                                   {"status", static_cast<int>(f.status)},
                                   {"errorCode", error_code_for(f.status)},
                                   {"details", f.details},
                                   {"data", boost::json::object{}}};
    sim::reply r = json_reply(req, f.status, body);
    for (const auto& [field, value] : f.headers) r.head.set(field, value);
    return r;
}

sim::reply empty_reply(const request& req, http::status status) {
    sim::reply r = start_reply(req, status);
    r.head.prepare_payload();
    return r;
}

}  // namespace sim::veeam
