#include "adapters/cpm/cpm_list.hpp"

#include "adapters/list_support.hpp"
#include "config/values.hpp"

#include <algorithm>
#include <array>

namespace bg::adapters {
namespace {

// A page size and the pages of that size that cover a window.
struct page_cover {
    std::uint64_t size = 0;
    std::uint64_t first_page = 0;  // 0-based: §1.5's `page` is first_page + 1
    std::uint64_t calls = 0;
};

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }

// The cover of [offset, last] with pages of size p.
page_cover cover_with(std::uint64_t p, std::uint64_t offset, std::uint64_t last)
{
    return {p, offset / p, last / p - offset / p + 1};
}

bool better(const page_cover& c, const page_cover& best)
{
    if (c.calls != best.calls)
        return c.calls < best.calls;
    return c.calls * c.size < best.calls * best.size;  // fewer items fetched; equal: the earlier (smaller) size
}

// The page size in [1, cap] that covers [offset, last] in the fewest calls, at
// most max_calls; nullopt when none does. Sizes below limit / max_calls need
// more calls than allowed, and sizes above last + 1 all make page 1 the only
// page, so only [that, min(cap, last + 1)] is tried (≤ cap sizes).
std::optional<page_cover> fewest_pages(std::uint64_t offset, std::uint64_t limit, std::uint64_t cap,
                                       std::uint64_t max_calls)
{
    const auto last = lists::last_index(offset, limit);
    const auto lowest = std::max<std::uint64_t>(1, ceil_div(limit, max_calls));
    const auto highest = std::min(cap, last == UINT64_MAX ? last : last + 1);
    std::optional<page_cover> best;
    for (std::uint64_t p = lowest; p <= highest && p != 0; ++p) {
        const auto c = cover_with(p, offset, last);
        if (c.calls <= max_calls && (!best || better(c, *best)))
            best = c;
        if (best && best->calls == 1)
            break;  // one call, and the smallest page that gives it
    }
    return best;
}

// Whether `path` matches `pattern`, segment by segment; "{id}" in the pattern
// matches a whole number.
bool matches(std::string_view pattern, std::string_view path)
{
    while (!pattern.empty() && !path.empty()) {
        const auto p_end = std::min(pattern.find('/', 1), pattern.size());
        const auto s_end = std::min(path.find('/', 1), path.size());
        const auto p = pattern.substr(0, p_end);
        const auto seg = path.substr(0, s_end);
        if (p == "/{id}") {
            if (seg.size() < 2 || !std::all_of(seg.begin() + 1, seg.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return false;
        } else if (p != seg) {
            return false;
        }
        pattern.remove_prefix(p_end);
        path.remove_prefix(s_end);
    }
    return pattern == path;
}

bool is_detail_key(std::string_view key) { return key == "detail" || key == "non_field_errors"; }

}  // namespace

std::optional<std::uint64_t> cpm_max_page_size(std::string_view text)
{
    auto n = config::parse_unsigned(text, cpm_max_page_size_limit);
    if (!n || *n.value == 0)
        return std::nullopt;
    return *n.value;
}

cpm_list::cpm_list(std::uint64_t max_page_size)
    : cap_(std::clamp<std::uint64_t>(max_page_size, 1, cpm_max_page_size_limit))
{
}

cpm_list::cpm_list(const config::backend& backend) : cap_(cpm_default_max_page_size)
{
    if (auto it = backend.options.find("max_page_size"); it != backend.options.end())
        cap_ = cpm_max_page_size(it->second.value).value_or(cpm_default_max_page_size);
}

std::vector<page_call> cpm_list::plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const
{
    // An empty window still asks for one item: the answer's count is the total.
    limit = std::max<std::uint64_t>(limit, 1);
    const auto calls = std::max<std::uint64_t>(max_calls, 1);
    const auto cover = fewest_pages(offset, limit, cap_, calls);
    if (!cover)  // §1.5: without page parameters, the whole collection as a bare array
        return {page_call{"", 0, 0}};
    std::vector<page_call> out;
    for (std::uint64_t i = 0; i < cover->calls; ++i) {
        const auto page = cover->first_page + i;  // 0-based
        out.push_back({lists::query({{"page", std::to_string(page + 1)}, {"page_size", std::to_string(cover->size)}}),
                       page * cover->size, cover->size});
    }
    return out;
}

// §1.5: {count, next, previous, results} with count the collection's size, or
// (pagination off, §1.9.1) a bare array of the whole collection, whose size is
// then the total. A bare array answering a call with page parameters would
// mean the endpoint does not paginate; cpm_is_list_path lists only those that do.
std::optional<list_page> cpm_list::decode(const upstream_response& res) const
{
    const auto body = lists::json_outline::read(res.body());
    if (!body)
        return std::nullopt;
    if (body->is_array()) {
        list_page page{body->elements(), std::nullopt};
        page.total = page.items.size();
        page.whole = true;  // pagination off: every item, whatever page was asked
        return page;
    }
    const auto count = lists::whole_number(body->member_text("count"));
    const auto* results = body->member_elements("results");
    if (!count || !results)
        return std::nullopt;
    return list_page{*results, count};
}

vendor_params cpm_list::render_query(const list_query& q, const query_support& support) const
{
    vendor_params out;
    if (!q.sort.empty()) {
        std::string ordering;
        bool by_id = false;
        for (const auto& k : q.sort) {
            if (!ordering.empty())
                ordering += ',';
            ordering += k.descending ? "-" + k.field : k.field;
            by_id = by_id || k.field == "id";
        }
        const auto& fields = support.sort_fields;
        if (!by_id && std::find(fields.begin(), fields.end(), "id") != fields.end())
            ordering += ",id";
        out.emplace_back("ordering", std::move(ordering));
    }
    if (q.search)
        out.emplace_back("search", *q.search);
    add_exact_filters(q, support, out);
    return out;
}

const query_support* cpm_query_at(std::string_view path)
{
    // §3.1.2, §3.3.2, §3.9.2: name and user filter (exact), search looks in
    // the name and the AWS access key, ordering by authentication, name, user.
    const auto accounts = [](std::string_view collection, std::string_view source) {
        return query_support{.collection = collection,
                             .source = source,
                             .sort_keys = 3,
                             .sort_fields = {"authentication", "name", "user"},
                             .search = true,
                             .search_in = "name, AWS access key",
                             .filters = {{.field = "name"}, {.field = "user"}},
                             .native = {"name", "user", "search", "ordering"}};
    };
    static const query_support all_accounts = accounts("/accounts/", "n2ws-cpm-rest-api.txt §3.1.2");
    static const query_support backup_accounts = accounts("/accounts/backup/", "n2ws-cpm-rest-api.txt §3.3.2");
    static const query_support dr_accounts = accounts("/accounts/dr/", "n2ws-cpm-rest-api.txt §3.9.2");
    // Chapter 2 lists these without their parameters; §1.6 and §1.7 sample
    // users?search=, users?ordering=username, policies?account=1 and
    // schedules?ordering=every_unit,-every_how_many. The fields are
    // backup-sim's (docs/simulators.md, "CPM"), which follows those samples.
    static const query_support users{
        .collection = "/users/",
        .source = "n2ws-cpm-rest-api.txt §1.6-1.7",
        .sort_keys = 4,
        .sort_fields = {"id", "username", "email", "user_type"},
        .search = true,
        .search_in = "username, email, first_name, last_name",
        .filters = {{.field = "username"}, {.field = "user_type"}, {.field = "is_active", .boolean = true}},
        .native = {"username", "user_type", "is_active", "search", "ordering"}};
    static const query_support schedules{
        .collection = "/schedules/",
        .source = "n2ws-cpm-rest-api.txt §1.6-1.7",
        .sort_keys = 8,
        .sort_fields = {"id", "name", "user", "every_unit", "every_how_many", "start_date", "end_date",
                        "last_modified"},
        .search = true,
        .search_in = "name, description",
        .filters = {{.field = "name"}, {.field = "user"}, {.field = "every_unit"}},
        .native = {"name", "user", "every_unit", "search", "ordering"}};
    static const query_support policies{
        .collection = "/policies/",
        .source = "n2ws-cpm-rest-api.txt §1.6-1.7",
        .sort_keys = 6,
        .sort_fields = {"id", "name", "account", "user", "enabled", "generations"},
        .search = true,
        .search_in = "name, description",
        .filters = {{.field = "account"}, {.field = "user"}, {.field = "name"}, {.field = "enabled", .boolean = true}},
        .native = {"account", "user", "name", "enabled", "search", "ordering"}};
    static const query_support backups{
        .collection = "/backups/",
        .source = "n2ws-cpm-rest-api.txt §1.6-1.7",
        .sort_keys = 6,
        .sort_fields = {"id", "start_time", "end_time", "status", "policy", "account"},
        .search = true,
        .search_in = "status, description",
        .filters = {{.field = "policy"}, {.field = "account"}, {.field = "user"}, {.field = "status"}, {.field = "is_frozen", .boolean = true}},
        .native = {"policy", "account", "user", "status", "is_frozen", "search", "ordering"}};
    // Chapter 2's 1.0.0 and 1.1.0 collections; fields as above.
    static const query_support recoveries{.collection = "/recoveries/",
                                          .source = "n2ws-cpm-rest-api.txt §1.6-1.7, chapter 2",
                                          .sort_keys = 3,
                                          .sort_fields = {"id", "start_time", "status"},
                                          .search = true,
                                          .search_in = "status",
                                          .filters = {{.field = "backup"}, {.field = "policy"}, {.field = "status"}},
                                          .native = {"backup", "policy", "status", "search", "ordering"}};
    static const query_support s3_repositories{.collection = "/s3_repositories/",
                                               .source = "n2ws-cpm-rest-api.txt §1.6-1.7, chapter 2",
                                               .sort_keys = 2,
                                               .sort_fields = {"id", "name"},
                                               .search = true,
                                               .search_in = "name, bucket_name",
                                               .filters = {{.field = "account"}, {.field = "name"}},
                                               .native = {"account", "name", "search", "ordering"}};
    static const query_support snapshots{.collection = "/backups/{id}/snapshots/",
                                         .source = "n2ws-cpm-rest-api.txt §1.7, chapter 2",
                                         .sort_keys = 1,
                                         .sort_fields = {"id"},
                                         .native = {"ordering"}};
    static const std::array<std::pair<std::string_view, const query_support*>, 12> table{{
        {"/accounts/", &all_accounts},
        {"/accounts/backup/", &backup_accounts},
        {"/accounts/dr/", &dr_accounts},
        {"/users/", &users},
        {"/schedules/", &schedules},
        {"/policies/", &policies},
        {"/backups/", &backups},
        {"/recoveries/", &recoveries},
        {"/s3_repositories/", &s3_repositories},
        {"/backups/{id}/snapshots/", &snapshots},
        {"/backups/{id}/snapshots/volumes/", &snapshots},
        {"/backups/{id}/snapshots/rds_databases/", &snapshots},
    }};
    for (const auto& [pattern, support] : table)
        if (matches(pattern, path))
            return support;
    return nullptr;
}

bool cpm_is_list_path(std::string_view path)
{
    // Chapter 2 lists every GET of the API; these are its collections (the
    // others are items ".../{id}/", settings objects, downloads: support
    // logs, the CSV cleanup and tag-scan logs and reports, the token
    // endpoints). §1.5: "Most GET requests support automatic pagination";
    // one that does not answers the whole list as a bare array, which the
    // core then places from the collection's first item (list_page::whole),
    // so a collection is safe to page whether it paginates or not.
    static constexpr std::string_view collections[]{
        "/accounts/", "/accounts/backup/", "/accounts/dr/", "/agents/", "/backups/", "/backups/{id}/logs/",
        "/backups/{id}/snapshots/", "/backups/{id}/snapshots/copy_to_s3/", "/backups/{id}/snapshots/dr_initial_amis/",
        "/backups/{id}/snapshots/dr_rds_clusters/", "/backups/{id}/snapshots/dr_rds_databases/",
        "/backups/{id}/snapshots/dr_volumes/", "/backups/{id}/snapshots/dynamodb_tables/",
        "/backups/{id}/snapshots/initial_amis/", "/backups/{id}/snapshots/only_amis/",
        "/backups/{id}/snapshots/only_dr_amis/", "/backups/{id}/snapshots/rds_clusters/",
        "/backups/{id}/snapshots/rds_databases/", "/backups/{id}/snapshots/redshift_clusters/",
        "/backups/{id}/snapshots/volumes/", "/delegates/", "/freezer/", "/policies/", "/policies/{id}/run_times/",
        "/policies/{id}/targets/", "/policies/{id}/targets/dynamodb_tables/", "/policies/{id}/targets/instances/",
        "/policies/{id}/targets/instances/{id}/volumes/", "/policies/{id}/targets/rds_clusters/",
        "/policies/{id}/targets/rds_databases/", "/policies/{id}/targets/redshift_clusters/",
        "/policies/{id}/targets/volumes/", "/recoveries/", "/recoveries/{id}/logs/", "/regions/", "/s3_repositories/",
        "/schedules/", "/users/", "/workers/",
    };
    return std::any_of(std::begin(collections), std::end(collections),
                       [&](std::string_view c) { return matches(c, path); });
}

std::optional<std::string> cpm_error_message(const upstream_response& res)
{
    // §1.8: {"errors": [{"<field>": [{"message": "...", "code": "..."}], ...}]}
    const auto body = lists::parse_json(res.body());
    const auto* o = body ? body->if_object() : nullptr;
    const auto* errors = o ? o->if_contains("errors") : nullptr;
    if (!errors || !errors->is_array() || errors->get_array().empty())
        return std::nullopt;
    const auto* fields = errors->get_array().front().if_object();
    if (!fields || fields->empty())
        return std::nullopt;
    const auto& [field, list] = *fields->begin();
    if (!list.is_array() || list.get_array().empty())
        return std::nullopt;
    const auto* first = list.get_array().front().if_object();
    const auto* message = first ? first->if_contains("message") : nullptr;
    if (!message || !message->is_string() || message->get_string().empty())
        return std::nullopt;
    std::string text(message->get_string());
    return is_detail_key(field) ? text : std::string(field) + ": " + text;
}

}  // namespace bg::adapters
