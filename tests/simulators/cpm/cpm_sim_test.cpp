// The CPM simulator over real sockets, driven the way the document
// (shared/vendors/n2ws-cpm-rest-api.txt) drives CPM: each case names its section.
#define BOOST_TEST_MODULE sim_cpm
#include <boost/test/unit_test.hpp>

#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"
#include "tests/simulators/cpm/cpm.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <openssl/evp.h>

#include <ctime>
#include <map>
#include <numeric>
#include <set>

namespace {

namespace json = boost::json;
namespace http = boost::beast::http;
using http::verb;
using sim::test::result;
using namespace std::chrono_literals;

constexpr std::string_view accept_110 = "application/json; version=1.1.0";

struct tokens {
    std::string access;
    std::string refresh;
};

struct cpm {
    explicit cpm(sim::options o = {}) : vendor(sim::make_cpm(o, clock)), srv(*vendor, clock, {}) {}

    // A request as the document's curl samples send it.
    result call(verb method, const std::string& target, const std::string& token, std::string body = {},
                std::string_view accept = accept_110, std::string_view content_type = "application/json") {
        std::vector<std::pair<std::string, std::string>> headers;
        if (!accept.empty()) headers.emplace_back("Accept", accept);
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        if (!body.empty()) headers.emplace_back("Content-Type", content_type);
        return sim::test::send(srv.port(), method, target, std::move(headers), std::move(body));
    }
    result get(const std::string& target, const std::string& token, std::string_view accept = accept_110) {
        return call(verb::get, target, token, {}, accept);
    }
    json::value get_json(const std::string& target, const std::string& token) {
        auto r = get(target, token);
        BOOST_TEST_REQUIRE(r.status == 200u, target << ": " << r.status << " " << r.body);
        return json::parse(r.body);
    }
    result form_post(const std::string& target, const std::string& form) {
        return sim::test::send(srv.port(), verb::post, target,
                               {{"Accept", std::string(accept_110)},
                                {"Content-Type", "application/x-www-form-urlencoded"}},
                               form);
    }
    // Section 1.9.2, post_obtain_token().
    tokens obtain(const std::string& api_key = "cpm-demo-api-key") {
        auto r = form_post("/api/token/obtain/api_key/", "api_key=" + api_key);
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        auto body = json::parse(r.body);
        return {std::string(body.at("access").as_string()), std::string(body.at("refresh").as_string())};
    }
    json::object counters() {
        auto r = sim::test::send(srv.port(), verb::get, "/__sim/state");
        return json::parse(r.body).at("counters").as_object();
    }
    json::object vendor_state() {
        auto r = sim::test::send(srv.port(), verb::get, "/__sim/state");
        return json::parse(r.body).at("vendor_state").as_object();
    }
    std::int64_t jobs_started() { return vendor_state().at("jobs_started").as_int64(); }
    std::int64_t count_of(const std::string& list, const std::string& token) {
        return get_json(list + (list.find('?') == std::string::npos ? "?" : "&") + "page_size=1", token)
            .at("count")
            .as_int64();
    }
    std::string origin() const { return "http://127.0.0.1:" + std::to_string(srv.port()); }

