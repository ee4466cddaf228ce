// The veeam-aws adapter's dialect against a scripted upstream, in process
// (veeam-aws-rest-api-overview.txt, "Authorization in REST API": Example
// [Password], Example [MFA], "Using Refresh Token", "Performing Logout").
#define BOOST_TEST_MODULE veeam_adapter
#include <boost/test/unit_test.hpp>

#include "adapters/common/totp.hpp"
#include "adapters/veeam/veeam_adapter.hpp"
#include "tests/unit/scripted_upstream.hpp"

namespace http = boost::beast::http;
using bg::test::attach;
using bg::test::form_field;
using bg::test::scripted_upstream;

namespace {

constexpr const char* tokens_1 =
    R"({"access_token":"acc-1","token_type":"bearer","refresh_token":"ref-1","expires_in":3600})";

bg::config::backend veeam_backend(bool mfa)
{
    bg::config::backend b;
    b.name = "veeam";
    b.type = "veeam-aws";
    b.url = {"https", "veeam.example", 11005, "/api/v1"};
    b.api_version = "1.7-rev0";
    b.credentials["username"] = {"administrator", {"backends[0].credentials.username", 7}, true};
    b.credentials["password"] = {"Password1", {"backends[0].credentials.password", 8}, true};
    if (mfa)
        b.credentials["mfa_secret"] = {"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", {"backends[0].credentials.mfa_secret", 9}, true};
    return b;
}

}  // namespace

// Example [Password]: grant_type=password&username=...&password=..., with
// x-api-version on the token request too; the access token goes in Bearer.
BOOST_AUTO_TEST_CASE(password_grant_then_bearer_and_api_version_on_every_call)
{
    const auto b = veeam_backend(false);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::ok, tokens_1);
    http::request_header<> head;
    veeam.build_request(head);
    BOOST_TEST(!attach(veeam, head, up).has_value());
    BOOST_TEST(head[http::field::authorization] == "Bearer acc-1");
    BOOST_TEST(head["x-api-version"] == "1.7-rev0");
    BOOST_REQUIRE(up.seen.size() == 1u);
    const auto& login = up.seen[0];
    BOOST_TEST(login.target() == "/api/v1/token");
    BOOST_TEST(login["x-api-version"] == "1.7-rev0");
    BOOST_TEST(login[http::field::content_type] == "application/x-www-form-urlencoded");
    BOOST_TEST(form_field(login.body(), "grant_type") == "password");
    BOOST_TEST(form_field(login.body(), "username") == "administrator");
    BOOST_TEST(form_field(login.body(), "password") == "Password1");
}

// Example [MFA]: the password grant answers {mfa_enabled, mfa_token}; the mfa
// grant sends mfa_token and the six-digit mfa_code of the authenticator.
BOOST_AUTO_TEST_CASE(mfa_user_gets_tokens_through_the_mfa_grant)
{
    const auto b = veeam_backend(true);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::ok, R"({"mfa_enabled":true,"mfa_token":"MFA+TOKEN=="})");
    up.answer(http::status::ok, tokens_1);
    http::request_header<> head;
    BOOST_TEST(!attach(veeam, head, up).has_value());
    BOOST_TEST(head[http::field::authorization] == "Bearer acc-1");
    BOOST_REQUIRE(up.seen.size() == 2u);
    const auto& mfa = up.seen[1];
    BOOST_TEST(form_field(mfa.body(), "grant_type") == "mfa");
    BOOST_TEST(form_field(mfa.body(), "mfa_token") == "MFA%2BTOKEN%3D%3D");  // form-encoded as sent
    const auto code = form_field(mfa.body(), "mfa_code");
    BOOST_TEST(code.size() == 6u);
    const auto secret = bg::totp::decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").value();
    const auto now = std::chrono::system_clock::now();
    const bool current_or_previous_step = code == bg::totp::code(secret, now) ||
                                          code == bg::totp::code(secret, now - std::chrono::seconds(30));
    BOOST_TEST(current_or_previous_step);
}

BOOST_AUTO_TEST_CASE(mfa_without_a_configured_secret_fails_closed)
{
    const auto b = veeam_backend(false);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::ok, R"({"mfa_enabled":true,"mfa_token":"abc"})");
    http::request_header<> head;
    const auto e = attach(veeam, head, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST((e->code == bg::errc::upstream_auth_failed));
    BOOST_TEST(e->detail.find("mfa_secret") != std::string::npos);
    BOOST_TEST(head[http::field::authorization].empty());
}

// "Using Refresh Token": grant_type=refresh_token&refresh_token=...; a refused
// refresh token ("If you lose the refresh token, you can log in again") falls
// back to the password grant.
BOOST_AUTO_TEST_CASE(refresh_grant_then_password_when_refused)
{
    const auto b = veeam_backend(false);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::ok, tokens_1);
    http::request_header<> first;
    BOOST_TEST(!attach(veeam, first, up).has_value());
    veeam.credentials_rejected(first);
    up.answer(http::status::ok, R"({"access_token":"acc-2","refresh_token":"ref-2","expires_in":3600})");
    http::request_header<> second;
    BOOST_TEST(!attach(veeam, second, up).has_value());
    BOOST_TEST(second[http::field::authorization] == "Bearer acc-2");
    BOOST_TEST(form_field(up.seen[1].body(), "grant_type") == "refresh_token");
    BOOST_TEST(form_field(up.seen[1].body(), "refresh_token") == "ref-1");

    veeam.credentials_rejected(second);
    up.answer(http::status::unauthorized, R"({"title":"Unauthorized","status":401,"errorCode":"AccessDenied"})");
    up.answer(http::status::ok, R"({"access_token":"acc-3","refresh_token":"ref-3","expires_in":3600})");
    http::request_header<> third;
    BOOST_TEST(!attach(veeam, third, up).has_value());
    BOOST_TEST(third[http::field::authorization] == "Bearer acc-3");
    BOOST_TEST(form_field(up.seen[3].body(), "grant_type") == "password");
}

// "Performing Logout": DELETE token with the current access token and x-api-version.
BOOST_AUTO_TEST_CASE(logout_deletes_the_token)
{
    const auto b = veeam_backend(false);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::ok, tokens_1);
    http::request_header<> head;
    BOOST_TEST(!attach(veeam, head, up).has_value());
    up.answer(http::status::no_content, "");
    bg::test::logout(veeam, up);
    BOOST_REQUIRE(up.seen.size() == 2u);
    BOOST_TEST((up.seen[1].method() == http::verb::delete_));
    BOOST_TEST(up.seen[1].target() == "/api/v1/token");
    BOOST_TEST(up.seen[1][http::field::authorization] == "Bearer acc-1");
    BOOST_TEST(up.seen[1]["x-api-version"] == "1.7-rev0");
}

BOOST_AUTO_TEST_CASE(a_refused_password_is_an_upstream_auth_failure_without_secrets)
{
    const auto b = veeam_backend(false);
    bg::adapters::veeam_adapter veeam(b);
    scripted_upstream up;
    up.answer(http::status::unauthorized,
              R"({"title":"Unauthorized","status":401,"errorCode":"AccessDenied","details":"Invalid credentials"})");
    http::request_header<> head;
    const auto e = attach(veeam, head, up);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->upstream_status.value_or(0) == 401u);
    const auto doc = bg::render_problem(*e, "veeam", "rid");
    BOOST_TEST(doc.find("AccessDenied") != std::string::npos);
    BOOST_TEST(doc.find("Password1") == std::string::npos);
}
