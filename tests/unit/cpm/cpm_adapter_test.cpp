// The n2ws-cpm adapter's dialect against a scripted upstream, in process
// (n2ws-cpm-rest-api.txt §1.2 Authentication, §1.4 Versioning). The adapter
// over real sockets against backup-sim is the integration tests' business.
#define BOOST_TEST_MODULE cpm_adapter
#include <boost/test/unit_test.hpp>

#include "adapters/cpm/cpm_adapter.hpp"
#include "tests/unit/scripted_upstream.hpp"

namespace http = boost::beast::http;

namespace {

using bg::test::attach;
using bg::test::form_field;
using bg::test::scripted_upstream;

bg::config::backend cpm_backend()
{
    bg::config::backend b;
    b.name = "cpm";
    b.type = "n2ws-cpm";
    b.url = {"https", "cpm.example", 443, "/api"};
    b.api_version = "1.1.0";
    b.credentials["api_key"] = {"the-api-key-xyz", {"backends[0].credentials.api_key", 9}, true};
    return b;
}

}  // namespace

// §1.2 "Obtain Tokens: POST /api/token/obtain/api_key/ api_key=<key>", then
// "Authorization: Bearer <Access Token>" on the call.
BOOST_AUTO_TEST_CASE(obtains_tokens_with_the_api_key_and_sends_the_bearer)
{
    const auto b = cpm_backend();
    bg::adapters::cpm_adapter cpm(b);
    scripted_upstream up;
    up.answer(http::status::ok, R"({"access":"acc-1","refresh":"ref-1"})");
    http::request_header<> head;
    head.method(http::verb::get);
    head.target("/api/policies/");
    BOOST_TEST(!attach(cpm, head, up).has_value());
    BOOST_TEST(head[http::field::authorization] == "Bearer acc-1");
    BOOST_REQUIRE(up.seen.size() == 1u);
    const auto& login = up.seen[0];
    BOOST_TEST(login.method() == http::verb::post);
    BOOST_TEST(login.target() == "/api/token/obtain/api_key/");
    BOOST_TEST(login[http::field::content_type] == "application/x-www-form-urlencoded");
    BOOST_TEST(form_field(login.body(), "api_key") == "the-api-key-xyz");
    // §1.4: the version rides on the media type of every call, logins included.
    BOOST_TEST(login[http::field::accept] == "application/json; version=1.1.0");
}

// §1.4 "Accept: application/json; version=1.1.0"; §1.9.1 asks for CSV with
// "Accept: text/csv; version=1.1.0".
BOOST_AUTO_TEST_CASE(adds_the_api_version_to_the_clients_media_type)
{
    const auto b = cpm_backend();
    bg::adapters::cpm_adapter cpm(b);
    http::request_header<> json_call;
    cpm.build_request(json_call);
    BOOST_TEST(json_call[http::field::accept] == "application/json; version=1.1.0");
    http::request_header<> csv_call;
    csv_call.set(http::field::accept, "text/csv");
    cpm.build_request(csv_call);
    BOOST_TEST(csv_call[http::field::accept] == "text/csv; version=1.1.0");
    http::request_header<> pinned;
    pinned.set(http::field::accept, "application/json; version=1.0.0");
    cpm.build_request(pinned);
    BOOST_TEST(pinned[http::field::accept] == "application/json; version=1.0.0");
}

// A client's Accept that lists several media types kept no version at all,
// and the server answered in its latest version (issue 14): every range gets
// the backend's, before its weight; a range's own version is kept.
BOOST_AUTO_TEST_CASE(every_media_range_of_a_list_gets_the_version)
{
    using bg::adapters::cpm_adapter;
    struct row {
        std::string_view accept, expected;
    };
    const row rows[] = {
        {"application/json, text/csv", "application/json; version=1.1.0, text/csv; version=1.1.0"},
        {"application/json;q=0.9, */*;q=0.1", "application/json; version=1.1.0;q=0.9, */*; version=1.1.0;q=0.1"},
        {"text/csv; version=1.0.0, application/json", "text/csv; version=1.0.0, application/json; version=1.1.0"},
        {"application/json ; Q=0.5", "application/json; version=1.1.0; Q=0.5"},
        {"text/plain; charset=\"a,b\", application/json", "text/plain; charset=\"a,b\"; version=1.1.0, application/json; version=1.1.0"},
        {"application/json,,", "application/json; version=1.1.0"},
    };
    for (const auto& r : rows)
        BOOST_TEST(cpm_adapter::with_version(r.accept, "1.1.0") == r.expected, r.accept);
    const auto b = cpm_backend();
    cpm_adapter cpm(b);
    http::request_header<> listed;
    listed.set(http::field::accept, "application/json, text/plain");
    cpm.build_request(listed);
    BOOST_TEST(listed[http::field::accept] == "application/json; version=1.1.0, text/plain; version=1.1.0");
}

