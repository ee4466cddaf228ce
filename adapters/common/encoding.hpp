// Byte encodings the adapters share: hex, RFC 3986 percent-encoding, base64url.
//
// This is the one place that percent-encodes (STYLE rule 8): an adapter that
// builds a path segment or a query parameter for the wire uses
// percent_encode(), and the SigV4 signer canonicalizes with the same function,
// so what is signed and what is sent cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace bg::encoding {

// Lowercase hex, two digits per byte.
std::string hex(std::span<const std::uint8_t> bytes);

// Every byte outside RFC 3986's unreserved set (ALPHA DIGIT - . _ ~) as %XX,
// uppercase hex. '/' is encoded too: this encodes one segment or one query
// name/value, never a whole path. A space becomes %20 and '+' becomes %2B
// (some servers read a literal '+' in a query as a space).
std::string percent_encode(std::string_view bytes);

// "%XX" escapes decoded; nothing else changes ('+' stays '+').
// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view encoded);

// A query string for the wire from (name, value) pairs, in the order given:
// percent_encode(name) "=" percent_encode(value), joined by '&'.
std::string encode_query(std::span<const std::pair<std::string_view, std::string_view>> params);

// RFC 4648 section 5 (URL- and filename-safe alphabet) without '=' padding, as JWS uses it.
std::string base64url_encode(std::string_view bytes);
// nullopt on a character outside the alphabet, on padding, or on an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace bg::encoding
