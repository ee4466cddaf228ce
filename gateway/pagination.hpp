// The client's side of pagination (DESIGN.md, "Pagination is normalized"):
// a client pages in any one of three styles, the gateway works on a window
// [offset, offset + limit) of the collection, and answers with one envelope
// whose links are in the style the client used.
//
//   style    parameters           window
//   page     page (≥1), page_size (≥1)   offset = (page-1)·page_size, limit = page_size
//   offset   offset (≥0), limit (≥1)     as given
//   Offset   Offset (≥0), Limit (≥1)     as given (Veeam's spelling; case matters)
//
// One member alone takes the default for the other (page 1, offset 0,
// limit pagination.default_limit); a limit above pagination.max_limit is
// clamped. No parameter at all: [0, default_limit). Mixing styles, a
// repeated parameter, a value that is not a whole number or is out of range:
// 400 naming the parameter.
#pragma once

#include "config/config.hpp"
#include "core/errors.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bg {

enum class page_style { none, page, offset, veeam };

struct page_window {
    page_style style = page_style::none;
    std::uint64_t offset = 0;
    std::uint64_t limit = 0;
    // The client's other query parameters, encoded as sent, in its order
    // ("status=active&sort=name"); forwarded upstream unchanged.
    std::string rest;
};

// The query with the bytes RFC 3986 leaves out of a query but clients send
// raw ('[' ']' from curl --globoff, '|' in Backup and DR's "=|", …)
// percent-encoded, as a browser sends them; the rest as it came.
std::string query_as_sent(std::string_view query);

// `query`: what follows '?' in the client's target (encoded), may be empty.
// Raw brackets and the like are taken (query_as_sent); `rest` holds them encoded.
std::variant<page_window, gateway_error> parse_page_query(std::string_view query,
                                                          const config::pagination_settings& settings);

// A 400 when one of the client's other parameters has a name the upstream's
// dialect owns (it would clash with the plan's), else nothing.
std::optional<gateway_error> refuse_reserved(const page_window& w, const std::vector<std::string_view>& reserved);

// The client's target for the window starting at `offset` (same limit, same
// style, same other parameters), relative: "/cpm/policies/?status=x&page=3&page_size=20".
// `client_path` is the client's path as sent (encoded).
std::string page_link(std::string_view client_path, const page_window& w, std::uint64_t offset);

// What the gateway answers for a window.
struct page_answer {
    std::vector<std::string_view> items;  // each item's JSON text (views into the upstream answers)
    std::optional<std::uint64_t> total;
    bool total_estimated = false;         // total is the vendor's estimate (Backup and DR's Actifio-Count)
    std::optional<std::string> next;      // a page_link, or nothing at the end
    std::optional<std::string> previous;  // a page_link, or nothing at the start
};

// next/previous for `w`: the next window starts at `next_offset` (right
// after the last item returned; nullopt: the collection ends there). In the
// page style it must be a whole page's start (a page-style window is filled,
// see list_merge), since page arithmetic cannot continue mid-page.
void set_links(page_answer& a, std::string_view client_path, const page_window& w,
               std::optional<std::uint64_t> next_offset);
// The same from what the answer holds: a next right after its last item when
// the total says more follow; without a total, a full window is assumed to
// have a next.
void set_links(page_answer& a, std::string_view client_path, const page_window& w);

// {"items","total","offset","limit","next","previous"}, with
// "total_estimated":true after "total" when it is an estimate.
std::string render_envelope(const page_answer& a, const page_window& w);
// The RFC 8288 Link header value (rel="next", rel="prev"); "" when neither.
std::string link_header(const page_answer& a);

}  // namespace bg
