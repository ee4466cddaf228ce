// Upstream credentials end to end: the real gateway in front of the real
// backup-sim (tests/simulators), with token lifetimes of a few seconds. The
// simulator's counters (GET /__sim/state) say how many logins, refreshes,
// refusals and logouts the gateway caused.
//
// Vendor documents (../shared/vendors/):
//   n2ws-cpm-rest-api.txt §1.2 (API key → access/refresh, Bearer),
//   veeam-aws-rest-api-overview.txt "Authorization" (password, refresh_token,
//     mfa grants; "Performing Logout": DELETE token),
//   google-backupdr-management-api.txt §3.7 (bearer + session, DELETE session/current),
//   cloudbasic-rest-api.txt "Authentication" (SigV4, service cbr).
#define BOOST_TEST_MODULE integration_credentials
#include <boost/test/unit_test.hpp>

#include "tests/integration/harness.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <sstream>

using namespace bgtest;

namespace {

const std::string client_key = "key-credentials-test";
const std::string cpm_api_key = "cpm-demo-api-key";
const std::string veeam_password = "Password1";
const std::string mfa_password = "Password2";
const std::string mfa_secret = "5XKNCVA54BPWQWCXLJZYLMIBD4";
const std::string cb_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string backupdr_token = "backupdr-demo-token";

const char* const config_template = R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 2
drain_delay: 0s
shutdown_grace: 3s
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: "{CPM_KEY}"}
    options: {refresh_ttl: {REFRESH_TTL}}
    timeouts: {connect: 2s, request: 10s}
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: "{VEEAM_PASSWORD}"}
    options: {refresh_ttl: {REFRESH_TTL}}
    timeouts: {connect: 2s, request: 10s}
  - name: veeam-mfa
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: mfa_user, password: "{MFA_PASSWORD}", mfa_secret: "{MFA_SECRET}"}
    timeouts: {connect: 2s, request: 10s}
  - name: cloudbasic
    type: cloudbasic
    base_url: {CB}
    credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: "{CB_SECRET}"}
    options: {region: us-east-1}
    timeouts: {connect: 2s, request: 10s}
  - name: backupdr
    type: google-backupdr
    base_url: {BDR}/actifio
    options: {token_file: "{TOKEN_FILE}"}
    timeouts: {connect: 2s, request: 10s}
)";

struct overrides {
    std::string cpm_key = cpm_api_key;
    std::string veeam_password = ::veeam_password;
    std::string refresh_ttl = "86400";
};

// One simulator and one gateway in front of it, per test.
struct credentials_env {
    explicit credentials_env(const std::vector<std::string>& sim_args = {}, const overrides& o = {})
        : sim(sim_args), gw(make_gateway(o))
    {
    }

    temp_dir dir;
    sim_process sim;
    std::unique_ptr<gateway_process> gw;

    std::unique_ptr<gateway_process> make_gateway(const overrides& o)
    {
        write_file(dir / "backupdr.token", backupdr_token + "\n");
        const auto yaml = fill(config_template, {{"KEY", sha256_hex(client_key)},
                                                 {"CPM", sim.base_url("cpm")},
                                                 {"VEEAM", sim.base_url("veeam")},
                                                 {"CB", sim.base_url("cloudbasic")},
                                                 {"BDR", sim.base_url("backupdr")},
                                                 {"CPM_KEY", o.cpm_key},
                                                 {"VEEAM_PASSWORD", o.veeam_password},
                                                 {"MFA_PASSWORD", mfa_password},
                                                 {"MFA_SECRET", mfa_secret},
                                                 {"CB_SECRET", cb_secret},
                                                 {"TOKEN_FILE", (dir / "backupdr.token").string()},
                                                 {"REFRESH_TTL", o.refresh_ttl}});
        return std::make_unique<gateway_process>(dir.path(), yaml, 1);
    }

    std::string url(std::string_view path) const { return gateway_url(*gw, path); }

    http_response get(std::string_view path, const std::vector<std::string>& more = {}) const
    {
        return gateway_get(*gw, client_key, path, more);
    }

    http_response send(std::string_view method, std::string_view path, const std::string& json) const
    {
        return get(path, {"-X", std::string(method), "-H", "Content-Type: application/json", "--data-binary", json});
    }

