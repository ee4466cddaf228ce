#include "tests/simulators/cpm/listing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace sim::cpm {

namespace {

struct active_filter {
    const filter_field* field;
    json::value expected;
};

struct order_key {
    std::string_view field;
    bool descending;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Python's int(): surrounding blanks and a '+' are allowed.
std::optional<std::int64_t> python_int(std::string_view s) {
    s = trim(s);
    if (s.starts_with('+')) s.remove_prefix(1);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return n;
}

std::string text_of(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return {};
    return json::serialize(v);
}

// django-filter: an empty value is no filter; a boolean it cannot read is no
// filter either (its BooleanWidget gives None); a bad number is a 400.
std::vector<active_filter> read_filters(const list_spec& spec, const params& args, json::object& errors) {
    std::vector<active_filter> active;
    for (const auto& f : spec.filters) {
        const std::string* given = find(args, f.name);
        if (!given || given->empty()) continue;
        if (f.kind == filter_kind::integer) {
            if (auto n = python_int(*given)) active.push_back({&f, *n});
            else errors[f.name] = error_list("Enter a number.", "invalid");
        } else if (f.kind == filter_kind::boolean) {
            if (*given == "true" || *given == "True" || *given == "1") active.push_back({&f, true});
            else if (*given == "false" || *given == "False" || *given == "0") active.push_back({&f, false});
        } else {
            active.push_back({&f, json::string(*given)});
        }
    }
    return active;
}

bool passes(const json::object& item, const std::vector<active_filter>& filters) {
    for (const auto& f : filters) {
        const json::value* v = item.if_contains(f.field->name);
        if (!v) return false;
        if (f.field->kind == filter_kind::text ? text_of(*v) != f.expected.as_string() : *v != f.expected) return false;
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// SearchFilter: terms split on blanks and commas.
std::vector<std::string> search_terms(const params& args) {
    std::vector<std::string> terms;
    const std::string* given = find(args, "search");
    if (!given) return terms;
    std::string term;
    for (char c : *given) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '\0') {
            if (!term.empty()) terms.push_back(lower(term));
            term.clear();
        } else {
            term.push_back(c);
        }
    }
    if (!term.empty()) terms.push_back(lower(term));
    return terms;
}

bool found(const json::object& item, const list_spec& spec, const std::vector<std::string>& terms) {
    for (const auto& term : terms) {
        bool any = std::any_of(spec.search.begin(), spec.search.end(), [&](std::string_view name) {
            const json::value* v = item.if_contains(name);
            return v && lower(text_of(*v)).find(term) != std::string::npos;
        });
        if (!any) return false;
    }
    return true;
}

// OrderingFilter: unknown fields are dropped silently; none left is the default order (by id).
std::vector<order_key> read_ordering(const list_spec& spec, const params& args) {
    std::vector<order_key> keys;
    const std::string* given = find(args, "ordering");
    if (!given) return keys;
    std::string_view rest = *given;
    while (true) {
        auto comma = rest.find(',');
        std::string_view term = trim(rest.substr(0, comma));
        bool descending = term.starts_with('-');
        std::string_view name = descending ? term.substr(1) : term;
        auto known = std::find(spec.ordering.begin(), spec.ordering.end(), name);
        if (known != spec.ordering.end()) keys.push_back({*known, descending});
        if (comma == std::string_view::npos) return keys;
        rest.remove_prefix(comma + 1);
    }
}

int compare_scalars(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) {
        double x = a.to_number<double>(), y = b.to_number<double>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_bool() && b.is_bool()) return static_cast<int>(a.as_bool()) - static_cast<int>(b.as_bool());
    int c = text_of(a).compare(text_of(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int rank_of(const list_spec& spec, const json::value& v) {
    auto it = std::find(spec.rank.begin(), spec.rank.end(), text_of(v));
    return static_cast<int>(it - spec.rank.begin());
}

// PostgreSQL's order: NULL after every value ascending, before them descending.
int compare_field(const list_spec& spec, std::string_view field, const json::value* a, const json::value* b) {
    bool a_null = !a || a->is_null(), b_null = !b || b->is_null();
    if (a_null || b_null) return static_cast<int>(a_null) - static_cast<int>(b_null);
    if (field == spec.ranked_field) return rank_of(spec, *a) - rank_of(spec, *b);
    return compare_scalars(*a, *b);
}

void sort_rows(std::vector<const row*>& rows, const list_spec& spec, const std::vector<order_key>& keys) {
    if (keys.empty()) return;  // already by id
    // stable: equal keys stay in id order, so the answer is deterministic
    std::stable_sort(rows.begin(), rows.end(), [&](const row* a, const row* b) {
        for (const auto& key : keys) {
            int c = compare_field(spec, key.field, a->value.if_contains(key.field), b->value.if_contains(key.field));
            if (c != 0) return key.descending ? c > 0 : c < 0;
        }
        return false;
    });
}

std::string json_array(std::vector<const row*>::const_iterator first, std::vector<const row*>::const_iterator last) {
    std::size_t size = 2;
    for (auto it = first; it != last; ++it) size += (*it)->text.size() + 1;
    std::string out;
    out.reserve(size);
    out.push_back('[');
    for (auto it = first; it != last; ++it) {
        if (it != first) out.push_back(',');
        out += (*it)->text;
    }
    out.push_back(']');
    return out;
}

// DRF's _positive_int(strict=True, cutoff=max_page_size); nullopt turns pagination off.
std::optional<std::size_t> page_size_of(const params& args, std::size_t max_page_size) {
    const std::string* given = find(args, "page_size");
    if (!given) return std::nullopt;
    auto n = python_int(*given);
    if (!n || *n <= 0) return std::nullopt;
    return std::min<std::size_t>(static_cast<std::size_t>(*n), max_page_size);
}

json::value page_link(const list_context& ctx, std::optional<std::int64_t> page) {
    std::string query = with_param(ctx.args, "page", page ? std::optional(std::to_string(*page)) : std::nullopt);
    std::string url = ctx.origin + std::string(ctx.path);
    if (!query.empty()) url += "?" + query;
    return json::string(url);
}

response one_page(const std::vector<const row*>& rows, std::size_t page_size, const list_context& ctx) {
    std::int64_t count = static_cast<std::int64_t>(rows.size());
    std::int64_t pages = std::max<std::int64_t>(1, (count + static_cast<std::int64_t>(page_size) - 1) /
                                                      static_cast<std::int64_t>(page_size));
    const std::string* given = find(ctx.args, "page");
    std::optional<std::int64_t> page = !given ? 1 : (*given == "last" ? std::optional(pages) : python_int(*given));
    if (!page || *page < 1 || *page > pages)
        return error_answer(http::status::not_found, "detail", "Invalid page.", "not_found");

    auto first = rows.begin() + std::min<std::int64_t>(count, (*page - 1) * static_cast<std::int64_t>(page_size));
    auto last = rows.begin() + std::min<std::int64_t>(count, *page * static_cast<std::int64_t>(page_size));
    json::value next = *page < pages ? page_link(ctx, *page + 1) : json::value(nullptr);
    json::value previous = *page == 1 ? json::value(nullptr)
                                      : page_link(ctx, *page == 2 ? std::nullopt : std::optional(*page - 1));
    std::string body = "{\"count\":" + std::to_string(count) + ",\"next\":" + json::serialize(next) +
                       ",\"previous\":" + json::serialize(previous) + ",\"results\":" + json_array(first, last) + "}";
    return json_answer(http::status::ok, std::move(body));
}

}  // namespace

response list(const table& rows, const list_spec& spec, const row_scope& scope, const list_context& ctx) {
    json::object errors;
    auto filters = read_filters(spec, ctx.args, errors);
    if (!errors.empty()) return errors_answer(http::status::bad_request, std::move(errors));
    auto terms = search_terms(ctx.args);

    std::vector<const row*> selected;
    selected.reserve(rows.size());
    for (const auto& [id, r] : rows)
        if ((!scope || scope(r.value)) && passes(r.value, filters) && found(r.value, spec, terms))
            selected.push_back(&r);
    sort_rows(selected, spec, read_ordering(spec, ctx.args));

    auto page_size = spec.paginated ? page_size_of(ctx.args, ctx.max_page_size) : std::nullopt;
    if (!page_size) return json_answer(http::status::ok, json_array(selected.begin(), selected.end()));
    return one_page(selected, *page_size, ctx);
}

}  // namespace sim::cpm