    sim::clock clock;
    std::unique_ptr<sim::vendor> vendor;
    sim::server srv;
};

json::value only_error(const result& r) { return json::parse(r.body); }

json::value errors_body(std::string_view key, std::string_view message, std::string_view code) {
    return json::value{{"errors", json::array{json::object{
                                      {key, json::array{json::object{{"message", message}, {"code", code}}}}}}}};
}

std::vector<std::int64_t> ids_of(const json::value& items) {
    std::vector<std::int64_t> ids;
    for (const auto& item : items.as_array()) ids.push_back(item.at("id").as_int64());
    return ids;
}

json::object jwt_payload(const std::string& token) {
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    std::string part = token.substr(first + 1, second - first - 1);
    std::string b64(part);
    for (auto& c : b64) c = c == '-' ? '+' : (c == '_' ? '/' : c);
    while (b64.size() % 4) b64.push_back('=');
    std::string raw(b64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    raw.resize(static_cast<std::size_t>(n));
    while (!raw.empty() && raw.back() == '\0') raw.pop_back();
    return json::parse(raw).as_object();
}

std::int64_t epoch_now(const sim::clock& c) {
    return std::chrono::duration_cast<std::chrono::seconds>(c.now().time_since_epoch()).count();
}

}  // namespace

// Section 1.9.2: the Python demo — obtain, list users, refresh, list users again.
BOOST_AUTO_TEST_CASE(python_demo_obtain_list_refresh_list) {
    cpm sim;
    auto t = sim.obtain();
    auto users1 = sim.get_json("/api/users/", t.access);
    auto r = sim.form_post("/api/token/refresh/", "refresh=" + t.refresh);
    BOOST_TEST_REQUIRE(r.status == 200u);
    auto refreshed = json::parse(r.body).as_object();
    BOOST_TEST(!refreshed.contains("refresh"));
    std::string access2(refreshed.at("access").as_string());
    BOOST_TEST(access2 != t.access);
    auto users2 = sim.get_json("/api/users/", access2);
    BOOST_TEST(users1 == users2);
    BOOST_TEST(users1.as_array().size() == 7u);
    auto c = sim.counters();
    BOOST_TEST(c.at("logins").as_int64() == 1);
    BOOST_TEST(c.at("refreshes").as_int64() == 1);
    BOOST_TEST(c.at("requests").as_int64() == 4);
}

// Section 1.2: access tokens last 1 hour, refresh tokens 24 hours by default;
// the tokens are JWTs whose exp is the real expiry.
BOOST_AUTO_TEST_CASE(tokens_are_jwts_with_their_real_expiry) {
    cpm sim;
    auto now = epoch_now(sim.clock);
    auto t = sim.obtain();
    auto access = jwt_payload(t.access);
    auto refresh = jwt_payload(t.refresh);
    BOOST_TEST(access.at("token_type").as_string() == "access");
    BOOST_TEST(refresh.at("token_type").as_string() == "refresh");
    BOOST_TEST(std::abs(access.at("exp").as_int64() - (now + 3600)) <= 2);
    BOOST_TEST(std::abs(refresh.at("exp").as_int64() - (now + 86400)) <= 2);
}

// Section 1.2: the Obtain Token call with a wrong or missing key.
BOOST_AUTO_TEST_CASE(obtain_with_a_wrong_or_missing_key) {
    cpm sim;
    auto wrong = sim.form_post("/api/token/obtain/api_key/", "api_key=not-the-key");
    BOOST_TEST(wrong.status == 401u);
    BOOST_TEST(wrong.header("WWW-Authenticate") == "Bearer realm=\"api\"");
    BOOST_TEST(only_error(wrong) ==
               errors_body("detail", "No active account found with the given credentials", "no_active_account"));
    auto missing = sim.form_post("/api/token/obtain/api_key/", "");
    BOOST_TEST(missing.status == 400u);
    BOOST_TEST(only_error(missing) == errors_body("api_key", "This field is required.", "required"));
    BOOST_TEST(sim.counters().at("failed_logins").as_int64() == 2);
    BOOST_TEST(sim.counters().at("logins").as_int64() == 0);
    // The token endpoints accept JSON too, like any DRF view.
    auto as_json = sim.call(verb::post, "/api/token/obtain/api_key/", "", R"({"api_key":"cpm-demo-api-key"})");
    BOOST_TEST(as_json.status == 200u);
}

// Section 1.2: "Without the access token, the request will be denied with the
// HTTP 401 Unauthorized error response and appropriate WWW-Authenticate header."
BOOST_AUTO_TEST_CASE(requests_without_a_valid_access_token_get_401) {
    cpm sim;
    auto t = sim.obtain();
    auto none = sim.get("/api/policies/", "");
    BOOST_TEST(none.status == 401u);
    BOOST_TEST(none.header("WWW-Authenticate") == "Bearer realm=\"api\"");
    BOOST_TEST(only_error(none) ==
               errors_body("detail", "Authentication credentials were not provided.", "not_authenticated"));
    auto garbage = sim.get("/api/policies/", "abc.def.ghi");
    BOOST_TEST(garbage.status == 401u);
    BOOST_TEST(only_error(garbage) ==
               errors_body("detail", "Given token not valid for any token type", "token_not_valid"));
    // A refresh token is not an access token.
    BOOST_TEST(sim.get("/api/policies/", t.refresh).status == 401u);
    // Another scheme is no credentials at all.
    auto basic = sim::test::send(sim.srv.port(), verb::get, "/api/policies/", {{"Authorization", "Token " + t.access}});
    BOOST_TEST(basic.status == 401u);
    BOOST_TEST(sim.counters().at("unauthorized").as_int64() == 4);
}

// Section 1.2: access tokens expire after an hour; the refresh token gives a new
// one for 24 hours, then it expires too.
BOOST_AUTO_TEST_CASE(expired_tokens_after_advancing_the_clock) {
    sim::options o;
    o.access_ttl = 60s;
    o.refresh_ttl = 600s;
    cpm sim(o);
    auto t = sim.obtain();
    BOOST_TEST(sim.get("/api/users/", t.access).status == 200u);
    sim::test::send(sim.srv.port(), verb::post, "/__sim/clock", {}, R"({"advance_seconds":60})");
    auto expired = sim.get("/api/users/", t.access);
    BOOST_TEST(expired.status == 401u);
    BOOST_TEST(only_error(expired) ==
               errors_body("detail", "Given token not valid for any token type", "token_not_valid"));
    auto r = sim.form_post("/api/token/refresh/", "refresh=" + t.refresh);
    BOOST_TEST_REQUIRE(r.status == 200u);
    std::string access2(json::parse(r.body).at("access").as_string());
    BOOST_TEST(sim.get("/api/users/", access2).status == 200u);
    sim.clock.advance(600s);
    auto late = sim.form_post("/api/token/refresh/", "refresh=" + t.refresh);
    BOOST_TEST(late.status == 401u);
    BOOST_TEST(only_error(late) == errors_body("detail", "Token is invalid or expired", "token_not_valid"));
    BOOST_TEST(sim.form_post("/api/token/refresh/", "").status == 400u);
}

// Admin POST /__sim/expire: every token expires now; a new obtain works.
BOOST_AUTO_TEST_CASE(expire_all_through_the_admin_endpoint) {
    cpm sim;
    auto t = sim.obtain();
    BOOST_TEST(sim::test::send(sim.srv.port(), verb::post, "/__sim/expire").status == 200u);
    BOOST_TEST(sim.get("/api/users/", t.access).status == 401u);
    BOOST_TEST(sim.form_post("/api/token/refresh/", "refresh=" + t.refresh).status == 401u);
    BOOST_TEST(sim.get("/api/users/", sim.obtain().access).status == 200u);
}

// Section 1.4: the version parameter of Accept is optional (latest); an
// invalid one is 406 Not Acceptable — checked before authentication, as DRF does.
BOOST_AUTO_TEST_CASE(versions_in_the_accept_header) {
    cpm sim;
    auto t = sim.obtain();
    BOOST_TEST(sim.get("/api/policies/", t.access, "application/json; version=1.0.0").status == 200u);
    BOOST_TEST(sim.get("/api/policies/", t.access, "application/json; version=1.1.0").status == 200u);
    BOOST_TEST(sim.get("/api/policies/", t.access, "application/json").status == 200u);
    BOOST_TEST(sim.get("/api/policies/", t.access, "").status == 200u);
    BOOST_TEST(sim.get("/api/policies/", t.access, "*/*").status == 200u);
    auto bad = sim.get("/api/policies/", t.access, "application/json; version=9.9.9");
    BOOST_TEST(bad.status == 406u);
    BOOST_TEST(only_error(bad) == errors_body("detail", "Invalid version in \"Accept\" header.", "not_acceptable"));
    BOOST_TEST(sim.get("/api/policies/", "", "application/json; version=2.0").status == 406u);
    BOOST_TEST(sim.get("/api/policies/", t.access, "text/html").status == 406u);
    BOOST_TEST(sim.form_post("/api/token/obtain/api_key/", "api_key=x").status == 401u);
}

// Chapter 2: GET /backups/{id}/ is new in 1.1.0, so a 1.0.0 client does not see it.
BOOST_AUTO_TEST_CASE(endpoints_added_in_1_1_0_are_not_in_1_0_0) {
    cpm sim;
    auto t = sim.obtain();
    BOOST_TEST(sim.get("/api/backups/1/", t.access, "application/json; version=1.1.0").status == 200u);
    BOOST_TEST(sim.get("/api/backups/1/", t.access, "application/json; version=1.0.0").status == 404u);
    BOOST_TEST(sim.get("/api/backups/", t.access, "application/json; version=1.0.0").status == 200u);
}

// Section 1.9.1: create a weekly schedule, update it to monthly, list schedules
// ordered by frequency, delete it.
BOOST_AUTO_TEST_CASE(schedule_lifecycle_as_in_the_curl_samples) {
    cpm sim;
    auto t = sim.obtain();
    auto created = sim.call(verb::post, "/api/schedules/", t.access,
                            R"({"name": "sample", "every_unit": "W", "every_how_many": 1})");
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto s = json::parse(created.body).as_object();
    auto id = s.at("id").as_int64();
    BOOST_TEST(id == 24);  // after the 23 seeded ones
    BOOST_TEST(s.at("name").as_string() == "sample");
    BOOST_TEST(s.at("description").is_null());
    BOOST_TEST(s.at("user").as_int64() == 1);
    BOOST_TEST(s.at("every_unit").as_string() == "W");
    BOOST_TEST(s.at("every_how_many").as_int64() == 1);
    BOOST_TEST(s.at("end_date").is_null());
    BOOST_TEST(s.at("disable_times").as_array().empty());
    BOOST_TEST(s.at("start_date").as_string().size() == std::string_view("2018-08-01T12:00:00.000000Z").size());
    BOOST_TEST(!s.contains("allow_on_sunday"));  // as in the sample: only minute and hour schedules show them
    std::vector<std::string> keys;
    for (const auto& kv : s) keys.emplace_back(kv.key());
    BOOST_TEST((keys == std::vector<std::string>{"id", "name", "description", "user", "every_unit", "every_how_many",
                                                  "start_date", "end_date", "last_modified", "disable_times"}));

    sim.clock.advance(3600s);  // the update sample's last_modified is an hour later
    t = sim.obtain();          // and the first access token has expired by then
    std::string path = "/api/schedules/" + std::to_string(id) + "/";
    auto updated = sim.call(verb::put, path, t.access,
                            R"({"name": "sample", "every_unit": "O", "every_how_many": 1})");
    BOOST_TEST_REQUIRE(updated.status == 200u, updated.body);
    auto u = json::parse(updated.body).as_object();
    BOOST_TEST(u.at("every_unit").as_string() == "O");
    BOOST_TEST(u.at("start_date") == s.at("start_date"));
    BOOST_TEST(u.at("last_modified").as_string() > s.at("last_modified").as_string());

    auto listed = sim.get_json("/api/schedules/?ordering=every_unit,every_how_many", t.access);
    auto ids = ids_of(listed);
    BOOST_TEST(ids.size() == 24u);
    // The documented five keep the documented order: 5minutes, 10hours, 7weeks, 1month, 2months.
    std::vector<std::int64_t> documented;
    for (auto i : ids)
        if (i <= 5) documented.push_back(i);
    BOOST_TEST((documented == std::vector<std::int64_t>{2, 5, 4, 1, 3}));
    const std::string units = "MHDWO";
    for (std::size_t i = 1; i < listed.as_array().size(); ++i) {
        const auto& a = listed.as_array()[i - 1];
        const auto& b = listed.as_array()[i];
        auto ua = units.find(a.at("every_unit").as_string().front());
        auto ub = units.find(b.at("every_unit").as_string().front());
        BOOST_TEST((ua < ub || (ua == ub && a.at("every_how_many").as_int64() <= b.at("every_how_many").as_int64())));
    }
    auto documented_2 = listed.as_array()[std::find(ids.begin(), ids.end(), 2) - ids.begin()].as_object();
    BOOST_TEST(documented_2.at("name").as_string() == "5minutes");
    BOOST_TEST(documented_2.at("allow_on_sunday").as_bool());

    auto descending = ids_of(sim.get_json("/api/schedules/?ordering=every_unit,-every_how_many", t.access));
    BOOST_TEST(descending.size() == 24u);

    auto deleted = sim.call(verb::delete_, path, t.access);
    BOOST_TEST(deleted.status == 204u);
    BOOST_TEST(deleted.body.empty());
    BOOST_TEST(sim.get(path, t.access).status == 404u);
}

// Section 1.8: field validation errors, in the document's own sample shape.
BOOST_AUTO_TEST_CASE(validation_errors_have_the_documented_body) {
    cpm sim;
    auto t = sim.obtain();
    auto r = sim.call(verb::post, "/api/schedules/", t.access,
                      R"({"name": "", "description": "<script>", "every_unit": "W", "every_how_many": 1})");
    BOOST_TEST(r.status == 400u);
    auto expected = json::parse(R"({"errors":[{
        "name":[{"message":"This field may not be blank.","code":"blank"}],
        "description":[{"message":"This field contains invalid characters.","code":"invalid"}]}]})");
    BOOST_TEST(json::parse(r.body) == expected);

    auto missing = sim.call(verb::post, "/api/schedules/", t.access, "{}");
    BOOST_TEST(missing.status == 400u);
    auto fields = json::parse(missing.body).at("errors").at(0).as_object();
    BOOST_TEST(fields.at("name").at(0).at("code").as_string() == "required");
    BOOST_TEST(fields.at("every_unit").at(0).at("code").as_string() == "required");
    BOOST_TEST(fields.at("every_how_many").at(0).at("code").as_string() == "required");

    auto choice = sim.call(verb::post, "/api/schedules/", t.access, R"({"name":"x1","every_unit":"Y","every_how_many":0})");
    auto choice_fields = json::parse(choice.body).at("errors").at(0).as_object();
    BOOST_TEST(choice_fields.at("every_unit").at(0).at("message").as_string() == "\"Y\" is not a valid choice.");
    BOOST_TEST(choice_fields.at("every_how_many").at(0).at("code").as_string() == "min_value");

    auto duplicate = sim.call(verb::post, "/api/schedules/", t.access,
                              R"({"name":"5minutes","every_unit":"M","every_how_many":5})");
    BOOST_TEST(duplicate.status == 400u);
    BOOST_TEST(json::parse(duplicate.body) ==
               errors_body("name", "schedule with this name already exists.", "unique"));

    auto form = sim.call(verb::post, "/api/schedules/", t.access, "name=x", accept_110,
                         "application/x-www-form-urlencoded");
    BOOST_TEST(form.status == 415u);
    auto broken = sim.call(verb::post, "/api/schedules/", t.access, "{\"name\":");
    BOOST_TEST(broken.status == 400u);
    BOOST_TEST(json::parse(broken.body).at("errors").at(0).at("detail").at(0).at("code").as_string() == "parse_error");
}

