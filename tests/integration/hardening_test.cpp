// Issue 19's defects, each over a real socket against the real gateway: what
// an attacker (or a careless proxy in front) sends, and what must reach the
// upstream, or not. RFC 9112 sections are cited where the rule comes from.
#define BOOST_TEST_MODULE integration_hardening
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>

#include <fstream>
#include <sstream>

using namespace bgtest;

namespace {

const std::string key = "key-hardening-0123";

const char* const config_template = R"(
listen:
  - {address: 127.0.0.1, port: 0}
  - {address: 127.0.0.1, port: 0, tls: {cert: "{CERT}", key: "{TLS_KEY}", hsts: "max-age=31536000; includeSubDomains"}}
admin: {enabled: false}
threads: 1
shutdown_grace: 1s
limits: {body_timeout: 30s, header_timeout: 30s}
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - {name: up, type: http, base_url: "{UP}"}
  - name: pool
    type: http
    base_url: "{POOL}"
    max_idle_connections: 64
    timeouts: {idle: 60s}
  - name: cloudbasic
    type: cloudbasic
    base_url: {CB}
    credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
  - name: backupdr
    type: google-backupdr
    base_url: {BDR}/actifio
    options: {token_file: "{TOKEN_FILE}"}
)";

struct hardening_env {
    temp_dir dir;
    tls_files tls = make_tls_files(dir.path(), "gw");
    test_upstream up;
    test_upstream pool;  // only the CLOSE-WAIT case uses it
    sim_process sim;
    std::unique_ptr<gateway_process> gw;

    hardening_env()
    {
        write_file(dir / "bdr.token", "backupdr-demo-token\n");
        gw = std::make_unique<gateway_process>(
            dir.path(), fill(config_template, {{"KEY", sha256_hex(key)},
                                               {"UP", up.base_url()},
                                               {"POOL", pool.base_url()},
                                               {"CB", sim.base_url("cloudbasic")},
                                               {"VEEAM", sim.base_url("veeam")},
                                               {"BDR", sim.base_url("backupdr")},
                                               {"TOKEN_FILE", (dir / "bdr.token").string()},
                                               {"CERT", tls.cert.string()},
                                               {"TLS_KEY", tls.key.string()}}),
            2, false);
    }
};

hardening_env& env()
{
    static hardening_env e;
    return e;
}

const std::string auth = "Authorization: Bearer " + key + "\r\n";

// `raw` on a new connection; the first answer, or nullopt.
std::optional<http_response> send_raw(std::string_view raw, ms timeout = 5s)
{
    raw_client c(env().gw->port());
    c.send(raw);
    return c.read_response(timeout);
}

// The answer is a problem with `status`, and the upstream saw nothing.
void refused(std::string_view what, std::string_view raw, unsigned status, std::string_view slug,
             std::string_view detail_has)
{
    BOOST_TEST_CONTEXT(what)
    {
        const auto before = env().up.requests();
        const auto r = send_raw(raw);
        BOOST_TEST_REQUIRE(r.has_value());
        const auto doc = expect_problem(*r, status, slug);
        const std::string detail(doc.at("detail").as_string());
        BOOST_TEST(detail.find(detail_has) != std::string::npos, detail);
        BOOST_TEST(env().up.requests() == before);
    }
}

std::string lower_header(const upstream_request& r, std::string_view name)
{
    for (const auto& [n, v] : r.headers)
        if (to_lower(n) == name)
            return v;
    return {};
}

