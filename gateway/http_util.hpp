// Small pure helpers over HTTP headers shared by the session and the proxy.
#pragma once

#include <boost/beast/http/fields.hpp>

#include <string>
#include <string_view>

namespace bg {

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

// Every value of the field `name`, in order, joined with ", " (RFC 9110 §5.3:
// several field lines with one name are one comma-separated list); "" when absent.
std::string combined_values(const http::fields& fields, std::string_view name);

// Appends `client_ip` to an existing X-Forwarded-For list, RFC 7239 style.
std::string forwarded_for(std::string_view existing, std::string_view client_ip);

}  // namespace bg