// Section 1.5: ?page=3&page_size=20 answers {count,next,previous,results} with absolute links.
BOOST_AUTO_TEST_CASE(pagination_as_in_the_sample) {
    cpm sim;
    auto t = sim.obtain();
    auto page = sim.get_json("/api/policies/?page=3&page_size=20", t.access).as_object();
    BOOST_TEST(page.at("count").as_int64() == 137);
    BOOST_TEST(page.at("next").as_string() == sim.origin() + "/api/policies/?page=4&page_size=20");
    BOOST_TEST(page.at("previous").as_string() == sim.origin() + "/api/policies/?page=2&page_size=20");
    auto ids = ids_of(page.at("results"));
    BOOST_TEST(ids.size() == 20u);
    BOOST_TEST(ids.front() == 41);
    BOOST_TEST(ids.back() == 60);
    std::vector<std::string> keys;
    for (const auto& kv : page) keys.emplace_back(kv.key());
    BOOST_TEST((keys == std::vector<std::string>{"count", "next", "previous", "results"}));

    auto last = sim.get_json("/api/policies/?page=7&page_size=20", t.access).as_object();
    BOOST_TEST(last.at("results").as_array().size() == 17u);
    BOOST_TEST(last.at("next").is_null());
    BOOST_TEST(sim.get_json("/api/policies/?page=last&page_size=20", t.access) == json::value(last));

    // DRF drops page=1 from the link back to the first page, and sorts the parameters.
    auto second = sim.get_json("/api/policies/?page_size=20&page=2&ordering=-name", t.access).as_object();
    BOOST_TEST(second.at("previous").as_string() == sim.origin() + "/api/policies/?ordering=-name&page_size=20");
    BOOST_TEST(second.at("next").as_string() == sim.origin() + "/api/policies/?ordering=-name&page=3&page_size=20");
    auto first = sim.get_json("/api/policies/?page_size=20", t.access).as_object();
    BOOST_TEST(first.at("previous").is_null());
    BOOST_TEST(ids_of(first.at("results")).front() == 1);

    auto beyond = sim.get("/api/policies/?page=8&page_size=20", t.access);
    BOOST_TEST(beyond.status == 404u);
    BOOST_TEST(only_error(beyond) == errors_body("detail", "Invalid page.", "not_found"));
    BOOST_TEST(sim.get("/api/policies/?page=0&page_size=20", t.access).status == 404u);
    BOOST_TEST(sim.get("/api/policies/?page=x&page_size=20", t.access).status == 404u);
}

// Section 1.5: "Pagination is disabled if not specified or set to zero"; the
// server caps page_size (DRF clamps it to max_page_size).
BOOST_AUTO_TEST_CASE(pagination_off_and_the_page_size_cap) {
    cpm sim;
    auto t = sim.obtain();
    BOOST_TEST(sim.get_json("/api/policies/", t.access).as_array().size() == 137u);
    BOOST_TEST(sim.get_json("/api/policies/?page_size=0", t.access).as_array().size() == 137u);
    BOOST_TEST(sim.get_json("/api/policies/?page=2", t.access).as_array().size() == 137u);
    BOOST_TEST(sim.get_json("/api/backups/", t.access).as_array().size() == 1001u);
    auto capped = sim.get_json("/api/backups/?page=2&page_size=5000", t.access).as_object();
    BOOST_TEST(capped.at("results").as_array().size() == 100u);
    BOOST_TEST(ids_of(capped.at("results")).front() == 101);
    BOOST_TEST(capped.at("next").as_string() == sim.origin() + "/api/backups/?page=3&page_size=5000");
    auto empty = sim.get_json("/api/policies/?account=999&page_size=10", t.access).as_object();
    BOOST_TEST(empty.at("count").as_int64() == 0);
    BOOST_TEST(empty.at("results").as_array().empty());
}

// Section 1.6: exact filters (?account=1) and search (?search=James).
BOOST_AUTO_TEST_CASE(filtering_and_search) {
    cpm sim;
    auto t = sim.obtain();
    auto all = sim.get_json("/api/policies/", t.access).as_array();
    std::size_t on_account_1 = std::count_if(all.begin(), all.end(),
                                             [](const json::value& p) { return p.at("account").as_int64() == 1; });
    auto filtered = sim.get_json("/api/policies/?account=1", t.access).as_array();
    BOOST_TEST(filtered.size() == on_account_1);
    BOOST_TEST(on_account_1 > 0u);
    for (const auto& p : filtered) BOOST_TEST(p.at("account").as_int64() == 1);
    auto bad = sim.get("/api/policies/?account=one", t.access);
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(only_error(bad) == errors_body("account", "Enter a number.", "invalid"));

    auto james = sim.get_json("/api/users/?search=James", t.access).as_array();
    BOOST_TEST(james.size() == 1u);
    BOOST_TEST(james.at(0).at("username").as_string() == "james_smith");
    BOOST_TEST(sim.get_json("/api/users/?search=james%20smith", t.access).as_array().size() == 1u);
    BOOST_TEST(sim.get_json("/api/users/?search=nobody", t.access).as_array().empty());
}

// Section 1.7: ?ordering=username, ?ordering=-username; unknown fields are ignored.
BOOST_AUTO_TEST_CASE(ordering) {
    cpm sim;
    auto t = sim.obtain();
    auto names = [&](const std::string& target) {
        std::vector<std::string> out;
        auto users = sim.get_json(target, t.access);
        for (const auto& u : users.as_array()) out.emplace_back(u.at("username").as_string());
        return out;
    };
    auto ascending = names("/api/users/?ordering=username");
    BOOST_TEST(std::is_sorted(ascending.begin(), ascending.end()));
    auto descending = names("/api/users/?ordering=-username");
    BOOST_TEST(std::is_sorted(descending.rbegin(), descending.rend()));
    BOOST_TEST(ids_of(sim.get_json("/api/users/?ordering=shoe_size", t.access)) ==
               ids_of(sim.get_json("/api/users/", t.access)));
}

// Section 1.1: endpoint paths end in '/'; without it the URL matches nothing
// (Django's own 404 page), even before authentication.
BOOST_AUTO_TEST_CASE(paths_without_the_trailing_slash_are_not_found) {
    cpm sim;
    auto t = sim.obtain();
    auto r = sim.get("/api/policies", t.access);
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.header("content-type") == "text/html");
    BOOST_TEST(sim.get("/api/policies/1", t.access).status == 404u);
    BOOST_TEST(sim.get("/api/nothing/", "").status == 404u);
    BOOST_TEST(sim.get("/policies/", t.access).status == 404u);
    BOOST_TEST(sim.form_post("/api/token/obtain/api_key", "api_key=cpm-demo-api-key").status == 404u);
}

// Unknown ids: 404 with the errors body; a method an endpoint lacks: 405 with Allow.
BOOST_AUTO_TEST_CASE(unknown_ids_and_methods) {
    cpm sim;
    auto t = sim.obtain();
    auto r = sim.get("/api/policies/999999/", t.access);
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(only_error(r) == errors_body("detail", "Not found.", "not_found"));
    BOOST_TEST(sim.get("/api/users/abc/", t.access).status == 404u);
    BOOST_TEST(sim.call(verb::put, "/api/schedules/999/", t.access, "{}").status == 404u);
    BOOST_TEST(sim.call(verb::delete_, "/api/policies/999999/", t.access).status == 404u);
    auto patch = sim.call(verb::patch, "/api/policies/1/", t.access, "{}");
    BOOST_TEST(patch.status == 405u);
    BOOST_TEST(patch.header("allow") == "GET, PUT, DELETE, HEAD, OPTIONS");
    BOOST_TEST(sim.call(verb::post, "/api/backups/", t.access, "{}").status == 405u);
    BOOST_TEST(sim.get("/api/policies/1/", t.access).header("allow") == "GET, PUT, DELETE, HEAD, OPTIONS");
}

