// The query language (docs/pagination.md, "Sorting, searching and
// filtering"): the client's syntax (gateway/query.cpp), what each vendor's
// collection can do with it (check_query over the adapters' tables), how each
// dialect spells it (render_query), and the gateway's own evaluation for a
// vendor with none (gateway/local_query.cpp).
#define BOOST_TEST_MODULE query
#include <boost/test/unit_test.hpp>

#include "adapters/backupdr/backupdr_list.hpp"
#include "adapters/common/encoding.hpp"
#include "adapters/cloudbasic/cloudbasic_list.hpp"
#include "adapters/cpm/cpm_list.hpp"
#include "adapters/veeam/veeam_list.hpp"
#include "gateway/local_query.hpp"
#include "gateway/pagination.hpp"
#include "gateway/query.hpp"

#include <string>

using namespace bg;
using adapters::filter_op;
using adapters::list_query;

namespace {

list_query parsed(std::string_view rest)
{
    auto r = parse_list_query(rest);
    if (auto* e = std::get_if<gateway_error>(&r))
        BOOST_FAIL("'" << rest << "' refused: " << e->detail);
    return std::get<list_query>(std::move(r));
}

// The 400's detail for `rest`; "" when it was accepted.
std::string refusal(std::string_view rest)
{
    auto r = parse_list_query(rest);
    auto* e = std::get_if<gateway_error>(&r);
    if (!e)
        return "";
    BOOST_TEST((e->code == errc::bad_request));
    return e->detail;
}

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The check of `rest` on a collection; "" when it passes.
std::string checked(std::string_view rest, const adapters::query_support* s, bool strict = true)
{
    const auto e = adapters::check_query(parsed(rest), s, "b1", strict);
    if (e)
        BOOST_TEST((e->code == errc::bad_request));
    return e ? e->detail : std::string();
}

adapters::vendor_params rendered(const adapters::list_dialect& d, std::string_view rest,
                                 const adapters::query_support& s)
{
    return d.render_query(parsed(rest), s);
}

using P = adapters::vendor_params;

}  // namespace

// ---- The client's syntax ----

BOOST_AUTO_TEST_CASE(sort_q_and_filters_are_read)
{
    const auto q = parsed("sort=name,-created&q=web+01&filter[status]=ok&filter%5Bstatus%5D=warn"
                          "&filter[size][gte]=10&filter%5Bsize%5D%5Blte%5D=20&filter[name][contains]=a%20b");
    BOOST_REQUIRE(q.sort.size() == 2u);
    BOOST_TEST(q.sort[0].field == "name");
    BOOST_TEST(!q.sort[0].descending);
    BOOST_TEST(q.sort[1].field == "created");
    BOOST_TEST(q.sort[1].descending);
    BOOST_TEST(*q.search == "web 01");  // '+' is a space, as the vendors read it
    BOOST_REQUIRE(q.filters.size() == 4u);
    BOOST_TEST(q.filters[0].field == "status");
    BOOST_TEST((q.filters[0].op == filter_op::equals));
    BOOST_TEST((q.filters[0].values == std::vector<std::string>{"ok", "warn"}));  // raw and encoded: one union
    BOOST_TEST((q.filters[1].op == filter_op::gte));
    BOOST_TEST((q.filters[2].op == filter_op::lte));
    BOOST_TEST(q.filters[2].parameter == "filter[size][lte]");
    BOOST_TEST((q.filters[3].op == filter_op::contains));
    BOOST_TEST(q.filters[3].values.front() == "a b");
    BOOST_TEST(q.native.empty());
    BOOST_TEST(q.has_language());
}

BOOST_AUTO_TEST_CASE(other_parameters_are_the_vendors_kept_as_sent)
{
    const auto q = parsed("account=1&filter=appid:%3D%3D7&search=a+b&sort=name");
    BOOST_TEST(q.native_encoded == "account=1&filter=appid:%3D%3D7&search=a+b");
    BOOST_REQUIRE(q.native.size() == 3u);
    BOOST_TEST(q.native[1].second == "appid:==7");
    BOOST_TEST(q.sort.size() == 1u);
    BOOST_TEST(!parsed("a=1").has_language());
}

BOOST_AUTO_TEST_CASE(raw_brackets_reach_the_parser_encoded)
{
    config::pagination_settings settings;
    auto w = parse_page_query("filter[name][gte]=b&limit=5&x=a|b", settings);
    BOOST_REQUIRE(std::holds_alternative<page_window>(w));
    BOOST_TEST(std::get<page_window>(w).rest == "filter%5Bname%5D%5Bgte%5D=b&x=a%7Cb");
    const auto q = parsed(std::get<page_window>(w).rest);
    BOOST_REQUIRE(q.filters.size() == 1u);
    BOOST_TEST(q.filters[0].field == "name");
}

