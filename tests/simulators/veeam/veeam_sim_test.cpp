#define BOOST_TEST_MODULE veeam simulator
#include <boost/test/unit_test.hpp>

#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"
#include "tests/simulators/veeam/totp.hpp"
#include "tests/simulators/veeam/veeam.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>
#include <numeric>
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

    result post(std::string target, const std::string& token) {
        return send(http::verb::post, std::move(target),
                    {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + token}});
    }

    json::object vendor_state() {
        return parse_object(send(http::verb::get, "/__sim/state")).at("vendor_state").as_object();
    }
    std::int64_t jobs_started() { return vendor_state().at("jobs_started").as_int64(); }
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

BOOST_FIXTURE_TEST_SUITE(more_collections, veeam_fixture)

// Overview, "Offset Parameter": GET /regions?Offset=2 lists the AWS regions from the third one.
BOOST_AUTO_TEST_CASE(regions_as_in_the_offset_sample) {
    const std::string access = access_token();
    const json::object all = get_list("/api/v1/regions", access);
    BOOST_TEST(all.at("totalCount").as_int64() == 19);
    BOOST_REQUIRE_EQUAL(result_count(all), 19u);
    const json::object first = all.at("results").as_array()[0].as_object();
    BOOST_TEST((first == json::object{{"id", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c01"},
                                      {"name", "us-east-1"},
                                      {"displayName", "US East (N. Virginia)"}}));
    const auto every = ids(all);
    const json::object offset = get_list("/api/v1/regions?Offset=2", access);
    BOOST_TEST(offset.at("totalCount").as_int64() == 19);
    BOOST_TEST((ids(offset) == std::vector<std::string>(every.begin() + 2, every.end())));
    BOOST_TEST((ids(get_list("/api/v1/regions?Limit=3&Offset=2", access)) ==
                std::vector<std::string>(every.begin() + 2, every.begin() + 5)));

    const auto ascending = names(get_list("/api/v1/regions?Sort=nameAsc", access));
    BOOST_TEST(ascending.size() == 19u);
    BOOST_TEST(std::is_sorted(ascending.begin(), ascending.end()));
    BOOST_TEST((names(get_list("/api/v1/regions?Sort=nameDesc", access)) ==
                std::vector<std::string>(ascending.rbegin(), ascending.rend())));
    check_error(get("/api/v1/regions?Sort=displayNameAsc", access), 400, "BadRequest");

    const json::object europe = get_list("/api/v1/regions?SearchPattern=EU-", access);
    const auto in_europe = static_cast<std::int64_t>(
        std::count_if(ascending.begin(), ascending.end(), [](const std::string& n) { return n.starts_with("eu-"); }));
    BOOST_TEST(in_europe > 0);
    BOOST_TEST(europe.at("totalCount").as_int64() == in_europe);
    for (const auto& name : names(europe)) BOOST_TEST(name.find("eu-") != std::string::npos);

    // The machines' regions are among them, with the same ids.
    std::map<std::string, std::string> id_of;
    for (const auto& r : all.at("results").as_array()) id_of[text(r.as_object(), "name")] = text(r.as_object(), "id");
    const json::object machines = get_list("/api/v1/virtualMachines", access);
    for (const auto& vm : machines.at("results").as_array()) {
        const json::object& where = vm.at("region").as_object();
        BOOST_TEST(id_of.at(text(where, "name")) == text(where, "id"));
    }
}

// Reference, "Get Collection of EC2 Backup Policies"; overview, "Versioning" (GET /api/v1/efs/policies).
BOOST_AUTO_TEST_CASE(ec2_and_efs_backup_policies) {
    const std::string access = access_token();
    const json::object ec2 = get_list("/api/v1/virtualMachines/policies", access);
    const json::object efs = get_list("/api/v1/efs/policies", access);
    BOOST_TEST(ec2.at("totalCount").as_int64() == 29);
    BOOST_TEST(result_count(ec2) == 29u);
    BOOST_TEST(efs.at("totalCount").as_int64() == 13);
    BOOST_TEST(result_count(efs) == 13u);
    for (const char* key : {"id", "name", "description", "isEnabled", "priority", "snapshotSettings"})
        BOOST_TEST(ec2.at("results").as_array()[0].as_object().contains(key), key);
    for (const auto& name : names(ec2)) BOOST_TEST(name.starts_with("ec2-"));
    for (const auto& name : names(efs)) BOOST_TEST(name.starts_with("efs-"));
    const auto ec2_ids = ids(ec2);
    const auto efs_ids = ids(efs);
    BOOST_TEST(std::none_of(efs_ids.begin(), efs_ids.end(), [&](const std::string& id) {
        return std::find(ec2_ids.begin(), ec2_ids.end(), id) != ec2_ids.end();
    }));

    // Priorities are 1..N, each once; the default order is not theirs.
    const auto priorities = [](const json::object& page) {
        std::vector<std::int64_t> out;
        for (const auto& p : page.at("results").as_array()) out.push_back(p.at("priority").as_int64());
        return out;
    };
    std::vector<std::int64_t> one_to_29(29);
    std::iota(one_to_29.begin(), one_to_29.end(), 1);
    BOOST_TEST(priorities(ec2) != one_to_29);
    BOOST_TEST(priorities(get_list("/api/v1/virtualMachines/policies?Sort=priorityAsc", access)) == one_to_29);
    BOOST_TEST(priorities(get_list("/api/v1/virtualMachines/policies?Sort=priorityDesc&Limit=3", access)) ==
               (std::vector<std::int64_t>{29, 28, 27}));
    std::vector<std::int64_t> one_to_13(13);
    std::iota(one_to_13.begin(), one_to_13.end(), 1);
    BOOST_TEST(priorities(get_list("/api/v1/efs/policies?Sort=priorityAsc", access)) == one_to_13);

    const auto sorted = names(get_list("/api/v1/virtualMachines/policies?Sort=nameAsc", access));
    BOOST_TEST(std::is_sorted(sorted.begin(), sorted.end()));
    BOOST_TEST((names(get_list("/api/v1/virtualMachines/policies?Sort=nameAsc&Offset=5&Limit=4", access)) ==
                std::vector<std::string>(sorted.begin() + 5, sorted.begin() + 9)));
    const json::object daily = get_list("/api/v1/efs/policies?SearchPattern=daily", access);
    const auto efs_names = names(efs);
    BOOST_TEST(daily.at("totalCount").as_int64() ==
               std::count_if(efs_names.begin(), efs_names.end(),
                             [](const std::string& n) { return n.find("daily") != std::string::npos; }));
    for (const auto& name : names(daily)) BOOST_TEST(name.find("daily") != std::string::npos);
    check_error(get("/api/v1/efs/policies?Sort=isEnabledAsc", access), 400, "BadRequest");
}

// Overview, "Resource URLs": /virtualMachines/{id} takes an instance's id (a
// UUID); "policies" and "restorePoints" under it are collections, not ids.
BOOST_AUTO_TEST_CASE(collections_under_virtual_machines_are_not_ids) {
    const std::string access = access_token();
    for (const char* path : {"/api/v1/virtualMachines/policies", "/api/v1/virtualMachines/restorePoints",
                             "/api/v1/virtualMachines/policies/", "/api/v1/virtualMachines/restorePoints/"}) {
        const result r = get(path, access);
        BOOST_TEST(r.status == 200u, path);
        BOOST_TEST(parse_object(r).contains("totalCount"), path);
    }
    const json::object one = get_list("/api/v1/virtualMachines?Limit=1", access).at("results").as_array()[0].as_object();
    BOOST_TEST((parse_object(get("/api/v1/virtualMachines/" + text(one, "id"), access)) == one));
    check_error(get("/api/v1/virtualMachines/policies/" + text(one, "id") + "/x", access), 404, "NotFound");
    const result put = send(http::verb::put, "/api/v1/virtualMachines/restorePoints",
                            {{"x-api-version", std::string(version)}, {"Authorization", "Bearer " + access}});
    check_error(put, 405, "MethodNotAllowed");
    BOOST_TEST(put.header("Allow") == "GET");
}

// Reference, "EC2 Restore Points": each belongs to a seeded instance.
BOOST_AUTO_TEST_CASE(ec2_restore_points) {
    const std::string access = access_token();
    const json::object all = get_list("/api/v1/virtualMachines/restorePoints", access);
    BOOST_TEST(all.at("totalCount").as_int64() == 211);
    BOOST_REQUIRE_EQUAL(result_count(all), 211u);
    const json::object machines = get_list("/api/v1/virtualMachines", access);
    std::map<std::string, json::object> vm;
    for (const auto& m : machines.at("results").as_array()) vm[text(m.as_object(), "id")] = m.as_object();
    for (const auto& item : all.at("results").as_array()) {
        const json::object& rp = item.as_object();
        const auto it = vm.find(text(rp, "vmId"));
        BOOST_REQUIRE(it != vm.end());
        BOOST_TEST(text(rp, "vmName") == text(it->second, "name"));
        BOOST_TEST(text(rp, "regionName") == text(it->second.at("region").as_object(), "name"));
        const std::string type = text(rp, "type");
        BOOST_TEST((type == "Snapshot" || type == "Backup" || type == "Archive"));
        BOOST_TEST(text(rp, "creationTimeUtc").size() == std::string("2024-06-01T00:00:00Z").size());
    }

    const auto times = [](const json::object& page) {
        std::vector<std::string> out;
        for (const auto& p : page.at("results").as_array()) out.push_back(text(p.as_object(), "creationTimeUtc"));
        return out;
    };
    const auto default_order = times(all);
    BOOST_TEST(!std::is_sorted(default_order.begin(), default_order.end()));
    const auto oldest_first = times(get_list("/api/v1/virtualMachines/restorePoints?Sort=creationTimeUtcAsc", access));
    BOOST_TEST(oldest_first.size() == 211u);
    BOOST_TEST(std::is_sorted(oldest_first.begin(), oldest_first.end()));
    const auto newest = times(get_list("/api/v1/virtualMachines/restorePoints?Sort=creationTimeUtcDesc&Limit=5", access));
    BOOST_TEST((newest == std::vector<std::string>(oldest_first.rbegin(), oldest_first.rbegin() + 5)));

    const json::object by_vm =
        get_list("/api/v1/virtualMachines/restorePoints?Sort=vmNameAsc&Sort=creationTimeUtcDesc", access);
    const auto vm_names = [](const json::object& page) {
        std::vector<std::string> out;
        for (const auto& p : page.at("results").as_array()) out.push_back(text(p.as_object(), "vmName"));
        return out;
    };
    const auto sorted_names = vm_names(by_vm);
    BOOST_TEST(std::is_sorted(sorted_names.begin(), sorted_names.end()));
    const auto by_vm_times = times(by_vm);
    for (std::size_t i = 1; i < sorted_names.size(); ++i)
        if (sorted_names[i] == sorted_names[i - 1]) BOOST_TEST(by_vm_times[i - 1] >= by_vm_times[i]);

    const json::object ubuntu = get_list("/api/v1/virtualMachines/restorePoints?SearchPattern=UBUNTU", access);
    const auto matched = static_cast<std::int64_t>(ubuntu.at("results").as_array().size());
    BOOST_TEST(matched > 0);
    BOOST_TEST(matched < 211);
    BOOST_TEST(ubuntu.at("totalCount").as_int64() == matched);
    for (const auto& name : vm_names(ubuntu)) BOOST_TEST(name.find("ubuntu") != std::string::npos);
    const auto ubuntu_ids = ids(ubuntu);
    BOOST_TEST((ids(get_list("/api/v1/virtualMachines/restorePoints?SearchPattern=ubuntu&Offset=3&Limit=2", access)) ==
                std::vector<std::string>(ubuntu_ids.begin() + 3, ubuntu_ids.begin() + 5)));
    const json::object past = get_list("/api/v1/virtualMachines/restorePoints?Offset=211", access);
    BOOST_TEST(past.at("totalCount").as_int64() == 211);
    BOOST_TEST(result_count(past) == 0u);
    check_error(get("/api/v1/virtualMachines/restorePoints?Sort=typeAsc", access), 400, "BadRequest");
    check_error(get("/api/v1/virtualMachines/restorePoints?Limit=-2", access), 400, "BadRequest");
}

// Overview, "Versioning" and reference, every operation: x-api-version and the bearer, as everywhere.
BOOST_AUTO_TEST_CASE(new_collections_need_a_version_and_a_bearer) {
    const std::string access = access_token();
    for (const char* path : {"/api/v1/regions", "/api/v1/virtualMachines/policies", "/api/v1/efs/policies",
                             "/api/v1/virtualMachines/restorePoints"}) {
        check_error(send(http::verb::get, path, {{"x-api-version", std::string(version)}}), 401, "AccessDenied");
        check_error(send(http::verb::get, path, {{"Authorization", "Bearer " + access}}), 400, "BadRequest");
        check_error(send(http::verb::get, path, {{"x-api-version", "1.8-rev0"}, {"Authorization", "Bearer " + access}}),
                    400, "BadRequest");
        BOOST_TEST(send(http::verb::get, path, {{"x-api-version", "1.0-rev0"}, {"Authorization", "Bearer " + access}})
                       .status == 200u);
    }
    BOOST_TEST(stats().unauthorized == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

// Options: the sizes of the new collections, and max_limit caps them too.
BOOST_AUTO_TEST_CASE(new_collections_follow_the_options) {
    sim::options o = test_options();
    o.extra = {{"max_limit", "4"}, {"ec2_policy_count", "6"}, {"efs_policy_count", "0"}, {"restore_point_count", "9"}};
    veeam_fixture f(o);
    const std::string access = f.access_token();
    const json::object regions = f.get_list("/api/v1/regions?Limit=-1", access);
    BOOST_TEST(regions.at("totalCount").as_int64() == 19);
    BOOST_TEST(result_count(regions) == 4u);
    const json::object policies = f.get_list("/api/v1/virtualMachines/policies?Limit=10", access);
    BOOST_TEST(policies.at("totalCount").as_int64() == 6);
    BOOST_TEST(result_count(policies) == 4u);
    BOOST_TEST(result_count(f.get_list("/api/v1/virtualMachines/policies?Offset=4", access)) == 2u);
    BOOST_TEST(f.get_list("/api/v1/efs/policies", access).at("totalCount").as_int64() == 0);
    const json::object points = f.get_list("/api/v1/virtualMachines/restorePoints", access);
    BOOST_TEST(points.at("totalCount").as_int64() == 9);
    BOOST_TEST(result_count(points) == 4u);

    o.extra = {{"vm_count", "0"}};
    veeam_fixture no_machines(o);
    BOOST_TEST(no_machines.get_list("/api/v1/virtualMachines/restorePoints", no_machines.access_token())
                   .at("totalCount")
                   .as_int64() == 0);
}

// Same seed, same policies and restore points; another seed, others. Regions are AWS's, whatever the seed.
BOOST_AUTO_TEST_CASE(new_collections_follow_the_seed) {
    veeam_fixture a(test_options(7));
    veeam_fixture b(test_options(7));
    veeam_fixture c(test_options(8));
    for (const char* path : {"/api/v1/virtualMachines/policies", "/api/v1/efs/policies",
                             "/api/v1/virtualMachines/restorePoints?Limit=20"}) {
        const auto page = [&](veeam_fixture& f) { return f.get_list(path, f.access_token()); };
        BOOST_TEST((page(a) == page(b)), path);
        BOOST_TEST((ids(page(a)) != ids(page(c))), path);
    }
    BOOST_TEST((a.get_list("/api/v1/regions", a.access_token()) == c.get_list("/api/v1/regions", c.access_token())));
}

// ---- Job starts (docs/simulators.md, "Job starts") ----

BOOST_FIXTURE_TEST_SUITE(job_starts, veeam_fixture)

// Reference, "EC2 Backup Policies", "Start Backup Policy": 202 with the session it
// starts, listed in /sessions (reference, "Sessions") like every other collection.
BOOST_AUTO_TEST_CASE(starting_an_ec2_policy_makes_a_session) {
    const std::string access = access_token();
    const json::object policies = get_list("/api/v1/virtualMachines/policies", access);
    const auto policy_ids = ids(policies);
    const std::string first = policy_ids.at(0);
    BOOST_TEST(jobs_started() == 0);
    const json::object none = get_list("/api/v1/sessions", access);
    BOOST_TEST(none.at("totalCount").as_int64() == 0);
    BOOST_TEST(result_count(none) == 0u);

    const auto stamp = [&] {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
        const std::time_t t = static_cast<std::time_t>(now);
        std::tm utc{};
        gmtime_r(&t, &utc);
        char buffer[32];
        return std::string(buffer, std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc));
    };
    const std::string before = stamp();
    const result r = post("/api/v1/virtualMachines/policies/" + first + "/start", access);
    const std::string after = stamp();
    BOOST_REQUIRE_EQUAL(r.status, 202u);
    const json::object session = parse_object(r);
    std::set<std::string> keys;
    for (const auto& kv : session) keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"id", "type", "policyId", "status", "creationTimeUtc"}));
    BOOST_TEST(text(session, "type") == "PolicyBackup");
    BOOST_TEST(text(session, "policyId") == first);
    BOOST_TEST(text(session, "status") == "Running");
    BOOST_TEST((text(session, "creationTimeUtc") == before || text(session, "creationTimeUtc") == after));
    BOOST_TEST(text(session, "id").size() == 36u);  // a UUID, like every id here
    BOOST_TEST(jobs_started() == 1);
    BOOST_TEST(vendor_state().at("sessions").as_int64() == 1);

    const json::object one = get_list("/api/v1/sessions", access);
    BOOST_TEST(one.at("totalCount").as_int64() == 1);
    BOOST_TEST((one.at("results").as_array()[0].as_object() == session));
    BOOST_TEST((parse_object(get("/api/v1/sessions/" + text(session, "id"), access)) == session));

    // Each start is a session of its own: the same policy again, a disabled policy
    // (disabling stops the schedule, not a manual start), a trailing slash.
    std::string disabled;
    for (const auto& p : policies.at("results").as_array())
        if (!p.at("isEnabled").as_bool()) disabled = text(p.as_object(), "id");
    BOOST_TEST_REQUIRE(!disabled.empty());
    BOOST_TEST(post("/api/v1/virtualMachines/policies/" + first + "/start", access).status == 202u);
    BOOST_TEST(post("/api/v1/virtualMachines/policies/" + disabled + "/start", access).status == 202u);
    BOOST_TEST(post("/api/v1/virtualMachines/policies/" + first + "/start/", access).status == 202u);
    BOOST_TEST(jobs_started() == 4);
    const json::object all = get_list("/api/v1/sessions", access);
    BOOST_TEST(all.at("totalCount").as_int64() == 4);
    const auto session_ids = ids(all);
    BOOST_TEST(std::set<std::string>(session_ids.begin(), session_ids.end()).size() == 4u);
    BOOST_TEST(session_ids.at(0) == text(session, "id"));  // oldest first

    // Offset and Limit as everywhere; SearchPattern matches policyId.
    const json::object second = get_list("/api/v1/sessions?Offset=1&Limit=1", access);
    BOOST_TEST(second.at("totalCount").as_int64() == 4);
    BOOST_TEST((ids(second) == std::vector<std::string>{session_ids.at(1)}));
    const json::object of_first = get_list("/api/v1/sessions?SearchPattern=" + first, access);
    BOOST_TEST(of_first.at("totalCount").as_int64() == 3);
    for (const auto& item : of_first.at("results").as_array()) BOOST_TEST(text(item.as_object(), "policyId") == first);
    BOOST_TEST(get_list("/api/v1/sessions?Sort=creationTimeUtcDesc&Limit=2", access).at("totalCount").as_int64() == 4);
    check_error(get("/api/v1/sessions?Limit=-2", access), 400, "BadRequest");
    check_error(get("/api/v1/sessions?Sort=policyIdAsc", access), 400, "BadRequest");
}

