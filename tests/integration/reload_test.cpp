// Change without downtime (issue 17, docs/operations.md): POST /-/reload and
// SIGHUP under keep-alive load, a refused file, a change that takes a
// restart, and certificate rotation. The real gateway and backup-sim.
#define BOOST_TEST_MODULE integration_reload
#include "tests/integration/harness.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sstream>
#include <thread>

using namespace bgtest;

namespace {

const std::string k1 = "key-reload-one";    // in both configurations
const std::string k2 = "key-reload-two";    // only in A
const std::string k3 = "key-reload-three";  // only in B

// A and B differ in a client key and in one backend's upstream settings
// (veeam's request timeout); cpm is the same in both.
const char* const config_template = R"(
listen:
  address: 127.0.0.1
  port: {PORT}
{TLS}
admin: {address: 127.0.0.1, port: 0}
threads: 2
drain_delay: 0s
access_log: {path: "off"}
clients:
  - {name: one, api_key_sha256: "{K1}", backends: ["*"]}
  - {name: {OTHER_NAME}, api_key_sha256: "{OTHER}", backends: ["*"]}
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
    timeouts: {request: {VEEAM_TIMEOUT}}
)";

struct env {
    temp_dir dir;
    sim_process sim;
    std::unique_ptr<gateway_process> gw;
    std::string tls_block;

    std::string config(bool a, int port = 0, const std::string& extra = "") const
    {
        return fill(config_template, {{"PORT", std::to_string(port)},
                                      {"TLS", tls_block},
                                      {"K1", sha256_hex(k1)},
                                      {"OTHER_NAME", a ? "two" : "three"},
                                      {"OTHER", sha256_hex(a ? k2 : k3)},
                                      {"CPM", sim.base_url("cpm")},
                                      {"VEEAM", sim.base_url("veeam")},
                                      {"VEEAM_TIMEOUT", a ? "30s" : "31s"}}) +
               extra;
    }
    void start(const std::string& tls = "") {
        tls_block = tls;
        gw = std::make_unique<gateway_process>(dir.path(), config(true), 1);
    }
    void write(const std::string& yaml) const { write_file(dir / "gateway.yaml", yaml); }
    http_response reload() const
    {
        return curl({"-X", "POST", "http://127.0.0.1:" + std::to_string(gw->admin_port()) + "/-/reload"}, 30)
            .response();
    }
    std::string metric(const std::string& series) const { return metric_value(gw->admin_port(), series); }
    http_response get(const std::string& key, std::string_view target) const
    {
        return gateway_get(*gw, key, target);
    }
};

}  // namespace

