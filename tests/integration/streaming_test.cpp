// Bodies that stream: a large download and upload pass with flat memory,
// chunked responses are re-chunked (HTTP/1.1) or close-delimited (HTTP/1.0),
// Expect: 100-continue, a client that goes away mid-body.
#define BOOST_TEST_MODULE integration_streaming
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>

using namespace bgtest;

namespace {

const std::string key = "key-streaming-0123";
constexpr std::uint64_t MiB = 1024 * 1024;
// The memory the gateway may use while relaying a body of any size: 200 MiB
// in all; and, as AddressSanitizer alone takes ~160 MiB, at most 64 MiB more
// than right after start-up.
constexpr std::uint64_t max_peak_rss_kib = 200 * 1024;
constexpr std::uint64_t max_growth_kib = 64 * 1024;

const char* const config_template = R"(
listen:
  - {address: 127.0.0.1, port: 0}
  - {address: 127.0.0.1, port: 0, tls: {cert: "{CERT}", key: "{KEY}"}}
admin: {enabled: false}
threads: 1
shutdown_grace: 1s
limits: {max_body_bytes: 2GiB, body_timeout: 30s}
clients:
  - {name: streaming, api_key_sha256: "{DIGEST}", backends: ["*"]}
backends:
  - {name: up, type: http, base_url: "{UP}", timeouts: {request: 30s}}
)";

struct streaming_env {
    temp_dir dir;
    tls_files tls = make_tls_files(dir.path(), "gw");
    test_upstream up;
    gateway_process gw{dir.path(),
                       fill(config_template, {{"CERT", tls.cert.string()},
                                              {"KEY", tls.key.string()},
                                              {"DIGEST", sha256_hex(key)},
                                              {"UP", up.base_url()}}),
                       2, false};
    std::uint64_t start_rss_kib = gw.peak_rss_kib();

    std::string url(std::string_view path) const
    {
        return "http://127.0.0.1:" + std::to_string(gw.port(0)) + std::string(path);
    }
    std::string tls_url(std::string_view path) const
    {
        return "https://127.0.0.1:" + std::to_string(gw.port(1)) + std::string(path);
    }
};

streaming_env& env()
{
    static streaming_env e;
    return e;
}

const std::vector<std::string> auth{"-H", "Authorization: Bearer " + key};
const std::string auth_line = "Authorization: Bearer " + key + "\r\n";

std::vector<std::string> args(std::vector<std::string> extra)
{
    extra.insert(extra.begin(), auth.begin(), auth.end());
    return extra;
}

// The first offset where `body` differs from the pattern, or npos.
std::size_t pattern_mismatch(std::string_view body)
{
    for (std::size_t i = 0; i < body.size(); ++i)
        if (static_cast<unsigned char>(body[i]) != pattern_byte(i))
            return i;
    return std::string_view::npos;
}

void report_peak(std::string_view when)
{
    const auto kib = env().gw.peak_rss_kib();
    BOOST_TEST_MESSAGE("gateway VmHWM " << when << ": " << kib << " KiB (" << kib / 1024 << " MiB; "
                                        << env().start_rss_kib / 1024 << " MiB after start-up)"
                                        << (sanitized() ? " [ASan build]" : ""));
    if (!sanitized())
        BOOST_TEST(kib < max_peak_rss_kib);
    BOOST_TEST(kib - env().start_rss_kib < max_growth_kib);
}

