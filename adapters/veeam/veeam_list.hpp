// Veeam Backup for AWS's lists (veeam-aws-rest-api-overview.txt, "Query
// Parameters"; veeam-aws-rest-api-reference.txt, "Get Collection of Users",
// "Get Collection of User Roles", and the error body of every method).
//
// Overview: "All query parameters are case-sensitive"; `Offset` excludes the
// first N items, `Limit` caps the answer, Offset applied before Limit whatever
// their order. Reference: Offset is int32 ≥ 0, Limit int32 ≥ -1 (its example
// sends Limit=-1: all). The answer is {totalCount, results}, totalCount being
// the filtered collection's size. Veeam documents no server-side cap, but a
// server that answers fewer than Limit (backup-sim's max_limit) is met by
// continuing from where the answer ended.
#pragma once

#include "adapters/adapter.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bg::adapters {

class veeam_list final : public list_dialect {
public:
    enum class mode {
        paged,  // Offset/Limit
        whole   // a list documented without Offset/Limit: one call, the whole list
    };
    explicit veeam_list(mode m = mode::paged) : mode_(m) {}

    // paged: one call Offset=O&Limit=L; whole: one call without a query.
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const override;
    bool starts_anywhere() const override { return mode_ == mode::paged; }
    page_call continue_from(std::uint64_t first, std::uint64_t asked) const override;
    std::optional<list_page> decode(const upstream_response& res) const override;
    // Overview, "Sort Parameter": Sort=<property>Asc|Desc, one Sort per key
    // (the reference types it as an array of strings); "SearchPattern
    // Parameter"; "Filter Parameters": the collection's documented
    // parameter for the field (ProtectionStatus for protectionStatus).
    vendor_params render_query(const list_query& q, const query_support& support) const override;
    std::vector<std::string_view> reserved_parameters() const override;

private:
    mode mode_;
};

// Which kind of list the path below the base path is (none: not a list).
enum class veeam_collection { none, paged, whole };
veeam_collection veeam_collection_at(std::string_view path_after_base);

// What the collection at `path_after_base` sorts, searches and filters by;
// null for a collection documented with none of them.
const query_support* veeam_query_at(std::string_view path_after_base);

// Reference error body {title, status, errorCode, details, data} → "title",
// or "title: details" when details is a non-empty string; nullopt otherwise.
std::optional<std::string> veeam_error_message(const upstream_response& res);

}  // namespace bg::adapters
