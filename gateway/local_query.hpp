// The query language applied by the gateway itself, for a vendor that has
// neither paging nor a query of its own (CloudBasic, query_support::local):
// the whole list is fetched, then filtered, searched and sorted here, and the
// window is cut from what remains.
//
// A field is an item's top-level member, or a path into nested objects
// ("source.region"). Comparisons, as docs/pagination.md states them:
//   exact (filter[f]=v)  a string equal to v; a number equal to v read as a
//                        number; a boolean "true"/"false"; null "null"
//   [gte], [lte]         numbers as numbers, strings byte by byte (ISO 8601
//                        times compare as times); other kinds never match
//   [contains]           a string that holds v (case as written)
//   q                    any text member holding it, case-insensitive (ASCII)
//   sort                 missing and null first, then false < true, numbers,
//                        strings byte by byte; ties keep the vendor's order
#pragma once

#include "adapters/list_query.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace bg {

// The items (each one JSON text) that pass q's filters and search, in q's
// order; views into the same texts. An item that is not valid JSON is kept
// only when nothing filters (it cannot match a field).
std::vector<std::string_view> apply_local_query(std::span<const std::string_view> items,
                                                const adapters::list_query& q);

}  // namespace bg