// Chapter 3: accounts, the resource the document specifies field by field.
BOOST_AUTO_TEST_CASE(backup_and_dr_accounts) {
    cpm sim;
    auto t = sim.obtain();
    auto backup = sim.get_json("/api/accounts/backup/", t.access).as_array();
    BOOST_TEST(backup.size() == 11u);
    BOOST_TEST(sim.get_json("/api/accounts/dr/", t.access).as_array().size() == 3u);
    BOOST_TEST(sim.get_json("/api/accounts/", t.access).as_array().size() == 14u);
    const auto& first = backup.at(0).as_object();
    for (const char* name : {"account_number", "allow_deleting_snapshots", "assume_from_account", "authentication",
                             "aws_access_key", "capture_vpcs", "external_id", "id", "is_dr_account", "name",
                             "role_name", "scan_regions", "scan_tagged_resources", "user"})
        BOOST_TEST(first.contains(name), name);
    BOOST_TEST(!first.contains("aws_secret_key"));
    BOOST_TEST(first.at("user").is_string());  // "ID of the owner user. string"
    BOOST_TEST(first.at("account_number").as_string().size() == 12u);

    // 3.2: create; an IAM user account needs its keys.
    auto no_keys = sim.call(verb::post, "/api/accounts/backup/", t.access,
                            R"({"name":"new_acct","authentication":"C","user":"1"})");
    BOOST_TEST(no_keys.status == 400u);
    auto missing = json::parse(no_keys.body).at("errors").at(0).as_object();
    BOOST_TEST(missing.contains("aws_access_key"));
    BOOST_TEST(missing.contains("aws_secret_key"));
    auto bad_name = sim.call(verb::post, "/api/accounts/backup/", t.access,
                             R"({"name":"new acct","authentication":"R","user":99})");
    auto bad_fields = json::parse(bad_name.body).at("errors").at(0).as_object();
    BOOST_TEST(bad_fields.at("name").at(0).at("code").as_string() == "invalid");
    BOOST_TEST(bad_fields.at("user").at(0).at("message").as_string() == "Invalid pk \"99\" - object does not exist.");
    auto created = sim.call(verb::post, "/api/accounts/backup/", t.access,
                            R"({"name":"new_acct","authentication":"C","user":"1","aws_access_key":"AKIAEXAMPLE",
                                "aws_secret_key":"secret","scan_regions":["us-east-1"]})");
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto account = json::parse(created.body).as_object();
    BOOST_TEST(account.at("id").as_int64() == 15);
    BOOST_TEST(!account.at("is_dr_account").as_bool());
    BOOST_TEST(!account.contains("aws_secret_key"));
    std::string path = "/api/accounts/backup/15/";

    // 3.4, 3.5, 3.7, 3.6: retrieve, update, delete its snapshots, delete it.
    BOOST_TEST(sim.get_json(path, t.access) == json::value(account));
    auto updated = sim.call(verb::put, path, t.access, R"({"name":"renamed_acct","authentication":"C","aws_access_key":"AKIA2"})");
    BOOST_TEST_REQUIRE(updated.status == 200u, updated.body);
    BOOST_TEST(json::parse(updated.body).at("name").as_string() == "renamed_acct");
    BOOST_TEST(json::parse(updated.body).at("user").as_string() == "1");
    BOOST_TEST(sim.call(verb::delete_, path + "snapshots/", t.access).status == 204u);
    BOOST_TEST(sim.call(verb::delete_, path, t.access).status == 204u);
    BOOST_TEST(sim.get(path, t.access).status == 404u);
    // A DR account is not a backup account.
    BOOST_TEST(sim.get("/api/accounts/backup/12/", t.access).status == 404u);
    BOOST_TEST(sim.get("/api/accounts/dr/12/", t.access).status == 200u);
    // 3.1 filters: by owner (a string) and by name.
    auto owned = sim.get_json("/api/accounts/?user=1", t.access);
    BOOST_TEST(!owned.as_array().empty());
    for (const auto& a : owned.as_array()) BOOST_TEST(a.at("user").as_string() == "1");
}

// Users: the username is unique, a password is needed, the root user stays.
BOOST_AUTO_TEST_CASE(users_create_and_rules) {
    cpm sim;
    auto t = sim.obtain();
    auto no_password = sim.call(verb::post, "/api/users/", t.access, R"({"username":"new_user"})");
    BOOST_TEST(json::parse(no_password.body) == errors_body("password", "This field is required.", "required"));
    auto taken = sim.call(verb::post, "/api/users/", t.access, R"({"username":"root","password":"long-enough"})");
    BOOST_TEST(json::parse(taken.body) == errors_body("username", "user with this username already exists.", "unique"));
    auto created = sim.call(verb::post, "/api/users/", t.access,
                            R"({"username":"new_user","password":"long-enough","email":"n@example.com"})");
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    BOOST_TEST(!json::parse(created.body).as_object().contains("password"));
    auto root = sim.call(verb::delete_, "/api/users/1/", t.access);
    BOOST_TEST(root.status == 403u);
}

// Policies refer to backup accounts and schedules that exist.
BOOST_AUTO_TEST_CASE(policies_create_update_delete) {
    cpm sim;
    auto t = sim.obtain();
    auto dr = sim.call(verb::post, "/api/policies/", t.access, R"({"name":"p_new","account":12})");
    BOOST_TEST(json::parse(dr.body) == errors_body("account", "Invalid pk \"12\" - object does not exist.", "does_not_exist"));
    auto created = sim.call(verb::post, "/api/policies/", t.access, R"({"name":"p_new","account":2,"schedules":[1,2]})");
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto p = json::parse(created.body).as_object();
    BOOST_TEST(p.at("id").as_int64() == 138);
    BOOST_TEST(p.at("enabled").as_bool());
    BOOST_TEST(sim.get_json("/api/policies/", t.access).as_array().size() == 138u);
    auto updated = sim.call(verb::put, "/api/policies/138/", t.access, R"({"name":"p_new","account":3,"enabled":false})");
    BOOST_TEST(json::parse(updated.body).at("account").as_int64() == 3);
    BOOST_TEST(!json::parse(updated.body).at("enabled").as_bool());
    BOOST_TEST(sim.call(verb::delete_, "/api/policies/138/", t.access).status == 204u);
    BOOST_TEST(sim.get_json("/api/policies/", t.access).as_array().size() == 137u);
}

// A policy name of 30,000 characters or more took the whole simulator down
// (std::regex_match recursed over it): long fields are checked by loops now,
// and every text rule still holds (issue 19, defect 8).
BOOST_AUTO_TEST_CASE(very_long_fields_are_answered_not_fatal) {
    cpm sim;
    auto t = sim.obtain();
    for (const std::size_t n : {30'000ul, 200'000ul}) {
        const std::string long_name(n, 'a');
        auto r = sim.call(verb::post, "/api/policies/", t.access, R"({"name":")" + long_name + R"(","account":2})");
        BOOST_TEST((r.status == 201u || r.status == 400u), r.status);
        auto bad = sim.call(verb::post, "/api/policies/", t.access, R"({"name":")" + long_name + R"( x","account":2})");
        BOOST_TEST(bad.status == 400u);
    }
    BOOST_TEST(sim.get("/api/policies/", t.access).status == 200u);  // still serving
    // The rules, as the regexes had them.
    auto user = [&](const std::string& field, const std::string& value) {
        return sim.call(verb::post, "/api/users/", t.access,
                        R"({"username":"u_)" + std::to_string(value.size()) + R"(","email":"a@b.co","password":"Password1",)" +
                            "\"" + field + "\":\"" + value + "\"}");
    };
    BOOST_TEST(user("email", "no-at-sign.example").status == 400u);
    BOOST_TEST(user("email", "a@nodot").status == 400u);
    BOOST_TEST(user("email", "a b@c.de").status == 400u);
}

// Section 1.9.1 "Download Support Logs": a large binary body, streamed.
BOOST_AUTO_TEST_CASE(support_logs_stream_a_gibibyte) {
    sim::options o;
    o.extra["support_logs_bytes"] = std::to_string(1ull << 30);
    cpm sim(o);
    auto t = sim.obtain();

    namespace asio = boost::asio;
    namespace beast = boost::beast;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), sim.srv.port()});
    http::request<http::empty_body> req{verb::get, "/api/system/support_logs/", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, accept_110);
    req.set(http::field::authorization, "Bearer " + t.access);
    http::write(socket, req);

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(1ull << 31);
    http::read_header(socket, buffer, parser);
    BOOST_TEST(parser.get().result_int() == 200u);
    BOOST_TEST(parser.get()[http::field::content_type] == "application/octet-stream");
    BOOST_TEST(parser.content_length().value_or(0) == 1ull << 30);
    std::vector<std::uint8_t> slice(1 << 20);
    std::uint64_t total = 0;
    bool pattern_ok = true;
    while (!parser.is_done()) {
        parser.get().body().data = slice.data();
        parser.get().body().size = slice.size();
        boost::system::error_code ec;
        http::read(socket, buffer, parser, ec);
        if (ec && ec != http::error::need_buffer) BOOST_FAIL(ec.message());
        std::size_t got = slice.size() - parser.get().body().size;
        // Every 4093rd byte: enough to catch a wrong pattern without slowing the test.
        for (std::size_t i = 0; i < got; i += 4093) pattern_ok = pattern_ok && slice[i] == sim::streamed_byte(total + i);
        total += got;
    }
    BOOST_TEST(total == 1ull << 30);
    BOOST_TEST(pattern_ok);

    auto head = sim.call(verb::head, "/api/system/support_logs/", t.access);
    BOOST_TEST(head.header("content-length") == std::to_string(1ull << 30));
    BOOST_TEST(sim.get("/api/system/support_logs/", "").status == 401u);
}

// Section 1.9.1 "Download Cleanup Logs": Accept: text/csv; version=1.1.0.
BOOST_AUTO_TEST_CASE(cleanup_logs_are_csv) {
    cpm sim;
    auto t = sim.obtain();
    auto csv = sim.get("/api/settings/cleanup/logs/", t.access, "text/csv; version=1.1.0");
    BOOST_TEST(csv.status == 200u);
    BOOST_TEST(csv.header("content-type") == "text/csv");
    BOOST_TEST(csv.body.starts_with("time,account,region"));
    BOOST_TEST(sim.get("/api/settings/cleanup/logs/", t.access, "application/json").status == 406u);
    BOOST_TEST(sim.get("/api/settings/cleanup/logs/", t.access, "text/csv; version=1.0.0").status == 404u);
}

