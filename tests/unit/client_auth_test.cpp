#define BOOST_TEST_MODULE client_auth
#include <boost/test/unit_test.hpp>

#include "gateway/client_auth.hpp"

#include <string>
#include <vector>

namespace http = boost::beast::http;
namespace cfg = bg::config;

namespace {

cfg::client make_client(std::string name, const std::string& key, std::vector<std::string> backends)
{
    cfg::client c;
    c.name = std::move(name);
    c.api_key_sha256 = cfg::sha256(key);
    c.backends = std::move(backends);
    return c;
}

// Three principals: alice may reach everything, bob two backends, carol one.
const bg::client_auth& auth()
{
    static const bg::client_auth a{std::vector<cfg::client>{
        make_client("alice", "key-alice", {"*"}),
        make_client("bob", "key-bob", {"cpm", "veeam"}),
        make_client("carol", "key-carol", {"cloudbasic"}),
    }};
    return a;
}

http::fields with_bearer(const std::string& value)
{
    http::fields f;
    f.set(http::field::authorization, value);
    return f;
}

http::fields with_api_key(const std::string& value)
{
    http::fields f;
    f.set("X-API-Key", value);
    return f;
}

// The principal's name, or "" when refused.
std::string who(const http::fields& headers)
{
    auto result = auth().authenticate(headers);
    if (const auto* p = std::get_if<const bg::principal*>(&result))
        return (*p)->name;
    return {};
}

// The refusal (the test fails when the request was admitted).
bg::gateway_error refusal(const http::fields& headers)
{
    auto result = auth().authenticate(headers);
    BOOST_REQUIRE(std::holds_alternative<bg::gateway_error>(result));
    return std::get<bg::gateway_error>(result);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bearer)

BOOST_AUTO_TEST_CASE(a_known_key_names_its_principal)
{
    BOOST_TEST(who(with_bearer("Bearer key-alice")) == "alice");
    BOOST_TEST(who(with_bearer("Bearer key-bob")) == "bob");
    BOOST_TEST(who(with_bearer("Bearer key-carol")) == "carol");
}

BOOST_AUTO_TEST_CASE(the_scheme_is_case_insensitive)
{
    BOOST_TEST(who(with_bearer("bearer key-bob")) == "bob");
    BOOST_TEST(who(with_bearer("BEARER key-bob")) == "bob");
    BOOST_TEST(who(with_bearer("bEaReR key-bob")) == "bob");
}

BOOST_AUTO_TEST_CASE(extra_spaces_after_the_scheme_are_skipped)
{
    BOOST_TEST(who(with_bearer("Bearer    key-bob")) == "bob");
}

BOOST_AUTO_TEST_CASE(the_key_itself_is_case_sensitive)
{
    const auto e = refusal(with_bearer("Bearer KEY-BOB"));
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(bg::errc::unauthorized));
}

BOOST_AUTO_TEST_CASE(another_scheme_is_not_a_key)
{
    // "Basic key-bob" must not be read as the key "key-bob" (nor "Bearerkey-bob").
    BOOST_TEST(who(with_bearer("Basic key-bob")).empty());
    BOOST_TEST(who(with_bearer("Bearerkey-bob")).empty());
    BOOST_TEST(who(with_bearer("key-bob")).empty());
}

BOOST_AUTO_TEST_CASE(an_empty_bearer_is_refused)
{
    BOOST_TEST(who(with_bearer("Bearer")).empty());
    BOOST_TEST(who(with_bearer("Bearer ")).empty());
    BOOST_TEST(who(with_bearer("Bearer    ")).empty());
    BOOST_TEST(who(with_bearer("")).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_key_header)

BOOST_AUTO_TEST_CASE(a_known_key_names_its_principal)
{
    BOOST_TEST(who(with_api_key("key-carol")) == "carol");
}

BOOST_AUTO_TEST_CASE(the_header_name_is_case_insensitive)
{
    http::fields f;
    f.set("x-api-key", "key-alice");
    BOOST_TEST(who(f) == "alice");
}

BOOST_AUTO_TEST_CASE(an_empty_key_is_refused)
{
    const auto e = refusal(with_api_key(""));
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(bg::errc::unauthorized));
    BOOST_TEST(e.detail.find("X-API-Key") != std::string::npos);  // says how to send a key
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(both_headers)

BOOST_AUTO_TEST_CASE(the_same_key_twice_is_fine)
{
    auto f = with_bearer("Bearer key-bob");
    f.set("X-API-Key", "key-bob");
    BOOST_TEST(who(f) == "bob");
}

BOOST_AUTO_TEST_CASE(two_different_keys_are_refused_even_when_both_are_valid)
{
    auto f = with_bearer("Bearer key-bob");
    f.set("X-API-Key", "key-alice");
    const auto e = refusal(f);
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(bg::errc::unauthorized));
    BOOST_TEST(e.detail.find("different") != std::string::npos);
    BOOST_TEST(bg::status_of(e.code) == 401u);
}