// The gateway's sockets to `port` in CLOSE-WAIT (the peer closed, we did not).
std::size_t close_wait_to(std::uint16_t port)
{
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    std::getline(tcp, line);  // the column names
    std::size_t n = 0;
    while (std::getline(tcp, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        const auto colon = remote.find(':');
        if (colon != std::string::npos && std::stoul(remote.substr(colon + 1), nullptr, 16) == port && state == "08")
            ++n;
    }
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(host)

// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code
// to any HTTP/1.1 request message that lacks a Host header field and to any
// request message that contains more than one Host header field line or a
// Host header field with an invalid field value." (They were forwarded with
// 200, the first or invalid value becoming X-Forwarded-Host.)
BOOST_AUTO_TEST_CASE(two_none_or_an_invalid_host_is_400)
{
    refused("two Host lines", "GET /up/echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + "\r\n", 400, "bad-request",
            "2 Host header fields");
    refused("no Host on HTTP/1.1", "GET /up/echo HTTP/1.1\r\n" + auth + "\r\n", 400, "bad-request",
            "must have a Host");
    refused("Host: a@b/c", "GET /up/echo HTTP/1.1\r\nHost: a@b/c\r\n" + auth + "\r\n", 400, "bad-request",
            "not a valid host");
    refused("Host with userinfo", "GET /up/echo HTTP/1.1\r\nHost: user@b\r\n" + auth + "\r\n", 400, "bad-request",
            "not a valid host");
}

BOOST_AUTO_TEST_CASE(a_valid_host_and_an_http_1_0_request_without_one_pass)
{
    const auto with_port = send_raw("GET /up/echo HTTP/1.1\r\nHost: gw.example:8443\r\n" + auth + "\r\n");
    BOOST_TEST_REQUIRE(with_port.has_value());
    BOOST_TEST(with_port->status == 200u);
    BOOST_TEST(lower_header(env().up.last(), "x-forwarded-host") == "gw.example:8443");
    const auto old = send_raw("GET /up/echo HTTP/1.0\r\n" + auth + "\r\n");
    BOOST_TEST_REQUIRE(old.has_value());
    BOOST_TEST(old->status == 200u);
    BOOST_TEST(lower_header(env().up.last(), "x-forwarded-host").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(framing)

// RFC 9112 §5.2: obs-fold. Beast joined ` Content-Length: 5` to `X-Foo: bar`,
// sent the POST upstream with an empty body, and the body's bytes became the
// start of a second request (the simulator saw a method `helloGET`).
BOOST_AUTO_TEST_CASE(an_obs_fold_is_400_and_the_connection_closes)
{
    const auto before = env().up.requests();
    raw_client c(env().gw->port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "X-Foo: bar\r\n Content-Length: 5\r\n\r\nhelloGET /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    const auto doc = expect_problem(*r, 400, "bad-request");
    BOOST_TEST(std::string(doc.at("detail").as_string()).find("obs-fold") != std::string::npos);
    BOOST_TEST(c.wait_closed(3s));
    BOOST_TEST(env().up.requests() == before);
    // A tab folds too.
    refused("a tab", "GET /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "X-Foo: bar\r\n\tmore\r\n\r\n", 400,
            "bad-request", "obs-fold");
}

// The chunk's data must be followed by CRLF: `0\r\n` there is wrong as soon as
// it arrives. It got 408 after the body timeout (60 s by default).
BOOST_AUTO_TEST_CASE(a_truncated_chunk_is_400_at_once)
{
    raw_client c(env().gw->port());
    const auto start = std::chrono::steady_clock::now();
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nABCDE0\r\n");
    const auto r = c.read_response(10s);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST_REQUIRE(r.has_value());
    const auto doc = expect_problem(*r, 400, "bad-request");
    BOOST_TEST(std::string(doc.at("detail").as_string()).find("chunk") != std::string::npos);
    BOOST_TEST(took < 3s);  // (body_timeout is 30 s here)
    // The same arriving in pieces: the framing is checked as it arrives.
    raw_client d(env().gw->port());
    d.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nAB");
    std::this_thread::sleep_for(200ms);
    d.send("CDEX");
    const auto r2 = d.read_response(10s);
    BOOST_TEST_REQUIRE(r2.has_value());
    expect_problem(*r2, 400, "bad-request");
}

BOOST_AUTO_TEST_CASE(a_well_framed_chunked_body_still_passes)
{
    raw_client c(env().gw->port());
    c.send("POST /up/echo HTTP/1.1\r\nHost: x\r\n" + auth +
           "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nABCDE\r\n3\r\nFGH\r\n0\r\nX-Trailer: t\r\n\r\n");
    const auto r = c.read_response(10s);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->json().at("body_bytes").to_number<int>() == 8);
}

// RFC 9112 §2.2: "a server that is expecting to receive and parse a
// request-line SHOULD ignore at least one empty line (CRLF) received prior to
// the request-line". It answered 400 bad method.
BOOST_AUTO_TEST_CASE(an_empty_line_before_the_request_line_is_ignored)
{
    const auto r = send_raw("\r\nGET /up/echo?after-crlf HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(env().up.last().target == "/echo?after-crlf");
}

// A method that is not registered (RFC 9110 §16.1) is not forwarded.
BOOST_AUTO_TEST_CASE(an_unregistered_method_is_501)
{
    refused("MKCOLA", "MKCOLA /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 501, "not-implemented", "MKCOLA");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credentials)

// The first of two keys won: swapping them changed the answer from 200 to 401.
BOOST_AUTO_TEST_CASE(a_repeated_credential_header_is_400)
{
    const std::string wrong = "Authorization: Bearer not-the-key\r\n";
    refused("Authorization twice", "GET /up/echo HTTP/1.1\r\nHost: x\r\n" + auth + wrong + "\r\n", 400, "bad-request",
            "more than one Authorization");
    refused("Authorization twice, swapped", "GET /up/echo HTTP/1.1\r\nHost: x\r\n" + wrong + auth + "\r\n", 400,
            "bad-request", "more than one Authorization");
    refused("X-API-Key twice", "GET /up/echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\nX-API-Key: other\r\n\r\n",
            400, "bad-request", "more than one X-API-Key");
}

// The client authenticates to the gateway, not to AWS: a client's X-Amz-*
// went into the SignedHeaders of the gateway's own signature (X-Amz-Target:
// cbr.Evil reached CloudBasic signed). None of them reaches the vendor now.
BOOST_AUTO_TEST_CASE(a_clients_amz_headers_are_never_signed_or_sent)
{
    const auto r = gateway_get(*env().gw, key, "/cloudbasic/replications/rep-0001",
                               {"-H", "X-Amz-Target: cbr.Evil", "-H", "X-Amz-Security-Token: client-token", "-H",
                                "X-Amz-Date: 20000101T000000Z"});
    BOOST_TEST(r.status == 200u, r.body);
    const auto last = env().sim.state("cloudbasic").at("last_request").as_object();
    const auto& headers = last.at("headers").as_object();
    BOOST_TEST(!headers.contains("x-amz-target"));
    BOOST_TEST(!headers.contains("x-amz-security-token"));
    BOOST_TEST(std::string(headers.at("x-amz-date").as_string()) != "20000101T000000Z");
    const std::string authorization(headers.at("authorization").as_string());
    BOOST_TEST(authorization.find("x-amz-target") == std::string::npos, authorization);
    BOOST_TEST(authorization.find("x-amz-security-token") == std::string::npos, authorization);
}

// Neither may a client set a vendor's session or pinned version.
BOOST_AUTO_TEST_CASE(a_clients_session_and_version_headers_are_replaced)
{
    const auto bdr = gateway_get(*env().gw, key, "/backupdr/host?limit=1",
                                 {"-H", "backupdr-management-session: Actifio client-session"});
    BOOST_TEST(bdr.status == 200u, bdr.body);
    const auto bdr_headers = env().sim.state("backupdr").at("last_request").as_object().at("headers").as_object();
    const std::string session(bdr_headers.at("backupdr-management-session").as_string());
    BOOST_TEST(session.find("client-session") == std::string::npos, session);
    const auto veeam = gateway_get(*env().gw, key, "/veeam/repositories?Limit=1", {"-H", "x-api-version: 0.1-evil"});
    BOOST_TEST(veeam.status == 200u, veeam.body);
    const auto veeam_headers = env().sim.state("veeam").at("last_request").as_object().at("headers").as_object();
    BOOST_TEST(std::string(veeam_headers.at("x-api-version").as_string()) == "1.7-rev0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(upstream_pool)

// After a burst, pooled upstream connections the upstream closed sat in
// CLOSE-WAIT until timeouts.idle (60 s here); they are closed within about a
// second of the upstream's close now.
BOOST_AUTO_TEST_CASE(pooled_connections_the_upstream_closed_are_freed)
{
    auto& e = env();
    std::vector<std::unique_ptr<child_process>> burst;
    for (int i = 0; i < 12; ++i)
        burst.push_back(curl_async({"-H", "Authorization: Bearer " + key, gateway_url(*e.gw, "/pool/slow?ms=300")}));
    for (auto& c : burst)
        BOOST_TEST(c->wait_exit(10s).code == 0);
    BOOST_TEST_REQUIRE(e.pool.open_connections() >= 6u);  // a burst's worth, pooled
    const auto closed = e.pool.close_connections();
    BOOST_TEST_MESSAGE("the upstream closed " << closed << " connections");
    // The gateway's side sees the FIN at once; it must close its side soon.
    BOOST_TEST(eventually([&] { return close_wait_to(e.pool.port()) > 0 || e.pool.open_connections() == 0; }, 2s));
    BOOST_TEST(eventually([&] { return close_wait_to(e.pool.port()) == 0; }, 4s),
               close_wait_to(e.pool.port()) << " sockets still in CLOSE-WAIT");
    // And the pool still works.
    const auto r = gateway_get(*e.gw, key, "/pool/echo");
    BOOST_TEST(r.status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls)

// The gateway's order of its TLS 1.2 suites decides (SSL_OP_CIPHER_SERVER_PREFERENCE):
// a client listing AES-256 first still gets the gateway's first choice, AES-128.
BOOST_AUTO_TEST_CASE(the_servers_cipher_order_wins)
{
    const auto port = env().gw->port(1);
    const auto ca = env().tls.ca_cert;
    const auto chosen = tls12_negotiated_cipher(port, ca, "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256");
    BOOST_TEST(chosen == "ECDHE-ECDSA-AES128-GCM-SHA256");
    // Offered alone, the other is taken: the order, not a refusal, made the choice.
    BOOST_TEST(tls12_negotiated_cipher(port, ca, "ECDHE-ECDSA-AES256-GCM-SHA384") == "ECDHE-ECDSA-AES256-GCM-SHA384");
}

// Strict-Transport-Security (RFC 6797), configured per TLS listener: on every
// answer there (a relayed one, a problem), never on plain HTTP (§7.2).
BOOST_AUTO_TEST_CASE(hsts_is_on_every_answer_of_its_listener)
{
    const auto url = "https://127.0.0.1:" + std::to_string(env().gw->port(1));
    const std::vector<std::string> tls_args{"--cacert", env().tls.ca_cert.string(), "-H", "Authorization: Bearer " + key};
    auto ok_args = tls_args;
    ok_args.push_back(url + "/up/echo");
    const auto ok = curl(ok_args).response();
    BOOST_TEST(ok.status == 200u);
    BOOST_TEST(ok.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    auto problem_args = tls_args;
    problem_args.push_back(url + "/nope/x");
    const auto problem = curl(problem_args).response();
    BOOST_TEST(problem.status == 404u);
    BOOST_TEST(problem.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    auto streamed_args = tls_args;
    streamed_args.push_back(url + "/up/chunked?n=100000");
    const auto streamed = curl(streamed_args).response();
    BOOST_TEST(streamed.status == 200u);
    BOOST_TEST(streamed.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    const auto plain = gateway_get(*env().gw, key, "/up/echo");
    BOOST_TEST(plain.status == 200u);
    BOOST_TEST(!plain.has_header("Strict-Transport-Security"));
}

BOOST_AUTO_TEST_SUITE_END()
