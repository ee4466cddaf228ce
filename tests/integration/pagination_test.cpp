// One way to page and one error format, end to end: the real gateway in
// front of backup-sim, for every backend type (DESIGN.md "Pagination is
// normalized", "Errors are normalized"; docs/pagination.md).
//
// Each collection is walked in the three client styles with page sizes that
// divide its size and that do not; every item must appear exactly once and in
// the order of a reference walk, `total` must be the seeded size, and
// next/previous must lead to both ends.
#define BOOST_TEST_MODULE integration_pagination
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/vendor_env.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <set>

using namespace bgtest;

namespace {

struct collection {
    const char* backend;
    const char* path;  // the list's path through the gateway
    std::uint64_t size;
    // Backup and DR's only total is HEAD's Actifio-Count, an estimate (§3.3):
    // the envelope says so, X-Total-Count is left out, and a full window at
    // the end has a next (whose answer is empty).
    bool estimated = false;
};
// Seeded sizes (docs/simulators.md), none a round number.
const collection collections[] = {
    {"cpm", "/cpm/policies/", 137},
    {"veeam", "/veeam/repositories", 37},
    {"cloudbasic", "/cloudbasic/replications", 137},
    {"backupdr", "/backupdr/host", 23, true},
};

std::string key_of(const boost::json::value& item) { return boost::json::serialize(item); }

std::string with_query(std::string_view path, std::string_view query)
{
    return std::string(path) + (query.empty() ? "" : "?") + std::string(query);
}

// Follows `next` from `first` to the end; returns the items in order and
// checks every page's envelope; then follows `previous` back to the start.
// `estimated`: the backend's total is an estimate, so a page that reports
// one says so ("total_estimated": true) and only an exact total is checked.
std::vector<std::string> walk(const env& e, std::string_view first, std::uint64_t total, std::uint64_t limit,
                              bool estimated = false)
{
    std::vector<std::string> items;
    std::string target(first);
    std::vector<std::string> pages;
    for (int guard = 0; guard < 400; ++guard) {
        pages.push_back(target);
        const auto doc = e.page(target);
        BOOST_REQUIRE(doc.at("items").is_array());
        const auto* flagged = doc.if_contains("total_estimated");
        BOOST_TEST((!flagged || estimated));
        if (!flagged)
            BOOST_TEST(doc.at("total").to_number<std::uint64_t>() == total);
        BOOST_TEST(doc.at("limit").to_number<std::uint64_t>() == limit);
        BOOST_TEST(doc.at("offset").to_number<std::uint64_t>() == items.size());
        const auto& page_items = doc.at("items").as_array();
        const auto expected = std::min<std::uint64_t>(limit, total - items.size());
        BOOST_TEST(page_items.size() == expected);
        for (const auto& it : page_items)
            items.push_back(key_of(it));
        if (items.size() == page_items.size())
            BOOST_TEST(doc.at("previous").is_null());
        if (doc.at("next").is_null())
            break;
        target = std::string(doc.at("next").as_string());
    }
    BOOST_TEST(items.size() == total);
    // And back: previous from the last page reaches the first, page by page.
    std::string back = pages.back();
    for (std::size_t i = pages.size(); i-- > 1;) {
        const auto doc = e.page(back);
        BOOST_REQUIRE(!doc.at("previous").is_null());
        back = std::string(doc.at("previous").as_string());
        BOOST_TEST(back == pages[i - 1]);
    }
    return items;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_collection_walked_in_every_style)
{
    env e;
    for (const auto& c : collections) {
        BOOST_TEST_CONTEXT(c.backend)
        {
            // The reference: the largest window, in the offset style.
            const auto first = e.get(with_query(c.path, "offset=0&limit=60"));
            BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
            const auto reported = first.json().at("total").to_number<std::uint64_t>();
            const auto total = c.size;
            // (An estimate until a walk reaches the end: this window holds all 23 hosts.)
            if (first.json().if_contains("total_estimated")) {
                BOOST_TEST(c.estimated);
                BOOST_TEST(first.header("X-Total-Count").empty());
            } else {
                BOOST_TEST(reported == total);
                BOOST_TEST(first.header("X-Total-Count") == std::to_string(total));
            }
            const auto reference = walk(e, with_query(c.path, "offset=0&limit=60"), total, 60, c.estimated);
            BOOST_TEST(std::set<std::string>(reference.begin(), reference.end()).size() == total);  // no repeats

            // Sizes that divide the total and sizes that do not, in each style.
            for (const std::uint64_t size : {1ull, 7ull, 20ull, 50ull, total % 60 ? 0ull : 30ull}) {
                if (size == 0 || (size == 1 && total > 40))
                    continue;  // one item per page: only for the small collections
                BOOST_TEST_CONTEXT("page size " << size)
                {
                    const auto n = std::to_string(size);
                    BOOST_TEST(walk(e, with_query(c.path, "page=1&page_size=" + n), total, size, c.estimated) == reference);
                    BOOST_TEST(walk(e, with_query(c.path, "offset=0&limit=" + n), total, size, c.estimated) == reference);
                    BOOST_TEST(walk(e, with_query(c.path, "Offset=0&Limit=" + n), total, size, c.estimated) == reference);
                }
            }
            // A window that does not line up with anything: offset 5, limit 10.
            const auto odd = e.page(with_query(c.path, "offset=5&limit=10"));
            std::vector<std::string> got;
            for (const auto& it : odd.at("items").as_array())
                got.push_back(key_of(it));
            BOOST_TEST(got == std::vector<std::string>(reference.begin() + 5, reference.begin() + 15));
        }
    }
}

BOOST_AUTO_TEST_CASE(boundaries)
{
    env e;
    for (const auto& c : collections) {
        BOOST_TEST_CONTEXT(c.backend)
        {
            const auto first = e.page(c.path);
            const auto total = c.size;
            const auto n = std::to_string(total);
            BOOST_TEST((first.if_contains("total_estimated") != nullptr) == c.estimated);  // present only for estimates
            if (!c.estimated)
                BOOST_TEST(first.at("total").to_number<std::uint64_t>() == total);
            // Without parameters: [0, default_limit), links in the offset style.
            const auto plain = e.page(c.path);
            BOOST_TEST(plain.at("offset").to_number<int>() == 0);
            BOOST_TEST(plain.at("limit").to_number<int>() == 20);
            BOOST_TEST(plain.at("items").as_array().size() == 20u);
            BOOST_TEST(plain.at("next").as_string() == with_query(c.path, "offset=20&limit=20"));
            // At the end and past it: no items, no next, a previous.
            for (const auto& q : {"offset=" + n + "&limit=10", "offset=" + std::to_string(total + 25) + "&limit=10"}) {
                const auto doc = e.page(with_query(c.path, q));
                BOOST_TEST(doc.at("items").as_array().empty());
                if (!c.estimated)
                    BOOST_TEST(doc.at("total").to_number<std::uint64_t>() == total);
                BOOST_TEST(doc.at("next").is_null());
                BOOST_TEST(!doc.at("previous").is_null());
            }
            // The last item alone.
            const auto last = e.page(with_query(c.path, "offset=" + std::to_string(total - 1) + "&limit=1"));
            BOOST_TEST(last.at("items").as_array().size() == 1u);
            if (c.estimated) {
                // Nothing says the collection ends here: the next window is asked for, and is empty.
                BOOST_TEST(last.at("next").as_string() == with_query(c.path, "offset=" + n + "&limit=1"));
                const auto after = e.page(std::string(last.at("next").as_string()));
                BOOST_TEST(after.at("items").as_array().empty());
                BOOST_TEST(after.at("next").is_null());
            } else {
                BOOST_TEST(last.at("next").is_null());
            }
            // A limit above max_limit is clamped.
            const auto big = e.page(with_query(c.path, "Limit=5000"));
            BOOST_TEST(big.at("limit").to_number<int>() == 60);
            BOOST_TEST(big.at("items").as_array().size() == std::min<std::size_t>(60, total));
            // A page beyond the last.
            const auto beyond = e.page(with_query(c.path, "page=99&page_size=10"));
            BOOST_TEST(beyond.at("items").as_array().empty());
            BOOST_TEST(beyond.at("next").is_null());
            // HEAD: the headers only.
            const auto head = e.get(with_query(c.path, "page=2&page_size=10"), {"-I"});
            BOOST_TEST(head.status == 200u);
            BOOST_TEST(head.header("X-Total-Count") == (c.estimated ? std::string() : n));
            BOOST_TEST(head.header("Link").find("rel=\"next\"") != std::string::npos);
            BOOST_TEST(head.body.empty());
            // A bad query: 400 naming the parameter.
            const auto bad = e.get(with_query(c.path, "page=1&limit=2"));
            const auto problem = expect_problem(bad, 400, "bad-request");
            BOOST_TEST(std::string(problem.at("detail").as_string()).find("'page' and 'limit'") != std::string::npos);
        }
    }
}

// Every collection the vendors' documents list is a list, not only the seven
// paths of the first wave: walked in the three styles against its largest
// window, with no vendor host in any link (CPM's own absolute next points at
// the vendor). CPM's /regions/ does not paginate: it answers the whole bare
// array to every page, and the gateway pages it itself.
BOOST_AUTO_TEST_CASE(every_documented_collection_is_a_list)
{
    env e;
    std::string snapshots;  // of the first backup that has some (backup-sim: 0 to 7 each)
    const auto backups = e.page("/cpm/backups/?limit=10");
    for (const auto& b : backups.at("items").as_array()) {
        const auto path = "/cpm/backups/" + boost::json::serialize(b.at("id")) + "/snapshots/";
        if (e.page(path).at("total").to_number<std::uint64_t>() > 2) {
            snapshots = path;
            break;
        }
    }
    BOOST_REQUIRE(!snapshots.empty());
    const std::vector<std::string> paths{
        "/cpm/recoveries/",  "/cpm/s3_repositories/", "/cpm/regions/", snapshots, "/veeam/regions",
        "/veeam/efs/policies", "/veeam/virtualMachines/policies", "/veeam/virtualMachines/restorePoints"};
    const std::vector<std::string> hosts{e.sim.base_url("cpm"), e.sim.base_url("veeam")};
    for (const auto& path : paths) {
        BOOST_TEST_CONTEXT(path)
        {
            const auto first = e.get(with_query(path, "offset=0&limit=60"));
            BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
            const auto total = first.json().at("total").to_number<std::uint64_t>();
            BOOST_TEST(total > 0u);
            const auto reference = walk(e, with_query(path, "offset=0&limit=60"), total, 60);
            BOOST_TEST(std::set<std::string>(reference.begin(), reference.end()).size() == total);
            for (const std::string style : {"page=1&page_size=7", "offset=0&limit=7", "Offset=0&Limit=7"})
                BOOST_TEST((walk(e, with_query(path, style), total, 7) == reference), style);
            const auto second = e.get(with_query(path, "page=2&page_size=3"));
            for (const auto& host : hosts)
                BOOST_TEST(second.body.find(host) == std::string::npos, second.body.substr(0, 300));
        }
    }
    // The vendor answers the whole bare array to a page of /regions/: the
    // gateway places it from the first region, so page 2 is regions 6 to 10
    // (placed at the call's first index, it would be regions 1 to 5).
    const auto all_regions = walk(e, "/cpm/regions/?offset=0&limit=60", 17, 60);
    const auto relayed = e.get("/cpm/regions/?page=2&page_size=5");
    const auto page_two = relayed.json();
    BOOST_TEST(page_two.at("items").as_array().size() == 5u);
    std::vector<std::string> second;
    for (const auto& it : page_two.at("items").as_array())
        second.push_back(key_of(it));
    BOOST_TEST((second == std::vector<std::string>(all_regions.begin() + 5, all_regions.begin() + 10)));
    const auto last = e.sim.state("cpm").at("last_request").as_object();
    BOOST_TEST(std::string(last.at("target").as_string()).find("page=") != std::string::npos);
}

// CloudBasic answers XML or JSON by Accept: a list is asked for in JSON and
// answered as the envelope; a client preferring XML gets a 406, not an
// unpaged XML list. Items keep XML when asked.
BOOST_AUTO_TEST_CASE(cloudbasic_lists_are_json_or_406)
{
    env e;
    for (const char* accept : {"Accept: */*", "Accept: application/json", "Accept: application/xml;q=0.5, */*"}) {
        const auto r = e.get("/cloudbasic/replications?limit=3", {"-H", accept});
        BOOST_TEST(r.status == 200u, accept);
        BOOST_TEST(r.json().at("items").as_array().size() == 3u);
    }
    for (const char* accept : {"Accept: application/xml", "Accept: text/xml", "Accept: application/json;q=0.5, application/xml"}) {
        const auto r = e.get("/cloudbasic/replications?limit=3", {"-H", accept});
        BOOST_TEST(r.status == 406u, accept);
        BOOST_TEST(r.header("Content-Type") == "application/problem+json");
        const std::string detail(r.json().at("detail").as_string());
        BOOST_TEST(detail.find("application/json only") != std::string::npos, detail);
    }
    const auto item = e.get("/cloudbasic/replications/rep-0001", {"-H", "Accept: application/xml"});
    BOOST_TEST(item.status == 200u);
    BOOST_TEST(item.header("Content-Type").find("xml") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(other_parameters_are_forwarded_in_order)
{
    env e;
    // CPM: search and ordering go upstream unchanged, the window is applied to the result.
    const auto doc = e.page("/cpm/users/?search=James&ordering=-id&offset=0&limit=5");
    BOOST_TEST(doc.at("total").to_number<int>() >= 1);
    const auto last = e.sim.state("cpm").at("last_request").as_object();
    const std::string target(last.at("target").as_string());
    BOOST_TEST(target.rfind("/api/users/?search=James&ordering=-id", 0) == 0u, target);
    // Backup and DR: a percent-encoded filter, as sent.
    const auto filtered = e.get("/backupdr/host?filter=hostname:%3D%7Chost&limit=5");
    BOOST_TEST(filtered.status == 200u, filtered.body);
    // §5.4's table lists Job among the resources with free text search.
    const auto jobs = e.page("/backupdr/job?keyword=weekly&limit=5");
    BOOST_TEST(!jobs.at("items").as_array().empty());
}

// §1.4: the version is a parameter of the accepted media type. A client's
// Accept listing several types went up with no version, and CPM answered in
// its latest; /api/backups/{id}/ exists from 1.1.0 on (backup-sim), so a
// backend pinned to 1.0.0 must not find it, whatever the client's Accept.
BOOST_AUTO_TEST_CASE(cpm_gets_the_pinned_version_whatever_the_clients_accept)
{
    env e;
    for (const char* accept : {"application/json", "application/json, text/plain", "*/*;q=0.8, application/json"}) {
        BOOST_TEST_CONTEXT(accept)
        {
            const std::vector<std::string> header{"-H", std::string("Accept: ") + accept};
            BOOST_TEST(e.get("/cpm/backups/1/", header).status == 200u);     // 1.1.0
            BOOST_TEST(e.get("/cpm100/backups/1/", header).status == 404u);  // 1.0.0
            const auto last = e.sim.state("cpm").at("last_request").as_object();
            const std::string sent(last.at("headers").as_object().at("accept").as_string());
            BOOST_TEST(sent.find("version=1.0.0") != std::string::npos, sent);
        }
    }
}

BOOST_AUTO_TEST_CASE(backupdr_short_pages_are_stitched)
{
    // The server gives at most 7 items an answer: a window of 60 takes 9 calls.
    env e({"--backupdr-page-cap", "7"});
    const auto doc = e.page("/backupdr/application?offset=3&limit=60");
    const auto total = doc.at("total").to_number<std::uint64_t>();
    BOOST_TEST(doc.at("items").as_array().size() == std::min<std::uint64_t>(60, total - 3));
    std::set<std::string> keys;
    for (const auto& it : doc.at("items").as_array())
        keys.insert(key_of(it));
    BOOST_TEST(keys.size() == doc.at("items").as_array().size());
}

// Follows `next` from `first` to the end: every item, in the order given.
std::vector<std::string> follow(const env& e, std::string first)
{
    std::vector<std::string> items;
    for (int guard = 0; guard < 200; ++guard) {
        const auto doc = e.page(first);
        for (const auto& it : doc.at("items").as_array())
            items.push_back(key_of(it));
        if (doc.at("next").is_null())
            return items;
        first = std::string(doc.at("next").as_string());
    }
    BOOST_FAIL("no end after 200 pages from " << first);
    return items;
}

BOOST_AUTO_TEST_CASE(a_window_cut_short_by_the_call_budget_continues_after_its_last_item)
{
    // The demo's case: 1001 backups, at most 50 an answer (backup-sim's
    // page_cap, §5.1 "the server may return fewer"), a window of 1000 and 20
    // upstream calls a request, the HEAD count (§3.3) among them: the window
    // holds 950 items, and the next one must start at item 950, not 1000.
    env e({}, "{default_limit: 100, max_limit: 1000, max_upstream_requests: 20}");
    const auto reference = follow(e, "/backupdr/backup?offset=0&limit=50");  // one call a window
    BOOST_TEST(reference.size() == 1001u);
    BOOST_TEST(std::set<std::string>(reference.begin(), reference.end()).size() == 1001u);

    const auto first = e.get("/backupdr/backup?offset=0&limit=1000");
    BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
    const auto doc = first.json();
    BOOST_TEST(doc.at("items").as_array().size() == 950u);
    BOOST_TEST(doc.at("limit").to_number<int>() == 1000);
    BOOST_TEST(doc.at("next").as_string() == "/backupdr/backup?offset=950&limit=1000");
    BOOST_TEST(first.header("Link").find("</backupdr/backup?offset=950&limit=1000>; rel=\"next\"") !=
               std::string::npos);

    BOOST_TEST(follow(e, "/backupdr/backup?offset=0&limit=1000") == reference);
    BOOST_TEST(follow(e, "/backupdr/backup?Offset=0&Limit=1000") == reference);
    // The page style cannot continue mid-page (page + 1 is the client's own
    // arithmetic): its window is filled, whatever the call budget.
    const auto page1 = e.page("/backupdr/backup?page=1&page_size=1000");
    BOOST_TEST(page1.at("items").as_array().size() == 1000u);
    BOOST_TEST(page1.at("next").as_string() == "/backupdr/backup?page=2&page_size=1000");
    BOOST_TEST(follow(e, "/backupdr/backup?page=1&page_size=1000") == reference);
    BOOST_TEST(follow(e, "/backupdr/backup?page=1&page_size=333") == reference);
}

BOOST_AUTO_TEST_CASE(each_vendors_error_becomes_a_problem)
{
    env e;
    struct row {
        const char* target;
        unsigned status;
    };
    const row rows[] = {
        {"/cpm/policies/999999/", 404},
        {"/backupdr/application/999999", 404},
        {"/veeam/repositories/00000000-0000-0000-0000-000000000000", 404},
        {"/cloudbasic/replications/rep-9999", 404},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.target)
        {
            const auto res = e.get(r.target);
            const auto problem = expect_problem(res, r.status, "upstream-error");
            const auto& upstream = problem.at("upstream").as_object();
            BOOST_TEST(upstream.at("status").to_number<unsigned>() == r.status);
            BOOST_TEST(!upstream.at("body").is_null());
            const std::string title(problem.at("title").as_string());
            BOOST_TEST(!title.empty());
            BOOST_TEST(title != "Not Found");  // the vendor's message, not the reason phrase
            BOOST_TEST_MESSAGE(r.target << " → " << title);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_large_download_through_an_adapter_streams)
{
    const std::uint64_t size = sanitized() ? 64ull << 20 : 1ull << 30;
    env e({"--cpm-support-logs-bytes", std::to_string(size)});
    const auto before = e.gw->peak_rss_kib();
    const auto r = curl_raw({"-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H",
                             "Authorization: Bearer " + client_key, e.url("/cpm/system/support_logs/")},
                            300);
    BOOST_TEST(r.out == "200 " + std::to_string(size));
    const auto after = e.gw->peak_rss_kib();
    BOOST_TEST_MESSAGE("peak RSS " << before << " KiB → " << after << " KiB");
    BOOST_TEST(after < before + 64 * 1024);  // far less than the body: it streamed
}
