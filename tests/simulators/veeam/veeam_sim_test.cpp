#define BOOST_TEST_MODULE veeam simulator
#include <boost/test/unit_test.hpp>

#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"
#include "tests/simulators/veeam/totp.hpp"
#include "tests/simulators/veeam/veeam.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Every case drives the simulator over a real socket: sim::server in-process,
// sim::test::send as the client. Section names are those of
// shared/vendors/veeam-aws-rest-api-overview.txt ("overview") and
// veeam-aws-rest-api-reference.txt ("reference").

namespace json = boost::json;
namespace http = boost::beast::http;
using sim::test::result;
using headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view version = "1.7-rev0";
constexpr std::string_view mfa_secret = "5XKNCVA54BPWQWCXLJZYLMIBD4";  // mfa_user's default secret
constexpr std::chrono::seconds access_ttl{60};
constexpr std::chrono::seconds refresh_ttl{300};

sim::options test_options(std::uint64_t seed = 1) {
    sim::options o;
    o.access_ttl = access_ttl;
    o.refresh_ttl = refresh_ttl;
    o.seed = seed;
    return o;
}

json::object parse_object(const result& r) {
    const json::value v = json::parse(r.body);
    BOOST_REQUIRE(v.is_object());
    return v.as_object();
}

std::string text(const json::object& o, std::string_view key) { return json::value_to<std::string>(o.at(key)); }

// The reference's error body: {title, status, errorCode, details, data}, nothing else.
void check_error(const result& r, unsigned status, std::string_view error_code) {
    BOOST_TEST(r.status == status);
    const json::object body = parse_object(r);
    std::set<std::string> keys;
    for (const auto& kv : body) keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"title", "status", "errorCode", "details", "data"}));
    BOOST_TEST(body.at("status").as_int64() == status);
    BOOST_TEST(body.at("errorCode").as_string() == error_code);
    BOOST_TEST(body.at("title").is_string());
    BOOST_TEST(!body.at("details").as_string().empty());
    BOOST_TEST(body.at("data").is_object());
}

struct veeam_fixture {
    sim::clock clock;
    std::unique_ptr<sim::vendor> vendor;
    sim::server server;

    explicit veeam_fixture(sim::options o = test_options(), int threads = 1)
        : vendor(sim::make_veeam(o, clock)), server(*vendor, clock, server_options(threads)) {}

    static sim::server_options server_options(int threads) {
        sim::server_options so;
        so.threads = threads;
        return so;
    }

    result send(http::verb method, std::string target, headers h = {}, std::string body = {}) {
        return sim::test::send(server.port(), method, std::move(target), std::move(h), std::move(body));
    }

    result token_request(std::string form, std::string api_version = std::string(version)) {
        return send(http::verb::post, "/api/v1/token",
                    {{"x-api-version", api_version}, {"Content-Type", "application/x-www-form-urlencoded"}},
                    std::move(form));
    }

    json::object login(std::string_view user = "administrator", std::string_view password = "Password1") {
        const result r =
            token_request("grant_type=password&username=" + std::string(user) + "&password=" + std::string(password));
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return parse_object(r);
    }

    std::string access_token() { return text(login(), "access_token"); }

    result get(std::string target, const std::string& token) {
        return send(http::verb::get, std::move(target),
                    {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + token}});
    }

    json::object get_list(std::string target, const std::string& token) {
        const result r = get(std::move(target), token);
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return parse_object(r);
    }

    std::string current_code() {
        const auto key = sim::veeam::base32_decode(mfa_secret);
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
        return sim::veeam::totp(*key, now);
    }

    std::string mfa_token() {
        const json::object step1 = login("mfa_user", "Password2");
        return text(step1, "mfa_token");
    }

    const sim::counters& stats() const { return vendor->stats(); }
};

std::vector<std::string> names(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("results").as_array()) out.push_back(text(item.as_object(), "name"));
    return out;
}

std::vector<std::string> ids(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("results").as_array()) out.push_back(text(item.as_object(), "id"));
    return out;
}

