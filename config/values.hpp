// Pure parsers for the configuration's scalar values: durations, sizes,
// integers, booleans, SHA-256 digests, upstream URLs and ${ENV} substitution.
// Each returns the value or a problem ("expected ...") that the loader
// prefixes with the YAML file, line and path. None of them throws, and no
// problem repeats the text it was given: the caller decides whether that text
// may be shown (it may hold a substituted secret).
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bg::config {

template <class T>
struct parsed {
    std::optional<T> value;
    std::string problem;  // set when value is empty

    static parsed failure(std::string why) { return {std::nullopt, std::move(why)}; }
    explicit operator bool() const { return value.has_value(); }
};

// Durations are never longer than this (so that adding one to a clock cannot overflow).
inline constexpr duration max_duration{std::chrono::hours(24 * 365)};

// "250ms", "2s", "1m", "1h", or a plain integer: seconds.
parsed<duration> parse_duration(std::string_view text);

// "512" or "512B" bytes; "16KiB", "10MiB", "1GiB", "1TiB" (powers of 1024);
// "16KB"/"16kB", "10MB", "1GB" (powers of 1000). Units are case-insensitive.
parsed<std::uint64_t> parse_size(std::string_view text);

// A decimal integer in [0, max]; no sign, no spaces, no fraction.
parsed<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max);

// A rate: "50/10s", "100/s", "5/m" (requests per duration; a duration without
// a number is one of its unit). The count is at least 1 and at most 10^9; the
// period at least 1ms.
struct rate {
    std::uint64_t count = 0;
    duration period{0};
};
parsed<rate> parse_rate(std::string_view text);

// true/false (also True/TRUE, False/FALSE).
parsed<bool> parse_bool(std::string_view text);

// A Strict-Transport-Security value (RFC 6797 §6.1): directives separated by
// ';', `max-age=<seconds>` required, `includeSubDomains` and `preload` allowed.
bool valid_hsts(std::string_view text);

// 64 hex digits; with allow_colons, pairs may be separated by ':' as in
// `openssl x509 -fingerprint -sha256` ("AB:CD:...").
parsed<sha256_digest> parse_sha256_hex(std::string_view text, bool allow_colons);

// http:// or https:// with a host; no user information, query or fragment.
// The scheme is lowercased, the port defaulted, the path's trailing slashes removed.
parsed<upstream_url> parse_upstream_url(std::string_view text);

// "${NAME}" → the variable's value (unset: a problem naming NAME); "$${" → "${".
// NAME is [A-Za-z_][A-Za-z0-9_]*. The problem never contains a variable's value.
parsed<std::string> substitute_env(std::string_view text, const env_lookup& env);

// Quoted for an error message, cut to a readable length: 'abc', 'aaaa…'.
std::string quote(std::string_view text);

}  // namespace bg::config
