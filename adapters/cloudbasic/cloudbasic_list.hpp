// CloudBasic's lists and errors (cloudbasic-rest-api.txt: "All API methods
// accept XML and JSON. API Response is rendered in XML or JSON accordingly";
// "Passing Parameters": parameters go in the body; "REST Error Responses").
//
// The API has no pagination: a list is fetched whole, once, with no query
// (parameters are passed in the body; backup-sim refuses any query string
// with 400), and the core cuts the window from it. The document names the
// action groups (Instance, User, Replication, Multi-AZ HA Cluster
// Management) but not their paths or bodies: the paths and the list body,
// {"Replications": [...]} (one member holding the array), are backup-sim's
// (docs/simulators.md, "CloudBasic"); a bare JSON array is taken too. Lists
// are always asked for in JSON (media_type()).
#pragma once

#include "adapters/adapter.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bg::adapters {

class cloudbasic_list final : public list_dialect {
public:
    // One call, no query: first 0, asked 0 (everything).
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const override;
    bool starts_anywhere() const override { return false; }
    std::optional<list_page> decode(const upstream_response& res) const override;
    std::vector<std::string_view> reserved_parameters() const override { return {}; }
    // Lists are asked for in JSON: their items become the envelope's. A client
    // that prefers XML is refused (406) rather than answered unpaged.
    std::string_view media_type() const override { return "application/json"; }
};

// GET /replications, /instances, /users, /clusters (below the base path).
bool cloudbasic_is_list_path(std::string_view path_after_base);

// The lists above: the gateway sorts, searches and filters them itself
// over the whole list (query_support::local); CloudBasic takes no query
// parameter (parameters go in the body), so none is native. Null for others.
const query_support* cloudbasic_query_at(std::string_view path_after_base);

// "REST Error Responses": <Error><RequestId>…</RequestId><Message>…</Message></Error>
// → the Message's text, entities decoded, surrounding white space trimmed.
// nullopt for any other body (not well-formed, another root, no Message,
// elements inside the children, a DOCTYPE, …).
std::optional<std::string> cloudbasic_error_message(const upstream_response& res);

// The same on a body alone (for tests).
std::optional<std::string> cloudbasic_xml_error_message(std::string_view body);

}  // namespace bg::adapters