// §1.2 "When an Access token expires, call the Refresh Token API with a valid
// Refresh token": after a 401 the adapter renews with `refresh`, and when the
// refresh token is refused it obtains a new pair with the API key.
BOOST_AUTO_TEST_CASE(renews_with_the_refresh_token_then_falls_back_to_the_api_key)
{
    const auto b = cpm_backend();
    bg::adapters::cpm_adapter cpm(b);
    scripted_upstream up;
    up.answer(http::status::ok, R"({"access":"acc-1","refresh":"ref-1"})");
    http::request_header<> first;
    BOOST_TEST(!attach(cpm, first, up).has_value());

    cpm.credentials_rejected(first);  // the upstream answered 401 to acc-1
    up.answer(http::status::ok, R"({"access":"acc-2"})");
    http::request_header<> second;
    BOOST_TEST(!attach(cpm, second, up).has_value());
    BOOST_TEST(second[http::field::authorization] == "Bearer acc-2");
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST(up.seen[1].target() == "/api/token/refresh/");
    BOOST_TEST(form_field(up.seen[1].body(), "refresh") == "ref-1");

    cpm.credentials_rejected(second);
    up.answer(http::status::unauthorized, R"({"detail":"Token is invalid or expired"})");
    up.answer(http::status::ok, R"({"access":"acc-3","refresh":"ref-3"})");
    http::request_header<> third;
    BOOST_TEST(!attach(cpm, third, up).has_value());
    BOOST_TEST(third[http::field::authorization] == "Bearer acc-3");
    BOOST_REQUIRE(up.seen.size() == 4u);
    BOOST_TEST(up.seen[2].target() == "/api/token/refresh/");
    BOOST_TEST(up.seen[3].target() == "/api/token/obtain/api_key/");
}

// A refused API key fails closed: upstream-auth-failed with the vendor's
// status and body, and the key itself nowhere in the error.
BOOST_AUTO_TEST_CASE(a_refused_api_key_fails_closed_without_the_secret)
{
    const auto b = cpm_backend();
    bg::adapters::cpm_adapter cpm(b);
    scripted_upstream up;
    up.answer(http::status::unauthorized, R"({"detail":"Invalid API key"})");
    http::request_header<> head;
    const auto e = attach(cpm, head, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST((e->code == bg::errc::upstream_auth_failed));
    BOOST_TEST(e->upstream_status.value_or(0) == 401u);
    const auto doc = bg::render_problem(*e, "cpm", "rid");
    BOOST_TEST(doc.find("Invalid API key") != std::string::npos);
    BOOST_TEST(doc.find("the-api-key-xyz") == std::string::npos);
    BOOST_TEST(head[http::field::authorization].empty());
}

BOOST_AUTO_TEST_CASE(the_configuration_check_names_what_is_missing)
{
    auto b = cpm_backend();
    b.credentials.clear();
    b.options["acces_ttl"] = {"60", {"backends[0].options.acces_ttl", 12}, false};
    const auto* type = bg::adapters::find_adapter_type("n2ws-cpm");
    BOOST_REQUIRE(type != nullptr);
    const auto problems = type->check.check(b);
    BOOST_REQUIRE(problems.size() == 2u);
    BOOST_TEST(problems[0].second.find("credentials.api_key") != std::string::npos);
    BOOST_TEST(problems[1].second.find("acces_ttl") != std::string::npos);
    BOOST_TEST(problems[1].first.line == 12);
}
