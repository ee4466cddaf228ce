// One query language for every list (docs/pagination.md, "Sorting, searching
// and filtering"): the client's sort, free-text search and field filters, in
// the gateway's own syntax, and what each vendor's collection can do with
// them. gateway/query.cpp parses the client's syntax into a list_query; an
// adapter says what a collection supports (query_support, from the vendor's
// document) and how its dialect spells it (list_dialect::render_query);
// check_query() refuses, with a 400 naming the parameter, whatever the
// collection cannot do, so that nothing a client asked for is ever dropped.
#pragma once

#include "core/errors.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bg::adapters {

struct sort_key {
    std::string field;
    bool descending = false;
};

enum class filter_op : unsigned { equals = 1, gte = 2, lte = 4, contains = 8 };

struct field_filter {
    std::string field;
    filter_op op = filter_op::equals;
    // equals: one value, or several (a union: any of them); the others: one.
    std::vector<std::string> values;
    std::string parameter;  // as the client wrote it, decoded, for messages: "filter[name][gte]"
};

// A client's query beyond paging, decoded.
struct list_query {
    std::vector<sort_key> sort;          // sort=name,-created
    std::optional<std::string> search;   // q=text
    std::vector<field_filter> filters;   // filter[f]=v, filter[f][gte]=v, … (one per field and operator)
    // Every other parameter: the vendor's own, forwarded as the client encoded them.
    std::vector<std::pair<std::string, std::string>> native;  // decoded (name, value), in the client's order
    std::string native_encoded;                               // "a=1&b=x%20y", as sent

    bool has_language() const { return !sort.empty() || search || !filters.empty(); }
};

// Operators a vendor applies to a field, as a mask of filter_op bits, and
// whether it takes several exact values at once (a union).
inline constexpr unsigned op_equals = static_cast<unsigned>(filter_op::equals);
inline constexpr unsigned op_gte = static_cast<unsigned>(filter_op::gte);
inline constexpr unsigned op_lte = static_cast<unsigned>(filter_op::lte);
inline constexpr unsigned op_contains = static_cast<unsigned>(filter_op::contains);
inline constexpr unsigned op_union = 16;
inline constexpr unsigned op_range = op_gte | op_lte;

struct filterable {
    std::string_view field = {};  // the item's field, as the client names it
    unsigned ops = op_equals;    // what the vendor does with it (op_* bits)
    std::string_view parameter = {};  // the vendor's query parameter when it is not the field's name ("" : the field's)
    // The vendor reads the value as a boolean and silently ignores one it
    // cannot read (django-filter): the gateway takes "true" and "false" only.
    bool boolean = false;
};

// What one collection does server-side, from the vendor's document.
struct query_support {
    std::string_view collection = {};  // for messages: "/accounts/"
    std::string_view source = {};      // where the document says so: "n2ws-cpm-rest-api.txt §3.1.2"
    std::size_t sort_keys = 0;    // how many sort keys it takes at once; 0: it does not sort
    std::vector<std::string_view> sort_fields = {};  // empty (with sort_keys > 0): any field, the vendor checks
    bool search = false;                        // free-text search (q)
    std::string_view search_in = {};            // what it searches, for messages and docs
    std::vector<filterable> filters = {};       // fields it filters on
    unsigned any_field_ops = 0;  // operators on a field not in `filters` (the vendor checks names and types); 0: none
    // The vendor's own parameters documented for this collection (paging
    // aside): the only ones `query: strict` lets through.
    std::vector<std::string_view> native = {};
    // The gateway sorts, searches and filters itself over the whole
    // collection (the vendor has no paging or query of its own): every
    // field, every operator, any number of sort keys.
    bool local = false;

    const filterable* find_filter(std::string_view field) const;
};

// The vendor's parameters for a query (decoded names and values, in order).
using vendor_params = std::vector<std::pair<std::string, std::string>>;

// A 400 naming the first of the client's parameters that the collection
// cannot do, or, under `strict`, the first native parameter its document
// does not list. `support` null: the collection takes no query at all.
// `backend`: its name, for the message.
std::optional<gateway_error> check_query(const list_query& q, const query_support* support, std::string_view backend,
                                         bool strict);

// The client's exact-match filters as the vendor's own parameters, one per
// value: `<parameter>=<value>`, the parameter being the filterable's
// (Veeam's ProtectionStatus) or the field's name (CPM's account). For dialects
// whose filters are plain field parameters (check_query() has refused any
// other operator).
void add_exact_filters(const list_query& q, const query_support& support, vendor_params& out);

// A 400 when a native parameter has the name of one the translation sends
// (CPM's `ordering` next to `sort`): the two would contradict each other.
std::optional<gateway_error> check_clash(const list_query& q, const vendor_params& translated,
                                         std::string_view backend);

}  // namespace bg::adapters
