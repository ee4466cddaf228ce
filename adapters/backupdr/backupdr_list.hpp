// Google Backup and DR's lists (google-backupdr-management-api.txt §5.1 List
// View API, §3.3 HEAD semantics, §3.6 Error Message).
//
// §5.1: `offset` (default 0) and `limit` (default 1000) start anywhere; "the
// actual upper limit is decided by the API service based on the capacity of
// the server. It may be smaller than what is specified", so a short answer is
// followed by another call from where it ended. The answer is {count, items}
// where count is the number of items in this answer (§5.1's example past the
// end answers "count": 0), not the total: the total is HEAD's Actifio-Count
// (§3.3, which ignores offset and limit and applies the filters).
#pragma once

#include "adapters/adapter.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bg::adapters {

class backupdr_list final : public list_dialect {
public:
    explicit backupdr_list(bool count_via_head = true) : count_via_head_(count_via_head) {}
    // options.count_via_head: "true" (the default) or "false" (config::parse_bool).
    explicit backupdr_list(const config::backend& backend);

    // One call offset=O&limit=L; the server's cap is met with continue_from.
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const override;
    bool starts_anywhere() const override { return true; }
    page_call continue_from(std::uint64_t first, std::uint64_t asked) const override;
    std::optional<list_page> decode(const upstream_response& res) const override;
    // §3.3: HEAD with the same filters → Actifio-Count; none when options.count_via_head is false.
    std::optional<std::pair<http::verb, std::string>> total_call() const override;
    std::optional<std::uint64_t> decode_total(const upstream_response& res) const override;
    // §3.3 calls Actifio-Count an estimate: the walk never ends on it.
    bool total_is_estimate() const override { return true; }
    // §5.3 sort=attr:ASC|DESC (one key), §5.4 keyword=, §5.2 filter=attr:<op>value
    // (==, and a repeated == for a union; >=, <=; =| for contains). Without a
    // sort, sort=id:ASC: §5.1 leaves the order
    // undetermined otherwise, and the calls of one window, and the windows of
    // one walk, must see one order.
    vendor_params render_query(const list_query& q, const query_support& support) const override;
    std::vector<std::string_view> reserved_parameters() const override { return {"offset", "limit"}; }

private:
    bool count_via_head_;
};

// The list view APIs (§4.1 top level resources, §5.1): "/<resource>" below the
// base path, one segment, other than "/session" (login and logout, §3.7).
bool backupdr_is_list_path(std::string_view path_after_base);

// What the list at `path_after_base` (a backupdr_is_list_path) takes: §5.2
// filters on any attribute (the server checks names and types), §5.3 one
// sort key, §5.4 keyword on the resources its table names.
const query_support* backupdr_query_at(std::string_view path_after_base);

// §3.6: {"err_code": <code>, "err_message": <text, optional>} → err_message;
// nullopt when the body is not that shape or has no message.
std::optional<std::string> backupdr_error_message(const upstream_response& res);

}  // namespace bg::adapters
