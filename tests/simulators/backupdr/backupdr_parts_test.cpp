// The simulator's pure parts, step by step: base64url and RS256 against RFC
// 7515's published example (Appendix A.2), and the list-query parser against
// the document's section 5.2 rules.
#define BOOST_TEST_MODULE backupdr_parts
#include <boost/test/unit_test.hpp>

#include "tests/simulators/backupdr/jwt.hpp"
#include "tests/simulators/backupdr/list_query.hpp"
#include "tests/simulators/backupdr/schema.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace {

using namespace sim::backupdr;
namespace json = boost::json;

// RFC 7515 Appendix A.2: the RSA public key (JWK "n", "e") and the RS256 JWS.
constexpr std::string_view a2_n =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pC"
    "gNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg6"
    "65xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRW"
    "yuXpoQ";
constexpr std::string_view a2_e = "AQAB";
constexpr std::string_view a2_signing_input =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::string_view a2_signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t"
    "1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12j"
    "zDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQ"
    "Ge77Rw";

struct bn_free {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

bn_ptr big_endian(std::string_view b64url) {
    const std::string bytes = base64url_decode(b64url).value();
    return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                            nullptr));
}

pkey_ptr a2_public_key() {
    bn_ptr n = big_endian(a2_n), e = big_endian(a2_e);
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    BOOST_REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) == 1);
    BOOST_REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) == 1);
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                   &OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr),
                                                                    &EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    BOOST_REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
    BOOST_REQUIRE(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) == 1);
    return pkey_ptr(key);
}

const resource_schema& schema(std::string_view name) { return *find_schema(name); }

outcome<list_query> parse(std::string_view query, std::string_view resource = "application") {
    return parse_list_query(boost::urls::params_view(query), schema(resource), list_use::page);
}

}  // namespace

// RFC 4648 section 5 without padding, as JWS uses it (RFC 7515 section 2).
BOOST_AUTO_TEST_CASE(base64url_decodes_the_url_alphabet_without_padding) {
    BOOST_CHECK_EQUAL(base64url_decode("").value(), "");
    BOOST_CHECK_EQUAL(base64url_decode("QQ").value(), "A");
    BOOST_CHECK_EQUAL(base64url_decode("QUI").value(), "AB");
    BOOST_CHECK_EQUAL(base64url_decode("eyJhbGciOiJSUzI1NiJ9").value(), R"({"alg":"RS256"})");
    BOOST_CHECK_EQUAL(base64url_decode("-_8").value(), "\xfb\xff");
    BOOST_CHECK(!base64url_decode("QQ=="));  // padding
    BOOST_CHECK(!base64url_decode("+/8"));   // the standard alphabet
    BOOST_CHECK(!base64url_decode("Q"));     // no whole byte
    BOOST_CHECK(!base64url_decode("QU I"));
}

// RFC 7515 Appendix A.2: the example RS256 signature verifies under its key,
// and not once a byte of the input or the signature changes.
BOOST_AUTO_TEST_CASE(verify_rs256_accepts_rfc7515_a2_and_nothing_else) {
    auto key = a2_public_key();
    const std::string sig = base64url_decode(a2_signature).value();
    BOOST_CHECK(verify_rs256(*key, a2_signing_input, sig));
    std::string input(a2_signing_input);
    input.back() = 'R';  // it was 'Q'
    BOOST_CHECK(!verify_rs256(*key, input, sig));
    std::string bad = sig;
    bad[10] = static_cast<char>(bad[10] ^ 1);
    BOOST_CHECK(!verify_rs256(*key, a2_signing_input, bad));
    BOOST_CHECK(!verify_rs256(*key, a2_signing_input, sig.substr(1)));
}

// The A.2 token is a valid RS256 JWS but not a Google assertion: its claims
// ({"iss":"joe","exp":1300819380,...}) have no aud, so the claim checks run
// only after the signature passed.
BOOST_AUTO_TEST_CASE(check_assertion_verifies_the_signature_before_the_claims) {
    auto key = a2_public_key();
    const std::string jwt = std::string(a2_signing_input) + "." + std::string(a2_signature);
    assertion_rules rules;
    rules.audiences = {"https://oauth2.googleapis.com/token"};
    const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1300819000));
    auto r = check_assertion(jwt, *key, rules, when);
    BOOST_REQUIRE(std::holds_alternative<grant_error>(r));
    BOOST_CHECK(std::get<grant_error>(r).description.find("audience") != std::string::npos);

    std::string forged = jwt;
    forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
    auto f = check_assertion(forged, *key, rules, when);
    BOOST_REQUIRE(std::holds_alternative<grant_error>(f));
    BOOST_CHECK_EQUAL(std::get<grant_error>(f).description, "Invalid JWT Signature.");
}