BOOST_AUTO_TEST_CASE(presented_key_reports_the_conflict)
{
    auto f = with_bearer("bearer one");
    f.set("X-API-Key", "two");
    bool conflicting = false;
    const auto key = bg::client_auth::presented_key(f, conflicting);
    BOOST_TEST(conflicting);
    BOOST_TEST(key == "one");

    auto same = with_bearer("Bearer one");
    same.set("X-API-Key", "one");
    BOOST_TEST(bg::client_auth::presented_key(same, conflicting) == "one");
    BOOST_TEST(!conflicting);
}

BOOST_AUTO_TEST_CASE(an_empty_bearer_falls_back_to_the_api_key)
{
    auto f = with_bearer("Bearer ");
    f.set("X-API-Key", "key-carol");
    BOOST_TEST(who(f) == "carol");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(no_key_at_all)
{
    const auto e = refusal(http::fields{});
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(bg::errc::unauthorized));
    BOOST_TEST(bg::status_of(e.code) == 401u);
    BOOST_TEST(e.detail.find("Bearer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_key)
{
    const auto e = refusal(with_bearer("Bearer key-mallory"));
    BOOST_TEST(static_cast<int>(e.code) == static_cast<int>(bg::errc::unauthorized));
    BOOST_TEST(e.detail == "the API key is not valid");
    // The detail never repeats what was presented.
    BOOST_TEST(e.detail.find("mallory") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_prefix_or_extension_of_a_key_is_unknown)
{
    BOOST_TEST(who(with_api_key("key-bo")).empty());
    BOOST_TEST(who(with_api_key("key-bobb")).empty());
    BOOST_TEST(who(with_api_key("xkey-bob")).empty());
    BOOST_TEST(who(with_api_key("key-bob\x01")).empty());
}

BOOST_AUTO_TEST_CASE(no_clients_configured_refuses_everyone)
{
    const bg::client_auth none{std::vector<cfg::client>{}};
    auto result = none.authenticate(with_bearer("Bearer key-alice"));
    BOOST_TEST(std::holds_alternative<bg::gateway_error>(result));
}

BOOST_AUTO_TEST_CASE(the_challenge_is_a_bearer_challenge)
{
    BOOST_TEST(bg::www_authenticate_challenge.substr(0, 7) == "Bearer ");
    BOOST_TEST(bg::www_authenticate_challenge.find("realm=") != std::string_view::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backends)

BOOST_AUTO_TEST_CASE(a_listed_backend_is_reachable_and_others_are_not)
{
    auto result = auth().authenticate(with_bearer("Bearer key-bob"));
    const auto* bob = std::get<const bg::principal*>(result);
    BOOST_TEST(bob->may_reach("cpm"));
    BOOST_TEST(bob->may_reach("veeam"));
    BOOST_TEST(!bob->may_reach("cloudbasic"));
    BOOST_TEST(!bob->may_reach(""));
    // Names are compared exactly.
    BOOST_TEST(!bob->may_reach("CPM"));
    BOOST_TEST(!bob->may_reach("cpm2"));
    BOOST_TEST(!bob->may_reach("cp"));
}

BOOST_AUTO_TEST_CASE(star_reaches_every_backend)
{
    auto result = auth().authenticate(with_bearer("Bearer key-alice"));
    const auto* alice = std::get<const bg::principal*>(result);
    BOOST_TEST(alice->may_reach("cpm"));
    BOOST_TEST(alice->may_reach("anything-at-all"));
}

BOOST_AUTO_TEST_CASE(a_principal_with_no_backends_reaches_none)
{
    const bg::principal nobody{"nobody", {}};
    BOOST_TEST(!nobody.may_reach("cpm"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(constant_time_scan)

// Every entry is compared with no early exit; behaviourally, the key at any
// position (first, middle, last) of a long list still names its own principal.
BOOST_AUTO_TEST_CASE(every_position_in_a_long_list_is_found)
{
    std::vector<cfg::client> clients;
    for (int i = 0; i < 50; ++i)
        clients.push_back(make_client("p" + std::to_string(i), "k" + std::to_string(i), {"b" + std::to_string(i)}));
    const bg::client_auth many{clients};
    for (int i : {0, 1, 24, 48, 49}) {
        auto result = many.authenticate(with_api_key("k" + std::to_string(i)));
        BOOST_REQUIRE(std::holds_alternative<const bg::principal*>(result));
        const auto* p = std::get<const bg::principal*>(result);
        BOOST_TEST(p->name == "p" + std::to_string(i));
        BOOST_TEST(p->may_reach("b" + std::to_string(i)));
        BOOST_TEST(!p->may_reach("b" + std::to_string(i == 0 ? 1 : 0)));
    }
    BOOST_TEST(std::holds_alternative<bg::gateway_error>(many.authenticate(with_api_key("k50"))));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(remembered_key)

std::string who_with(const http::fields& headers, bg::client_auth::remembered_key& memo)
{
    auto result = auth().authenticate(headers, memo);
    if (auto* p = std::get_if<const bg::principal*>(&result))
        return (*p)->name;
    return {};
}

// A connection's later requests with the same key name the same principal;
// any other key is checked afresh, whatever the connection presented before.
BOOST_AUTO_TEST_CASE(the_same_key_again_names_the_same_principal)
{
    bg::client_auth::remembered_key memo;
    BOOST_TEST(who_with(with_bearer("Bearer key-bob"), memo) == "bob");
    BOOST_TEST(who_with(with_bearer("Bearer key-bob"), memo) == "bob");
    BOOST_TEST(who_with(with_api_key("key-bob"), memo) == "bob");
}

BOOST_AUTO_TEST_CASE(another_key_after_a_remembered_one_is_checked_afresh)
{
    bg::client_auth::remembered_key memo;
    BOOST_TEST(who_with(with_bearer("Bearer key-alice"), memo) == "alice");
    BOOST_TEST(who_with(with_bearer("Bearer key-carol"), memo) == "carol");  // switches
    BOOST_TEST(who_with(with_bearer("Bearer key-alicf"), memo).empty());     // same length, not the key
    BOOST_TEST(who_with(with_bearer("Bearer key-alic"), memo).empty());      // a prefix of it
    BOOST_TEST(who_with(with_bearer("Bearer key-carol"), memo) == "carol");
    BOOST_TEST(who_with(with_bearer("Bearer key-carolx"), memo).empty());
}

BOOST_AUTO_TEST_CASE(the_checks_before_the_key_still_apply)
{
    bg::client_auth::remembered_key memo;
    BOOST_TEST(who_with(with_bearer("Bearer key-bob"), memo) == "bob");
    http::fields both = with_bearer("Bearer key-bob");
    both.set("X-API-Key", "key-alice");
    BOOST_TEST(who_with(both, memo).empty());  // two different keys: refused, remembered or not
    BOOST_TEST(who_with(http::fields{}, memo).empty());
    BOOST_TEST(who_with(with_bearer("Basic key-bob"), memo).empty());
}

BOOST_AUTO_TEST_CASE(a_forgotten_key_is_checked_again)
{
    bg::client_auth::remembered_key memo;
    BOOST_TEST(who_with(with_bearer("Bearer key-bob"), memo) == "bob");
    memo.forget();
    BOOST_TEST(who_with(with_bearer("Bearer key-bob"), memo) == "bob");
    BOOST_TEST(who_with(with_bearer("Bearer key-bobb"), memo).empty());
}

BOOST_AUTO_TEST_SUITE_END()
