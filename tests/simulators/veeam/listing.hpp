// Collection queries as the overview's "Query Parameters" section describes them:
// Offset, Limit, Sort, SearchPattern and filter parameters, all case-sensitive,
// applied in the documented order (filter and sort, then Offset, then Limit).
#pragma once

#include "tests/simulators/veeam/replies.hpp"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sim::veeam {

// A filter query parameter, e.g. ProtectionStatus=Protected on virtualMachines.
struct filter_spec {
    std::string parameter;            // its case-sensitive name in the query
    std::string field;                // the item property it compares with
    std::vector<std::string> values;  // accepted values (case-insensitive, like an enum)
};

// What one collection accepts.
struct collection_spec {
    std::vector<std::string> sortable;  // properties usable as <property>Asc / <property>Desc
    std::string search_field = "name";  // SearchPattern matches this property
    std::vector<filter_spec> filters = {};
    std::int64_t max_limit = 0;  // a server-side page cap; 0: none
};

struct sort_key {
    std::string field;
    bool descending = false;
};

struct list_query {
    std::int64_t offset = 0;
    std::optional<std::int64_t> limit;  // absent or -1: the whole (filtered) collection
    std::vector<sort_key> sort;
    std::optional<std::string> search_pattern;
    std::vector<std::pair<const filter_spec*, std::string>> filters;
    std::vector<std::string> ignored;  // parameters the collection does not know
};

// Validates the query string against `spec`. Unknown parameters (including
// `offset` in lower case) are ignored, as a server ignores what it does not bind;
// known ones with bad values are a 400.
outcome<list_query> parse_list_query(const boost::urls::params_view& params, const collection_spec& spec);

// {"totalCount": <items after filtering>, "results": [<the window>]}
boost::json::object list_page(const std::vector<const boost::json::object*>& items, const list_query& query,
                              const collection_spec& spec);

}  // namespace sim::veeam
