// What a request head must be before the gateway acts on it, beyond what
// Beast's parser checks (RFC 9112): pure functions over bytes and a parsed
// head, unit-tested and fuzzed (tests/unit/request_checks_test.cpp,
// tests/fuzz/).
#pragma once

#include "core/errors.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bg {

namespace http = boost::beast::http;

// RFC 9112 §5.2: a field line that starts with SP or HTAB continues the one
// before (obs-fold). Beast joins the two; a gateway behind other proxies must
// refuse it instead, since they may read the line as a field of its own
// (` Content-Length: 5` after `X-Foo: bar` turned a body into the start of
// another request). `head`: the bytes of a request head up to its empty line.
bool has_obs_fold(std::string_view head);

// The request line may be preceded by empty lines (RFC 9112 §2.2: a server
// should ignore at least one): how many leading bytes of `bytes` are such
// CRLFs (at most `max_lines` of them).
std::size_t leading_empty_lines(std::string_view bytes, std::size_t max_lines = 4);

// Phase 1's parse of one request head from what a connection's buffer holds,
// as bytes arrive. Beast takes a head in pieces (the request line, then whole
// field lines); each piece is looked at once more for what Beast accepts and
// the gateway refuses (obs-fold, also at the start of a piece after one that
// ended a line). Empty lines before the request line are skipped.
class head_reader {
public:
    // true: the head is parsed, or `ec` says why not (obs_fold() tells an
    // obs-fold from Beast's own errors); false: more bytes are needed.
    bool parse(http::request_parser<http::empty_body>& parser, boost::beast::flat_buffer& buffer,
               boost::system::error_code& ec);
    bool obs_fold() const { return folded_; }
    // For the next request.
    void reset() { *this = head_reader(); }

private:
    std::size_t taken_ = 0;  // bytes of this head Beast has taken so far
    char last_ = 0;          // the last of them
    bool folded_ = false;
};

// The head's framing and host, checked and made canonical in place:
// - an absolute-form target (RFC 9112 §3.2.2) becomes origin-form, and its
//   authority replaces Host;
// - Host (RFC 9112 §3.2): exactly one on HTTP/1.1, a valid uri-host[:port]
//   (no userinfo, nothing else); at most one on HTTP/1.0;
// - a method that is not a registered HTTP method (Beast's verb::unknown):
//   501, never forwarded;
// - Transfer-Encoding not ending in chunked (RFC 9112 §6.3): 400;
// - a repeated Authorization or X-API-Key: 400 (which one would be the key?).
// nullopt: fine.
std::optional<gateway_error> check_request_head(http::request_header<>& head);

// RFC 9112 §3.2: uri-host [ ":" port ], as Host may hold it ("" is allowed:
// a target without an authority).
bool valid_host(std::string_view value);

// The framing of a chunked body (RFC 9112 §7.1), checked byte by byte as it
// arrives: Beast's parser waits for a whole chunk line before it looks at
// one, so `5\r\nABCDE0\r\n` at the end of the data waited for the body
// timeout (408) although its framing was already known to be wrong (no CRLF
// after the chunk's data). feed() stops at the end of the body: bytes after
// it (a pipelined request) are not looked at.
class chunked_framing {
public:
    // false: the framing is wrong (the body is to be refused with 400).
    bool feed(std::string_view bytes);
    bool done() const { return state_ == state::done; }

private:
    enum class state {
        size,         // hex digits of a chunk size
        extension,    // ;name=value up to CR
        size_lf,      // LF after the size line
        data,         // `remaining_` bytes of chunk data
        data_cr,      // CR after the data
        data_lf,      // LF after the data
        trailer_start,  // a trailer field line, or the final CRLF
        trailer,      // a trailer field line up to CR
        trailer_lf,   // LF after a trailer field line
        final_lf,     // LF of the final CRLF
        done,
        bad
    };
    state state_ = state::size;
    std::uint64_t remaining_ = 0;
    unsigned digits_ = 0;
};

}  // namespace bg
