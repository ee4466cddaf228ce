// The client's side of pagination (DESIGN.md "Pagination is normalized";
// docs/pagination.md): three styles → one window; 400s that name the
// parameter; links in the client's style; the envelope.
#define BOOST_TEST_MODULE pagination
#include <boost/test/unit_test.hpp>

#include "gateway/pagination.hpp"

#include <boost/json/parse.hpp>

using namespace bg;

namespace {

config::pagination_settings settings()
{
    config::pagination_settings s;
    s.default_limit = 100;
    s.max_limit = 1000;
    return s;
}

page_window window(std::string_view query)
{
    auto r = parse_page_query(query, settings());
    if (auto* e = std::get_if<gateway_error>(&r))
        BOOST_FAIL("unexpected error for '" << query << "': " << e->detail);
    return std::get<page_window>(r);
}

std::string error_of(std::string_view query)
{
    auto r = parse_page_query(query, settings());
    const auto* e = std::get_if<gateway_error>(&r);
    BOOST_REQUIRE_MESSAGE(e, "no error for '" << query << "'");
    BOOST_TEST(status_of(e->code) == 400u);
    return e->detail;
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_style_gives_a_window)
{
    struct row {
        std::string_view query;
        page_style style;
        std::uint64_t offset, limit;
        std::string_view rest;
    };
    const row rows[] = {
        {"", page_style::none, 0, 100, ""},
        {std::string_view(), page_style::none, 0, 100, ""},  // no '?' at all: a null view
        {"status=active", page_style::none, 0, 100, "status=active"},
        {"page=3&page_size=20", page_style::page, 40, 20, ""},
        {"page=1", page_style::page, 0, 100, ""},                     // page alone: the default size
        {"page_size=7", page_style::page, 0, 7, ""},                  // size alone: page 1
        {"offset=5&limit=10", page_style::offset, 5, 10, ""},
        {"offset=5", page_style::offset, 5, 100, ""},
        {"limit=1", page_style::offset, 0, 1, ""},
        {"Offset=30&Limit=15", page_style::veeam, 30, 15, ""},
        {"Limit=5000", page_style::veeam, 0, 1000, ""},               // clamped to max_limit
        {"page=2&page_size=5000", page_style::page, 1000, 1000, ""},  // clamped, then the page
        {"a=1&offset=0&b=%20x&limit=3&c", page_style::offset, 0, 3, "a=1&b=%20x&c"},
        {"filter=appname:%3D%7Capp&offset=2", page_style::offset, 2, 100, "filter=appname:%3D%7Capp"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.query)
        {
            const auto w = window(r.query);
            BOOST_TEST(static_cast<int>(w.style) == static_cast<int>(r.style));
            BOOST_TEST(w.offset == r.offset);
            BOOST_TEST(w.limit == r.limit);
            BOOST_TEST(w.rest == r.rest);
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_400_naming_the_parameter)
{
    struct row {
        std::string_view query;
        std::string_view says;
    };
    const row rows[] = {
        {"page=1&offset=2", "'page' and 'offset' mix two pagination styles"},
        {"limit=2&Limit=2", "'limit' and 'Limit' mix"},
        {"page=0", "'page' must be ≥ 1"},
        {"page_size=0", "'page_size' must be ≥ 1"},
        {"limit=0", "'limit' must be ≥ 1"},
        {"Limit=-1", "'Limit' must be a whole number"},
        {"offset=-1", "'offset' must be a whole number"},
        {"offset=abc", "'offset' must be a whole number ≥ 0, got 'abc'"},
        {"limit=1.5", "'limit' must be a whole number"},
        {"limit=", "'limit' must be a whole number"},
        {"limit", "'limit' must be a whole number"},
        {"offset=99999999999999999999", "'offset' must be a whole number"},
        {"limit=1&limit=2", "'limit' is given more than once"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.query)
        {
            const auto detail = error_of(r.query);
            BOOST_TEST(detail.find(r.says) != std::string::npos, detail);
        }
    }
}

// A dialect's own parameter among the client's others would clash with the plan.
BOOST_AUTO_TEST_CASE(a_dialects_reserved_parameter_is_refused)
{
    const std::vector<std::string_view> reserved{"cursor", "page_token"};
    BOOST_TEST(!refuse_reserved(window("status=a&offset=0"), reserved).has_value());
    BOOST_TEST(!refuse_reserved(window("cursor=x"), {}).has_value());
    const auto e = refuse_reserved(window("status=a&page%5Ftoken=x&limit=2"), reserved);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(status_of(e->code) == 400u);
    BOOST_TEST(e->detail.find("'page_token'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(links_follow_the_clients_style)
{
    const auto check = [](std::string_view query, std::optional<std::uint64_t> total, std::size_t items,
                          std::optional<std::string> next, std::optional<std::string> previous) {
        const auto w = window(query);
        page_answer a;
        for (std::size_t i = 0; i < items; ++i)
            a.items.push_back("{}");
        a.total = total;
        set_links(a, "/cpm/policies/", w);
        BOOST_TEST((a.next == next));
        BOOST_TEST((a.previous == previous));
    };
    // DESIGN.md's example.
    check("page=3&page_size=20", 137, 20, "/cpm/policies/?page=4&page_size=20", "/cpm/policies/?page=2&page_size=20");
    check("page=1&page_size=20", 137, 20, "/cpm/policies/?page=2&page_size=20", std::nullopt);
    check("page=7&page_size=20", 137, 17, std::nullopt, "/cpm/policies/?page=6&page_size=20");
    check("offset=130&limit=10", 137, 7, std::nullopt, "/cpm/policies/?offset=120&limit=10");
    check("offset=5&limit=10", 137, 10, "/cpm/policies/?offset=15&limit=10", "/cpm/policies/?offset=0&limit=10");
    check("Offset=0&Limit=50&SearchPattern=a", std::nullopt, 50,
          "/cpm/policies/?SearchPattern=a&Offset=50&Limit=50", std::nullopt);
    check("Offset=0&Limit=50", std::nullopt, 49, std::nullopt, std::nullopt);  // short: the end
    check("", 137, 100, "/cpm/policies/?offset=100&limit=100", std::nullopt);
    check("offset=200&limit=10", 137, 0, std::nullopt, "/cpm/policies/?offset=190&limit=10");
}

BOOST_AUTO_TEST_CASE(the_envelope_and_the_link_header)
{
    const auto w = window("page=2&page_size=2");
    page_answer a;
    a.items.push_back(R"({"id":3})");
    a.items.push_back(R"({"id": 4, "size": 1.50})");  // an item's own text goes out as it is
    a.total = 5;
    set_links(a, "/x/items", w);
    const auto envelope = render_envelope(a, w);
    BOOST_TEST(boost::json::parse(envelope) ==
               boost::json::parse(R"({"items":[{"id":3},{"id":4,"size":1.5}],"total":5,"offset":2,"limit":2,
                   "next":"/x/items?page=3&page_size=2","previous":"/x/items?page=1&page_size=2"})"));
    BOOST_TEST(envelope.starts_with(R"({"items":[{"id":3},{"id": 4, "size": 1.50}],"total":5,)"), envelope);
    BOOST_TEST(link_header(a) == R"(</x/items?page=3&page_size=2>; rel="next", </x/items?page=1&page_size=2>; rel="prev")");
    a.total.reset();
    a.next.reset();
    a.previous.reset();
    BOOST_TEST(boost::json::parse(render_envelope(a, w)).at("total").is_null());
    BOOST_TEST(link_header(a).empty());
}