// Chapter 2 (1.0.0): GET /recoveries/ and /recoveries/{id}/, paged as section 1.5 says.
BOOST_AUTO_TEST_CASE(recoveries_list_pages_and_items) {
    cpm sim;
    auto t = sim.obtain();
    auto all = sim.get_json("/api/recoveries/", t.access).as_array();
    BOOST_TEST_REQUIRE(all.size() == 73u);
    std::vector<std::int64_t> one_to_73(73);
    std::iota(one_to_73.begin(), one_to_73.end(), 1);
    BOOST_TEST(ids_of(all) == one_to_73);
    for (const char* name : {"id", "backup", "policy", "account", "user", "status", "start_time", "end_time",
                             "recovery_type"})
        BOOST_TEST(all.at(0).as_object().contains(name), name);

    // Each recovery restores a backup that exists, after it ended, and carries its policy, account and owner.
    std::map<std::int64_t, json::object> backups;
    auto backup_list = sim.get_json("/api/backups/", t.access);
    for (const auto& b : backup_list.as_array()) backups.emplace(b.at("id").as_int64(), b.as_object());
    std::string previous_start;
    for (const auto& v : all) {
        const auto& r = v.as_object();
        auto b = backups.find(r.at("backup").as_int64());
        BOOST_TEST_REQUIRE((b != backups.end()));
        BOOST_TEST(r.at("policy") == b->second.at("policy"));
        BOOST_TEST(r.at("account") == b->second.at("account"));
        BOOST_TEST(r.at("user") == b->second.at("user"));
        BOOST_TEST(r.at("start_time").as_string() > b->second.at("start_time").as_string());
        BOOST_TEST(std::string(r.at("start_time").as_string()) >= previous_start);  // ids follow the start times
        previous_start = r.at("start_time").as_string();
    }
    // The latest is still running.
    BOOST_TEST(all.back().at("status").as_string() == "Recovery in Progress");
    BOOST_TEST(all.back().at("end_time").is_null());

    auto page = sim.get_json("/api/recoveries/?page=2&page_size=20", t.access).as_object();
    BOOST_TEST(page.at("count").as_int64() == 73);
    BOOST_TEST(page.at("next").as_string() == sim.origin() + "/api/recoveries/?page=3&page_size=20");
    BOOST_TEST(page.at("previous").as_string() == sim.origin() + "/api/recoveries/?page_size=20");
    BOOST_TEST(ids_of(page.at("results")) == std::vector<std::int64_t>(one_to_73.begin() + 20, one_to_73.begin() + 40));
    auto last = sim.get_json("/api/recoveries/?page=4&page_size=20", t.access).as_object();
    BOOST_TEST(last.at("results").as_array().size() == 13u);
    BOOST_TEST(last.at("next").is_null());
    auto beyond = sim.get("/api/recoveries/?page=5&page_size=20", t.access);
    BOOST_TEST(beyond.status == 404u);
    BOOST_TEST(only_error(beyond) == errors_body("detail", "Invalid page.", "not_found"));

    BOOST_TEST(sim.get_json("/api/recoveries/7/", t.access) == all.at(6));
    auto missing = sim.get("/api/recoveries/74/", t.access);
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(only_error(missing) == errors_body("detail", "Not found.", "not_found"));
    // Read-only in the simulator.
    auto removal = sim.call(verb::delete_, "/api/recoveries/7/", t.access);
    BOOST_TEST(removal.status == 405u);
    BOOST_TEST(removal.header("allow") == "GET, HEAD, OPTIONS");
    BOOST_TEST(sim.call(verb::post, "/api/recoveries/", t.access, "{}").status == 405u);
}

// Sections 1.6 and 1.7 on recoveries: filters backup, policy, status; search in status;
// ordering by id, start_time, status.
BOOST_AUTO_TEST_CASE(recoveries_filters_search_and_ordering) {
    cpm sim;
    auto t = sim.obtain();
    auto all = sim.get_json("/api/recoveries/", t.access).as_array();
    auto count_if = [&](auto pred) { return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), pred)); };

    std::size_t failed = count_if([](const json::value& r) { return r.at("status").as_string() == "Recovery Failed"; });
    BOOST_TEST(failed > 0u);
    auto only_failed = sim.get_json("/api/recoveries/?status=Recovery%20Failed", t.access).as_array();
    BOOST_TEST(only_failed.size() == failed);
    for (const auto& r : only_failed) BOOST_TEST(r.at("status").as_string() == "Recovery Failed");

    auto policy = all.at(10).at("policy").as_int64();
    auto by_policy = sim.get_json("/api/recoveries/?policy=" + std::to_string(policy), t.access).as_array();
    BOOST_TEST(by_policy.size() ==
               count_if([&](const json::value& r) { return r.at("policy").as_int64() == policy; }));
    auto backup = all.at(20).at("backup").as_int64();
    auto by_backup = sim.get_json("/api/recoveries/?backup=" + std::to_string(backup), t.access).as_array();
    BOOST_TEST_REQUIRE(!by_backup.empty());
    for (const auto& r : by_backup) BOOST_TEST(r.at("backup").as_int64() == backup);
    auto bad = sim.get("/api/recoveries/?backup=first", t.access);
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(only_error(bad) == errors_body("backup", "Enter a number.", "invalid"));

    auto running = sim.get_json("/api/recoveries/?search=progress", t.access).as_array();
    BOOST_TEST(ids_of(running) == std::vector<std::int64_t>{73});

    auto newest_first = sim.get_json("/api/recoveries/?ordering=-start_time", t.access).as_array();
    auto ids = ids_of(newest_first);
    BOOST_TEST(ids.front() == 73);
    BOOST_TEST(std::is_sorted(ids.rbegin(), ids.rend()));
    std::vector<std::string> statuses;
    auto by_status = sim.get_json("/api/recoveries/?ordering=status", t.access);
    for (const auto& r : by_status.as_array()) statuses.emplace_back(r.at("status").as_string());
    BOOST_TEST(statuses.size() == 73u);
    BOOST_TEST(std::is_sorted(statuses.begin(), statuses.end()));
}

// Chapter 2 (1.1.0): GET /s3_repositories/ and /s3_repositories/{id}/.
BOOST_AUTO_TEST_CASE(s3_repositories_list_pages_and_items) {
    cpm sim;
    auto t = sim.obtain();
    auto all = sim.get_json("/api/s3_repositories/", t.access).as_array();
    BOOST_TEST_REQUIRE(all.size() == 11u);
    for (const char* name : {"id", "name", "account", "bucket_name", "region", "description", "user"})
        BOOST_TEST(all.at(0).as_object().contains(name), name);
    // On backup accounts (ids 1 to 11), owned by the account's owner, in a region the account scans.
    for (const auto& r : all) {
        auto account = sim.get_json("/api/accounts/backup/" + std::to_string(r.at("account").as_int64()) + "/", t.access);
        BOOST_TEST(std::to_string(r.at("user").as_int64()) == account.at("user").as_string());
        const auto& scanned = account.at("scan_regions").as_array();
        BOOST_TEST((std::find(scanned.begin(), scanned.end(), r.at("region")) != scanned.end()));
    }
    BOOST_TEST(sim.get_json("/api/s3_repositories/5/", t.access) == all.at(4));
    BOOST_TEST(sim.get("/api/s3_repositories/12/", t.access).status == 404u);
    BOOST_TEST(sim.call(verb::post, "/api/s3_repositories/", t.access, "{}").status == 405u);

    auto first = sim.get_json("/api/s3_repositories/?page_size=4", t.access).as_object();
    BOOST_TEST(first.at("count").as_int64() == 11);
    BOOST_TEST(first.at("next").as_string() == sim.origin() + "/api/s3_repositories/?page=2&page_size=4");
    BOOST_TEST(first.at("previous").is_null());
    auto last = sim.get_json("/api/s3_repositories/?page=3&page_size=4", t.access).as_object();
    BOOST_TEST(ids_of(last.at("results")) == (std::vector<std::int64_t>{9, 10, 11}));
    BOOST_TEST(last.at("next").is_null());
    BOOST_TEST(last.at("previous").as_string() == sim.origin() + "/api/s3_repositories/?page=2&page_size=4");
    BOOST_TEST(sim.get("/api/s3_repositories/?page=4&page_size=4", t.access).status == 404u);

    auto account = all.at(0).at("account").as_int64();
    auto on_account = sim.get_json("/api/s3_repositories/?account=" + std::to_string(account), t.access).as_array();
    BOOST_TEST_REQUIRE(!on_account.empty());
    for (const auto& r : on_account) BOOST_TEST(r.at("account").as_int64() == account);
    std::string name(all.at(6).at("name").as_string());
    BOOST_TEST(ids_of(sim.get_json("/api/s3_repositories/?name=" + name, t.access)) == std::vector<std::int64_t>{7});
    std::string bucket(all.at(2).at("bucket_name").as_string());
    auto found = ids_of(sim.get_json("/api/s3_repositories/?search=" + bucket, t.access));
    BOOST_TEST(found == std::vector<std::int64_t>{3});
    std::vector<std::string> names;
    auto by_name = sim.get_json("/api/s3_repositories/?ordering=-name", t.access);
    for (const auto& r : by_name.as_array()) names.emplace_back(r.at("name").as_string());
    BOOST_TEST(names.size() == 11u);
    BOOST_TEST(std::is_sorted(names.rbegin(), names.rend()));
}

