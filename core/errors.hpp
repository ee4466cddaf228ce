// Errors on the request path are values, not exceptions (STYLE rule 4).
// Every gateway error knows its HTTP status, its problem type, where it came
// from and whether retrying is safe; render() turns it into RFC 9457
// application/problem+json.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bg {

// Each value's meaning; the status and slug are in errors.cpp's table.
enum class errc {
    bad_request,           // 400 malformed HTTP, a bad query, a dot segment in the path
    unauthorized,          // 401 no or unknown gateway key
    forbidden,             // 403 the key may not reach this backend
    unknown_backend,       // 404 the first path segment names no backend
    not_found,             // 404 on the admin listener
    method_not_allowed,    // 405 on the admin listener
    request_timeout,       // 408 the client was too slow sending its request
    length_required,       // 411 the backend must see the whole body (to sign it) but none was announced
    not_acceptable,        // 406 the client accepts no media type the gateway answers (an XML-only list request)
    idempotency_conflict,  // 409 the first request with this Idempotency-Key is still running
    idempotency_mismatch,  // 422 the Idempotency-Key was used with another body
    payload_too_large,     // 413 the request body is above limits.max_body_bytes
    header_too_large,      // 431 the request line and headers are above limits.max_header_bytes
    not_implemented,       // 501 a method that is not a registered HTTP method
    upstream_unreachable,  // 502 connect/TLS failure, or the upstream closed mid-response
    upstream_bad_response, // 502 the upstream sent something that is not HTTP
    upstream_auth_failed,  // 502 the gateway could not obtain a credential for the upstream
    outcome_unknown,       // 502 the request reached the vendor and its answer was lost: a job may have started
    overloaded,            // 503 too many connections or requests; or shutting down
    circuit_open,          // 503 the backend's circuit breaker is open: nothing is sent to it
    rate_limited,          // 429 a rate limit of the client or the backend (rate_limits) is spent
    upstream_throttled,    // 429 the vendor answered 429 with Retry-After (here or on another replica): nothing is sent until then
    idempotency_store_unavailable,  // 503 the shared store of Idempotency-Key records (Redis) cannot be reached
    backend_overloaded,    // 503 the backend's concurrency limit and its queue are full (or the wait ran out)
    upstream_timeout,      // 504 no response from the upstream within timeouts.request
    upstream_error,        // the upstream's own error answer (status >= 400): its status, its message as title
    internal,              // 500 a bug: logged with the request id
};

// Where an error came from (Pingora's ErrorSource): the client, the upstream, or us.
enum class error_source { downstream, upstream, internal };

struct gateway_error {
    errc code = errc::internal;
    std::string detail;  // for the client: specific, never a secret
    // The upstream's own status and body, when the error is the upstream's.
    std::optional<unsigned> upstream_status;
    std::optional<boost::json::value> upstream_body;
    // Header fields the answer carries (the vendor's Retry-After and Allow,
    // the breaker's Retry-After).
    std::vector<std::pair<std::string, std::string>> headers = {};
    // The request was sent whole before the failure (the vendor may have run
    // it): a job start with an Idempotency-Key then has an unknown outcome.
    bool sent = false;
};

unsigned status_of(errc code);
// An upstream's body for `gateway_error::upstream_body`: its JSON when it is
// JSON, else the text as a string.
boost::json::value upstream_body_value(std::string_view body);
std::string_view slug_of(errc code);      // "upstream-timeout"
std::string_view title_of(errc code);     // "Upstream timeout"
error_source source_of(errc code);
bool retryable(errc code);               // safe for a client to retry as is

// The problem document, as a compact JSON string.
std::string render_problem(const gateway_error& e, std::string_view backend, std::string_view request_id);
// The HTTP status of `e`: its code's, or for upstream_error the upstream's.
unsigned status_of(const gateway_error& e);
// For upstream_error: the problem's title is the vendor's message.
// `trace_id`: the request's W3C trace id, a member of the document when given.
std::string render_problem(const gateway_error& e, std::string_view backend, std::string_view request_id,
                           std::string_view title, std::string_view trace_id = {});

}  // namespace bg