BOOST_AUTO_TEST_CASE(mistakes_are_400s_naming_the_parameter)
{
    BOOST_TEST(has(refusal("sort=name&sort=id"), "'sort' is given more than once"));
    BOOST_TEST(has(refusal("sort="), "'sort' is empty"));
    BOOST_TEST(has(refusal("sort=name,,id"), "is not a field name"));
    BOOST_TEST(has(refusal("sort=-"), "is not a field name"));
    BOOST_TEST(has(refusal("sort=name,-name"), "names field 'name' twice"));
    BOOST_TEST(has(refusal("q=a&q=b"), "'q' is given more than once"));
    BOOST_TEST(has(refusal("q="), "'q' is empty"));
    BOOST_TEST(has(refusal("filter[name][like]=a"), "unknown filter operator 'like'"));
    BOOST_TEST(has(refusal("filter[name]x=a"), "is not a filter"));
    BOOST_TEST(has(refusal("filter[name][gte]=a&filter[name][gte]=b"), "'filter[name][gte]' is given more than once"));
    BOOST_TEST(has(refusal("filter[]=a"), "is not a field name"));
    BOOST_TEST(has(refusal("filter[a b]=a"), "is not a field name"));
    BOOST_TEST(has(refusal("filter[name]="), "has no value"));
    BOOST_TEST(has(refusal("filter[name"), "is not a filter"));
    BOOST_TEST(refusal("filter[name]=a&filter[name][contains]=b").empty());  // two operators on one field
}

// ---- What each collection can do (check_query) ----

BOOST_AUTO_TEST_CASE(cpm_accounts_take_what_section_3_1_2_lists)
{
    const auto* s = adapters::cpm_query_at("/accounts/");
    BOOST_REQUIRE(s);
    BOOST_TEST(checked("sort=name,-user&q=prod&filter[name]=main&filter[user]=3", s).empty());
    BOOST_TEST(checked("ordering=name&search=x&name=a&user=1", s).empty());  // the document's own names
    const auto by_id = checked("sort=id", s);
    BOOST_TEST(has(by_id, "query parameter 'sort'"));
    BOOST_TEST(has(by_id, "backend 'b1'"));
    BOOST_TEST(has(by_id, "/accounts/ (n2ws-cpm-rest-api.txt §3.1.2)"));
    BOOST_TEST(has(by_id, "it sorts by: authentication, name, user"));
    const auto range = checked("filter[user][gte]=3", s);
    BOOST_TEST(has(range, "'filter[user][gte]'"));
    BOOST_TEST(has(range, "with exact match (one value) only"));
    BOOST_TEST(has(checked("filter[user]=3&filter[user]=4", s), "against one value"));
    BOOST_TEST(has(checked("filter[account_number]=1", s), "it filters by: name, user"));
    const auto unknown = checked("color=blue", s);
    BOOST_TEST(has(unknown, "'color' is not one backend 'b1' documents"));
    BOOST_TEST(has(unknown, "(query: strict)"));
    BOOST_TEST(has(unknown, "it documents: name, user, search, ordering"));
    BOOST_TEST(checked("color=blue", s, false).empty());  // query: passthrough
}

BOOST_AUTO_TEST_CASE(cpm_chapter_2_collections_have_their_tables)
{
    const auto* recoveries = adapters::cpm_query_at("/recoveries/");
    BOOST_REQUIRE(recoveries);
    BOOST_TEST(checked("sort=-start_time&filter[status]=Recovery+Failed&q=partial&backup=3", recoveries).empty());
    const auto* snapshots = adapters::cpm_query_at("/backups/12/snapshots/volumes/");
    BOOST_REQUIRE(snapshots);
    BOOST_TEST(checked("sort=-id", snapshots).empty());
    BOOST_TEST(has(checked("q=x", snapshots), "no free-text search on /backups/{id}/snapshots/"));
    BOOST_TEST(!adapters::cpm_query_at("/backups/x/snapshots/"));
    BOOST_TEST(!adapters::cpm_query_at("/regions/"));  // chapter 2 lists no parameter
    BOOST_TEST(adapters::cpm_query_at("/s3_repositories/")->search);
}

BOOST_AUTO_TEST_CASE(cpm_booleans_are_true_or_false)
{
    const auto* s = adapters::cpm_query_at("/policies/");
    BOOST_REQUIRE(s);
    BOOST_TEST(checked("filter[enabled]=true", s).empty());
    // django-filter would ignore "yes" and answer the whole list.
    BOOST_TEST(has(checked("filter[enabled]=yes", s), "is true or false"));
}

