// The Backup and DR simulator over real loopback sockets (sim::server +
// sim::test::send), case by case against the document
// ../shared/vendors/google-backupdr-management-api.txt; each case names the
// section it follows.
#define BOOST_TEST_MODULE backupdr_sim
#include <boost/test/unit_test.hpp>

#include "tests/simulators/backupdr/backupdr.hpp"
#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <unistd.h>

namespace {

namespace json = boost::json;
namespace http = boost::beast::http;
using headers = std::vector<std::pair<std::string, std::string>>;
using extras = std::map<std::string, std::string>;
using namespace std::chrono_literals;

constexpr std::string_view demo_token = "backupdr-demo-token";
constexpr std::string_view audience = "https://oauth2.googleapis.com/token";
constexpr std::string_view sa_email = "backup-robot@demo-project.iam.gserviceaccount.com";

// ---- a service account's key and the JWT it signs (the client's side) ----

struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

pkey_ptr new_rsa_key() {
    pkey_ptr key(EVP_RSA_gen(2048));
    BOOST_REQUIRE(key);
    return key;
}

// Writes the key's public half as PEM to a file of its own; removed by the fixture.
std::string write_public_pem(EVP_PKEY& key) {
    static int n = 0;
    const auto path = std::filesystem::temp_directory_path() /
                      ("backupdr-sa-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".pem");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    BOOST_REQUIRE(f != nullptr);
    BOOST_REQUIRE(PEM_write_PUBKEY(f, &key) == 1);
    std::fclose(f);
    return path.string();
}

std::string base64url(std::string_view bytes) {
    namespace base64 = boost::beast::detail::base64;
    std::string out(base64::encoded_size(bytes.size()), '\0');
    out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
    return out;
}

std::string sign_rs256(EVP_PKEY& key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    BOOST_REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, &key) == 1);
    std::size_t size = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    BOOST_REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) == 1);
    std::string sig(size, '\0');
    BOOST_REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size, data,
                                 input.size()) == 1);
    sig.resize(size);
    return sig;
}

std::int64_t epoch_seconds(sim::clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The claim set of section 3.7's service-account flow (Google's documented JWT).
json::object claims_at(sim::clock::time_point now) {
    const std::int64_t t = epoch_seconds(now);
    return {{"iss", sa_email},
            {"scope", "https://www.googleapis.com/auth/cloud-platform"},
            {"aud", audience},
            {"iat", t},
            {"exp", t + 3600}};
}

std::string make_jwt(EVP_PKEY& key, const json::object& claims,
                     const json::object& header = {{"alg", "RS256"}, {"typ", "JWT"}}) {
    const std::string input = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
    return input + "." + base64url(sign_rs256(key, input));
}

// ---- the fixture: one vendor behind one server ----

// Section 3.3: Actifio-Count is "the estimated count". The simulator's is
// low by about a tenth (never exact from two items up), so that a client
// ending its walk at the count is caught losing items.
bool estimates(std::uint64_t count, std::uint64_t n) {
    if (n < 2) return count == n;
    return count < n && count >= n - n / 10 - 1;
}

struct fixture {
    explicit fixture(extras extra = {}, std::uint64_t seed = 1)
        : vendor(sim::make_backupdr(options(std::move(extra), seed), clock)), srv(*vendor, clock, {}) {}
    ~fixture() {
        for (const auto& f : files)
            std::filesystem::remove(f);
    }

    static sim::options options(std::map<std::string, std::string> extra, std::uint64_t seed) {
        sim::options o;
        o.seed = seed;
        o.extra = std::move(extra);
        return o;
    }

    sim::test::result call(http::verb method, const std::string& target, headers h = {}, std::string body = {}) {
        return sim::test::send(srv.port(), method, target, std::move(h), std::move(body));
    }

    // Section 3.7: POST .../session with "Authorization: Bearer <bearer token>".
    sim::test::result post_session(std::string_view token) {
        return call(http::verb::post, "/actifio/session", {{"Authorization", "Bearer " + std::string(token)}});
    }

    std::string login(std::string_view token = demo_token) {
        auto r = post_session(token);
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        token_ = std::string(token);
        session_ = std::string(json::parse(r.body).at("session_id").as_string());
        return session_;
    }

    // Section 3.7: both headers on every call after login.
    headers auth() const {
        return {{"backupdr-management-session", "Actifio " + session_}, {"Authorization", "Bearer " + token_}};
    }

    sim::test::result api(http::verb method, const std::string& target, std::string body = {},
                          headers extra = {}) {
        headers h = auth();
        h.insert(h.end(), extra.begin(), extra.end());
        if (!body.empty())
            h.emplace_back("Content-Type", "application/json");
        return call(method, target, std::move(h), std::move(body));
    }

    json::object get_json(const std::string& target) {
        auto r = api(http::verb::get, target);
        BOOST_REQUIRE_MESSAGE(r.status == 200, target << " answered " << r.status << ": " << r.body);
        return json::parse(r.body).as_object();
    }

    std::uint64_t head_count(const std::string& target) {
        auto r = api(http::verb::head, target);
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        BOOST_CHECK(r.body.empty());
        return std::stoull(r.header("Actifio-Count"));
    }

    // Every item of a list view, page after page (section 5.1), in the order
    // of an explicit sort (by id unless `list` gives one): without one the
    // order is undetermined, and differs from call to call here.
    std::vector<json::object> all_items(const std::string& list) {
        std::vector<json::object> out;
        const char sep = list.find('?') == std::string::npos ? '?' : '&';
        const std::string sorted = list.find("sort=") == std::string::npos ? list + sep + "sort=id:ASC" : list;
        for (;;) {
            auto page = get_json(sorted + "&offset=" + std::to_string(out.size()));
            if (page.at("count").as_int64() == 0)
                return out;
            for (const auto& item : page.at("items").as_array())
                out.push_back(item.as_object());
        }
    }

    json::object state() {
        return json::parse(call(http::verb::get, "/__sim/state").body).as_object();
    }
    std::uint64_t counter(std::string_view name) {
        return state().at("counters").at(name).to_number<std::uint64_t>();
    }

