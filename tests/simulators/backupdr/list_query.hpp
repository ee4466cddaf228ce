// List view queries (section 5): offset and limit (5.1), filter (5.2), sort
// (5.3) and keyword (5.4), parsed strictly so that a client's mistake is
// answered with the document's 400 rather than silently ignored.
#pragma once

#include "tests/simulators/backupdr/replies.hpp"
#include "tests/simulators/backupdr/schema.hpp"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sim::backupdr {

enum class filter_op { exact_match, contains, greater_eq, less_eq, bitwise_and };

struct filter {
    const field* attr = nullptr;
    filter_op op = filter_op::exact_match;
    boost::json::value operand;  // already converted to attr's type
};

struct sort_order {
    const field* attr = nullptr;
    bool descending = false;
};

struct list_query {
    std::vector<filter> filters;
    std::vector<std::string> keywords;  // lower-cased
    std::vector<std::string_view> keyword_fields;  // where keywords are searched (section 5.4)
    std::optional<sort_order> sort;
    std::uint64_t offset = 0;
    std::uint64_t limit = 1000;  // section 5.1: "It defaults to 1000"
};

enum class list_use { page, count };  // count: HEAD, which ignores pagination (section 3.3)

outcome<list_query> parse_list_query(const boost::urls::params_view& params, const resource_schema& schema,
                                     list_use use);

// One filter=attr:<op><value> parameter, already percent-decoded.
outcome<filter> parse_filter(std::string_view text, const resource_schema& schema);

// All filters, the keyword search and nothing else (no sorting, no paging).
bool matches(const boost::json::object& item, const list_query& q);

// Keeps the items that match and orders them: by q.sort, ties (and no sort at
// all) in the order given.
void select(std::vector<const boost::json::object*>& items, const list_query& q);

}  // namespace sim::backupdr