// Chapter 2 (1.1.0): GET /backups/{backup_id}/snapshots/ and the typed
// snapshots/volumes/ and snapshots/rds_databases/: made from the backup, the same every time.
BOOST_AUTO_TEST_CASE(a_backups_snapshots) {
    cpm sim;
    auto t = sim.obtain();
    std::size_t fewest = 8, most = 0;
    std::int64_t several = 0;  // a backup with at least 3 snapshots
    for (std::int64_t b = 1; b <= 40; ++b) {
        std::string base = "/api/backups/" + std::to_string(b) + "/snapshots/";
        auto body = sim.get(base, t.access).body;
        BOOST_TEST(sim.get(base, t.access).body == body);
        auto all = json::parse(body).as_array();
        fewest = std::min(fewest, all.size());
        most = std::max(most, all.size());
        if (all.size() >= 3 && several == 0) several = b;
        auto ids = ids_of(all);
        BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
        for (const auto& s : all) {
            BOOST_TEST(s.at("backup").as_int64() == b);
            BOOST_TEST(s.at("id").as_int64() > (b - 1) * 8);
            BOOST_TEST(s.at("id").as_int64() <= b * 8);
        }
        for (auto [path, type] : {std::pair{"volumes/", "volume"}, std::pair{"rds_databases/", "rds_database"}}) {
            std::vector<std::int64_t> expected;
            for (const auto& s : all)
                if (s.at("type").as_string() == type) expected.push_back(s.at("id").as_int64());
            auto typed = sim.get_json(base + path, t.access);
            BOOST_TEST(ids_of(typed) == expected, base + path);
        }
    }
    BOOST_TEST(fewest == 0u);
    BOOST_TEST(most == 7u);
    BOOST_TEST_REQUIRE(several > 0);

    std::string base = "/api/backups/" + std::to_string(several) + "/snapshots/";
    auto all = sim.get_json(base, t.access).as_array();
    auto page = sim.get_json(base + "?page_size=2", t.access).as_object();
    BOOST_TEST(page.at("count").as_int64() == static_cast<std::int64_t>(all.size()));
    BOOST_TEST(page.at("next").as_string() == sim.origin() + base + "?page=2&page_size=2");
    BOOST_TEST(page.at("results").as_array().size() == 2u);
    auto pages = static_cast<std::int64_t>((all.size() + 1) / 2);
    BOOST_TEST(sim.get(base + "?page=" + std::to_string(pages + 1) + "&page_size=2", t.access).status == 404u);
    auto reversed = ids_of(sim.get_json(base + "?ordering=-id", t.access));
    auto forward = ids_of(all);
    BOOST_TEST(reversed == std::vector<std::int64_t>(forward.rbegin(), forward.rend()));

    // An unknown backup is DRF's 404, as for the backup itself; so is one deleted.
    auto unknown = sim.get("/api/backups/99999/snapshots/", t.access);
    BOOST_TEST(unknown.status == 404u);
    BOOST_TEST(only_error(unknown) == errors_body("detail", "Not found.", "not_found"));
    BOOST_TEST(sim.get("/api/backups/abc/snapshots/volumes/", t.access).status == 404u);
    BOOST_TEST(sim.call(verb::delete_, "/api/backups/" + std::to_string(several) + "/", t.access).status == 204u);
    BOOST_TEST(sim.get(base, t.access).status == 404u);
    BOOST_TEST(sim.call(verb::post, "/api/backups/1/snapshots/", t.access, "{}").status == 405u);
}

// Chapter 2 (1.0.0): GET /regions/, a list served without pagination: page and
// page_size change nothing, not even a page past the end.
BOOST_AUTO_TEST_CASE(regions_ignore_pagination) {
    cpm sim;
    auto t = sim.obtain();
    auto whole = sim.get("/api/regions/", t.access);
    BOOST_TEST_REQUIRE(whole.status == 200u);
    auto regions = json::parse(whole.body).as_array();
    BOOST_TEST(regions.size() == 17u);
    BOOST_TEST(regions.at(0) == (json::value{{"id", 1}, {"name", "us-east-1"}, {"description", "US East (N. Virginia)"}}));
    for (const char* query : {"?page=2&page_size=5", "?page_size=5", "?page=99&page_size=5", "?page=last&page_size=1"}) {
        auto paged = sim.get(std::string("/api/regions/") + query, t.access);
        BOOST_TEST(paged.status == 200u, query);
        BOOST_TEST(paged.body == whole.body, query);  // the bare array of every region
    }
    BOOST_TEST(sim.get("/api/regions/", t.access, "application/json; version=1.0.0").body == whole.body);
    // Chapter 2 lists no /regions/{id}/: Django's own 404 page.
    auto item = sim.get("/api/regions/1/", t.access);
    BOOST_TEST(item.status == 404u);
    BOOST_TEST(item.header("content-type") == "text/html");
    // The accounts scan regions of this list.
    std::set<std::string> names;
    for (const auto& r : regions) names.emplace(r.at("name").as_string());
    auto accounts = sim.get_json("/api/accounts/", t.access);
    for (const auto& a : accounts.as_array())
        for (const auto& r : a.at("scan_regions").as_array()) BOOST_TEST(names.contains(std::string(r.as_string())));
}

// Chapter 2: s3_repositories and a backup's snapshots are 1.1.0's new APIs, so a
// 1.0.0 client gets 404; recoveries and regions are 1.0.0's. All need the token.
BOOST_AUTO_TEST_CASE(new_collections_follow_the_version_history) {
    cpm sim;
    auto t = sim.obtain();
    constexpr std::string_view v100 = "application/json; version=1.0.0";
    for (const char* path : {"/api/s3_repositories/", "/api/s3_repositories/1/", "/api/backups/3/snapshots/",
                             "/api/backups/3/snapshots/volumes/", "/api/backups/3/snapshots/rds_databases/"}) {
        auto old = sim.get(path, t.access, v100);
        BOOST_TEST(old.status == 404u, path);
        BOOST_TEST(only_error(old) == errors_body("detail", "Not found.", "not_found"), path);
        BOOST_TEST(sim.get(path, t.access).status == 200u, path);
        BOOST_TEST(sim.get(path, t.access, "application/json").status == 200u, path);  // the latest
        BOOST_TEST(sim.get(path, "").status == 401u, path);
    }
    for (const char* path : {"/api/recoveries/", "/api/recoveries/1/", "/api/regions/"}) {
        BOOST_TEST(sim.get(path, t.access, v100).status == 200u, path);
        BOOST_TEST(sim.get(path, t.access).status == 200u, path);
        BOOST_TEST(sim.get(path, "").status == 401u, path);
    }
    auto state = json::parse(sim::test::send(sim.srv.port(), verb::get, "/__sim/state").body);
    const auto& items = state.at("vendor_state").at("items");
    BOOST_TEST(items.at("recoveries").as_int64() == 73);
    BOOST_TEST(items.at("s3_repositories").as_int64() == 11);
    BOOST_TEST(items.at("regions").as_int64() == 17);
}

// Options recoveries and s3_repositories size the new collections; the seed decides them.
BOOST_AUTO_TEST_CASE(new_collections_follow_the_options_and_the_seed) {
    sim::options o;
    o.extra = {{"recoveries", "5"}, {"s3_repositories", "2"}};
    cpm small(o);
    auto t = small.obtain();
    BOOST_TEST(small.get_json("/api/recoveries/", t.access).as_array().size() == 5u);
    BOOST_TEST(small.get_json("/api/s3_repositories/", t.access).as_array().size() == 2u);
    o.extra = {{"backups", "0"}};
    cpm no_backups(o);
    BOOST_TEST(no_backups.get_json("/api/recoveries/", no_backups.obtain().access).as_array().empty());

    sim::options a, b;
    b.seed = 2;
    cpm one(a), same(a), other(b);
    for (const char* path : {"/api/recoveries/", "/api/s3_repositories/", "/api/backups/9/snapshots/"}) {
        auto body = [&](cpm& s) { return s.get(path, s.obtain().access).body; };
        BOOST_TEST(body(one) == body(same), path);
        BOOST_TEST(body(one) != body(other), path);
    }
}

// Admin POST /__sim/reset: the seeded data is back and old tokens are gone.
BOOST_AUTO_TEST_CASE(reset_restores_the_seeded_data) {
    cpm sim;
    auto t = sim.obtain();
    auto before = sim.get("/api/schedules/", t.access).body;
    sim.call(verb::post, "/api/schedules/", t.access, R"({"name":"extra","every_unit":"H","every_how_many":2})");
    sim.call(verb::delete_, "/api/schedules/3/", t.access);
    BOOST_TEST(sim::test::send(sim.srv.port(), verb::post, "/__sim/reset").status == 200u);
    BOOST_TEST(sim.get("/api/schedules/", t.access).status == 401u);
    BOOST_TEST(sim.get("/api/schedules/", sim.obtain().access).body == before);
}

// Seeded data follows the seed, item for item.
BOOST_AUTO_TEST_CASE(the_seed_decides_the_data) {
    sim::options a, b;
    b.seed = 2;
    cpm one(a), same(a), other(b);
    auto body = [](cpm& s) { return s.get("/api/backups/", s.obtain().access).body; };
    BOOST_TEST(body(one) == body(same));
    BOOST_TEST(body(one) != body(other));
}

// ---- Job starts (docs/simulators.md, "Job starts") ----