std::size_t result_count(const json::object& page) { return page.at("results").as_array().size(); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(token, veeam_fixture)

// Overview, "Example [Password]": 200 and exactly the example's fields.
BOOST_AUTO_TEST_CASE(password_grant_answers_as_the_example) {
    const result r = token_request("grant_type=password&username=administrator&password=Password1");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("Cache-Control") == "no-store");
    const json::object body = parse_object(r);
    std::set<std::string> keys;
    for (const auto& kv : body) keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"access_token", "token_type", "refresh_token", "expires_in", ".issued",
                                              ".expires", "username"}));
    BOOST_TEST(text(body, "token_type") == "bearer");
    BOOST_TEST(body.at("expires_in").as_int64() == access_ttl.count());
    BOOST_TEST(text(body, "username") == "administrator");
    BOOST_TEST(text(body, ".issued").size() == std::string("2020-06-12T10:29:39").size());
    BOOST_TEST(stats().logins == 1u);
    BOOST_TEST(get("/api/v1/virtualMachines?Limit=1", text(body, "access_token")).status == 200u);
}

// Overview, "Authorization in REST API": form fields are form-encoded ('+' is a space, %XX escapes).
BOOST_AUTO_TEST_CASE(password_grant_decodes_the_form) {
    BOOST_TEST(token_request("grant_type=password&username=administrator&password=Pass%77ord1").status == 200u);
    BOOST_TEST(token_request("password=Password1&grant_type=password&username=administrator").status == 200u);
}

// Overview, "Using Password Grant Type": credentials of a user created in Veeam Backup for AWS; others are refused.
BOOST_AUTO_TEST_CASE(bad_password_is_refused) {
    check_error(token_request("grant_type=password&username=administrator&password=wrong"), 401, "AccessDenied");
    check_error(token_request("grant_type=password&username=nobody&password=Password1"), 401, "AccessDenied");
    BOOST_TEST(stats().failed_logins == 2u);
    BOOST_TEST(stats().logins == 0u);
}

// Overview, "Example [Password]": grant_type, username and password are all needed; the body is a form.
BOOST_AUTO_TEST_CASE(malformed_grants_are_bad_requests) {
    check_error(token_request("username=administrator&password=Password1"), 400, "BadRequest");
    check_error(token_request("grant_type=password&username=administrator"), 400, "BadRequest");
    check_error(token_request("grant_type=client_credentials"), 400, "BadRequest");
    check_error(token_request("grant_type=password&grant_type=password&username=administrator&password=Password1"), 400,
                "BadRequest");
    const result json_body = send(http::verb::post, "/api/v1/token",
                                  {{"x-api-version", std::string(version)}, {"Content-Type", "application/json"}},
                                  R"({"grant_type":"password","username":"administrator","password":"Password1"})");
    check_error(json_body, 415, "UnsupportedMediaType");
    BOOST_TEST(stats().logins == 0u);
}

// Overview, "Using Refresh Token" and its Example: a new pair; the old refresh token is spent.
BOOST_AUTO_TEST_CASE(refresh_grant_returns_a_new_pair) {
    const json::object first = login();
    const std::string refresh = text(first, "refresh_token");
    const result r = token_request("grant_type=refresh_token&refresh_token=" + refresh);
    BOOST_TEST(r.status == 200u);
    const json::object second = parse_object(r);
    BOOST_TEST(text(second, "token_type") == "bearer");
    BOOST_TEST(second.at("expires_in").as_int64() == access_ttl.count());
    BOOST_TEST(!second.contains("username"));  // the refresh example has none
    BOOST_TEST(text(second, "access_token") != text(first, "access_token"));
    BOOST_TEST(text(second, "refresh_token") != refresh);
    BOOST_TEST(get("/api/v1/repositories", text(second, "access_token")).status == 200u);
    BOOST_TEST(stats().refreshes == 1u);

    check_error(token_request("grant_type=refresh_token&refresh_token=" + refresh), 401, "AccessDenied");
    check_error(token_request("grant_type=refresh_token&refresh_token=made-up"), 401, "AccessDenied");
    BOOST_TEST(stats().failed_logins == 2u);
}

