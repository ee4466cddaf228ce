// TLS toward upstreams: a CA file, a pin, no verification, the name checked;
// each with a test upstream that serves HTTPS with a certificate made here.
#define BOOST_TEST_MODULE integration_tls
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>

#include <cctype>

using namespace bgtest;

namespace {

const std::string key = "key-tls-0123";

const char* const config_template = R"(
listen: {address: 127.0.0.1, port: 0, tls: {cert: "{GW_CERT}", key: "{GW_KEY}"}}
admin: {enabled: false}
threads: 1
shutdown_grace: 1s
clients:
  - {name: tls, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - {name: ca, type: http, base_url: "{UP}", tls: {ca_file: "{UP_CA}"}}
  - {name: wrong-ca, type: http, base_url: "{UP}", tls: {ca_file: "{ROGUE_CA}"}}
  - {name: system-ca, type: http, base_url: "{UP}"}
  - {name: pin, type: http, base_url: "{UP}", tls: {pin_sha256: "{UP_PIN}"}}
  - {name: pin-colons, type: http, base_url: "{UP}", tls: {pin_sha256: "{UP_PIN_COLONS}"}}
  - {name: wrong-pin, type: http, base_url: "{UP}", tls: {pin_sha256: "{ROGUE_PIN}"}}
  - {name: no-verify, type: http, base_url: "{UP}", tls: {verify: false}}
  - {name: by-name, type: http, base_url: "{UP}", tls: {ca_file: "{UP_CA}", server_name: localhost}}
  - {name: wrong-name, type: http, base_url: "{UP}", tls: {ca_file: "{UP_CA}", server_name: evil.example}}
  - {name: plain-to-tls, type: http, base_url: "http://127.0.0.1:{UP_PORT}", timeouts: {request: 2s}}
)";

// "AB:CD:..." (the form `openssl x509 -fingerprint` prints).
std::string with_colons(const std::string& hex)
{
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        if (i > 0)
            out += ':';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
    }
    return out;
}

struct tls_env {
    temp_dir dir;
    tls_files gw_tls = make_tls_files(dir.path(), "gw");
    tls_files up_tls = make_tls_files(dir.path(), "up");
    tls_files rogue = make_tls_files(dir.path(), "rogue");  // same names, another CA
    test_upstream up{&up_tls};
    gateway_process gw{dir.path(),
                       fill(config_template, {{"GW_CERT", gw_tls.cert.string()},
                                              {"GW_KEY", gw_tls.key.string()},
                                              {"KEY", sha256_hex(key)},
                                              {"UP", up.base_url()},
                                              {"UP_PORT", std::to_string(up.port())},
                                              {"UP_CA", up_tls.ca_cert.string()},
                                              {"ROGUE_CA", rogue.ca_cert.string()},
                                              {"UP_PIN", up_tls.leaf_sha256},
                                              {"UP_PIN_COLONS", with_colons(up_tls.leaf_sha256)},
                                              {"ROGUE_PIN", rogue.leaf_sha256}}),
                       1, false};
};

tls_env& env()
{
    static tls_env e;
    return e;
}

curl_result get(std::string_view path, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> args{"--cacert", env().gw_tls.ca_cert.string(), "-H", "Authorization: Bearer " + key};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("https://127.0.0.1:" + std::to_string(env().gw.port()) + std::string(path));
    return curl(args);
}

void expect_tls_ok(std::string_view backend)
{
    const auto before = env().up.requests();
    const auto r = get("/" + std::string(backend) + "/echo?via=" + std::string(backend));
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    BOOST_TEST(r.response().status == 200u);
    const auto doc = r.response().json();
    BOOST_TEST(doc.at("tls").as_bool());
    BOOST_TEST(std::string(doc.at("target").as_string()) == "/echo?via=" + std::string(backend));
    BOOST_TEST(env().up.requests() == before + 1);
}

