#include "adapters/backupdr/backupdr_list.hpp"

#include "adapters/list_support.hpp"
#include "config/values.hpp"

#include <algorithm>
#include <array>

namespace bg::adapters {

backupdr_list::backupdr_list(const config::backend& backend) : count_via_head_(true)
{
    if (auto it = backend.options.find("count_via_head"); it != backend.options.end())
        count_via_head_ = config::parse_bool(it->second.value).value.value_or(true);
}

std::vector<page_call> backupdr_list::plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const
{
    (void)max_calls;  // one call: offset starts anywhere and limit is the window's
    // §5.1's limit is at least 1; an empty window asks for one item (dropped by the core).
    limit = std::max<std::uint64_t>(limit, 1);
    return {page_call{lists::query({{"offset", std::to_string(offset)}, {"limit", std::to_string(limit)}}), offset,
                      limit}};
}

page_call backupdr_list::continue_from(std::uint64_t first, std::uint64_t asked) const
{
    // §5.1: "everything from first" has no limit to say; without one the
    // server's default (1000) and its own cap apply, and the core goes on
    // from where each answer ends.
    if (asked == 0)
        return {lists::query({{"offset", std::to_string(first)}}), first, 0};
    return {lists::query({{"offset", std::to_string(first)}, {"limit", std::to_string(asked)}}), first, asked};
}

// §5.1: {"count": <items in this answer>, "items": [...]}; the total is not in it.
std::optional<list_page> backupdr_list::decode(const upstream_response& res) const
{
    const auto body = lists::json_outline::read(res.body());
    const auto* items = body ? body->member_elements("items") : nullptr;
    if (!items || !lists::whole_number(body->member_text("count")))
        return std::nullopt;
    return list_page{*items, std::nullopt};
}

vendor_params backupdr_list::render_query(const list_query& q, const query_support& support) const
{
    (void)support;
    vendor_params out;
    // (`sort` is the gateway's name: a client cannot send §5.3's own.)
    if (!q.sort.empty())
        out.emplace_back("sort", q.sort.front().field + (q.sort.front().descending ? ":DESC" : ":ASC"));
    else
        out.emplace_back("sort", "id:ASC");
    if (q.search)
        out.emplace_back("keyword", *q.search);
    for (const auto& f : q.filters) {
        const std::string_view op = f.op == filter_op::gte        ? ">="
                                    : f.op == filter_op::lte      ? "<="
                                    : f.op == filter_op::contains ? "=|"
                                                                  : "==";
        for (const auto& v : f.values)
            out.emplace_back("filter", f.field + ":" + std::string(op) + v);
    }
    return out;
}

const query_support* backupdr_query_at(std::string_view path)
{
    const auto resource = [](std::string_view collection, std::string_view keyword_in) {
        query_support s{.collection = collection,
                        .source = "google-backupdr-management-api.txt §5.2-5.4",
                        .sort_keys = 1,
                        .search = !keyword_in.empty(),
                        .search_in = keyword_in,
                        .any_field_ops = op_equals | op_union | op_range | op_contains,
                        .native = {"filter"}};
        if (!keyword_in.empty())
            s.native.push_back("keyword");
        return s;
    };
    // §5.4's table: the resources with free text search, and where it looks.
    static const std::array<query_support, 5> searched{
        resource("/application", "vmuuid, hostname, appname, description, networkname, pathname, sqlinstance, "
                                 "sqlserverag"),
        resource("/backup", "vmuuid, backupname, label, appname, hostname, slpname, sltname, policyname, mountedmap"),
        resource("/event", "clustername, objecttype, messagetext, errorcode, errormessage, jobname, appname"),
        resource("/host", "uniquename, hostname, friendlypath, svcname, description, ipaddress"),
        resource("/job", "jobname, hostname, targethost, appname, sltname, policyname, label"),
    };
    static const query_support other = resource("this list", "");
    for (const auto& s : searched)
        if (s.collection == path)
            return &s;
    return &other;
}

std::optional<std::pair<http::verb, std::string>> backupdr_list::total_call() const
{
    // §3.3: "HEAD is used to get an estimated count of resources that meet
    // filter criteria"; pagination in its query "is ignored", so none is sent.
    if (!count_via_head_)
        return std::nullopt;
    return std::pair{http::verb::head, std::string()};
}

std::optional<std::uint64_t> backupdr_list::decode_total(const upstream_response& res) const
{
    // §3.3: "Actifio-Count: <number>" (an estimate, the document says).
    if (res.result_int() < 200 || res.result_int() >= 300)
        return std::nullopt;
    const auto it = res.find("Actifio-Count");
    if (it == res.end())
        return std::nullopt;
    return lists::parse_decimal(it->value());
}

bool backupdr_is_list_path(std::string_view path)
{
    // §4.1: top level resources "have dedicated API endpoints so that they can
    // be queried directly" (.../application, .../backup, .../host?sort=id:ASC
    // in §5); /<resource>/<id>, manageacl/promoteUser (§3.7) and anything
    // deeper are not lists, nor is session (§3.7's login, a POST).
    if (!path.starts_with('/'))
        return false;
    const auto resource = path.substr(1);
    return !resource.empty() && resource.find('/') == std::string_view::npos && resource != "session";
}

std::optional<std::string> backupdr_error_message(const upstream_response& res)
{
    // §3.6: "err_code": <err_code>, "err_message": <err_message, optional>.
    const auto body = lists::parse_json(res.body());
    const auto* o = body ? body->if_object() : nullptr;
    const auto* code = o ? o->if_contains("err_code") : nullptr;
    if (!code || !(code->is_number() || code->is_string()))
        return std::nullopt;
    const auto* message = o->if_contains("err_message");
    if (!message || !message->is_string() || message->get_string().empty())
        return std::nullopt;
    return std::string(message->get_string());
}

}  // namespace bg::adapters
