// CloudBasic's two wire formats. The document: "All API methods accept XML and
// JSON. API Response is rendered in XML or JSON accordingly", and errors are
// always XML (<Error><RequestId/><Message/></Error>, application/xml).
#pragma once

#include "tests/simulators/cloudbasic/store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sim::cloudbasic {

enum class format { json, xml };

std::string_view content_type_of(format f);  // with "; charset=utf-8"

// The format a request's body is in, from its Content-Type: application/json,
// application/xml or text/xml. nullopt for anything else (415).
std::optional<format> body_format(std::string_view content_type);

// The answer's format from Accept (media ranges with q-values). A wildcard,
// or no Accept at all, means the request body's format when it has one, else
// JSON. nullopt when Accept allows neither JSON nor XML (406).
std::optional<format> negotiate(std::string_view accept, std::optional<format> request_format);

// {"Replications":[{...},...]}  or  <Replications><Replication>...</Replication></Replications>
std::string render_list(format f, const kind_names& names, const boost::json::array& items);
// {"Replication":{...}}  or  <Replication><Id>...</Id>...</Replication>
std::string render_item(format f, std::string_view item_name, const boost::json::object& item);
// The document's error body, byte for byte in its layout.
std::string render_error(std::uint64_t request_id, std::string_view message);

std::string xml_escape(std::string_view text);

// POST parameters from a JSON object or a flat XML element
// (<Replication><Name>..</Name>...</Replication>): a JSON object either way.
outcome<boost::json::object> parse_parameters(format f, std::string_view body);

}  // namespace sim::cloudbasic
