#include "tests/simulators/backupdr/list_query.hpp"

#include "tests/simulators/backupdr/text.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace sim::backupdr {

namespace {

namespace json = boost::json;

template <class Int>
std::optional<Int> parse_integer(std::string_view s) {
    Int v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

std::optional<filter_op> parse_op(std::string_view op) {
    if (op == "==")
        return filter_op::exact_match;
    if (op == "=|")
        return filter_op::contains;
    if (op == ">=")
        return filter_op::greater_eq;
    if (op == "<=")
        return filter_op::less_eq;
    if (op == "=b")
        return filter_op::bitwise_and;
    return std::nullopt;
}

// Section 5.2, "Restrictions": which operator applies to which kind of attribute.
bool op_applies(filter_op op, field_type type) {
    switch (op) {
    case filter_op::exact_match:
        return type != field_type::boolean;
    case filter_op::contains:
        return type == field_type::string;
    case filter_op::greater_eq:
    case filter_op::less_eq:
        return type == field_type::number || type == field_type::timestamp;
    case filter_op::bitwise_and:
        return type == field_type::boolean;
    }
    return false;
}

std::optional<json::value> parse_operand(const field& attr, std::string_view text) {
    switch (attr.type) {
    case field_type::number:
    case field_type::timestamp:
        if (auto v = parse_integer<std::int64_t>(text))
            return json::value(*v);
        return std::nullopt;
    case field_type::boolean:
        if (text == "true" || text == "1")
            return json::value(true);
        if (text == "false" || text == "0")
            return json::value(false);
        return std::nullopt;
    case field_type::enumeration:
        if (std::find(attr.values.begin(), attr.values.end(), text) == attr.values.end())
            return std::nullopt;
        return json::value(json::string(text));
    case field_type::string:
        return json::value(json::string(text));
    }
    return std::nullopt;
}

// Section 5.2: an attribute appears once, except a >= and <= pair on a numeric
// attribute (a range) or several exact matches (a union).
std::optional<api_error> check_repeats(const std::vector<filter>& filters) {
    std::map<std::string_view, std::vector<filter_op>> ops;
    for (const filter& f : filters)
        ops[f.attr->name].push_back(f.op);
    for (auto& [name, list] : ops) {
        if (list.size() == 1)
            continue;
        const bool union_of_exact = std::all_of(list.begin(), list.end(),
                                                [](filter_op op) { return op == filter_op::exact_match; });
        std::sort(list.begin(), list.end());
        const bool range = list == std::vector{filter_op::greater_eq, filter_op::less_eq};
        if (!union_of_exact && !range)
            return invalid_query("filter attribute '" + std::string(name) +
                                 "' may appear more than once only as a >= and <= range or as several ==");
    }
    return std::nullopt;
}

std::optional<std::int64_t> as_int(const json::value& v) {
    if (v.is_int64())
        return v.as_int64();
    if (v.is_uint64())
        return static_cast<std::int64_t>(v.as_uint64());
    return std::nullopt;
}

bool test(const filter& f, const json::value& v) {
    switch (f.op) {
    case filter_op::exact_match:
        if (f.operand.is_string())
            return v.is_string() && v.as_string() == f.operand.as_string();
        return as_int(v) == as_int(f.operand);
    case filter_op::contains:
        return v.is_string() && v.as_string().find(f.operand.as_string()) != json::string::npos;
    case filter_op::greater_eq:
        return as_int(v) && *as_int(v) >= *as_int(f.operand);
    case filter_op::less_eq:
        return as_int(v) && *as_int(v) <= *as_int(f.operand);
    case filter_op::bitwise_and:
        // A boolean is one bit: the AND is non-zero only when both are true.
        return v.is_bool() && v.as_bool() && f.operand.as_bool();
    }
    return false;
}

bool passes_filters(const json::object& item, const std::vector<filter>& filters) {
    // Filters on different attributes intersect; exact matches on the same
    // attribute are a union (check_repeats allows nothing else to repeat).
    std::map<std::string_view, bool> by_attr;
    for (const filter& f : filters) {
        const json::value* v = item.if_contains(f.attr->name);
        const bool ok = v != nullptr && test(f, *v);
        auto [it, first] = by_attr.try_emplace(f.attr->name, ok);
        if (!first)
            it->second = f.op == filter_op::exact_match ? (it->second || ok) : (it->second && ok);
    }
    return std::all_of(by_attr.begin(), by_attr.end(), [](const auto& kv) { return kv.second; });
}

bool passes_keywords(const json::object& item, const list_query& q) {
    if (q.keywords.empty())
        return true;
    for (std::string_view attr : q.keyword_fields) {
        const json::value* v = item.if_contains(attr);
        if (v == nullptr || !v->is_string())
            continue;
        const std::string text = ascii_lower(v->as_string());
        for (const std::string& k : q.keywords)
            if (text.find(k) != std::string::npos)
                return true;
    }
    return false;
}

// Missing attributes sort first; values of one attribute share a type.
bool less_value(const json::value* a, const json::value* b) {
    if (a == nullptr || b == nullptr)
        return a == nullptr && b != nullptr;
    if (a->is_string() && b->is_string())
        return a->as_string() < b->as_string();
    if (a->is_bool() && b->is_bool())
        return !a->as_bool() && b->as_bool();
    return as_int(*a).value_or(0) < as_int(*b).value_or(0);
}

outcome<sort_order> parse_sort(std::string_view text, const resource_schema& schema) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return invalid_query("sort must be attr:ASC or attr:DESC, got '" + std::string(text) + "'");
    const field* attr = schema.find(text.substr(0, colon));
    const std::string_view direction = text.substr(colon + 1);
    if (attr == nullptr)
        return invalid_query("cannot sort " + std::string(schema.name) + " by '" +
                             std::string(text.substr(0, colon)) + "'");
    if (direction != "ASC" && direction != "DESC")
        return invalid_query("sort direction must be ASC or DESC, got '" + std::string(direction) + "'");
    return sort_order{attr, direction == "DESC"};
}

struct parse_state {
    list_query q;
    bool seen_offset = false, seen_limit = false;
};

std::optional<api_error> parse_page_param(parse_state& st, std::string_view key, std::string_view value) {
    bool& seen = key == "offset" ? st.seen_offset : st.seen_limit;
    if (seen)
        return invalid_query("'" + std::string(key) + "' given twice");
    seen = true;
    auto n = parse_integer<std::uint64_t>(value);
    if (!n || (key == "limit" && *n == 0))
        return invalid_query("'" + std::string(key) + "' must be a " +
                             (key == "limit" ? "positive" : "non-negative") + " integer, got '" +
                             std::string(value) + "'");
    (key == "offset" ? st.q.offset : st.q.limit) = *n;
    return std::nullopt;
}

std::optional<api_error> parse_param(parse_state& st, const boost::urls::param_view& p,
                                     const resource_schema& schema, list_use use) {
    const std::string_view key = p.key, value = p.value;
    if (key == "offset" || key == "limit") {
        // Section 3.3: HEAD ignores pagination control, so it is not checked either.
        return use == list_use::count ? std::nullopt : parse_page_param(st, key, value);
    }
    if (key == "filter") {
        auto f = parse_filter(value, schema);
        if (!f)
            return f.error();
        st.q.filters.push_back(std::move(*f));
        return std::nullopt;
    }
    if (key == "sort") {
        if (st.q.sort)
            return invalid_query("'sort' given twice");
        auto s = parse_sort(value, schema);
        if (!s)
            return s.error();
        st.q.sort = *s;
        return std::nullopt;
    }
    if (key == "keyword") {
        if (schema.keyword_fields.empty())
            return invalid_query(std::string(schema.name) + " does not support free text search");
        if (value.empty())
            return invalid_query("'keyword' must not be empty");
        st.q.keywords.push_back(ascii_lower(value));
        return std::nullopt;
    }
    return invalid_query("unsupported query parameter '" + std::string(key) + "'");
}

}  // namespace

