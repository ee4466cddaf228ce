// Routing: the first path segment names the backend, the rest goes upstream.
#pragma once

#include "core/errors.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace bg {

struct route {
    std::string_view backend;  // "cpm"
    std::string_view path;     // "policies/" — after the backend's slash, kept exactly as sent
    std::string_view query;    // "page=3&page_size=20" — without '?', kept exactly as sent
    bool has_query = false;    // "?" present, even if empty
};

// Splits an origin-form request target ("/cpm/policies/?page=3"). Rejects what
// must not reach an upstream: other target forms, an empty backend, dot
// segments (plain or percent-encoded) that would climb out of base_url's path,
// and a fragment.
std::variant<route, gateway_error> parse_route(std::string_view target);

// base_path + "/" + path [+ "?" + query]: the upstream's request target.
std::string upstream_path(std::string_view base_path, const route& r);

}  // namespace bg
