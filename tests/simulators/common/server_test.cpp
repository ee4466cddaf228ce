// sim::server against a small in-test vendor, over real loopback sockets: the
// admin endpoints, the fault switches, keep-alive, HEAD, limits, streaming, TLS.
#define BOOST_TEST_MODULE sim_server
#include <boost/test/unit_test.hpp>

#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <unistd.h>

namespace {

namespace json = boost::json;
namespace http = boost::beast::http;
using sim::test::send;
using namespace std::chrono_literals;

// Answers "hello <target>"; /stream streams `stream_size` bytes, /throw throws.
class echo_vendor : public sim::vendor {
public:
    std::string_view name() const override { return "echo"; }
    sim::reply handle(const sim::request& req) override {
        ++handled;
        if (req.target() == "/throw") throw std::runtime_error("broken on purpose");
        sim::response res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain");
        if (req.target() == "/stream") {
            res.set(http::field::content_type, "application/octet-stream");
            return {std::move(res), stream_size};
        }
        res.set("X-Echo-Method", req.method_string());
        res.body() = "hello " + std::string(req.target());
        return {std::move(res), {}};
    }
    json::object state() const override { return {{"expired", expired.load()}, {"resets", resets.load()}}; }
    void expire_all() override { ++expired; }
    void reset() override { ++resets; }

    std::uint64_t stream_size = 0;
    std::atomic<int> handled{0};  // requests the vendor itself answered
    std::atomic<int> expired{0};
    std::atomic<int> resets{0};
};

struct fixture {
    explicit fixture(int threads = 1) : srv(vendor, clock, options(threads)) {}
    static sim::server_options options(int threads) {
        sim::server_options o;
        o.threads = threads;
        return o;
    }
    sim::test::result get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
        return send(srv.port(), http::verb::get, target, std::move(headers));
    }
    sim::test::result admin(http::verb method, const std::string& name, const std::string& body = {}) {
        return send(srv.port(), method, "/__sim/" + name, {{"Content-Type", "application/json"}}, body);
    }
    json::object state() { return json::parse(admin(http::verb::get, "state").body).as_object(); }
    std::uint64_t requests() { return state().at("counters").at("requests").to_number<std::uint64_t>(); }

    echo_vendor vendor;
    sim::clock clock;
    sim::server srv;
};

}  // namespace

BOOST_AUTO_TEST_CASE(serves_the_vendor_and_counts_requests_but_not_admin_ones) {
    fixture f;
    auto r = f.get("/a/b?x=1");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == "hello /a/b?x=1");
    BOOST_TEST(r.header("content-length") == "14");
    f.get("/again");
    BOOST_TEST(f.requests() == 2u);
    BOOST_TEST(f.requests() == 2u);  // reading the state is not counted
}