outcome<filter> parse_filter(std::string_view text, const resource_schema& schema) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.size() < colon + 3)
        return invalid_query("filter must be attr:<operator><value>, got '" + std::string(text) + "'");
    const std::string_view name = text.substr(0, colon);
    const field* attr = schema.find(name);
    if (attr == nullptr)
        return invalid_query("cannot filter " + std::string(schema.name) + " by '" + std::string(name) + "'");
    auto op = parse_op(text.substr(colon + 1, 2));
    if (!op)
        return invalid_query("unknown filter operator '" + std::string(text.substr(colon + 1, 2)) + "'");
    if (!op_applies(*op, attr->type))
        return invalid_query("operator '" + std::string(text.substr(colon + 1, 2)) +
                             "' does not apply to attribute '" + std::string(name) + "'");
    auto operand = parse_operand(*attr, text.substr(colon + 3));
    if (!operand)
        return invalid_query("'" + std::string(text.substr(colon + 3)) + "' is not a valid value for '" +
                             std::string(name) + "'");
    return filter{attr, *op, std::move(*operand)};
}

outcome<list_query> parse_list_query(const boost::urls::params_view& params, const resource_schema& schema,
                                     list_use use) {
    parse_state st;
    st.q.keyword_fields = schema.keyword_fields;
    for (const auto& p : params)
        if (auto e = parse_param(st, p, schema, use))
            return *e;
    if (auto e = check_repeats(st.q.filters))
        return *e;
    return std::move(st.q);
}

bool matches(const json::object& item, const list_query& q) {
    return passes_filters(item, q.filters) && passes_keywords(item, q);
}

void select(std::vector<const json::object*>& items, const list_query& q) {
    std::erase_if(items, [&](const json::object* item) { return !matches(*item, q); });
    if (!q.sort)
        return;
    const std::string_view name = q.sort->attr->name;
    const bool desc = q.sort->descending;
    std::stable_sort(items.begin(), items.end(), [&](const json::object* a, const json::object* b) {
        const json::value* va = a->if_contains(name);
        const json::value* vb = b->if_contains(name);
        return desc ? less_value(vb, va) : less_value(va, vb);
    });
}

}  // namespace sim::backupdr