// An unknown policy is 404 in the reference's error body; nothing starts.
BOOST_AUTO_TEST_CASE(starting_an_unknown_policy_is_not_found) {
    const std::string access = access_token();
    check_error(post("/api/v1/virtualMachines/policies/00000000-0000-4000-8000-000000000000/start", access), 404,
                "NotFound");
    const std::string efs = ids(get_list("/api/v1/efs/policies?Limit=1", access)).at(0);
    check_error(post("/api/v1/virtualMachines/policies/" + efs + "/start", access), 404, "NotFound");
    const std::string ec2 = ids(get_list("/api/v1/virtualMachines/policies?Limit=1", access)).at(0);
    const result wrong = get("/api/v1/virtualMachines/policies/" + ec2 + "/start", access);
    check_error(wrong, 405, "MethodNotAllowed");
    BOOST_TEST(wrong.header("Allow") == "POST");
    check_error(send(http::verb::post, "/api/v1/virtualMachines/policies/" + ec2 + "/start",
                     {{"x-api-version", std::string(version)}}),
                401, "AccessDenied");
    check_error(send(http::verb::post, "/api/v1/virtualMachines/policies/" + ec2 + "/start",
                     {{"Authorization", "Bearer " + access}}),
                400, "BadRequest");
    check_error(get("/api/v1/sessions/00000000-0000-4000-8000-000000000000", access), 404, "NotFound");
    check_error(send(http::verb::get, "/api/v1/sessions", {{"x-api-version", std::string(version)}}), 401,
                "AccessDenied");
    BOOST_TEST(jobs_started() == 0);
    BOOST_TEST(get_list("/api/v1/sessions", access).at("totalCount").as_int64() == 0);
}