// The request is refused with 502 before it reaches the upstream's HTTP layer.
boost::json::object expect_tls_refused(std::string_view backend)
{
    const auto before = env().up.requests();
    const auto r = get("/" + std::string(backend) + "/echo");
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    auto doc = expect_problem(r.response(), 502, "upstream-unreachable");
    BOOST_TEST(std::string(doc.at("backend").as_string()) == backend);
    BOOST_TEST(env().up.requests() == before);
    return doc;
}

std::string detail(const boost::json::object& doc) { return std::string(doc.at("detail").as_string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_file)

BOOST_AUTO_TEST_CASE(the_right_ca_works) { expect_tls_ok("ca"); }

BOOST_AUTO_TEST_CASE(a_wrong_ca_is_502)
{
    const auto doc = expect_tls_refused("wrong-ca");
    BOOST_TEST(detail(doc).find("TLS handshake failed") != std::string::npos, detail(doc));
}

BOOST_AUTO_TEST_CASE(the_system_store_does_not_trust_a_private_ca)
{
    expect_tls_refused("system-ca");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pin)

BOOST_AUTO_TEST_CASE(the_right_pin_works)
{
    expect_tls_ok("pin");
    expect_tls_ok("pin-colons");
}

BOOST_AUTO_TEST_CASE(a_wrong_pin_is_502)
{
    const auto doc = expect_tls_refused("wrong-pin");
    BOOST_TEST(detail(doc).find("pin_sha256") != std::string::npos, detail(doc));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(verification_off)

BOOST_AUTO_TEST_CASE(works_and_was_warned_about_at_start_up)
{
    expect_tls_ok("no-verify");
    bool warned = false;
    for (const auto& line : env().gw.log_lines()) {
        const auto msg = std::string(line.at("msg").as_string());
        if (msg == "listening")
            break;  // the warning comes before the gateway listens
        if (msg == "upstream TLS verification is off" && line.at("level").as_string() == "warn" &&
            line.at("backend").as_string() == "no-verify")
            warned = true;
    }
    BOOST_TEST(warned, env().gw.log());
    // Only the backend without verification is named.
    BOOST_TEST(env().gw.log().find("\"backend\":\"ca\"") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_name)

BOOST_AUTO_TEST_CASE(a_name_in_the_certificate_works) { expect_tls_ok("by-name"); }

BOOST_AUTO_TEST_CASE(a_name_not_in_the_certificate_is_502) { expect_tls_refused("wrong-name"); }

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(connections)

BOOST_AUTO_TEST_CASE(tls_upstream_connections_are_reused)
{
    // Warm the pool, then three requests on one client connection: at most
    // one new upstream connection (none if the pool had one).
    BOOST_TEST(get("/ca/echo").response().status == 200u);
    const auto before = env().up.connections();
    std::vector<std::string> args{"--cacert", env().gw_tls.ca_cert.string(), "-H", "Authorization: Bearer " + key,
                                  "-w", "%{http_code} %{num_connects}\n"};
    const auto url = "https://127.0.0.1:" + std::to_string(env().gw.port()) + "/ca/echo";
    for (int i = 0; i < 3; ++i)
        args.insert(args.end(), {"-o", "/dev/null", url});
    const auto r = curl_raw(args);
    BOOST_TEST(r.out == "200 1\n200 0\n200 0\n");
    BOOST_TEST(env().up.connections() == before);
    const auto seen = env().up.received();
    BOOST_TEST_REQUIRE(seen.size() >= 3u);
    BOOST_TEST(seen[seen.size() - 1].connection == seen[seen.size() - 3].connection);
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_tls_upstream_is_a_clean_error)
{
    const auto r = get("/plain-to-tls/echo");
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    // The TLS server answers plaintext with an alert or a close: not HTTP.
    BOOST_TEST(r.response().status == 502u);
    BOOST_TEST(r.response().header("Content-Type") == "application/problem+json");
}

BOOST_AUTO_TEST_SUITE_END()