    // The service account's key, known to the simulator through a PEM file.
    static std::map<std::string, std::string> with_key(EVP_PKEY& key, std::vector<std::string>& files) {
        files.push_back(write_public_pem(key));
        return {{"sa_public_key_file", files.back()}};
    }

    sim::test::result post_token(std::string_view assertion,
                                 std::string_view grant = "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return call(http::verb::post, "/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
                    "grant_type=" + std::string(grant) + "&assertion=" + std::string(assertion));
    }

    std::vector<std::string> files;
    sim::clock clock;
    std::unique_ptr<sim::vendor> vendor;
    sim::server srv;
    std::string token_;
    std::string session_;
};

json::object error_body(const sim::test::result& r) { return json::parse(r.body).as_object(); }

// Section 3.6: {"err_code": <int>, "err_message": <string>}.
void check_error(const sim::test::result& r, unsigned status, std::int64_t code) {
    BOOST_TEST_CONTEXT(r.body) {
        BOOST_CHECK_EQUAL(r.status, status);
        BOOST_CHECK_EQUAL(r.header("Content-Type"), "application/json");
        const json::object body = error_body(r);
        BOOST_CHECK_EQUAL(body.at("err_code").as_int64(), code);
        BOOST_CHECK(!body.at("err_message").as_string().empty());
    }
}

std::vector<std::int64_t> ids_of(const json::object& page) {
    std::vector<std::int64_t> ids;
    for (const auto& item : page.at("items").as_array())
        ids.push_back(item.at("id").as_int64());
    return ids;
}

}  // namespace

// ---- Section 3.7, "Authentication" ----

// Section 3.7: "To login, make an HTTP POST call to the session resource endpoint
// with HTTP Authorization header using bearer token ... A session_id attribute
// will be returned in the response"; section 3.5: 200 for a created object.
BOOST_AUTO_TEST_CASE(login_with_the_static_bearer_token_returns_a_session_id) {
    fixture f;
    auto r = f.post_session(demo_token);
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const json::object body = json::parse(r.body).as_object();
    BOOST_CHECK(!body.at("session_id").as_string().empty());
    BOOST_CHECK(body.contains("user"));
    BOOST_CHECK_EQUAL(f.counter("logins"), 1u);
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("active_sessions").as_int64(), 1);
}

// Section 3.5: 401 "WWW-Authenticate header is returned with either "Basic"
// scheme (for login API)"; section 3.6: 401 has no error body.
BOOST_AUTO_TEST_CASE(login_without_a_valid_bearer_token_is_401) {
    fixture f;
    auto none = f.call(http::verb::post, "/actifio/session");
    auto wrong = f.post_session("not-a-token");
    auto basic = f.call(http::verb::post, "/actifio/session", {{"Authorization", "Basic dXNlcjpwYXNz"}});
    for (const auto* r : {&none, &wrong, &basic}) {
        BOOST_CHECK_EQUAL(r->status, 401u);
        BOOST_CHECK(r->header("WWW-Authenticate").starts_with("Basic"));
        BOOST_CHECK(r->body.empty());
    }
    BOOST_CHECK_EQUAL(f.counter("failed_logins"), 3u);
    BOOST_CHECK_EQUAL(f.counter("unauthorized"), 3u);
    BOOST_CHECK_EQUAL(f.counter("logins"), 0u);
}

// Section 3.7: "The client supplies it in backupdr-management-session header
// with Actifio scheme and bearer token in Authorization header for all
// subsequent API calls"; section 3.5: otherwise 401 with "Actifio" scheme.
BOOST_AUTO_TEST_CASE(every_call_needs_both_the_bearer_token_and_the_session_header) {
    fixture f;
    const std::string sid = f.login();
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/application").status, 200u);

    const std::string bearer = "Bearer " + std::string(demo_token);
    const std::vector<headers> refused = {
        {{"backupdr-management-session", "Actifio " + sid}},                                 // no bearer
        {{"Authorization", bearer}},                                                         // no session
        {{"Authorization", bearer}, {"backupdr-management-session", sid}},                   // no scheme
        {{"Authorization", bearer}, {"backupdr-management-session", "Bearer " + sid}},       // wrong scheme
        {{"Authorization", bearer}, {"Actifio-Session", "Actifio " + sid}},                  // wrong header
        {{"Authorization", bearer}, {"backupdr-management-session", "Actifio unknown-id"}},  // unknown id
        {{"Authorization", "Bearer nope"}, {"backupdr-management-session", "Actifio " + sid}},
    };
    for (const headers& h : refused) {
        auto r = f.call(http::verb::get, "/actifio/application", h);
        BOOST_CHECK_EQUAL(r.status, 401u);
        BOOST_CHECK(r.header("WWW-Authenticate").starts_with("Actifio"));
        BOOST_CHECK(r.body.empty());
    }
    BOOST_CHECK_EQUAL(f.counter("unauthorized"), refused.size());
    // The session survived the refused calls.
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/host").status, 200u);
}

// Section 3.7: "de-register your session ... sending an HTTP DELETE request on
// the current session by using session/current"; section 3.5: 204 no body.
BOOST_AUTO_TEST_CASE(delete_session_current_ends_the_session) {
    fixture f;
    f.login();
    auto r = f.api(http::verb::delete_, "/actifio/session/current");
    BOOST_CHECK_EQUAL(r.status, 204u);
    BOOST_CHECK(r.body.empty());
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/application").status, 401u);
    BOOST_CHECK_EQUAL(f.counter("logouts"), 1u);
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("active_sessions").as_int64(), 0);
}

// Section 3.7: "session ids expire after 1 hour of inactivity. By default, any
// API calls carrying the session id will extend the session by another 1 hour."
BOOST_AUTO_TEST_CASE(sessions_expire_after_an_idle_hour_and_each_call_extends_them) {
    fixture f;
    f.login();
    f.clock.advance(3599s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 200u);  // extends to +1h from here
    f.clock.advance(3599s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 200u);
    f.clock.advance(3600s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 401u);
    // Expired for good: the session is gone even if the clock could go back.
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("active_sessions").as_int64(), 0);
    f.login();  // the static bearer token itself does not expire
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 200u);
}

