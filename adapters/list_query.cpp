#include "adapters/list_query.hpp"

#include <algorithm>

namespace bg::adapters {
namespace {

gateway_error bad_query(std::string detail) { return gateway_error{errc::bad_request, std::move(detail), {}, {}}; }

std::string joined(const std::vector<std::string_view>& names)
{
    std::string out;
    for (const auto& n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out.empty() ? std::string("nothing") : out;
}

std::string ops_text(unsigned ops)
{
    std::vector<std::string_view> names;
    if (ops & op_equals)
        names.push_back(ops & op_union ? "exact match (one value or several)" : "exact match (one value)");
    if (ops & op_gte)
        names.push_back("[gte]");
    if (ops & op_lte)
        names.push_back("[lte]");
    if (ops & op_contains)
        names.push_back("[contains]");
    return joined(names);
}

std::string where(std::string_view backend) { return "backend '" + std::string(backend) + "' "; }

// "/accounts/ (n2ws-cpm-rest-api.txt §3.1.2)"
std::string collection_of(const query_support& s)
{
    std::string out(s.collection);
    if (!s.source.empty())
        out += " (" + std::string(s.source) + ")";
    return out;
}

std::optional<gateway_error> check_sort(const list_query& q, const query_support& s, std::string_view backend)
{
    if (q.sort.empty() || s.local)
        return std::nullopt;
    if (s.sort_keys == 0)
        return bad_query("query parameter 'sort': " + where(backend) + "cannot sort " + collection_of(s));
    if (q.sort.size() > s.sort_keys)
        return bad_query("query parameter 'sort': " + where(backend) + "sorts " + collection_of(s) + " by " +
                         (s.sort_keys == 1 ? std::string("one key") : std::to_string(s.sort_keys) + " keys") +
                         " at most, got " + std::to_string(q.sort.size()));
    if (s.sort_fields.empty())
        return std::nullopt;
    for (const auto& k : q.sort)
        if (std::find(s.sort_fields.begin(), s.sort_fields.end(), k.field) == s.sort_fields.end())
            return bad_query("query parameter 'sort': " + where(backend) + "cannot sort " + collection_of(s) +
                             " by '" + k.field + "'; it sorts by: " + joined(s.sort_fields));
    return std::nullopt;
}

std::optional<gateway_error> check_filter(const field_filter& f, const query_support& s, std::string_view backend)
{
    if (s.local)
        return std::nullopt;
    const auto* known = s.find_filter(f.field);
    const unsigned ops = known ? known->ops : s.any_field_ops;
    if (ops == 0) {
        std::vector<std::string_view> fields;
        for (const auto& k : s.filters)
            fields.push_back(k.field);
        return bad_query("query parameter '" + f.parameter + "': " + where(backend) + "cannot filter " +
                         collection_of(s) + " by '" + f.field + "'" +
                         (fields.empty() ? std::string("; it filters by no field") : "; it filters by: " + joined(fields)));
    }
    if ((ops & static_cast<unsigned>(f.op)) == 0)
        return bad_query("query parameter '" + f.parameter + "': " + where(backend) + "filters " +
                         collection_of(s) + " by '" + f.field + "' with " + ops_text(ops) + " only");
    if (known && known->boolean)
        for (const auto& v : f.values)
            if (v != "true" && v != "false")
                return bad_query("query parameter '" + f.parameter + "': '" + f.field + "' is true or false, got '" +
                                 v.substr(0, 40) + "'");
    if (f.values.size() > 1 && (ops & op_union) == 0)
        return bad_query("query parameter '" + f.parameter + "' is given " + std::to_string(f.values.size()) +
                         " values (any of them); " + where(backend) + "matches " + collection_of(s) + "'s '" +
                         f.field + "' against one value");
    return std::nullopt;
}

}  // namespace

const filterable* query_support::find_filter(std::string_view field) const
{
    const auto it = std::find_if(filters.begin(), filters.end(), [&](const filterable& f) { return f.field == field; });
    return it == filters.end() ? nullptr : &*it;
}

std::optional<gateway_error> check_query(const list_query& q, const query_support* support, std::string_view backend,
                                         bool strict)
{
    if (!support) {
        if (q.has_language()) {
            // (A std::string: the ?: of a literal and a std::string is a temporary string.)
            const std::string name = !q.sort.empty() ? "sort" : q.search ? "q" : q.filters.front().parameter;
            return bad_query("query parameter '" + name + "': backend '" + std::string(backend) +
                             "' cannot sort, search or filter this list");
        }
        if (strict && !q.native.empty())
            return bad_query("query parameter '" + q.native.front().first + "': backend '" + std::string(backend) +
                             "' documents no query parameter for this list (query: strict)");
        return std::nullopt;
    }
    const auto& s = *support;
    if (auto e = check_sort(q, s, backend))
        return e;
    if (q.search && !s.local && !s.search)
        return bad_query("query parameter 'q': " + where(backend) + "has no free-text search on " +
                         collection_of(s));
    for (const auto& f : q.filters)
        if (auto e = check_filter(f, s, backend))
            return e;
    if (!strict)
        return std::nullopt;
    for (const auto& [name, value] : q.native) {
        (void)value;
        if (std::find(s.native.begin(), s.native.end(), name) != s.native.end())
            continue;
        std::string takes = s.native.empty() ? std::string("it documents none") : "it documents: " + joined(s.native);
        return bad_query("query parameter '" + name + "' is not one " + where(backend) + "documents for " +
                         collection_of(s) + " (query: strict); " + takes + "; or use sort, q and filter[...]");
    }
    return std::nullopt;
}

void add_exact_filters(const list_query& q, const query_support& support, vendor_params& out)
{
    for (const auto& f : q.filters) {
        const auto* known = support.find_filter(f.field);
        const std::string name(known && !known->parameter.empty() ? known->parameter : f.field);
        for (const auto& v : f.values)
            out.emplace_back(name, v);
    }
}

std::optional<gateway_error> check_clash(const list_query& q, const vendor_params& translated,
                                         std::string_view backend)
{
    for (const auto& native : q.native) {
        const std::string& name = native.first;
        const auto it = std::find_if(translated.begin(), translated.end(),
                                     [&](const auto& p) { return p.first == name; });
        if (it != translated.end())
            return bad_query("query parameter '" + name + "' is backend '" + std::string(backend) +
                             "''s own, and the gateway sends it for the sort, q or filter[...] given too; "
                             "use one or the other");
    }
    return std::nullopt;
}

}  // namespace bg::adapters