// Section 5.2: filter ::= attr_name ":" URLEncode(filter_operator attr_value).
BOOST_AUTO_TEST_CASE(parse_filter_reads_each_operator_for_its_kind_of_attribute) {
    auto exact = parse_filter("jobclasscode:==1", schema("backup"));
    BOOST_REQUIRE(exact);
    BOOST_CHECK(exact->op == filter_op::exact_match);
    BOOST_CHECK(exact->operand == json::value(1));
    auto contains = parse_filter("appname:=|app", schema("application"));
    BOOST_REQUIRE(contains);
    BOOST_CHECK(contains->op == filter_op::contains);
    BOOST_CHECK(contains->operand == json::value("app"));
    BOOST_CHECK(parse_filter("backupdate:>=1714000000000000", schema("backup")));
    BOOST_CHECK(parse_filter("sizeinbytes:<=5", schema("backup")));
    BOOST_CHECK(parse_filter("isvm:=btrue", schema("host")));
    // A value keeps every character, ":" and "=" included ("Characters in attr_value are literal").
    auto literal = parse_filter("description:==a:b==c", schema("host"));
    BOOST_REQUIRE(literal);
    BOOST_CHECK(literal->operand == json::value("a:b==c"));

    BOOST_CHECK(!parse_filter("jobclass:=|snap", schema("backup")));   // contains: strings only, not enums
    BOOST_CHECK(!parse_filter("isvm:==true", schema("host")));         // exact: not booleans
    BOOST_CHECK(!parse_filter("hostname:=bx", schema("host")));        // bitwise_and: booleans only
    BOOST_CHECK(!parse_filter("id:>=1.5", schema("host")));
    BOOST_CHECK(!parse_filter("id:!=1", schema("host")));
    BOOST_CHECK(!parse_filter("id:=", schema("host")));
}

// Section 5.2, "Restrictions": which repetitions of an attribute are allowed.
BOOST_AUTO_TEST_CASE(parse_list_query_allows_a_range_and_a_union_but_no_other_repeat) {
    BOOST_CHECK(parse("filter=id:%3E%3D1&filter=id:%3C%3D9"));
    BOOST_CHECK(parse("filter=id:%3D%3D1&filter=id:%3D%3D2&filter=id:%3D%3D3"));
    BOOST_CHECK(parse("filter=id:%3D%3D1&filter=hostid:%3D%3D2"));
    BOOST_CHECK(!parse("filter=id:%3E%3D1&filter=id:%3E%3D9"));
    BOOST_CHECK(!parse("filter=id:%3E%3D1&filter=id:%3D%3D9"));
    BOOST_CHECK(!parse("filter=appname:%3D%7Ca&filter=appname:%3D%7Cb"));
    auto q = parse("offset=10&limit=20&sort=appname:DESC&keyword=Sql");
    BOOST_REQUIRE(q);
    BOOST_CHECK_EQUAL(q->offset, 10u);
    BOOST_CHECK_EQUAL(q->limit, 20u);
    BOOST_CHECK(q->sort && q->sort->descending && q->sort->attr->name == "appname");
    BOOST_CHECK_EQUAL(q->keywords.at(0), "sql");
    BOOST_CHECK_EQUAL(parse("")->limit, 1000u);  // section 5.1: "It defaults to 1000"
    auto bad = parse("limit=-5");
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().status == boost::beast::http::status::bad_request);
    BOOST_CHECK(bad.error().code == err_code::invalid_query);
}

BOOST_AUTO_TEST_CASE(select_filters_unions_and_sorts) {
    std::vector<json::object> rows = {
        {{"id", 3}, {"appname", "web-app"}, {"managed", true}},
        {{"id", 1}, {"appname", "db"}, {"managed", false}},
        {{"id", 2}, {"appname", "mail-app"}, {"managed", true}},
        {{"id", 4}, {"managed", true}},  // no appname: never matches a filter on it, sorts first
    };
    auto run = [&](std::string_view query) {
        std::vector<const json::object*> items;
        for (const auto& r : rows)
            items.push_back(&r);
        select(items, *parse(query));
        std::vector<std::int64_t> ids;
        for (const auto* i : items)
            ids.push_back(i->at("id").as_int64());
        return ids;
    };
    BOOST_CHECK(run("") == (std::vector<std::int64_t>{3, 1, 2, 4}));  // the given order is kept
    BOOST_CHECK(run("filter=appname:%3D%7Capp&sort=id:ASC") == (std::vector<std::int64_t>{2, 3}));
    BOOST_CHECK(run("filter=id:%3D%3D1&filter=id:%3D%3D4") == (std::vector<std::int64_t>{1, 4}));
    BOOST_CHECK(run("filter=managed:%3Dbtrue&filter=id:%3C%3D3") == (std::vector<std::int64_t>{3, 2}));
    BOOST_CHECK(run("sort=appname:ASC") == (std::vector<std::int64_t>{4, 1, 2, 3}));
    BOOST_CHECK(run("sort=appname:DESC") == (std::vector<std::int64_t>{3, 2, 1, 4}));
    BOOST_CHECK(run("keyword=MAIL&keyword=db") == (std::vector<std::int64_t>{1, 2}));
}
