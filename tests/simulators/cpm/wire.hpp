// What CPM's server (Django REST framework behind the document) does with the
// bytes of a request and a response: query strings, form bodies, the Accept
// header, and the bodies of its answers.
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sim::cpm {

namespace json = boost::json;

// Decoded key/value pairs in the order received ('+' is a space, as in Django).
using params = std::vector<std::pair<std::string, std::string>>;

struct target_parts {
    std::string_view path;   // still percent-encoded, as Django's get_full_path() gives it back
    std::string_view query;  // raw, without '?'
    params args;
};

target_parts split_target(std::string_view target);
params parse_form(std::string_view body);  // application/x-www-form-urlencoded

// Like Django's QueryDict.get(): the last value given for `key`.
const std::string* find(const params& p, std::string_view key);

// DRF's replace_query_param(): `key` set to `value` (or removed when nullopt),
// then every key sorted and the values url-encoded with quote_plus.
std::string with_param(const params& p, std::string_view key, std::optional<std::string> value);

// One media range of an Accept header: "application/json; version=1.1.0".
struct media_range {
    std::string type;  // lower case, e.g. "application/json"
    std::vector<std::pair<std::string, std::string>> params;
    const std::string* param(std::string_view name) const;
};
std::vector<media_range> parse_accept(std::string_view header);
bool media_matches(const media_range& range, std::string_view offered);  // "*/*" and "type/*" included

// --- answers ---

response json_answer(http::status status, std::string body);
// {"errors":[fields]}, the document's error body (section 1.8).
response errors_answer(http::status status, json::object fields);
// One message for one key: {"errors":[{key:[{"message":..,"code":..}]}]}; DRF's
// non-field errors use the key "detail".
response error_answer(http::status status, std::string_view key, std::string_view message, std::string_view code);
json::array error_list(std::string_view message, std::string_view code);
// What Django itself answers for a URL no route matches (DEBUG off).
response django_not_found();
response django_bad_request();

}  // namespace sim::cpm
