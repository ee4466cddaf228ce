#include "gateway/local_query.hpp"

#include "core/ascii.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <numeric>

namespace bg {
namespace {

namespace json = boost::json;
using adapters::filter_op;

// The value at `field` ("a" or "a.b.c"), or null when absent.
const json::value* lookup(const json::value& item, std::string_view field)
{
    const json::value* at = &item;
    while (true) {
        const auto* o = at->if_object();
        if (!o)
            return nullptr;
        const auto dot = field.find('.');
        const auto* next = o->if_contains(field.substr(0, dot));
        if (!next || dot == std::string_view::npos)
            return next;
        at = next;
        field.remove_prefix(dot + 1);
    }
}

std::optional<double> as_number(std::string_view text)
{
    double d = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return d;
}

std::optional<double> number_of(const json::value& v)
{
    if (v.is_int64())
        return static_cast<double>(v.get_int64());
    if (v.is_uint64())
        return static_cast<double>(v.get_uint64());
    if (v.is_double())
        return v.get_double();
    return std::nullopt;
}

bool equals(const json::value& v, std::string_view wanted)
{
    if (v.is_string())
        return v.get_string() == wanted;
    if (v.is_bool())
        return wanted == (v.get_bool() ? "true" : "false");
    if (v.is_null())
        return wanted == "null";
    if (v.is_int64() || v.is_uint64()) {
        // Whole numbers exactly (a double would round ids above 2^53).
        if (v.is_int64()) {
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), n);
            if (ec == std::errc{} && end == wanted.data() + wanted.size())
                return n == v.get_int64();
        } else {
            std::uint64_t n = 0;
            const auto [end, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), n);
            if (ec == std::errc{} && end == wanted.data() + wanted.size())
                return n == v.get_uint64();
        }
    }
    const auto n = number_of(v);
    const auto w = as_number(wanted);
    return n && w && *n == *w;
}

// -1, 0, 1 comparing v with the bound; nullopt when they are not comparable.
std::optional<int> compare_with(const json::value& v, std::string_view bound)
{
    if (v.is_string()) {
        const std::string_view s = v.get_string();
        return s < bound ? -1 : s > bound ? 1 : 0;
    }
    const auto n = number_of(v);
    const auto b = as_number(bound);
    if (!n || !b)
        return std::nullopt;
    return *n < *b ? -1 : *n > *b ? 1 : 0;
}

bool passes(const json::value& item, const adapters::field_filter& f)
{
    const auto* v = lookup(item, f.field);
    if (!v)
        return false;
    switch (f.op) {
    case filter_op::equals:
        return std::any_of(f.values.begin(), f.values.end(), [&](const std::string& w) { return equals(*v, w); });
    case filter_op::gte: {
        const auto c = compare_with(*v, f.values.front());
        return c && *c >= 0;
    }
    case filter_op::lte: {
        const auto c = compare_with(*v, f.values.front());
        return c && *c <= 0;
    }
    case filter_op::contains:
        return v->is_string() && std::string_view(v->get_string()).find(f.values.front()) != std::string_view::npos;
    }
    return false;
}

bool holds_folded(std::string_view text, std::string_view folded_needle)
{
    if (folded_needle.size() > text.size())
        return false;
    for (std::size_t i = 0; i + folded_needle.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < folded_needle.size() && ascii_lower(text[i + k]) == folded_needle[k])
            ++k;
        if (k == folded_needle.size())
            return true;
    }
    return false;
}

bool found(const json::value& item, std::string_view folded)
{
    const auto* o = item.if_object();
    if (!o)
        return false;
    return std::any_of(o->begin(), o->end(), [&](const json::key_value_pair& m) {
        return m.value().is_string() && holds_folded(m.value().get_string(), folded);
    });
}

// Kinds in sort order: missing/null, boolean, number, string, the rest.
int rank(const json::value* v)
{
    if (!v || v->is_null())
        return 0;
    if (v->is_bool())
        return 1;
    if (number_of(*v))
        return 2;
    if (v->is_string())
        return 3;
    return 4;
}

int compare_values(const json::value* a, const json::value* b)
{
    const int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case 1: return a->get_bool() == b->get_bool() ? 0 : a->get_bool() ? 1 : -1;
    case 2: {
        const double x = *number_of(*a), y = *number_of(*b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3: {
        const std::string_view x = a->get_string(), y = b->get_string();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    default: return 0;
    }
}

}  // namespace

std::vector<std::string_view> apply_local_query(std::span<const std::string_view> items,
                                                const adapters::list_query& q)
{
    if (!q.has_language())
        return {items.begin(), items.end()};
    std::string folded;
    if (q.search)
        std::transform(q.search->begin(), q.search->end(), std::back_inserter(folded), ascii_lower);
    struct kept {
        std::string_view text;
        json::value value;
    };
    std::vector<kept> out;
    for (const auto text : items) {
        boost::system::error_code ec;
        json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
        if (ec) {
            if (!q.search && q.filters.empty())
                out.push_back({text, json::value()});
            continue;
        }
        if (q.search && !found(v, folded))
            continue;
        if (!std::all_of(q.filters.begin(), q.filters.end(), [&](const auto& f) { return passes(v, f); }))
            continue;
        out.push_back({text, std::move(v)});
    }
    if (!q.sort.empty())
        std::stable_sort(out.begin(), out.end(), [&](const kept& a, const kept& b) {
            for (const auto& k : q.sort) {
                const int c = compare_values(lookup(a.value, k.field), lookup(b.value, k.field));
                if (c != 0)
                    return k.descending ? c > 0 : c < 0;
            }
            return false;
        });
    std::vector<std::string_view> texts;
    texts.reserve(out.size());
    for (const auto& k : out)
        texts.push_back(k.text);
    return texts;
}

}  // namespace bg
