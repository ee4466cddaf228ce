#include "gateway/pagination.hpp"

#include "adapters/common/encoding.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace bg {
namespace {

// Far above any collection, far below overflow when multiplied by a limit.
constexpr std::uint64_t max_index = 1'000'000'000'000ull;

struct param_spec {
    std::string_view name;
    page_style style;
    bool is_size;        // page_size, limit, Limit
    std::uint64_t min;   // page ≥ 1, sizes ≥ 1, offsets ≥ 0
};

constexpr std::array<param_spec, 6> specs{{
    {"page", page_style::page, false, 1},
    {"page_size", page_style::page, true, 1},
    {"offset", page_style::offset, false, 0},
    {"limit", page_style::offset, true, 1},
    {"Offset", page_style::veeam, false, 0},
    {"Limit", page_style::veeam, true, 1},
}};

const param_spec* spec_of(std::string_view name)
{
    for (const auto& s : specs)
        if (s.name == name)
            return &s;
    return nullptr;
}

gateway_error bad_query(std::string detail) { return gateway_error{errc::bad_request, std::move(detail), {}, {}}; }

// What a client wrote, shortened for an error message.
std::string shown(std::string_view v) { return v.size() > 40 ? std::string(v.substr(0, 40)) + "..." : std::string(v); }

std::string_view name_of(page_style style, bool is_size)
{
    for (const auto& s : specs)
        if (s.style == style && s.is_size == is_size)
            return s.name;
    return "";
}

}  // namespace

// (pagination.hpp) The query with the bytes RFC 3986 leaves out of a query but clients send
// raw ("filter[name]=x" from curl --globoff, "filter=appname:=|app")
// percent-encoded, as a browser sends them; the rest as it came.
std::string query_as_sent(std::string_view query)
{
    static constexpr std::string_view raw = "[]|{}^`\\\"<> ";
    if (query.find_first_of(raw) == std::string_view::npos)
        return std::string(query);
    std::string out;
    out.reserve(query.size() + 16);
    for (const char c : query) {
        if (raw.find(c) == std::string_view::npos)
            out += c;
        else
            out += encoding::percent_encode(std::string_view(&c, 1));  // the project's one encoder
    }
    return out;
}

std::variant<page_window, gateway_error> parse_page_query(std::string_view query,
                                                          const config::pagination_settings& settings)
{
    page_window w;
    std::optional<std::uint64_t> position;  // page, offset or Offset
    std::optional<std::uint64_t> size;      // page_size, limit or Limit
    std::string_view first_name;

    // Boost.URL 1.81's parse_query() runs strlen() over its argument's data
    // (found by tests/fuzz/fuzz_page_query: a read past the end of a view
    // that does not end at a NUL): it is given a string of its own.
    const std::string text = query_as_sent(query);
    auto parsed = boost::urls::parse_query(boost::core::string_view(text.data(), text.size()));
    if (!parsed)
        return bad_query("the query string is not valid (RFC 3986): " + parsed.error().message());
    for (const auto& p : *parsed) {
        const std::string name = p.key.decode();
        const auto* spec = spec_of(name);
        if (!spec) {
            if (!w.rest.empty())
                w.rest += '&';
            w.rest.append(p.key.data(), p.key.size());
            if (p.has_value) {
                w.rest += '=';
                w.rest.append(p.value.data(), p.value.size());
            }
            continue;
        }
        if (w.style != page_style::none && w.style != spec->style)
            return bad_query("query parameters '" + std::string(first_name) + "' and '" + name +
                             "' mix two pagination styles; use one of page+page_size, offset+limit, Offset+Limit");
        if (w.style == page_style::none)
            first_name = spec->name;
        w.style = spec->style;
        auto& slot = spec->is_size ? size : position;
        if (slot)
            return bad_query("query parameter '" + name + "' is given more than once");
        const std::string value = p.has_value ? p.value.decode() : std::string();
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || v > max_index)
            return bad_query("query parameter '" + name + "' must be a whole number " +
                             (spec->min ? std::string("≥ 1") : std::string("≥ 0")) + ", got '" + shown(value) + "'");
        if (v < spec->min)
            return bad_query("query parameter '" + name + "' must be ≥ " + std::to_string(spec->min) + ", got '" +
                             shown(value) + "'");
        slot = v;
    }

    w.limit = std::min<std::uint64_t>(size.value_or(settings.default_limit), settings.max_limit);
    if (w.style == page_style::page)
        w.offset = (position.value_or(1) - 1) * w.limit;
    else
        w.offset = position.value_or(0);
    return w;
}

