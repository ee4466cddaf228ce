// Small pure helpers over HTTP headers shared by the session and the proxy.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>

#include <string>
#include <string_view>

namespace bg {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// A malformed message (Beast's HTTP error category), as opposed to a network
// error or the end of the stream.
bool is_http_protocol_error(boost::system::error_code ec);

// Removes the hop-by-hop headers of RFC 9110 §7.6.1: Connection and every
// header it names, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade.
void remove_hop_by_hop(http::fields& fields);

// RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE. Only these are
// ever sent upstream twice (a stale connection, a 401 replay).
bool is_idempotent(http::verb method);

// A client's X-Request-Id when it is sane (1..128 visible ASCII characters),
// else a new random 128-bit id in hex.
std::string request_id_for(std::string_view from_client);

// RFC 9110 §12.5.1: the quality (0 to 1) an Accept value gives the media type
// `type` ("application/json"): its most specific matching range's q
// (type/subtype, then type/*, then */*); 1 when `accept` is empty (no Accept:
// anything goes); 0 when no range matches.
double accept_quality(std::string_view accept, std::string_view type);

// Every value of the field `name`, in order, joined with ", " (RFC 9110 §5.3:
// several field lines with one name are one comma-separated list); "" when absent.
std::string combined_values(const http::fields& fields, std::string_view name);

// A request's query for the access log: each value whose name (decoded,
// case-insensitive) reads like a secret (token, secret, password, ...key,
// signature, credential, session, auth, code...) replaced by "***"; names,
// order and the other values as sent.
std::string masked_query(std::string_view query);

// Appends `client_ip` to an existing X-Forwarded-For list, RFC 7239 style.
std::string forwarded_for(std::string_view existing, std::string_view client_ip);

// Appends the message head as it goes on the wire (RFC 9112 §2.1): the
// request or status line, every field line in order, the empty line. For a
// message whose body is held whole and whose framing fields are already set
// (Content-Length, never chunked): it and the body then go out in one
// gathered write, without Beast's serializer and its buffer-sequence layers
// (about a tenth of a small request's time in the gateway).
void append_head(std::string& out, const http::request_header<>& head);
void append_head(std::string& out, const http::response_header<>& head);

// Writes as much of `buffers` as the socket takes right now, never waiting
// (the socket is in non-blocking mode): how many bytes. A small answer nearly
// always fits in the kernel's send buffer, and an asynchronous write that
// completes at once still posts its completion to a later turn of the event
// loop. The caller writes what is left asynchronously. would_block is no error.
template <class ConstBufferSequence>
std::size_t write_now(beast::tcp_stream& stream, const ConstBufferSequence& buffers, boost::system::error_code& ec)
{
    const auto n = stream.socket().write_some(buffers, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again)
        ec = {};
    return ec ? 0 : n;
}

// Parses what `buffer` already holds, here and now: usually one read brought
// the whole head (or the whole small answer), and Beast's asynchronous read
// would only post its completion to a later turn of the event loop. Stops
// once the head is parsed (`head_only`) or the message is complete. true:
// that point was reached, or parsing failed (`ec`); false: more bytes are
// needed, so an asynchronous read must go on (with the same parser).
template <bool isRequest>
bool parse_buffered(http::basic_parser<isRequest>& parser, beast::flat_buffer& buffer, bool head_only,
                    boost::system::error_code& ec)
{
    ec = {};
    while (buffer.size() > 0) {
        const auto used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
            ec = {};
            return false;
        }
        if (ec || (head_only ? parser.is_header_done() : parser.is_done()))
            return true;
        if (used == 0)
            return false;  // (no progress without more bytes: read on)
    }
    return false;
}

}  // namespace bg