// A recorded header with a byte above 0x7F (obs-text) made /__sim/state
// invalid JSON (issue 19, defect 8): it is the byte's Latin-1 character now.
BOOST_AUTO_TEST_CASE(state_stays_valid_json_with_bytes_above_0x7f) {
    fixture f;
    send(f.srv.port(), http::verb::get, "/x", {{"X-Latin", "\xE9t\xE9"}, {"X-Utf8", "\xC3\xA9t\xC3\xA9"}}, "");
    const auto s = f.state();  // (parsed by Boost.JSON, which checks UTF-8)
    const auto& headers = s.at("last_request").at("headers").as_object();
    BOOST_TEST(headers.at("x-latin").as_string() == "\xC3\xA9t\xC3\xA9");
    BOOST_TEST(headers.at("x-utf8").as_string() == "\xC3\xA9t\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(state_shows_counters_last_request_and_vendor_state) {
    fixture f;
    BOOST_TEST(f.state().at("last_request").is_null());
    send(f.srv.port(), http::verb::post, "/login?x=1",
         {{"Authorization", "Bearer abc"}, {"X-Custom", "one"}, {"x-custom", "two"}}, "api_key=k");
    auto s = f.state();
    BOOST_TEST(s.at("vendor").as_string() == "echo");
    const auto& last = s.at("last_request").as_object();
    BOOST_TEST(last.at("method").as_string() == "POST");
    BOOST_TEST(last.at("target").as_string() == "/login?x=1");
    BOOST_TEST(last.at("body").as_string() == "api_key=k");
    const auto& headers = last.at("headers").as_object();
    BOOST_TEST(headers.at("authorization").as_string() == "Bearer abc");
    BOOST_TEST(headers.at("x-custom").as_string() == "one, two");
    BOOST_TEST(headers.at("host").as_string() == "127.0.0.1:" + std::to_string(f.srv.port()));
    BOOST_TEST(headers.at("content-length").as_string() == "9");
    for (const char* name : {"requests", "logins", "failed_logins", "refreshes", "logouts", "unauthorized"})
        BOOST_TEST(s.at("counters").as_object().contains(name));
    BOOST_TEST(s.at("vendor_state").at("expired").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(status_faults_hit_the_next_requests_in_order) {
    fixture f;
    BOOST_TEST(f.admin(http::verb::post, "faults", R"({"count":2,"status":503})").status == 200u);
    BOOST_TEST(f.admin(http::verb::post, "faults", R"({"count":1,"status":500})").status == 200u);
    BOOST_TEST(f.state().at("pending_faults").as_int64() == 3);
    for (unsigned expected : {503u, 503u, 500u}) {
        auto r = f.get("/x");
        BOOST_TEST(r.status == expected);
        BOOST_TEST(json::parse(r.body) == json::parse(R"({"fault":"injected"})"));
    }
    BOOST_TEST(f.get("/x").status == 200u);
    BOOST_TEST(f.requests() == 4u);
    // A faulted request is still the last request.
    BOOST_TEST(f.state().at("last_request").at("target").as_string() == "/x");
}

BOOST_AUTO_TEST_CASE(bad_fault_bodies_are_rejected) {
    fixture f;
    for (const char* body : {"", "[]", R"({"status":500})", R"({"count":0,"status":500})", R"({"count":1})",
                             R"({"count":1,"status":42})", R"({"count":1,"status":500,"reset":true})",
                             R"({"count":1,"delay_ms":-5})"})
        BOOST_TEST(f.admin(http::verb::post, "faults", body).status == 400u, body);
    BOOST_TEST(f.state().at("pending_faults").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(a_delay_fault_answers_late_without_blocking_the_only_thread) {
    fixture f(1);
    f.admin(http::verb::post, "faults", R"({"count":1,"delay_ms":600})");
    auto start = std::chrono::steady_clock::now();
    auto delayed = std::async(std::launch::async, [&] { return f.get("/slow"); });
    std::this_thread::sleep_for(100ms);  // let the delayed request reach the server first
    auto quick = f.get("/quick");
    auto quick_done = std::chrono::steady_clock::now();
    auto slow = delayed.get();
    auto slow_done = std::chrono::steady_clock::now();
    BOOST_TEST(quick.status == 200u);
    BOOST_TEST(slow.status == 200u);
    BOOST_TEST(slow.body == "hello /slow");
    BOOST_TEST((quick_done - start) < 500ms);
    BOOST_TEST((slow_done - start) >= 600ms);
}

BOOST_AUTO_TEST_CASE(a_delay_can_precede_a_status) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":1,"delay_ms":200,"status":502})");
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(f.get("/x").status == 502u);
    BOOST_TEST((std::chrono::steady_clock::now() - start) >= 200ms);
}

BOOST_AUTO_TEST_CASE(a_reset_fault_drops_the_connection) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":1,"reset":true})");
    BOOST_CHECK_THROW(f.get("/x"), boost::system::system_error);
    BOOST_TEST(f.get("/x").status == 200u);
    BOOST_TEST(f.requests() == 2u);
}

// The ambiguous case: the vendor ran the request, then the connection reset.
BOOST_AUTO_TEST_CASE(a_reset_after_the_vendor_ran_the_request) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":1,"reset":true})");
    BOOST_CHECK_THROW(f.get("/before"), boost::system::system_error);
    BOOST_TEST(f.vendor.handled == 0);
    f.admin(http::verb::post, "faults", R"({"count":1,"reset":true,"after":true})");
    BOOST_CHECK_THROW(f.get("/after"), boost::system::system_error);
    BOOST_TEST(f.vendor.handled == 1);
    BOOST_TEST(f.admin(http::verb::post, "faults", R"({"count":1,"after":true,"status":503})").status == 400u);
}

// Retry-After in both forms (RFC 9110 §10.2.3) on an injected status.
BOOST_AUTO_TEST_CASE(a_status_fault_may_say_retry_after) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":1,"status":503,"retry_after":3})");
    f.admin(http::verb::post, "faults", R"({"count":1,"status":429,"retry_after":"Wed, 21 Oct 2026 07:28:00 GMT"})");
    f.admin(http::verb::post, "faults", R"({"count":1,"status":503})");
    BOOST_TEST(f.get("/x").header("Retry-After") == "3");
    BOOST_TEST(f.get("/x").header("Retry-After") == "Wed, 21 Oct 2026 07:28:00 GMT");
    BOOST_TEST(f.get("/x").header("Retry-After") == "");
    for (const char* body : {R"({"count":1,"status":503,"retry_after":-1})", R"({"count":1,"status":503,"retry_after":""})",
                             R"({"count":1,"status":503,"one_in":0})"})
        BOOST_TEST(f.admin(http::verb::post, "faults", body).status == 400u, body);
}