// Section 3.7: "If the following request header with value of true (case
// insensitive) is specified ... the session lifecycle will not be extended".
BOOST_AUTO_TEST_CASE(actifio_no_session_refresh_does_not_extend_the_session) {
    fixture f;
    f.login();
    f.clock.advance(1800s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job", {}, {{"Actifio-No-Session-Refresh", "TRUE"}}).status,
                      200u);
    f.clock.advance(1800s);  // an hour after the last refreshing call (the login)
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 401u);
}

// The idle time is an option (session_idle_seconds), so tests can be short.
BOOST_AUTO_TEST_CASE(session_idle_time_is_configurable) {
    fixture f(extras{{"session_idle_seconds", "30"}});
    f.login();
    f.clock.advance(29s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 200u);
    f.clock.advance(30s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/job").status, 401u);
}

// Section 3.7 ("either the bearer token or the session id is ... invalid/expired")
// through the admin endpoint POST /__sim/expire (vendor::expire_all).
BOOST_AUTO_TEST_CASE(expire_all_ends_every_session) {
    fixture f;
    f.login();
    BOOST_CHECK_EQUAL(f.call(http::verb::post, "/__sim/expire").status, 200u);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/application").status, 401u);
    f.vendor->expire_all();  // the same, called directly
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("active_sessions").as_int64(), 0);
}

// ---- Section 3.7, "Generating Access Token For Service Account Method #1" ----

// A JWT signed with the service account's key is exchanged for an access
// token, and that token logs in (section 3.7's bearer token).
BOOST_AUTO_TEST_CASE(oauth_token_endpoint_grants_a_token_for_a_jwt_signed_with_the_account_key) {
    auto key = new_rsa_key();
    std::vector<std::string> files;
    fixture f(fixture::with_key(*key, files));
    f.files = files;

    auto r = f.post_token(make_jwt(*key, claims_at(f.clock.now())));
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    const json::object body = json::parse(r.body).as_object();
    BOOST_CHECK_EQUAL(body.at("token_type").as_string(), "Bearer");
    BOOST_CHECK_EQUAL(body.at("expires_in").as_int64(), 3600);
    const std::string token(body.at("access_token").as_string());

    f.login(token);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/application").status, 200u);
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("tokens_issued").as_int64(), 1);

    // The access token lives expires_in seconds; then calls and logins are 401.
    f.clock.advance(3600s);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/application").status, 401u);
    BOOST_CHECK_EQUAL(f.post_session(token).status, 401u);
}

// The audience may also be the simulator's own token URL (a key file's
// token_uri pointed at it); with sa_email set, only that account is known.
BOOST_AUTO_TEST_CASE(oauth_token_endpoint_accepts_its_own_url_as_audience_and_checks_the_issuer) {
    auto key = new_rsa_key();
    std::vector<std::string> files;
    auto extra = fixture::with_key(*key, files);
    extra["sa_email"] = std::string(sa_email);
    fixture f(extra);
    f.files = files;
    json::object claims = claims_at(f.clock.now());
    claims["aud"] = "http://127.0.0.1:" + std::to_string(f.srv.port()) + "/token";
    BOOST_CHECK_EQUAL(f.post_token(make_jwt(*key, claims)).status, 200u);
    claims["iss"] = "someone-else@demo-project.iam.gserviceaccount.com";
    auto r = f.post_token(make_jwt(*key, claims));
    BOOST_CHECK_EQUAL(r.status, 400u);
    BOOST_CHECK_EQUAL(json::parse(r.body).at("error").as_string(), "invalid_grant");
}

BOOST_AUTO_TEST_CASE(oauth_token_endpoint_refuses_a_jwt_signed_with_another_key) {
    auto key = new_rsa_key();
    auto other = new_rsa_key();
    std::vector<std::string> files;
    fixture f(fixture::with_key(*key, files));
    f.files = files;

    auto r = f.post_token(make_jwt(*other, claims_at(f.clock.now())));
    BOOST_CHECK_EQUAL(r.status, 400u);
    const json::object body = json::parse(r.body).as_object();
    BOOST_CHECK_EQUAL(body.at("error").as_string(), "invalid_grant");
    BOOST_CHECK_EQUAL(body.at("error_description").as_string(), "Invalid JWT Signature.");
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("tokens_issued").as_int64(), 0);
}

// Google's rules for the assertion: aud is the token endpoint, the token lives
// at most an hour and is current, a scope is asked for, alg is RS256.
BOOST_AUTO_TEST_CASE(oauth_token_endpoint_checks_the_claims) {
    auto key = new_rsa_key();
    std::vector<std::string> files;
    fixture f(fixture::with_key(*key, files));
    f.files = files;
    const auto now = f.clock.now();
    auto with = [&](std::string_view name, json::value v) {
        json::object c = claims_at(now);
        if (v.is_null())
            c.erase(name);
        else
            c[name] = std::move(v);
        return make_jwt(*key, c);
    };
    const std::int64_t t = epoch_seconds(now);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {with("aud", "https://example.com/token"), "invalid_grant"},
        {with("iss", nullptr), "invalid_grant"},
        {with("exp", t + 3601), "invalid_grant"},                          // longer than an hour
        {with("iat", t - 7200), "invalid_grant"},                          // lives three hours
        {with("scope", nullptr), "invalid_scope"},
        {make_jwt(*key, claims_at(now - 3600s)), "invalid_grant"},         // expired now
        {make_jwt(*key, claims_at(now), {{"alg", "HS256"}}), "invalid_grant"},
        {"not.a.jwt", "invalid_grant"},
    };
    for (const auto& [jwt, error] : cases) {
        auto r = f.post_token(jwt);
        BOOST_TEST_CONTEXT(r.body) {
            BOOST_CHECK_EQUAL(r.status, 400u);
            BOOST_CHECK_EQUAL(json::parse(r.body).at("error").as_string(), error);
        }
    }
    auto grant = f.post_token(make_jwt(*key, claims_at(now)), "client_credentials");
    BOOST_CHECK_EQUAL(json::parse(grant.body).at("error").as_string(), "unsupported_grant_type");
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("token_grants_refused").as_int64(),
                      static_cast<std::int64_t>(cases.size() + 1));
}

