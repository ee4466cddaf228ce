// The client's side of the query language (docs/pagination.md, "Sorting,
// searching and filtering"): the parameters of a list request other than
// paging, read into an adapters::list_query.
//
//   sort=name,-created          sort keys, '-' for descending, most significant first
//   q=text                      free-text search
//   filter[field]=v             exact match; repeated: any of the values
//   filter[field][gte]=v        ≥ v;  [lte]: ≤ v;  [contains]: v is a part of it
//
// Brackets may come raw or percent-encoded; values are percent-decoded with
// '+' read as a space (as the vendors' servers read their queries). Every
// other parameter is the vendor's own: kept (decoded, and as sent) in
// `native`. A mistake in the gateway's syntax is a 400 naming the parameter:
// sort or q given twice, an empty sort key or a field sorted twice, an empty
// value, an unknown operator, a filter that is not filter[field] or
// filter[field][op], the same operator on a field twice (but for exact
// matches, which make a union).
#pragma once

#include "adapters/list_query.hpp"
#include "core/errors.hpp"

#include <string_view>
#include <variant>

namespace bg {

// `rest`: page_window::rest (the query without its paging, encoded as
// parse_page_query() leaves it).
std::variant<adapters::list_query, gateway_error> parse_list_query(std::string_view rest);

}  // namespace bg
