// The admin listener's status page (docs/operations.md): GET /status.json,
// the facts (server::status()), and GET /, the same facts as one HTML page
// rendered here: no script, no external asset, refreshing itself.
#pragma once

#include <boost/json/object.hpp>

#include <string>

namespace bg {

// The page for server::status()'s document. Every string from it is
// escaped; a missing fact shows as "—".
std::string render_status_html(const boost::json::object& status);

}  // namespace bg
