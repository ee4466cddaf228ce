// AWS Signature Version 4, Authorization-header form: one pure function per
// step of AWS's specification, and sign() that runs them all.
//
//   canonical_uri, canonical_query, canonical_headers, signed_headers,
//   hashed_payload                  -> canonical_request      (task 1)
//   amz_date, credential_scope      -> string_to_sign         (task 2)
//   signing_key                     -> signature              (task 3)
//   authorization_header                                      (task 4)
//
// Every function takes the bytes that go on the wire: the path and query
// exactly as on the request line (percent-encoded as sent), the headers
// exactly as sent. Sign after the last change to the request, retries
// included (STYLE rule 8), and build the path and query with
// bg::encoding::percent_encode so that the encoding signed is the one sent.
//
// Checked against AWS's suite (tests/data/aws-signing-test-suite) step by step.
#pragma once

#include "adapters/common/crypto.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bg::sigv4 {

using time_point = std::chrono::system_clock::time_point;
using signing_key_bytes = crypto::sha256_digest;

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
// For X-Amz-Content-Sha256 when the body is not signed (S3 only accepts it).
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";

struct header_view {
    std::string_view name;  // any case
    std::string_view value;
};

struct header {
    std::string name;
    std::string value;
};

// ---- Task 1: the canonical request ---------------------------------------

// RFC 3986 section 5.2.4 dot-segment removal, plus empty segments ("//")
// collapsed; a trailing slash is kept ("//a//" -> "/a/", "/a/.." -> "/").
// Works on the bytes as given: "%2E" is not a dot.
std::string normalize_path(std::string_view wire_path);

// The canonical URI of `wire_path`, the path as it is sent (percent-encoded
// form; raw bytes that should have been encoded, such as a space or UTF-8,
// are encoded here).
// - double_encode = true (every AWS service but S3): normalize_path(), then
//   percent-encode each segment as it is on the wire, so an escape already on
//   the wire is encoded a second time: "/a%20b" -> "/a%2520b".
// - double_encode = false (S3): no normalization; each segment is decoded and
//   encoded once: "/a%20b" -> "/a%20b", "/a b" -> "/a%20b".
// An empty path is "/". A malformed escape ("%zz") is taken as literal bytes.
std::string canonical_uri(std::string_view wire_path, bool double_encode);

// `wire_query` is what follows '?' on the wire. Each name and value is
// decoded ("%XX" only: '+' is a literal plus) then encoded with
// percent_encode(), so an escape is never encoded twice ("a%20b" -> "a%20b",
// "a+b" -> "a%2Bb"). Sorted by encoded name, then encoded value; "a" and "a="
// both become "a=". A malformed escape is taken as literal bytes.
std::string canonical_query(std::string_view wire_query);

// Trimmed, and every run of whitespace (an obs-fold included) one space.
std::string canonical_header_value(std::string_view value);

// Every header given, name lowercased, value canonical_header_value(),
// sorted by name; the values of a repeated name joined with ',' in the order
// given. One "name:value\n" line each. signed_headers() lists the same names,
// joined with ';'. sign() decides which headers to pass (see there).
std::string canonical_headers(std::span<const header_view> headers);
std::string signed_headers(std::span<const header_view> headers);

// Lowercase hex SHA-256 of the body.
std::string hashed_payload(std::string_view body);

std::string canonical_request(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                              std::string_view canonical_headers, std::string_view signed_headers,
                              std::string_view payload_hash);

// ---- Task 2: the string to sign -----------------------------------------

// ISO 8601 basic format, UTC, whole seconds: "20150830T123600Z".
std::string amz_date(time_point t);
// `date` is "yyyymmdd" (the first 8 characters of amz_date()).
std::string credential_scope(std::string_view date, std::string_view region, std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);

// ---- Task 3: the signature -----------------------------------------------

signing_key_bytes signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                              std::string_view service);
// Lowercase hex HMAC-SHA256 of the string to sign.
std::string signature(const signing_key_bytes& key, std::string_view string_to_sign);

// ---- Task 4: the Authorization header value ------------------------------

std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature);

// ---- All four ----------------------------------------------------------------

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::string> session_token;  // temporary (STS) credentials
};

struct options {
    // false for S3 only: see canonical_uri().
    bool double_encode = true;
    // false: X-Amz-Security-Token is sent but left out of the signature (a few
    // services want that); true (AWS's default): it is signed.
    bool sign_session_token = true;
    // Add a signed X-Amz-Content-Sha256 carrying the payload hash (S3 and
    // CloudBasic require it).
    bool payload_hash_header = false;
};

// A request as it will be sent. Views: what they point to must outlive sign().
struct request_view {
    std::string_view method;
    std::string_view path;   // request-target up to '?', exactly as sent
    std::string_view query;  // after '?', exactly as sent; empty when none
    // Every header that will be sent, Host included, in order, duplicates kept.
    std::span<const header_view> headers;
    std::string_view body;
    // When set, used instead of hashing `body`: a precomputed lowercase hex
    // SHA-256 (a streamed body) or unsigned_payload.
    std::optional<std::string_view> payload_hash;
};

struct signing_result {
    // To set on the request, replacing any header of the same name:
    // X-Amz-Date, X-Amz-Content-Sha256 (when asked), X-Amz-Security-Token
    // (when the credentials have one), Authorization.
    std::vector<header> headers;
    // The intermediate steps, for logs and tests: on a 403 AWS-style servers
    // answer with the canonical request they computed.
    std::string canonical_request;
    std::string string_to_sign;
};

// Signs every header of `req` except
// - the ones sign() sets itself (an earlier attempt's X-Amz-Date,
//   Authorization... are ignored, so a retried request is signed afresh), and
// - the ones a hop may change or drop: Authorization, Connection, Expect,
//   Keep-Alive, Proxy-Authorization, Proxy-Connection, TE, Trailer,
//   Transfer-Encoding, Upgrade, User-Agent, X-Amzn-Trace-Id.
// Host must be among the headers (HTTP/1.1 requires it; AWS signs it).
signing_result sign(const request_view& req, const credentials& creds, std::string_view region,
                    std::string_view service, time_point now, const options& opts = {});

// Splits an origin-form request-target ("/a/b?x=1") at the first '?'.
struct target_parts {
    std::string_view path;
    std::string_view query;
};
target_parts split_target(std::string_view target);

}  // namespace bg::sigv4