BOOST_AUTO_TEST_CASE(oauth_token_endpoint_without_a_configured_key_refuses_every_assertion) {
    auto key = new_rsa_key();
    fixture f;
    auto r = f.post_token(make_jwt(*key, claims_at(f.clock.now())));
    BOOST_CHECK_EQUAL(r.status, 400u);
    BOOST_CHECK_EQUAL(json::parse(r.body).at("error").as_string(), "invalid_grant");
}

// Section 3.7, "Authorization": the session is a user's login context, so a
// bearer token of another identity cannot ride on it.
BOOST_AUTO_TEST_CASE(a_session_only_accepts_bearer_tokens_of_its_own_identity) {
    auto key = new_rsa_key();
    std::vector<std::string> files;
    fixture f(fixture::with_key(*key, files));
    f.files = files;
    auto r = f.post_token(make_jwt(*key, claims_at(f.clock.now())));
    const std::string token(json::parse(r.body).at("access_token").as_string());
    const std::string sid = f.login(demo_token);
    auto mixed = f.call(http::verb::get, "/actifio/host",
                        {{"Authorization", "Bearer " + token}, {"backupdr-management-session", "Actifio " + sid}});
    BOOST_CHECK_EQUAL(mixed.status, 401u);
}

// ---- Section 5.1, List View API; section 3.3, HEAD ----

// Section 5.1: limit "defaults to 1000" but "the actual upper limit is decided
// by the API service ... It may be smaller"; the empty-page example shows count
// is the number of items in the response.
BOOST_AUTO_TEST_CASE(list_pages_are_capped_by_the_server) {
    fixture f;
    f.login();
    auto first = f.get_json("/actifio/application?sort=id:ASC");
    BOOST_CHECK_EQUAL(first.at("count").as_int64(), 50);
    BOOST_CHECK_EQUAL(first.at("items").as_array().size(), 50u);
    auto asked_1000 = f.get_json("/actifio/application?limit=1000&offset=0&sort=id:ASC");
    BOOST_CHECK_EQUAL(asked_1000.at("count").as_int64(), 50);
    BOOST_CHECK(ids_of(asked_1000) == ids_of(first));
    auto small = f.get_json("/actifio/application?limit=7&offset=3&sort=id:ASC");
    BOOST_CHECK_EQUAL(small.at("count").as_int64(), 7);
    const auto first_ids = ids_of(first);
    BOOST_CHECK(ids_of(small) == std::vector<std::int64_t>(first_ids.begin() + 3, first_ids.begin() + 10));
}

BOOST_AUTO_TEST_CASE(offset_walks_every_item_once_and_past_the_end_is_empty) {
    fixture f;
    f.login();
    const auto apps = f.all_items("/actifio/application");
    BOOST_CHECK_EQUAL(apps.size(), 137u);
    std::set<std::int64_t> ids;
    for (const auto& a : apps)
        ids.insert(a.at("id").as_int64());
    BOOST_CHECK_EQUAL(ids.size(), 137u);

    auto last = f.get_json("/actifio/application?offset=130");
    BOOST_CHECK_EQUAL(last.at("count").as_int64(), 7);
    for (const char* offset : {"137", "1000"}) {  // Section 5.1: bigger than the total → empty items
        auto empty = f.get_json(std::string("/actifio/application?offset=") + offset);
        BOOST_CHECK_EQUAL(empty.at("count").as_int64(), 0);
        BOOST_CHECK(empty.at("items").as_array().empty());
    }
    BOOST_CHECK_EQUAL(f.all_items("/actifio/backup").size(), 1001u);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/host").size(), 23u);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/job").size(), 59u);
}

// Section 5.1: "if sorting is not explicitly defined ... the ordering of the
// resources is undetermined. Pagination still works though." Each unsorted
// call here has an order of its own: the same items when one page holds them
// all, but a walk page by page without a sort loses and repeats items.
BOOST_AUTO_TEST_CASE(unsorted_lists_come_in_another_order_each_call) {
    fixture f;
    f.login();
    const auto once = ids_of(f.get_json("/actifio/host"));  // 23 hosts: one page
    const auto again = ids_of(f.get_json("/actifio/host"));
    BOOST_CHECK(once != again);
    BOOST_CHECK(std::set<std::int64_t>(once.begin(), once.end()) == std::set<std::int64_t>(again.begin(), again.end()));
    BOOST_CHECK(!std::is_sorted(once.begin(), once.end()));
    std::vector<std::int64_t> walked;
    for (int offset = 0; offset < 137; offset += 50) {
        const auto page = ids_of(f.get_json("/actifio/application?offset=" + std::to_string(offset)));
        walked.insert(walked.end(), page.begin(), page.end());
    }
    BOOST_CHECK_EQUAL(walked.size(), 137u);
    BOOST_CHECK_LT(std::set<std::int64_t>(walked.begin(), walked.end()).size(), 137u);  // some seen twice, some never
    const auto sorted = ids_of(f.get_json("/actifio/backup?sort=id:ASC"));
    BOOST_CHECK(std::is_sorted(sorted.begin(), sorted.end()));
    BOOST_CHECK(ids_of(f.get_json("/actifio/backup?sort=id:ASC")) == sorted);
}

// Section 3.3: "HTTP header Actifio-Count represents the estimated count ...
// any pagination control such as limit=10 in the query string is ignored".
BOOST_AUTO_TEST_CASE(head_on_a_list_answers_actifio_count) {
    fixture f;
    f.login();
    BOOST_CHECK(estimates(f.head_count("/actifio/backup"), 1001u));
    BOOST_CHECK(estimates(f.head_count("/actifio/application"), 137u));
    const auto app = f.get_json("/actifio/application").at("items").as_array()[0];
    const std::string appid = json::serialize(app.at("id"));
    const auto backups = f.all_items("/actifio/backup?filter=appid:%3D%3D" + appid);
    BOOST_CHECK(!backups.empty());
    BOOST_CHECK(estimates(f.head_count("/actifio/backup?limit=10&filter=appid:%3D%3D" + appid), backups.size()));
    BOOST_CHECK(estimates(f.head_count("/actifio/backup?limit=bogus&offset=-1"), 1001u));
}

// ---- Section 5.2, Filtering ----

