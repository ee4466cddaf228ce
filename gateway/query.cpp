#include "gateway/query.hpp"

#include "gateway/pagination.hpp"

#include <boost/url/parse_query.hpp>

#include <algorithm>

namespace bg {
namespace {

using adapters::field_filter;
using adapters::filter_op;
using adapters::list_query;

gateway_error bad_query(std::string detail) { return gateway_error{errc::bad_request, std::move(detail), {}, {}}; }

// What a client wrote, shortened for an error message.
std::string shown(std::string_view v) { return v.size() > 40 ? std::string(v.substr(0, 40)) + "..." : std::string(v); }

constexpr std::size_t max_field = 128;

// A vendor's item field: letters, digits, '_', '.', '-'.
bool is_field(std::string_view f)
{
    return !f.empty() && f.size() <= max_field && std::all_of(f.begin(), f.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
    });
}

std::optional<gateway_error> read_sort(std::string_view value, list_query& q)
{
    if (value.empty())
        return bad_query("query parameter 'sort' is empty; give fields such as sort=name,-created");
    std::size_t at = 0;
    while (at <= value.size()) {
        const auto comma = std::min(value.find(',', at), value.size());
        std::string_view key = value.substr(at, comma - at);
        adapters::sort_key k;
        if (!key.empty() && key.front() == '-') {
            k.descending = true;
            key.remove_prefix(1);
        }
        if (!is_field(key)) {
            std::string hint;
            if (key.find(':') != std::string_view::npos)  // Backup and DR's own sort=attr:DESC
                hint = "; the gateway's sort is sort=field or sort=-field (descending), whatever the vendor";
            return bad_query("query parameter 'sort': '" + shown(value.substr(at, comma - at)) +
                             "' is not a field name (letters, digits, '_', '.', '-'; '-' first for descending)" + hint);
        }
        k.field = key;
        if (std::any_of(q.sort.begin(), q.sort.end(), [&](const auto& s) { return s.field == k.field; }))
            return bad_query("query parameter 'sort' names field '" + k.field + "' twice");
        q.sort.push_back(std::move(k));
        at = comma + 1;
    }
    return std::nullopt;
}

// "filter[field]" or "filter[field][op]" → the field and the operator.
std::optional<gateway_error> read_filter(const std::string& name, std::string value, list_query& q)
{
    const auto malformed = [&] {
        return bad_query("query parameter '" + shown(name) +
                         "' is not a filter: write filter[field]=value, or filter[field][gte|lte|contains]=value");
    };
    std::string_view rest(name);
    rest.remove_prefix(6);  // "filter"
    if (rest.empty() || rest.front() != '[')
        return malformed();
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
        return malformed();
    const std::string_view field = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    filter_op op = filter_op::equals;
    if (!rest.empty()) {
        if (rest.front() != '[' || rest.back() != ']')
            return malformed();
        const auto word = rest.substr(1, rest.size() - 2);
        if (word == "gte")
            op = filter_op::gte;
        else if (word == "lte")
            op = filter_op::lte;
        else if (word == "contains")
            op = filter_op::contains;
        else
            return bad_query("query parameter '" + shown(name) + "': unknown filter operator '" + shown(word) +
                             "'; the operators are gte, lte and contains (filter[field]=value is an exact match)");
    }
    if (!is_field(field))
        return bad_query("query parameter '" + shown(name) + "': '" + shown(field) +
                         "' is not a field name (letters, digits, '_', '.', '-')");
    if (value.empty())
        return bad_query("query parameter '" + shown(name) + "' has no value");
    auto same = std::find_if(q.filters.begin(), q.filters.end(),
                             [&](const field_filter& f) { return f.field == field && f.op == op; });
    if (same != q.filters.end()) {
        if (op != filter_op::equals)
            return bad_query("query parameter '" + shown(name) + "' is given more than once");
        same->values.push_back(std::move(value));
        return std::nullopt;
    }
    q.filters.push_back(field_filter{std::string(field), op, {std::move(value)}, name});
    return std::nullopt;
}

}  // namespace

std::variant<list_query, gateway_error> parse_list_query(std::string_view rest)
{
    list_query q;
    if (rest.empty())
        return q;
    // Boost.URL 1.81's parse_query() runs strlen() over its argument (see
    // parse_page_query): a string of its own. (Raw brackets, as in tests.)
    const std::string text = query_as_sent(rest);
    auto parsed = boost::urls::parse_query(boost::core::string_view(text.data(), text.size()));
    if (!parsed)
        return bad_query("the query string is not valid (RFC 3986): " + parsed.error().message());
    boost::urls::encoding_opts plus_is_space;
    plus_is_space.space_as_plus = true;
    for (const auto& p : *parsed) {
        const std::string name = p.key.decode();
        std::string value = p.has_value ? p.value.decode(plus_is_space) : std::string();
        std::optional<gateway_error> e;
        if (name == "sort") {
            if (!q.sort.empty())
                return bad_query("query parameter 'sort' is given more than once; give its keys in one, "
                                 "comma-separated (sort=name,-created)");
            e = read_sort(value, q);
        } else if (name == "q") {
            if (q.search)
                return bad_query("query parameter 'q' is given more than once");
            if (value.empty())
                return bad_query("query parameter 'q' is empty");
            q.search = std::move(value);
        } else if (name.starts_with("filter[")) {
            e = read_filter(name, std::move(value), q);
        } else {
            if (!q.native_encoded.empty())
                q.native_encoded += '&';
            q.native_encoded.append(p.key.data(), p.key.size());
            if (p.has_value) {
                q.native_encoded += '=';
                q.native_encoded.append(p.value.data(), p.value.size());
            }
            q.native.emplace_back(name, p.has_value ? p.value.decode() : std::string());
        }
        if (e)
            return std::move(*e);
    }
    return q;
}

}  // namespace bg
