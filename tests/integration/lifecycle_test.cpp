// The process: start-up, --check-config, --version, the access log, and
// shutdown: draining with a request in flight, idle connections, the grace
// period, a second signal. Each test starts its own gateway.
#define BOOST_TEST_MODULE integration_lifecycle
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_upstream.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace bgtest;

namespace {

const std::string key = "key-lifecycle-0123";

const char* const config_template = R"(
listen: {address: 127.0.0.1, port: {PORT}}
admin: {address: 127.0.0.1, port: 0}
threads: {THREADS}
drain_delay: {DELAY}
shutdown_grace: {GRACE}
clients:
  - {name: ops, api_key_sha256: "{DIGEST}", backends: ["*"]}
backends:
  - {name: up, type: http, base_url: "{UP}", timeouts: {request: 10s}}
)";

std::string config(const test_upstream& up, const std::string& grace, int port = 0, const std::string& threads = "1",
                   const std::string& delay = "0s")
{
    return fill(config_template, {{"PORT", std::to_string(port)},
                                  {"THREADS", threads},
                                  {"DELAY", delay},
                                  {"GRACE", grace},
                                  {"DIGEST", sha256_hex(key)},
                                  {"UP", up.base_url()}});
}

std::string url(const gateway_process& gw, std::string_view path)
{
    return "http://127.0.0.1:" + std::to_string(gw.port()) + std::string(path);
}

const std::vector<std::string> auth{"-H", "Authorization: Bearer " + key};

std::vector<std::string> with_auth(std::vector<std::string> a)
{
    a.insert(a.begin(), auth.begin(), auth.end());
    return a;
}

using clock = std::chrono::steady_clock;

// A listening socket on 127.0.0.1 (to make a port busy); closed on destruction.
struct busy_port {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::uint16_t port = 0;
    busy_port()
    {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd, 1);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~busy_port() { ::close(fd); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(draining)

BOOST_AUTO_TEST_CASE(a_request_in_flight_completes)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "5s"), 1);
    auto client = curl_async(with_auth({url(gw, "/up/slow?ms=1500")}));
    BOOST_TEST_REQUIRE(up.wait_for_requests(1, 10s));  // the request is upstream, in flight
    std::this_thread::sleep_for(200ms);
    const auto signalled = clock::now();
    gw.signal(SIGTERM);

    // Draining (drain_delay 0): the listener is closed at once, the admin listener says so.
    BOOST_TEST(gw.proc().wait_for_err("draining: no longer accepting", 3s));
    BOOST_TEST(eventually([&] { return connection_refused(gw.port()); }, 2s));
    raw_client admin(gw.admin_port());
    admin.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto ready = admin.read_response(3s);
    BOOST_TEST_REQUIRE(ready.has_value());
    BOOST_TEST(ready->status == 503u);
    BOOST_TEST(ready->body == R"({"status":"draining"})");

    // The request in flight still completes...
    const auto done = client->wait_exit(15s);
    BOOST_TEST_REQUIRE(done.exited);
    BOOST_TEST(done.code == 0, client->err());
    const auto responses = parse_curl_output(client->out());
    BOOST_TEST_REQUIRE(responses.size() == 1u);
    BOOST_TEST(responses[0].status == 200u);
    BOOST_TEST(responses[0].body == "slow\n");
    BOOST_TEST(to_lower(responses[0].header("Connection")) == "close");  // no keep-alive while draining

    // ...then the gateway stops, cleanly and well within the grace period.
    const auto exit = gw.wait_exit(10s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0, gw.log());
    BOOST_TEST((clock::now() - signalled < 4500ms));
    BOOST_TEST(gw.log().find(R"("msg":"stopped")") != std::string::npos);
    BOOST_TEST(gw.log().find("grace period over") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(idle_connections_close_at_once)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "10s"), 1);
    raw_client idle(gw.port());
    idle.send(request_text("GET", "/up/echo", "Authorization: Bearer " + key + "\r\n"));
    BOOST_TEST_REQUIRE(idle.read_response().has_value());
    const auto signalled = clock::now();
    gw.signal(SIGTERM);
    BOOST_TEST(idle.wait_closed(3s));
    const auto exit = gw.wait_exit(5s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
    BOOST_TEST((clock::now() - signalled < 3s));  // no wait for the 10 s grace
}