// Section 5.2's example: "GET .../backup?filter=jobclasscode:==1" (snapshots).
BOOST_AUTO_TEST_CASE(filter_exact_match) {
    fixture f;
    f.login();
    const auto snaps = f.all_items("/actifio/backup?filter=jobclasscode:%3D%3D1");
    BOOST_CHECK(snaps.size() > 100 && snaps.size() < 1001);
    for (const auto& b : snaps) {
        BOOST_CHECK_EQUAL(b.at("jobclasscode").as_int64(), 1);
        BOOST_CHECK_EQUAL(b.at("jobclass").as_string(), "snapshot");
    }
    BOOST_CHECK(estimates(f.head_count("/actifio/backup?filter=jobclass:%3D%3Dsnapshot"), snaps.size()));
}

// Section 5.2: "Multiple exact_match filters with the same attr_name define a
// union"; filters on different attributes narrow down together.
BOOST_AUTO_TEST_CASE(filter_exact_matches_on_one_attribute_are_a_union) {
    fixture f;
    f.login();
    const auto dedup = f.all_items("/actifio/backup?filter=jobclass:%3D%3Ddedup").size();
    const auto onvault = f.all_items("/actifio/backup?filter=jobclass:%3D%3DOnVault").size();
    BOOST_CHECK(dedup > 0 && onvault > 0);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/backup?filter=jobclass:%3D%3Ddedup&filter=jobclass:%3D%3DOnVault").size(),
                      dedup + onvault);
    const auto both = f.all_items("/actifio/backup?filter=jobclass:%3D%3Ddedup&filter=sltname:%3D%3DGold");
    BOOST_CHECK(!both.empty() && both.size() < dedup);
    for (const auto& b : both)
        BOOST_CHECK(b.at("jobclass").as_string() == "dedup" && b.at("sltname").as_string() == "Gold");
}

// Section 5.2: "A greater_eq and less_eq filter with the same attr_name can
// both exist if the attr_value is a numeric type ... define a range".
BOOST_AUTO_TEST_CASE(filter_greater_eq_and_less_eq_define_a_range) {
    fixture f;
    f.login();
    const auto hosts = f.all_items("/actifio/host?sort=id:ASC");
    const std::int64_t lo = hosts[5].at("id").as_int64(), hi = hosts[12].at("id").as_int64();
    const auto range = f.all_items("/actifio/host?filter=id:%3E%3D" + std::to_string(lo) + "&filter=id:%3C%3D" +
                                   std::to_string(hi) + "&sort=id:ASC");
    BOOST_REQUIRE_EQUAL(range.size(), 8u);
    BOOST_CHECK_EQUAL(range.front().at("id").as_int64(), lo);
    BOOST_CHECK_EQUAL(range.back().at("id").as_int64(), hi);
}

// Section 5.2's example: "GET .../application?filter=appname:=| app" (contains),
// URL-encoded as the syntax requires.
BOOST_AUTO_TEST_CASE(filter_contains_and_bitwise_and) {
    fixture f;
    f.login();
    const auto apps = f.all_items("/actifio/application?filter=appname:%3D%7Capp");
    BOOST_CHECK(!apps.empty());
    for (const auto& a : apps)
        BOOST_CHECK(a.at("appname").as_string().find("app") != json::string::npos);
    // bitwise_and "applies to boolean".
    const auto managed = f.all_items("/actifio/application?filter=managed:%3Dbtrue");
    BOOST_CHECK(!managed.empty() && managed.size() < 137u);
    for (const auto& a : managed)
        BOOST_CHECK(a.at("managed").as_bool());
}

// Section 5.2, "Restrictions", and section 3.6: a bad query value is 400 with
// {"err_code", "err_message"}.
BOOST_AUTO_TEST_CASE(bad_query_values_are_400_with_the_error_body) {
    fixture f;
    f.login();
    for (const std::string q : {
             "filter=nosuchattr:%3D%3D1",                            // unknown attribute
             "filter=appname:%3D%3Fx",                               // unknown operator
             "filter=appname",                                       // no operator
             "filter=id:%3D%7C1",                                    // contains on a number
             "filter=appname:%3E%3Dx",                               // greater_eq on a string
             "filter=managed:%3D%3Dtrue",                            // exact_match on a boolean
             "filter=id:%3D%3Dabc",                                  // not a number
             "filter=apptype:%3D%3DNoSuchType",                      // not a member of the enum
             "filter=appname:%3D%3Da&filter=appname:%3D%7Cb",        // repeated, not a union
             "filter=appname:%3E%3Da&filter=appname:%3C%3Db",        // a range on a string
             "offset=-1", "offset=x", "limit=0", "limit=1e3", "offset=1&offset=2",
             "sort=id", "sort=id:asc", "sort=nosuch:ASC", "sort=id:ASC&sort=appname:DESC",
             "keyword=", "page=2"}) {
        BOOST_TEST_CONTEXT(q) { check_error(f.api(http::verb::get, "/actifio/application?" + q), 400, 10002); }
    }
    // Section 5.4's table lists Job too (it was refused here before; issue 14).
    BOOST_TEST(f.api(http::verb::get, "/actifio/job?keyword=x").status == 200u);
}

// ---- Section 5.3, Sorting; section 5.4, Free Text Search ----

// Section 5.3's example: "GET .../host?sort=id:ASC".
BOOST_AUTO_TEST_CASE(sort_ascending_and_descending) {
    fixture f;
    f.login();
    const auto asc = ids_of(f.get_json("/actifio/host?sort=id:ASC"));
    BOOST_CHECK_EQUAL(asc.size(), 23u);
    BOOST_CHECK(std::is_sorted(asc.begin(), asc.end()));
    const auto desc = f.all_items("/actifio/backup?sort=backupdate:DESC");
    BOOST_CHECK_EQUAL(desc.size(), 1001u);
    BOOST_CHECK(std::is_sorted(desc.begin(), desc.end(), [](const json::object& a, const json::object& b) {
        return a.at("backupdate").as_int64() > b.at("backupdate").as_int64();
    }));
    const auto names = f.all_items("/actifio/host?sort=hostname:DESC");
    BOOST_CHECK(names.front().at("hostname").as_string() > names.back().at("hostname").as_string());
}