// Overview, "Authorization and Security": the refresh token expires (refresh_ttl in tests).
BOOST_AUTO_TEST_CASE(refresh_token_expires) {
    const std::string refresh = text(login(), "refresh_token");
    clock.advance(refresh_ttl);
    check_error(token_request("grant_type=refresh_token&refresh_token=" + refresh), 401, "AccessDenied");
}

// Overview, "Example [MFA]": the password grant of an MFA user answers with an mfa token only;
// the mfa grant with mfa_token and mfa_code answers with the pair.
BOOST_AUTO_TEST_CASE(mfa_flow_follows_the_example) {
    const json::object step1 = login("mfa_user", "Password2");
    std::set<std::string> keys;
    for (const auto& kv : step1) keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"username", "mfa_enabled", "mfa_token"}));
    BOOST_TEST(step1.at("mfa_enabled").as_bool());
    BOOST_TEST(text(step1, "username") == "mfa_user");
    BOOST_TEST(stats().logins == 0u);

    const std::string token = text(step1, "mfa_token");
    // Like the example's token: base64 with '=' padding, sent as is in the form.
    const result r = token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=" + current_code());
    BOOST_TEST(r.status == 200u);
    const json::object step2 = parse_object(r);
    BOOST_TEST(text(step2, "token_type") == "bearer");
    BOOST_TEST(get("/api/v1/users", text(step2, "access_token")).status == 200u);
    BOOST_TEST(stats().logins == 1u);

    // The mfa token is spent once it has been exchanged.
    check_error(token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=" + current_code()), 401,
                "AccessDenied");
}

