// Each vendor's list dialect (which upstream calls cover a window, how a list
// answer decodes, which paths are lists) and error message, table-driven.
// Documents: n2ws-cpm-rest-api.txt §1.5 Pagination, §1.8 Errors;
// google-backupdr-management-api.txt §3.3 HEAD, §3.6 Error Message, §5.1 List
// View API; veeam-aws-rest-api-overview.txt "Query Parameters" and the
// reference's "Get Collection of Users"/"User Roles" and error body;
// cloudbasic-rest-api.txt "REST Error Responses" (and docs/simulators.md for
// what the documents leave open).
#define BOOST_TEST_MODULE list_dialects
#include <boost/test/unit_test.hpp>

#include "adapters/backupdr/backupdr_list.hpp"
#include "adapters/cloudbasic/cloudbasic_adapter.hpp"
#include "adapters/cpm/cpm_adapter.hpp"
#include "adapters/veeam/veeam_adapter.hpp"

#include "adapters/list_support.hpp"


#include <deque>
#include <ostream>

namespace http = boost::beast::http;
using namespace bg::adapters;

namespace bg::adapters {
// For BOOST_TEST's messages.
std::ostream& operator<<(std::ostream& os, const page_call& c)
{
    return os << "{\"" << c.query << "\", " << c.first << ", " << c.asked << "}";
}
bool operator==(const page_call& a, const page_call& b)
{
    return a.query == b.query && a.first == b.first && a.asked == b.asked;
}
}  // namespace bg::adapters

namespace {

// An upstream answer that lives as long as the test program: a decoded
// page's items are views into its body.
const upstream_response& answer(std::string body, http::status status = http::status::ok)
{
    static std::deque<upstream_response> kept;
    upstream_response res{status, 11};
    res.body() = std::move(body);
    res.prepare_payload();
    kept.push_back(std::move(res));
    return kept.back();
}

std::vector<page_call> calls(std::initializer_list<page_call> c) { return c; }

bg::config::setting option(std::string value) { return {std::move(value), {"backends[0].options", 1}, false}; }

bg::config::backend backend(std::string type, std::string base_path)
{
    bg::config::backend b;
    b.name = type;
    b.type = type;
    b.url = {"https", "upstream.example", 443, std::move(base_path)};
    return b;
}

bg::config::backend cpm_backend()
{
    auto b = backend("n2ws-cpm", "/api");
    b.credentials["api_key"] = {"k", {"backends[0].credentials.api_key", 2}, true};
    return b;
}

bg::config::backend veeam_backend()
{
    auto b = backend("veeam-aws", "/api/v1");
    b.api_version = "1.7-rev0";
    b.credentials["username"] = {"administrator", {"backends[0].credentials.username", 2}, true};
    b.credentials["password"] = {"Password1", {"backends[0].credentials.password", 3}, true};
    return b;
}

bg::config::backend cloudbasic_backend()
{
    auto b = backend("cloudbasic", "");
    b.credentials["access_key_id"] = {"AKIDEXAMPLE", {"backends[0].credentials.access_key_id", 2}, true};
    b.credentials["secret_access_key"] = {"secret", {"backends[0].credentials.secret_access_key", 3}, true};
    return b;
}

// The items as the envelope writes them: "[" item "," item ... "]".
std::string items_of(const std::optional<list_page>& page)
{
    if (!page)
        return "none";
    std::string out = "[";
    for (std::size_t i = 0; i < page->items.size(); ++i)
        out.append(i ? "," : "").append(page->items[i]);
    return out + "]";
}

// Optionals as text for BOOST_TEST's messages: the value, or "none".
std::string shown(const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "none"; }
std::string shown(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "none"; }

}  // namespace

// ---- CPM: page/page_size (§1.5) -------------------------------------------

struct cpm_plan_case {
    std::uint64_t offset, limit;
    std::size_t max_calls;
    std::uint64_t cap;
    std::vector<page_call> expected;
};

