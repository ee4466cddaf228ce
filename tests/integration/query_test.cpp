// One query language across vendors, end to end (docs/pagination.md,
// "Sorting, searching and filtering"): the real gateway in front of
// backup-sim. A table of walks, every vendor × the three paging styles ×
// two page sizes × no query, a sort, a filter, a search and all three at
// once, each compared with the ground truth computed here from the
// collection's whole content: every item exactly once, in order, and the
// right total. Then a 400 for what a collection cannot do, and for a
// parameter its document does not list under `query: strict`.
#define BOOST_TEST_MODULE integration_query
#include <boost/test/unit_test.hpp>

#include "tests/integration/vendor_env.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <functional>
#include <set>

using namespace bgtest;
namespace json = boost::json;

namespace {

using item_test = std::function<bool(const json::object&)>;

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string text_of(const json::object& item, std::string_view field)
{
    const auto* v = item.if_contains(field);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The vendor's free-text search, as its document (and backup-sim) defines it:
// `term` (one word) in any of `fields`, case-insensitive.
item_test searched(std::vector<std::string> fields, std::string term)
{
    return [fields = std::move(fields), term = lower(term)](const json::object& item) {
        return std::any_of(fields.begin(), fields.end(),
                           [&](const std::string& f) { return lower(text_of(item, f)).find(term) != std::string::npos; });
    };
}

// CloudBasic, searched by the gateway: every text member.
item_test any_text(std::string term)
{
    return [term = lower(term)](const json::object& item) {
        return std::any_of(item.begin(), item.end(), [&](const json::key_value_pair& m) {
            return m.value().is_string() && lower(m.value().get_string()).find(term) != std::string::npos;
        });
    };
}

item_test equals(std::string field, json::value wanted)
{
    return [field = std::move(field), wanted = std::move(wanted)](const json::object& item) {
        const auto* v = item.if_contains(field);
        return v && *v == wanted;
    };
}

item_test both(item_test a, item_test b)
{
    return [a = std::move(a), b = std::move(b)](const json::object& item) { return a(item) && b(item); };
}

// One collection and what each query means on it.
struct collection {
    const char* backend;
    const char* path;
    bool estimated;           // Backup and DR: the total is an estimate until a walk meets the end
    std::string sort;         // the client's sort: one field, descending ("-name"), unique in the collection
    std::string filter;       // "filter[f]=v"
    item_test filter_test;
    std::string q;            // "q=term"
    item_test q_test;
};

// The ground truth: the collection in its default order (no query), then
// kept and ordered as the query says. Sort fields are unique, so the vendor's
// tie order does not matter; strings compare byte by byte (the fields chosen
// are lower case where a vendor folds case).
std::vector<json::object> truth(const std::vector<json::object>& all, const item_test& keep, const std::string& sort)
{
    std::vector<json::object> out;
    for (const auto& item : all)
        if (!keep || keep(item))
            out.push_back(item);
    if (!sort.empty()) {
        const bool desc = sort.front() == '-';
        const std::string field = desc ? sort.substr(1) : sort;
        std::stable_sort(out.begin(), out.end(), [&](const json::object& a, const json::object& b) {
            const auto& x = a.at(field);
            const auto& y = b.at(field);
            const bool less = x.is_string() ? x.get_string() < y.get_string()
                                            : x.to_number<double>() < y.to_number<double>();
            const bool greater = x.is_string() ? y.get_string() < x.get_string()
                                               : y.to_number<double>() < x.to_number<double>();
            return desc ? greater : less;
        });
    }
    return out;
}

std::string key_of(const json::value& v) { return json::serialize(v); }

std::string with(std::string_view path, std::string_view a, std::string_view b)
{
    std::string out(path);
    out += '?';
    out += a;
    if (!a.empty() && !b.empty())
        out += '&';
    out += b;
    return out;
}

// Every item from following `next` from `first`; checks each envelope's
// offset, limit and (exact) total on the way.
std::vector<std::string> walk(const env& e, const std::string& first, std::uint64_t total, std::uint64_t limit)
{
    std::vector<std::string> items;
    std::string target = first;
    for (int guard = 0; guard < 300; ++guard) {
        const auto doc = e.page(target);
        BOOST_TEST(doc.at("offset").to_number<std::uint64_t>() == items.size());
        BOOST_TEST(doc.at("limit").to_number<std::uint64_t>() == limit);
        if (!doc.if_contains("total_estimated"))
            BOOST_TEST(doc.at("total").to_number<std::uint64_t>() == total, target);
        for (const auto& it : doc.at("items").as_array())
            items.push_back(key_of(it));
        if (doc.at("next").is_null())
            return items;
        target = std::string(doc.at("next").as_string());
    }
    BOOST_FAIL("no end after 300 pages from " << first);
    return items;
}

// The whole collection, in its default order (Backup and DR: id order, the
// sort the gateway adds).
std::vector<json::object> everything(const env& e, const char* path)
{
    std::vector<json::object> out;
    std::string target = with(path, "offset=0&limit=60", "");
    for (int guard = 0; guard < 100; ++guard) {
        const auto doc = e.page(target);
        for (const auto& it : doc.at("items").as_array())
            out.push_back(it.as_object());
        if (doc.at("next").is_null())
            return out;
        target = std::string(doc.at("next").as_string());
    }
    BOOST_FAIL("no end");
    return out;
}

const std::vector<collection>& collections()
{
    static const std::vector<collection> all{
        // §1.6-1.7: ordering, search over name and description, exact field filters.
        {"cpm", "/cpm/policies/", false, "-name", "filter[enabled]=true", equals("enabled", true), "q=erp",
         searched({"name", "description"}, "erp")},
        // §5.2-5.4: one sort key, filter=attr:==v, keyword over §5.4's attributes.
        {"backupdr", "/backupdr/application", true, "-createdate", "filter[apptype]=Oracle", equals("apptype", "Oracle"),
         "q=web",
         searched({"vmuuid", "hostname", "appname", "description", "networkname", "pathname", "sqlinstance",
                   "sqlserverag"},
                  "web")},
        // Overview, Query Parameters: Sort, SearchPattern (the name), ProtectionStatus.
        {"veeam", "/veeam/virtualMachines", false, "-name", "filter[protectionStatus]=Protected",
         equals("protectionStatus", "Protected"), "q=web", searched({"name"}, "web")},
        // No query of its own: the gateway's.
        {"cloudbasic", "/cloudbasic/replications", false, "-SizeBytes", "filter[Status]=Paused",
         equals("Status", "Paused"), "q=ledger", any_text("ledger")},
    };
    return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_vendor_every_style_every_query)
{
    env e;
    std::size_t walks = 0;
    for (const auto& c : collections()) {
        BOOST_TEST_CONTEXT(c.backend)
        {
            const auto all = everything(e, c.path);
            BOOST_REQUIRE(all.size() > 20u);
            {
                std::set<std::string> sort_values;
                const std::string field = c.sort.substr(1);
                for (const auto& item : all)
                    sort_values.insert(key_of(item.at(field)));
                BOOST_REQUIRE_MESSAGE(sort_values.size() == all.size(), "the sort field must be unique");
            }
            struct query {
                std::string text;
                item_test keep;
                std::string sort;
            };
            const std::vector<query> queries{
                {"", {}, ""},
                {"sort=" + c.sort, {}, c.sort},
                {c.filter, c.filter_test, ""},
                {c.q, c.q_test, ""},
                {"sort=" + c.sort + "&" + c.filter + "&" + c.q, both(c.filter_test, c.q_test), c.sort},
            };
            for (const auto& q : queries) {
                const auto expected_items = truth(all, q.keep, q.sort);
                // A large collection's whole walk only once: the others are filtered.
                if (expected_items.size() > 200 && !q.sort.empty() && q.keep == nullptr)
                    continue;
                BOOST_REQUIRE_MESSAGE(!expected_items.empty(), c.backend << ": '" << q.text << "' keeps nothing");
                std::vector<std::string> expected;
                for (const auto& it : expected_items)
                    expected.push_back(key_of(it));
                const auto total = expected.size();
                for (const std::uint64_t size : {9u, 40u}) {
                    if (total > 200 && size < 40)
                        continue;
                    const auto n = std::to_string(size);
                    for (const std::string style : {"page=1&page_size=", "offset=0&limit=", "Offset=0&Limit="}) {
                        BOOST_TEST_CONTEXT("'" << q.text << "', " << style << n)
                        {
                            const auto got = walk(e, with(c.path, q.text, style + n), total, size);
                            BOOST_TEST(got.size() == total);
                            BOOST_TEST((got == expected));
                            ++walks;
                        }
                    }
                }
            }
        }
    }
    BOOST_TEST_MESSAGE(walks << " walks");
    BOOST_TEST(walks >= 90u);
}

namespace {

// A 400 problem whose detail holds every part.
void refused(const env& e, const std::string& target, std::initializer_list<std::string_view> parts)
{
    BOOST_TEST_CONTEXT(target)
    {
        const auto r = e.get(target);
        BOOST_TEST(r.status == 400u, r.body);
        BOOST_TEST(r.header("Content-Type") == "application/problem+json");
        const auto detail = std::string(r.json().at("detail").as_string());
        for (const auto part : parts)
            BOOST_TEST(detail.find(part) != std::string::npos, detail);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(what_a_collection_cannot_do_is_refused)
{
    env e;
    // More sort keys than the vendor takes (§5.3: one).
    refused(e, "/backupdr/host?sort=hostname,-id", {"'sort'", "backend 'backupdr'", "one key"});
    // A field the vendor does not sort or filter by (§3.1.2).
    refused(e, "/cpm/accounts/?sort=id", {"'sort'", "/accounts/", "authentication, name, user"});
    refused(e, "/cpm/policies/?filter[color]=red", {"'filter[color]'", "account, user, name, enabled"});
    // An operator the vendor has not (CPM: exact matches only; Veeam: its enum filter).
    refused(e, "/cpm/policies/?filter[generations][gte]=5", {"'filter[generations][gte]'"});
    refused(e, "/veeam/virtualMachines?filter[protectionStatus][contains]=Pro", {"exact match (one value) only"});
    // A union where the vendor matches one value.
    refused(e, "/cpm/policies/?filter[name]=a&filter[name]=b", {"against one value"});
    // No search where the document lists none (§5.4's table; /regions).
    refused(e, "/backupdr/sla?q=gold", {"'q'", "no free-text search"});
    refused(e, "/veeam/regions?sort=name", {"cannot sort, search or filter this list"});
    // A boolean the vendor would silently ignore.
    refused(e, "/cpm/policies/?filter[enabled]=yes", {"true or false"});
    // The gateway's syntax, wrong.
    refused(e, "/cpm/policies/?filter[name][like]=a", {"unknown filter operator 'like'"});
    refused(e, "/backupdr/host?sort=hostname:DESC", {"sort=field or sort=-field"});
    // Both the gateway's sort and the vendor's own ordering.
    refused(e, "/cpm/policies/?sort=name&ordering=-id", {"'ordering'", "use one or the other"});
}

BOOST_AUTO_TEST_CASE(unknown_parameters_under_strict_and_passthrough)
{
    env e;
    // CPM ignores what it does not know: a misspelt filter would list everything.
    refused(e, "/cpm/policies/?acount=3", {"'acount'", "(query: strict)", "account, user, name, enabled, search"});
    refused(e, "/veeam/virtualMachines?protectionStatus=Protected", {"'protectionStatus'", "ProtectionStatus"});
    refused(e, "/cloudbasic/replications?Status=Paused", {"'Status'", "documents none"});
    // The vendor's own documented parameters pass.
    const auto native = e.page("/cpm/policies/?account=2&ordering=-id&limit=5");
    for (const auto& it : native.at("items").as_array())
        BOOST_TEST(it.at("account").to_number<int>() == 2);
    const auto bdr = e.page("/backupdr/application?filter=apptype:%3D%3DOracle&limit=5");
    for (const auto& it : bdr.at("items").as_array())
        BOOST_TEST(it.at("apptype").as_string() == "Oracle");
    // query: passthrough forwards the unknown one (and CPM ignores it).
    const auto loose = e.page("/cpm_passthrough/policies/?acount=3&limit=5");
    BOOST_TEST(loose.at("total").to_number<int>() == 137);
    const std::string target(e.sim.state("cpm").at("last_request").at("target").as_string());
    BOOST_TEST(target.find("acount=3") != std::string::npos, target);
}

BOOST_AUTO_TEST_CASE(the_vendor_sees_its_own_dialect)
{
    env e;
    // A chapter 2 collection with its own table: the filter and the order hold.
    const auto failed = e.page("/cpm/recoveries/?filter[status]=Recovery+Failed&sort=-start_time&limit=60");
    const auto& items = failed.at("items").as_array();
    BOOST_TEST(!items.empty());
    for (std::size_t i = 0; i < items.size(); ++i) {
        BOOST_TEST(items[i].at("status").as_string() == "Recovery Failed");
        if (i > 0)
            BOOST_TEST(items[i - 1].at("start_time").as_string() >= items[i].at("start_time").as_string());
    }
    BOOST_TEST(failed.at("total").to_number<std::size_t>() == items.size());
    e.page("/cpm/policies/?sort=name,-generations&q=db&filter[account]=2&limit=5");
    const std::string cpm(e.sim.state("cpm").at("last_request").at("target").as_string());
    BOOST_TEST(cpm.find("ordering=name%2C-generations%2Cid&search=db&account=2") != std::string::npos, cpm);
    e.page("/veeam/virtualMachines?sort=-name&q=web&filter[protectionStatus]=Protected&limit=5");
    const std::string veeam(e.sim.state("veeam").at("last_request").at("target").as_string());
    BOOST_TEST(veeam.find("Sort=nameDesc&SearchPattern=web&ProtectionStatus=Protected") != std::string::npos, veeam);
    e.page("/backupdr/application?filter[createdate][gte]=1700000000000000&limit=5");
    const std::string bdr(e.sim.state("backupdr").at("last_request").at("target").as_string());
    BOOST_TEST(bdr.find("sort=id%3AASC&filter=createdate%3A%3E%3D1700000000000000") != std::string::npos, bdr);
}