// Section 5.4: keywords are "searched in case-insensitive mode" in the
// predefined attributes; an item qualifies with "at least one of the keywords".
BOOST_AUTO_TEST_CASE(keyword_search_is_case_insensitive_over_the_predefined_attributes) {
    fixture f;
    f.login();
    const auto sql = f.all_items("/actifio/host?keyword=WIN-SQL");
    const auto web = f.all_items("/actifio/host?keyword=Vm-Web");
    BOOST_CHECK(!sql.empty() && !web.empty());
    for (const auto& h : sql)
        BOOST_CHECK(h.at("hostname").as_string().starts_with("win-sql-"));
    BOOST_CHECK_EQUAL(f.all_items("/actifio/host?keyword=win-sql&keyword=VM-WEB").size(), sql.size() + web.size());
    // Combined with a filter (section 5.4: "in addition to the filtering").
    BOOST_CHECK(estimates(f.head_count("/actifio/host?keyword=win-sql&filter=ostype:%3D%3DWin32"), sql.size()));
    BOOST_CHECK(estimates(f.head_count("/actifio/host?keyword=no-such-text"), 0u));
    // Jobs (section 5.4's last row): by label, which only every sixth job has,
    // and by targethost, which only mount jobs have.
    const auto has = [](const json::object& j, std::string_view needle) {  // needle in lower case
        for (const char* attr : {"jobname", "hostname", "targethost", "appname", "sltname", "policyname", "label"}) {
            if (!j.contains(attr) || !j.at(attr).is_string())
                continue;
            std::string v(j.at(attr).as_string());
            std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (v.find(needle) != std::string::npos)
                return true;
        }
        return false;
    };
    const auto weekly = f.all_items("/actifio/job?keyword=WEEKLY");
    BOOST_CHECK(!weekly.empty());
    std::size_t labelled = 0;
    for (const auto& j : weekly) {
        BOOST_CHECK(has(j, "weekly"));
        labelled += j.contains("label") && j.at("label").as_string() == "weekly";
    }
    BOOST_CHECK(labelled > 0u);  // found by the label alone
    const auto restore = f.all_items("/actifio/job?keyword=restore-");
    BOOST_CHECK(!restore.empty());
    for (const auto& j : restore)
        BOOST_CHECK(j.at("jobclass").as_string() == "mount");
}

// ---- Sections 3.1, 3.2 and 3.5: individual resources ----

// Section 3.2: "Any attribute that is absent in the payload retains its
// current value"; "a null valued attribute and absence ... equivalently".
BOOST_AUTO_TEST_CASE(put_updates_only_the_attributes_sent) {
    fixture f;
    f.login();
    const json::object before = f.get_json("/actifio/host").at("items").as_array()[0].as_object();
    const std::string path = "/actifio/host/" + json::serialize(before.at("id"));
    BOOST_CHECK(f.get_json(path) == before);

    f.clock.advance(10s);
    auto r = f.api(http::verb::put, path, R"({"description": "moved to rack 7", "ipaddress": null})");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    const json::object after = f.get_json(path);
    BOOST_CHECK(json::parse(r.body) == after);
    BOOST_CHECK_EQUAL(after.at("description").as_string(), "moved to rack 7");
    BOOST_CHECK(after.at("modifydate").as_int64() > before.at("modifydate").as_int64());
    for (const auto& [key, value] : before)
        if (key != "description" && key != "modifydate")
            BOOST_TEST_CONTEXT(key) { BOOST_CHECK(after.at(key) == value); }

    // Sending back what was read is fine; changing what cannot change is not.
    BOOST_CHECK_EQUAL(f.api(http::verb::put, path, json::serialize(after)).status, 200u);
    check_error(f.api(http::verb::put, path, R"({"id": 1})"), 400, 10001);
    check_error(f.api(http::verb::put, path, R"({"nosuch": 1})"), 400, 10001);
    check_error(f.api(http::verb::put, path, R"({"description": 7})"), 400, 10001);
    check_error(f.api(http::verb::put, path, "{not json"), 400, 10001);
    check_error(f.api(http::verb::put, path, "[]"), 400, 10001);
    BOOST_CHECK(f.get_json(path).at("description").as_string() == "moved to rack 7");
}

// Section 3.5: "Object created ... 200 instead of 201", 204 for no body, 404
// "Nonexist resource", 409 "violation of constraint", 415 for another
// Content-Type, 405 for a method the resource does not allow.
BOOST_AUTO_TEST_CASE(create_then_delete_a_host_and_an_application) {
    fixture f;
    f.login();
    auto h = f.api(http::verb::post, "/actifio/host", R"({"hostname": "lnx-new-01", "ipaddress": "10.9.8.7"})");
    BOOST_REQUIRE_MESSAGE(h.status == 200, h.body);
    const json::object host = json::parse(h.body).as_object();
    const std::string hostid = json::serialize(host.at("id"));
    BOOST_CHECK_EQUAL(host.at("hosttype").as_string(), "generic");
    BOOST_CHECK(estimates(f.head_count("/actifio/host"), 24u));
    check_error(f.api(http::verb::post, "/actifio/host", R"({"hostname": "lnx-new-01", "ipaddress": "10.0.0.1"})"),
                409, 10006);  // the name is taken

    auto a = f.api(http::verb::post, "/actifio/application",
                   R"({"appname": "/srv/new", "apptype": "FileSystem", "hostid": )" + hostid + "}");
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    const json::object app = json::parse(a.body).as_object();
    BOOST_CHECK_EQUAL(app.at("hostname").as_string(), "lnx-new-01");
    const std::string app_path = "/actifio/application/" + json::serialize(app.at("id"));

    check_error(f.api(http::verb::delete_, "/actifio/host/" + hostid), 409, 10006);  // it has an application
    BOOST_CHECK_EQUAL(f.api(http::verb::delete_, app_path).status, 204u);
    BOOST_CHECK_EQUAL(f.api(http::verb::delete_, "/actifio/host/" + hostid).status, 204u);
    check_error(f.api(http::verb::get, "/actifio/host/" + hostid), 404, 10003);
    check_error(f.api(http::verb::delete_, app_path), 404, 10003);
}