BOOST_AUTO_TEST_CASE(backupdr_takes_one_sort_key_and_keyword_where_section_5_4_lists_it)
{
    const auto* hosts = adapters::backupdr_query_at("/host");
    const auto* slas = adapters::backupdr_query_at("/sla");
    BOOST_REQUIRE(hosts);
    BOOST_REQUIRE(slas);
    BOOST_TEST(checked("sort=-hostname&q=web&filter[ostype]=Linux&filter[ostype]=Win32&filter[id][gte]=3"
                       "&filter[id][lte]=9&filter[hostname][contains]=sql",
                       hosts)
                   .empty());
    BOOST_TEST(has(checked("sort=hostname,id", hosts), "by one key at most, got 2"));
    BOOST_TEST(has(checked("q=gold", slas), "has no free-text search on this list"));
    BOOST_TEST(checked("keyword=web", hosts).empty());
    BOOST_TEST(has(checked("keyword=web", slas), "'keyword' is not one"));
    BOOST_TEST(has(checked("Sort=idAsc", hosts), "'Sort' is not one"));
    BOOST_TEST(adapters::backupdr_query_at("/job")->search);  // §5.4's last row
}

BOOST_AUTO_TEST_CASE(veeam_filters_by_its_documented_parameters)
{
    const auto* vms = adapters::veeam_query_at("/virtualMachines");
    BOOST_REQUIRE(vms);
    BOOST_TEST(checked("sort=name,-state&q=ubuntu&filter[protectionStatus]=Protected", vms).empty());
    BOOST_TEST(has(checked("filter[protectionStatus][contains]=Pro", vms), "with exact match (one value) only"));
    BOOST_TEST(has(checked("filter[state]=running", vms), "it filters by: protectionStatus"));
    BOOST_TEST(has(checked("sort=id", vms), "cannot sort /virtualMachines"));
    BOOST_TEST(checked("ProtectionStatus=Protected&SearchPattern=x&Sort=nameAsc", vms).empty());
    BOOST_TEST(has(checked("offset=3", vms), "'offset' is not one"));  // lower case: Veeam ignores it
    // /regions and /users/roles document none of it.
    BOOST_TEST(!adapters::veeam_query_at("/regions"));
    BOOST_TEST(has(checked("sort=name", nullptr), "cannot sort, search or filter this list"));
    BOOST_TEST(has(checked("x=1", nullptr), "documents no query parameter for this list"));
    BOOST_TEST(checked("x=1", nullptr, false).empty());
}

BOOST_AUTO_TEST_CASE(cloudbasic_is_queried_by_the_gateway)
{
    const auto* s = adapters::cloudbasic_query_at("/replications");
    BOOST_REQUIRE(s);
    BOOST_TEST(s->local);
    BOOST_TEST(checked("sort=a,-b,c&q=x&filter[a][gte]=1&filter[b][contains]=y&filter[c]=1&filter[c]=2", s).empty());
    BOOST_TEST(has(checked("Action=List", s), "it documents none"));
}

// ---- How each dialect spells it ----

BOOST_AUTO_TEST_CASE(cpm_ordering_search_and_fields)
{
    const adapters::cpm_list d;
    const auto& policies = *adapters::cpm_query_at("/policies/");
    // §1.7; id last, so that equal names keep one order across pages.
    BOOST_TEST((rendered(d, "sort=name,-generations&q=db&filter[account]=2", policies) ==
                P{{"ordering", "name,-generations,id"}, {"search", "db"}, {"account", "2"}}));
    BOOST_TEST((rendered(d, "sort=-id", policies) == P{{"ordering", "-id"}}));
    // /accounts/ cannot order by id: no tiebreaker there.
    BOOST_TEST((rendered(d, "sort=name", *adapters::cpm_query_at("/accounts/")) == P{{"ordering", "name"}}));
    BOOST_TEST(rendered(d, "", policies).empty());
}