// jobs_started counts jobs, not requests: none for an injected 503 (the vendor never
// sees the request), one for a start whose answer is lost. Reset clears the sessions,
// and the same seed gives the same session ids again.
BOOST_AUTO_TEST_CASE(jobs_started_counts_jobs_not_requests) {
    const std::string access = access_token();
    const std::string start =
        "/api/v1/virtualMachines/policies/" + ids(get_list("/api/v1/virtualMachines/policies?Limit=1", access)).at(0) +
        "/start";
    const std::string first_id = text(parse_object(post(start, access)), "id");
    BOOST_TEST(jobs_started() == 1);
    BOOST_TEST(send(http::verb::post, "/__sim/faults", {}, R"({"count":1,"status":503})").status == 200u);
    BOOST_TEST(post(start, access).status == 503u);
    BOOST_TEST(jobs_started() == 1);
    BOOST_TEST(send(http::verb::post, "/__sim/faults", {}, R"({"count":1,"reset":true,"after":true})").status == 200u);
    BOOST_CHECK_THROW(post(start, access), boost::system::system_error);
    BOOST_TEST(jobs_started() == 2);
    BOOST_TEST(get_list("/api/v1/sessions", access).at("totalCount").as_int64() == 2);

    BOOST_TEST(send(http::verb::post, "/__sim/reset").status == 200u);
    BOOST_TEST(jobs_started() == 0);
    BOOST_TEST(vendor_state().at("sessions").as_int64() == 0);
    const std::string again = access_token();
    BOOST_TEST(get_list("/api/v1/sessions", again).at("totalCount").as_int64() == 0);
    BOOST_TEST(text(parse_object(post(start, again)), "id") == first_id);
}

BOOST_AUTO_TEST_SUITE_END()

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