BOOST_AUTO_TEST_CASE(create_checks_its_body) {
    fixture f;
    f.login();
    check_error(f.api(http::verb::post, "/actifio/host", R"({"hostname": "x"})"), 400, 10001);  // no ipaddress
    check_error(f.api(http::verb::post, "/actifio/host", R"({"hostname": "x", "ipaddress": "1", "id": 5})"), 400,
                10001);
    check_error(f.api(http::verb::post, "/actifio/application",
                      R"({"appname": "a", "apptype": "FileSystem", "hostid": 1})"),
                409, 10006);  // no such host
    auto text = f.call(http::verb::post, "/actifio/host",
                       [&] {
                           headers h = f.auth();
                           h.emplace_back("Content-Type", "text/plain");
                           return h;
                       }(),
                       R"({"hostname": "x", "ipaddress": "1"})");
    check_error(text, 415, 10007);
    auto job = f.api(http::verb::post, "/actifio/job", "{}");
    check_error(job, 405, 10005);
    BOOST_CHECK_EQUAL(job.header("Allow"), "GET, HEAD, OPTIONS");
    check_error(f.api(http::verb::put, "/actifio/job/77001", "{}"), 405, 10005);
}

// Section 3.5: 404 "Nonexist resource".
BOOST_AUTO_TEST_CASE(unknown_ids_and_paths_are_404) {
    fixture f;
    f.login();
    check_error(f.api(http::verb::get, "/actifio/backup/1"), 404, 10003);
    check_error(f.api(http::verb::get, "/actifio/backup/abc"), 404, 10003);
    check_error(f.api(http::verb::get, "/actifio/widget"), 404, 10004);
    check_error(f.api(http::verb::get, "/actifio/backup/1/x"), 404, 10004);
    const auto b = f.get_json("/actifio/backup?limit=1").at("items").as_array()[0];
    BOOST_CHECK(f.get_json("/actifio/backup/" + json::serialize(b.at("id"))) == b);
}

// ---- Job starts (docs/simulators.md, "Job starts") ----

std::int64_t jobs_started(fixture& f) { return f.state().at("vendor_state").at("jobs_started").as_int64(); }

// Section 3.1: POST performs "an operation on a resource"; section 4.1: "Jobs
// perform operations on applications, such as taking snapshots". POST
// .../application/{id}/backup starts a snapshot job, answered 200 with the job
// (section 3.5), listed in /actifio/job.
BOOST_AUTO_TEST_CASE(an_on_demand_backup_starts_a_job) {
    fixture f;
    f.login();
    const json::object app = f.get_json("/actifio/application?sort=id:ASC&limit=1").at("items").as_array()[0].as_object();
    const std::string app_id = json::serialize(app.at("id"));
    BOOST_CHECK_EQUAL(jobs_started(f), 0);
    const auto before = f.all_items("/actifio/job");
    BOOST_REQUIRE_EQUAL(before.size(), 59u);

    f.clock.advance(5s);
    const std::int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(f.clock.now().time_since_epoch()).count();
    auto r = f.api(http::verb::post, "/actifio/application/" + app_id + "/backup");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    BOOST_CHECK_EQUAL(r.header("Content-Type"), "application/json");
    const json::object job = json::parse(r.body).as_object();
    BOOST_CHECK_EQUAL(job.at("status").as_string(), "running");
    BOOST_CHECK_EQUAL(job.at("jobclass").as_string(), "snapshot");
    BOOST_CHECK_EQUAL(job.at("jobclasscode").as_int64(), 1);
    BOOST_CHECK(job.at("appid") == app.at("id"));
    BOOST_CHECK(job.at("appname") == app.at("appname"));
    BOOST_CHECK(job.at("hostname") == app.at("hostname"));
    BOOST_CHECK(job.at("sourcecluster") == app.at("sourcecluster"));
    BOOST_CHECK_EQUAL(job.at("progress").as_int64(), 0);
    BOOST_CHECK_EQUAL(job.at("isscheduled").as_bool(), false);
    BOOST_CHECK(job.at("startdate").as_int64() >= now_us);
    BOOST_CHECK(job.at("startdate").as_int64() < now_us + 60 * 1000000LL);
    BOOST_CHECK(!job.contains("enddate"));
    BOOST_CHECK(!job.contains("label"));
    BOOST_CHECK(job.at("id").as_int64() > before.back().at("id").as_int64());  // ids keep growing
    BOOST_CHECK_EQUAL(jobs_started(f), 1);

    // The job's list, its item, the count, filters and the state's item count see it.
    const auto after = f.all_items("/actifio/job");
    BOOST_CHECK_EQUAL(after.size(), 60u);
    BOOST_CHECK(after.back() == job);
    BOOST_CHECK(f.get_json("/actifio/job/" + json::serialize(job.at("id"))) == job);
    BOOST_CHECK(estimates(f.head_count("/actifio/job"), 60u));
    const auto running = f.all_items("/actifio/job?filter=appid:%3D%3D" + app_id + "&filter=status:%3D%3Drunning");
    BOOST_CHECK(std::any_of(running.begin(), running.end(), [&](const json::object& j) { return j == job; }));
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("items").at("job").as_int64(), 60);

    // Another start, with a label (a JSON body), is another job.
    auto labelled = f.api(http::verb::post, "/actifio/application/" + app_id + "/backup", R"({"label": "pre-upgrade"})");
    BOOST_REQUIRE_MESSAGE(labelled.status == 200, labelled.body);
    const json::object second = json::parse(labelled.body).as_object();
    BOOST_CHECK_EQUAL(second.at("label").as_string(), "pre-upgrade");
    BOOST_CHECK(second.at("id") != job.at("id"));
    BOOST_CHECK(second.at("jobname") != job.at("jobname"));
    BOOST_CHECK_EQUAL(jobs_started(f), 2);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/job").size(), 61u);
}

