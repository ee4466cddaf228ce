// The proxy path over real sockets: listeners (TLS and plain), client
// authentication, routing, what goes upstream and what comes back, keep-alive,
// pipelining, upstream failures, the admin listener.
#define BOOST_TEST_MODULE integration_proxy
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <openssl/ssl.h>

#include <limits>

using namespace bgtest;

namespace {

const std::string alice_key = "key-alice-0123";  // may reach every backend
const std::string bob_key = "key-bob-4567";      // may reach `up` only

const char* const config_template = R"(
listen:
  - {address: 127.0.0.1, port: 0, tls: {cert: "{CERT}", key: "{KEY}"}}
  - {address: 127.0.0.1, port: 0}
  - {address: 127.0.0.1, port: 0, tls: {cert: "{CERT}", key: "{KEY}", client_ca: "{CA}"}}
admin: {address: 127.0.0.1, port: 0}
threads: 1
shutdown_grace: 1s
clients:
  - {name: alice, api_key_sha256: "{ALICE}", backends: ["*"]}
  - {name: bob, api_key_sha256: "{BOB}", backends: [up]}
backends:
  - name: up
    type: http
    base_url: {UP}/base
    headers: {X-Static: from-config}
    timeouts: {connect: 1s, request: 1500ms}
  - name: other
    type: http
    base_url: {UP}
  - name: pooled
    type: http
    base_url: {POOLED}
  - name: burst
    type: http
    base_url: {BURST}
    max_idle_connections: 2
  - name: down
    type: http
    base_url: http://127.0.0.1:{CLOSED}
    timeouts: {connect: 1s}
)";

struct proxy_env {
    temp_dir dir;
    tls_files tls = make_tls_files(dir.path(), "gw");
    test_upstream up;
    test_upstream pooled;  // only the keep-alive test uses it: its counts are exact
    test_upstream burst;   // only the burst test uses it
    gateway_process gw{dir.path(),
                       fill(config_template, {{"CERT", tls.cert.string()},
                                              {"KEY", tls.key.string()},
                                              {"CA", tls.ca_cert.string()},
                                              {"ALICE", sha256_hex(alice_key)},
                                              {"BOB", sha256_hex(bob_key)},
                                              {"UP", up.base_url()},
                                              {"POOLED", pooled.base_url()},
                                              {"BURST", burst.base_url()},
                                              {"CLOSED", std::to_string(closed_port())}}),
                       3};

    std::string https(std::string_view path) const
    {
        return "https://127.0.0.1:" + std::to_string(gw.port(0)) + std::string(path);
    }
    std::string plain(std::string_view path) const
    {
        return "http://127.0.0.1:" + std::to_string(gw.port(1)) + std::string(path);
    }
    std::string mtls(std::string_view path) const
    {
        return "https://127.0.0.1:" + std::to_string(gw.port(2)) + std::string(path);
    }
    std::vector<std::string> tls_args() const { return {"--cacert", tls.ca_cert.string()}; }
};

