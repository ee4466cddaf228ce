// The google-backupdr adapter's dialect against a scripted upstream, in process
// (google-backupdr-management-api.txt: §3.5 "HTTP Status Codes" (401), §3.6
// "Error Message" (no body on 401), §3.7 "Access Control": the bearer token,
// POST .../session, the backupdr-management-session header, the idle expiry,
// Actifio-No-Session-Refresh and DELETE .../session/current; the service
// account's JWT assertion is "Method #1").
#define BOOST_TEST_MODULE backupdr_adapter
#include <boost/test/unit_test.hpp>

#include "adapters/backupdr/backupdr_adapter.hpp"
#include "adapters/common/jwt.hpp"
#include "tests/unit/scripted_upstream.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <unistd.h>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using bg::test::attach;
using bg::test::form_field;
using bg::test::scripted_upstream;

namespace {

constexpr const char* session_header = "backupdr-management-session";
constexpr const char* client_email = "gateway@project.iam.gserviceaccount.com";

// ---- a service-account key made at test time ------------------------------------

struct test_key {
    std::string private_pem;
    std::string public_pem;
};

std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

const test_key& rsa_key()
{
    static const test_key key = [] {
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_RSA_gen(2048), &EVP_PKEY_free);
        BOOST_TEST_REQUIRE(pkey != nullptr);
        std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
        BOOST_TEST_REQUIRE(PEM_write_bio_PrivateKey(priv.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
        BOOST_TEST_REQUIRE(PEM_write_bio_PUBKEY(pub.get(), pkey.get()) == 1);
        return test_key{bio_text(priv.get()), bio_text(pub.get())};
    }();
    return key;
}

// A line from the middle of the private key's PEM: must never appear in an error.
std::string key_fragment()
{
    const auto& pem = rsa_key().private_pem;
    const auto start = pem.find('\n', pem.find('\n') + 1) + 1;
    return pem.substr(start, 40);
}

std::string service_account_json(const std::string& token_uri, const std::string& private_key)
{
    boost::json::object o{{"type", "service_account"},
                          {"project_id", "project"},
                          {"private_key_id", "kid-1"},
                          {"private_key", private_key},
                          {"client_email", client_email},
                          {"token_uri", token_uri}};
    return boost::json::serialize(o);
}

// ---- backends ----------------------------------------------------------------------

bg::config::backend base_backend()
{
    bg::config::backend b;
    b.name = "backupdr";
    b.type = "google-backupdr";
    b.url = {"http", "bdr.example", 8080, "/actifio"};
    b.base_url = "http://bdr.example:8080/actifio";
    b.where = {"backends[0]", 3};
    b.timeouts.connect = 1000ms;
    b.timeouts.request = 1000ms;
    return b;
}

void set_option(bg::config::backend& b, const std::string& key, const std::string& value)
{
    b.options[key] = {value, {"backends[0].options." + key, 10}, false};
}

bg::config::backend file_backend(const std::string& path)
{
    auto b = base_backend();
    set_option(b, "token_file", path);
    return b;
}

bg::config::backend sa_backend(const std::string& key_token_uri = "http://bdr.example:8080/token")
{
    auto b = base_backend();
    b.credentials["service_account"] = {service_account_json(key_token_uri, rsa_key().private_pem),
                                        {"backends[0].credentials.service_account_file", 8}, true};
    return b;
}

// A token file that the test rewrites (rotation by an outside agent).
class token_file {
public:
    explicit token_file(const std::string& content)
    {
        static std::atomic<int> n{0};
        path_ = std::filesystem::temp_directory_path() /
                ("bg-backupdr-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        write(content);
    }
    ~token_file()
    {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    token_file(const token_file&) = delete;
    token_file& operator=(const token_file&) = delete;

    void write(const std::string& content) const
    {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out << content;
    }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

std::string session_answer(const std::string& id)
{
    return R"({"session_id":")" + id + R"(","user":{"name":"gateway","timezone":"UTC"},"rights":[{"id":"System View"}]})";
}

std::string token_answer(const std::string& token, int expires_in = 3600)
{
    return R"({"access_token":")" + token + R"(","expires_in":)" + std::to_string(expires_in) +
           R"(,"token_type":"Bearer"})";
}

std::vector<std::string> check(const bg::config::backend& b)
{
    const auto* type = bg::adapters::find_adapter_type("google-backupdr");
    BOOST_TEST_REQUIRE(type != nullptr);
    std::vector<std::string> messages;
    for (const auto& [where, message] : type->check.check(b))
        messages.push_back(message);
    return messages;
}

bool mentions(const std::vector<std::string>& messages, const std::string& phrase)
{
    return std::any_of(messages.begin(), messages.end(),
                       [&](const std::string& m) { return m.find(phrase) != std::string::npos; });
}

bool is_session_post(const http::request<http::string_body>& req)
{
    return req.method() == http::verb::post && req.target() == "/actifio/session";
}

}  // namespace

// ---- configuration -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_type_is_registered)
{
    const auto* type = bg::adapters::find_adapter_type("google-backupdr");
    BOOST_REQUIRE(type != nullptr);
    const auto b = sa_backend();
    BOOST_TEST(check(b).empty());
    auto a = type->make(b);
    BOOST_TEST(a->renews_credentials());
    BOOST_TEST(!a->buffered_body_limit().has_value());
}

BOOST_AUTO_TEST_CASE(valid_configurations_pass_the_check)
{
    token_file file("tok\n");
    BOOST_TEST(check(file_backend(file.path())).empty());
    auto idle = file_backend(file.path());
    set_option(idle, "session_idle", "600");
    BOOST_TEST(check(idle).empty());
    BOOST_TEST(check(sa_backend("http://BDR.example:8080/oauth2/token")).empty());  // hosts compare without case
    auto with_option = sa_backend("https://oauth2.googleapis.com/token");
    set_option(with_option, "token_uri", "http://bdr.example:8080/token");  // the option wins over the key file's
    set_option(with_option, "scope", "https://www.googleapis.com/auth/cloud-platform.read-only");
    BOOST_TEST(check(with_option).empty());
}

// One clear message per problem, naming the key; never the secret.
BOOST_AUTO_TEST_CASE(the_check_rejects_bad_configurations)
{
    token_file file("tok");
    const std::string secret_json = R"({"type":"authorized_user","client_email":"x","private_key":"SECRET-PEM"})";
    struct row {
        const char* name;
        std::function<bg::config::backend()> make;
        const char* phrase;
    };
    const std::vector<row> rows{
        {"no token source", [] { return base_backend(); }, "needs the source of its Google bearer token"},
        {"both token sources",
         [&] {
             auto b = sa_backend();
             set_option(b, "token_file", file.path());
             return b;
         },
         "token_file: give either options.token_file or credentials.service_account, not both"},
        {"session_idle zero",
         [&] {
             auto b = file_backend(file.path());
             set_option(b, "session_idle", "0");
             return b;
         },
         "session_idle: expected a positive number of seconds"},
        {"session_idle not a number",
         [&] {
             auto b = file_backend(file.path());
             set_option(b, "session_idle", "1h");
             return b;
         },
         "session_idle: expected a positive number of seconds, got '1h'"},
        {"service account not a service-account key",
         [&] {
             auto b = base_backend();
             b.credentials["service_account"] = {secret_json, {"backends[0].credentials.service_account_file", 8}, true};
             return b;
         },
         "service_account: expected a Google service-account JSON key"},
        {"service account not JSON",
         [&] {
             auto b = base_backend();
             b.credentials["service_account"] = {"SECRET-PEM", {"backends[0].credentials.service_account", 8}, true};
             return b;
         },
         "service_account: expected a Google service-account JSON key"},
        {"service account key that cannot sign",
         [&] {
             auto b = base_backend();
             b.credentials["service_account"] = {
                 service_account_json("http://bdr.example:8080/token",
                                      "-----BEGIN PRIVATE KEY-----\nSECRET-PEM\n-----END PRIVATE KEY-----\n"),
                 {"backends[0].credentials.service_account_file", 8}, true};
             return b;
         },
         "service_account: its private_key cannot sign"},
        {"token_uri not a URL",
         [] {
             auto b = sa_backend();
             set_option(b, "token_uri", "token");
             return b;
         },
         "token_uri (options.token_uri): expected"},
        {"token_uri with a token file",
         [&] {
             auto b = file_backend(file.path());
             set_option(b, "token_uri", "http://bdr.example:8080/token");
             return b;
         },
         "token_uri: applies only to credentials.service_account"},
        {"unreadable token file", [] { return file_backend("/nonexistent/bg-backupdr-token"); },
         "token_file: cannot read '/nonexistent/bg-backupdr-token'"},
        {"unknown option",
         [&] {
             auto b = file_backend(file.path());
             set_option(b, "session_ttl", "60");
             return b;
         },
         "unknown option 'session_ttl' for type 'google-backupdr'"},
        {"token file under credentials",
         [&] {
             auto b = base_backend();
             b.credentials["token"] = {"SECRET-PEM", {"backends[0].credentials.token_file", 8}, true};
             return b;
         },
         "a token file goes under options.token_file"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.name)
        {
            const auto messages = check(r.make());
            BOOST_TEST(mentions(messages, r.phrase), "expected '" << r.phrase << "' in "
                                                                  << (messages.empty() ? "(none)" : messages.front()));
            BOOST_TEST(!mentions(messages, "SECRET-PEM"));
            BOOST_TEST(!mentions(messages, key_fragment()));
        }
    }
}

// ---- a token file ----------------------------------------------------------------------

// §3.7: "POST .../session" with "Authorization: Bearer <bearer token>", then every
// call carries "backupdr-management-session: Actifio <session_id>" and the bearer token.
BOOST_AUTO_TEST_CASE(token_file_first_attach_opens_a_session_and_sets_both_headers)
{
    token_file file("  ya29.file-token-A \n");
    const auto b = file_backend(file.path());
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> head;
    a.build_request(head);
    BOOST_TEST(!attach(a, head, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 1u);
    BOOST_TEST(is_session_post(up.seen[0]));
    BOOST_TEST(up.seen[0][http::field::authorization] == "Bearer ya29.file-token-A");  // whitespace trimmed
    BOOST_TEST(up.seen[0][session_header].empty());
    BOOST_TEST(head[http::field::authorization] == "Bearer ya29.file-token-A");
    BOOST_TEST(head[session_header] == "Actifio S1");

    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_TEST(up.seen.size() == 1u);  // the session is reused
    BOOST_TEST(second[session_header] == "Actifio S1");
    BOOST_TEST(a.logins_led() == 1u);
}

// §3.5: 401 = invalid/expired token or session. The session it carried is
// dropped; the next attach reads the (rotated) file and opens a session with it.
BOOST_AUTO_TEST_CASE(a_rotated_token_file_is_used_after_a_401)
{
    token_file file("ya29.A");
    const auto b = file_backend(file.path());
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());

    file.write("ya29.BBBB\n");
    a.credentials_rejected(first);
    up.answer(http::status::ok, session_answer("S2"));
    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST(is_session_post(up.seen[1]));
    BOOST_TEST(up.seen[1][http::field::authorization] == "Bearer ya29.BBBB");
    BOOST_TEST(second[http::field::authorization] == "Bearer ya29.BBBB");
    BOOST_TEST(second[session_header] == "Actifio S2");
}

// The file is looked at (size, mtime) at most once a second: a rotated token
// replaces the old one on the same session, without a 401.
BOOST_AUTO_TEST_CASE(a_rotated_token_file_is_picked_up_within_a_second)
{
    token_file file("ya29.A");
    const auto b = file_backend(file.path());
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());
    file.write("ya29.CCCCCC");
    std::this_thread::sleep_for(1100ms);
    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_TEST(up.seen.size() == 1u);
    BOOST_TEST(second[http::field::authorization] == "Bearer ya29.CCCCCC");
    BOOST_TEST(second[session_header] == "Actifio S1");
}

// A 401 on POST session with the file unchanged fails closed (502
// upstream-auth-failed carrying 401), without the token in the error; the
// same token is not sent again, and a new token in the file is.
BOOST_AUTO_TEST_CASE(a_refused_file_token_fails_closed_until_the_file_changes)
{
    token_file file("ya29.REFUSED");
    const auto b = file_backend(file.path());
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::unauthorized, "");  // §3.6: no body on 401
    http::request_header<> head;
    const auto e = attach(a, head, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST((e->code == bg::errc::upstream_auth_failed));
    BOOST_TEST(bg::status_of(e->code) == 502u);
    BOOST_TEST(e->upstream_status.value_or(0) == 401u);
    BOOST_TEST(e->detail.find("POST /actifio/session") != std::string::npos);
    const auto doc = bg::render_problem(*e, "backupdr", "rid");
    BOOST_TEST(doc.find("ya29.REFUSED") == std::string::npos);
    BOOST_TEST(head[http::field::authorization].empty());

    std::this_thread::sleep_for(1100ms);  // past the back-off
    http::request_header<> again;
    const auto unchanged = attach(a, again, up);
    BOOST_REQUIRE(unchanged.has_value());
    BOOST_TEST(up.seen.size() == 1u);  // the refused token is not sent again
    BOOST_TEST(unchanged->upstream_status.value_or(0) == 401u);
    BOOST_TEST(unchanged->detail.find("waiting for the file to change") != std::string::npos);
    BOOST_TEST(unchanged->detail.find("ya29.REFUSED") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_new_file_token_after_a_refusal_opens_a_session)
{
    token_file file("ya29.REFUSED");
    const auto b = file_backend(file.path());
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::unauthorized, "");
    http::request_header<> head;
    BOOST_REQUIRE(attach(a, head, up).has_value());
    file.write("ya29.GOOD");
    std::this_thread::sleep_for(1100ms);  // past the back-off
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> again;
    BOOST_TEST(!attach(a, again, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST(up.seen[1][http::field::authorization] == "Bearer ya29.GOOD");
    BOOST_TEST(again[session_header] == "Actifio S1");
}

// ---- a service account (§3.7 Method #1) ----------------------------------------------

// The JWT bearer grant: form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
// and an RS256 assertion signed by the key (iss = client_email, aud = the token
// endpoint), then POST session with the access token.
BOOST_AUTO_TEST_CASE(service_account_assertion_then_session)
{
    const auto b = sa_backend("http://bdr.example:8080/oauth2/v4/token");
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> head;
    BOOST_TEST(!attach(a, head, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 2u);

    const auto& grant = up.seen[0];
    BOOST_TEST((grant.method() == http::verb::post));
    BOOST_TEST(grant.target() == "/oauth2/v4/token");  // the key file's token_uri, on the backend's host
    BOOST_TEST(grant[http::field::content_type] == "application/x-www-form-urlencoded");
    BOOST_TEST(grant[http::field::authorization].empty());
    BOOST_TEST(form_field(grant.body(), "grant_type") == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
    const auto assertion = form_field(grant.body(), "assertion");
    BOOST_TEST(bg::jwt::verify_rs256(assertion, rsa_key().public_pem));
    const auto claims = bg::jwt::decode_claims(assertion);
    BOOST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->at("iss").as_string() == client_email);
    BOOST_TEST(claims->at("aud").as_string() == "http://bdr.example:8080/oauth2/v4/token");
    BOOST_TEST(claims->at("scope").as_string() == "https://www.googleapis.com/auth/cloud-platform");
    BOOST_TEST(claims->at("exp").as_int64() - claims->at("iat").as_int64() == 3600);

    BOOST_TEST(is_session_post(up.seen[1]));
    BOOST_TEST(up.seen[1][http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(head[http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(head[session_header] == "Actifio S1");
}

// Google's token endpoint is another origin: the adapter names it
// (auxiliary_origin(), the core keeps a pool for it) and sends the grant
// through upstream_client::auxiliary(), the session to the backend.
BOOST_AUTO_TEST_CASE(a_token_endpoint_on_another_origin_is_reached_through_the_auxiliary_client)
{
    BOOST_TEST(check(sa_backend("https://oauth2.googleapis.com/token")).empty());
    BOOST_TEST(!bg::adapters::backupdr_adapter(sa_backend()).auxiliary_origin().has_value());
    auto other_port = sa_backend();
    set_option(other_port, "token_uri", "http://bdr.example:9090/token");
    BOOST_TEST(bg::adapters::backupdr_adapter(other_port).auxiliary_origin().value_or("") == "http://bdr.example:9090");

    const auto b = sa_backend("https://oauth2.googleapis.com/token");
    bg::adapters::backupdr_adapter a(b);
    BOOST_TEST(a.auxiliary_origin().value_or("") == "https://oauth2.googleapis.com:443");
    scripted_upstream google;
    google.answer(http::status::ok, token_answer("ya29.google"));
    scripted_upstream up;
    up.aux = &google;
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> head;
    BOOST_TEST(!attach(a, head, up).has_value());
    BOOST_REQUIRE(google.seen.size() == 1u);
    BOOST_TEST(google.seen[0].target() == "/token");
    const auto claims = bg::jwt::decode_claims(form_field(google.seen[0].body(), "assertion"));
    BOOST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->at("aud").as_string() == "https://oauth2.googleapis.com/token");
    BOOST_REQUIRE(up.seen.size() == 1u);
    BOOST_TEST(is_session_post(up.seen[0]));
    BOOST_TEST(head[http::field::authorization] == "Bearer ya29.google");

    // Without an auxiliary client (a core that has none): fail closed, no send.
    bg::adapters::backupdr_adapter b2(b);
    scripted_upstream alone;
    http::request_header<> head2;
    const auto e = attach(b2, head2, alone);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->detail.find("oauth2.googleapis.com") != std::string::npos);
    BOOST_TEST(alone.seen.empty());
}

BOOST_AUTO_TEST_CASE(token_uri_and_scope_options_win)
{
    auto b = sa_backend("https://oauth2.googleapis.com/token");
    set_option(b, "token_uri", "http://bdr.example:8080/token");
    set_option(b, "scope", "https://www.googleapis.com/auth/cloud-platform.read-only");
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> head;
    BOOST_TEST(!attach(a, head, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST(up.seen[0].target() == "/token");
    const auto claims = bg::jwt::decode_claims(form_field(up.seen[0].body(), "assertion"));
    BOOST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->at("aud").as_string() == "http://bdr.example:8080/token");
    BOOST_TEST(claims->at("scope").as_string() == "https://www.googleapis.com/auth/cloud-platform.read-only");
}

// §3.5: an upstream 401 drops the session it carried (not a newer one); the
// next attach opens another with the bearer token it has.
BOOST_AUTO_TEST_CASE(a_401_drops_the_session_and_the_next_attach_opens_another)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());

    http::request_header<> stale;
    stale.set(http::field::authorization, "Bearer ya29.sa-1");
    stale.set(session_header, "Actifio S0");  // not the current session: nothing to forget
    a.credentials_rejected(stale);
    http::request_header<> still;
    BOOST_TEST(!attach(a, still, up).has_value());
    BOOST_TEST(up.seen.size() == 2u);
    BOOST_TEST(still[session_header] == "Actifio S1");

    a.credentials_rejected(first);
    up.answer(http::status::ok, session_answer("S2"));
    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 3u);
    BOOST_TEST(is_session_post(up.seen[2]));
    BOOST_TEST(up.seen[2][http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(second[http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(second[session_header] == "Actifio S2");
}

// §3.5: POST session answering 401 means the bearer token is invalid or
// expired: a new assertion, a new token, and POST session once more.
BOOST_AUTO_TEST_CASE(a_401_on_post_session_gets_a_new_token_then_a_session)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());
    a.credentials_rejected(first);

    up.answer(http::status::unauthorized, "");
    up.answer(http::status::ok, token_answer("ya29.sa-2"));
    up.answer(http::status::ok, session_answer("S2"));
    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 5u);
    BOOST_TEST(is_session_post(up.seen[2]));
    BOOST_TEST(up.seen[2][http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(up.seen[3].target() == "/token");
    BOOST_TEST(bg::jwt::verify_rs256(form_field(up.seen[3].body(), "assertion"), rsa_key().public_pem));
    BOOST_TEST(is_session_post(up.seen[4]));
    BOOST_TEST(up.seen[4][http::field::authorization] == "Bearer ya29.sa-2");
    BOOST_TEST(second[http::field::authorization] == "Bearer ya29.sa-2");
    BOOST_TEST(second[session_header] == "Actifio S2");
}

// A second 401 from POST session with the new token fails closed: 502
// upstream-auth-failed carrying 401, without a token, the assertion or the key.
BOOST_AUTO_TEST_CASE(a_session_refused_twice_fails_closed_without_secrets)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());
    a.credentials_rejected(first);

    up.answer(http::status::unauthorized, "");
    up.answer(http::status::ok, token_answer("ya29.sa-2"));
    up.answer(http::status::unauthorized, "");
    http::request_header<> second;
    const auto e = attach(a, second, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(up.seen.size() == 5u);  // no third session attempt
    BOOST_TEST((e->code == bg::errc::upstream_auth_failed));
    BOOST_TEST(e->upstream_status.value_or(0) == 401u);
    const auto doc = bg::render_problem(*e, "backupdr", "rid");
    const auto assertion = form_field(up.seen[3].body(), "assertion");
    for (const std::string& secret : {std::string("ya29.sa-1"), std::string("ya29.sa-2"), assertion, key_fragment()}) {
        BOOST_TEST(doc.find(secret) == std::string::npos);
        BOOST_TEST(e->detail.find(secret) == std::string::npos);
    }
    BOOST_TEST(second[session_header].empty());
}

// A refused assertion (Google answers 400 invalid_grant) is upstream-auth-failed
// with the vendor's status and body, and no secret.
BOOST_AUTO_TEST_CASE(a_refused_assertion_is_an_upstream_auth_failure_without_secrets)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::bad_request, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})");
    http::request_header<> head;
    const auto e = attach(a, head, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST((e->code == bg::errc::upstream_auth_failed));
    BOOST_TEST(e->upstream_status.value_or(0) == 400u);
    const auto doc = bg::render_problem(*e, "backupdr", "rid");
    BOOST_TEST(doc.find("invalid_grant") != std::string::npos);
    BOOST_TEST(doc.find(key_fragment()) == std::string::npos);
    BOOST_TEST(doc.find(form_field(up.seen[0].body(), "assertion")) == std::string::npos);
    BOOST_TEST(up.seen.size() == 1u);  // no session without a token

    http::request_header<> again;  // within the back-off: the same failure, no new call
    BOOST_TEST(attach(a, again, up).has_value());
    BOOST_TEST(up.seen.size() == 1u);
}

// 80% into the token's lifetime one request renews it; the session goes on
// (the simulator's and §3.7's session belongs to the user, not to one token).
BOOST_AUTO_TEST_CASE(an_ageing_token_is_renewed_on_the_same_session)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.short", 2));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> first;
    BOOST_TEST(!attach(a, first, up).has_value());
    std::this_thread::sleep_for(1650ms);  // past 1.6 s (80%), before 1.8 s (expiry less a tenth)
    up.answer(http::status::ok, token_answer("ya29.renewed"));
    http::request_header<> second;
    BOOST_TEST(!attach(a, second, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 3u);
    BOOST_TEST(up.seen[2].target() == "/token");
    BOOST_TEST(second[http::field::authorization] == "Bearer ya29.renewed");
    BOOST_TEST(second[session_header] == "Actifio S1");
}

// ---- idle expiry and logout (§3.7) ----------------------------------------------------

// "session ids expire after 1 hour of inactivity" (here options.session_idle: 1 s):
// each use extends the session, except one with Actifio-No-Session-Refresh: true;
// an idle-expired session is never sent, nor logged out.
BOOST_AUTO_TEST_CASE(an_idle_session_is_replaced_and_use_extends_it)
{
    token_file file("ya29.A");
    auto b = file_backend(file.path());
    set_option(b, "session_idle", "1");
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> h1;
    BOOST_TEST(!attach(a, h1, up).has_value());
    std::this_thread::sleep_for(500ms);
    http::request_header<> h2;
    BOOST_TEST(!attach(a, h2, up).has_value());  // used at 0.5 s: live until 1.4 s (less the margin)
    std::this_thread::sleep_for(500ms);
    http::request_header<> h3;
    h3.set("Actifio-No-Session-Refresh", "TRUE");
    BOOST_TEST(!attach(a, h3, up).has_value());  // 1.0 s: still S1, not extended
    BOOST_TEST(h3[session_header] == "Actifio S1");
    BOOST_TEST(up.seen.size() == 1u);
    std::this_thread::sleep_for(500ms);  // 1.5 s: idle since 0.5 s

    scripted_upstream none;
    bg::test::logout(a, none);  // nothing to end: the session is idle-expired
    BOOST_TEST(none.seen.empty());

    up.answer(http::status::ok, session_answer("S2"));
    http::request_header<> h4;
    BOOST_TEST(!attach(a, h4, up).has_value());
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST(is_session_post(up.seen[1]));
    BOOST_TEST(h4[session_header] == "Actifio S2");
}

// "DELETE .../session/current" with the session header (and the bearer token, §3.7).
BOOST_AUTO_TEST_CASE(logout_deletes_the_current_session_with_both_headers)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    up.answer(http::status::ok, token_answer("ya29.sa-1"));
    up.answer(http::status::ok, session_answer("S1"));
    http::request_header<> head;
    BOOST_TEST(!attach(a, head, up).has_value());
    up.answer(http::status::no_content, "");
    bg::test::logout(a, up);
    BOOST_REQUIRE(up.seen.size() == 3u);
    BOOST_TEST((up.seen[2].method() == http::verb::delete_));
    BOOST_TEST(up.seen[2].target() == "/actifio/session/current");
    BOOST_TEST(up.seen[2][http::field::authorization] == "Bearer ya29.sa-1");
    BOOST_TEST(up.seen[2][session_header] == "Actifio S1");

    bg::test::logout(a, up);  // once is enough
    BOOST_TEST(up.seen.size() == 3u);
}

BOOST_AUTO_TEST_CASE(logout_without_a_session_sends_nothing)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream up;
    bg::test::logout(a, up);
    BOOST_TEST(up.seen.empty());
}

// ---- one login at a time -------------------------------------------------------------

namespace {

// The scripted upstream, answering after a delay so that requests overlap.
class slow_upstream final : public bg::adapters::upstream_client {
public:
    explicit slow_upstream(scripted_upstream& inner) : inner_(inner) {}
    bg::adapters::awaitable<bg::adapters::upstream_result> send(http::request<http::string_body>& req) override
    {
        asio::steady_timer t(co_await asio::this_coro::executor, 30ms);
        co_await t.async_wait(asio::use_awaitable);
        co_return co_await inner_.send(req);
    }

private:
    scripted_upstream& inner_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(concurrent_first_requests_share_one_token_and_one_session)
{
    const auto b = sa_backend();
    bg::adapters::backupdr_adapter a(b);
    scripted_upstream script;
    script.answer(http::status::ok, token_answer("ya29.sa-1"));
    script.answer(http::status::ok, session_answer("S1"));
    slow_upstream up(script);
    asio::io_context io;
    int ok = 0;
    std::set<std::string> sessions;
    for (int i = 0; i < 100; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                http::request_header<> head;
                auto err = co_await a.attach_credentials(head, nullptr, up);
                if (err)
                    co_return;
                ++ok;
                sessions.insert(std::string(head[session_header]) + " " +
                                std::string(head[http::field::authorization]));
            },
            asio::detached);
    io.run();
    BOOST_TEST(ok == 100);
    BOOST_REQUIRE(script.seen.size() == 2u);  // one assertion, one POST session
    BOOST_TEST(script.seen[0].target() == "/token");
    BOOST_TEST(is_session_post(script.seen[1]));
    BOOST_TEST(sessions.size() == 1u);
    BOOST_TEST(*sessions.begin() == "Actifio S1 Bearer ya29.sa-1");
    BOOST_TEST(a.logins_led() == 1u);
}
