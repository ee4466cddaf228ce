#include "core/errors.hpp"

#include <boost/json/parse.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>

namespace bg {
namespace {

struct errc_info {
    unsigned status;
    std::string_view slug;
    std::string_view title;
    error_source source;
    bool retryable;
};

constexpr errc_info info_of(errc code)
{
    using s = error_source;
    switch (code) {
    case errc::bad_request:           return {400, "bad-request", "Bad request", s::downstream, false};
    case errc::unauthorized:          return {401, "unauthorized", "Missing or unknown API key", s::downstream, false};
    case errc::forbidden:             return {403, "forbidden", "Backend not allowed for this key", s::downstream, false};
    case errc::unknown_backend:       return {404, "unknown-backend", "Unknown backend", s::downstream, false};
    case errc::not_found:             return {404, "not-found", "Not found", s::downstream, false};
    case errc::method_not_allowed:    return {405, "method-not-allowed", "Method not allowed", s::downstream, false};
    case errc::request_timeout:       return {408, "request-timeout", "Request not received in time", s::downstream, true};
    case errc::length_required:       return {411, "length-required", "Content-Length required", s::downstream, false};
    case errc::not_acceptable:        return {406, "not-acceptable", "Not acceptable", s::downstream, false};
    case errc::idempotency_conflict:  return {409, "idempotency-conflict", "Idempotency key in use", s::downstream, true};
    case errc::idempotency_mismatch:  return {422, "idempotency-mismatch", "Idempotency key reused with another body", s::downstream, false};
    case errc::payload_too_large:     return {413, "payload-too-large", "Request body too large", s::downstream, false};
    case errc::header_too_large:      return {431, "header-too-large", "Request header fields too large", s::downstream, false};
    case errc::not_implemented:       return {501, "not-implemented", "Method not implemented", s::downstream, false};
    case errc::upstream_unreachable:  return {502, "upstream-unreachable", "Upstream unreachable", s::upstream, true};
    case errc::upstream_bad_response: return {502, "upstream-bad-response", "Upstream sent an invalid response", s::upstream, false};
    case errc::upstream_auth_failed:  return {502, "upstream-auth-failed", "Upstream login failed", s::upstream, true};
    case errc::outcome_unknown:       return {502, "outcome-unknown", "Outcome unknown", s::upstream, false};
    case errc::overloaded:            return {503, "overloaded", "Gateway overloaded", s::internal, true};
    case errc::backend_overloaded:    return {503, "backend-overloaded", "Backend overloaded", s::upstream, true};
    case errc::circuit_open:          return {503, "circuit-open", "Circuit open", s::upstream, true};
    case errc::rate_limited:          return {429, "rate-limited", "Rate limit exceeded", s::downstream, true};
    case errc::upstream_throttled:    return {429, "upstream-throttled", "Vendor throttling", s::upstream, true};
    case errc::idempotency_store_unavailable: return {503, "idempotency-store-unavailable", "Idempotency store unavailable", s::internal, true};
    case errc::upstream_timeout:      return {504, "upstream-timeout", "Upstream timeout", s::upstream, true};
    case errc::upstream_error:        return {502, "upstream-error", "Upstream error", s::upstream, false};
    case errc::internal:              return {500, "internal", "Internal gateway error", s::internal, false};
    }
    return {500, "internal", "Internal gateway error", s::internal, false};
}

}  // namespace

unsigned status_of(errc code) { return info_of(code).status; }
std::string_view slug_of(errc code) { return info_of(code).slug; }
std::string_view title_of(errc code) { return info_of(code).title; }
error_source source_of(errc code) { return info_of(code).source; }
bool retryable(errc code) { return info_of(code).retryable; }

boost::json::value upstream_body_value(std::string_view body)
{
    boost::system::error_code ec;
    auto parsed = boost::json::parse(body, ec);
    return ec ? boost::json::value(body) : std::move(parsed);
}

unsigned status_of(const gateway_error& e)
{
    if (e.code == errc::upstream_error && e.upstream_status && *e.upstream_status >= 400 && *e.upstream_status <= 599)
        return *e.upstream_status;
    return status_of(e.code);
}

std::string render_problem(const gateway_error& e, std::string_view backend, std::string_view request_id)
{
    return render_problem(e, backend, request_id, {});
}

std::string render_problem(const gateway_error& e, std::string_view backend, std::string_view request_id,
                           std::string_view title, std::string_view trace_id)
{
    const auto info = info_of(e.code);
    boost::json::object doc;
    doc["type"] = std::string("urn:backup-gateway:problem:") + std::string(info.slug);
    doc["title"] = title.empty() ? info.title : title;
    doc["status"] = status_of(e);
    doc["detail"] = e.detail;
    if (!backend.empty())
        doc["backend"] = backend;
    doc["request_id"] = request_id;
    if (!trace_id.empty())
        doc["trace_id"] = trace_id;
    if (e.upstream_status) {
        boost::json::object up;
        up["status"] = *e.upstream_status;
        up["body"] = e.upstream_body.value_or(nullptr);
        doc["upstream"] = std::move(up);
    }
    return boost::json::serialize(doc);
}

}  // namespace bg
