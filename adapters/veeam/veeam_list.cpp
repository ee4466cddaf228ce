#include "adapters/veeam/veeam_list.hpp"

#include "adapters/list_support.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

namespace bg::adapters {
namespace {

// Reference: Offset and Limit are "integer <int32>".
constexpr std::uint64_t int32_max = std::numeric_limits<std::int32_t>::max();

page_call offset_limit(std::uint64_t first, std::uint64_t asked)
{
    // An offset beyond int32 is past the end of any collection the server can
    // address: ask from the last offset it accepts, whose items (if any) lie
    // before the window and are dropped by the core.
    first = std::min(first, int32_max);
    asked = std::min(asked, int32_max);
    // asked 0 = "everything from first": the reference's Limit=-1 (its own
    // example, Offset=0&Limit=-1). A plan never needs it (its windows are
    // finite); continue_from does when the core asks for the rest.
    return {lists::query({{"Offset", std::to_string(first)}, {"Limit", asked == 0 ? "-1" : std::to_string(asked)}}),
            first, asked};
}

// Without a trailing slash as documented; the server also takes one after it.
std::string_view without_trailing_slash(std::string_view path)
{
    if (path.size() > 1 && path.ends_with('/'))
        path.remove_suffix(1);
    return path;
}

}  // namespace

std::vector<page_call> veeam_list::plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const
{
    (void)max_calls;  // one call either way
    if (mode_ == mode::whole)
        return {page_call{"", 0, 0}};
    // An empty window asks for one item (asked 0 would mean "all"); totalCount comes with it.
    return {offset_limit(offset, std::max<std::uint64_t>(limit, 1))};
}

page_call veeam_list::continue_from(std::uint64_t first, std::uint64_t asked) const
{
    return offset_limit(first, asked);
}

std::vector<std::string_view> veeam_list::reserved_parameters() const
{
    if (mode_ == mode::whole)
        return {};
    return {"Offset", "Limit"};
}

// Reference: {"totalCount": N, "results": [...]}.
std::optional<list_page> veeam_list::decode(const upstream_response& res) const
{
    const auto body = lists::json_outline::read(res.body());
    const auto total = body ? lists::whole_number(body->member_text("totalCount")) : std::nullopt;
    const auto* results = body ? body->member_elements("results") : nullptr;
    if (!total || !results)
        return std::nullopt;
    return list_page{*results, total};
}

veeam_collection veeam_collection_at(std::string_view path)
{
    // Overview, "Offset Parameter" (/regions), "Limit Parameter" and "Filter
    // Parameters" (/virtualMachines), "Sort Parameter" (/repositories),
    // "Versioning" (/efs/policies); reference, "Get Collection of Users"
    // (/users, with Offset and Limit), "Get Collection of EC2 Backup
    // Policies" and the EC2 restore points (/virtualMachines/policies,
    // /virtualMachines/restorePoints, their paths in Veeam's published
    // reference). A collection that took no Offset would answer more than
    // asked, or past its totalCount: the core then places it from index 0.
    static constexpr std::array<std::string_view, 7> paged{
        "/users", "/virtualMachines", "/repositories", "/regions", "/efs/policies", "/virtualMachines/policies",
        "/virtualMachines/restorePoints"};
    path = without_trailing_slash(path);
    if (std::find(paged.begin(), paged.end(), path) != paged.end())
        return veeam_collection::paged;
    // Reference, "Get Collection of User Roles": {totalCount, results} but no
    // Offset or Limit parameter (a server ignoring them would answer every
    // call from index 0): fetched whole and paged by the core.
    if (path == "/users/roles")
        return veeam_collection::whole;
    return veeam_collection::none;
}

vendor_params veeam_list::render_query(const list_query& q, const query_support& support) const
{
    vendor_params out;
    for (const auto& k : q.sort)
        out.emplace_back("Sort", k.field + (k.descending ? "Desc" : "Asc"));
    if (q.search)
        out.emplace_back("SearchPattern", *q.search);
    add_exact_filters(q, support, out);
    return out;
}

const query_support* veeam_query_at(std::string_view path)
{
    // The reference documents SearchPattern and Sort on /users ("Get
    // Collection of Users"); the overview samples SearchPattern and the
    // ProtectionStatus filter on /virtualMachines and Sort=amazonBucketAsc on
    // /repositories. The overview names no sortable property beyond that
    // sample: the lists of properties are backup-sim's (docs/simulators.md).
    // /regions (the overview's Offset sample) and /users/roles document none.
    static const query_support users{.collection = "/users",
                                     .source = "veeam-aws-rest-api-reference.txt, Get Collection of Users",
                                     .sort_keys = 3,
                                     .sort_fields = {"name", "description", "accountType"},
                                     .search = true,
                                     .search_in = "name",
                                     .native = {"SearchPattern", "Sort"}};
    static const query_support machines{
        .collection = "/virtualMachines",
        .source = "veeam-aws-rest-api-overview.txt, Query Parameters",
        .sort_keys = 7,
        .sort_fields = {"name", "awsResourceId", "instanceType", "availabilityZone", "state", "protectionStatus",
                        "totalStorageSizeGb"},
        .search = true,
        .search_in = "name",
        .filters = {{.field = "protectionStatus", .parameter = "ProtectionStatus"}},
        .native = {"SearchPattern", "Sort", "ProtectionStatus"}};
    static const query_support repositories{
        .collection = "/repositories",
        .source = "veeam-aws-rest-api-overview.txt, Sort Parameter",
        .sort_keys = 6,
        .sort_fields = {"name", "description", "amazonBucket", "amazonStorageFolder", "regionName", "storageClass"},
        .search = true,
        .search_in = "name",
        .native = {"SearchPattern", "Sort"}};
    path = without_trailing_slash(path);
    if (path == "/users")
        return &users;
    if (path == "/virtualMachines")
        return &machines;
    if (path == "/repositories")
        return &repositories;
    return nullptr;
}

std::optional<std::string> veeam_error_message(const upstream_response& res)
{
    // Reference: {"title": "string", "status": 400, "errorCode": "AccessDenied",
    // "details": "string", "data": {...}}.
    const auto body = lists::parse_json(res.body());
    const auto* o = body ? body->if_object() : nullptr;
    const auto* title = o ? o->if_contains("title") : nullptr;
    if (!title || !title->is_string() || title->get_string().empty())
        return std::nullopt;
    if (!o->if_contains("errorCode") && !o->if_contains("status"))
        return std::nullopt;  // some other JSON with a title
    std::string text(title->get_string());
    const auto* details = o->if_contains("details");
    if (details && details->is_string() && !details->get_string().empty())
        text += ": " + std::string(details->get_string());
    return text;
}

}  // namespace bg::adapters
