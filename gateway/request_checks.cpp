#include "gateway/request_checks.hpp"

#include "core/ascii.hpp"

#include "gateway/http_util.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <limits>
#include <string>

namespace bg {
namespace {

gateway_error bad(std::string detail) { return gateway_error{errc::bad_request, std::move(detail), {}, {}}; }

// What a client wrote, shortened for an error message.
std::string shown(std::string_view v) { return v.size() > 60 ? std::string(v.substr(0, 60)) + "..." : std::string(v); }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
unsigned hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f')
        return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

// An absolute-form target made origin-form, its authority as Host (RFC 9112
// §3.2.2: the server "MUST ignore the received Host header field (if any)
// and instead use the host information of the request-target").
std::optional<gateway_error> to_origin_form(http::request_header<>& head)
{
    const std::string target(head.target());
    auto parsed = boost::urls::parse_absolute_uri(target);
    if (!parsed)
        return bad("the request target is neither a path nor an absolute URI (RFC 9112 §3.2): " + shown(target));
    const auto& u = *parsed;
    if (!bg::iequals(u.scheme(), "http") && !bg::iequals(u.scheme(), "https"))
        return bad("an absolute request target must be an http or https URI, got scheme '" +
                   std::string(u.scheme()) + "'");
    if (!u.has_authority() || u.has_userinfo())
        return bad("an absolute request target must name a host and no user (RFC 9110 §4.2.4): " + shown(target));
    std::string origin(u.encoded_path());
    if (origin.empty())
        origin = "/";
    if (u.has_query()) {
        origin += '?';
        origin += u.encoded_query();
    }
    const std::string host(u.encoded_host_and_port());
    head.target(origin);
    head.set(http::field::host, host);
    return std::nullopt;
}

// The last transfer coding, over every Transfer-Encoding line, is chunked.
bool ends_chunked(const http::request_header<>& head)
{
    const auto all = combined_values(head, "Transfer-Encoding");
    std::string_view last;
    for (const auto coding : http::token_list(all))
        last = coding;
    return bg::iequals(last, "chunked");
}

}  // namespace

bool has_obs_fold(std::string_view head)
{
    // A line start is after a LF; the first line (the request line) cannot fold.
    for (std::size_t at = head.find('\n'); at != std::string_view::npos && at + 1 < head.size();
         at = head.find('\n', at + 1)) {
        const char next = head[at + 1];
        if (next == ' ' || next == '\t')
            return true;
    }
    return false;
}

std::size_t leading_empty_lines(std::string_view bytes, std::size_t max_lines)
{
    std::size_t n = 0;
    for (std::size_t lines = 0; lines < max_lines && bytes.substr(n, 2) == "\r\n"; ++lines)
        n += 2;
    return n;
}

bool head_reader::parse(http::request_parser<http::empty_body>& parser, boost::beast::flat_buffer& buffer,
                        boost::system::error_code& ec)
{
    ec = {};
    if (taken_ == 0)
        buffer.consume(leading_empty_lines(
            std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size())));
    if (buffer.size() == 0)
        return false;
    const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
    const auto used = parser.put(buffer.data(), ec);
    const auto piece = bytes.substr(0, used);
    const bool folds = has_obs_fold(piece) ||
                       (taken_ > 0 && last_ == '\n' && !piece.empty() && (piece.front() == ' ' || piece.front() == '\t'));
    if (!piece.empty())
        last_ = piece.back();
    taken_ += used;
    buffer.consume(used);
    if (folds) {
        folded_ = true;
        ec = http::error::bad_field;
        return true;
    }
    if (ec == http::error::need_more) {
        ec = {};
        return false;
    }
    return true;
}

