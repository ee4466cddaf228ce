#define BOOST_TEST_MODULE route
#include <boost/test/unit_test.hpp>

#include "gateway/http_util.hpp"
#include "gateway/route.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <set>
#include <string>

namespace http = boost::beast::http;

namespace {

bg::route routed(std::string_view target)
{
    auto r = bg::parse_route(target);
    if (auto* e = std::get_if<bg::gateway_error>(&r))
        BOOST_FAIL("'" << target << "' was refused: " << e->detail);
    return std::get<bg::route>(r);
}

// The upstream target for `target` under base path "/api".
std::string upstream(std::string_view target, std::string_view base = "/api")
{
    return bg::upstream_path(base, routed(target));
}

bool refused_as_bad_request(std::string_view target)
{
    auto r = bg::parse_route(target);
    const auto* e = std::get_if<bg::gateway_error>(&r);
    return e && e->code == bg::errc::bad_request && bg::status_of(e->code) == 400;
}

std::string refusal_detail(std::string_view target)
{
    auto r = bg::parse_route(target);
    const auto* e = std::get_if<bg::gateway_error>(&r);
    return e ? e->detail : std::string();
}

bool is_hex_id(const std::string& id)
{
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parse_route)

BOOST_AUTO_TEST_CASE(backend_path_and_query_are_split)
{
    const auto r = routed("/cpm/policies/?page=3&page_size=20");
    BOOST_TEST(r.backend == "cpm");
    BOOST_TEST(r.path == "policies/");
    BOOST_TEST(r.query == "page=3&page_size=20");
    BOOST_TEST(r.has_query);
}

BOOST_AUTO_TEST_CASE(trailing_slashes_are_kept)
{
    BOOST_TEST(routed("/cpm/policies/").path == "policies/");
    BOOST_TEST(routed("/cpm/policies").path == "policies");
    BOOST_TEST(routed("/cpm/a/b//").path == "a/b//");
    BOOST_TEST(upstream("/cpm/policies/") == "/api/policies/");
    BOOST_TEST(upstream("/cpm/policies") == "/api/policies");
}

BOOST_AUTO_TEST_CASE(percent_encoding_is_untouched)
{
    BOOST_TEST(upstream("/cpm/a%2Fb/c%20d/%41?q=%26x%3D1&y=%2e%2e") == "/api/a%2Fb/c%20d/%41?q=%26x%3D1&y=%2e%2e");
    BOOST_TEST(upstream("/cpm/a//b") == "/api/a//b");
    BOOST_TEST(upstream("/cpm/x+y;v=1") == "/api/x+y;v=1");
}

BOOST_AUTO_TEST_CASE(the_query_is_kept_as_sent)
{
    BOOST_TEST(upstream("/cpm/items?b=2&a=1&a=0") == "/api/items?b=2&a=1&a=0");
    // A query may hold what the path may not.
    BOOST_TEST(upstream("/cpm/items?path=../../etc&x=/./") == "/api/items?path=../../etc&x=/./");
}

BOOST_AUTO_TEST_CASE(an_empty_query_keeps_its_question_mark)
{
    const auto r = routed("/cpm/items?");
    BOOST_TEST(r.has_query);
    BOOST_TEST(r.query.empty());
    BOOST_TEST(bg::upstream_path("/api", r) == "/api/items?");
    BOOST_TEST(!routed("/cpm/items").has_query);
}

BOOST_AUTO_TEST_CASE(the_backend_alone_maps_to_the_base_path)
{
    for (auto target : {"/cpm", "/cpm/"}) {
        BOOST_TEST_CONTEXT(target)
        {
            const auto r = routed(target);
            BOOST_TEST(r.backend == "cpm");
            BOOST_TEST(r.path.empty());
            BOOST_TEST(!r.has_query);
            BOOST_TEST(bg::upstream_path("/api", r) == "/api/");
            BOOST_TEST(bg::upstream_path("", r) == "/");
        }
    }
    const auto q = routed("/cpm?page=1");
    BOOST_TEST(q.backend == "cpm");
    BOOST_TEST(q.query == "page=1");
    BOOST_TEST(bg::upstream_path("/api", q) == "/api/?page=1");
}

BOOST_AUTO_TEST_CASE(an_empty_base_path_is_the_root)
{
    BOOST_TEST(upstream("/cpm/x/y?z", "") == "/x/y?z");
    BOOST_TEST(upstream("/cpm/x", "/a/b") == "/a/b/x");
}

BOOST_AUTO_TEST_CASE(names_that_only_look_like_dots_pass)
{
    BOOST_TEST(upstream("/cpm/.../x") == "/api/.../x");
    BOOST_TEST(upstream("/cpm/.hidden") == "/api/.hidden");
    BOOST_TEST(upstream("/cpm/a..b/c.") == "/api/a..b/c.");
    BOOST_TEST(upstream("/cpm/%2e%2e%2e") == "/api/%2e%2e%2e");
    BOOST_TEST(upstream("/cpm/..a") == "/api/..a");
    BOOST_TEST(upstream("/cpm/%2ex") == "/api/%2ex");
}

BOOST_AUTO_TEST_CASE(plain_dot_segments_are_refused)
{
    for (auto target : {"/cpm/../secret", "/cpm/./x", "/cpm/a/..", "/cpm/a/../b", "/cpm/a/./", "/cpm/..",
                        "/cpm/.", "/../cpm/x", "/./cpm", "/cpm/a/..?q=1", "/..", "/."}) {
        BOOST_TEST_CONTEXT(target)
        {
            BOOST_TEST(refused_as_bad_request(target));
            BOOST_TEST(refusal_detail(target).find("'..'") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(encoded_dot_segments_are_refused)
{
    for (auto target : {"/cpm/%2e%2e/secret", "/cpm/%2E%2E/secret", "/cpm/%2e%2E/x", "/cpm/.%2e/x",
                        "/cpm/%2E./x", "/cpm/%2e/x", "/cpm/%2E", "/%2e%2e/cpm", "/%2E/x", "/cpm/a/%2e%2e?x"}) {
        BOOST_TEST_CONTEXT(target) { BOOST_TEST(refused_as_bad_request(target)); }
    }
}

BOOST_AUTO_TEST_CASE(other_target_forms_are_refused)
{
    for (auto target : {"http://evil.example/cpm/x", "https://h/cpm", "*", "evil.example:443", "cpm/x", ""}) {
        BOOST_TEST_CONTEXT(target) { BOOST_TEST(refused_as_bad_request(target)); }
    }
    BOOST_TEST(refusal_detail("*").find("origin-form") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_backend_is_refused)
{
    for (auto target : {"/", "//cpm/x", "/?x=1", "//"}) {
        BOOST_TEST_CONTEXT(target) { BOOST_TEST(refused_as_bad_request(target)); }
    }
}

BOOST_AUTO_TEST_CASE(a_fragment_is_refused)
{
    for (auto target : {"/cpm/x#frag", "/cpm/x?q=1#f", "/cpm#", "/cpm/x?#"}) {
        BOOST_TEST_CONTEXT(target)
        {
            BOOST_TEST(refused_as_bad_request(target));
            BOOST_TEST(refusal_detail(target).find("fragment") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hop_by_hop)

BOOST_AUTO_TEST_CASE(the_fixed_list_goes)
{
    http::fields f;
    f.set(http::field::connection, "keep-alive");
    f.set(http::field::keep_alive, "timeout=5");
    f.set(http::field::proxy_connection, "keep-alive");
    f.set(http::field::proxy_authenticate, "Basic");
    f.set(http::field::proxy_authorization, "Basic Zm9vOmJhcg==");
    f.set(http::field::te, "trailers");
    f.set(http::field::trailer, "X-Checksum");
    f.set(http::field::transfer_encoding, "chunked");
    f.set(http::field::upgrade, "websocket");
    f.set(http::field::content_type, "application/json");
    f.set(http::field::content_length, "12");
    f.set("X-Custom", "kept");
    bg::remove_hop_by_hop(f);
    std::set<std::string> left;
    for (const auto& field : f)
        left.insert(std::string(field.name_string()));
    BOOST_TEST((left == std::set<std::string>{"Content-Type", "Content-Length", "X-Custom"}));
}

BOOST_AUTO_TEST_CASE(headers_named_in_connection_go)
{
    http::fields f;
    f.set(http::field::connection, "close, X-Private ,\tx-other");
    f.set("X-Private", "1");
    f.set("X-Other", "2");
    f.set("X-Public", "3");
    bg::remove_hop_by_hop(f);
    BOOST_TEST(f.count("X-Private") == 0u);
    BOOST_TEST(f.count("X-Other") == 0u);
    BOOST_TEST(f.count(http::field::connection) == 0u);
    BOOST_TEST(f["X-Public"] == "3");
}

BOOST_AUTO_TEST_CASE(every_connection_header_counts)
{
    // Several Connection fields, not next to each other (as a parser stores
    // them: in the order received).
    http::fields f;
    f.insert(http::field::connection, "X-First");
    f.insert("X-First", "1");
    f.insert("X-Between", "kept");
    f.insert(http::field::connection, "X-Second");
    f.insert("X-Second", "2");
    f.insert(http::field::connection, "X-Third, X-Fourth");
    f.insert("X-Third", "3");
    f.insert("X-Fourth", "4");
    bg::remove_hop_by_hop(f);
    BOOST_TEST(f.count("X-First") == 0u);
    BOOST_TEST(f.count("X-Second") == 0u);
    BOOST_TEST(f.count("X-Third") == 0u);
    BOOST_TEST(f.count("X-Fourth") == 0u);
    BOOST_TEST(f.count(http::field::connection) == 0u);
    BOOST_TEST(f["X-Between"] == "kept");
}

BOOST_AUTO_TEST_CASE(a_repeated_named_header_goes_entirely)
{
    http::fields f;
    f.insert(http::field::connection, "X-Twice");
    f.insert("X-Twice", "a");
    f.insert("X-Twice", "b");
    bg::remove_hop_by_hop(f);
    BOOST_TEST(f.count("X-Twice") == 0u);
}

BOOST_AUTO_TEST_CASE(empty_tokens_are_harmless)
{
    http::fields f;
    f.set(http::field::connection, " , ,, ");
    f.set(http::field::content_type, "text/plain");
    bg::remove_hop_by_hop(f);
    BOOST_TEST(f.count(http::field::content_type) == 1u);
    BOOST_TEST(f.count(http::field::connection) == 0u);
}

BOOST_AUTO_TEST_CASE(no_connection_header_no_change)
{
    http::fields f;
    f.set(http::field::accept, "application/json");
    f.set("X-Request-Id", "abc");
    bg::remove_hop_by_hop(f);
    BOOST_TEST(f[http::field::accept] == "application/json");
    BOOST_TEST(f["X-Request-Id"] == "abc");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(request_id)

BOOST_AUTO_TEST_CASE(a_sane_id_is_kept)
{
    BOOST_TEST(bg::request_id_for("abc-123") == "abc-123");
    BOOST_TEST(bg::request_id_for("f47ac10b-58cc-4372-a567-0e02b2c3d479") == "f47ac10b-58cc-4372-a567-0e02b2c3d479");
    BOOST_TEST(bg::request_id_for("!~{}") == "!~{}");
    const std::string longest(128, 'x');
    BOOST_TEST(bg::request_id_for(longest) == longest);
}

BOOST_AUTO_TEST_CASE(a_bad_id_is_replaced)
{
    const std::string too_long(129, 'x');
    for (std::string bad : {std::string(), too_long, std::string("has space"), std::string("tab\there"),
                            std::string("new\nline"), std::string("del\x7f"), std::string("caf\xc3\xa9"),
                            std::string("nul\0byte", 8)}) {
        BOOST_TEST_CONTEXT(bad.size() << " bytes")
        {
            const auto id = bg::request_id_for(bad);
            BOOST_TEST_INFO("generated: " << id);
            BOOST_TEST(id != bad);
            BOOST_TEST(is_hex_id(id));
        }
    }
}

BOOST_AUTO_TEST_CASE(generated_ids_differ)
{
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i)
        ids.insert(bg::request_id_for({}));
    BOOST_TEST(ids.size() == 1000u);
    for (const auto& id : ids)
        BOOST_TEST_REQUIRE(is_hex_id(id));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(combined_values)

BOOST_AUTO_TEST_CASE(several_lines_are_one_list)
{
    http::fields f;
    f.insert("X-Forwarded-For", "203.0.113.1");
    f.insert(http::field::accept, "*/*");
    f.insert("x-forwarded-for", "198.51.100.2, 192.0.2.3");
    BOOST_TEST(bg::combined_values(f, "X-Forwarded-For") == "203.0.113.1, 198.51.100.2, 192.0.2.3");
    BOOST_TEST(bg::combined_values(f, "Accept") == "*/*");
    BOOST_TEST(bg::combined_values(f, "X-Absent").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(forwarded_for)

BOOST_AUTO_TEST_CASE(a_first_hop_is_the_client)
{
    BOOST_TEST(bg::forwarded_for("", "192.0.2.7") == "192.0.2.7");
}

BOOST_AUTO_TEST_CASE(an_existing_list_is_appended_to)
{
    BOOST_TEST(bg::forwarded_for("203.0.113.1", "192.0.2.7") == "203.0.113.1, 192.0.2.7");
    BOOST_TEST(bg::forwarded_for("203.0.113.1, 198.51.100.2", "::1") == "203.0.113.1, 198.51.100.2, ::1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(protocol_errors)

BOOST_AUTO_TEST_CASE(malformed_messages_are_protocol_errors)
{
    BOOST_TEST(bg::is_http_protocol_error(http::error::bad_target));
    BOOST_TEST(bg::is_http_protocol_error(http::error::bad_method));
    BOOST_TEST(bg::is_http_protocol_error(http::error::bad_field));
    BOOST_TEST(bg::is_http_protocol_error(http::error::bad_chunk));
}

BOOST_AUTO_TEST_CASE(ends_of_stream_and_network_errors_are_not)
{
    BOOST_TEST(!bg::is_http_protocol_error(http::error::end_of_stream));
    BOOST_TEST(!bg::is_http_protocol_error(http::error::need_more));
    BOOST_TEST(!bg::is_http_protocol_error(http::error::need_buffer));
    BOOST_TEST(!bg::is_http_protocol_error(boost::asio::error::eof));
    BOOST_TEST(!bg::is_http_protocol_error(boost::asio::error::connection_reset));
    BOOST_TEST(!bg::is_http_protocol_error({}));
}

BOOST_AUTO_TEST_SUITE_END()