BOOST_AUTO_TEST_CASE(requests_beyond_the_grace_period_are_cut)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "500ms"), 1);
    auto client = curl_async(with_auth({url(gw, "/up/slow?ms=5000")}));
    BOOST_TEST_REQUIRE(up.wait_for_requests(1, 10s));
    const auto signalled = clock::now();
    gw.signal(SIGTERM);
    const auto exit = gw.wait_exit(5s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
    BOOST_TEST((clock::now() - signalled < 3s));
    BOOST_TEST(gw.log().find("grace period over") != std::string::npos);
    const auto done = client->wait_exit(5s);
    BOOST_TEST_REQUIRE(done.exited);
    BOOST_TEST(done.code != 0);  // cut short: no complete response
}

BOOST_AUTO_TEST_CASE(a_second_signal_skips_the_grace_period)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "30s"), 1);
    auto client = curl_async(with_auth({url(gw, "/up/slow?ms=8000")}));
    BOOST_TEST_REQUIRE(up.wait_for_requests(1, 10s));
    gw.signal(SIGTERM);
    BOOST_TEST(gw.proc().wait_for_err("draining: no longer accepting", 3s));
    const auto second = clock::now();
    gw.signal(SIGINT);
    const auto exit = gw.wait_exit(5s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
    BOOST_TEST((clock::now() - second < 3s));
    BOOST_TEST(client->wait_exit(5s).exited);
}

// Kubernetes sends SIGTERM while it is still taking the pod out of its
// endpoints: for drain_delay the gateway says it is not ready but keeps
// accepting and serving; only then does it stop accepting.
BOOST_AUTO_TEST_CASE(unready_but_serving_for_the_drain_delay)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "5s", 0, "2", "1500ms"), 1);
    BOOST_TEST(curl(with_auth({url(gw, "/up/echo")})).response().status == 200u);
    const auto signalled = clock::now();
    gw.signal(SIGTERM);
    BOOST_TEST(gw.proc().wait_for_err("shutting down: unready", 3s));
    raw_client admin(gw.admin_port());
    admin.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto ready = admin.read_response(3s);
    BOOST_TEST_REQUIRE(ready.has_value());
    BOOST_TEST(ready->status == 503u);
    raw_client live(gw.admin_port());
    live.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(live.read_response(3s)->status == 200u);  // alive all along
    // New connections, new requests: still served, on keep-alive too.
    std::size_t served = 0;
    while (clock::now() - signalled < 1200ms) {
        const auto r = curl(with_auth({url(gw, "/up/echo"), url(gw, "/up/echo")}));
        BOOST_TEST(r.exit_code == 0);
        for (const auto& res : r.responses) {
            BOOST_TEST(res.status == 200u);
            served += res.status == 200u;
        }
        std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST(served >= 10u);
    BOOST_TEST(gw.log().find("draining: no longer accepting") == std::string::npos);
    // Then it stops accepting and exits.
    BOOST_TEST(gw.proc().wait_for_err("draining: no longer accepting", 3s));
    BOOST_TEST((clock::now() - signalled >= 1400ms));
    BOOST_TEST(eventually([&] { return connection_refused(gw.port()); }, 2s));
    const auto exit = gw.wait_exit(5s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
}

BOOST_AUTO_TEST_CASE(a_second_signal_ends_the_drain_delay_at_once)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "5s", 0, "1", "30s"), 1);
    gw.signal(SIGTERM);
    BOOST_TEST(gw.proc().wait_for_err("shutting down: unready", 3s));
    const auto second = clock::now();
    gw.signal(SIGTERM);
    const auto exit = gw.wait_exit(5s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
    BOOST_TEST((clock::now() - second < 2s));
}

BOOST_AUTO_TEST_CASE(shutdown_with_several_threads)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "5s", 0, "4"), 1);
    BOOST_TEST(curl(with_auth({url(gw, "/up/echo")})).response().status == 200u);
    auto client = curl_async(with_auth({url(gw, "/up/slow?ms=1000")}));
    BOOST_TEST_REQUIRE(up.wait_for_requests(2, 10s));
    gw.signal(SIGTERM);
    const auto done = client->wait_exit(10s);
    BOOST_TEST_REQUIRE(done.exited);
    BOOST_TEST(parse_curl_output(client->out()).at(0).status == 200u);
    const auto exit = gw.wait_exit(10s);
    BOOST_TEST_REQUIRE(exit.exited);
    BOOST_TEST(exit.code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_log)