// Chapter 2 (1.0.0): POST /policies/{id}/backups/ runs the policy now: 201 with a
// new backup in /backups/, "Backup in Progress", with the policy's account and owner.
BOOST_AUTO_TEST_CASE(running_a_policy_starts_a_backup) {
    cpm sim;
    auto t = sim.obtain();
    auto enabled = sim.get_json("/api/policies/?enabled=true&page_size=1", t.access).at("results").at(0).as_object();
    std::string policy_id = std::to_string(enabled.at("id").as_int64());
    std::string run = "/api/policies/" + policy_id + "/backups/";
    BOOST_TEST(sim.jobs_started() == 0);
    auto before_policy = sim.count_of("/api/backups/?policy=" + policy_id, t.access);

    auto r = sim.call(verb::post, run, t.access);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto backup = json::parse(r.body).as_object();
    BOOST_TEST(backup.at("id").as_int64() == 1002);  // after the 1001 seeded ones
    BOOST_TEST(backup.at("policy") == enabled.at("id"));
    BOOST_TEST(backup.at("account") == enabled.at("account"));
    BOOST_TEST(backup.at("user") == enabled.at("user"));
    BOOST_TEST(backup.at("status").as_string() == "Backup in Progress");
    BOOST_TEST(backup.at("end_time").is_null());
    BOOST_TEST(backup.at("description").as_string() == "");
    BOOST_TEST(backup.at("is_frozen").as_bool() == false);
    // The simulator's clock, with microseconds as for every time the server sets.
    std::string start(backup.at("start_time").as_string());
    BOOST_TEST(start.size() == std::string("2018-08-01T12:00:00.123456Z").size());
    auto now = epoch_now(sim.clock);
    auto day = [](std::int64_t seconds) {
        std::time_t tt = static_cast<std::time_t>(seconds);
        char text[16];
        std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&tt));
        return std::string(text);
    };
    BOOST_TEST((start.starts_with(day(now)) || start.starts_with(day(now - 60))));

    BOOST_TEST(sim.jobs_started() == 1);
    BOOST_TEST(sim.count_of("/api/backups/", t.access) == 1002);
    BOOST_TEST(sim.count_of("/api/backups/?policy=" + policy_id, t.access) == before_policy + 1);
    auto of_policy = sim.get_json("/api/backups/?policy=" + policy_id + "&ordering=-id", t.access);
    BOOST_TEST(of_policy.at(0) == json::value(backup));
    BOOST_TEST(sim.get_json("/api/backups/1002/", t.access) == json::value(backup));
    BOOST_TEST(sim.vendor_state().at("items").at("backups").as_int64() == 1002);

    // One more run, one more backup; a 1.0.0 client may run policies too (1.0.0's API),
    // and a JSON body is accepted.
    auto again = sim.call(verb::post, run, t.access, "{}", "application/json; version=1.0.0");
    BOOST_TEST_REQUIRE(again.status == 201u, again.body);
    BOOST_TEST(json::parse(again.body).at("id").as_int64() == 1003);
    BOOST_TEST(sim.jobs_started() == 2);
    BOOST_TEST(sim.count_of("/api/backups/?policy=" + policy_id, t.access) == before_policy + 2);
}

// A disabled policy is refused (400, section 1.8's body); an unknown one is DRF's
// 404; neither starts a job. Other methods are 405.
BOOST_AUTO_TEST_CASE(running_a_policy_refusals) {
    cpm sim;
    auto t = sim.obtain();
    auto disabled = sim.get_json("/api/policies/?enabled=false&page_size=1", t.access).at("results").at(0);
    std::string run = "/api/policies/" + std::to_string(disabled.at("id").as_int64()) + "/backups/";
    auto refused = sim.call(verb::post, run, t.access);
    BOOST_TEST(refused.status == 400u);
    BOOST_TEST(only_error(refused) == errors_body("non_field_errors", "The policy is disabled.", "invalid"));

    for (const char* unknown : {"/api/policies/999999/backups/", "/api/policies/abc/backups/"}) {
        auto r = sim.call(verb::post, unknown, t.access);
        BOOST_TEST(r.status == 404u, unknown);
        BOOST_TEST(only_error(r) == errors_body("detail", "Not found.", "not_found"), unknown);
    }
    auto enabled = sim.get_json("/api/policies/?enabled=true&page_size=1", t.access).at("results").at(0);
    std::string ok = "/api/policies/" + std::to_string(enabled.at("id").as_int64()) + "/backups/";
    auto get = sim.get(ok, t.access);
    BOOST_TEST(get.status == 405u);
    BOOST_TEST(get.header("allow") == "POST, OPTIONS");
    BOOST_TEST(sim.call(verb::post, ok, t.access, "x", accept_110, "text/plain").status == 415u);
    BOOST_TEST(sim.call(verb::post, ok, t.access, "{bad", accept_110).status == 400u);
    BOOST_TEST(sim.call(verb::post, ok, "").status == 401u);
    auto no_slash = sim.call(verb::post, ok.substr(0, ok.size() - 1), t.access);
    BOOST_TEST(no_slash.status == 404u);
    BOOST_TEST(no_slash.header("content-type") == "text/html");

    BOOST_TEST(sim.jobs_started() == 0);
    BOOST_TEST(sim.count_of("/api/backups/", t.access) == 1001);
}

// Chapter 2 (1.1.0): POST /backups/{backup_id}/snapshots/<kind>/{snapshot_id}/recover/
// starts a recovery in /recoveries/ with the backup's policy, account and owner.
BOOST_AUTO_TEST_CASE(recovering_a_snapshot_starts_a_recovery) {
    cpm sim;
    auto t = sim.obtain();
    // The first snapshot of each kind among the first backups.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> found;  // type -> (backup, snapshot)
    for (std::int64_t b = 1; b <= 80; ++b) {
        auto snapshots = sim.get_json("/api/backups/" + std::to_string(b) + "/snapshots/", t.access);
        for (const auto& s : snapshots.as_array())
            found.try_emplace(std::string(s.at("type").as_string()), b, s.at("id").as_int64());
    }
    const std::map<std::string, std::string> kinds{{"rds_database", "rds_databases"},
                                                   {"rds_cluster", "rds_clusters"},
                                                   {"dynamodb_table", "dynamodb_tables"},
                                                   {"redshift_cluster", "redshift_clusters"}};
    for (const auto& [type, path] : kinds) BOOST_TEST_REQUIRE(found.contains(type), type);
    BOOST_TEST_REQUIRE(found.contains("volume"));

    auto recover_path = [](std::int64_t backup, std::string_view kind, std::int64_t snapshot) {
        return "/api/backups/" + std::to_string(backup) + "/snapshots/" + std::string(kind) + "/" +
               std::to_string(snapshot) + "/recover/";
    };
    auto [rds_backup, rds_snapshot] = found.at("rds_database");
    auto backup = sim.get_json("/api/backups/" + std::to_string(rds_backup) + "/", t.access);
    auto r = sim.call(verb::post, recover_path(rds_backup, "rds_databases", rds_snapshot), t.access);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto recovery = json::parse(r.body).as_object();
    BOOST_TEST(recovery.at("id").as_int64() == 74);  // after the 73 seeded ones
    BOOST_TEST(recovery.at("backup").as_int64() == rds_backup);
    BOOST_TEST(recovery.at("policy") == backup.at("policy"));
    BOOST_TEST(recovery.at("account") == backup.at("account"));
    BOOST_TEST(recovery.at("user") == backup.at("user"));
    BOOST_TEST(recovery.at("status").as_string() == "Recovery in Progress");
    BOOST_TEST(recovery.at("end_time").is_null());
    BOOST_TEST(recovery.at("recovery_type").as_string() == "rds_database");
    BOOST_TEST(recovery.at("start_time").as_string().size() == std::string("2018-08-01T12:00:00.123456Z").size());
    BOOST_TEST(sim.jobs_started() == 1);
    BOOST_TEST(sim.get_json("/api/recoveries/", t.access).as_array().size() == 74u);
    BOOST_TEST(sim.get_json("/api/recoveries/74/", t.access) == json::value(recovery));
    auto of_backup = sim.get_json("/api/recoveries/?backup=" + std::to_string(rds_backup), t.access).as_array();
    BOOST_TEST(of_backup.back() == json::value(recovery));
    BOOST_TEST(sim.vendor_state().at("items").at("recoveries").as_int64() == 74);

    // The other kinds the simulator's snapshots have; recovery_type is the snapshot's type.
    std::int64_t started = 1;
    for (const auto& [type, path] : kinds) {
        if (type == "rds_database") continue;
        auto [b, s] = found.at(type);
        auto other = sim.call(verb::post, recover_path(b, path, s), t.access, "{}");
        BOOST_TEST_REQUIRE(other.status == 201u, path << ": " << other.body);
        BOOST_TEST(json::parse(other.body).at("recovery_type").as_string() == type);
        BOOST_TEST(sim.jobs_started() == ++started);
    }
    BOOST_TEST(sim.get_json("/api/recoveries/", t.access).as_array().size() == 77u);
}