// PUTs `size` pattern bytes from a file with curl (`extra` arguments, then
// the file, then `url`) to the echoing upstream; checks that every byte
// arrived (count and FNV-1a) and returns the echo.
boost::json::object upload(const std::string& name, std::uint64_t size, std::vector<std::string> extra,
                           const std::string& url, int max_time_s)
{
    const auto file = env().dir / name;
    const auto fnv = write_pattern_file(file, size);
    extra.insert(extra.end(), {"-T", file.string(), url});
    const auto r = curl(args(extra), max_time_s);
    fs::remove(file);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    BOOST_TEST_REQUIRE(r.response().status == 200u);
    auto doc = r.response().json();
    BOOST_TEST(doc.at("body_bytes").to_number<std::uint64_t>() == size);
    BOOST_TEST(doc.at("body_fnv").to_number<std::uint64_t>() == fnv);
    return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(downloads)

BOOST_AUTO_TEST_CASE(a_large_download_passes_with_flat_memory)
{
    // 1 GiB; 256 MiB under AddressSanitizer, which is several times slower.
    const std::uint64_t size = sanitized() ? 256 * MiB : 1024 * MiB;
    report_peak("before the download");
    const auto start = std::chrono::steady_clock::now();
    const auto r = curl_raw(args({"-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                  env().url("/up/bytes?n=" + std::to_string(size))}),
                            240);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == "200 " + std::to_string(size));
    BOOST_TEST_MESSAGE("downloaded " << size / MiB << " MiB in " << seconds << " s ("
                                     << static_cast<double>(size) / MiB / seconds << " MiB/s)");
    report_peak("after " + std::to_string(size / MiB) + " MiB downloaded");
}

BOOST_AUTO_TEST_CASE(a_download_over_tls_arrives_intact)
{
    const std::uint64_t size = 8 * MiB + 12345;
    const auto r = curl(args({"--cacert", env().tls.ca_cert.string(),
                              env().tls_url("/up/bytes?n=" + std::to_string(size))}),
                        60);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto& res = r.response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(res.header("Content-Length") == std::to_string(size));
    BOOST_TEST(!res.has_header("Transfer-Encoding"));
    BOOST_TEST(res.body.size() == size);
    BOOST_TEST(pattern_mismatch(res.body) == std::string_view::npos);
}

// The client side's TLS is OpenSSL on the socket itself (tls_server_stream):
// a reader slower than the gateway makes its writes wait for the socket to
// drain (SSL_write wants to write), and many records pass in each direction.
BOOST_AUTO_TEST_CASE(a_tls_download_to_a_slow_reader_arrives_intact)
{
    const std::uint64_t size = 6 * MiB + 777;
    const auto r = curl(args({"--cacert", env().tls.ca_cert.string(), "--limit-rate", "3M",
                              env().tls_url("/up/bytes?n=" + std::to_string(size))}),
                        60);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto& res = r.response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(res.body.size() == size);
    BOOST_TEST(pattern_mismatch(res.body) == std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(a_tls_upload_streams_to_the_upstream)
{
    upload("tls-upload.bin", 24 * MiB + 5, {"--cacert", env().tls.ca_cert.string()}, env().tls_url("/up/echo?upload"),
           120);
}

// Several requests on one TLS connection (curl reuses it): each small answer
// is written as one record (head and body gathered), and the connection
// stays usable between them.
BOOST_AUTO_TEST_CASE(small_answers_on_one_tls_connection)
{
    std::vector<std::string> a{"--cacert", env().tls.ca_cert.string(), "-s", "-w",
                               "%{http_code} %{size_download} %{num_connects}\\n"};
    for (int i = 0; i < 5; ++i) {
        a.insert(a.end(), {"-o", "/dev/null"});
        a.push_back(env().tls_url("/up/bytes?n=" + std::to_string(100 + i)));
    }
    const auto r = curl_raw(args(a), 30);
    BOOST_TEST_REQUIRE(r.code == 0, r.err);
    BOOST_TEST(r.out == "200 100 1\n200 101 0\n200 102 0\n200 103 0\n200 104 0\n");
}

BOOST_AUTO_TEST_CASE(a_chunked_response_is_rechunked_for_http_1_1)
{
    const std::uint64_t size = 300001;
    const auto r = curl(args({env().url("/up/chunked?n=" + std::to_string(size))}));
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto& res = r.response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(to_lower(res.header("Transfer-Encoding")) == "chunked");
    BOOST_TEST(!res.has_header("Content-Length"));
    BOOST_TEST(res.body.size() == size);  // curl decoded the chunks
    BOOST_TEST(pattern_mismatch(res.body) == std::string_view::npos);

    // The connection stays usable after the last chunk.
    raw_client c(env().gw.port(0));
    for (int i = 0; i < 2; ++i) {
        c.send(request_text("GET", "/up/chunked?n=" + std::to_string(size), auth_line));
        const auto again = c.read_response();
        BOOST_TEST_REQUIRE(again.has_value());
        BOOST_TEST(to_lower(again->header("Transfer-Encoding")) == "chunked");
        BOOST_TEST(again->body.size() == size);
    }
    BOOST_TEST(c.still_open());
}

BOOST_AUTO_TEST_CASE(an_http_1_0_client_gets_a_close_delimited_body)
{
    const std::uint64_t size = 100000;
    raw_client c(env().gw.port(0));
    c.send("GET /up/chunked?n=" + std::to_string(size) + " HTTP/1.0\r\nHost: x\r\n" + auth_line + "\r\n");
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(!r->has_header("Transfer-Encoding"));  // HTTP/1.0 has no chunked coding
    BOOST_TEST(r->body.size() == size);
    BOOST_TEST(pattern_mismatch(r->body) == std::string_view::npos);
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(a_client_that_goes_away_mid_body_does_not_hurt)
{
    // 2 MiB/s for one second of a 512 MiB body, then curl gives up (exit 28).
    const auto r = curl_raw(args({"-o", "/dev/null", "--limit-rate", "2M", env().url("/up/bytes?n=536870912")}), 1);
    BOOST_TEST(r.code == 28, r.err);
    // The gateway goes on serving.
    const auto next = curl(args({env().url("/up/echo?after=abort")}));
    BOOST_TEST(next.response().status == 200u);
    BOOST_TEST(std::string(next.response().json().at("target").as_string()) == "/echo?after=abort");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(uploads)

BOOST_AUTO_TEST_CASE(a_large_upload_streams_to_the_upstream)
{
    const std::uint64_t size = 256 * MiB;
    const auto doc = upload("upload.bin", size, {}, env().url("/up/echo?upload"), 240);
    BOOST_TEST(std::string(doc.at("method").as_string()) == "PUT");
    const auto& headers = doc.at("headers").as_object();
    BOOST_TEST(std::string(headers.at("content-length").as_string()) == std::to_string(size));
    BOOST_TEST(!headers.contains("expect"));  // the gateway answered the 100-continue itself
    report_peak("after a 256 MiB upload");
}

BOOST_AUTO_TEST_CASE(a_chunked_upload_streams_chunked)
{
    const auto doc = upload("chunked-upload.bin", 32 * MiB + 7, {"-H", "Transfer-Encoding: chunked"},
                            env().url("/up/echo?chunked-upload"), 120);
    BOOST_TEST(to_lower(std::string(doc.at("headers").as_object().at("transfer-encoding").as_string())) == "chunked");
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_once_the_request_is_admitted)
{
    raw_client c(env().gw.port(0));
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth_line + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    BOOST_TEST_REQUIRE(c.still_open(3s));
    BOOST_TEST(c.received().rfind("HTTP/1.1 100 Continue\r\n", 0) == 0u, c.received());
    c.send("hello");
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->json().at("body_bytes").to_number<int>() == 5);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_without_a_key_is_refused_at_once)
{
    raw_client c(env().gw.port(0));
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
    const auto r = c.read_response(3s);
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 401, "unauthorized");
    // The unread body cannot be taken for a request: the gateway closes.
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_SUITE_END()