// One request in K: the 1st, (K+1)th, ... of the requests the entry covers.
BOOST_AUTO_TEST_CASE(a_fault_one_request_in_k) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":9,"status":503,"one_in":3})");
    std::string seen;
    for (int i = 0; i < 10; ++i)
        seen += f.get("/x").status == 503u ? 'F' : '.';
    BOOST_TEST(seen == "F..F..F...");
    BOOST_TEST(f.state().at("pending_faults").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(expire_reset_and_clock_reach_the_vendor_and_the_clock) {
    fixture f;
    f.admin(http::verb::post, "faults", R"({"count":5,"status":500})");
    f.get("/x");
    BOOST_TEST(f.admin(http::verb::post, "expire").status == 200u);
    BOOST_TEST(f.vendor.expired == 1);

    auto before = f.clock.now();
    auto r = f.admin(http::verb::post, "clock", R"({"advance_seconds":3600})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST((f.clock.now() - before) >= 3600s);
    BOOST_TEST(f.admin(http::verb::post, "clock", R"({"advance_seconds":-1})").status == 400u);

    BOOST_TEST(f.admin(http::verb::post, "reset").status == 200u);
    BOOST_TEST(f.vendor.resets == 1);
    auto s = f.state();
    BOOST_TEST(s.at("counters").at("requests").as_int64() == 0);
    BOOST_TEST(s.at("pending_faults").as_int64() == 0);
    BOOST_TEST(s.at("last_request").is_null());
    BOOST_TEST(f.get("/x").status == 200u);  // the faults are gone
}

BOOST_AUTO_TEST_CASE(unknown_admin_endpoints_and_methods) {
    fixture f;
    BOOST_TEST(f.admin(http::verb::get, "nope").status == 404u);
    BOOST_TEST(f.admin(http::verb::get, "reset").status == 405u);
    BOOST_TEST(f.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(keeps_connections_alive_and_closes_when_asked) {
    fixture f;
    sim::test::connection conn(f.srv.port());
    for (int i = 0; i < 3; ++i) {
        auto r = conn.send({http::verb::get, "/k" + std::to_string(i), 11});
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == "hello /k" + std::to_string(i));
    }
    http::request<http::string_body> last{http::verb::get, "/bye", 11};
    last.set(http::field::connection, "close");
    BOOST_TEST(conn.send(std::move(last)).header("connection") == "close");
    BOOST_TEST(conn.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(head_answers_headers_only) {
    fixture f;
    auto r = send(f.srv.port(), http::verb::head, "/abc");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("content-length") == "10");  // "hello /abc"
    BOOST_TEST(r.header("x-echo-method") == "HEAD");
    BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(a_vendor_exception_is_a_500) {
    fixture f;
    auto r = f.get("/throw");
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(json::parse(r.body).at("what").as_string() == "broken on purpose");
}

BOOST_AUTO_TEST_CASE(an_oversized_body_is_a_413) {
    fixture f;
    http::request<http::string_body> req{http::verb::post, "/upload", 11};
    req.content_length(sim::max_request_body + 1);  // announced only: the server answers from the head
    auto r = send(f.srv.port(), std::move(req));
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.header("connection") == "close");
}

BOOST_AUTO_TEST_CASE(a_malformed_request_is_a_400) {
    fixture f;
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), f.srv.port()});
    asio::write(socket, asio::buffer(std::string_view("GET /x HTTP/1.1\r\nBad Header\r\n\r\n")));
    std::string answer;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(answer), ec);  // until the server closes
    BOOST_TEST(answer.starts_with("HTTP/1.1 400"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_gets_a_100_before_the_body) {
    fixture f;
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), f.srv.port()});
    asio::write(socket, asio::buffer(std::string_view(
                            "POST /upload HTTP/1.1\r\nHost: sim\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")));
    std::string interim;
    asio::read_until(socket, asio::dynamic_buffer(interim), "\r\n\r\n");
    BOOST_TEST(interim.starts_with("HTTP/1.1 100 Continue"));
    asio::write(socket, asio::buffer(std::string_view("hello")));
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(f.state().at("last_request").at("body").as_string() == "hello");
}