BOOST_AUTO_TEST_CASE(one_json_line_per_request_flushed_at_exit)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "1s"), 1);
    // A query value named like a secret is masked in the log (and only there).
    BOOST_TEST(curl(with_auth({"-H", "X-Request-Id: log-me-1", "-H",
                               "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "--data",
                               "twelve bytes",
                               url(gw, "/up/echo?a=1&access_token=s3cr3t-t0k3n&API%5FKey=k3y-v4lue&page=2")}))
                   .response()
                   .status == 200u);
    BOOST_TEST(curl({url(gw, "/up/echo")}).response().status == 401u);
    gw.signal(SIGTERM);
    BOOST_TEST_REQUIRE(gw.wait_exit().exited);

    std::vector<boost::json::object> lines;
    std::istringstream in(gw.access_log());
    for (std::string line; std::getline(in, line);)
        lines.push_back(boost::json::parse(line).as_object());
    BOOST_TEST_REQUIRE(lines.size() == 2u, gw.access_log());
    const auto& ok = lines[0];
    // Every field issue 18 lists: time, request id, trace id, client,
    // backend, method, path (secrets masked), status, upstream status,
    // attempts, bytes both ways, durations (total, upstream, login wait),
    // configuration generation.
    BOOST_TEST(ok.at("time").as_string().size() == 24u);  // 2026-12-07T08:00:00.000Z
    BOOST_TEST(ok.at("request_id").as_string() == "log-me-1");
    BOOST_TEST(ok.at("trace_id").as_string() == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(ok.at("client").as_string() == "ops");
    BOOST_TEST(ok.at("backend").as_string() == "up");
    BOOST_TEST(ok.at("method").as_string() == "POST");
    BOOST_TEST(ok.at("path").as_string() == "/up/echo");
    BOOST_TEST(ok.at("query").as_string() == "a=1&access_token=***&API%5FKey=***&page=2");
    BOOST_TEST(ok.at("status").to_number<int>() == 200);
    BOOST_TEST(ok.at("upstream_status").to_number<int>() == 200);
    BOOST_TEST(ok.at("attempts").to_number<int>() == 1);
    BOOST_TEST(ok.at("bytes_in").to_number<std::uint64_t>() == 12u);
    BOOST_TEST(ok.at("bytes_out").to_number<std::uint64_t>() > 0u);
    const auto total = ok.at("duration_us").to_number<std::uint64_t>();
    const auto upstream = ok.at("upstream_us").to_number<std::uint64_t>();
    BOOST_TEST(upstream > 0u);
    BOOST_TEST(upstream <= total);
    BOOST_TEST(ok.at("login_wait_us").to_number<std::uint64_t>() <= total);  // an http backend: no login
    BOOST_TEST(ok.at("config_generation").to_number<int>() == 1);
    BOOST_TEST(gw.access_log().find("s3cr3t-t0k3n") == std::string::npos);
    BOOST_TEST(gw.access_log().find("k3y-v4lue") == std::string::npos);
    const auto& refused = lines[1];
    BOOST_TEST(refused.at("status").to_number<int>() == 401);
    BOOST_TEST(refused.at("client").is_null());
    BOOST_TEST(refused.at("attempts").to_number<int>() == 0);
    // The key itself never appears.
    BOOST_TEST(gw.access_log().find(key) == std::string::npos);
    BOOST_TEST(gw.log().find(key) == std::string::npos);
}

// Standard output is line-buffered even on a pipe (kubectl logs, journald):
// a follower (here: the test) sees each line as its request ends. (Nothing
// else flushes standard output while the gateway runs: without the line
// buffering, no line would arrive before the exit.)
BOOST_AUTO_TEST_CASE(lines_reach_a_pipe_at_once_while_running)
{
    temp_dir dir;
    test_upstream up;
    gateway_process gw(dir.path(), config(up, "1s"), 1);
    BOOST_TEST(curl(with_auth({"-H", "X-Request-Id: live-line-1", url(gw, "/up/echo")})).response().status == 200u);
    const auto start = std::chrono::steady_clock::now();
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() - start < 3s) {
        seen = gw.access_log().find("live-line-1") != std::string::npos;
        if (!seen)
            std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(seen, "no access-log line 3 s after the request: " << gw.access_log());
    // Well under the flush's second (a generous bound for a sanitizer build on a busy machine).
    BOOST_TEST((std::chrono::steady_clock::now() - start < 600ms));
    BOOST_TEST(gw.proc().running());
}