BOOST_AUTO_TEST_CASE(cpm_plans_the_fewest_pages_that_cover_the_window)
{
    const std::vector<cpm_plan_case> cases{
        // One page holds the window: the smallest such page size.
        {5, 10, 4, 100, calls({{"page=1&page_size=15", 0, 15}})},
        {0, 20, 4, 100, calls({{"page=1&page_size=20", 0, 20}})},
        {40, 20, 4, 100, calls({{"page=3&page_size=20", 40, 20}})},  // §1.5's sample page
        {95, 10, 4, 100, calls({{"page=7&page_size=15", 90, 15}})},
        {130, 20, 4, 100, calls({{"page=6&page_size=25", 125, 25}})},
        {995, 10, 4, 100, calls({{"page=72&page_size=14", 994, 14}})},
        // No page of at most the cap holds it: the fewest pages, then the fewest items.
        {0, 250, 4, 100, calls({{"page=1&page_size=84", 0, 84}, {"page=2&page_size=84", 84, 84},
                                {"page=3&page_size=84", 168, 84}})},
        {95, 110, 4, 100, calls({{"page=2&page_size=69", 69, 69}, {"page=3&page_size=69", 138, 69}})},
        {0, 10, 4, 3, calls({{"page=1&page_size=3", 0, 3}, {"page=2&page_size=3", 3, 3},
                             {"page=3&page_size=3", 6, 3}, {"page=4&page_size=3", 9, 3}})},
        // More than max_calls pages: no page parameters, the whole collection (a bare array).
        {0, 1000, 4, 100, calls({{"", 0, 0}})},
        {0, 10, 3, 3, calls({{"", 0, 0}})},
        {500, 300, 2, 100, calls({{"", 0, 0}})},
        // max_calls 0 is taken as 1; an empty window asks for one item.
        {5, 10, 0, 100, calls({{"page=1&page_size=15", 0, 15}})},
        {7, 0, 4, 100, calls({{"page=8&page_size=1", 7, 1}})},
        // At the end of the index range the window is cut there (5 items), without overflow.
        {UINT64_MAX - 4, 10, 4, 100,
         calls({{"page=2305843009213693952&page_size=8", 18446744073709551608u, 8}})},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("offset " << c.offset << " limit " << c.limit << " max_calls " << c.max_calls << " cap "
                                     << c.cap)
        {
            BOOST_TEST(cpm_list(c.cap).plan(c.offset, c.limit, c.max_calls) == c.expected,
                       boost::test_tools::per_element());
        }
    }
}

// Every plan covers its window with at most max_calls pages no larger than
// the cap, and takes one call whenever one page of at most the cap can.
BOOST_AUTO_TEST_CASE(cpm_plans_always_cover_the_window)
{
    for (std::uint64_t cap : {1u, 7u, 100u})
        for (std::size_t max_calls : {1u, 2u, 4u})
            for (std::uint64_t offset = 0; offset < 160; offset += 3)
                for (std::uint64_t limit = 1; limit <= 60; limit += 2) {
                    const auto plan = cpm_list(cap).plan(offset, limit, max_calls);
                    BOOST_TEST_CONTEXT("offset " << offset << " limit " << limit << " max_calls " << max_calls
                                                 << " cap " << cap)
                    {
                        BOOST_TEST_REQUIRE(!plan.empty());
                        BOOST_TEST(plan.size() <= max_calls);
                        if (plan.front().query.empty()) {
                            BOOST_TEST(plan.size() == 1u);
                            BOOST_TEST(plan.front().first == 0u);
                            BOOST_TEST(plan.front().asked == 0u);
                            continue;
                        }
                        const auto size = plan.front().asked;
                        BOOST_TEST(size <= cap);
                        BOOST_TEST(plan.front().first <= offset);
                        BOOST_TEST(plan.back().first + size >= offset + limit);
                        for (std::size_t i = 0; i < plan.size(); ++i) {
                            BOOST_TEST(plan[i].asked == size);
                            BOOST_TEST(plan[i].first % size == 0u);
                            BOOST_TEST(plan[i].first == plan.front().first + i * size);
                            BOOST_TEST(plan[i].query == "page=" + std::to_string(plan[i].first / size + 1) +
                                                            "&page_size=" + std::to_string(size));
                        }
                        bool one_page_fits = false;
                        for (std::uint64_t p = limit; p <= cap && !one_page_fits; ++p)
                            one_page_fits = offset / p == (offset + limit - 1) / p;
                        BOOST_TEST((plan.size() == 1u) == one_page_fits);
                    }
                }
}

BOOST_AUTO_TEST_CASE(cpm_takes_its_page_size_cap_from_the_options)
{
    BOOST_TEST(cpm_list(cpm_backend()).max_page_size() == 100u);  // DRF's and the simulator's default
    auto b = cpm_backend();
    b.options["max_page_size"] = option("3");
    BOOST_TEST(cpm_list(b).max_page_size() == 3u);
    cpm_adapter cpm(b);
    const auto* list = cpm.list_at("/api/policies/");
    BOOST_TEST_REQUIRE(list != nullptr);
    BOOST_TEST(list->plan(0, 6, 4) == calls({{"page=1&page_size=3", 0, 3}, {"page=2&page_size=3", 3, 3}}),
               boost::test_tools::per_element());

    // The configuration check: a whole number from 1 to 100000.
    const auto check = cpm_adapter::type().check.check;
    BOOST_TEST(check(b).empty());
    for (const char* bad : {"0", "-1", "ten", "1.5", "100001", ""}) {
        b.options["max_page_size"] = option(bad);
        const auto problems = check(b);
        BOOST_TEST_CONTEXT("max_page_size '" << bad << "'")
        {
            BOOST_TEST_REQUIRE(problems.size() == 1u);
            BOOST_TEST(problems.front().second.starts_with("max_page_size: expected a whole number from 1 to 100000"));
        }
    }
}