// 256 MiB read in slices: the size, the pattern at every byte, and only a
// slice-sized buffer on the client side.
BOOST_AUTO_TEST_CASE(streams_a_large_body_in_the_documented_pattern) {
    fixture f;
    constexpr std::uint64_t size = 256ull * 1024 * 1024 + 12345;
    f.vendor.stream_size = size;

    namespace asio = boost::asio;
    namespace beast = boost::beast;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), f.srv.port()});
    http::request<http::empty_body> req{http::verb::get, "/stream", 11};
    req.set(http::field::host, "sim");
    http::write(socket, req);

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(size);
    http::read_header(socket, buffer, parser);
    BOOST_TEST(parser.get().result_int() == 200u);
    BOOST_TEST(parser.content_length().value_or(0) == size);

    std::vector<std::uint8_t> slice(256 * 1024);
    std::uint64_t offset = 0;
    bool pattern_ok = true;
    while (!parser.is_done()) {
        parser.get().body().data = slice.data();
        parser.get().body().size = slice.size();
        boost::system::error_code ec;
        http::read(socket, buffer, parser, ec);
        if (ec && ec != http::error::need_buffer) BOOST_FAIL("read: " << ec.message());
        std::size_t got = slice.size() - parser.get().body().size;
        for (std::size_t i = 0; i < got && pattern_ok; ++i) pattern_ok = slice[i] == sim::streamed_byte(offset + i);
        offset += got;
    }
    BOOST_TEST(pattern_ok);
    BOOST_TEST(offset == size);

    // The connection stays usable after the download.
    http::request<http::empty_body> next{http::verb::get, "/after", 11};
    next.set(http::field::host, "sim");
    http::write(socket, next);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    BOOST_TEST(res.body() == "hello /after");
}

BOOST_AUTO_TEST_CASE(head_of_a_stream_gives_its_length) {
    fixture f;
    f.vendor.stream_size = 1ull << 30;
    auto r = send(f.srv.port(), http::verb::head, "/stream");
    BOOST_TEST(r.header("content-length") == std::to_string(1ull << 30));
    BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(several_threads_serve_concurrent_clients) {
    fixture f(4);
    std::vector<std::future<bool>> clients;
    for (int c = 0; c < 8; ++c)
        clients.push_back(std::async(std::launch::async, [&f, c] {
            sim::test::connection conn(f.srv.port());
            for (int i = 0; i < 50; ++i) {
                std::string target = "/c" + std::to_string(c) + "/" + std::to_string(i);
                if (conn.send({http::verb::get, target, 11}).body != "hello " + target) return false;
            }
            return true;
        }));
    for (auto& c : clients) BOOST_TEST(c.get());
    BOOST_TEST(f.requests() == 400u);
}

namespace {

// A throwaway self-signed P-256 certificate for 127.0.0.1, written as PEM files.
struct self_signed {
    self_signed() {
        auto dir = std::filesystem::temp_directory_path();
        auto tag = std::to_string(::getpid());
        cert = (dir / ("sim-test-" + tag + ".crt")).string();
        key = (dir / ("sim-test-" + tag + ".key")).string();
        EVP_PKEY* pkey = EVP_EC_gen("P-256");
        X509* x509 = X509_new();
        X509_set_version(x509, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
        X509_gmtime_adj(X509_getm_notBefore(x509), -60);
        X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
        X509_set_pubkey(x509, pkey);
        X509_NAME* subject = X509_get_subject_name(x509);
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"),
                                   -1, -1, 0);
        X509_set_issuer_name(x509, subject);
        X509_sign(x509, pkey, EVP_sha256());
        FILE* c = std::fopen(cert.c_str(), "w");
        PEM_write_X509(c, x509);
        std::fclose(c);
        FILE* k = std::fopen(key.c_str(), "w");
        PEM_write_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(k);
        X509_free(x509);
        EVP_PKEY_free(pkey);
    }
    ~self_signed() {
        std::filesystem::remove(cert);
        std::filesystem::remove(key);
    }
    std::string cert;
    std::string key;
};

}  // namespace

BOOST_AUTO_TEST_CASE(serves_https_when_given_a_certificate) {
    self_signed files;
    echo_vendor vendor;
    sim::clock clock;
    sim::server_options opts;
    opts.tls_cert_file = files.cert;
    opts.tls_key_file = files.key;
    sim::server srv(vendor, clock, opts);
    BOOST_TEST(srv.tls());
    auto r = sim::test::send_tls(srv.port(), {http::verb::get, "/secure", 11});
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == "hello /secure");
    // Plain HTTP on a TLS port gets no HTTP answer.
    BOOST_CHECK_THROW(send(srv.port(), http::verb::get, "/plain"), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(tls_needs_both_files) {
    echo_vendor vendor;
    sim::clock clock;
    sim::server_options opts;
    opts.tls_cert_file = "/nonexistent.crt";
    BOOST_CHECK_THROW(sim::server(vendor, clock, opts), std::invalid_argument);
}
