// N2WS CPM's lists (n2ws-cpm-rest-api.txt §1.5 Pagination, §1.8 Errors).
//
// §1.5: pagination is off unless the query has ?page=N&page_size=P (page ≥ 1);
// then the answer is {count, next, previous, results}, count being the
// collection's size; without it the answer is a bare array of everything
// (the §1.9.1 "List CPM Schedules" sample). The server clamps page_size to its
// max_page_size (DRF; 100 by default, options.max_page_size here): a larger
// page_size would silently shift every page after the first, so the plan
// never asks for more than the configured cap, which must not exceed the server's.
//
// Pages past the end: DRF answers a `page` past the last page (page > 1)
// with 404 {"errors":[{"detail":[{"message":"Invalid page.","code":"not_found"}]}]}
// (backup-sim too, also for page 2 of an empty filtered result); page 1 of an
// empty collection is 200 with count 0. So a window that starts past the end
// meets a 404 on its page, and in a plan of several pages the later ones may:
// past_the_end() tells the core to take a 404 to a call whose page is > 1
// (first > 0) as "the collection ends before this call" (its total then
// unknown unless another answer gave count).
#pragma once

#include "adapters/adapter.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bg::adapters {

// §1.5 via DRF's default; the simulator's default max_page_size too.
inline constexpr std::uint64_t cpm_default_max_page_size = 100;
// The plan tries every page size up to the cap, so the cap is kept modest.
inline constexpr std::uint64_t cpm_max_page_size_limit = 100'000;

// options.max_page_size: a whole number in [1, cpm_max_page_size_limit]; nullopt otherwise.
std::optional<std::uint64_t> cpm_max_page_size(std::string_view text);

class cpm_list final : public list_dialect {
public:
    explicit cpm_list(std::uint64_t max_page_size = cpm_default_max_page_size);
    explicit cpm_list(const config::backend& backend);

    // One page of size p when some p ≤ cap holds the whole window; else the
    // page size that covers it in the fewest calls (ties: fewest items
    // fetched, then the smaller size); when even that takes more than
    // max_calls, one call without page parameters (the whole collection).
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const override;
    bool starts_anywhere() const override { return false; }  // pages start at multiples of page_size
    std::optional<list_page> decode(const upstream_response& res) const override;
    // §1.7 ordering=a,-b (with `id` last as a tiebreaker where the
    // collection orders by id: Django orders ties as the database returns
    // them, so pages of a non-unique ordering could overlap); §1.6 search=
    // and field=value.
    vendor_params render_query(const list_query& q, const query_support& support) const override;
    std::vector<std::string_view> reserved_parameters() const override { return {"page", "page_size"}; }
    // DRF's 404 to a page past the last (page > 1).
    bool past_the_end(const upstream_response& res, const page_call& call) const override
    {
        return res.result() == http::status::not_found && call.first > 0;
    }

    std::uint64_t max_page_size() const { return cap_; }

private:
    std::uint64_t cap_;
};

// The collections chapter 2 lists (paginated or not, §1.5), as paths below
// the base path: "/users/", "/backups/12/snapshots/volumes/".
bool cpm_is_list_path(std::string_view path_after_base);

// What the list at `path_after_base` (a cpm_is_list_path) filters, searches
// and orders by (§1.6, §1.7; chapter 3's parameter tables); null for others.
const query_support* cpm_query_at(std::string_view path_after_base);

// §1.8: the first error's "field: message" ("message" alone for errors of no
// field: `detail`, `non_field_errors`); nullopt when the body is not that shape.
std::optional<std::string> cpm_error_message(const upstream_response& res);

}  // namespace bg::adapters
