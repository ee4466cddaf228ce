// The CloudBasic simulator's verifier of AWS Signature Version 4 (the
// Authorization-header form), written from AWS's specification alone. It shares
// no code with the gateway's signer: it is the other side of the wire.
//
// Each step of the specification is one pure function, so tests can check them
// one by one against AWS's test suite:
//   canonical_uri, canonical_query, canonical_headers -> canonical_request
//   credential_scope, string_to_sign, signing_key -> signature
// verify() runs the checks a server makes, in the order listed in
// docs/simulators.md, and says in its message what was wrong.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sim::cloudbasic::sigv4 {

using time_point = std::chrono::system_clock::time_point;
using digest = std::array<unsigned char, 32>;

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view terminator = "aws4_request";

struct header {
    std::string_view name;  // any case, as received
    std::string_view value;
};

// A request as received: views into a message that outlives this one.
struct message {
    std::string_view method;
    std::string_view target;      // origin-form, exactly as on the request line
    std::vector<header> headers;  // in the order received, duplicates kept
    std::string_view body;
};

// How the path becomes the canonical URI.
enum class uri_style {
    // Every AWS service but S3: remove "." and ".." segments and empty
    // segments, then URI-encode the path as received, so a "%" that is already
    // on the wire is encoded again ("double encoding": /a%20b -> /a%2520b).
    normalized_double_encoded,
    // S3: the path as received, decoded and encoded once.
    s3,
};

struct policy {
    std::string service;
    std::string region;
    uri_style uri = uri_style::normalized_double_encoded;
    // X-Amz-Content-Sha256 must be present (whatever the policy, when present it
    // must be the SHA-256 of the body received; UNSIGNED-PAYLOAD is refused).
    bool require_content_sha256 = true;
    // Every X-Amz-* header must be signed, and X-Amz-Security-Token must not be
    // sent for credentials that have no session token.
    bool strict_amz_headers = true;
    std::chrono::seconds max_skew{15 * 60};
};

// What the server knows about one access key.
struct credentials {
    std::string secret_access_key;
    std::optional<std::string> session_token;  // when set, X-Amz-Security-Token must carry it, signed
    bool session_token_expired = false;
};
using credentials_lookup = std::function<std::optional<credentials>(std::string_view access_key_id)>;

enum class failure {
    none,
    missing_authorization,    // no Authorization header
    malformed_authorization,  // not AWS4-HMAC-SHA256, a parameter missing or malformed
    bad_credential_scope,     // wrong region, service or terminator
    bad_date,                 // X-Amz-Date missing, malformed or not the scope's date
    expired,                  // X-Amz-Date more than max_skew away from now
    unknown_access_key,
    bad_security_token,  // missing, wrong, unsigned, unexpected or expired session token
    bad_signed_headers,  // SignedHeaders unsorted, without host/x-amz-date, naming an absent header...
    bad_content_sha256,  // X-Amz-Content-Sha256 missing or not the body's hash
    bad_request_target,  // a malformed percent-escape in the query
    signature_mismatch,
};
inline constexpr int failure_count = static_cast<int>(failure::signature_mismatch) + 1;
std::string_view to_string(failure f);

struct verdict {
    failure why = failure::none;
    std::string message;  // empty when accepted
    bool ok() const { return why == failure::none; }
};

// --- Bytes -----------------------------------------------------------------
std::string hex(std::span<const unsigned char> bytes);  // lowercase
digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
digest hmac_sha256(std::span<const unsigned char> key, std::string_view data);
// Percent-encodes every byte outside RFC 3986's unreserved set, as %XX (uppercase).
std::string uri_encode(std::string_view bytes);

// --- Canonical request -----------------------------------------------------
// RFC 3986 5.2.4 dot-segment removal, plus empty segments collapsed.
std::string normalize_path(std::string_view path);
// nullopt when `path` does not start with '/' or (s3 style) holds a malformed escape.
std::optional<std::string> canonical_uri(std::string_view path, uri_style style);
// Parameters decoded (percent-escapes only: '+' is a literal plus), re-encoded,
// sorted by key then value; "a" becomes "a=". nullopt on a malformed escape.
std::optional<std::string> canonical_query(std::string_view query);
// Trimmed, every run of whitespace (including an obs-fold) one space.
std::string canonical_header_value(std::string_view value);
// One "name:value\n" line per signed name; values of repeated headers joined
// with ',' in the order received. `signed_names` lowercase and sorted.
std::string canonical_headers(const std::vector<header>& headers, std::span<const std::string_view> signed_names);
// The six lines of the canonical request; nullopt when the target is malformed.
std::optional<std::string> canonical_request(const message& m, std::span<const std::string_view> signed_names,
                                             std::string_view payload_hash, uri_style style);

// --- Signature -------------------------------------------------------------
std::string credential_scope(std::string_view date, std::string_view region, std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);
digest signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                   std::string_view service);
std::string signature(const digest& key, std::string_view string_to_sign);

// --- Header parsing --------------------------------------------------------
// "20150830T123600Z" (ISO 8601 basic, UTC) <-> a time.
std::optional<time_point> parse_amz_date(std::string_view text);
std::string format_amz_date(time_point t);

struct authorization {
    std::string_view access_key_id;
    std::string_view date;  // yyyymmdd
    std::string_view region;
    std::string_view service;
    std::string_view terminator;
    std::string_view signed_headers;  // as sent: "host;x-amz-date"
    std::vector<std::string_view> signed_header_names;
    std::string_view signature;
};
// On failure returns nullopt and says why in `error`.
std::optional<authorization> parse_authorization(std::string_view value, std::string& error);

// --- The whole check ---------------------------------------------------------
verdict verify(const message& m, const policy& p, const credentials_lookup& lookup, time_point now);

}  // namespace sim::cloudbasic::sigv4