// 20 reloads, alternating A and B, while 64 keep-alive connections send
// requests: none fails; cpm (unchanged) logs in once in all, veeam (changed
// each time) gets a fresh adapter, and each one replaced logs out once its
// requests have finished.
BOOST_AUTO_TEST_CASE(twenty_reloads_under_load_fail_no_request)
{
    env e;
    e.start();
    std::atomic<bool> stop{false};
    std::vector<unsigned> codes;
    std::thread load([&] {
        while (!stop) {
            std::vector<std::unique_ptr<child_process>> runs;
            for (int r = 0; r < 4; ++r) {
                std::vector<std::string> args{"--parallel", "--parallel-max", "16", "-s", "-H",
                                              "Authorization: Bearer " + k1, "-w", "%{http_code}\\n"};
                for (int i = 0; i < 160; ++i) {
                    args.push_back("-o");
                    args.push_back("/dev/null");
                    args.push_back(gateway_url(*e.gw, i % 2 ? "/cpm/regions/" : "/veeam/virtualMachines"));
                }
                runs.push_back(curl_async(args, 60));
            }
            for (auto& run : runs) {
                run->wait_exit(70s);
                std::istringstream lines(run->out());
                for (std::string line; std::getline(lines, line);)
                    if (!line.empty())
                        codes.push_back(static_cast<unsigned>(std::stoul(line)));
            }
        }
    });
    std::this_thread::sleep_for(500ms);
    for (int i = 1; i <= 20; ++i) {
        e.write(e.config(i % 2 == 0));  // B, A, B, ...: the 20th is A
        http_response r;
        try {
            r = e.reload();
        } catch (const std::exception& ex) {
            BOOST_TEST_MESSAGE("reload: " << ex.what() << "\n" << e.gw->log());
        }
        BOOST_TEST(r.status == 200u, r.body);
        if (r.status != 200u)
            break;  // (the load is stopped below: no REQUIRE while its thread runs)
        const auto body = r.json();
        BOOST_TEST(body.at("result").as_string() == "reloaded");
        BOOST_TEST(body.at("generation").as_int64() == i + 1);
        BOOST_TEST(boost::json::serialize(body.at("backends_kept")) == R"(["cpm"])");
        BOOST_TEST(boost::json::serialize(body.at("backends_started")) == R"(["veeam"])");
        std::this_thread::sleep_for(900ms);  // 20 reloads in about 20 s of load
    }
    stop = true;
    load.join();
    BOOST_TEST_MESSAGE(codes.size() << " requests during 20 reloads");
    BOOST_TEST(codes.size() >= 1000u);
    BOOST_TEST(static_cast<std::size_t>(std::count(codes.begin(), codes.end(), 200u)) == codes.size());
    BOOST_TEST(e.sim.counter("cpm", "logins") == 1);
    const auto veeam_logins = e.sim.counter("veeam", "logins");
    BOOST_TEST(veeam_logins >= 10);
    BOOST_TEST(veeam_logins <= 21);
    // Each replaced veeam adapter logged out once its last request ended.
    BOOST_TEST(eventually([&] { return e.sim.counter("veeam", "logouts") == veeam_logins - 1; }, 5s));
    BOOST_TEST(e.sim.counter("cpm", "logouts") == 0);
    // The keys are A's now.
    BOOST_TEST(e.get(k2, "/cpm/regions/").status == 200u);
    BOOST_TEST(e.get(k3, "/cpm/regions/").status == 401u);
    BOOST_TEST(e.metric("gateway_config_generation") == "21");
    BOOST_TEST(e.metric("gateway_config_reloads_total{result=\"success\"}") == "20");
}