bool valid_host(std::string_view value)
{
    if (value.empty())
        return true;
    // The usual case, a name or an IPv4 address with an optional port, is
    // checked here (it is on every request); the rest of RFC 3986's
    // authority grammar (IPv6, percent-encoded and sub-delims names) by Boost.URL.
    const auto name_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    };
    std::size_t i = 0;
    while (i < value.size() && name_char(value[i]))
        ++i;
    if (i > 0 && i == value.size())
        return true;
    if (i > 0 && value[i] == ':' &&
        std::all_of(value.begin() + static_cast<std::ptrdiff_t>(i) + 1, value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return true;
    auto parsed = boost::urls::parse_authority(boost::core::string_view(value.data(), value.size()));
    return parsed && !parsed->has_userinfo();
}

std::optional<gateway_error> check_request_head(http::request_header<>& head)
{
    if (head.method() == http::verb::unknown)
        return gateway_error{errc::not_implemented,
                             "method '" + shown(head.method_string()) +
                                 "' is not a registered HTTP method; the gateway forwards only registered ones",
                             {}, {}};
    if (head.count(http::field::transfer_encoding) > 0 && !ends_chunked(head))
        // RFC 9112 §6.3: the body's length cannot be known; reading on would
        // take the body for the next request.
        return bad("Transfer-Encoding must end with 'chunked'");
    const auto target = head.target();
    if (!target.empty() && target.front() != '/' && target != "*") {
        if (auto e = to_origin_form(head))
            return e;
    } else {
        const auto hosts = head.count(http::field::host);
        if (hosts > 1)
            return bad("the request has " + std::to_string(hosts) + " Host header fields; RFC 9112 §3.2 allows one");
        if (hosts == 0 && head.version() >= 11)
            return bad("an HTTP/1.1 request must have a Host header field (RFC 9112 §3.2)");
    }
    const auto host = head[http::field::host];
    if (!valid_host(host))
        return bad("the Host header field is not a valid host[:port] (RFC 9112 §3.2): '" + shown(host) + "'");
    if (head.count(http::field::authorization) > 1)
        return bad("the request has more than one Authorization header field; send the gateway key once");
    if (head.count("X-API-Key") > 1)
        return bad("the request has more than one X-API-Key header field; send the gateway key once");
    return std::nullopt;
}

bool chunked_framing::feed(std::string_view bytes)
{
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        switch (state_) {
        case state::size:
            if (is_hex(c)) {
                ++digits_;
                if (remaining_ > (std::numeric_limits<std::uint64_t>::max() >> 4))
                    state_ = state::bad;  // would overflow (leading zeros are fine, as for Beast)
                else
                    remaining_ = remaining_ * 16 + hex_value(c);
            } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
                state_ = state::extension;
            } else if (digits_ > 0 && c == '\r') {
                state_ = state::size_lf;
            } else {
                state_ = state::bad;
            }
            break;
        case state::extension:
            if (c == '\r')
                state_ = state::size_lf;
            else if (c == '\n')
                state_ = state::bad;
            break;
        case state::size_lf:
            if (c != '\n')
                state_ = state::bad;
            else
                state_ = remaining_ == 0 ? state::trailer_start : state::data;
            break;
        case state::data: {
            const auto take = std::min<std::uint64_t>(remaining_, bytes.size() - i);
            remaining_ -= take;
            i += static_cast<std::size_t>(take) - 1;
            if (remaining_ == 0)
                state_ = state::data_cr;
            break;
        }
        case state::data_cr:
            state_ = c == '\r' ? state::data_lf : state::bad;
            break;
        case state::data_lf:
            if (c == '\n') {
                state_ = state::size;
                digits_ = 0;
            } else {
                state_ = state::bad;
            }
            break;
        case state::trailer_start:
            state_ = c == '\r' ? state::final_lf : (c == '\n' ? state::bad : state::trailer);
            break;
        case state::trailer:
            if (c == '\r')
                state_ = state::trailer_lf;
            else if (c == '\n')
                state_ = state::bad;
            break;
        case state::trailer_lf:
            state_ = c == '\n' ? state::trailer_start : state::bad;
            break;
        case state::final_lf:
            state_ = c == '\n' ? state::done : state::bad;
            break;
        case state::done:
            return true;
        case state::bad:
            return false;
        }
    }
    return state_ != state::bad;
}

}  // namespace bg
