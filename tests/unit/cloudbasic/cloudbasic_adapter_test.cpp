// The cloudbasic adapter signs what the gateway sends (cloudbasic-rest-api.txt,
// "API Security": AWS Signature Version 4, service cbr, X-Amz-Date and
// X-Amz-Content-Sha256). The expected Authorization is botocore's for the same
// request (tests/unit/common/cbr_vector.py), so this checks the adapter's
// plumbing (which headers, which path and query, which body) end to end.
#define BOOST_TEST_MODULE cloudbasic_adapter
#include <boost/test/unit_test.hpp>

#include "adapters/cloudbasic/cloudbasic_adapter.hpp"

using namespace std::chrono;
namespace http = boost::beast::http;

namespace {

bg::config::backend cloudbasic_backend()
{
    bg::config::backend b;
    b.name = "cloudbasic";
    b.type = "cloudbasic";
    b.url = {"https", "cloudbasic.example.com", 445, "/api"};
    b.credentials["access_key_id"] = {"DJHDYSIRYGJBEETGDQCP", {"backends[0].credentials.access_key_id", 5}, true};
    b.credentials["secret_access_key"] = {"cbrsecret/EXAMPLE+KEY", {"backends[0].credentials.secret_access_key", 6},
                                          true};
    return b;
}

system_clock::time_point leap_day() { return sys_days{2024y / February / 29} + 23h + 59min + 7s; }

http::request_header<> replication_post()
{
    http::request_header<> head;
    head.method(http::verb::post);
    head.target("/api/replications/my%20job?status=active&limit=10");  // as it goes on the wire
    head.set(http::field::host, "cloudbasic.example.com:445");
    head.set(http::field::content_type, "application/json");
    head.set(http::field::content_length, "33");
    return head;
}

}  // namespace

BOOST_AUTO_TEST_CASE(signs_exactly_what_is_sent_as_botocore_does)
{
    const auto b = cloudbasic_backend();
    bg::adapters::cloudbasic_adapter cb(b, [] { return leap_day(); });
    auto head = replication_post();
    const std::string body = R"({"name":"nightly","source":"db1"})";
    BOOST_TEST(!cb.sign(head, &body).has_value());
    BOOST_TEST(head["X-Amz-Date"] == "20240229T235907Z");
    BOOST_TEST(head["X-Amz-Content-Sha256"] == "de886b63c46066a03ab6afdca17a891085cd9bd827ea51a2c612f224d598f33d");
    BOOST_TEST(head[http::field::authorization] ==
               "AWS4-HMAC-SHA256 Credential=DJHDYSIRYGJBEETGDQCP/20240229/us-east-1/cbr/aws4_request, "
               "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, "
               "Signature=8c5f72a28f3e90cc64ba17cee8a817d16a74c3aaf6281c549b3914f4151f3ea0");
}

// A retry signs again: the old signature headers are replaced, not added to.
BOOST_AUTO_TEST_CASE(signing_again_replaces_the_previous_signature)
{
    const auto b = cloudbasic_backend();
    bg::adapters::cloudbasic_adapter cb(b, [] { return leap_day(); });
    auto head = replication_post();
    const std::string body = R"({"name":"nightly","source":"db1"})";
    BOOST_TEST(!cb.sign(head, &body).has_value());
    const std::string first(head[http::field::authorization]);
    BOOST_TEST(!cb.sign(head, &body).has_value());
    BOOST_TEST(head[http::field::authorization] == first);
    BOOST_TEST(std::distance(head.equal_range(http::field::authorization).first,
                             head.equal_range(http::field::authorization).second) == 1);
}

// The core buffers bodies up to buffered_body_limit(); one that streams is
// either chunked (no length: 411) or above options.max_signed_body (413).
BOOST_AUTO_TEST_CASE(a_streamed_body_cannot_be_signed)
{
    const auto b = cloudbasic_backend();
    bg::adapters::cloudbasic_adapter cb(b, [] { return leap_day(); });
    auto head = replication_post();
    head.erase(http::field::content_length);
    head.set(http::field::transfer_encoding, "chunked");
    const auto e = cb.sign(head, nullptr);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(bg::status_of(e->code) == 411u);
    BOOST_TEST(head[http::field::authorization].empty());
}

BOOST_AUTO_TEST_CASE(a_body_above_max_signed_body_is_refused_413)
{
    auto b = cloudbasic_backend();
    BOOST_TEST(bg::adapters::cloudbasic_adapter(b).buffered_body_limit().value_or(0) == std::size_t{8 * 1024 * 1024});
    b.options["max_signed_body"] = {"1KiB", {"backends[0].options.max_signed_body", 9}, false};
    bg::adapters::cloudbasic_adapter cb(b, [] { return leap_day(); });
    BOOST_TEST(cb.buffered_body_limit().value_or(0) == std::size_t{1024});
    auto head = replication_post();
    head.set(http::field::content_length, "4096");
    const auto e = cb.sign(head, nullptr);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(bg::status_of(e->code) == 413u);
    BOOST_TEST(e->detail.find("max_signed_body") != std::string::npos);
    BOOST_TEST(head[http::field::authorization].empty());

    const auto* type = bg::adapters::find_adapter_type("cloudbasic");
    BOOST_REQUIRE(type != nullptr);
    b.options["max_signed_body"] = {"lots", {"backends[0].options.max_signed_body", 9}, false};
    const auto problems = type->check.check(b);
    BOOST_REQUIRE(problems.size() == 1u);
    BOOST_TEST(problems[0].second.find("max_signed_body") == 0u);
}

BOOST_AUTO_TEST_CASE(the_configuration_check_names_what_is_missing)
{
    auto b = cloudbasic_backend();
    b.credentials.erase("secret_access_key");
    const auto* type = bg::adapters::find_adapter_type("cloudbasic");
    BOOST_REQUIRE(type != nullptr);
    const auto problems = type->check.check(b);
    BOOST_REQUIRE(problems.size() == 1u);
    BOOST_TEST(problems[0].second.find("credentials.secret_access_key") != std::string::npos);
}