// A refused file changes nothing: still serving, the error named with the
// YAML's path and line, in the answer, the log and the metrics.
BOOST_AUTO_TEST_CASE(a_refused_file_changes_nothing)
{
    env e;
    e.start();
    BOOST_TEST(e.get(k2, "/cpm/regions/").status == 200u);
    auto bad = e.config(false);
    const auto at = bad.find("timeouts: {request: 31s}");
    BOOST_REQUIRE(at != std::string::npos);
    bad.replace(at, std::string("timeouts: {request: 31s}").size(), "timeouts: {request: soon}");
    const int line = 1 + static_cast<int>(std::count(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    e.write(bad);
    const auto r = e.reload();
    BOOST_TEST(r.status == 422u);
    const auto body = r.json();
    BOOST_TEST(body.at("result").as_string() == "failed");
    BOOST_TEST(body.at("generation").as_int64() == 1);
    const std::string error(body.at("error").as_string());
    BOOST_TEST(error.find("gateway.yaml:" + std::to_string(line) + ": backends[1].timeouts.request") !=
               std::string::npos, error);
    // Still A: k2 in, k3 out.
    BOOST_TEST(e.get(k2, "/cpm/regions/").status == 200u);
    BOOST_TEST(e.get(k3, "/cpm/regions/").status == 401u);
    BOOST_TEST(e.metric("gateway_config_reloads_total{result=\"failure\"}") == "1");
    BOOST_TEST(e.metric("gateway_config_last_reload_successful") == "0");
    BOOST_TEST(e.metric("gateway_config_generation") == "1");
    // SIGHUP: the same, in the log.
    e.gw->signal(SIGHUP);
    BOOST_TEST(e.gw->proc().wait_for_err("reload failed", 5s));
    BOOST_TEST(eventually([&] { return e.metric("gateway_config_reloads_total{result=\"failure\"}") == "2"; }, 5s));
    // A change only a restart can make (the admin listener's port) is refused too.
    auto admin_moved = e.config(false);
    const auto admin_at = admin_moved.find("admin: {address: 127.0.0.1, port: 0}");
    BOOST_REQUIRE(admin_at != std::string::npos);
    admin_moved.replace(admin_at, std::string("admin: {address: 127.0.0.1, port: 0}").size(),
                        "admin: {address: 127.0.0.1, port: " + std::to_string(free_port()) + "}");
    e.write(admin_moved);
    const auto restart = e.reload();
    BOOST_TEST(restart.status == 422u);
    BOOST_TEST(std::string(restart.json().at("error").as_string()).find("admin: the admin listener changed; that "
                                                                        "takes a restart") != std::string::npos);
    // A good file, through SIGHUP: B runs.
    e.write(e.config(false));
    e.gw->signal(SIGHUP);
    BOOST_TEST(eventually([&] { return e.get(k3, "/cpm/regions/").status == 200u; }, 5s));
    BOOST_TEST(e.get(k2, "/cpm/regions/").status == 401u);
    BOOST_TEST(e.metric("gateway_config_last_reload_successful") == "1");
    // GET is not a reload.
    const auto get = curl({"http://127.0.0.1:" + std::to_string(e.gw->admin_port()) + "/-/reload"}).response();
    BOOST_TEST(get.status == 405u);
    BOOST_TEST(get.header("Allow") == "POST");
}

// Certificate rotation: the files are replaced and the gateway reloaded; a
// new handshake sees the new certificate, a connection opened before keeps
// its session and goes on working.
BOOST_AUTO_TEST_CASE(certificate_rotation_without_a_restart)
{
    env e;
    const auto a = make_tls_files(e.dir.path(), "a");
    const auto b = make_tls_files(e.dir.path(), "b");
    fs::copy_file(a.cert, e.dir / "tls.crt");
    fs::copy_file(a.key, e.dir / "tls.key");
    e.start("  tls: {cert: tls.crt, key: tls.key}");
    const std::string request =
        "GET /cpm/regions/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + k1 + "\r\n\r\n";
    tls_session before(e.gw->port(), {a.ca_cert, b.ca_cert});
    BOOST_TEST_REQUIRE(before.connected());
    BOOST_TEST(before.peer_sha256() == a.leaf_sha256);
    BOOST_TEST(before.exchange(request)->status == 200u);

    fs::copy_file(b.cert, e.dir / "tls.crt", fs::copy_options::overwrite_existing);
    fs::copy_file(b.key, e.dir / "tls.key", fs::copy_options::overwrite_existing);
    BOOST_TEST_REQUIRE(e.reload().status == 200u);

    tls_session after(e.gw->port(), {a.ca_cert, b.ca_cert});
    BOOST_TEST_REQUIRE(after.connected());
    BOOST_TEST(after.peer_sha256() == b.leaf_sha256);
    BOOST_TEST(after.exchange(request)->status == 200u);
    // The connection from before: the same session, still served.
    BOOST_TEST(before.peer_sha256() == a.leaf_sha256);
    const auto again = before.exchange(request);
    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST(again->status == 200u);
    // A key file that does not match its certificate is refused; the new pair stays.
    fs::copy_file(a.key, e.dir / "tls.key", fs::copy_options::overwrite_existing);
    const auto refused = e.reload();
    BOOST_TEST(refused.status == 422u);
    BOOST_TEST(std::string(refused.json().at("error").as_string()).find("listen.tls: cannot use the certificate and key") !=
               std::string::npos);
    // --check-config says so too, before anyone reloads.
    const auto checked = run({gateway_binary(), "--check-config", (e.dir / "gateway.yaml").string()});
    BOOST_TEST(checked.code == 1);
    BOOST_TEST(checked.err.find("listen.tls: cannot use the certificate and key") != std::string::npos, checked.err);
    tls_session still(e.gw->port(), {a.ca_cert, b.ca_cert});
    BOOST_TEST(still.peer_sha256() == b.leaf_sha256);
}

// A listener whose port changes is bound anew by the reload; the old port
// stops accepting, and a connection it accepted before keeps working.
BOOST_AUTO_TEST_CASE(a_moved_listener_is_bound_anew)
{
    env e;
    e.start();
    const auto old_port = e.gw->port();
    raw_client kept(old_port);
    const std::string request =
        "GET /cpm/regions/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + k1 + "\r\n\r\n";
    kept.send(request);
    BOOST_TEST(kept.read_response()->status == 200u);
    const auto new_port = free_port();
    e.write(e.config(true, new_port));
    const auto r = e.reload();
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(e.gw->proc().wait_for_err("\"port\":" + std::to_string(new_port), 5s));
    BOOST_TEST(curl({"-H", "Authorization: Bearer " + k1, "http://127.0.0.1:" + std::to_string(new_port) +
                                                             "/cpm/regions/"})
                   .response()
                   .status == 200u);
    BOOST_TEST(eventually([&] { return connection_refused(old_port); }, 3s));
    kept.send(request);
    const auto again = kept.read_response();
    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST(again->status == 200u);
    // A port another socket holds: the reload fails, the listener stays where it is.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    e.write(e.config(false, ntohs(addr.sin_port)));
    const auto refused = e.reload();
    ::close(fd);
    BOOST_TEST(refused.status == 422u);
    BOOST_TEST(std::string(refused.json().at("error").as_string()).find("cannot bind") != std::string::npos);
    BOOST_TEST(curl({"-H", "Authorization: Bearer " + k2, "http://127.0.0.1:" + std::to_string(new_port) +
                                                             "/cpm/regions/"})
                   .response()
                   .status == 200u);  // still A, still on new_port
}

// Two listeners on port 0 (a plain one, a TLS one): each keeps its own
// socket and its own protocol across reloads (they are told apart by their
// order among listeners with the same address and port).
BOOST_AUTO_TEST_CASE(listeners_alike_keep_their_own_protocol)
{
    env e;
    const auto a = make_tls_files(e.dir.path(), "a");
    auto with_two = [&](bool keys_a) {
        auto yaml = e.config(keys_a);
        const std::string one = "listen:\n  address: 127.0.0.1\n  port: 0\n\n";
        const auto at = yaml.find(one);
        BOOST_REQUIRE(at != std::string::npos);
        yaml.replace(at, one.size(),
                     "listen:\n  - {address: 127.0.0.1, port: 0}\n  - {address: 127.0.0.1, port: 0, tls: {cert: \"" +
                         a.cert.string() + "\", key: \"" + a.key.string() + "\"}}\n");
        return yaml;
    };
    e.gw = std::make_unique<gateway_process>(e.dir.path(), with_two(true), 2);
    auto check = [&](const std::string& key, unsigned want) {
        BOOST_TEST(curl({"-H", "Authorization: Bearer " + key, gateway_url(*e.gw, "/cpm/regions/", 0)})
                       .response()
                       .status == want);
        BOOST_TEST(curl({"--cacert", a.ca_cert.string(), "-H", "Authorization: Bearer " + key,
                         "https://localhost:" + std::to_string(e.gw->port(1)) + "/cpm/regions/"})
                       .response()
                       .status == want);
    };
    check(k2, 200u);
    e.write(with_two(false));
    BOOST_TEST_REQUIRE(e.reload().status == 200u);
    check(k3, 200u);
    check(k2, 401u);
}
