// gateway/request_checks.hpp: the head checks beyond Beast's parser (RFC 9112
// §2.2, §3.2, §5.2, §6.3, §7.1), one table each.
#define BOOST_TEST_MODULE request_checks
#include <boost/test/unit_test.hpp>

#include "gateway/http_util.hpp"
#include "gateway/request_checks.hpp"

#include <boost/beast/http/message.hpp>

#include <string>

using namespace bg;

namespace {

http::request_header<> head(http::verb method, std::string_view target, unsigned version,
                            std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
{
    http::request_header<> h;
    if (method == http::verb::unknown)
        h.method_string("MKCOLA");  // (what Beast's parser makes of a method it does not know)
    else
        h.method(method);
    h.target(target);
    h.version(version);
    for (const auto& [n, v] : fields)
        h.insert(n, v);
    return h;
}

// Fed whole, then in pieces of every size from 1 to 7: the same verdict.
bool framing_ok(std::string_view body, bool& done)
{
    chunked_framing whole;
    const bool ok = whole.feed(body);
    done = whole.done();
    for (std::size_t piece = 1; piece <= 7; ++piece) {
        chunked_framing f;
        bool piece_ok = true;
        for (std::size_t at = 0; at < body.size() && piece_ok; at += piece)
            piece_ok = f.feed(body.substr(at, piece));
        BOOST_TEST(piece_ok == ok, "piece size " << piece << " for " << body);
        BOOST_TEST(f.done() == done, "piece size " << piece << " for " << body);
    }
    return ok;
}

}  // namespace

BOOST_AUTO_TEST_CASE(obs_fold_is_found_wherever_a_line_starts_with_space_or_tab)
{
    BOOST_TEST(!has_obs_fold("GET / HTTP/1.1\r\nHost: a\r\nX: b c\r\n\r\n"));
    BOOST_TEST(has_obs_fold("GET / HTTP/1.1\r\nX-Foo: bar\r\n Content-Length: 5\r\n\r\n"));
    BOOST_TEST(has_obs_fold("GET / HTTP/1.1\r\nX-Foo: bar\r\n\tmore\r\n\r\n"));
    BOOST_TEST(has_obs_fold("GET / HTTP/1.1\nX: a\n b\n\n"));  // bare LF lines too
    BOOST_TEST(!has_obs_fold("GET / HTTP/1.1\r\n"));
}

BOOST_AUTO_TEST_CASE(leading_empty_lines_are_counted_up_to_a_bound)
{
    BOOST_TEST(leading_empty_lines("GET") == 0u);
    BOOST_TEST(leading_empty_lines("\r\nGET") == 2u);
    BOOST_TEST(leading_empty_lines("\r\n\r\nGET") == 4u);
    BOOST_TEST(leading_empty_lines("\r\n\r\n\r\n", 2) == 4u);
    BOOST_TEST(leading_empty_lines("\r") == 0u);  // half a line: wait for the rest
    BOOST_TEST(leading_empty_lines("\n") == 0u);  // a bare LF is not skipped
}

BOOST_AUTO_TEST_CASE(hosts)
{
    for (auto ok : {"", "example.com", "example.com:8443", "127.0.0.1", "127.0.0.1:80", "[::1]:443", "a-b.c"})
        BOOST_TEST(valid_host(ok), ok);
    for (auto bad : {"a@b/c", "user@host", "host/path", "host:port", "a b", "host?x", "[::1"})
        BOOST_TEST(!valid_host(bad), bad);
}

BOOST_AUTO_TEST_CASE(the_head_table)
{
    using v = http::verb;
    struct row {
        const char* what;
        http::request_header<> h;
        std::optional<unsigned> status;  // nullopt: accepted
        std::string_view detail_has;
    };
    const row rows[] = {
        {"plain", head(v::get, "/a", 11, {{"Host", "x"}}), std::nullopt, ""},
        {"two Host", head(v::get, "/a", 11, {{"Host", "x"}, {"Host", "y"}}), 400, "2 Host"},
        {"no Host, 1.1", head(v::get, "/a", 11, {}), 400, "must have a Host"},
        {"no Host, 1.0", head(v::get, "/a", 10, {}), std::nullopt, ""},
        {"bad Host", head(v::get, "/a", 11, {{"Host", "a@b/c"}}), 400, "not a valid host"},
        {"unknown method", head(v::unknown, "/a", 11, {{"Host", "x"}}), 501, "registered"},
        {"TE not chunked", head(v::post, "/a", 11, {{"Host", "x"}, {"Transfer-Encoding", "gzip"}}), 400,
         "Transfer-Encoding"},
        {"TE chunked last", head(v::post, "/a", 11, {{"Host", "x"}, {"Transfer-Encoding", "gzip, chunked"}}),
         std::nullopt, ""},
        {"TE over two lines", head(v::post, "/a", 11, {{"Host", "x"}, {"Transfer-Encoding", "chunked"},
                                                       {"Transfer-Encoding", "gzip"}}),
         400, "Transfer-Encoding"},
        {"two Authorization", head(v::get, "/a", 11, {{"Host", "x"}, {"Authorization", "a"}, {"Authorization", "b"}}),
         400, "Authorization"},
        {"two X-API-Key", head(v::get, "/a", 11, {{"Host", "x"}, {"X-API-Key", "a"}, {"x-api-key", "b"}}), 400,
         "X-API-Key"},
        {"absolute form", head(v::get, "http://h:81/a?b=1", 11, {{"Host", "ignored"}}), std::nullopt, ""},
        {"absolute form, userinfo", head(v::get, "http://u@h/a", 11, {}), 400, "no user"},
        {"absolute form, ftp", head(v::get, "ftp://h/a", 11, {}), 400, "http or https"},
        {"not a target", head(v::get, "a b", 11, {{"Host", "x"}}), 400, "neither a path"},
    };
    for (auto r : rows) {
        BOOST_TEST_CONTEXT(r.what)
        {
            const auto e = check_request_head(r.h);
            BOOST_TEST(e.has_value() == r.status.has_value());
            if (e && r.status) {
                BOOST_TEST(status_of(*e) == *r.status);
                BOOST_TEST(e->detail.find(r.detail_has) != std::string::npos, e->detail);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(an_absolute_target_becomes_origin_form_and_its_authority_the_host)
{
    auto h = head(http::verb::get, "http://gw.example:8080/cpm/policies/?page=2", 11, {{"Host", "other"}});
    BOOST_TEST(!check_request_head(h).has_value());
    BOOST_TEST(h.target() == "/cpm/policies/?page=2");
    BOOST_TEST(h[http::field::host] == "gw.example:8080");
    BOOST_TEST(h.count(http::field::host) == 1u);
    auto bare = head(http::verb::get, "https://gw.example", 11, {});
    BOOST_TEST(!check_request_head(bare).has_value());
    BOOST_TEST(bare.target() == "/");
}

BOOST_AUTO_TEST_CASE(chunked_framing_table)
{
    struct row {
        std::string_view body;
        bool ok;
        bool done;
    };
    const row rows[] = {
        {"5\r\nABCDE\r\n0\r\n\r\n", true, true},
        {"5;a=b\r\nABCDE\r\n0;last\r\nX-T: 1\r\n\r\n", true, true},
        {"a\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\n", true, true},  // what follows is not looked at
        {"5\r\nABCDE0\r\n", false, false},  // issue 19, defect 5: no CRLF after the data
        {"5\r\nABCDE\r\n", true, false},    // fine so far
        {"5\r\nABC", true, false},
        {"\r\n", false, false},             // no size
        {"g\r\n", false, false},
        {"5\rX", false, false},
        {"5\r\nABCDE\n\n", false, false},
        {"0\r\nX-T: 1\n", false, false},
        {"0\r\n\r\r", false, false},
        {"10000000000000000\r\n", false, false},  // 2^64: beyond any body
        {"0000000000000000005\r\nABCDE\r\n0\r\n\r\n", true, true},  // leading zeros, as Beast takes them
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.body)
        {
            bool done = false;
            BOOST_TEST(framing_ok(r.body, done) == r.ok);
            BOOST_TEST(done == r.done);
        }
    }
}

// RFC 9110 §12.5.1: the most specific matching range gives the quality.
BOOST_AUTO_TEST_CASE(accept_quality_of_a_media_type)
{
    const std::string_view json = "application/json";
    BOOST_TEST(bg::accept_quality("", json) == 1.0);
    BOOST_TEST(bg::accept_quality("*/*", json) == 1.0);
    BOOST_TEST(bg::accept_quality("application/*;q=0.4", json) == 0.4);
    BOOST_TEST(bg::accept_quality("application/xml", json) == 0.0);
    BOOST_TEST(bg::accept_quality("application/json;q=0.5, application/xml", json) == 0.5);
    BOOST_TEST(bg::accept_quality("application/json;q=0.5, application/xml", "application/xml") == 1.0);
    BOOST_TEST(bg::accept_quality("*/*;q=0.1, Application/JSON; charset=utf-8; q=0.9", json) == 0.9);
    BOOST_TEST(bg::accept_quality("application/json;q=0, */*", json) == 0.0);  // refused by name
    BOOST_TEST(bg::accept_quality("text/xml, application/*;q=0.2", json) == 0.2);
    BOOST_TEST(bg::accept_quality("application/json;q=bogus", json) == 0.0);
}
