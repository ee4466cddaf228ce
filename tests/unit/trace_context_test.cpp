// W3C Trace Context's traceparent (https://www.w3.org/TR/trace-context/ §3.2):
// what is valid, and what the gateway makes of it.
#define BOOST_TEST_MODULE trace_context
#include <boost/test/unit_test.hpp>

#include "gateway/trace_context.hpp"

using namespace bg;

namespace {
const std::string example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";  // the spec's own
bool valid(std::string_view v)
{
    traceparent_parts p;
    return parse_traceparent(v, p);
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_specification_s_example_is_joined)
{
    traceparent_parts p;
    BOOST_REQUIRE(parse_traceparent(example, p));
    BOOST_TEST(p.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(p.parent_id == "00f067aa0ba902b7");
    BOOST_TEST(p.flags == "01");
    const auto t = trace_context::from(example);
    BOOST_TEST(t.joined);
    BOOST_TEST(t.trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(t.flags() == "01");
    BOOST_TEST(t.span_id().size() == 16u);
    BOOST_TEST(t.span_id() != "00f067aa0ba902b7");  // the gateway's own span
    BOOST_TEST(t.header() == "00-4bf92f3577b34da6a3ce929d0e0e4736-" + std::string(t.span_id()) + "-01");
    traceparent_parts mine;
    BOOST_TEST(parse_traceparent(t.header(), mine));  // what goes upstream is valid
}

BOOST_AUTO_TEST_CASE(invalid_values_start_a_new_trace)
{
    BOOST_TEST(!valid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // uppercase
    BOOST_TEST(!valid("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // all-zero trace id
    BOOST_TEST(!valid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // all-zero parent id
    BOOST_TEST(!valid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
    BOOST_TEST(!valid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));  // 00 is exactly 55
    BOOST_TEST(!valid("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));  // short trace id
    BOOST_TEST(!valid("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
    BOOST_TEST(!valid(""));
    const auto t = trace_context::from("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
    BOOST_TEST(!t.joined);
    BOOST_TEST(t.trace_id().size() == 32u);
    BOOST_TEST(t.trace_id().find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(t.flags() == "00");
    const auto one = trace_context::from(""), two = trace_context::from("");
    BOOST_TEST(one.trace_id() != two.trace_id());  // a new id each time
}

BOOST_AUTO_TEST_CASE(a_later_version_is_read_for_what_00_defines)
{
    BOOST_TEST(valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    BOOST_TEST(valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later"));
    BOOST_TEST(!valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}
