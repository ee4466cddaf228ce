// Every limit of `limits:` over a real socket, each breach answered with its
// problem (or, for the idle timeout, a close).
#define BOOST_TEST_MODULE integration_limits
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>

#include <map>

using namespace bgtest;

namespace {

const std::string key = "key-limits-0123";

const char* const config_template = R"(
listen:
  - {address: 127.0.0.1, port: 0}
  - {address: 127.0.0.1, port: 0, tls: {cert: "{CERT}", key: "{TLS_KEY}"}}
admin: {enabled: false}
threads: 1
shutdown_grace: 1s
limits:
  max_header_bytes: 4KiB
  max_body_bytes: 1MiB
  header_timeout: 1s
  body_timeout: 1s
  idle_timeout: 1500ms
  max_connections: {MAXCONN}
clients:
  - {name: limits, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - {name: up, type: http, base_url: "{UP}"}
)";

struct limits_env {
    temp_dir dir;
    tls_files tls = make_tls_files(dir.path(), "gw");
    test_upstream up;

    std::unique_ptr<gateway_process> start(const fs::path& where, int max_connections) const
    {
        fs::create_directories(where);
        return std::make_unique<gateway_process>(
            where,
            fill(config_template, {{"KEY", sha256_hex(key)},
                                   {"UP", up.base_url()},
                                   {"CERT", tls.cert.string()},
                                   {"TLS_KEY", tls.key.string()},
                                   {"MAXCONN", std::to_string(max_connections)}}),
            2, false);
    }
    std::unique_ptr<gateway_process> gw = start(dir / "main", 1000);
    std::uint16_t port() const { return gw->port(); }
    std::string url(std::string_view path) const
    {
        return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
    }
};

limits_env& env()
{
    static limits_env e;
    return e;
}

const std::string auth = "Authorization: Bearer " + key + "\r\n";

using clock = std::chrono::steady_clock;

// Sends `data` on a new connection and reads one response.
std::optional<http_response> exchange(std::string_view data, ms timeout = 10s)
{
    raw_client c(env().port());
    c.send(data);
    return c.read_response(timeout);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(header_size)

BOOST_AUTO_TEST_CASE(headers_over_max_header_bytes_are_431)
{
    raw_client c(env().port());
    c.send(request_text("GET", "/up/echo", auth + "X-Big: " + std::string(5000, 'a') + "\r\n"));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    const auto doc = expect_problem(*r, 431, "header-too-large");
    BOOST_TEST(std::string(doc.at("detail").as_string()).find("4096") != std::string::npos);
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(curl_with_a_huge_header_gets_431)
{
    const auto r = curl({"-H", "Authorization: Bearer " + key, "-H", "X-Big: " + std::string(6000, 'b'),
                         env().url("/up/echo")});
    expect_problem(r.response(), 431, "header-too-large");
}

BOOST_AUTO_TEST_CASE(headers_just_under_the_limit_pass)
{
    const auto r = exchange(request_text("GET", "/up/echo", auth + "X-Big: " + std::string(3500, 'c') + "\r\n"));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->json().at("headers").as_object().at("x-big").as_string().size() == 3500u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(body_size)

BOOST_AUTO_TEST_CASE(a_content_length_over_max_body_bytes_is_413_at_once)
{
    const auto before = env().up.requests();
    raw_client c(env().port());
    // Only the head is sent: the answer must not wait for the body.
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 2000000\r\n\r\n");
    const auto r = c.read_response(5s);
    BOOST_TEST_REQUIRE(r.has_value());
    const auto doc = expect_problem(*r, 413, "payload-too-large");
    BOOST_TEST(std::string(doc.at("detail").as_string()).find("1048576") != std::string::npos);
    BOOST_TEST(c.wait_closed(3s));
    BOOST_TEST(env().up.requests() == before);
}

BOOST_AUTO_TEST_CASE(curl_uploading_too_much_gets_413)
{
    const auto file = env().dir / "two-mib.bin";
    write_pattern_file(file, 2 * 1024 * 1024);
    const auto r = curl({"-H", "Authorization: Bearer " + key, "--data-binary", "@" + file.string(),
                         env().url("/up/echo")});
    expect_problem(r.response(), 413, "payload-too-large");
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_limit_is_413)
{
    const auto file = env().dir / "chunked-two-mib.bin";
    write_pattern_file(file, 2 * 1024 * 1024);
    const auto r = curl({"-H", "Authorization: Bearer " + key, "-H", "Transfer-Encoding: chunked", "--data-binary",
                         "@" + file.string(), env().url("/up/echo")});
    expect_problem(r.response(), 413, "payload-too-large");
}

BOOST_AUTO_TEST_CASE(a_body_of_exactly_max_body_bytes_passes)
{
    const auto file = env().dir / "one-mib.bin";
    const auto fnv = write_pattern_file(file, 1024 * 1024);
    const auto r = curl({"-H", "Authorization: Bearer " + key, "--data-binary", "@" + file.string(),
                         env().url("/up/echo")});
    BOOST_TEST_REQUIRE(r.response().status == 200u);
    const auto doc = r.response().json();
    BOOST_TEST(doc.at("body_bytes").to_number<std::uint64_t>() == 1024u * 1024u);
    BOOST_TEST(doc.at("body_fnv").to_number<std::uint64_t>() == fnv);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeouts)

BOOST_AUTO_TEST_CASE(a_slow_header_is_408)
{
    raw_client c(env().port());
    const auto start = clock::now();
    c.send("GET /up/echo HT");  // half a request line, then nothing
    const auto r = c.read_response(5s);
    const auto took = clock::now() - start;
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 408, "request-timeout");
    BOOST_TEST(took >= 900ms);  // header_timeout: 1s
    BOOST_TEST(took < 3s);
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(a_slow_header_over_tls_is_408)
{
    const auto start = clock::now();
    const auto received = tls_exchange(env().gw->port(1), env().tls.ca_cert, "GET /up/echo HT", 5s);
    BOOST_TEST(received.rfind("HTTP/1.1 408 ", 0) == 0u, received);
    BOOST_TEST(received.find("urn:backup-gateway:problem:request-timeout") != std::string::npos);
    BOOST_TEST((clock::now() - start < 4s));  // answered, then closed: not our 5 s timeout
}

BOOST_AUTO_TEST_CASE(headers_trickling_in_still_end_at_the_header_timeout)
{
    // A byte every 200 ms: each arrives in time, the whole does not.
    raw_client c(env().port());
    const auto start = clock::now();
    const std::string text = request_text("GET", "/up/echo", auth);
    std::optional<http_response> r;
    for (std::size_t i = 0; i < text.size() && clock::now() - start < 4s; ++i) {
        if (!c.send(text.substr(i, 1)))
            break;
        if (!c.still_open(200ms))
            break;  // answered (and closed)
    }
    r = c.read_response(3s);
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 408, "request-timeout");
    BOOST_TEST((clock::now() - start < 3s));
}

BOOST_AUTO_TEST_CASE(a_slow_body_is_408)
{
    raw_client c(env().port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 100\r\n\r\n0123456789");
    const auto start = clock::now();
    const auto r = c.read_response(5s);
    const auto took = clock::now() - start;
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 408, "request-timeout");
    BOOST_TEST(took >= 900ms);  // body_timeout: 1s
    BOOST_TEST(took < 3s);
}

BOOST_AUTO_TEST_CASE(a_stalled_streamed_body_is_408)
{
    // A chunked body streams to the upstream as it comes; when it stops
    // coming, the client still gets its answer.
    raw_client c(env().port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    const auto start = clock::now();
    const auto r = c.read_response(5s);
    const auto took = clock::now() - start;
    BOOST_TEST_REQUIRE(r.has_value());
    const auto doc = expect_problem(*r, 408, "request-timeout");
    BOOST_TEST(std::string(doc.at("detail").as_string()).find("body") != std::string::npos);
    BOOST_TEST(took >= 900ms);  // body_timeout: 1s
    BOOST_TEST(took < 3s);
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(an_idle_connection_is_closed_after_idle_timeout)
{
    raw_client c(env().port());
    c.send(request_text("GET", "/up/echo", auth));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    const auto start = clock::now();
    BOOST_TEST(c.wait_closed(5s));
    const auto took = clock::now() - start;
    BOOST_TEST(took >= 1300ms);  // idle_timeout: 1500ms
    BOOST_TEST(took < 3500ms);
    BOOST_TEST(c.received().empty());  // closed without a word
}

BOOST_AUTO_TEST_CASE(a_connection_that_never_sends_is_closed_after_idle_timeout)
{
    raw_client c(env().port());
    const auto start = clock::now();
    BOOST_TEST(c.wait_closed(5s));
    BOOST_TEST((clock::now() - start >= 1300ms));
    BOOST_TEST(c.received().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(a_malformed_request_line_is_400)
{
    for (std::string text : {std::string("GARBAGE\r\n\r\n"), std::string("GET /up/echo HTTP/1.1 extra\r\n\r\n"),
                             std::string("GET /up/echo HTTX/1.1\r\n\r\n"),
                             std::string("G@T /up/echo HTTP/1.1\r\n\r\n")}) {
        BOOST_TEST_CONTEXT(text)
        {
            raw_client c(env().port());
            c.send(text);
            const auto r = c.read_response(5s);
            BOOST_TEST_REQUIRE(r.has_value());
            const auto doc = expect_problem(*r, 400, "bad-request");
            BOOST_TEST(std::string(doc.at("detail").as_string()).find("malformed") != std::string::npos);
            BOOST_TEST(c.wait_closed(3s));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_malformed_header_is_400)
{
    const auto r = exchange("GET /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "No colon here\r\n\r\n", 5s);
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 400, "bad-request");
}

BOOST_AUTO_TEST_CASE(ambiguous_framing_is_400_and_never_reaches_the_upstream)
{
    const auto before = env().up.requests();
    // Content-Length with Transfer-Encoding, and two different lengths: request smuggling material.
    for (std::string framing : {std::string("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
                                std::string("Content-Length: 5\r\nContent-Length: 6\r\n")}) {
        BOOST_TEST_CONTEXT(framing)
        {
            const auto r =
                exchange("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + framing + "\r\n0\r\n\r\n", 5s);
            BOOST_TEST_REQUIRE(r.has_value());
            expect_problem(*r, 400, "bad-request");
        }
    }
    BOOST_TEST(env().up.requests() == before);
}

BOOST_AUTO_TEST_CASE(a_transfer_encoding_not_ending_in_chunked_is_400)
{
    // Without this check the body below would be served as a second request.
    const auto before = env().up.requests();
    raw_client c(env().port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked, gzip\r\n\r\n" +
           request_text("GET", "/up/echo?smuggled", auth));
    const auto r = c.read_response(5s);
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 400, "bad-request");
    BOOST_TEST(c.wait_closed(3s));
    BOOST_TEST(c.received().find("smuggled") == std::string::npos);
    BOOST_TEST(env().up.requests() == before);
}

BOOST_AUTO_TEST_CASE(a_bad_chunk_is_400)
{
    raw_client c(env().port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth +
           "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    const auto r = c.read_response(5s);
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 400, "bad-request");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(connections)

BOOST_AUTO_TEST_CASE(beyond_max_connections_new_ones_wait)
{
    auto gw = env().start(env().dir / "maxconn", 2);
    raw_client first(gw->port());
    raw_client second(gw->port());
    for (auto* c : {&first, &second}) {
        c->send(request_text("GET", "/up/echo", auth));
        const auto r = c->read_response();
        BOOST_TEST_REQUIRE(r.has_value());
        BOOST_TEST(r->status == 200u);
    }
    // The third connects (the kernel's backlog) but is not served...
    raw_client third(gw->port());
    third.send(request_text("GET", "/up/echo?third", auth));
    BOOST_TEST(!third.read_response(700ms).has_value());
    // ...until one of the others goes.
    first.close();
    const auto r = third.read_response(5s);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(std::string(r->json().at("target").as_string()) == "/echo?third");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(early_answers)

// The gateway answers 431 or 413 before it has read the whole request, and
// closes: without a lingering close the kernel resets the connection over
// the bytes still arriving, and the client, still sending, often never reads
// the answer (curl with a 70,000-byte header got no status in 43 of 60 tries
// over TLS, exit 55). Each case is tried many times, since a reset is a race.
void expect_status_every_time(const std::string& what, std::vector<std::string> args, const std::string& status,
                              int tries)
{
    args.insert(args.begin(), {"-o", "/dev/null", "-w", "%{http_code}"});
    std::map<std::string, int> outcomes;
    int answered = 0;
    for (int i = 0; i < tries; ++i) {
        const auto r = curl_raw(args, 30);
        ++outcomes["curl exit " + std::to_string(r.code) + ", status " + r.out];
        if (r.code == 0 && r.out == status)
            ++answered;
    }
    for (const auto& [outcome, n] : outcomes)
        BOOST_TEST_MESSAGE(what << ": " << n << " x " << outcome);
    BOOST_TEST(answered == tries, what << ": " << answered << " of " << tries << " tries got " << status);
}

std::vector<std::string> over(bool tls)
{
    if (!tls)
        return {env().url("/up/echo")};
    return {"--cacert", env().tls.ca_cert.string(),
            "https://127.0.0.1:" + std::to_string(env().gw->port(1)) + "/up/echo"};
}

BOOST_AUTO_TEST_CASE(a_70_kb_header_always_gets_its_431)
{
    const auto header = env().dir / "big-header.txt";
    write_file(header, "X-Big: " + std::string(70'000, 'h') + "\n");
    for (const bool tls : {false, true}) {
        auto args = std::vector<std::string>{"-H", "Authorization: Bearer " + key, "-H", "@" + header.string()};
        for (auto& a : over(tls))
            args.push_back(a);
        expect_status_every_time(tls ? "TLS, 70 KB header" : "plain, 70 KB header", args, "431", 50);
    }
}

BOOST_AUTO_TEST_CASE(a_20_mb_body_always_gets_its_413)
{
    const auto body = env().dir / "twenty-mb.bin";
    write_pattern_file(body, 20 * 1024 * 1024);
    for (const bool tls : {false, true}) {
        // "Expect:" off: curl sends the body at once instead of waiting for 100 Continue.
        auto args = std::vector<std::string>{"-H", "Authorization: Bearer " + key, "-H", "Expect:",
                                             "--data-binary", "@" + body.string()};
        for (auto& a : over(tls))
            args.push_back(a);
        expect_status_every_time(tls ? "TLS, 20 MB body" : "plain, 20 MB body", args, "413", 50);
    }
}

BOOST_AUTO_TEST_SUITE_END()