BOOST_AUTO_TEST_CASE(backupdr_sort_keyword_and_filter_operators)
{
    const adapters::backupdr_list d;
    const auto& hosts = *adapters::backupdr_query_at("/host");
    BOOST_TEST((rendered(d, "sort=-hostname&q=web&filter[ostype]=Linux&filter[ostype]=Win32&filter[id][gte]=3"
                            "&filter[id][lte]=9&filter[hostname][contains]=sql",
                         hosts) == P{{"sort", "hostname:DESC"},
                                     {"keyword", "web"},
                                     {"filter", "ostype:==Linux"},
                                     {"filter", "ostype:==Win32"},
                                     {"filter", "id:>=3"},
                                     {"filter", "id:<=9"},
                                     {"filter", "hostname:=|sql"}}));
    // §5.1: no sort, no determined order; one is added.
    BOOST_TEST((rendered(d, "", hosts) == P{{"sort", "id:ASC"}}));
    // `sort` is the gateway's: §5.3's own spelling is refused with a hint.
    BOOST_TEST(has(refusal("sort=hostname:DESC"), "sort=field or sort=-field"));
    // Encoded for the wire: §5.2's URLEncode(operator value).
    std::vector<std::pair<std::string_view, std::string_view>> wire{{"filter", "id:>=3"}};
    BOOST_TEST(encoding::encode_query(wire) == "filter=id%3A%3E%3D3");
}

BOOST_AUTO_TEST_CASE(veeam_sort_search_pattern_and_filter_parameters)
{
    const adapters::veeam_list d;
    const auto& vms = *adapters::veeam_query_at("/virtualMachines");
    BOOST_TEST((rendered(d, "sort=name,-state&q=ubuntu&filter[protectionStatus]=Protected", vms) ==
                P{{"Sort", "nameAsc"}, {"Sort", "stateDesc"}, {"SearchPattern", "ubuntu"},
                  {"ProtectionStatus", "Protected"}}));
}

BOOST_AUTO_TEST_CASE(a_native_parameter_the_translation_sends_too_is_refused)
{
    const adapters::cpm_list d;
    const auto& policies = *adapters::cpm_query_at("/policies/");
    const auto q = parsed("sort=name&ordering=-id");
    const auto e = adapters::check_clash(q, d.render_query(q, policies), "b1");
    BOOST_REQUIRE(e);
    BOOST_TEST(has(e->detail, "'ordering'"));
    BOOST_TEST(has(e->detail, "use one or the other"));
    const auto fine = parsed("ordering=-id&account=1");
    BOOST_TEST(!adapters::check_clash(fine, d.render_query(fine, policies), "b1"));
}

// ---- The gateway's own evaluation (CloudBasic) ----

BOOST_AUTO_TEST_CASE(local_filters_search_and_sort)
{
    const std::vector<std::string_view> items{
        R"({"id":1,"name":"alpha","size":30,"tier":"gold","on":true,"at":"2026-01-02T00:00:00Z"})",
        R"({"id":2,"name":"Beta-web","size":5,"tier":"silver","on":false,"at":"2026-03-01T00:00:00Z"})",
        R"({"id":3,"name":"gamma","size":12.5,"tier":"gold","at":"2025-12-31T00:00:00Z","src":{"region":"eu"}})",
        R"({"id":4,"name":"delta web","tier":null,"on":true})",
    };
    const auto run = [&](std::string_view rest) {
        std::vector<int> ids;
        for (const auto text : apply_local_query(items, parsed(rest)))
            ids.push_back(static_cast<int>(text[6] - '0'));
        return ids;
    };
    BOOST_TEST((run("") == std::vector<int>{1, 2, 3, 4}));
    BOOST_TEST((run("filter[tier]=gold") == std::vector<int>{1, 3}));
    BOOST_TEST((run("filter[tier]=silver&filter[tier]=null") == std::vector<int>{2, 4}));
    BOOST_TEST((run("filter[size][gte]=12.5") == std::vector<int>{1, 3}));
    BOOST_TEST((run("filter[size][lte]=12") == std::vector<int>{2}));      // a number, not text: 5 ≤ 12 < 30
    BOOST_TEST((run("filter[at][gte]=2026-01-01") == std::vector<int>{1, 2}));  // ISO times as text
    BOOST_TEST((run("filter[on]=true") == std::vector<int>{1, 4}));
    BOOST_TEST((run("filter[id]=3") == std::vector<int>{3}));
    BOOST_TEST((run("filter[src.region]=eu") == std::vector<int>{3}));
    BOOST_TEST((run("filter[name][contains]=web") == std::vector<int>{2, 4}));
    BOOST_TEST((run("filter[name][contains]=WEB").empty()));  // contains keeps case
    BOOST_TEST((run("q=WEB") == std::vector<int>{2, 4}));      // q does not
    BOOST_TEST((run("sort=-size") == std::vector<int>{1, 3, 2, 4}));  // missing last when descending
    BOOST_TEST((run("sort=size") == std::vector<int>{4, 2, 3, 1}));   // and first when ascending
    BOOST_TEST((run("sort=tier,-id") == std::vector<int>{4, 3, 1, 2}));
    BOOST_TEST((run("sort=on,id&filter[id][lte]=3") == std::vector<int>{3, 2, 1}));
}
