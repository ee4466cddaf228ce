#include "tests/simulators/veeam/listing.hpp"

#include "tests/simulators/veeam/text.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace sim::veeam {

namespace json = boost::json;

namespace {

// The reference types Offset and Limit as integer <int32>.
std::optional<std::int64_t> parse_int32(std::string_view text) {
    std::int32_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || stop != end) return std::nullopt;
    return value;
}

std::string allowed_sort_values(const collection_spec& spec) {
    std::string out;
    for (const auto& field : spec.sortable) out += (out.empty() ? "" : ", ") + field + "Asc, " + field + "Desc";
    return out;
}

// Sort values behave like an enum: <property>Asc or <property>Desc, matched
// without regard to case as an enum binder would.
outcome<sort_key> parse_sort(std::string_view value, const collection_spec& spec) {
    for (const auto& field : spec.sortable) {
        if (iequals(value, field + "Asc")) return sort_key{field, false};
        if (iequals(value, field + "Desc")) return sort_key{field, true};
    }
    return bad_request("The value '" + std::string(value) +
                       "' is not valid for Sort. Valid values: " + allowed_sort_values(spec) + ".");
}

const filter_spec* find_filter(const collection_spec& spec, std::string_view parameter) {
    for (const auto& f : spec.filters)
        if (f.parameter == parameter) return &f;
    return nullptr;
}

outcome<std::string> parse_filter(const filter_spec& f, std::string_view value) {
    for (const auto& allowed : f.values)
        if (iequals(value, allowed)) return allowed;
    return bad_request("The value '" + std::string(value) + "' is not valid for " + f.parameter + ".");
}

bool single_valued(const collection_spec& spec, std::string_view key) {
    return key == "Offset" || key == "Limit" || key == "SearchPattern" || find_filter(spec, key);
}

// Applies one parameter to `q`; nullopt when it was fine.
std::optional<failure> apply_parameter(list_query& q, const boost::urls::param& p, const collection_spec& spec) {
    if (p.key == "Offset") {
        const auto v = parse_int32(p.value);
        if (!v || *v < 0)
            return bad_request("The value '" + p.value + "' is not valid for Offset: expected an integer >= 0.");
        q.offset = *v;
    } else if (p.key == "Limit") {
        const auto v = parse_int32(p.value);
        if (!v || *v < -1)
            return bad_request("The value '" + p.value + "' is not valid for Limit: expected an integer >= -1.");
        q.limit = *v;
    } else if (p.key == "Sort") {
        auto key = parse_sort(p.value, spec);
        if (auto* f = std::get_if<failure>(&key)) return *f;
        q.sort.push_back(std::get<sort_key>(std::move(key)));
    } else if (p.key == "SearchPattern") {
        q.search_pattern = p.value;
    } else if (const filter_spec* f = find_filter(spec, p.key)) {
        auto value = parse_filter(*f, p.value);
        if (auto* bad = std::get_if<failure>(&value)) return *bad;
        q.filters.emplace_back(f, std::get<std::string>(std::move(value)));
    } else {
        q.ignored.push_back(p.key);
    }
    return std::nullopt;
}

std::string_view string_field(const json::object& item, std::string_view field) {
    const auto* v = item.if_contains(field);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

bool matches(const json::object& item, const list_query& q, const collection_spec& spec) {
    if (q.search_pattern && !icontains(string_field(item, spec.search_field), *q.search_pattern)) return false;
    return std::all_of(q.filters.begin(), q.filters.end(),
                       [&](const auto& f) { return iequals(string_field(item, f.first->field), f.second); });
}

double as_double(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}

template <class T>
int three_way(T a, T b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

// Absent properties sort first; strings ignore case, then fall back to it so the order is total.
int compare_values(const json::value* a, const json::value* b) {
    if (!a || !b) return three_way(a != nullptr, b != nullptr);
    if (a->is_string() && b->is_string()) {
        const int folded = icompare(a->get_string(), b->get_string());
        return folded != 0 ? folded : std::string_view(a->get_string()).compare(b->get_string());
    }
    if (a->is_number() && b->is_number()) return three_way(as_double(*a), as_double(*b));
    if (a->is_bool() && b->is_bool()) return three_way(a->get_bool(), b->get_bool());
    return 0;
}

bool sorts_before(const json::object& a, const json::object& b, const std::vector<sort_key>& keys) {
    for (const auto& key : keys) {
        const int order = compare_values(a.if_contains(key.field), b.if_contains(key.field));
        if (order != 0) return key.descending ? order > 0 : order < 0;
    }
    return false;
}

}  // namespace

outcome<list_query> parse_list_query(const boost::urls::params_view& params, const collection_spec& spec) {
    list_query q;
    std::set<std::string> seen;
    for (const boost::urls::param p : params) {
        if (single_valued(spec, p.key) && !seen.insert(p.key).second)
            return bad_request("The " + p.key + " parameter is given more than once.");
        if (auto bad = apply_parameter(q, p, spec)) return *bad;
    }
    return q;
}

json::object list_page(const std::vector<const json::object*>& items, const list_query& query,
                       const collection_spec& spec) {
    std::vector<const json::object*> selected;
    std::copy_if(items.begin(), items.end(), std::back_inserter(selected),
                 [&](const json::object* item) { return matches(*item, query, spec); });
    // The default order is the collection's own; Sort reorders it stably.
    if (!query.sort.empty())
        std::stable_sort(selected.begin(), selected.end(),
                         [&](const auto* a, const auto* b) { return sorts_before(*a, *b, query.sort); });

    const auto total = static_cast<std::int64_t>(selected.size());
    const std::int64_t start = std::min(query.offset, total);
    std::int64_t count = total - start;
    if (query.limit && *query.limit >= 0) count = std::min(count, *query.limit);
    if (spec.max_limit > 0) count = std::min(count, spec.max_limit);

    json::array results;
    results.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = start; i < start + count; ++i) results.emplace_back(*selected[static_cast<std::size_t>(i)]);
    return {{"totalCount", total}, {"results", std::move(results)}};
}

}  // namespace sim::veeam