// logrotate: the file renamed, then SIGUSR1; the next line goes to a new
// file at the configured path, and the renamed one keeps what it had.
BOOST_AUTO_TEST_CASE(sigusr1_reopens_a_log_file)
{
    temp_dir dir;
    test_upstream up;
    const auto path = dir.path() / "access.log";
    gateway_process gw(dir.path(), config(up, "1s") + "access_log: {path: \"" + path.string() + "\"}\n", 1);
    BOOST_TEST(curl(with_auth({"-H", "X-Request-Id: before-rotation", url(gw, "/up/echo")})).response().status ==
               200u);
    const auto rotated = dir.path() / "access.log.1";
    fs::rename(path, rotated);
    gw.signal(SIGUSR1);
    BOOST_TEST_REQUIRE(gw.proc().wait_for_err("access log reopened", 5s), gw.log());
    BOOST_TEST(fs::exists(path));
    BOOST_TEST(curl(with_auth({"-H", "X-Request-Id: after-rotation", url(gw, "/up/echo")})).response().status ==
               200u);
    gw.signal(SIGTERM);
    BOOST_TEST_REQUIRE(gw.wait_exit().exited);
    const auto old_text = read_file(rotated);
    const auto new_text = read_file(path);
    BOOST_TEST(old_text.find("before-rotation") != std::string::npos, old_text);
    BOOST_TEST(old_text.find("after-rotation") == std::string::npos, old_text);
    BOOST_TEST(new_text.find("after-rotation") != std::string::npos, new_text);
    BOOST_TEST(new_text.find("before-rotation") == std::string::npos, new_text);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(check_config_accepts_a_good_file)
{
    temp_dir dir;
    test_upstream up;
    const auto file = dir / "good.yaml";
    write_file(file, config(up, "1s"));
    const auto r = run({gateway_binary(), "--check-config", file.string()});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == file.string() + ": configuration is valid\n");
}

BOOST_AUTO_TEST_CASE(check_config_names_path_and_line_of_a_bad_value)
{
    temp_dir dir;
    const auto file = dir / "bad.yaml";
    write_file(file, "listen: {address: 127.0.0.1, port: 0}\n"
                     "limits:\n"
                     "  max_header_bytes: lots\n");
    const auto r = run({gateway_binary(), "--check-config", file.string()});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find(file.string() + ":3: limits.max_header_bytes:") != std::string::npos, r.err);
    BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(check_config_rejects_a_missing_file)
{
    const auto r = run({gateway_binary(), "--check-config", "/nonexistent/gateway.yaml"});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find("/nonexistent/gateway.yaml") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(version_and_usage)
{
    const auto v = run({gateway_binary(), "--version"});
    BOOST_TEST(v.code == 0);
    BOOST_TEST(v.out.rfind("backup-gateway ", 0) == 0u, v.out);
    BOOST_TEST(v.out.find('.') != std::string::npos);
    const auto none = run({gateway_binary()});
    BOOST_TEST(none.code == 2);
    BOOST_TEST(none.err.find("usage:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_port_in_use_fails_at_start_up)
{
    temp_dir dir;
    test_upstream up;
    busy_port busy;
    const auto file = dir / "gateway.yaml";
    write_file(file, config(up, "1s", busy.port));
    const auto r = run({gateway_binary(), "--config", file.string()}, 20s);
    BOOST_TEST(r.code == 1, r.err);
    BOOST_TEST(r.err.find("cannot start") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(an_invalid_config_fails_at_start_up)
{
    temp_dir dir;
    const auto file = dir / "gateway.yaml";
    write_file(file, "listen: {address: 127.0.0.1, port: 0}\n"
                     "backends:\n"
                     "  - {name: x, type: nope, base_url: http://h}\n");
    const auto r = run({gateway_binary(), "--config", file.string()}, 20s);
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find("backends[0].type") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
