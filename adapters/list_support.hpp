// Small pure helpers the vendors' list dialects share (adapters/<vendor>/<vendor>_list.*):
// where a path sits below a backend's base path, reading a JSON body, whole
// numbers in JSON and in headers, and the pagination part of a query.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bg::adapters::lists {

// The part of `upstream_path` below `base_path` ("/users/" for "/api/users/"
// under "/api"; base_path has no trailing slash, "" for the root). nullopt
// when the path is not below the base path.
std::optional<std::string_view> below_base(std::string_view upstream_path, std::string_view base_path);

// The body as a JSON value; nullopt when it is not one JSON text.
std::optional<boost::json::value> parse_json(std::string_view body, boost::json::storage_ptr storage = {});

// A JSON number that is a whole number ≥ 0 (an integer, not a double); nullopt otherwise.
std::optional<std::uint64_t> whole_number(const boost::json::value* v);

// Plain decimal digits (no sign, no spaces) that fit in 64 bits; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// The pagination part of a query, encoded (bg::encoding::encode_query), in the order given.
std::string query(std::initializer_list<std::pair<std::string_view, std::string>> params);

// The collection index of the window's last item, [offset, offset + limit) with
// limit ≥ 1, saturated at the largest index instead of wrapping.
std::uint64_t last_index(std::uint64_t offset, std::uint64_t limit);

}  // namespace bg::adapters::lists