// Overview, "Multi-Factor Authentication": the code is the authenticator's TOTP; a wrong one is refused.
BOOST_AUTO_TEST_CASE(bad_totp_is_refused) {
    const std::string token = mfa_token();
    std::string wrong = current_code();
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    check_error(token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=" + wrong), 401, "AccessDenied");
    check_error(token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=abcdef"), 401, "AccessDenied");
    check_error(token_request("grant_type=mfa&mfa_token=not-issued&mfa_code=" + current_code()), 401, "AccessDenied");
    check_error(token_request("grant_type=mfa&mfa_token=" + token), 400, "BadRequest");
    BOOST_TEST(stats().failed_logins == 3u);
    // A wrong code does not spend the mfa token.
    BOOST_TEST(token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=" + current_code()).status == 200u);
}

// Overview, "Multi-Factor Authentication" (TOTP, RFC 6238 §5.2): one 30 s step of drift is allowed, two are not.
BOOST_AUTO_TEST_CASE(totp_allows_one_step_of_drift) {
    const std::string stale = current_code();
    const std::string token = mfa_token();
    clock.advance(std::chrono::seconds{30});
    BOOST_TEST(token_request("grant_type=mfa&mfa_token=" + token + "&mfa_code=" + stale).status == 200u);

    const std::string old = current_code();
    const std::string token2 = mfa_token();
    clock.advance(std::chrono::seconds{61});
    check_error(token_request("grant_type=mfa&mfa_token=" + token2 + "&mfa_code=" + old), 401, "AccessDenied");
}

// Overview, "Performing Logout": DELETE token with the bearer answers 204; the session's tokens are gone.
BOOST_AUTO_TEST_CASE(logout_revokes_the_session) {
    const json::object pair = login();
    const std::string access = text(pair, "access_token");
    const result r = send(http::verb::delete_, "/api/v1/token",
                          {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
    BOOST_TEST(r.status == 204u);
    BOOST_TEST(r.body.empty());
    BOOST_TEST(stats().logouts == 1u);

    check_error(get("/api/v1/virtualMachines", access), 401, "AccessDenied");
    check_error(token_request("grant_type=refresh_token&refresh_token=" + text(pair, "refresh_token")), 401,
                "AccessDenied");
    const result again = send(http::verb::delete_, "/api/v1/token",
                              {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
    check_error(again, 401, "AccessDenied");
    BOOST_TEST(stats().logouts == 1u);
}

// Overview, "Performing Logout": other sessions of the same user stay logged in.
BOOST_AUTO_TEST_CASE(logout_leaves_other_sessions) {
    const std::string first = access_token();
    const std::string second = access_token();
    send(http::verb::delete_, "/api/v1/token",
         {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + first}});
    BOOST_TEST(get("/api/v1/virtualMachines?Limit=1", second).status == 200u);
}

// Overview, "Example [Authorization Code]": an authorized user gets a code; the code grant answers with a pair.
BOOST_AUTO_TEST_CASE(authorization_code_grant) {
    const std::string access = access_token();
    const result r = send(http::verb::post, "/api/v1/token/authorization_code",
                          {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
    BOOST_TEST(r.status == 200u);
    const std::string code = text(parse_object(r), "code");
    // The code is base64 ('+', '/', '='): a client must form-encode it.
    std::string encoded;
    for (char ch : code) encoded += ch == '+' ? "%2B" : ch == '/' ? "%2F" : ch == '=' ? "%3D" : std::string(1, ch);
    BOOST_TEST(token_request("grant_type=authorization_code&code=" + encoded).status == 200u);
    check_error(token_request("grant_type=authorization_code&code=" + encoded), 401, "AccessDenied");  // single-use
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(checks, veeam_fixture)

// Overview, "Versioning": x-api-version is required on every call, the token endpoint included.
BOOST_AUTO_TEST_CASE(missing_api_version_is_a_bad_request) {
    const result token =
        send(http::verb::post, "/api/v1/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
             "grant_type=password&username=administrator&password=Password1");
    check_error(token, 400, "BadRequest");
    BOOST_TEST(stats().logins == 0u);

    const std::string access = access_token();
    check_error(send(http::verb::get, "/api/v1/virtualMachines", {{"Authorization", "Bearer " + access}}), 400,
                "BadRequest");
}

// Overview, "Versioning": only released specification revisions are accepted.
BOOST_AUTO_TEST_CASE(unsupported_api_version_is_a_bad_request) {
    check_error(token_request("grant_type=password&username=administrator&password=Password1", "1.8-rev0"), 400,
                "BadRequest");
    check_error(token_request("grant_type=password&username=administrator&password=Password1", "v1"), 400,
                "BadRequest");
    // "v1 (1.0-rev0)", the oldest revision the overview lists, is still served.
    BOOST_TEST(token_request("grant_type=password&username=administrator&password=Password1", "1.0-rev0").status ==
               200u);
}

// Reference, every operation: "Unauthorized. The authorization header has been expected but not found".
BOOST_AUTO_TEST_CASE(missing_or_bad_bearer_is_unauthorized) {
    const result none = send(http::verb::get, "/api/v1/virtualMachines", {{"x-api-version", std::string(version)}});
    check_error(none, 401, "AccessDenied");
    BOOST_TEST(!none.header("WWW-Authenticate").empty());
    check_error(get("/api/v1/virtualMachines", "not-a-token"), 401, "AccessDenied");
    const std::string access = access_token();
    check_error(send(http::verb::get, "/api/v1/virtualMachines",
                     {{"x-api-version", std::string(version)}, {"Authorization", access}}),  // no "Bearer "
                401, "AccessDenied");
    BOOST_TEST(stats().unauthorized == 3u);
}

// Reference, every operation: "... (or found but is expired)"; the access token lives access_ttl.
BOOST_AUTO_TEST_CASE(expired_access_token_is_unauthorized) {
    const std::string access = access_token();
    clock.advance(access_ttl - std::chrono::seconds{1});
    BOOST_TEST(get("/api/v1/virtualMachines?Limit=1", access).status == 200u);
    clock.advance(std::chrono::seconds{1});
    check_error(get("/api/v1/virtualMachines?Limit=1", access), 401, "AccessDenied");
}

// The admin endpoints of server.hpp move the same clock and expire every token.
BOOST_AUTO_TEST_CASE(admin_expire_and_clock_reach_the_vendor) {
    const std::string access = access_token();
    BOOST_TEST(send(http::verb::post, "/__sim/expire").status / 100 == 2u);
    check_error(get("/api/v1/users", access), 401, "AccessDenied");

    const std::string fresh = access_token();
    BOOST_TEST(
        send(http::verb::post, "/__sim/clock", {{"Content-Type", "application/json"}}, R"({"advance_seconds": 60})")
                .status /
            100 ==
        2u);
    check_error(get("/api/v1/users", fresh), 401, "AccessDenied");
}

// Overview, "Resource URLs": resources live under /api/v1; anything else is not found.
BOOST_AUTO_TEST_CASE(unknown_paths_and_methods) {
    const std::string access = access_token();
    check_error(get("/api/v1/noSuchCollection", access), 404, "NotFound");
    check_error(get("/api/v2/virtualMachines", access), 404, "NotFound");
    check_error(get("/api/v1/virtualMachines/00000000-0000-4000-8000-000000000000", access), 404, "NotFound");
    const result wrong = send(http::verb::put, "/api/v1/virtualMachines",
                              {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
    check_error(wrong, 405, "MethodNotAllowed");
    BOOST_TEST(wrong.header("Allow") == "GET");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(lists, veeam_fixture)

// Overview, "Resource URLs": the collection and one item by its id.
BOOST_AUTO_TEST_CASE(collection_and_item) {
    const std::string access = access_token();
    const json::object all = get_list("/api/v1/virtualMachines", access);
    BOOST_TEST(all.at("totalCount").as_int64() == 1001);
    BOOST_TEST(result_count(all) == 1001u);  // the documents give no default Limit: all items
    const json::object first = all.at("results").as_array()[0].as_object();
    const result one = get("/api/v1/virtualMachines/" + text(first, "id"), access);
    BOOST_TEST(one.status == 200u);
    BOOST_TEST((parse_object(one) == first));

    BOOST_TEST(get_list("/api/v1/repositories", access).at("totalCount").as_int64() == 37);
    BOOST_TEST(get_list("/api/v1/users", access).at("totalCount").as_int64() == 13);
}

// Overview, "Offset Parameter" and "Limit Parameter": Offset is applied before Limit.
BOOST_AUTO_TEST_CASE(offset_and_limit_window_the_collection) {
    const std::string access = access_token();
    const auto all = ids(get_list("/api/v1/virtualMachines?Limit=-1", access));
    BOOST_REQUIRE_EQUAL(all.size(), 1001u);

    const json::object page = get_list("/api/v1/virtualMachines?Limit=3&Offset=2", access);
    BOOST_TEST(page.at("totalCount").as_int64() == 1001);
    BOOST_TEST((ids(page) == std::vector<std::string>(all.begin() + 2, all.begin() + 5)));

    const json::object last = get_list("/api/v1/virtualMachines?Offset=1000&Limit=5", access);
    BOOST_TEST((ids(last) == std::vector<std::string>{all.back()}));
    BOOST_TEST(get_list("/api/v1/virtualMachines?Offset=2", access).at("results").as_array().size() == 999u);
    BOOST_TEST(result_count(get_list("/api/v1/virtualMachines?Limit=0", access)) == 0u);
}

// Reference, Limit "integer <int32> >= -1": -1 returns everything after Offset.
BOOST_AUTO_TEST_CASE(limit_minus_one_means_all) {
    const std::string access = access_token();
    const json::object page = get_list("/api/v1/virtualMachines?Offset=1&Limit=-1", access);
    BOOST_TEST(page.at("totalCount").as_int64() == 1001);
    BOOST_TEST(result_count(page) == 1000u);
}

// Overview, "Offset Parameter": past the end the window is empty; totalCount still counts the collection.
BOOST_AUTO_TEST_CASE(offset_past_the_end_is_empty) {
    const std::string access = access_token();
    const json::object page = get_list("/api/v1/repositories?Offset=37&Limit=10", access);
    BOOST_TEST(page.at("totalCount").as_int64() == 37);
    BOOST_TEST(result_count(page) == 0u);
    BOOST_TEST(result_count(get_list("/api/v1/repositories?Offset=5000", access)) == 0u);
}

// Overview, "Query Parameters": "All query parameters are case-sensitive": offset/limit are not pagination.
BOOST_AUTO_TEST_CASE(lower_case_parameters_are_not_pagination) {
    const std::string access = access_token();
    const auto all = ids(get_list("/api/v1/virtualMachines", access));
    const json::object page = get_list("/api/v1/virtualMachines?offset=5&limit=2", access);
    BOOST_TEST(page.at("totalCount").as_int64() == 1001);
    BOOST_TEST((ids(page) == all));  // ignored: the whole collection from the start

    const result state = send(http::verb::get, "/__sim/state");
    const json::object vendor_state = parse_object(state).at("vendor_state").as_object();
    BOOST_TEST(vendor_state.at("ignored_query_parameters").to_number<std::uint64_t>() == 2u);
    BOOST_TEST((json::value_to<std::vector<std::string>>(vendor_state.at("last_ignored_query_parameters")) ==
                std::vector<std::string>{"offset", "limit"}));
    check_error(get("/api/v1/virtualMachines?Offset=abc", access), 400, "BadRequest");
}

// Reference, Offset ">= 0" and Limit ">= -1", both int32: anything else is a 400 with the error body.
BOOST_AUTO_TEST_CASE(invalid_pagination_values_are_bad_requests) {
    const std::string access = access_token();
    for (const char* query :
         {"Limit=-2", "Limit=abc", "Limit=", "Limit=1.5", "Offset=-1", "Offset=x", "Offset=99999999999",
          "Limit=3&Limit=4", "Sort=bogusAsc", "Sort=name", "ProtectionStatus=Maybe"})
        check_error(get("/api/v1/virtualMachines?" + std::string(query), access), 400, "BadRequest");
}

// Overview, "Sort Parameter": <property>Asc / <property>Desc, applied before Offset and Limit.
BOOST_AUTO_TEST_CASE(sort_orders_before_the_window) {
    const std::string access = access_token();
    const auto ascending = names(get_list("/api/v1/virtualMachines?Sort=nameAsc", access));
    BOOST_TEST(std::is_sorted(ascending.begin(), ascending.end()));
    const auto descending = names(get_list("/api/v1/virtualMachines?Sort=nameDesc", access));
    BOOST_TEST((descending == std::vector<std::string>(ascending.rbegin(), ascending.rend())));
    const auto window = names(get_list("/api/v1/virtualMachines?Limit=4&Offset=10&Sort=nameAsc", access));
    BOOST_TEST((window == std::vector<std::string>(ascending.begin() + 10, ascending.begin() + 14)));
}

// Overview, "Sort Parameter": the example GET /repositories?Sort=amazonBucketAsc.
BOOST_AUTO_TEST_CASE(repositories_sort_by_amazon_bucket) {
    const std::string access = access_token();
    std::vector<std::string> buckets;
    const json::object page = get_list("/api/v1/repositories?Sort=amazonBucketAsc", access);
    for (const auto& item : page.at("results").as_array()) buckets.push_back(text(item.as_object(), "amazonBucket"));
    BOOST_TEST(buckets.size() == 37u);
    BOOST_TEST(std::is_sorted(buckets.begin(), buckets.end()));
}

// Overview, "SearchPattern Parameter": the example SearchPattern=ubuntu, applied before Offset and Limit.
BOOST_AUTO_TEST_CASE(search_pattern_filters_by_name) {
    const std::string access = access_token();
    const json::object matched = get_list("/api/v1/virtualMachines?SearchPattern=ubuntu", access);
    const auto total = matched.at("totalCount").as_int64();
    BOOST_TEST(total > 0);
    BOOST_TEST(total < 1001);
    BOOST_TEST(result_count(matched) == static_cast<std::size_t>(total));
    for (const auto& name : names(matched)) BOOST_TEST(name.find("ubuntu") != std::string::npos);

    const json::object page = get_list("/api/v1/virtualMachines?SearchPattern=ubuntu&Offset=3&Limit=2", access);
    BOOST_TEST(page.at("totalCount").as_int64() == total);
    const auto matched_ids = ids(matched);
    BOOST_TEST((ids(page) == std::vector<std::string>(matched_ids.begin() + 3, matched_ids.begin() + 5)));
    BOOST_TEST(get_list("/api/v1/virtualMachines?SearchPattern=zzz-none", access).at("totalCount").as_int64() == 0);
}

// Overview, "Filter Parameters": the example ProtectionStatus=Protected.
BOOST_AUTO_TEST_CASE(protection_status_filter) {
    const std::string access = access_token();
    const json::object protectedd = get_list("/api/v1/virtualMachines?ProtectionStatus=Protected&Limit=-1", access);
    const json::object unprotected = get_list("/api/v1/virtualMachines?ProtectionStatus=Unprotected", access);
    BOOST_TEST(protectedd.at("totalCount").as_int64() + unprotected.at("totalCount").as_int64() == 1001);
    for (const auto& item : protectedd.at("results").as_array())
        BOOST_TEST(text(item.as_object(), "protectionStatus") == "Protected");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(users, veeam_fixture)

// Reference, "Get Collection of Users" and "Get User Data" (by user name).
BOOST_AUTO_TEST_CASE(users_list_and_get_by_name) {
    const std::string access = access_token();
    const json::object page = get_list("/api/v1/users?SearchPattern=administrator", access);
    BOOST_TEST(page.at("totalCount").as_int64() == 1);
    const json::object admin = page.at("results").as_array()[0].as_object();
    for (const char* key : {"accountType", "id", "name", "description", "roles", "mfaEnabled", "isDefault", "links"})
        BOOST_TEST(admin.contains(key), key);
    BOOST_TEST(admin.at("isDefault").as_bool());
    BOOST_TEST((parse_object(get("/api/v1/users/administrator", access)) == admin));
    BOOST_TEST(parse_object(get("/api/v1/users/mfa_user", access)).at("mfaEnabled").as_bool());
    check_error(get("/api/v1/users/nobody", access), 404, "NotFound");
    BOOST_TEST(get_list("/api/v1/users/roles", access).at("totalCount").as_int64() == 3);
}

// Reference, "Add User Account" (201) and "Remove User Account" (204); the new user can log in.
BOOST_AUTO_TEST_CASE(create_log_in_and_remove_a_user) {
    const std::string access = access_token();
    const headers h{{"x-api-version", std::string(version)},
                    {"Authorization", "Bearer " + access},
                    {"Content-Type", "application/json"}};
    const result created = send(http::verb::post, "/api/v1/users", h,
                                R"({"name":"john_smith","description":"Operator for Dept-01","password":"Admin123",)"
                                R"("accountType":"Internal","roleId":"fe47645d-1991-4716-9c86-d91e2f7f0c82"})");
    BOOST_TEST(created.status == 201u);
    BOOST_TEST(text(parse_object(created), "name") == "john_smith");
    BOOST_TEST(get_list("/api/v1/users", access).at("totalCount").as_int64() == 14);
    BOOST_TEST(login("john_smith", "Admin123").contains("access_token"));

    check_error(send(http::verb::post, "/api/v1/users", h,
                     R"({"name":"Bad Name","description":"",)"
                     R"("accountType":"Internal","roleId":"nope"})"),
                400, "BadRequest");
    BOOST_TEST(send(http::verb::delete_, "/api/v1/users/john_smith", h).status == 204u);
    check_error(get("/api/v1/users/john_smith", access), 404, "NotFound");
    check_error(token_request("grant_type=password&username=john_smith&password=Admin123"), 401, "AccessDenied");
}

// Overview, "Enabling MFA" steps 1 and 4, then "Example [MFA]" for that user.
BOOST_AUTO_TEST_CASE(enable_mfa_then_log_in_with_it) {
    const std::string access = access_token();
    const headers h{{"x-api-version", std::string(version)},
                    {"Authorization", "Bearer " + access},
                    {"Content-Type", "application/json"}};
    const result secret = send(http::verb::post, "/api/v1/users/administrator/enableMfa", h, R"({"recreate":"false"})");
    BOOST_TEST(secret.status == 200u);
    const json::object body = parse_object(secret);
    const auto key = sim::veeam::base32_decode(text(body, "secretKey"));
    BOOST_REQUIRE(key);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    const std::string code = sim::veeam::totp(*key, now);
    const result accepted = send(http::verb::post, "/api/v1/users/administrator/acceptMfa", h,
                                 R"({"code":")" + code + R"(","token":")" + text(body, "token") + R"("})");
    BOOST_TEST(accepted.status == 201u);

    const json::object step1 = login();
    BOOST_TEST(step1.at("mfa_enabled").as_bool());
    BOOST_TEST(token_request("grant_type=mfa&mfa_token=" + text(step1, "mfa_token") + "&mfa_code=" + code).status ==
               200u);
    BOOST_TEST(send(http::verb::post, "/api/v1/users/administrator/disableMfa", h).status == 204u);
    BOOST_TEST(login().contains("access_token"));
}

BOOST_AUTO_TEST_SUITE_END()

// Design, "The vendor simulators": seeded data, same seed same items, other seed other items.
BOOST_AUTO_TEST_CASE(seeded_data_is_deterministic) {
    veeam_fixture a(test_options(7));
    veeam_fixture b(test_options(7));
    veeam_fixture c(test_options(8));
    const auto page = [](veeam_fixture& f) { return f.get_list("/api/v1/virtualMachines?Limit=20", f.access_token()); };
    BOOST_TEST((page(a) == page(b)));
    BOOST_TEST((ids(page(a)) != ids(page(c))));
}

// Options: counts, versions and a page cap come from options.extra.
BOOST_AUTO_TEST_CASE(options_shape_the_simulator) {
    sim::options o = test_options();
    o.extra = {{"vm_count", "5"}, {"api_versions", "1.5-rev0"}, {"max_limit", "2"}, {"users", "ops:Secret99"}};
    veeam_fixture f(o);
    const result r = f.token_request("grant_type=password&username=ops&password=Secret99", "1.5-rev0");
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const std::string access = text(parse_object(r), "access_token");
    const result page = f.send(http::verb::get, "/api/v1/virtualMachines?Limit=-1",
                               {{"x-api-version", "1.5-rev0"}, {"Authorization", "Bearer " + access}});
    BOOST_TEST(page.status == 200u);
    BOOST_TEST(parse_object(page).at("totalCount").as_int64() == 5);
    BOOST_TEST(result_count(parse_object(page)) == 2u);

    sim::clock clock;
    sim::options bad = test_options();
    bad.extra = {{"no_such_option", "1"}};
    BOOST_CHECK_THROW(sim::make_veeam(bad, clock), std::invalid_argument);
    bad.extra = {{"users", "x:y:not base32!"}};
    BOOST_CHECK_THROW(sim::make_veeam(bad, clock), std::invalid_argument);
}

// vendor.hpp: handle() is called from several server threads at once.
BOOST_AUTO_TEST_CASE(concurrent_clients_share_one_vendor) {
    veeam_fixture f(test_options(), 4);
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                // No Boost.Test macros here: they are not thread-safe.
                const result login = f.token_request("grant_type=password&username=administrator&password=Password1");
                if (login.status != 200) continue;
                const std::string access = text(json::parse(login.body).as_object(), "access_token");
                const result page =
                    f.get("/api/v1/virtualMachines?Sort=nameDesc&Offset=" + std::to_string(i) + "&Limit=7", access);
                const result out =
                    f.send(http::verb::delete_, "/api/v1/token",
                           {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
                if (login.status == 200 && page.status == 200 && out.status == 204) ++ok;
            }
        });
    for (auto& c : clients) c.join();
    BOOST_TEST(ok.load() == 40);
    BOOST_TEST(f.stats().logins == 40u);
    BOOST_TEST(f.stats().logouts == 40u);
}