BOOST_AUTO_TEST_CASE(cpm_decodes_drf_pages_and_bare_arrays)
{
    const cpm_list cpm;
    BOOST_TEST(!cpm.starts_anywhere());
    BOOST_TEST((cpm.reserved_parameters() == std::vector<std::string_view>{"page", "page_size"}));

    // §1.5's sample answer.
    auto page = cpm.decode(answer(R"({"count":100,"next":"https://h/api/policies/?page=4&page_size=20",)"
                                  R"("previous":"https://h/api/policies/?page=2&page_size=20",)"
                                  R"("results":[{"id":"1"},{"id":"20"}]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(items_of(page) == R"([{"id":"1"},{"id":"20"}])");
    BOOST_TEST(shown(page->total) == "100");

    // §1.9.1 "List CPM Schedules": pagination off, a bare array of everything.
    page = cpm.decode(answer(R"([{"id":2,"name":"5minutes"},{"id":5,"name":"10hours"},{"id":4}])"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->items.size() == 3u);
    BOOST_TEST(shown(page->total) == "3");
    BOOST_TEST(shown(cpm.decode(answer("[]"))->total) == "0");

    // Page 1 of an empty result.
    page = cpm.decode(answer(R"({"count":0,"next":null,"previous":null,"results":[]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->items.empty());
    BOOST_TEST(shown(page->total) == "0");

    for (const char* body : {R"({"count":-1,"results":[]})", R"({"count":1.5,"results":[]})", R"({"results":[]})",
                             R"({"count":3})", R"({"count":3,"results":{}})", R"({"count":"3","results":[]})",
                             R"({"id":1})", R"("text")", "42", "not json", "", R"({"count":1,"results":[)"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!cpm.decode(answer(body)).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(cpm_list_paths)
{
    // Chapter 2's collections, paginated or not (§1.5), nested ones with their ids.
    for (const char* path : {"/accounts/", "/accounts/backup/", "/accounts/dr/", "/users/", "/schedules/",
                             "/policies/", "/backups/", "/recoveries/", "/s3_repositories/", "/regions/", "/agents/",
                             "/workers/", "/backups/7/snapshots/", "/backups/7/snapshots/volumes/",
                             "/backups/123/snapshots/rds_databases/", "/recoveries/4/logs/",
                             "/policies/3/targets/instances/", "/policies/3/targets/instances/9/volumes/"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(cpm_is_list_path(path)); }
    }
    for (const char* path : {"/policies", "/users", "/policies/12/", "/accounts/backup/3/", "/users/1/",
                             "/accounts/backup/3/snapshots/", "/system/support_logs/", "/settings/cleanup/logs/",
                             "/token/obtain/api_key/", "/token/refresh/", "/backups/x/snapshots/",
                             "/backups//snapshots/", "/backups/7/snapshots/volumes/5/", "/backups/7/snapshots",
                             "/settings/proxy/", "/policies/3/options/", "/", "", "/POLICIES/", "//policies/",
                             "/policies//", "/api/policies/"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(!cpm_is_list_path(path)); }
    }

    const auto b = cpm_backend();
    cpm_adapter cpm(b);
    BOOST_TEST(cpm.list_at("/api/policies/") != nullptr);
    BOOST_TEST(cpm.list_at("/api/accounts/dr/") == cpm.list_at("/api/users/"));
    BOOST_TEST(cpm.list_at("/api/policies/12/") == nullptr);
    BOOST_TEST(cpm.list_at("/policies/") == nullptr);     // outside the base path
    BOOST_TEST(cpm.list_at("/apipolicies/") == nullptr);  // not below "/api"
    BOOST_TEST(cpm.list_at("/api") == nullptr);
}

BOOST_AUTO_TEST_CASE(cpm_error_messages)
{
    struct error_case {
        const char* body;
        std::optional<std::string> expected;
    };
    const std::vector<error_case> cases{
        // §1.8's sample: the first field's first message.
        {R"({"errors":[{"name":[{"message":"This field may not be blank.","code":"blank"}],)"
         R"("description":[{"message":"This field contains invalid characters.","code":"invalid"}]}]})",
         "name: This field may not be blank."},
        // Errors of no field: the message alone (what the simulator answers for a page past the end).
        {R"({"errors":[{"detail":[{"message":"Invalid page.","code":"not_found"}]}]})", "Invalid page."},
        {R"({"errors":[{"non_field_errors":[{"message":"Expected a dictionary.","code":"invalid"}]}]})",
         "Expected a dictionary."},
        {R"({"errors":[{"api_key":[{"message":"This field is required.","code":"required"},)"
         R"({"message":"second","code":"x"}]}]})",
         "api_key: This field is required."},
        // Not the document's shape.
        {R"({"errors":[]})", std::nullopt},
        {R"({"errors":[{}]})", std::nullopt},
        {R"({"errors":[{"name":[]}]})", std::nullopt},
        {R"({"errors":[{"name":["This field may not be blank."]}]})", std::nullopt},
        {R"({"errors":[{"name":[{"code":"blank"}]}]})", std::nullopt},
        {R"({"errors":[{"name":[{"message":""}]}]})", std::nullopt},
        {R"({"errors":{"name":[{"message":"x"}]}})", std::nullopt},
        {R"({"detail":"Not found."})", std::nullopt},  // DRF's own format, not CPM's
        {"<html><body>Not Found</body></html>", std::nullopt},
        {"", std::nullopt},
    };
    const auto b = cpm_backend();
    cpm_adapter cpm(b);
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.body)
        {
            BOOST_TEST(shown(cpm_error_message(answer(c.body, http::status::bad_request))) == shown(c.expected));
            BOOST_TEST(shown(cpm.error_message(answer(c.body, http::status::bad_request))) == shown(c.expected));
        }
    }
}

// ---- Backup and DR: offset/limit, {count, items}, HEAD → Actifio-Count (§5.1, §3.3)

BOOST_AUTO_TEST_CASE(backupdr_plans_one_call_and_continues_where_the_server_stopped)
{
    const backupdr_list dr;
    BOOST_TEST(dr.starts_anywhere());
    BOOST_TEST((dr.reserved_parameters() == std::vector<std::string_view>{"offset", "limit"}));
    // §5.1's examples: limit=1000&offset=1000 is the second page of 1000.
    BOOST_TEST(dr.plan(1000, 1000, 4) == calls({{"offset=1000&limit=1000", 1000, 1000}}),
               boost::test_tools::per_element());
    BOOST_TEST(dr.plan(40, 20, 1) == calls({{"offset=40&limit=20", 40, 20}}), boost::test_tools::per_element());
    BOOST_TEST(dr.plan(0, 0, 4) == calls({{"offset=0&limit=1", 0, 1}}), boost::test_tools::per_element());
    // "It may be smaller than what is specified": the rest from where the answer ended.
    BOOST_TEST(dr.continue_from(50, 950) == (page_call{"offset=50&limit=950", 50, 950}));
    BOOST_TEST(dr.continue_from(90, 10) == (page_call{"offset=90&limit=10", 90, 10}));
    BOOST_TEST(dr.continue_from(90, 0) == (page_call{"offset=90", 90, 0}));
}

BOOST_AUTO_TEST_CASE(backupdr_decodes_list_views_and_counts)
{
    const backupdr_list dr;
    auto page = dr.decode(answer(R"({"count":2,"items":[{"id":4,"hostname":"a"},{"id":9,"hostname":"b"}]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(items_of(page) == R"([{"id":4,"hostname":"a"},{"id":9,"hostname":"b"}])");
    BOOST_TEST(!page->total.has_value());  // count is this answer's, not the collection's
    page = dr.decode(answer(R"({"count":0,"items":[]})"));  // §5.1: an offset past the end
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->items.empty());
    for (const char* body : {R"({"items":[]})", R"({"count":1})", R"({"count":1,"items":{}})",
                             R"({"count":-1,"items":[]})", "[]", R"({"err_code":10002,"err_message":"bad"})",
                             "not json"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!dr.decode(answer(body)).has_value()); }
    }

    // §3.3: HEAD (no pagination in its query) → Actifio-Count.
    const auto head = dr.total_call();
    BOOST_TEST_REQUIRE(head.has_value());
    BOOST_TEST((head->first == http::verb::head));
    BOOST_TEST(head->second.empty());
    auto counted = answer("");
    counted.set("Actifio-Count", "9771");
    BOOST_TEST(shown(dr.decode_total(counted)) == "9771");
    for (const char* bad : {"", "-1", "3 7", "+37", "1e3", "abc", "99999999999999999999"}) {
        counted.set("Actifio-Count", bad);
        BOOST_TEST_CONTEXT("Actifio-Count '" << bad << "'") { BOOST_TEST(!dr.decode_total(counted).has_value()); }
    }
    BOOST_TEST(!dr.decode_total(answer("")).has_value());
    auto failed = answer("", http::status::not_found);
    failed.set("Actifio-Count", "3");
    BOOST_TEST(!dr.decode_total(failed).has_value());

    // options.count_via_head: true by default, "false" turns the HEAD off.
    auto b = backend("google-backupdr", "/actifio");
    BOOST_TEST(backupdr_list(b).total_call().has_value());
    b.options["count_via_head"] = option("false");
    BOOST_TEST(!backupdr_list(b).total_call().has_value());
    b.options["count_via_head"] = option("TRUE");
    BOOST_TEST(backupdr_list(b).total_call().has_value());
}

BOOST_AUTO_TEST_CASE(backupdr_list_paths)
{
    // §4.1 top level resources; §5's examples GET .../application, .../backup, .../host.
    for (const char* path : {"/application", "/backup", "/host", "/job", "/slt", "/diskpool", "/audit"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(backupdr_is_list_path(path)); }
    }
    for (const char* path : {"/session", "/session/current", "/host/12", "/manageacl/promoteUser", "/host/", "/",
                             "", "host", "//host"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(!backupdr_is_list_path(path)); }
    }
}

BOOST_AUTO_TEST_CASE(backupdr_error_messages)
{
    // §3.6: {"err_code": <err_code>, "err_message": <err_message, optional>}.
    BOOST_TEST(shown(backupdr_error_message(answer(R"({"err_code":10003,"err_message":"No host with id 7."})",
                                                   http::status::not_found))) == "'No host with id 7.'");
    BOOST_TEST(shown(backupdr_error_message(answer(R"({"err_code":"10005","err_message":"Method not allowed"})"))) ==
               "'Method not allowed'");
    for (const char* body : {R"({"err_code":10003})", R"({"err_code":10003,"err_message":""})",
                             R"({"err_code":10003,"err_message":null})", R"({"err_message":"no code"})",
                             R"({"err_code":null,"err_message":"x"})", "[]", "", "Server Error"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!backupdr_error_message(answer(body)).has_value()); }
    }
}

// ---- Veeam: Offset/Limit (case-sensitive), {totalCount, results} -------------

BOOST_AUTO_TEST_CASE(veeam_plans_offset_and_limit)
{
    const veeam_list v;
    BOOST_TEST(v.starts_anywhere());
    BOOST_TEST((v.reserved_parameters() == std::vector<std::string_view>{"Offset", "Limit"}));
    BOOST_TEST(v.plan(2, 3, 4) == calls({{"Offset=2&Limit=3", 2, 3}}), boost::test_tools::per_element());
    BOOST_TEST(v.plan(0, 1000, 1) == calls({{"Offset=0&Limit=1000", 0, 1000}}), boost::test_tools::per_element());
    BOOST_TEST(v.plan(7, 0, 4) == calls({{"Offset=7&Limit=1", 7, 1}}), boost::test_tools::per_element());
    // Offset is int32: a window beyond it is past the end; ask from the last offset.
    BOOST_TEST(v.plan(5'000'000'000, 10, 4) == calls({{"Offset=2147483647&Limit=10", 2147483647, 10}}),
               boost::test_tools::per_element());
    BOOST_TEST(v.continue_from(50, 50) == (page_call{"Offset=50&Limit=50", 50, 50}));
    // "Everything from first": the reference's Limit=-1.
    BOOST_TEST(v.continue_from(50, 0) == (page_call{"Offset=50&Limit=-1", 50, 0}));

    // A list documented without Offset/Limit (users/roles): one call, the whole list.
    const veeam_list whole(veeam_list::mode::whole);
    BOOST_TEST(!whole.starts_anywhere());
    BOOST_TEST(whole.reserved_parameters().empty());
    BOOST_TEST(whole.plan(1, 1, 4) == calls({{"", 0, 0}}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(veeam_decodes_total_count_and_results)
{
    const veeam_list v;
    // Reference, "Get Collection of User Roles".
    auto page = v.decode(answer(R"({"totalCount":3,"results":[{"id":"fe47","name":"Portal Administrator"},)"
                                R"({"id":"179d","name":"Portal Operator"}]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(items_of(page) == R"([{"id":"fe47","name":"Portal Administrator"},{"id":"179d","name":"Portal Operator"}])");
    BOOST_TEST(shown(page->total) == "3");
    for (const char* body : {R"({"results":[]})", R"({"totalCount":3})", R"({"totalCount":3,"results":{}})",
                             R"({"totalCount":-3,"results":[]})", R"({"count":3,"items":[]})", "[]",
                             R"({"title":"Not Found","status":404})", "no"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!v.decode(answer(body)).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(veeam_list_paths)
{
    for (const char* path : {"/users", "/users/", "/virtualMachines", "/virtualMachines/", "/repositories",
                             "/regions", "/efs/policies", "/virtualMachines/policies",
                             "/virtualMachines/restorePoints"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST((veeam_collection_at(path) == veeam_collection::paged)); }
    }
    BOOST_TEST((veeam_collection_at("/users/roles") == veeam_collection::whole));
    BOOST_TEST((veeam_collection_at("/users/roles/") == veeam_collection::whole));
    for (const char* path : {"/users/administrator", "/users/administrator/enableMfa", "/virtualMachines/vm-1",
                             "/repositories/r-1", "/token", "/token/authorization_code", "/virtualmachines",
                             "/Users", "/", "", "//users"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST((veeam_collection_at(path) == veeam_collection::none)); }
    }

    const auto b = veeam_backend();
    veeam_adapter veeam(b);
    const auto* users = veeam.list_at("/api/v1/users");
    const auto* roles = veeam.list_at("/api/v1/users/roles");
    BOOST_TEST_REQUIRE(users != nullptr);
    BOOST_TEST_REQUIRE(roles != nullptr);
    BOOST_TEST(users->starts_anywhere());
    BOOST_TEST(!roles->starts_anywhere());
    BOOST_TEST(veeam.list_at("/api/v1/virtualMachines") == users);
    BOOST_TEST(veeam.list_at("/api/v1/users/administrator") == nullptr);
    BOOST_TEST(veeam.list_at("/users") == nullptr);
}

BOOST_AUTO_TEST_CASE(veeam_error_messages)
{
    struct error_case {
        const char* body;
        std::optional<std::string> expected;
    };
    const std::vector<error_case> cases{
        {R"({"title":"Not Found","status":404,"errorCode":"NotFound",)"
         R"("details":"The resource '/api/v1/nothing' does not exist.","data":{}})",
         "Not Found: The resource '/api/v1/nothing' does not exist."},
        {R"({"title":"Unauthorized","status":401,"errorCode":"AccessDenied","details":"","data":{}})", "Unauthorized"},
        {R"({"title":"Bad Request","status":400,"errorCode":"BadRequest","details":null})", "Bad Request"},
        {R"({"title":"Forbidden","errorCode":"AccessDenied","details":{"x":1}})", "Forbidden"},
        {R"({"title":"string","status":400})", "string"},
        {R"({"status":400,"errorCode":"BadRequest","details":"no title"})", std::nullopt},
        {R"({"title":"","status":400,"errorCode":"BadRequest"})", std::nullopt},
        {R"({"title":7,"status":400,"errorCode":"BadRequest"})", std::nullopt},
        {R"({"title":"Just a title"})", std::nullopt},
        {R"(["title"])", std::nullopt},
        {"", std::nullopt},
    };
    const auto b = veeam_backend();
    veeam_adapter veeam(b);
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.body)
        {
            BOOST_TEST(shown(veeam_error_message(answer(c.body, http::status::bad_request))) == shown(c.expected));
            BOOST_TEST(shown(veeam.error_message(answer(c.body, http::status::bad_request))) == shown(c.expected));
        }
    }
}

// ---- CloudBasic: no pagination, XML errors ---------------------------------

BOOST_AUTO_TEST_CASE(cloudbasic_fetches_the_whole_list_once)
{
    const cloudbasic_list cb;
    BOOST_TEST(!cb.starts_anywhere());
    BOOST_TEST(cb.reserved_parameters().empty());
    BOOST_TEST(cb.plan(0, 10, 4) == calls({{"", 0, 0}}), boost::test_tools::per_element());
    BOOST_TEST(cb.plan(130, 20, 1) == calls({{"", 0, 0}}), boost::test_tools::per_element());

    // backup-sim's JSON list: one member holding the array.
    auto page = cb.decode(answer(R"({"Replications":[{"Id":"rep-0001","SizeBytes":12},{"Id":"rep-0002"}]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(items_of(page) == R"([{"Id":"rep-0001","SizeBytes":12},{"Id":"rep-0002"}])");
    BOOST_TEST(shown(page->total) == "2");
    page = cb.decode(answer(R"({"Clusters":[]})"));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(shown(page->total) == "0");
    page = cb.decode(answer(R"([{"Id":"inst-0001"}])"));  // a bare array
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(shown(page->total) == "1");
    for (const char* body :
         {R"({"Replication":{"Id":"rep-0001"}})", R"({"Replications":[],"Next":null})", "{}",
          R"(<?xml version="1.0" encoding="utf-8"?><Replications><Replication><Id>rep-0001</Id></Replication></Replications>)",
          "", "3"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!cb.decode(answer(body)).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(cloudbasic_list_paths)
{
    for (const char* path : {"/replications", "/instances", "/users", "/clusters"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(cloudbasic_is_list_path(path)); }
    }
    for (const char* path : {"/replications/", "/replications/rep-0001", "/Replications", "/", "", "/token"}) {
        BOOST_TEST_CONTEXT(path) { BOOST_TEST(!cloudbasic_is_list_path(path)); }
    }
    const auto b = cloudbasic_backend();
    cloudbasic_adapter cb(b);
    BOOST_TEST(cb.list_at("/replications") != nullptr);
    BOOST_TEST(cb.list_at("/replications/rep-0001") == nullptr);

    auto under = cloudbasic_backend();
    under.url.base_path = "/cbr";
    cloudbasic_adapter cb_under(under);
    BOOST_TEST(cb_under.list_at("/cbr/users") != nullptr);
    BOOST_TEST(cb_under.list_at("/users") == nullptr);
}

BOOST_AUTO_TEST_CASE(cloudbasic_error_messages)
{
    struct error_case {
        std::string body;
        std::optional<std::string> expected;
    };
    const std::vector<error_case> cases{
        // The document's sample, and backup-sim's body byte for byte.
        {"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n <RequestId>request-id</RequestId>\n"
         " <Message>error-specific-message-text</Message>\n</Error>",
         "error-specific-message-text"},
        {"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n <RequestId>17</RequestId>\n"
         " <Message>Replication 'rep-9999' does not exist.</Message>\n</Error>\n",
         "Replication 'rep-9999' does not exist."},
        // Entities and character references decoded; white space around trimmed.
        {"<Error><Message>\n  Name &lt;x&gt; &amp; &quot;y&quot; &apos;z&apos; &#233;&#xE9;&#x1F600; \n</Message></Error>",
         "Name <x> & \"y\" 'z' \xC3\xA9\xC3\xA9\xF0\x9F\x98\x80"},
        {"<Error><RequestId/><Code>InvalidParameter</Code><Message>bad &lt;Mode&gt;</Message></Error>",
         "bad <Mode>"},
        {"\xEF\xBB\xBF<?xml version='1.0'?><!-- c --><Error xmlns=\"urn:x\" a='1'>"
         "<Message><![CDATA[a <raw> & text]]> end</Message><!-- c --></Error><!-- c -->",
         "a <raw> & text end"},
        {"<Error><Message>first</Message><Message>second</Message></Error>", "first"},
        {"<Error><Message>quoted > is fine</Message></Error>", "quoted > is fine"},
        // Anything else.
        {"<Error><RequestId>1</RequestId></Error>", std::nullopt},
        {"<Error><Message></Message></Error>", std::nullopt},
        {"<Error><Message>   </Message></Error>", std::nullopt},
        {"<Error><Message/></Error>", std::nullopt},
        {"<Error/>", std::nullopt},
        {"<Fault><Message>x</Message></Fault>", std::nullopt},
        {"<error><message>x</message></error>", std::nullopt},
        {"<Error><Message>a <b>bold</b></Message></Error>", std::nullopt},
        {"<Error><Message>&nbsp;</Message></Error>", std::nullopt},
        {"<Error><Message>&#0;</Message></Error>", std::nullopt},
        {"<Error><Message>&#xD800;</Message></Error>", std::nullopt},
        {"<Error><Message>&#x110000;</Message></Error>", std::nullopt},
        {"<Error><Message>&#-1;</Message></Error>", std::nullopt},
        {"<Error><Message>&#;</Message></Error>", std::nullopt},
        {"<Error><Message>a & b</Message></Error>", std::nullopt},
        {"<Error><Message>x</Mesage></Error>", std::nullopt},
        {"<Error><Message>x</Message>", std::nullopt},
        {"<Error><Message>x</Message></Error><Error/>", std::nullopt},
        {"<Error><Message>x</Message></Error> trailing", std::nullopt},
        {"<Error>text<Message>x</Message></Error>", std::nullopt},
        {"<!DOCTYPE Error [<!ENTITY e \"x\">]><Error><Message>&e;</Message></Error>", std::nullopt},
        {"<Error><?pi x?><Message>x</Message></Error>", std::nullopt},
        {"<Error a=1><Message>x</Message></Error>", std::nullopt},
        {"<Error a=\"<\"><Message>x</Message></Error>", std::nullopt},
        {"<Error><Message x><Message>x</Message></Error>", std::nullopt},
        {"<Error><Message>x<!-- unterminated</Message></Error>", std::nullopt},
        {"<Error><Message><![CDATA[x</Message></Error>", std::nullopt},
        {R"({"Message":"json"})", std::nullopt},
        {"", std::nullopt},
    };
    const auto b = cloudbasic_backend();
    cloudbasic_adapter cb(b);
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.body)
        {
            BOOST_TEST(shown(cloudbasic_xml_error_message(c.body)) == shown(c.expected));
            BOOST_TEST(shown(cb.error_message(answer(c.body, http::status::bad_request))) == shown(c.expected));
        }
    }
}

// ---- The outline of a list answer (adapters/list_support.hpp) -----------------

BOOST_AUTO_TEST_SUITE(json_outline)

using bg::adapters::lists::json_outline;
using bg::adapters::lists::whole_number;

// Items are the upstream's own text: numbers keep their spelling (a document
// would make 1.5 into 1.5E0), and white space inside an item stays.
BOOST_AUTO_TEST_CASE(items_keep_the_vendors_own_text)
{
    const auto& res = answer(R"({"count":3, "results": [ {"size": 1.5, "n": 100.0},)"
                             "\n  {\"big\": 12345678901234567890123, \"e\": 1e2} ,"
                             R"({"s":"a\"]},[{" , "u":"\u00e9"} ] })");
    const cpm_list cpm;
    const auto page = cpm.decode(res);
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->items.size() == 3u);
    BOOST_TEST(page->items[0] == R"({"size": 1.5, "n": 100.0})");
    BOOST_TEST(page->items[1] == R"({"big": 12345678901234567890123, "e": 1e2})");
    BOOST_TEST(page->items[2] == R"({"s":"a\"]},[{" , "u":"\u00e9"})");  // brackets inside a string
    BOOST_TEST(shown(page->total) == "3");
}

BOOST_AUTO_TEST_CASE(the_top_level_is_read_as_a_document_would_be)
{
    auto o = json_outline::read(R"( {"a": [1, [2, 3], {"b": []}, "]", null], "res\u0075lts": "x", "n": 7, "a": [4]} )");
    BOOST_REQUIRE(o.has_value());
    BOOST_TEST(o->is_object());
    BOOST_TEST(!o->is_array());
    BOOST_TEST(o->size() == 3u);                                          // "a" twice counts once
    BOOST_TEST(o->member_text("a").value_or("none") == "[4]");            // the last one, as Boost.JSON keeps
    BOOST_REQUIRE(o->member_elements("a") != nullptr);
    BOOST_TEST(o->member_elements("a")->size() == 1u);
    BOOST_TEST(o->member_text("results").value_or("none") == "\"x\"");  // keys compared unescaped
    BOOST_TEST(o->member_elements("results") == nullptr);                 // not an array
    BOOST_TEST(o->member_text("n").value_or("none") == "7");
    BOOST_TEST(!o->member_text("b").has_value());                         // not a top-level key
    BOOST_TEST(o->only_member_elements() == nullptr);

    auto first = json_outline::read(R"({"a": [1, [2, 3], {"b": []}, "]", null, "\\"]})");
    BOOST_REQUIRE(first.has_value());
    const auto* elements = first->only_member_elements();
    BOOST_REQUIRE(elements != nullptr);
    BOOST_REQUIRE(elements->size() == 6u);
    BOOST_TEST((*elements)[1] == "[2, 3]");
    BOOST_TEST((*elements)[2] == R"({"b": []})");
    BOOST_TEST((*elements)[3] == R"("]")");
    BOOST_TEST((*elements)[4] == "null");
    BOOST_TEST((*elements)[5] == R"("\\")");  // a string ending in an escaped backslash

    auto arr = json_outline::read("[ ]");
    BOOST_REQUIRE(arr.has_value());
    BOOST_TEST(arr->is_array());
    BOOST_TEST(arr->elements().empty());
    auto empty_member = json_outline::read(R"({"Clusters": [ ]})");
    BOOST_REQUIRE(empty_member.has_value());
    BOOST_REQUIRE(empty_member->only_member_elements() != nullptr);
    BOOST_TEST(empty_member->only_member_elements()->empty());
    auto scalar = json_outline::read("42");
    BOOST_REQUIRE(scalar.has_value());
    BOOST_TEST(!scalar->is_array());
    BOOST_TEST(!scalar->is_object());
}

BOOST_AUTO_TEST_CASE(only_one_json_text_is_read)
{
    for (const char* body : {"", "not json", R"({"a":1} {"b":2})", R"({"a":[1,2)", R"({"a":1,})", R"([1,,2])",
                             R"({"a":"unterminated})", "[1] x"}) {
        BOOST_TEST_CONTEXT(body) { BOOST_TEST(!json_outline::read(body).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(whole_numbers_are_integers_of_zero_or_more)
{
    BOOST_TEST(shown(whole_number(std::string_view("137"))) == "137");
    BOOST_TEST(shown(whole_number(std::string_view("0"))) == "0");
    BOOST_TEST(shown(whole_number(std::string_view("-0"))) == "0");
    BOOST_TEST(shown(whole_number(std::string_view("18446744073709551615"))) == "18446744073709551615");
    for (const char* text : {"-1", "1.0", "1e2", "18446744073709551616", "\"3\"", "null", "true", "[3]"}) {
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(!whole_number(std::string_view(text)).has_value()); }
    }
    BOOST_TEST(!whole_number(std::nullopt).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
