#include "gateway/route.hpp"

#include "core/ascii.hpp"

#include <boost/beast/core/string.hpp>

namespace bg {
namespace {

// "." or ".." once percent-decoding of %2e is applied: one or two dots, each
// written as '.', "%2e" or "%2E".
bool is_dot_segment(std::string_view seg)
{
    std::size_t dots = 0;
    for (std::size_t i = 0; i < seg.size(); ++dots) {
        if (seg[i] == '.')
            i += 1;
        else if (bg::iequals(seg.substr(i, 3), "%2e"))
            i += 3;
        else
            return false;
    }
    return dots == 1 || dots == 2;
}

gateway_error bad(std::string detail) { return gateway_error{errc::bad_request, std::move(detail), {}, {}}; }

}  // namespace

std::variant<route, gateway_error> parse_route(std::string_view target)
{
    if (target.empty() || target.front() != '/')
        return bad("the request target must be a path starting with '/' (origin-form)");
    if (target.find('#') != std::string_view::npos)
        return bad("the request target must not contain a fragment ('#')");
    route r;
    auto path = target;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        path = target.substr(0, q);
        r.query = target.substr(q + 1);
        r.has_query = true;
    }
    path.remove_prefix(1);
    const auto slash = path.find('/');
    r.backend = path.substr(0, slash);
    r.path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (r.backend.empty())
        return bad("the path must start with a backend name: /{backend}/{path}");
    if (is_dot_segment(r.backend))
        return bad("the path must not contain '.' or '..' segments");
    for (auto rest = r.path; !rest.empty();) {
        const auto end = rest.find('/');
        if (is_dot_segment(rest.substr(0, end)))
            return bad("the path must not contain '.' or '..' segments");
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
    return r;
}

std::string upstream_path(std::string_view base_path, const route& r)
{
    std::string t;
    t.reserve(base_path.size() + 2 + r.path.size() + r.query.size());
    t.append(base_path).append("/").append(r.path);
    if (r.has_query)
        t.append("?").append(r.query);
    return t;
}

}  // namespace bg
