// Small pure helpers the vendors' list dialects share (adapters/<vendor>/<vendor>_list.*):
// where a path sits below a backend's base path, reading a JSON body (error
// answers) and the outline of a list answer, whole numbers in JSON and in
// headers, and the pagination part of a query.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bg::adapters::lists {

// The part of `upstream_path` below `base_path` ("/users/" for "/api/users/"
// under "/api"; base_path has no trailing slash, "" for the root). nullopt
// when the path is not below the base path.
std::optional<std::string_view> below_base(std::string_view upstream_path, std::string_view base_path);

// The body as a JSON document (error answers); nullopt when it is not one JSON text.
std::optional<boost::json::value> parse_json(std::string_view body);

// A list answer's top level, read without building its items: an item is
// kept as the upstream's own JSON text (a view into the body), so the
// envelope carries it byte for byte (Boost.JSON's serializer would rewrite
// 1.5 as 1.5E0, and parsing every item into a document and serializing it
// again was a third of a W3 request's CPU). The whole body is validated by
// Boost.JSON's parser first; the scan that finds where each top-level value
// ends relies on that.
class json_outline {
public:
    // nullopt when `body` is not one JSON text.
    static std::optional<json_outline> read(std::string_view body);

    bool is_array() const { return array_; }
    bool is_object() const { return object_; }
    // The top-level array's elements (empty for an object).
    const std::vector<std::string_view>& elements() const { return elements_; }
    // The top-level object's distinct keys.
    std::size_t size() const;
    // A member's value text (the last one, if the key repeats, as a document
    // keeps; keys compared unescaped); nullopt when absent.
    std::optional<std::string_view> member_text(std::string_view key) const;
    // The elements of a member that is an array; null when absent or not an array.
    const std::vector<std::string_view>* member_elements(std::string_view key) const;
    // The elements of the object's only member, if it has one member and that is an array.
    const std::vector<std::string_view>* only_member_elements() const;

private:
    struct member {
        std::string key;
        std::string_view value;
        std::optional<std::vector<std::string_view>> elements;  // when the value is an array
    };
    const member* find(std::string_view key) const;

    bool array_ = false;
    bool object_ = false;
    std::vector<std::string_view> elements_;
    std::vector<member> members_;
};

// `value` (a JSON value's text from a json_outline) as a whole number ≥ 0:
// an integer, not a fraction or exponent; nullopt otherwise.
std::optional<std::uint64_t> whole_number(std::optional<std::string_view> value);

// Plain decimal digits (no sign, no spaces) that fit in 64 bits; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// The pagination part of a query, encoded (bg::encoding::encode_query), in the order given.
std::string query(std::initializer_list<std::pair<std::string_view, std::string>> params);

// The collection index of the window's last item, [offset, offset + limit) with
// limit ≥ 1, saturated at the largest index instead of wrapping.
std::uint64_t last_index(std::uint64_t offset, std::uint64_t limit);

}  // namespace bg::adapters::lists