std::optional<gateway_error> refuse_reserved(const page_window& w, const std::vector<std::string_view>& reserved)
{
    if (w.rest.empty() || reserved.empty())
        return std::nullopt;
    auto parsed = boost::urls::parse_query(boost::core::string_view(w.rest.data(), w.rest.size()));
    if (!parsed)
        return std::nullopt;  // parse_page_query() checked the same text
    for (const auto& p : *parsed) {
        const std::string name = p.key.decode();
        if (std::find(reserved.begin(), reserved.end(), name) != reserved.end())
            return bad_query("query parameter '" + name +
                             "' is the backend's own pagination; page with page+page_size, offset+limit or "
                             "Offset+Limit instead");
    }
    return std::nullopt;
}

std::string page_link(std::string_view client_path, const page_window& w, std::uint64_t offset)
{
    std::string link(client_path);
    link += '?';
    if (!w.rest.empty()) {
        link += w.rest;
        link += '&';
    }
    // A client that sent no parameters gets links in the offset style.
    const auto style = w.style == page_style::none ? page_style::offset : w.style;
    const auto position = style == page_style::page ? offset / w.limit + 1 : offset;
    link += name_of(style, false);
    link += '=' + std::to_string(position) + '&';
    link += name_of(style, true);
    link += '=' + std::to_string(w.limit);
    return link;
}

void set_links(page_answer& a, std::string_view client_path, const page_window& w)
{
    const auto last = w.offset + a.items.size();
    const bool more = a.total ? last < *a.total : a.items.size() >= w.limit;
    set_links(a, client_path, w, more ? std::optional(last) : std::nullopt);
}

void set_links(page_answer& a, std::string_view client_path, const page_window& w,
               std::optional<std::uint64_t> next_offset)
{
    a.next = next_offset ? std::optional(page_link(client_path, w, *next_offset)) : std::nullopt;
    if (w.offset == 0) {
        a.previous.reset();
    } else {
        // The page style can only point at whole pages; offsets can point anywhere.
        const auto prev = w.offset > w.limit ? w.offset - w.limit : 0;
        a.previous = page_link(client_path, w, prev);
    }
}

std::string render_envelope(const page_answer& a, const page_window& w)
{
    // Written piece by piece: each item is the upstream's own text.
    const auto link = [](const std::optional<std::string>& l) {
        return l ? boost::json::serialize(boost::json::string_view(*l)) : std::string("null");
    };
    std::size_t size = 128;
    for (const auto item : a.items)
        size += item.size() + 1;
    std::string out;
    out.reserve(size);
    out += "{\"items\":[";
    for (std::size_t i = 0; i < a.items.size(); ++i) {
        if (i > 0)
            out += ',';
        out += a.items[i];
    }
    out += "],\"total\":";
    out += a.total ? std::to_string(*a.total) : std::string("null");
    if (a.total && a.total_estimated)
        out += ",\"total_estimated\":true";
    out += ",\"offset\":" + std::to_string(w.offset);
    out += ",\"limit\":" + std::to_string(w.limit);
    out += ",\"next\":" + link(a.next);
    out += ",\"previous\":" + link(a.previous);
    out += '}';
    return out;
}

std::string link_header(const page_answer& a)
{
    std::string out;
    if (a.next)
        out += '<' + *a.next + ">; rel=\"next\"";
    if (a.previous) {
        if (!out.empty())
            out += ", ";
        out += '<' + *a.previous + ">; rel=\"prev\"";
    }
    return out;
}

}  // namespace bg