    // `n` requests at once (curl --parallel, one connection each); their statuses.
    std::map<std::string, int> burst(std::string_view path, int n) const
    {
        std::vector<std::string> args{"-Z", "--parallel-immediate", "--parallel-max", std::to_string(n), "-s",
                                      "-w", "%{http_code}\\n", "-H", "Authorization: Bearer " + client_key};
        for (int i = 0; i < n; ++i) {  // (-o applies to one URL)
            args.insert(args.end(), {"-o", "/dev/null"});
            args.push_back(url(path));
        }
        const auto r = curl_raw(args, 60);
        std::map<std::string, int> statuses;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);)
            ++statuses[line];
        return statuses;
    }

    // A counter of the gateway's /metrics (0 when absent).
    std::uint64_t metric(const std::string& name) const
    {
        const auto r = curl({"http://127.0.0.1:" + std::to_string(gw->admin_port()) + "/metrics"});
        std::istringstream lines(r.response().body);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind(name + " ", 0) == 0)
                return std::stoull(line.substr(name.size() + 1));
        return 0;
    }

    // Stops the gateway as an operator would, and waits for a clean exit.
    void stop_gateway()
    {
        gw->signal(SIGTERM);
        const auto status = gw->wait_exit(20s);
        BOOST_REQUIRE(status.exited);
        BOOST_CHECK_EQUAL(status.code, 0);
    }

    // No secret of the configuration appears in anything the gateway wrote.
    void check_no_secrets() const
    {
        for (const auto* secret : {&cpm_api_key, &veeam_password, &mfa_password, &mfa_secret, &cb_secret,
                                   &backupdr_token}) {
            BOOST_CHECK_MESSAGE(gw->log().find(*secret) == std::string::npos, "a secret is in the gateway's log");
            BOOST_CHECK_MESSAGE(gw->access_log().find(*secret) == std::string::npos,
                                "a secret is in the access log");
        }
    }
};