proxy_env& env()
{
    static proxy_env e;
    return e;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::string> key(const std::string& k) { return {"-H", "Authorization: Bearer " + k}; }

// GET through the TLS listener as alice.
curl_result get_tls(std::string_view path, const std::vector<std::string>& extra = {})
{
    return curl(with(with(env().tls_args(), key(alice_key)), with(extra, {env().https(path)})));
}

// GET through the plain listener with `extra` arguments (no key unless given).
curl_result get_plain(std::string_view path, const std::vector<std::string>& extra = {})
{
    return curl(with(extra, {env().plain(path)}));
}

boost::json::object echo_headers(const http_response& r) { return r.json().at("headers").as_object(); }

std::string str(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string("<absent>");
}

bool is_generated_id(const std::string& id)
{
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string auth_line(const std::string& k) { return "Authorization: Bearer " + k + "\r\n"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(listeners)

BOOST_AUTO_TEST_CASE(tls_listener_answers_curl_with_the_generated_ca)
{
    const auto r = get_tls("/up/echo");
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.response().status == 200u);
    BOOST_TEST(str(r.response().json(), "target") == "/base/echo");
}

BOOST_AUTO_TEST_CASE(tls_listener_refuses_an_unknown_ca)
{
    // Without --cacert curl does not trust the gateway's certificate: exit 60.
    const auto r = curl(with(key(alice_key), {env().https("/up/echo")}));
    BOOST_TEST(r.exit_code == 60);
    BOOST_TEST(r.responses.empty());
}

BOOST_AUTO_TEST_CASE(tls_1_2_and_1_3_work_with_curl)
{
    const auto v12 = get_tls("/up/echo", {"--tlsv1.2", "--tls-max", "1.2"});
    BOOST_TEST(v12.exit_code == 0, v12.err);
    BOOST_TEST(v12.response().status == 200u);
    const auto v13 = get_tls("/up/echo", {"--tlsv1.3"});
    BOOST_TEST(v13.exit_code == 0, v13.err);
    BOOST_TEST(v13.response().status == 200u);
}

// A client may not start a new TLS 1.2 handshake on an open connection: each
// costs the server a key exchange, for nothing the client could not get by
// reconnecting (HAProxy and nginx refuse it too). The connection's first
// request is answered; the gateway keeps serving.
BOOST_AUTO_TEST_CASE(client_initiated_tls_1_2_renegotiation_is_refused)
{
    const auto r = tls12_renegotiate(env().gw.port(0), env().tls.ca_cert,
                                     request_text("GET", "/up/echo", auth_line(alice_key)), 5s);
    BOOST_TEST(r.first_answer.starts_with("HTTP/1.1 200 "), r.first_answer);
    BOOST_TEST(!r.renegotiated);
    BOOST_TEST(r.error == "no renegotiation", r.error);
    BOOST_TEST(get_tls("/up/echo").response().status == 200u);
}

// A TLS read that must wait for the client receives what comes (up to 512
// bytes) before OpenSSL reads the socket itself (gateway/tls_server_stream.hpp).
// Records cut anywhere, even inside their 5-byte header, and a request
// larger than that first read, are put together; the connection closes as
// asked once answered.
BOOST_AUTO_TEST_CASE(tls_records_that_arrive_in_pieces_are_put_together)
{
    const std::string close_after = auth_line(alice_key) + "Connection: close\r\n";
    const std::string pad(3000, 'p');
    struct shape {
        std::string cut;  // the request's ?cut=, echoed back
        bool padded;      // a 3 KB header: a record larger than the first read
        std::vector<std::size_t> cuts;
        std::string_view what;
    };
    const std::vector<shape> shapes{
        {"header", false, {1, 2, 1}, "inside the record header"},
        {"body", false, {5, 30}, "inside the encrypted part"},
        {"large", true, {3, 600, 1000}, "a record larger than the first read, in pieces"},
        {"whole", true, {}, "a record larger than the first read, at once"},
    };
    for (const auto& sh : shapes) {
        BOOST_TEST_CONTEXT(sh.what)
        {
            const auto request = request_text("GET", "/up/echo?cut=" + sh.cut,
                                              close_after + (sh.padded ? "X-Pad: " + pad + "\r\n" : std::string()));
            const auto got = tls_exchange_in_pieces(env().gw.port(0), env().tls.ca_cert, request, sh.cuts, 50ms,
                                                    std::numeric_limits<std::size_t>::max(), 5s);
            const auto responses = parse_curl_output(got);
            BOOST_TEST_REQUIRE(responses.size() == 1u, got);
            BOOST_TEST(responses[0].status == 200u);
            BOOST_TEST(str(responses[0].json(), "target") == "/base/echo?cut=" + sh.cut);
            BOOST_TEST(str(echo_headers(responses[0]), "x-pad") == (sh.padded ? pad : std::string("<absent>")));
        }
    }
}

BOOST_AUTO_TEST_CASE(tls_1_1_is_refused)
{
    // curl, allowed to use TLS 1.1 on its side (security level 0), cannot connect...
    const auto r = get_tls("/up/echo", {"--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0"});
    BOOST_TEST(r.exit_code == 35, "curl exit " << r.exit_code << ": " << r.err);  // SSL connect error
    BOOST_TEST(r.responses.empty());
    // ...and the refusal is the gateway's: the same client negotiates 1.2 and 1.3.
    const auto port = env().gw.port(0);
    const auto& ca = env().tls.ca_cert;
    BOOST_TEST(tls_handshake_version(port, TLS1_1_VERSION, TLS1_1_VERSION, ca).empty());
    BOOST_TEST(tls_handshake_version(port, TLS1_VERSION, TLS1_VERSION, ca).empty());
    BOOST_TEST(tls_handshake_version(port, TLS1_2_VERSION, TLS1_2_VERSION, ca) == "TLSv1.2");
    BOOST_TEST(tls_handshake_version(port, TLS1_3_VERSION, TLS1_3_VERSION, ca) == "TLSv1.3");
}

BOOST_AUTO_TEST_CASE(plain_listener_works)
{
    const auto r = get_plain("/up/echo?via=plain", key(alice_key));
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.response().status == 200u);
    const auto doc = r.response().json();
    BOOST_TEST(str(doc, "target") == "/base/echo?via=plain");
    BOOST_TEST(str(doc.at("headers").as_object(), "x-forwarded-proto") == "http");
}

BOOST_AUTO_TEST_CASE(mtls_listener_requires_a_client_certificate)
{
    const auto without = curl(with(with(env().tls_args(), key(alice_key)), {env().mtls("/up/echo")}));
    BOOST_TEST(without.exit_code != 0);
    BOOST_TEST(without.responses.empty());
    // The gateway's own leaf (signed by the same CA, clientAuth usage) as a client certificate.
    const auto with_cert = curl(with(with(env().tls_args(), key(alice_key)),
                                     {"--cert", env().tls.cert.string(), "--key", env().tls.key.string(),
                                      env().mtls("/up/echo")}));
    BOOST_TEST(with_cert.exit_code == 0, with_cert.err);
    BOOST_TEST(with_cert.response().status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(client_authentication)

BOOST_AUTO_TEST_CASE(no_key_is_401_with_a_challenge_and_a_problem)
{
    const auto before = env().up.requests();
    const auto r = get_plain("/up/echo");
    const auto& res = r.response();
    const auto doc = expect_problem(res, 401, "unauthorized");
    BOOST_TEST(res.header("WWW-Authenticate").rfind("Bearer realm=", 0) == 0u);
    BOOST_TEST(res.header("Cache-Control") == "no-store");
    BOOST_TEST(str(doc, "title") == "Missing or unknown API key");
    BOOST_TEST(is_generated_id(str(doc, "request_id")));
    BOOST_TEST(env().up.requests() == before);  // nothing went upstream
}

BOOST_AUTO_TEST_CASE(wrong_key_is_401)
{
    const auto r = get_plain("/up/echo", key("not-a-key"));
    expect_problem(r.response(), 401, "unauthorized");
    BOOST_TEST(r.response().has_header("WWW-Authenticate"));
    const auto api = get_plain("/up/echo", {"-H", "X-API-Key: not-a-key"});
    expect_problem(api.response(), 401, "unauthorized");
}

BOOST_AUTO_TEST_CASE(x_api_key_and_lowercase_bearer_work)
{
    BOOST_TEST(get_plain("/up/echo", {"-H", "X-API-Key: " + alice_key}).response().status == 200u);
    BOOST_TEST(get_plain("/up/echo", {"-H", "Authorization: bearer " + alice_key}).response().status == 200u);
}

BOOST_AUTO_TEST_CASE(two_different_keys_are_401)
{
    const auto r = get_plain("/up/echo", with(key(alice_key), {"-H", "X-API-Key: " + bob_key}));
    const auto doc = expect_problem(r.response(), 401, "unauthorized");
    BOOST_TEST(str(doc, "detail").find("different") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_backend_not_allowed_is_403)
{
    BOOST_TEST(get_plain("/up/echo", key(bob_key)).response().status == 200u);
    const auto r = get_plain("/other/echo", key(bob_key));
    const auto doc = expect_problem(r.response(), 403, "forbidden");
    BOOST_TEST(str(doc, "backend") == "other");
    BOOST_TEST(str(doc, "detail").find("bob") != std::string::npos);
    BOOST_TEST(!r.response().has_header("WWW-Authenticate"));
}

BOOST_AUTO_TEST_CASE(an_unknown_backend_is_404)
{
    const auto r = get_plain("/nope/echo", key(alice_key));
    const auto doc = expect_problem(r.response(), 404, "unknown-backend");
    BOOST_TEST(str(doc, "detail").find("'nope'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dot_segments_are_400)
{
    const auto before = env().up.requests();
    for (auto path : {"/up/../other/echo", "/up/%2e%2e/other/echo", "/up/%2E/echo", "/up/a/./echo"}) {
        BOOST_TEST_CONTEXT(path)
        {
            const auto r = get_plain(path, with(key(alice_key), {"--path-as-is"}));
            expect_problem(r.response(), 400, "bad-request");
        }
    }
    BOOST_TEST(env().up.requests() == before);
}

// RFC 9112 §3.2.2: a server must accept a request target in absolute form;
// it is routed by its path, and its authority stands for Host (issue 19, defect 7:
// it was refused with 400). The asterisk form is only for OPTIONS to a server
// as a whole, which the gateway does not forward.
BOOST_AUTO_TEST_CASE(an_absolute_form_target_is_routed_by_its_path)
{
    raw_client c(env().gw.port(1));
    c.send(request_text("GET", "http://gw.example:8080/up/echo?x=1", auth_line(alice_key)));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST_REQUIRE(r->status == 200u);
    const auto echo = r->json();
    BOOST_TEST(str(echo, "target") == "/base/echo?x=1");
    BOOST_TEST(std::string(echo.at("headers").as_object().at("x-forwarded-host").as_string()) == "gw.example:8080");
}

BOOST_AUTO_TEST_CASE(asterisk_and_other_absolute_targets_are_400)
{
    for (auto target : {"*", "ftp://127.0.0.1/up/echo", "http://user@127.0.0.1/up/echo", "http:/up/echo"}) {
        BOOST_TEST_CONTEXT(target)
        {
            raw_client c(env().gw.port(1));
            c.send(request_text("GET", target, auth_line(alice_key)));
            const auto r = c.read_response();
            BOOST_TEST_REQUIRE(r.has_value());
            expect_problem(*r, 400, "bad-request");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(what_goes_upstream)

BOOST_AUTO_TEST_CASE(path_and_query_are_kept_exactly)
{
    const auto r = get_plain("/up/a%2Fb//c%20d/?q=%41&x&y=1", with(key(alice_key), {"--path-as-is"}));
    BOOST_TEST(r.response().status == 200u);
    BOOST_TEST(str(r.response().json(), "target") == "/base/a%2Fb//c%20d/?q=%41&x&y=1");
    // The backend alone maps to the base path.
    BOOST_TEST(str(get_plain("/up", key(alice_key)).response().json(), "target") == "/base/");
    BOOST_TEST(str(get_plain("/other/x/", key(alice_key)).response().json(), "target") == "/x/");
}

BOOST_AUTO_TEST_CASE(the_clients_key_is_not_forwarded)
{
    const auto r = get_tls("/up/echo", {"-H", "X-API-Key: " + alice_key});
    BOOST_TEST(r.response().status == 200u);
    const auto h = echo_headers(r.response());
    BOOST_TEST(!h.contains("authorization"));
    BOOST_TEST(!h.contains("x-api-key"));
    BOOST_TEST(r.response().body.find(alice_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(forwarding_headers_are_set)
{
    const auto port = std::to_string(env().gw.port(0));
    const auto r = get_tls("/up/echo", {"-H", "X-Forwarded-For: 203.0.113.9"});
    const auto h = echo_headers(r.response());
    BOOST_TEST(str(h, "x-forwarded-for") == "203.0.113.9, 127.0.0.1");
    BOOST_TEST(str(h, "x-forwarded-proto") == "https");
    BOOST_TEST(str(h, "x-forwarded-host") == "127.0.0.1:" + port);
    BOOST_TEST(str(h, "host") == "127.0.0.1:" + std::to_string(env().up.port()));
    BOOST_TEST(str(h, "user-agent").rfind("curl/", 0) == 0u);  // end-to-end headers pass

    const auto first_hop = get_plain("/up/echo", key(alice_key));
    BOOST_TEST(str(echo_headers(first_hop.response()), "x-forwarded-for") == "127.0.0.1");

    // Several X-Forwarded-For lines are one list: no hop is lost.
    const auto two_lines =
        get_plain("/up/echo", with(key(alice_key), {"-H", "X-Forwarded-For: 203.0.113.9", "-H",
                                                    "X-Forwarded-For: 198.51.100.7"}));
    BOOST_TEST(str(echo_headers(two_lines.response()), "x-forwarded-for") == "203.0.113.9, 198.51.100.7, 127.0.0.1");
}

BOOST_AUTO_TEST_CASE(a_sent_request_id_is_kept)
{
    const auto r = get_tls("/up/echo", {"-H", "X-Request-Id: my-request-42"});
    BOOST_TEST(r.response().header("X-Request-Id") == "my-request-42");
    BOOST_TEST(str(echo_headers(r.response()), "x-request-id") == "my-request-42");
}

BOOST_AUTO_TEST_CASE(a_request_id_is_generated_otherwise)
{
    const auto r = get_tls("/up/echo");
    const auto id = r.response().header("X-Request-Id");
    BOOST_TEST(is_generated_id(id), id);
    BOOST_TEST(str(echo_headers(r.response()), "x-request-id") == id);
    // A bad one (too long) is replaced, the same way.
    const auto bad = get_tls("/up/echo", {"-H", "X-Request-Id: " + std::string(200, 'x')});
    const auto replaced = bad.response().header("X-Request-Id");
    BOOST_TEST(is_generated_id(replaced), replaced);
    BOOST_TEST(str(echo_headers(bad.response()), "x-request-id") == replaced);
    BOOST_TEST(replaced != id);
}

BOOST_AUTO_TEST_CASE(hop_by_hop_request_headers_are_dropped)
{
    const auto r = get_tls("/up/echo", {"-H", "Connection: X-Private, X-Other", "-H", "X-Private: p", "-H",
                                        "X-Other: o", "-H", "Keep-Alive: timeout=5", "-H", "TE: trailers", "-H",
                                        "Upgrade: websocket", "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==",
                                        "-H", "Proxy-Connection: keep-alive", "-H", "X-Kept: yes"});
    BOOST_TEST(r.response().status == 200u);
    const auto h = echo_headers(r.response());
    for (auto name : {"x-private", "x-other", "keep-alive", "te", "upgrade", "proxy-authorization",
                      "proxy-connection"}) {
        BOOST_TEST_CONTEXT(name) { BOOST_TEST(!h.contains(name)); }
    }
    BOOST_TEST(to_lower(str(h, "connection")).find("x-private") == std::string::npos);
    BOOST_TEST(str(h, "x-kept") == "yes");
}

BOOST_AUTO_TEST_CASE(hop_by_hop_response_headers_are_dropped)
{
    const auto r = get_tls("/up/hop");
    const auto& res = r.response();
    BOOST_TEST(res.status == 200u);
    BOOST_TEST(res.body == "hop");
    for (auto name : {"X-Upstream-Private", "Keep-Alive", "Proxy-Authenticate", "Upgrade", "Trailer"}) {
        BOOST_TEST_CONTEXT(name) { BOOST_TEST(!res.has_header(name)); }
    }
    BOOST_TEST(to_lower(res.header("Connection")).find("x-upstream-private") == std::string::npos);
    BOOST_TEST(res.header("X-Upstream-Public") == "visible");
}

BOOST_AUTO_TEST_CASE(informational_upstream_responses_are_not_taken_for_the_answer)
{
    // On one client connection (and so one pooled upstream connection): the
    // answer after the 1xx responses, then the next request's own answer.
    raw_client c(env().gw.port(1));
    c.send(request_text("GET", "/other/early", auth_line(alice_key)));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->body == "early");
    c.send(request_text("GET", "/other/echo?after=early", auth_line(alice_key)));
    const auto next = c.read_response();
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(next->status == 200u);
    BOOST_TEST(next->body.find("/echo?after=early") != std::string::npos, next->body);
}

BOOST_AUTO_TEST_CASE(static_backend_headers_are_added)
{
    BOOST_TEST(str(echo_headers(get_tls("/up/echo").response()), "x-static") == "from-config");
    BOOST_TEST(!echo_headers(get_tls("/other/echo").response()).contains("x-static"));
}

BOOST_AUTO_TEST_CASE(a_small_body_and_the_method_go_upstream)
{
    const auto r = get_tls("/up/echo", {"-X", "PUT", "--data-binary", "hello, upstream"});
    const auto doc = r.response().json();
    BOOST_TEST(str(doc, "method") == "PUT");
    BOOST_TEST(doc.at("body_bytes").to_number<int>() == 15);
    BOOST_TEST(doc.at("body_fnv").to_number<std::uint64_t>() == fnv1a("hello, upstream"));
    BOOST_TEST(str(doc.at("headers").as_object(), "content-length") == "15");
}

// Success statuses pass through as they are; an upstream error keeps its
// status and becomes a problem holding the upstream's body (one error format).
BOOST_AUTO_TEST_CASE(upstream_statuses_and_bodies_pass_through)
{
    const auto r = get_tls("/up/status/503");
    const auto problem = expect_problem(r.response(), 503, "upstream-error");
    BOOST_TEST(problem.at("upstream").at("status").to_number<int>() == 503);
    BOOST_TEST(problem.at("upstream").at("body") == boost::json::parse(R"({"upstream_status":503})"));
    BOOST_TEST(problem.at("title").as_string() == "Test status");  // no vendor format: the reason phrase
    const auto ok = get_tls("/up/status/200");
    BOOST_TEST(ok.response().status == 200u);
    BOOST_TEST(ok.response().header("Content-Type") == "application/json");
    BOOST_TEST(ok.response().body == R"({"upstream_status":200})");
    const auto no_content = get_tls("/up/status/204");
    BOOST_TEST(no_content.response().status == 204u);
    BOOST_TEST(no_content.response().body.empty());
    BOOST_TEST(get_tls("/up/status/404").response().status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(connections)

BOOST_AUTO_TEST_CASE(keep_alive_reuses_client_and_upstream_connections)
{
    auto& pooled = env().pooled;
    const auto url = env().plain("/pooled/echo");
    std::vector<std::string> args = with(key(alice_key), {"-w", "%{http_code} %{num_connects}\n"});
    for (int i = 0; i < 3; ++i)
        args.insert(args.end(), {"-o", "/dev/null", url});
    const auto r = curl_raw(args);
    BOOST_TEST(r.code == 0, r.err);
    // One client connection for three requests...
    BOOST_TEST(r.out == "200 1\n200 0\n200 0\n");
    // ...and one upstream connection, from the pool.
    BOOST_TEST(pooled.connections() == 1u);
    const auto seen = pooled.received();
    BOOST_TEST(seen.size() == 3u);
    for (const auto& req : seen)
        BOOST_TEST(req.connection == 1u);

    // A new client connection still gets the pooled upstream connection.
    raw_client c(env().gw.port(1));
    for (int i = 0; i < 2; ++i) {
        c.send(request_text("GET", "/pooled/echo", auth_line(alice_key)));
        const auto res = c.read_response();
        BOOST_TEST_REQUIRE(res.has_value());
        BOOST_TEST(res->status == 200u);
        BOOST_TEST(res->header("X-Upstream-Connection") == "1");
    }
    BOOST_TEST(c.still_open());
    BOOST_TEST(pooled.connections() == 1u);
}

// max_idle_connections (2 here) is what stays pooled once traffic calms
// down; under a load that uses more connections at once, the surplus is
// reused rather than closed at each release (a new upstream connection per
// request above the cap), and is closed after it has been idle a second.
BOOST_AUTO_TEST_CASE(a_burst_above_max_idle_connections_reuses_its_connections)
{
    auto& burst = env().burst;
    const auto round = [] {
        std::vector<std::string> args =
            with(key(alice_key), {"--parallel", "--parallel-immediate", "--parallel-max", "6", "-w", "%{http_code}\n"});
        for (int i = 0; i < 6; ++i)
            args.insert(args.end(), {"-o", "/dev/null", env().plain("/burst/slow?ms=300")});
        const auto r = curl_raw(args);
        BOOST_TEST(r.code == 0, r.err);
        BOOST_TEST(r.out == "200\n200\n200\n200\n200\n200\n");
    };
    round();
    const auto first = burst.connections();
    BOOST_TEST(first == 6u);  // six at once: six connections
    round();                  // at once again, within the second: the same six
    BOOST_TEST(burst.connections() == first);
    std::this_thread::sleep_for(2500ms);  // quiet: the surplus is closed, two stay
    round();
    BOOST_TEST(burst.connections() == first + 4);
}

BOOST_AUTO_TEST_CASE(connection_close_from_the_client_closes)
{
    raw_client c(env().gw.port(1));
    c.send(request_text("GET", "/up/echo", auth_line(alice_key) + "Connection: close\r\n"));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(to_lower(r->header("Connection")) == "close");
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(an_http_1_0_client_gets_a_close)
{
    raw_client c(env().gw.port(1));
    c.send("GET /up/echo HTTP/1.0\r\nHost: x\r\n" + auth_line(alice_key) + "\r\n");
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(str(r->json(), "target") == "/base/echo");
    BOOST_TEST(c.wait_closed(3s));
}

BOOST_AUTO_TEST_CASE(a_problem_keeps_the_connection_open)
{
    raw_client c(env().gw.port(1));
    c.send(request_text("GET", "/nope/x", auth_line(alice_key)));
    const auto r = c.read_response();
    BOOST_TEST_REQUIRE(r.has_value());
    expect_problem(*r, 404, "unknown-backend");
    c.send(request_text("GET", "/up/echo", auth_line(alice_key)));
    const auto next = c.read_response();
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(next->status == 200u);
}

BOOST_AUTO_TEST_CASE(a_head_problem_has_a_length_and_no_body)
{
    raw_client c(env().gw.port(1));
    c.send(request_text("HEAD", "/nope/x", auth_line(alice_key)));
    const auto r = c.read_response(10s, true);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 404u);
    BOOST_TEST(std::stoul(r->header("Content-Length")) > 0u);
    BOOST_TEST(r->body.empty());
    // No body bytes were sent: the next response is read cleanly.
    c.send(request_text("GET", "/up/echo?after=head", auth_line(alice_key)));
    const auto next = c.read_response();
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(next->status == 200u);
    BOOST_TEST(str(next->json(), "target") == "/base/echo?after=head");
}

BOOST_AUTO_TEST_CASE(a_head_request_is_proxied_without_a_body)
{
    raw_client c(env().gw.port(1));
    c.send(request_text("HEAD", "/up/echo", auth_line(alice_key)));
    const auto r = c.read_response(10s, true);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->body.empty());
    c.send(request_text("GET", "/up/echo?after=head", auth_line(alice_key)));
    const auto next = c.read_response();
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(str(next->json(), "target") == "/base/echo?after=head");
    // After a HEAD, a refused GET on the same connection still gets its problem body.
    c.send(request_text("HEAD", "/up/echo", auth_line(alice_key)));
    BOOST_TEST_REQUIRE(c.read_response(10s, true).has_value());
    c.send(request_text("GET", "/nope/x", auth_line(alice_key)));
    const auto refused = c.read_response();
    BOOST_TEST_REQUIRE(refused.has_value());
    expect_problem(*refused, 404, "unknown-backend");
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order)
{
    raw_client c(env().gw.port(1));
    // One write: a slow request first, a refused one, a request with a body, a plain one.
    const std::string batch =
        request_text("GET", "/up/slow?ms=300", auth_line(alice_key) + "X-Request-Id: p1\r\n") +
        request_text("GET", "/up/echo?n=2", "X-Request-Id: p2\r\n") +
        request_text("POST", "/up/echo?n=3", auth_line(alice_key) + "X-Request-Id: p3\r\n", "hello") +
        request_text("GET", "/up/echo?n=4", auth_line(alice_key) + "X-Request-Id: p4\r\n");
    BOOST_TEST_REQUIRE(c.send(batch));
    std::vector<http_response> responses;
    for (int i = 0; i < 4; ++i) {
        auto r = c.read_response();
        BOOST_TEST_REQUIRE(r.has_value(), "response " << i + 1 << " missing");
        responses.push_back(std::move(*r));
    }
    BOOST_TEST(responses[0].status == 200u);
    BOOST_TEST(responses[0].body == "slow\n");
    BOOST_TEST(responses[1].status == 401u);
    BOOST_TEST(responses[2].status == 200u);
    BOOST_TEST(str(responses[2].json(), "target") == "/base/echo?n=3");
    BOOST_TEST(responses[2].json().at("body_bytes").to_number<int>() == 5);
    BOOST_TEST(str(responses[3].json(), "target") == "/base/echo?n=4");
    for (std::size_t i = 0; i < responses.size(); ++i)
        BOOST_TEST(responses[i].header("X-Request-Id") == "p" + std::to_string(i + 1));
    BOOST_TEST(c.still_open());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(upstream_failures)

BOOST_AUTO_TEST_CASE(an_upstream_that_is_down_is_502)
{
    const auto r = get_tls("/down/anything");
    const auto doc = expect_problem(r.response(), 502, "upstream-unreachable");
    BOOST_TEST(str(doc, "backend") == "down");
    BOOST_TEST(str(doc, "detail").find("connect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_slow_upstream_is_504)
{
    const auto start = std::chrono::steady_clock::now();
    const auto r = get_tls("/up/slow?ms=4000");
    const auto took = std::chrono::steady_clock::now() - start;
    const auto doc = expect_problem(r.response(), 504, "upstream-timeout");
    BOOST_TEST(str(doc, "backend") == "up");
    // timeouts.request is 1500 ms.
    BOOST_TEST(took >= 1400ms);
    BOOST_TEST(took < 3500ms);
}

BOOST_AUTO_TEST_CASE(an_upstream_that_closes_without_answering_is_502)
{
    const auto r = get_tls("/up/close");
    expect_problem(r.response(), 502, "upstream-unreachable");
    // And the gateway goes on.
    BOOST_TEST(get_tls("/up/echo").response().status == 200u);
}

// A pooled connection that fails before any answer is replaced once, but only
// for idempotent methods: a POST the upstream may have run is not sent again.
BOOST_AUTO_TEST_CASE(a_post_is_not_resent_when_the_upstream_closes)
{
    BOOST_TEST(get_tls("/up/echo").response().status == 200u);  // leaves a pooled connection
    auto count_posts = [] {
        std::size_t n = 0;
        for (const auto& r : env().up.received())
            n += r.method == "POST" && r.target == "/base/close";
        return n;
    };
    const auto before = count_posts();
    const auto r = get_tls("/up/close", {"-X", "POST", "--data-binary", "start-the-job"});
    expect_problem(r.response(), 502, "upstream-unreachable");
    BOOST_TEST(count_posts() == before + 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(admin)

BOOST_AUTO_TEST_CASE(healthz_readyz_and_metrics)
{
    const auto base = "http://127.0.0.1:" + std::to_string(env().gw.admin_port());
    const auto health = curl({base + "/healthz"});
    BOOST_TEST(health.response().status == 200u);
    BOOST_TEST(health.response().body == R"({"status":"ok"})");
    const auto ready = curl({base + "/readyz"});
    BOOST_TEST(ready.response().status == 200u);
    BOOST_TEST(ready.response().body == R"({"status":"ready"})");

    get_tls("/up/echo");
    const auto metrics = curl({base + "/metrics"});
    BOOST_TEST(metrics.response().status == 200u);
    const auto& text = metrics.response().body;
    const auto at = text.find("\ngateway_requests_total ");
    BOOST_TEST_REQUIRE(at != std::string::npos, text);
    BOOST_TEST(std::stoul(text.substr(at + 24)) >= 1u);
    BOOST_TEST(text.find("# TYPE gateway_requests_total counter") != std::string::npos);
    BOOST_TEST(text.find("gateway_responses_total{class=\"2xx\"}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(other_paths_and_methods_are_refused)
{
    const auto base = "http://127.0.0.1:" + std::to_string(env().gw.admin_port());
    const auto nope = curl({"-H", "X-Request-Id: admin-probe-1", base + "/nope"});
    BOOST_TEST(nope.response().status == 404u);
    BOOST_TEST(nope.response().header("Content-Type") == "application/problem+json");
    BOOST_TEST(str(nope.response().json(), "type") == "urn:backup-gateway:problem:not-found");
    // The problem names its request, as on the proxy listener.
    BOOST_TEST(str(nope.response().json(), "request_id") == "admin-probe-1");
    BOOST_TEST(nope.response().header("X-Request-Id") == "admin-probe-1");
    const auto generated = curl({base + "/nope"});
    BOOST_TEST(str(generated.response().json(), "request_id").size() == 32u);
    BOOST_TEST(generated.response().header("X-Request-Id") == str(generated.response().json(), "request_id"));
    const auto post = curl({"-X", "POST", base + "/healthz"});
    BOOST_TEST(post.response().status == 405u);
    BOOST_TEST(post.response().header("Allow") == "GET, HEAD");
}

BOOST_AUTO_TEST_SUITE_END()