// Section 3.5's codes in section 3.6's body: 404 for an unknown application, 400
// for a bad body, 415 for another Content-Type, 405 for another method. None starts a job.
BOOST_AUTO_TEST_CASE(an_on_demand_backup_refusals) {
    fixture f;
    f.login();
    const std::string app_id =
        json::serialize(f.get_json("/actifio/application?sort=id:ASC&limit=1").at("items").as_array()[0].at("id"));
    const std::string path = "/actifio/application/" + app_id + "/backup";
    check_error(f.api(http::verb::post, "/actifio/application/1/backup"), 404, 10003);
    check_error(f.api(http::verb::post, "/actifio/application/abc/backup"), 404, 10003);
    const std::string host_id = json::serialize(f.get_json("/actifio/host?limit=1").at("items").as_array()[0].at("id"));
    check_error(f.api(http::verb::post, "/actifio/host/" + host_id + "/backup"), 404, 10004);
    check_error(f.api(http::verb::post, "/actifio/application//backup"), 404, 10004);
    check_error(f.api(http::verb::post, path + "/now"), 404, 10004);
    check_error(f.api(http::verb::post, path, R"({"policy": 5})"), 400, 10001);
    check_error(f.api(http::verb::post, path, R"({"label": 5})"), 400, 10001);
    check_error(f.api(http::verb::post, path, "[]"), 400, 10001);
    check_error(f.api(http::verb::post, path + "?limit=1"), 400, 10002);
    auto text = f.call(http::verb::post, path,
                       [&] {
                           headers h = f.auth();
                           h.emplace_back("Content-Type", "text/plain");
                           return h;
                       }(),
                       R"({"label": "x"})");
    check_error(text, 415, 10007);
    auto get = f.api(http::verb::get, path);
    check_error(get, 405, 10005);
    BOOST_CHECK_EQUAL(get.header("Allow"), "POST");
    BOOST_CHECK_EQUAL(f.call(http::verb::post, path).status, 401u);  // no session: 401 before anything
    BOOST_CHECK_EQUAL(jobs_started(f), 0);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/job").size(), 59u);
}

// jobs_started counts jobs, not requests: none for an injected 503, one for a start
// whose answer is lost; reset() restores the seeded jobs and clears the count.
BOOST_AUTO_TEST_CASE(jobs_started_counts_jobs_not_requests) {
    fixture f;
    f.login();
    const std::string path = "/actifio/application/" +
                             json::serialize(f.get_json("/actifio/application?limit=1").at("items").as_array()[0].at("id")) +
                             "/backup";
    const std::uint64_t requests = f.counter("requests");
    BOOST_CHECK_EQUAL(f.api(http::verb::post, path).status, 200u);
    BOOST_CHECK_EQUAL(f.call(http::verb::post, "/__sim/faults", {}, R"({"count":1,"status":503})").status, 200u);
    BOOST_CHECK_EQUAL(f.api(http::verb::post, path).status, 503u);
    BOOST_CHECK_EQUAL(jobs_started(f), 1);
    BOOST_CHECK_EQUAL(f.call(http::verb::post, "/__sim/faults", {}, R"({"count":1,"reset":true,"after":true})").status,
                      200u);
    BOOST_CHECK_THROW(f.api(http::verb::post, path), boost::system::system_error);
    BOOST_CHECK_EQUAL(jobs_started(f), 2);
    BOOST_CHECK_EQUAL(f.counter("requests") - requests, 3u);
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("items").at("job").as_int64(), 61);

    BOOST_CHECK_EQUAL(f.call(http::verb::post, "/__sim/reset").status, 200u);
    BOOST_CHECK_EQUAL(jobs_started(f), 0);
    BOOST_CHECK_EQUAL(f.state().at("vendor_state").at("items").at("job").as_int64(), 59);
}

// Section 3.4: OPTIONS "to discover the filter and sort fields that are available".
BOOST_AUTO_TEST_CASE(options_lists_the_filter_and_sort_fields) {
    fixture f;
    f.login();
    auto r = f.api(http::verb::options, "/actifio/backup");
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const json::object meta = json::parse(r.body).as_object();
    const auto& fields = meta.at("filter").at("fields").as_array();
    BOOST_CHECK(std::any_of(fields.begin(), fields.end(), [](const json::value& v) {
        return v.at("field") == "backupdate" && v.at("type") == "Long";
    }));
}

// ---- Seeded data and the admin endpoints ----

BOOST_AUTO_TEST_CASE(seeded_data_depends_only_on_the_seed) {
    fixture a({}, 7), b({}, 7), c({}, 8);
    a.login();
    b.login();
    c.login();
    BOOST_CHECK(a.get_json("/actifio/backup?sort=id:ASC") == b.get_json("/actifio/backup?sort=id:ASC"));
    BOOST_CHECK(a.get_json("/actifio/backup?sort=id:ASC") != c.get_json("/actifio/backup?sort=id:ASC"));
    const json::object items = a.state().at("vendor_state").at("items").as_object();
    BOOST_CHECK_EQUAL(items.at("application").as_int64(), 137);
    BOOST_CHECK_EQUAL(items.at("backup").as_int64(), 1001);
    BOOST_CHECK_EQUAL(items.at("host").as_int64(), 23);
    BOOST_CHECK_EQUAL(items.at("job").as_int64(), 59);
}

BOOST_AUTO_TEST_CASE(page_cap_and_sizes_are_options) {
    fixture f(extras{{"page_cap", "7"}, {"backups", "20"}});
    f.login();
    BOOST_CHECK_EQUAL(f.get_json("/actifio/backup").at("count").as_int64(), 7);
    BOOST_CHECK_EQUAL(f.all_items("/actifio/backup").size(), 20u);
    BOOST_CHECK_THROW(fixture(extras{{"page_cap", "0"}}), std::invalid_argument);
    BOOST_CHECK_THROW(fixture(extras{{"no_such_option", "1"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(reset_restores_the_seeded_data_and_clears_sessions) {
    fixture f;
    f.login();
    const auto before = f.get_json("/actifio/host?sort=id:ASC");
    const std::string id = json::serialize(before.at("items").as_array()[0].at("id"));
    BOOST_CHECK_EQUAL(f.api(http::verb::put, "/actifio/host/" + id, R"({"description": "changed"})").status, 200u);
    BOOST_CHECK_EQUAL(f.call(http::verb::post, "/__sim/reset").status, 200u);
    BOOST_CHECK_EQUAL(f.api(http::verb::get, "/actifio/host").status, 401u);
    f.login();
    BOOST_CHECK(f.get_json("/actifio/host?sort=id:ASC") == before);
}