// (backend name in the gateway, vendor in backup-sim, a list path)
struct token_backend {
    const char* backend;
    const char* vendor;
    const char* path;
};
const token_backend token_backends[] = {
    {"cpm", "cpm", "/cpm/users/"},
    {"veeam", "veeam", "/veeam/users"},
    {"backupdr", "backupdr", "/backupdr/host"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(each_vendor_answers_through_its_adapter)
{
    credentials_env env;
    for (const auto& b : token_backends) {
        BOOST_TEST_CONTEXT(b.backend)
        {
            const auto r = env.get(b.path);
            BOOST_TEST(r.status == 200u);
            BOOST_TEST(env.sim.counter(b.vendor, "logins") == 1);
            BOOST_TEST(env.sim.counter(b.vendor, "unauthorized") == 0);
        }
    }
    // Veeam's MFA account: the mfa grant with an RFC 6238 code from the secret.
    BOOST_TEST(env.get("/veeam-mfa/users").status == 200u);
    BOOST_TEST(env.sim.state("veeam").at("vendor_state").at("mfa_challenges").to_number<int>() == 1);
    // CloudBasic: SigV4 on every request, a GET and a POST with a body.
    BOOST_TEST(env.get("/cloudbasic/replications").status == 200u);
    const auto created = env.send("POST", "/cloudbasic/users", R"({"UserName":"gw-test-user"})");
    BOOST_TEST(created.status == 201u);
    BOOST_TEST(env.sim.counter("cloudbasic", "unauthorized") == 0);
    env.check_no_secrets();
}

BOOST_AUTO_TEST_CASE(cloudbasic_signs_an_already_encoded_path_as_sent)
{
    credentials_env env;
    // The path reaches the simulator percent-encoded once, and is signed as
    // sent: the signature verifies (404 for the unknown user, not 403).
    const auto r = env.get("/cloudbasic/users/no%20such%20user");
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(env.sim.counter("cloudbasic", "unauthorized") == 0);
    const auto last = env.sim.state("cloudbasic").at("last_request").as_object();
    BOOST_TEST(last.at("target").as_string() == "/users/no%20such%20user");
}

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_first_requests_log_in_once)
{
    credentials_env env;
    for (const auto& b : token_backends) {
        BOOST_TEST_CONTEXT(b.backend)
        {
            const auto statuses = env.burst(b.path, 200);
            for (const auto& [status, n] : statuses)
                BOOST_TEST_MESSAGE(b.backend << ": " << n << " x " << status);
            BOOST_TEST(statuses.size() == 1u);
            BOOST_TEST(statuses.count("200") == 1u);
            BOOST_TEST(statuses.begin()->second == 200);
            BOOST_TEST(env.sim.counter(b.vendor, "logins") == 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(tokens_are_renewed_before_expiry_across_several_lifetimes)
{
    // Access tokens live 3 s and refresh tokens 12 s: over 10 s the gateway
    // refreshes several times and logs in again once the refresh token is
    // near its end, and never sends an expired token (no 401 upstream).
    credentials_env env({"--access-ttl", "3", "--refresh-ttl", "12", "--backupdr-session-idle-seconds", "4"},
                        overrides{.refresh_ttl = "12"});
    int failures = 0;
    int requests = 0;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
        for (const auto& b : token_backends) {
            ++requests;
            if (env.get(b.path).status != 200)
                ++failures;
        }
        std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST_MESSAGE(requests << " requests over 10 s");
    BOOST_TEST(failures == 0);
    for (const char* vendor : {"cpm", "veeam"}) {
        BOOST_TEST_CONTEXT(vendor)
        {
            BOOST_TEST(env.sim.counter(vendor, "refreshes") >= 2);
            BOOST_TEST(env.sim.counter(vendor, "unauthorized") == 0);
        }
    }
    // CPM's refresh token is not renewed by a refresh (§1.2): once it nears
    // its end the API key is used again. Veeam's refresh grant gives a new
    // refresh token each time, so one login lasts.
    BOOST_TEST(env.sim.counter("cpm", "logins") >= 2);
    BOOST_TEST(env.sim.counter("cpm", "logins") <= 3);
    BOOST_TEST(env.sim.counter("veeam", "logins") == 1);
    BOOST_TEST(env.sim.counter("backupdr", "unauthorized") == 0);
}

BOOST_AUTO_TEST_CASE(recovery_when_every_token_expires_at_once)
{
    credentials_env env;
    for (const auto& b : token_backends) {
        BOOST_TEST_CONTEXT(b.backend)
        {
            BOOST_TEST(env.get(b.path).status == 200u);
            BOOST_TEST(env.sim.admin_post(b.vendor, "expire") == 200u);
            // The gateway's token is now refused: one 401 upstream, one new
            // login, one replay of the GET; the client sees only the 200.
            const auto before = env.metric("gateway_upstream_replays_total");
            BOOST_TEST(env.get(b.path).status == 200u);
            // CPM and Veeam: the refresh token was expired too; a refused
            // refresh counts as a 401 of its own, then the login succeeds.
            BOOST_TEST(env.sim.counter(b.vendor, "unauthorized") >= 1);
            BOOST_TEST(env.sim.counter(b.vendor, "unauthorized") <= 2);
            BOOST_TEST(env.sim.counter(b.vendor, "logins") == 2);
            // (A Backup and DR list is two upstream calls at once, GET and
            // HEAD for the count: each is replayed, after one new session.)
            const auto replays = env.metric("gateway_upstream_replays_total") - before;
            BOOST_TEST(replays >= 1u);
            BOOST_TEST(replays <= (std::string(b.vendor) == "backupdr" ? 2u : 1u));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_post_is_not_replayed_after_a_401_but_a_put_is)
{
    credentials_env env;
    BOOST_TEST(env.get("/cpm/schedules/").status == 200u);
    const auto schedules = [&] {
        return env.sim.state("cpm").at("vendor_state").at("items").at("schedules").to_number<int>();
    };
    const auto schedules_before = schedules();
    BOOST_TEST(env.sim.admin_post("cpm", "expire") == 200u);
    const auto requests_before = env.sim.counter("cpm", "requests");

    const auto created = env.send(
        "POST", "/cpm/schedules/",
        R"({"name":"gw_replay_test","every_unit":"H","every_how_many":4,"start_date":"2026-01-01T00:00:00Z"})");
    // The upstream refused the gateway's token: 502 upstream-auth-failed, and
    // the POST reached the upstream once (it was refused, so nothing ran).
    const auto problem = expect_problem(created, 502, "upstream-auth-failed");
    BOOST_TEST(problem.at("upstream").at("status").to_number<int>() == 401);
    BOOST_TEST(env.sim.counter("cpm", "requests") == requests_before + 1);
    BOOST_TEST(env.sim.counter("cpm", "unauthorized") == 1);
    BOOST_TEST(schedules() == schedules_before);

    // The next request logs in again; the POST, retried by the client, runs once.
    const auto retried = env.send(
        "POST", "/cpm/schedules/",
        R"({"name":"gw_replay_test","every_unit":"H","every_how_many":4,"start_date":"2026-01-01T00:00:00Z"})");
    BOOST_TEST(retried.status == 201u, retried.body);
    BOOST_TEST(schedules() == schedules_before + 1);

    // A PUT is idempotent: after an expiry it is replayed once and succeeds.
    const auto id = std::to_string(retried.json().at("id").to_number<int>());
    BOOST_TEST(env.sim.admin_post("cpm", "expire") == 200u);
    const auto unauthorized_before = env.sim.counter("cpm", "unauthorized");
    const auto updated = env.send(
        "PUT", "/cpm/schedules/" + id + "/",
        R"({"name":"gw_replay_test_2","every_unit":"H","every_how_many":6,"start_date":"2026-01-01T00:00:00Z"})");
    BOOST_TEST(updated.status == 200u);
    BOOST_TEST(updated.json().at("name").as_string() == "gw_replay_test_2");
    // The PUT's 401, and the refused refresh before the new login.
    BOOST_TEST(env.sim.counter("cpm", "unauthorized") == unauthorized_before + 2);
    BOOST_TEST(env.sim.state("cpm").at("last_request").at("method").as_string() == "PUT");
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_gives_502_and_a_bounded_number_of_logins)
{
    credentials_env env({}, overrides{.cpm_key = "not-the-cpm-key", .veeam_password = "not-the-password"});
    int answered = 0;
    const auto until = std::chrono::steady_clock::now() + 3500ms;
    while (std::chrono::steady_clock::now() < until) {
        for (const char* path : {"/cpm/users/", "/veeam/users"}) {
            const auto r = env.get(path);
            const auto problem = expect_problem(r, 502, "upstream-auth-failed");
            BOOST_TEST(problem.at("upstream").at("status").to_number<int>() == 401);
            BOOST_TEST(r.body.find("not-the-") == std::string::npos);
            ++answered;
        }
        std::this_thread::sleep_for(50ms);
    }
    // Back-off 1 s, 2 s, 4 s...: within 3.5 s at most 3 tries, however many requests.
    BOOST_TEST_MESSAGE(answered << " requests answered 502");
    BOOST_TEST(answered >= 20);
    for (const char* vendor : {"cpm", "veeam"}) {
        BOOST_TEST_CONTEXT(vendor)
        {
            BOOST_TEST(env.sim.counter(vendor, "failed_logins") >= 1);
            BOOST_TEST(env.sim.counter(vendor, "failed_logins") <= 3);
            BOOST_TEST(env.sim.counter(vendor, "logins") == 0);
        }
    }
    BOOST_TEST(env.gw->log().find("not-the-") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sessions_and_tokens_are_ended_on_shutdown)
{
    credentials_env env;
    BOOST_TEST(env.get("/veeam/users").status == 200u);
    BOOST_TEST(env.get("/backupdr/host").status == 200u);
    BOOST_TEST(env.sim.counter("veeam", "logouts") == 0);
    BOOST_TEST(env.sim.counter("backupdr", "logouts") == 0);
    env.stop_gateway();
    BOOST_TEST(env.sim.counter("veeam", "logouts") == 1);     // DELETE token
    BOOST_TEST(env.sim.counter("backupdr", "logouts") == 1);  // DELETE session/current
    BOOST_TEST(env.sim.state("backupdr").at("vendor_state").at("active_sessions").to_number<int>() == 0);
    env.check_no_secrets();
}

BOOST_AUTO_TEST_CASE(backupdr_carries_the_bearer_token_and_the_session)
{
    credentials_env env;
    BOOST_TEST(env.get("/backupdr/application").status == 200u);
    const auto last = env.sim.state("backupdr").at("last_request").as_object();
    const auto& headers = last.at("headers").as_object();
    BOOST_TEST(headers.at("authorization").as_string() == "Bearer " + backupdr_token);
    const std::string session(headers.at("backupdr-management-session").as_string());
    BOOST_TEST(session.rfind("Actifio ", 0) == 0u);
    BOOST_TEST(session.size() > 8u);
}

BOOST_AUTO_TEST_CASE(backupdr_opens_a_new_session_after_idle_expiry)
{
    credentials_env env({"--backupdr-session-idle-seconds", "2"});
    BOOST_TEST(env.get("/backupdr/host").status == 200u);
    std::this_thread::sleep_for(2500ms);  // the session has expired upstream
    BOOST_TEST(env.get("/backupdr/host").status == 200u);
    BOOST_TEST(env.sim.counter("backupdr", "logins") == 2);
}

// A service account's JWT exchanged at a token endpoint on another origin
// (as Google's is): the core keeps a pool for it and the adapter's grant goes
// there, the session to the backend. Here the other origin is the simulator's
// /token reached as localhost instead of 127.0.0.1.
BOOST_AUTO_TEST_CASE(backupdr_service_account_through_a_token_endpoint_on_another_origin)
{
    temp_dir dir;
    const auto key = dir / "sa.key";
    const auto pub = dir / "sa.pub";
    BOOST_REQUIRE(run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                       key.string()})
                      .code == 0);
    BOOST_REQUIRE(run({"openssl", "pkey", "-in", key.string(), "-pubout", "-out", pub.string()}).code == 0);
    sim_process sim({"--only", "backupdr", "--backupdr-sa-public-key-file", pub.string()});
    const auto port = std::to_string(sim.port("backupdr"));
    boost::json::object sa{{"type", "service_account"},
                           {"client_email", "gateway@test-project.iam.gserviceaccount.com"},
                           {"private_key", read_file(key)},
                           {"private_key_id", "k1"}};
    write_file(dir / "sa.json", boost::json::serialize(sa));
    const auto yaml = fill(R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - name: backupdr
    type: google-backupdr
    base_url: http://127.0.0.1:{PORT}/actifio
    credentials: {service_account_file: "{SA}"}
    options: {token_uri: "http://localhost:{PORT}/token"}
)",
                           {{"KEY", sha256_hex(client_key)}, {"PORT", port}, {"SA", (dir / "sa.json").string()}});
    gateway_process gw(dir.path(), yaml, 1);
    auto r = curl({"-H", "Authorization: Bearer " + client_key,
                   "http://127.0.0.1:" + std::to_string(gw.port()) + "/backupdr/host?limit=3"});
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    BOOST_TEST(r.response().status == 200u, r.response().body);
    const auto state = sim.state("backupdr");
    BOOST_TEST(state.at("vendor_state").at("tokens_issued").to_number<int>() == 1);
    BOOST_TEST(state.at("counters").at("logins").to_number<int>() == 1);
    BOOST_TEST(gw.log().find("PRIVATE KEY") == std::string::npos);
}

// Refused again after the new login: the client gets 502 upstream-auth-failed
// (the gateway's credentials are at fault, not the client's key), for a
// proxied request and for a list alike.
BOOST_AUTO_TEST_CASE(a_401_after_the_new_login_is_502_upstream_auth_failed)
{
    credentials_env env;
    for (const char* path : {"/cpm/users/1/", "/cpm/users/"}) {
        BOOST_TEST_CONTEXT(path)
        {
            BOOST_TEST(env.get(path).status == 200u);
            // The request: 401; the renewal (a refresh): served; the replay: 401.
            BOOST_TEST(env.sim.admin_post("cpm", "faults", R"({"count":1,"status":401})") == 200u);
            BOOST_TEST(env.sim.admin_post("cpm", "faults", R"({"count":1,"delay_ms":1})") == 200u);
            BOOST_TEST(env.sim.admin_post("cpm", "faults", R"({"count":1,"status":401})") == 200u);
            const auto problem = expect_problem(env.get(path), 502, "upstream-auth-failed");
            BOOST_TEST(problem.at("upstream").at("status").to_number<int>() == 401);
            BOOST_TEST(env.sim.state("cpm").at("pending_faults").to_number<int>() == 0);
            BOOST_TEST(env.get(path).status == 200u);  // and the next request logs in again
        }
    }
}