BOOST_AUTO_TEST_CASE(recovering_a_snapshot_refusals) {
    cpm sim;
    auto t = sim.obtain();
    std::int64_t rds_backup = 0, rds_snapshot = 0, volume_backup = 0, volume_snapshot = 0;
    for (std::int64_t b = 1; b <= 80 && (rds_backup == 0 || volume_backup == 0); ++b) {
        auto snapshots = sim.get_json("/api/backups/" + std::to_string(b) + "/snapshots/", t.access);
        for (const auto& s : snapshots.as_array()) {
            if (s.at("type").as_string() == "rds_database" && rds_backup == 0) {
                rds_backup = b;
                rds_snapshot = s.at("id").as_int64();
            }
            if (s.at("type").as_string() == "volume" && volume_backup == 0) {
                volume_backup = b;
                volume_snapshot = s.at("id").as_int64();
            }
        }
    }
    BOOST_TEST_REQUIRE(rds_backup > 0);
    BOOST_TEST_REQUIRE(volume_backup > 0);
    auto path = [](std::int64_t backup, std::string_view kind, std::string snapshot) {
        return "/api/backups/" + std::to_string(backup) + "/snapshots/" + std::string(kind) + "/" + snapshot +
               "/recover/";
    };
    const std::string rds = std::to_string(rds_snapshot);
    // DRF's 404: an unknown backup, an unknown snapshot, a snapshot of another
    // backup, a snapshot of another kind.
    for (const std::string& target :
         {path(99999, "rds_databases", rds), path(rds_backup, "rds_databases", "99999"),
          path(rds_backup, "rds_databases", "abc"), path(rds_backup + 1, "rds_databases", rds),
          path(rds_backup, "rds_clusters", rds), path(volume_backup, "rds_databases", std::to_string(volume_snapshot))}) {
        auto r = sim.call(verb::post, target, t.access);
        BOOST_TEST(r.status == 404u, target);
        BOOST_TEST(only_error(r) == errors_body("detail", "Not found.", "not_found"), target);
    }
    // Chapter 2 lists no recover/ for volumes/ (nor for the typed collections it does not
    // list): Django's own 404 page.
    for (const std::string& target : {path(volume_backup, "volumes", std::to_string(volume_snapshot)),
                                      path(rds_backup, "snapshots", rds), path(rds_backup, "rds_databases", "")}) {
        auto r = sim.call(verb::post, target, t.access);
        BOOST_TEST(r.status == 404u, target);
        BOOST_TEST(r.header("content-type") == "text/html", target);
    }
    // New in 1.1.0: a 1.0.0 client does not see it.
    auto old = sim.call(verb::post, path(rds_backup, "rds_databases", rds), t.access, {},
                        "application/json; version=1.0.0");
    BOOST_TEST(old.status == 404u);
    BOOST_TEST(only_error(old) == errors_body("detail", "Not found.", "not_found"));
    auto get = sim.get(path(rds_backup, "rds_databases", rds), t.access);
    BOOST_TEST(get.status == 405u);
    BOOST_TEST(get.header("allow") == "POST, OPTIONS");
    BOOST_TEST(sim.call(verb::post, path(rds_backup, "rds_databases", rds), "").status == 401u);
    // A deleted backup's snapshots are gone with it.
    BOOST_TEST(sim.call(verb::delete_, "/api/backups/" + std::to_string(rds_backup) + "/", t.access).status == 204u);
    BOOST_TEST(sim.call(verb::post, path(rds_backup, "rds_databases", rds), t.access).status == 404u);

    BOOST_TEST(sim.jobs_started() == 0);
    BOOST_TEST(sim.get_json("/api/recoveries/", t.access).as_array().size() == 73u);
}

// Chapter 2 (1.1.0): POST /settings/cleanup/run/ starts a cleanup: 202 with the run.
BOOST_AUTO_TEST_CASE(running_a_cleanup) {
    cpm sim;
    auto t = sim.obtain();
    BOOST_TEST(sim.vendor_state().at("cleanup_runs").as_int64() == 0);
    auto r = sim.call(verb::post, "/api/settings/cleanup/run/", t.access);
    BOOST_TEST_REQUIRE(r.status == 202u, r.body);
    auto run = json::parse(r.body).as_object();
    BOOST_TEST(run.at("id").as_int64() == 1);
    BOOST_TEST(run.at("status").as_string() == "Cleanup in Progress");
    BOOST_TEST(run.at("start_time").as_string().size() == std::string("2018-08-01T12:00:00.123456Z").size());
    auto second = sim.call(verb::post, "/api/settings/cleanup/run/", t.access, "{}");
    BOOST_TEST_REQUIRE(second.status == 202u, second.body);
    BOOST_TEST(json::parse(second.body).at("id").as_int64() == 2);
    auto state = sim.vendor_state();
    BOOST_TEST(state.at("cleanup_runs").as_int64() == 2);
    BOOST_TEST(state.at("jobs_started").as_int64() == 2);

    auto old = sim.call(verb::post, "/api/settings/cleanup/run/", t.access, {}, "application/json; version=1.0.0");
    BOOST_TEST(old.status == 404u);
    BOOST_TEST(only_error(old) == errors_body("detail", "Not found.", "not_found"));
    auto get = sim.get("/api/settings/cleanup/run/", t.access);
    BOOST_TEST(get.status == 405u);
    BOOST_TEST(get.header("allow") == "POST, OPTIONS");
    BOOST_TEST(sim.call(verb::post, "/api/settings/cleanup/run/", t.access, "[]").status == 400u);
    BOOST_TEST(sim.call(verb::post, "/api/settings/cleanup/run/", "").status == 401u);
    BOOST_TEST(sim.call(verb::post, "/api/settings/cleanup/run", t.access).status == 404u);
    BOOST_TEST(sim.vendor_state().at("cleanup_runs").as_int64() == 2);
    BOOST_TEST(sim.vendor_state().at("jobs_started").as_int64() == 2);
}

// jobs_started counts jobs, not requests: one per start of any kind, none for a
// refusal or an injected fault that stops the request before the vendor; one for a
// start whose answer is lost (a reset after the vendor ran it). Reset clears it.
BOOST_AUTO_TEST_CASE(jobs_started_counts_jobs_not_requests) {
    cpm sim;
    auto t = sim.obtain();
    auto enabled = sim.get_json("/api/policies/?enabled=true&page_size=1", t.access).at("results").at(0);
    std::string run = "/api/policies/" + std::to_string(enabled.at("id").as_int64()) + "/backups/";
    std::int64_t snapshot_backup = 0, snapshot = 0;
    for (std::int64_t b = 1; b <= 80 && snapshot_backup == 0; ++b) {
        auto typed = sim.get_json("/api/backups/" + std::to_string(b) + "/snapshots/rds_databases/", t.access);
        if (typed.as_array().empty()) continue;
        snapshot_backup = b;
        snapshot = typed.as_array().at(0).at("id").as_int64();
    }
    BOOST_TEST_REQUIRE(snapshot_backup > 0);
    std::string recover = "/api/backups/" + std::to_string(snapshot_backup) + "/snapshots/rds_databases/" +
                          std::to_string(snapshot) + "/recover/";
    auto requests = [&] { return sim.counters().at("requests").as_int64(); };

    std::int64_t before = requests();
    BOOST_TEST(sim.call(verb::post, run, t.access).status == 201u);
    BOOST_TEST(sim.jobs_started() == 1);
    BOOST_TEST(sim.call(verb::post, recover, t.access).status == 201u);
    BOOST_TEST(sim.jobs_started() == 2);
    BOOST_TEST(sim.call(verb::post, "/api/settings/cleanup/run/", t.access).status == 202u);
    BOOST_TEST(sim.jobs_started() == 3);
    BOOST_TEST(sim.call(verb::post, "/api/policies/999999/backups/", t.access).status == 404u);
    BOOST_TEST(sim.jobs_started() == 3);

    auto fault = [&](const char* body) {
        BOOST_TEST(sim::test::send(sim.srv.port(), verb::post, "/__sim/faults", {}, body).status == 200u);
    };
    fault(R"({"count":1,"status":503})");
    BOOST_TEST(sim.call(verb::post, run, t.access).status == 503u);
    BOOST_TEST(sim.jobs_started() == 3);
    fault(R"({"count":1,"reset":true,"after":true})");
    BOOST_CHECK_THROW(sim.call(verb::post, run, t.access), boost::system::system_error);
    BOOST_TEST(sim.jobs_started() == 4);
    BOOST_TEST(sim.count_of("/api/backups/", t.access) == 1003);
    BOOST_TEST(requests() - before == 7);

    BOOST_TEST(sim::test::send(sim.srv.port(), verb::post, "/__sim/reset").status == 200u);
    auto state = sim.vendor_state();
    BOOST_TEST(state.at("jobs_started").as_int64() == 0);
    BOOST_TEST(state.at("cleanup_runs").as_int64() == 0);
    BOOST_TEST(state.at("items").at("backups").as_int64() == 1001);
    BOOST_TEST(state.at("items").at("recoveries").as_int64() == 73);
}

BOOST_AUTO_TEST_CASE(options_are_checked) {
    sim::clock c;
    sim::options o;
    o.extra["no_such_option"] = "1";
    BOOST_CHECK_THROW(sim::make_cpm(o, c), std::invalid_argument);
    o.extra = {{"max_page_size", "ten"}};
    BOOST_CHECK_THROW(sim::make_cpm(o, c), std::invalid_argument);
    o.extra = {{"api_key", "k"}, {"versions", "1.0.0,1.1.0,1.2.0"}, {"policies", "5"}, {"max_page_size", "3"}};
    cpm sim(o);
    auto t = sim.obtain("k");
    BOOST_TEST(sim.get("/api/policies/", t.access, "application/json; version=1.2.0").status == 200u);
    BOOST_TEST(sim.get_json("/api/policies/", t.access).as_array().size() == 5u);
    BOOST_TEST(sim.get_json("/api/policies/?page_size=50", t.access).at("results").as_array().size() == 3u);
}
