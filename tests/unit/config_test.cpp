#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "config/files.hpp"
#include "config/values.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace cfg = bg::config;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A value that must never appear in an error message. Every ${SECRET_*}
// variable of the test environment holds it.
const std::string secret_value = "zebra-S3CR3T-4711";

const std::map<std::string, std::string>& test_variables()
{
    static const std::map<std::string, std::string> vars{
        {"CPM_API_KEY", secret_value},
        {"SECRET_TOKEN", secret_value},
        {"VEEAM_USERNAME", "svc-gateway"},
        {"CLOUDBASIC_ACCESS_KEY_ID", "AKIDEXAMPLE"},
        {"CLOUDBASIC_SECRET_ACCESS_KEY", secret_value},
        {"GW_PORT", "9443"},
        {"GW_HOST", "cpm.internal"},
        {"EMPTY", ""},
    };
    return vars;
}

std::optional<std::string> test_env(const std::string& name)
{
    auto it = test_variables().find(name);
    return it == test_variables().end() ? std::nullopt : std::optional<std::string>(it->second);
}

cfg::gateway_config load(const std::string& yaml) { return cfg::load_from_string(yaml, "test.yaml", test_env); }

std::string digest_of(const std::string& key) { return cfg::to_hex(cfg::sha256(key)); }

// The adapter checks validate() is given: CPM requires credentials.api_key.
std::vector<std::pair<cfg::origin, std::string>> check_cpm(const cfg::backend& b)
{
    if (b.credentials.contains("api_key"))
        return {};
    return {{cfg::origin{b.where.path + ".credentials", 0}, "credentials.api_key: required by n2ws-cpm"}};
}

std::vector<cfg::backend_check> known_types()
{
    return {{"n2ws-cpm", check_cpm},
            {"google-backupdr", nullptr},
            {"veeam-aws", nullptr},
            {"cloudbasic", nullptr},
            {"http", nullptr}};
}

// The 1-based line of the first line of `yaml` containing `needle`.
int line_of(const std::string& yaml, const std::string& needle)
{
    auto at = yaml.find(needle);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" + needle + "' is not in the test's YAML");
    return 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// what() is "test.yaml:<line>: <path>: <message>" with `phrase` in the message
// and the secret nowhere.
void check_message(const std::string& what, const std::string& path, int line, const std::string& phrase)
{
    BOOST_TEST_INFO("what(): " << what);
    std::string prefix = "test.yaml:" + std::to_string(line) + ": " + (path.empty() ? "" : path + ": ");
    BOOST_TEST(what.rfind(prefix, 0) == 0, "expected the prefix '" << prefix << "'");
    BOOST_TEST(what.find(phrase) != std::string::npos, "expected the phrase '" << phrase << "'");
    BOOST_TEST(what.find(secret_value) == std::string::npos, "the secret leaked");
}

std::string load_error(const std::string& yaml)
{
    try {
        load(yaml);
    } catch (const cfg::error& e) {
        return e.what();
    }
    BOOST_FAIL("load() accepted the configuration");
    return {};
}

std::string validate_error(const std::string& yaml)
{
    auto config = load(yaml);
    try {
        cfg::validate(config, known_types());
    } catch (const cfg::error& e) {
        return e.what();
    }
    BOOST_FAIL("validate() accepted the configuration");
    return {};
}

// load() rejects `yaml`: at `path`, on the line holding `needle`, saying `phrase`.
void expect_load_error(const std::string& yaml, const std::string& path, const std::string& needle,
                       const std::string& phrase)
{
    check_message(load_error(yaml), path, line_of(yaml, needle), phrase);
}

void expect_validate_error(const std::string& yaml, const std::string& path, const std::string& needle,
                           const std::string& phrase)
{
    check_message(validate_error(yaml), path, line_of(yaml, needle), phrase);
}

const std::string listen_plain = "listen: {port: 8443}\n";

const std::string one_backend =
    "backends:\n"
    "  - name: cpm\n"
    "    type: n2ws-cpm\n"
    "    base_url: https://cpm.example.com/api\n"
    "    credentials: {api_key: \"${CPM_API_KEY}\"}\n";

std::string client_yaml(const std::string& name, const std::string& key, const std::string& backends)
{
    return "  - name: " + name + "\n    api_key_sha256: " + digest_of(key) + "\n    backends: " + backends + "\n";
}

// A fresh directory under the system's temporary directory, removed at the end.
struct temp_dir {
    fs::path path;

    temp_dir()
    {
        auto pattern = (fs::temp_directory_path() / "bg-config-test-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    fs::path write(const std::string& relative, const std::string& content) const
    {
        auto file = path / relative;
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }
};

fs::path source_dir()
{
    if (const char* dir = std::getenv("BG_SOURCE_DIR"))
        return dir;
    return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

std::string read_text(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

// ==================================================================== acceptance

BOOST_AUTO_TEST_CASE(full_example_parses_and_validates)
{
    temp_dir dir;
    auto file = dir.write("gateway.yaml", read_text(source_dir() / "config/examples/gateway.yaml"));
    for (auto name : {"tls/gateway.crt", "tls/gateway.key", "tls/clients-ca.crt", "tls/cpm-ca.crt"})
        dir.write(name, "PEM\n");
    dir.write("secrets/backupdr-sa.json", "{\"type\": \"service_account\"}\n");
    dir.write("secrets/veeam-password", secret_value + "\n");

    auto c = cfg::load(file.string(), test_env);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));

    BOOST_TEST(c.source_file == file.string());
    BOOST_REQUIRE(c.listeners.size() == 2u);
    BOOST_REQUIRE(c.listeners[0].tls.has_value());
    BOOST_TEST(c.listeners[0].port == 8443);
    BOOST_TEST(c.listeners[0].tls->cert_file == (dir.path / "tls/gateway.crt").string());
    BOOST_TEST(c.listeners[0].tls->client_ca_file.value_or("") == (dir.path / "tls/clients-ca.crt").string());
    BOOST_TEST(c.listeners[1].address == "127.0.0.1");
    BOOST_TEST(c.listeners[1].port == 8080);
    BOOST_TEST(!c.listeners[1].tls.has_value());
    BOOST_TEST(c.listeners[1].where.path == "listen[1]");
    BOOST_TEST(c.admin.enabled);
    BOOST_TEST(c.admin.port == 9901);
    BOOST_TEST(c.threads == 0u);
    BOOST_TEST(c.limits.max_header_bytes == 16u * 1024);
    BOOST_TEST(c.limits.max_body_bytes == 10u * 1024 * 1024);
    BOOST_TEST(c.limits.max_connections == 20000u);
    BOOST_TEST(c.pagination.max_upstream_requests == 20u);
    BOOST_TEST(c.shutdown_grace.count() == 10'000);
    BOOST_TEST(c.access_log.path == "-");

    BOOST_REQUIRE(c.clients.size() == 3u);
    BOOST_TEST(c.clients[0].name == "ops");
    BOOST_CHECK(c.clients[0].api_key_sha256 == cfg::sha256("ops-demo-key"));
    BOOST_CHECK(c.clients[0].backends == std::vector<std::string>{"*"});
    BOOST_CHECK(c.clients[1].backends == (std::vector<std::string>{"cpm-prod", "veeam-eu"}));

    BOOST_REQUIRE(c.backends.size() == 5u);
    const auto* cpm = c.find_backend("cpm-prod");
    BOOST_REQUIRE(cpm != nullptr);
    BOOST_TEST(cpm->type == "n2ws-cpm");
    BOOST_TEST(cpm->url.scheme == "https");
    BOOST_TEST(cpm->url.host == "cpm.example.com");
    BOOST_TEST(cpm->url.port == 443);
    BOOST_TEST(cpm->url.base_path == "/api");
    BOOST_TEST(cpm->api_version == "1.1.0");
    BOOST_TEST(cpm->credentials.at("api_key").value == secret_value);
    BOOST_TEST(cpm->credentials.at("api_key").is_secret);
    BOOST_TEST(cpm->options.at("count_via_head").value == "false");
    BOOST_TEST(!cpm->options.at("count_via_head").is_secret);
    BOOST_TEST(cpm->tls.ca_file.value_or("") == (dir.path / "tls/cpm-ca.crt").string());
    BOOST_TEST(cpm->max_idle_connections == 64u);

    const auto* backupdr = c.find_backend("backupdr");
    BOOST_REQUIRE(backupdr != nullptr);
    BOOST_TEST(backupdr->credentials.at("service_account").value == "{\"type\": \"service_account\"}");
    BOOST_TEST(backupdr->timeouts.request.count() == 30'000);  // a default

    const auto* veeam = c.find_backend("veeam-eu");
    BOOST_REQUIRE(veeam != nullptr);
    BOOST_TEST(veeam->api_version == "1.6-rev0");
    BOOST_TEST(veeam->url.port == 11005);
    BOOST_TEST(veeam->url.base_path == "");
    BOOST_TEST(veeam->credentials.at("username").value == "svc-gateway");
    BOOST_TEST(veeam->credentials.at("password").value == secret_value);
    BOOST_REQUIRE(veeam->tls.pin_sha256.has_value());
    BOOST_TEST((*veeam->tls.pin_sha256)[0] == 0x5c);
    BOOST_TEST((*veeam->tls.pin_sha256)[31] == 0x39);
    BOOST_TEST(veeam->tls.server_name.value_or("") == "veeam.internal");

    const auto* cloudbasic = c.find_backend("cloudbasic");
    BOOST_REQUIRE(cloudbasic != nullptr);
    BOOST_TEST(cloudbasic->timeouts.connect.count() == 500);
    BOOST_TEST(cloudbasic->timeouts.request.count() == 120'000);
    BOOST_TEST(cloudbasic->options.at("region").value == "us-east-1");

    const auto* inventory = c.find_backend("inventory");
    BOOST_REQUIRE(inventory != nullptr);
    BOOST_TEST(inventory->url.scheme == "http");
    BOOST_TEST(inventory->url.port == 8000);
    BOOST_TEST(inventory->url.base_path == "/v2");
    BOOST_REQUIRE(inventory->headers.size() == 1u);
    BOOST_TEST(inventory->headers[0].first == "X-Static-Tenant");
    BOOST_TEST(inventory->headers[0].second == "backup-team");
}

BOOST_AUTO_TEST_CASE(minimal_example_takes_the_defaults)
{
    auto file = source_dir() / "config/examples/minimal.yaml";
    auto c = cfg::load(file.string(), test_env);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));

    BOOST_REQUIRE(c.listeners.size() == 1u);
    BOOST_TEST(c.listeners[0].address == "0.0.0.0");
    BOOST_TEST(c.listeners[0].port == 8443);
    BOOST_TEST(!c.listeners[0].tls.has_value());
    BOOST_TEST(c.listeners[0].where.path == "listen");
    BOOST_TEST(c.admin.enabled);
    BOOST_TEST(c.admin.address == "127.0.0.1");
    BOOST_TEST(c.admin.port == 9901);
    BOOST_TEST(c.threads == 0u);
    BOOST_TEST(c.limits.max_header_bytes == 16u * 1024);
    BOOST_TEST(c.limits.header_timeout.count() == 10'000);
    BOOST_TEST(c.limits.idle_timeout.count() == 60'000);
    BOOST_TEST(c.limits.linger_time.count() == 5'000);
    BOOST_TEST(c.limits.linger_bytes == 64u * 1024 * 1024);
    BOOST_TEST(c.pagination.default_limit == 100u);
    BOOST_TEST(c.pagination.max_limit == 1000u);
    BOOST_TEST(c.access_log.path == "-");
    BOOST_REQUIRE(c.backends.size() == 1u);
    const auto& b = c.backends[0];
    BOOST_TEST(b.tls.verify);
    BOOST_TEST(!b.tls.ca_file.has_value());
    BOOST_TEST(!b.tls.pin_sha256.has_value());
    BOOST_TEST(b.timeouts.connect.count() == 2'000);
    BOOST_TEST(b.timeouts.idle.count() == 60'000);
    BOOST_TEST(b.query_strict);
    BOOST_TEST(b.retries.attempts == 2u);
    BOOST_TEST(b.retries.backoff_base.count() == 100);
    BOOST_TEST(b.retries.backoff_cap.count() == 2'000);
    BOOST_TEST(b.retries.budget_percent == 20u);
    BOOST_TEST(b.retries.budget_min == 3u);
    BOOST_TEST(b.circuit_breaker.failures == 5u);
    BOOST_TEST(b.circuit_breaker.open_for.count() == 5'000);
    BOOST_TEST(b.circuit_breaker.open_max.count() == 300'000);
    BOOST_TEST(b.concurrency.max_in_flight == 64u);
    BOOST_TEST(b.concurrency.queue == 256u);
    BOOST_TEST(b.concurrency.queue_wait.count() == 5'000);
    BOOST_TEST((b.idempotency.keys == cfg::idempotency_settings::policy::optional));
    BOOST_TEST(b.idempotency.ttl.count() == 86'400'000);
    BOOST_TEST(b.api_version == "");
    BOOST_TEST(b.headers.empty());
    BOOST_TEST(b.options.empty());
}

BOOST_AUTO_TEST_CASE(env_substitution_applies_to_every_scalar)
{
    auto c = load(
        "listen: {port: \"${GW_PORT}\"}\n"
        "backends:\n"
        "  - name: cpm\n"
        "    type: n2ws-cpm\n"
        "    base_url: https://${GW_HOST}:${GW_PORT}/api\n"
        "    options:\n"
        "      note: pre-${EMPTY}-post\n"
        "      user: ${VEEAM_USERNAME}\n"
        "    credentials: {api_key: \"${CPM_API_KEY}\"}\n");
    BOOST_TEST(c.listeners[0].port == 9443);
    BOOST_TEST(c.backends[0].url.host == "cpm.internal");
    BOOST_TEST(c.backends[0].url.port == 9443);
    BOOST_TEST(c.backends[0].base_url == "https://cpm.internal:9443/api");
    BOOST_TEST(c.backends[0].options.at("note").value == "pre--post");
    BOOST_TEST(c.backends[0].options.at("user").value == "svc-gateway");
    BOOST_TEST(c.backends[0].credentials.at("api_key").value == secret_value);
}

BOOST_AUTO_TEST_CASE(double_dollar_escapes_substitution)
{
    auto c = load(listen_plain +
                  "backends:\n"
                  "  - name: cpm\n"
                  "    type: n2ws-cpm\n"
                  "    base_url: https://cpm.example.com\n"
                  "    options: {template: \"$${UNSET_VAR} and $$ and $5 and $${GW_PORT}=${GW_PORT}\"}\n");
    BOOST_TEST(c.backends[0].options.at("template").value == "${UNSET_VAR} and $$ and $5 and ${GW_PORT}=9443");
}

BOOST_AUTO_TEST_CASE(file_indirection_reads_the_secret_without_one_trailing_newline)
{
    temp_dir dir;
    dir.write("secrets/pw", secret_value + "\n");
    dir.write("secrets/crlf", "crlf-secret\r\n");
    dir.write("secrets/two", "two-newlines\n\n");
    auto yaml = listen_plain +
                "backends:\n"
                "  - name: veeam\n"
                "    type: veeam-aws\n"
                "    base_url: https://veeam.example.com\n"
                "    credentials:\n"
                "      password_file: secrets/pw\n"
                "      crlf_file: " +
                (dir.path / "secrets/crlf").string() +
                "\n"
                "      two_file: secrets/two\n";
    auto file = dir.write("gw.yaml", yaml);
    auto c = cfg::load(file.string(), test_env);
    const auto& creds = c.backends[0].credentials;
    BOOST_TEST(creds.size() == 3u);
    BOOST_TEST(creds.at("password").value == secret_value);
    BOOST_TEST(creds.at("password").is_secret);
    BOOST_TEST(creds.at("password").where.path == "backends[0].credentials.password_file");
    BOOST_TEST(creds.at("password").where.line == line_of(yaml, "password_file"));
    BOOST_TEST(creds.at("crlf").value == "crlf-secret");
    BOOST_TEST(creds.at("two").value == "two-newlines\n");
    BOOST_TEST(!creds.contains("password_file"));
}

BOOST_AUTO_TEST_CASE(relative_paths_resolve_against_the_yaml_directory)
{
    temp_dir dir;
    auto file = dir.write("etc/gw.yaml",
                          "listen:\n"
                          "  tls: {cert: tls/gw.crt, key: /abs/gw.key, client_ca: ../ca/clients.pem}\n"
                          "access_log: {path: logs/access.log}\n"
                          "backends:\n"
                          "  - name: cpm\n"
                          "    type: n2ws-cpm\n"
                          "    base_url: https://cpm.example.com\n"
                          "    tls: {ca_file: ./cpm-ca.pem}\n"
                          "    options: {bundle_file: extra/bundle.pem, plain: not/a/path}\n");
    auto c = cfg::load(file.string(), test_env);
    auto etc = dir.path / "etc";
    const auto& tls = *c.listeners[0].tls;
    BOOST_TEST(tls.cert_file == (etc / "tls/gw.crt").string());
    BOOST_TEST(tls.key_file == "/abs/gw.key");
    BOOST_TEST(tls.client_ca_file.value_or("") == (dir.path / "ca/clients.pem").string());
    BOOST_TEST(c.access_log.path == (etc / "logs/access.log").string());
    BOOST_TEST(c.backends[0].tls.ca_file.value_or("") == (etc / "cpm-ca.pem").string());
    BOOST_TEST(c.backends[0].options.at("bundle_file").value == (etc / "extra/bundle.pem").string());
    BOOST_TEST(c.backends[0].options.at("plain").value == "not/a/path");
}

BOOST_AUTO_TEST_CASE(load_from_string_resolves_against_the_file_name_directory)
{
    auto yaml = std::string("listen: {tls: {cert: gw.crt, key: gw.key}}\naccess_log: {path: \"off\"}\n");
    auto named = cfg::load_from_string(yaml, "/etc/bg/gw.yaml", test_env);
    BOOST_TEST(named.listeners[0].tls->cert_file == "/etc/bg/gw.crt");
    BOOST_TEST(named.access_log.path == "off");
    auto unnamed = cfg::load_from_string(yaml, "<string>", test_env);
    BOOST_TEST(unnamed.listeners[0].tls->cert_file == "gw.crt");
}

BOOST_AUTO_TEST_CASE(hsts_is_checked_and_kept)
{
    // (load() does not open the certificate files; validate() does.)
    const auto with = [](const std::string& hsts) {
        return "listen:\n  tls: {cert: gw.crt, key: gw.key, hsts: \"" + hsts + "\"}\n";
    };
    BOOST_TEST(load(with("max-age=31536000; includeSubDomains")).listeners[0].tls->hsts.value_or("") ==
               "max-age=31536000; includeSubDomains");
    BOOST_TEST(load(with("max-age=0")).listeners[0].tls->hsts.value_or("") == "max-age=0");
    BOOST_TEST(!load("listen:\n  tls: {cert: gw.crt, key: gw.key}\n").listeners[0].tls->hsts);
    for (const auto* bad : {"includeSubDomains", "max-age=", "max-age=1y", "max-age=1; bogus", ""}) {
        BOOST_TEST_CONTEXT(bad)
        {
            const auto yaml = with(bad);
            expect_load_error(yaml, "listen.tls.hsts", "hsts", "max-age=31536000");
        }
    }
}

BOOST_AUTO_TEST_CASE(lingering_close_is_configurable_and_can_be_off)
{
    auto c = load(listen_plain + "limits: {linger_time: 0s, linger_bytes: 1MiB}\n");
    BOOST_TEST(c.limits.linger_time.count() == 0);
    BOOST_TEST(c.limits.linger_bytes == 1024u * 1024);
}

BOOST_AUTO_TEST_CASE(durations_accept_ms_s_m_h_and_plain_seconds)
{
    auto c = load(listen_plain +
                  "limits: {header_timeout: 250ms, body_timeout: 2s, idle_timeout: 1m}\n"
                  "shutdown_grace: 1h\n"
                  "backends:\n"
                  "  - {name: a, type: http, base_url: \"http://a\", timeouts: {connect: 30, idle: 0s}}\n");
    BOOST_TEST(c.limits.header_timeout.count() == 250);
    BOOST_TEST(c.limits.body_timeout.count() == 2'000);
    BOOST_TEST(c.limits.idle_timeout.count() == 60'000);
    BOOST_TEST(c.shutdown_grace.count() == 3'600'000);
    BOOST_TEST(c.backends[0].timeouts.connect.count() == 30'000);
    BOOST_TEST(c.backends[0].timeouts.idle.count() == 0);
    BOOST_TEST(cfg::parse_duration("8760h").value.has_value());
    BOOST_TEST(!cfg::parse_duration("8761h").value.has_value());
}

BOOST_AUTO_TEST_CASE(sizes_accept_binary_and_decimal_units)
{
    auto c = load(listen_plain + "limits: {max_header_bytes: 16KiB, max_body_bytes: 1GiB}\n");
    BOOST_TEST(c.limits.max_header_bytes == 16u * 1024);
    BOOST_TEST(c.limits.max_body_bytes == 1024u * 1024 * 1024);
    BOOST_TEST(*cfg::parse_size("512").value == 512u);
    BOOST_TEST(*cfg::parse_size("512B").value == 512u);
    BOOST_TEST(*cfg::parse_size("10MiB").value == 10u * 1024 * 1024);
    BOOST_TEST(*cfg::parse_size("10mib").value == 10u * 1024 * 1024);
    BOOST_TEST(*cfg::parse_size("16KB").value == 16'000u);
    BOOST_TEST(*cfg::parse_size("16kB").value == 16'000u);
    BOOST_TEST(*cfg::parse_size("2MB").value == 2'000'000u);
    BOOST_TEST(*cfg::parse_size("1GB").value == 1'000'000'000u);
}

BOOST_AUTO_TEST_CASE(listen_accepts_a_list_of_listeners)
{
    auto yaml = std::string(
        "listen:\n"
        "  - {address: 0.0.0.0, port: 8443}\n"
        "  - address: \"::1\"\n"
        "    port: 8080\n");
    auto c = load(yaml);
    BOOST_REQUIRE(c.listeners.size() == 2u);
    BOOST_TEST(c.listeners[0].where.path == "listen[0]");
    BOOST_TEST(c.listeners[0].where.line == 2);
    BOOST_TEST(c.listeners[1].address == "::1");
    BOOST_TEST(c.listeners[1].port == 8080);
    BOOST_TEST(c.listeners[1].where.line == 3);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));
}

BOOST_AUTO_TEST_CASE(threads_auto_or_a_number)
{
    BOOST_TEST(load(listen_plain + "threads: auto\n").threads == 0u);
    BOOST_TEST(load(listen_plain + "threads: 4\n").threads == 4u);
    BOOST_TEST(load(listen_plain).threads == 0u);
}

BOOST_AUTO_TEST_CASE(base_url_is_split_once)
{
    auto url = [](const std::string& text) { return *cfg::parse_upstream_url(text).value; };
    BOOST_TEST(url("https://h.example/api/").base_path == "/api");
    BOOST_TEST(url("https://h.example/api/").port == 443);
    BOOST_TEST(url("http://h.example").port == 80);
    BOOST_TEST(url("http://h.example").base_path == "");
    BOOST_TEST(url("http://h.example/").base_path == "");
    BOOST_TEST(url("HTTPS://h.example:8443/a/b").scheme == "https");
    BOOST_TEST(url("HTTPS://h.example:8443/a/b").port == 8443);
    BOOST_TEST(url("HTTPS://h.example:8443/a/b").base_path == "/a/b");
    BOOST_TEST(url("https://[::1]:9000/x").host == "::1");
    BOOST_TEST(url("https://10.0.0.1/x%20y").base_path == "/x%20y");
}

BOOST_AUTO_TEST_CASE(digests_parse_plain_and_colon_separated_hex)
{
    auto plain = digest_of("k");
    std::string colons;
    for (std::size_t i = 0; i < plain.size(); i += 2)
        colons.append(i == 0 ? "" : ":").append(plain.substr(i, 2));
    BOOST_CHECK(*cfg::parse_sha256_hex(plain, false).value == cfg::sha256("k"));
    BOOST_CHECK(*cfg::parse_sha256_hex(colons, true).value == cfg::sha256("k"));
    BOOST_TEST(!cfg::parse_sha256_hex(colons, false).value.has_value());
    BOOST_TEST(cfg::to_hex(cfg::sha256("ops-demo-key")) ==
               "d428fc11ed3fc4326beedaad8207f74367127007c3688aa51b311679c44718a2");
}

BOOST_AUTO_TEST_CASE(clients_backends_headers_and_options_are_read_in_order)
{
    auto c = load(listen_plain + one_backend +
                  "    headers: {X-One: \"1\", X-Two: two words}\n"
                  "    max_idle_connections: 0\n"
                  "clients:\n" +
                  client_yaml("ops", "k1", "[\"*\"]") + client_yaml("ro", "k2", "[cpm]"));
    BOOST_REQUIRE(c.clients.size() == 2u);
    BOOST_TEST(c.clients[1].name == "ro");
    BOOST_CHECK(c.clients[1].api_key_sha256 == cfg::sha256("k2"));
    BOOST_CHECK(c.clients[1].backends == std::vector<std::string>{"cpm"});
    BOOST_TEST(c.clients[1].where.path == "clients[1]");
    const auto& b = c.backends[0];
    BOOST_REQUIRE(b.headers.size() == 2u);
    BOOST_TEST(b.headers[0].first == "X-One");
    BOOST_TEST(b.headers[1].second == "two words");
    BOOST_TEST(b.max_idle_connections == 0u);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));
}

BOOST_AUTO_TEST_CASE(origins_record_every_path_and_fall_back_to_the_parent)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      verify: true\n";
    auto c = load(yaml);
    BOOST_TEST(c.backends[0].where.path == "backends[0]");
    BOOST_TEST(c.backends[0].where.line == line_of(yaml, "- name: cpm"));
    BOOST_TEST(c.where_of("backends[0].base_url").line == line_of(yaml, "base_url"));
    BOOST_TEST(c.where_of("backends[0].tls.verify").line == line_of(yaml, "verify"));
    auto fallback = c.where_of("backends[0].tls.ca_file");  // not in the YAML: its parent's line
    BOOST_TEST(fallback.path == "backends[0].tls.ca_file");
    BOOST_TEST(fallback.line == line_of(yaml, "tls:"));
    BOOST_TEST(c.where_of("admin.port").line == 0);
}

BOOST_AUTO_TEST_CASE(find_backend_finds_by_name)
{
    auto c = load(listen_plain + one_backend);
    BOOST_REQUIRE(c.find_backend("cpm") != nullptr);
    BOOST_TEST(c.find_backend("cpm")->name == "cpm");
    BOOST_TEST(c.find_backend("CPM") == nullptr);
    BOOST_TEST(c.find_backend("") == nullptr);
}

BOOST_AUTO_TEST_CASE(null_values_mean_the_default)
{
    auto c = load("listen:\n  port: 8443\n  tls: ~\nadmin:\nthreads: null\n" + one_backend +
                  "    tls: {ca_file: null, pin_sha256: ~}\n");
    BOOST_TEST(!c.listeners[0].tls.has_value());
    BOOST_TEST(c.admin.port == 9901);
    BOOST_TEST(c.threads == 0u);
    BOOST_TEST(!c.backends[0].tls.ca_file.has_value());
}

BOOST_AUTO_TEST_CASE(admin_can_be_disabled)
{
    auto c = load("listen: {port: 9901}\nadmin: {enabled: false}\n");
    BOOST_TEST(!c.admin.enabled);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));
}

// Issue 18: an admin listener reachable beyond loopback needs admin.token;
// the token is a secret (from the environment or a file, never quoted back).
BOOST_AUTO_TEST_CASE(admin_beyond_loopback_requires_a_token)
{
    const std::string yaml = listen_plain + "admin: {address: 0.0.0.0, port: 9901}\n";
    const auto what = validate_error(yaml);
    check_message(what, "admin.address", line_of(yaml, "admin:"), "set admin.token or admin.token_file");
    // Loopback, v4 or v6, needs none.
    BOOST_REQUIRE_NO_THROW(cfg::validate(load(listen_plain + "admin: {address: \"::1\", port: 9901}\n"),
                                         known_types()));
    auto c = load(listen_plain + "admin: {address: 0.0.0.0, port: 9901, token: \"" + std::string(secret_value) +
                  "\"}\n");
    BOOST_TEST(c.admin.token.reveal() == secret_value);
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));
}

BOOST_AUTO_TEST_CASE(admin_token_from_a_file_and_its_checks)
{
    temp_dir dir;
    const auto file = dir.write("admin-token", std::string(secret_value) + "\n");
    auto c = cfg::load(dir.write("gw.yaml", listen_plain + "admin: {address: 0.0.0.0, token_file: admin-token}\n")
                           .string());
    BOOST_TEST(c.admin.token.reveal() == secret_value);
    expect_load_error(listen_plain + "admin: {token: short}\n", "admin.token", "token: short",
                      "at least 16 visible ASCII characters");
    expect_load_error(listen_plain + "admin: {token: \"has a space in it, long enough\"}\n", "admin.token",
                      "token:", "the value is not shown");
    expect_load_error(listen_plain + "admin: {token: 0123456789abcdef0, token_file: x}\n", "admin.token_file",
                      "token_file", "use one");
}

// Issue 18: the OTLP exporter's settings and their refusals.
BOOST_AUTO_TEST_CASE(tracing_settings)
{
    auto c = load(listen_plain + "tracing: {otlp_endpoint: \"https://otel.example.com:4318/v1/traces\", queue: 100, "
                                 "batch: 10, interval: 250ms, timeout: 1s, service_name: gw-eu}\n");
    BOOST_REQUIRE(c.tracing.has_value());
    BOOST_TEST(c.tracing->url.scheme == "https");
    BOOST_TEST(c.tracing->url.host == "otel.example.com");
    BOOST_TEST(c.tracing->url.port == 4318);
    BOOST_TEST(c.tracing->url.base_path == "/v1/traces");
    BOOST_TEST(c.tracing->queue == 100u);
    BOOST_TEST(c.tracing->batch == 10u);
    BOOST_TEST(c.tracing->interval.count() == 250);
    BOOST_TEST(c.tracing->service_name == "gw-eu");
    BOOST_TEST(!load(listen_plain).tracing.has_value());
    expect_load_error(listen_plain + "tracing: {queue: 10}\n", "tracing", "tracing:", "otlp_endpoint");
    expect_load_error(listen_plain + "tracing: {otlp_endpoint: \"ftp://x/v1/traces\"}\n", "tracing.otlp_endpoint",
                      "otlp_endpoint", "http");
    expect_load_error(listen_plain + "tracing: {otlp_endpoint: \"http://x:4318/v1/traces\", queue: 0}\n",
                      "tracing.queue", "queue: 0", "at least 1 span");
    expect_load_error(listen_plain + "tracing: {otlp_endpoint: \"http://x:4318/v1/traces\", interval: 1ms}\n",
                      "tracing.interval", "interval", "from 10ms to 1m");
}

BOOST_AUTO_TEST_CASE(secrets_print_redacted)
{
    std::ostringstream out;
    out << cfg::secret(secret_value);
    BOOST_TEST(out.str() == "<redacted>");
}

BOOST_AUTO_TEST_CASE(load_reads_the_process_environment_by_default)
{
    temp_dir dir;
    ::setenv("BG_CONFIG_TEST_PORT", "7443", 1);
    auto file = dir.write("gw.yaml", "listen: {port: \"${BG_CONFIG_TEST_PORT}\"}\n");
    BOOST_TEST(cfg::load(file.string()).listeners[0].port == 7443);
    BOOST_TEST(cfg::load_from_string("listen:\n  port: ${BG_CONFIG_TEST_PORT}\n").listeners[0].port == 7443);
    ::unsetenv("BG_CONFIG_TEST_PORT");
}

BOOST_AUTO_TEST_CASE(validate_names_paths_of_a_config_built_in_code)
{
    cfg::gateway_config c;
    c.listeners.emplace_back();
    c.listeners.emplace_back();  // both 0.0.0.0:8443
    try {
        cfg::validate(c, known_types());
        BOOST_FAIL("validate() accepted two listeners on one port");
    } catch (const cfg::error& e) {
        BOOST_TEST(std::string(e.what()).rfind("listen[1].port: port 8443", 0) == 0, e.what());
        BOOST_TEST(e.where().line == 0);
    }
}

// ==================================================================== load() rejections

BOOST_AUTO_TEST_CASE(rejects_malformed_yaml_with_its_line)
{
    auto yaml = std::string("listen: {port: 8443}\nbackends: [\n  {name: a,\nthreads: 2\n");
    auto what = load_error(yaml);
    BOOST_TEST_INFO(what);
    BOOST_TEST(what.rfind("test.yaml:", 0) == 0);
    BOOST_TEST(what.find("invalid YAML") != std::string::npos);
    check_message(load_error("listen: {port: 8443\nthreads: 2\n"), "", 2, "invalid YAML");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_file)
{
    BOOST_TEST(load_error("# nothing\n") ==
               "test.yaml: the configuration is empty; expected a map with at least 'listen'");
}

BOOST_AUTO_TEST_CASE(rejects_a_top_level_that_is_not_a_map)
{
    check_message(load_error("- listen\n- admin\n"), "", 1, "expected a map at the top level, got a list");
}

BOOST_AUTO_TEST_CASE(rejects_two_documents)
{
    auto yaml = listen_plain + "---\n" + listen_plain;
    check_message(load_error(yaml), "", 3, "expected one YAML document");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_top_level_key_with_a_suggestion)
{
    auto yaml = std::string("lisen: {port: 8443}\n");
    auto what = load_error(yaml);
    BOOST_TEST(what ==
               "test.yaml:1: unknown key 'lisen' in the top level; expected one of listen, admin, threads, "
               "limits, pagination, drain_delay, shutdown_grace, access_log, clients, backends, redis, tracing; did you mean 'listen'?");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_nested_key)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      verfy: false\n";
    expect_load_error(yaml, "backends[0].tls", "verfy", "unknown key 'verfy'; expected one of verify, ca_file");
    BOOST_TEST(load_error(yaml).find("did you mean 'verify'?") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_duplicate_key)
{
    auto yaml = std::string("listen:\n  port: 8443\n  address: 0.0.0.0\n  port: 9443\n");
    expect_load_error(yaml, "listen", "port: 9443", "duplicate key 'port' (first at line 2)");
}

BOOST_AUTO_TEST_CASE(rejects_a_missing_listen)
{
    auto yaml = std::string("threads: 2\n") + one_backend;
    expect_load_error(yaml, "", "threads", "missing required key 'listen'");
}

BOOST_AUTO_TEST_CASE(rejects_listen_of_the_wrong_type)
{
    auto yaml = std::string("threads: 2\nlisten: 8443\n");
    expect_load_error(yaml, "listen", "listen", "expected a map (one listener) or a list of maps, got a string");
}

BOOST_AUTO_TEST_CASE(rejects_clients_given_as_a_map)
{
    auto yaml = listen_plain + "clients:\n  ops: {api_key_sha256: x}\n";
    expect_load_error(yaml, "clients", "clients:", "expected a list of clients (maps), got a map");
}

BOOST_AUTO_TEST_CASE(rejects_a_list_where_a_map_is_expected)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      - verify\n";
    expect_load_error(yaml, "backends[0].tls", "tls:", "expected a map, got a list");
}

BOOST_AUTO_TEST_CASE(rejects_a_map_where_a_scalar_is_expected)
{
    auto yaml = listen_plain + one_backend + "    api_version: {major: 1}\n";
    expect_load_error(yaml, "backends[0].api_version", "api_version", "expected a string, got a map");
}

BOOST_AUTO_TEST_CASE(rejects_an_unset_environment_variable)
{
    auto yaml = listen_plain +
                "backends:\n"
                "  - name: cpm\n"
                "    type: n2ws-cpm\n"
                "    base_url: https://cpm.example.com\n"
                "    credentials: {api_key: \"${CPM_KEY_TYPO}\"}\n";
    expect_load_error(yaml, "backends[0].credentials.api_key", "credentials",
                      "environment variable CPM_KEY_TYPO is not set");
}

BOOST_AUTO_TEST_CASE(rejects_an_unterminated_substitution)
{
    auto yaml = std::string("listen: {port: \"${GW_PORT\"}\n");
    expect_load_error(yaml, "listen.port", "listen", "unterminated '${'");
}

BOOST_AUTO_TEST_CASE(rejects_an_invalid_variable_name)
{
    auto yaml = std::string("listen: {port: \"${GW-PORT}\"}\n");
    expect_load_error(yaml, "listen.port", "listen", "invalid environment variable name 'GW-PORT'");
}

BOOST_AUTO_TEST_CASE(reads_query_retries_and_the_circuit_breaker)
{
    const auto c = load(listen_plain + one_backend +
                        "    query: passthrough\n"
                        "    retries: {attempts: 3, backoff_base: 50ms, backoff_cap: 1s, budget_percent: 10, "
                        "budget_min: 1}\n"
                        "    circuit_breaker: {failures: 0, open_for: 2s, open_max: 1m}\n"
                        "    concurrency: {max_in_flight: 0, queue: 10, queue_wait: 250ms}\n"
                        "    idempotency: {keys: required, ttl: 1h}\n");
    const auto& b = c.backends.at(0);
    BOOST_TEST(!b.query_strict);
    BOOST_TEST(b.retries.attempts == 3u);
    BOOST_TEST(b.retries.backoff_base.count() == 50);
    BOOST_TEST(b.retries.backoff_cap.count() == 1'000);
    BOOST_TEST(b.retries.budget_percent == 10u);
    BOOST_TEST(b.retries.budget_min == 1u);
    BOOST_TEST(b.circuit_breaker.failures == 0u);
    BOOST_TEST(b.circuit_breaker.open_for.count() == 2'000);
    BOOST_TEST(b.circuit_breaker.open_max.count() == 60'000);
    BOOST_TEST(b.concurrency.max_in_flight == 0u);
    BOOST_TEST(b.concurrency.queue == 10u);
    BOOST_TEST(b.concurrency.queue_wait.count() == 250);
    BOOST_TEST((b.idempotency.keys == cfg::idempotency_settings::policy::required));
    BOOST_TEST(b.idempotency.ttl.count() == 3'600'000);
}

BOOST_AUTO_TEST_CASE(rejects_bad_query_retries_and_breaker_settings)
{
    expect_load_error(listen_plain + one_backend + "    query: loose\n", "backends[0].query", "loose",
                      "expected strict or passthrough, got 'loose'");
    expect_load_error(listen_plain + one_backend + "    retries: {attempts: 0}\n", "backends[0].retries.attempts",
                      "attempts", "expected at least 1 attempt");
    expect_load_error(listen_plain + one_backend + "    retries: {tries: 3}\n", "backends[0].retries", "tries",
                      "tries");
    expect_load_error(listen_plain + one_backend + "    circuit_breaker: {open_for: 10s, open_max: 5s}\n",
                      "backends[0].circuit_breaker", "circuit_breaker", "expected 0 < open_for <= open_max");
    expect_load_error(listen_plain + one_backend + "    idempotency: {keys: sometimes}\n",
                      "backends[0].idempotency.keys", "sometimes", "expected off, optional or required");
    expect_load_error(listen_plain + one_backend + "    idempotency: {ttl: 10ms}\n", "backends[0].idempotency.ttl",
                      "10ms", "expected at least 1s");
    expect_load_error(listen_plain + one_backend + "    concurrency: {max_in_flight: lots}\n",
                      "backends[0].concurrency.max_in_flight", "lots", "expected an integer");
}

BOOST_AUTO_TEST_CASE(rejects_a_port_out_of_range)
{
    auto yaml = std::string("listen:\n  port: 70000\n");
    expect_load_error(yaml, "listen.port", "70000", "is too large; expected an integer from 0 to 65535, got '70000'");
}

BOOST_AUTO_TEST_CASE(rejects_a_negative_port)
{
    auto yaml = std::string("listen: {port: 8443}\nadmin:\n  port: -1\n");
    expect_load_error(yaml, "admin.port", "-1", "must not be negative");
}

BOOST_AUTO_TEST_CASE(rejects_a_non_numeric_integer)
{
    auto yaml = listen_plain + "pagination:\n  max_limit: lots\n";
    expect_load_error(yaml, "pagination.max_limit", "lots", "expected an integer from 0 to 4294967295, got 'lots'");
}

BOOST_AUTO_TEST_CASE(rejects_a_duration_with_an_unknown_unit)
{
    auto yaml = listen_plain + "shutdown_grace: 5d\n";
    expect_load_error(yaml, "shutdown_grace", "5d", "unknown duration unit; expected ms, s, m or h, got '5d'");
}

BOOST_AUTO_TEST_CASE(rejects_a_fractional_duration)
{
    auto yaml = listen_plain + "limits: {header_timeout: 1.5s}\n";
    expect_load_error(yaml, "limits.header_timeout", "1.5s", "fractions are not supported");
}

BOOST_AUTO_TEST_CASE(rejects_a_negative_duration)
{
    auto yaml = listen_plain + one_backend + "    timeouts: {connect: -2s}\n";
    expect_load_error(yaml, "backends[0].timeouts.connect", "-2s", "must not be negative, got '-2s'");
}

BOOST_AUTO_TEST_CASE(rejects_an_overflowing_duration)
{
    auto yaml = listen_plain + "limits: {idle_timeout: 99999999999999999999999s}\n";
    expect_load_error(yaml, "limits.idle_timeout", "idle_timeout", "is too large");
    check_message(load_error(listen_plain + "shutdown_grace: 9000h\n"), "shutdown_grace", 2,
                  "is too large (at most 8760h");
}

BOOST_AUTO_TEST_CASE(rejects_a_garbage_duration)
{
    auto yaml = listen_plain + "limits: {body_timeout: soon}\n";
    expect_load_error(yaml, "limits.body_timeout", "soon", "expected a duration such as 250ms, 2s, 1m or 1h");
}

BOOST_AUTO_TEST_CASE(rejects_a_size_with_an_unknown_unit)
{
    auto yaml = listen_plain + "limits: {max_body_bytes: 10XB}\n";
    expect_load_error(yaml, "limits.max_body_bytes", "10XB",
                      "unknown size unit; expected B, KiB, MiB, GiB, TiB, KB, MB or GB, got '10XB'");
}

BOOST_AUTO_TEST_CASE(rejects_an_overflowing_size)
{
    auto yaml = listen_plain + "limits: {max_body_bytes: 99999999999999GiB}\n";
    expect_load_error(yaml, "limits.max_body_bytes", "GiB", "is too large");
}

BOOST_AUTO_TEST_CASE(rejects_a_negative_size)
{
    auto yaml = listen_plain + "limits: {max_header_bytes: -16KiB}\n";
    expect_load_error(yaml, "limits.max_header_bytes", "-16KiB", "must not be negative");
}

BOOST_AUTO_TEST_CASE(rejects_a_boolean_that_is_not_true_or_false)
{
    auto yaml = listen_plain + "admin:\n  enabled: yes\n";
    expect_load_error(yaml, "admin.enabled", "yes", "expected true or false, got 'yes'");
}

BOOST_AUTO_TEST_CASE(rejects_threads_zero)
{
    auto yaml = listen_plain + "threads: 0\n";
    expect_load_error(yaml, "threads", "threads", "expected 'auto' or a positive integer, got '0'");
}

BOOST_AUTO_TEST_CASE(rejects_threads_that_is_not_a_number)
{
    auto yaml = listen_plain + "threads: many\n";
    expect_load_error(yaml, "threads", "threads", "expected 'auto' or a positive integer, got 'many'");
}

BOOST_AUTO_TEST_CASE(rejects_an_address_that_is_not_an_ip)
{
    auto yaml = std::string("listen:\n  - address: localhost\n");
    expect_load_error(yaml, "listen[0].address", "localhost", "expected an IP address");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_with_another_scheme)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url: ftp://files.example.com\n";
    expect_load_error(yaml, "backends[0].base_url", "ftp", "expected an http:// or https:// URL");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_with_user_information)
{
    auto yaml = listen_plain +
                "backends:\n  - name: a\n    type: http\n"
                "    base_url: https://admin:${SECRET_TOKEN}@h.example.com/api\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "must not contain user information");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_with_a_query)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url: https://h.example.com/api?x=1\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "must not contain a query");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_without_a_host)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url: \"https:///api\"\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "expected a URL with a host");
}

BOOST_AUTO_TEST_CASE(rejects_a_backend_without_a_type)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    base_url: https://h.example.com\n";
    expect_load_error(yaml, "backends[0]", "name: a", "missing required key 'type'");
}

BOOST_AUTO_TEST_CASE(rejects_a_required_key_without_a_value)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url:\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "has no value; expected an http:// or https:// URL");
}

BOOST_AUTO_TEST_CASE(rejects_an_invalid_backend_name)
{
    auto yaml = listen_plain + "backends:\n  - name: cpm/prod\n    type: http\n    base_url: https://h.example.com\n";
    expect_load_error(yaml, "backends[0].name", "cpm/prod", "expected a backend name: a letter or digit");
}

BOOST_AUTO_TEST_CASE(rejects_an_api_key_digest_of_the_wrong_length)
{
    auto yaml = listen_plain + "clients:\n  - name: ops\n    api_key_sha256: abc123\n    backends: [\"*\"]\n";
    expect_load_error(yaml, "clients[0].api_key_sha256", "abc123",
                      "expected a SHA-256 digest: 64 hexadecimal digits; found 6 digits");
}

BOOST_AUTO_TEST_CASE(rejects_an_api_key_digest_that_is_not_hex)
{
    auto bad = std::string(63, 'a') + "g";
    auto yaml = listen_plain + "clients:\n  - name: ops\n    api_key_sha256: " + bad + "\n    backends: [\"*\"]\n";
    expect_load_error(yaml, "clients[0].api_key_sha256", bad, "non-hexadecimal character");
}

BOOST_AUTO_TEST_CASE(rejects_a_misplaced_colon_in_a_pin)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      pin_sha256: \"A:BCD\"\n";
    expect_load_error(yaml, "backends[0].tls.pin_sha256", "pin_sha256", "misplaced ':'");
}

BOOST_AUTO_TEST_CASE(rejects_a_client_without_backends)
{
    auto yaml = listen_plain + "clients:\n  - name: ops\n    api_key_sha256: " + digest_of("k") + "\n";
    expect_load_error(yaml, "clients[0]", "name: ops", "missing required key 'backends'");
}

BOOST_AUTO_TEST_CASE(rejects_an_invalid_header_name)
{
    auto yaml = listen_plain + one_backend + "    headers:\n      \"X Bad\": v\n";
    expect_load_error(yaml, "backends[0].headers.X Bad", "X Bad", "expected a header name made of token characters");
}

BOOST_AUTO_TEST_CASE(rejects_a_header_the_gateway_sets)
{
    auto yaml = listen_plain + one_backend + "    headers:\n      Host: other.example.com\n";
    expect_load_error(yaml, "backends[0].headers.Host", "Host", "the gateway sets 'Host' itself");
}

BOOST_AUTO_TEST_CASE(rejects_a_header_value_with_a_line_break)
{
    auto yaml = listen_plain + one_backend + "    headers:\n      X-Token: \"${SECRET_TOKEN}\\r\\nX-Evil: 1\"\n";
    expect_load_error(yaml, "backends[0].headers.X-Token", "X-Token", "must not contain control characters");
}

BOOST_AUTO_TEST_CASE(rejects_a_header_given_twice)
{
    auto yaml = listen_plain + one_backend + "    headers:\n      X-A: 1\n      x-a: 2\n";
    expect_load_error(yaml, "backends[0].headers.x-a", "x-a", "header 'x-a' is given twice");
}

BOOST_AUTO_TEST_CASE(rejects_a_missing_secret_file)
{
    auto yaml = listen_plain + one_backend +
                "    options: {x: 1}\n"
                "  - name: veeam\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password_file: /nonexistent/bg-test/pw\n";
    expect_load_error(yaml, "backends[1].credentials.password_file", "password_file",
                      "cannot read '/nonexistent/bg-test/pw': No such file or directory");
}

BOOST_AUTO_TEST_CASE(rejects_a_secret_given_both_inline_and_as_a_file)
{
    temp_dir dir;
    dir.write("pw", secret_value);
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password: \"${SECRET_TOKEN}\"\n      password_file: " +
                (dir.path / "pw").string() + "\n";
    expect_load_error(yaml, "backends[0].credentials.password_file", "password_file",
                      "both 'password' and 'password_file' are given");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_secret)
{
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password: \"${EMPTY}\"\n";
    expect_load_error(yaml, "backends[0].credentials.password", "password", "is empty; expected a secret");
}

BOOST_AUTO_TEST_CASE(rejects_a_credential_that_is_not_a_string)
{
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password: [a, b]\n";
    expect_load_error(yaml, "backends[0].credentials.password", "password", "expected a string (a secret), got a list");
}

BOOST_AUTO_TEST_CASE(rejects_listener_tls_without_a_key)
{
    auto yaml = std::string("listen:\n  tls:\n    cert: gw.crt\n");
    expect_load_error(yaml, "listen.tls", "tls:", "missing required key 'key'");
}

BOOST_AUTO_TEST_CASE(rejects_an_unreadable_configuration_file)
{
    try {
        cfg::load("/nonexistent/bg-test/gateway.yaml", test_env);
        BOOST_FAIL("load() read a missing file");
    } catch (const cfg::error& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "/nonexistent/bg-test/gateway.yaml: cannot read "
                   "'/nonexistent/bg-test/gateway.yaml': No such file or directory");
    }
}

BOOST_AUTO_TEST_CASE(rejects_a_key_that_is_not_a_string)
{
    auto yaml = listen_plain + "? [a, b]\n: 1\n";
    expect_load_error(yaml, "", "? [a, b]", "expected a string as a key, got a list");
}

BOOST_AUTO_TEST_CASE(rejects_a_setting_key_with_spaces)
{
    auto yaml = listen_plain + one_backend + "    options:\n      \"page size\": 10\n";
    expect_load_error(yaml, "backends[0].options.page size", "page size",
                      "expected a key made of letters, digits, '_' and '-', got 'page size'");
}

BOOST_AUTO_TEST_CASE(rejects_a_setting_without_a_value)
{
    auto yaml = listen_plain + one_backend + "    options:\n      region:\n";
    expect_load_error(yaml, "backends[0].options.region", "region", "has no value; expected a string");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_secret_file)
{
    temp_dir dir;
    auto file = dir.write("empty", "\n");
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password_file: " +
                file.string() + "\n";
    expect_load_error(yaml, "backends[0].credentials.password_file", "password_file", "the file is empty");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_secret_file_path)
{
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password_file: \"\"\n";
    expect_load_error(yaml, "backends[0].credentials.password_file", "password_file",
                      "expected a file path, got an empty string");
}

BOOST_AUTO_TEST_CASE(rejects_a_secret_file_that_is_too_large)
{
    temp_dir dir;
    auto file = dir.write("big", std::string(cfg::max_secret_file_bytes + 1, 'x'));
    auto yaml = listen_plain +
                "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n"
                "    credentials:\n      password_file: " +
                file.string() + "\n";
    expect_load_error(yaml, "backends[0].credentials.password_file", "password_file", "is larger than 65536 bytes");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_client_name)
{
    auto yaml =
        listen_plain + "clients:\n  - name: \"\"\n    api_key_sha256: " + digest_of("k") + "\n    backends: [\"*\"]\n";
    expect_load_error(yaml, "clients[0].name", "name:", "expected the client's name (a string), got an empty string");
}

BOOST_AUTO_TEST_CASE(rejects_a_client_name_with_a_control_character)
{
    auto yaml = listen_plain + "clients:\n  - name: \"ops\\tteam\\n\"\n    api_key_sha256: " + digest_of("k") +
                "\n    backends: [\"*\"]\n";
    expect_load_error(yaml, "clients[0].name", "name:", "expected a name without control characters");
}

BOOST_AUTO_TEST_CASE(rejects_a_server_name_with_a_space)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      server_name: \"a b\"\n";
    expect_load_error(yaml, "backends[0].tls.server_name", "server_name",
                      "expected a host name without spaces or control characters, got 'a b'");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_with_port_zero)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url: https://h.example.com:0/api\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "expected a port from 1 to 65535");
}

BOOST_AUTO_TEST_CASE(rejects_a_base_url_with_a_fragment)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: http\n    base_url: https://h.example.com/api#top\n";
    expect_load_error(yaml, "backends[0].base_url", "base_url", "or a fragment");
}

BOOST_AUTO_TEST_CASE(rejects_a_substituted_value_showing_it_as_written)
{
    auto yaml = listen_plain + "admin:\n  enabled: \"${SECRET_TOKEN}\"\n";
    expect_load_error(yaml, "admin.enabled", "enabled",
                      "expected true or false, got '${SECRET_TOKEN}' (before substitution)");
}

// ==================================================================== validate() rejections

BOOST_AUTO_TEST_CASE(rejects_no_listener)
{
    auto yaml = std::string("threads: 1\nlisten: []\n");
    expect_validate_error(yaml, "listen", "listen", "expected at least one listener");
}

BOOST_AUTO_TEST_CASE(rejects_two_listeners_on_one_port)
{
    auto yaml = std::string("listen:\n  - {address: 0.0.0.0, port: 8443}\n  - {address: 127.0.0.1, port: 8443}\n");
    expect_validate_error(yaml, "listen[1].port", "127.0.0.1",
                          "port 8443 on 127.0.0.1 is already used by listen[0] (line 2)");
}

BOOST_AUTO_TEST_CASE(accepts_one_port_on_two_specific_addresses)
{
    auto c = load(
        "listen:\n  - {address: 127.0.0.1, port: 8443}\n  - {address: 10.1.2.3, port: 8443}\n"
        "  - {port: 0}\n  - {port: 0}\n");
    BOOST_REQUIRE_NO_THROW(cfg::validate(c, known_types()));
}

BOOST_AUTO_TEST_CASE(rejects_the_admin_port_on_a_listener_port)
{
    auto yaml = std::string("listen: {port: 9901}\nadmin:\n  enabled: true\n");
    expect_validate_error(yaml, "admin.port", "admin:", "port 9901 on 127.0.0.1 is already used by listen (line 1)");
}

BOOST_AUTO_TEST_CASE(rejects_an_unreadable_tls_certificate)
{
    auto yaml = std::string("listen:\n  tls:\n    cert: /nonexistent/bg-test/gw.crt\n    key: /nonexistent/k\n");
    expect_validate_error(yaml, "listen.tls.cert", "cert:", "cannot read '/nonexistent/bg-test/gw.crt'");
}

BOOST_AUTO_TEST_CASE(rejects_a_tls_key_that_is_a_directory)
{
    temp_dir dir;
    dir.write("gw.crt", "PEM");
    auto yaml =
        "listen:\n  tls:\n    cert: " + (dir.path / "gw.crt").string() + "\n    key: " + dir.path.string() + "\n";
    expect_validate_error(yaml, "listen.tls.key", "key:", "it is a directory");
}

BOOST_AUTO_TEST_CASE(rejects_too_many_threads)
{
    auto yaml = listen_plain + "threads: 300\n";
    expect_validate_error(yaml, "threads", "threads", "expected 'auto' or an integer from 1 to 256, got 300");
}

BOOST_AUTO_TEST_CASE(rejects_a_default_limit_of_zero)
{
    auto yaml = listen_plain + "pagination:\n  default_limit: 0\n";
    expect_validate_error(yaml, "pagination.default_limit", "default_limit", "expected an integer of at least 1");
}

BOOST_AUTO_TEST_CASE(rejects_a_max_limit_below_the_default_limit)
{
    auto yaml = listen_plain + "pagination:\n  default_limit: 200\n  max_limit: 100\n";
    expect_validate_error(yaml, "pagination.max_limit", "max_limit", "expected at least default_limit (200), got 100");
}

BOOST_AUTO_TEST_CASE(rejects_a_max_limit_above_the_window_bound)
{
    auto yaml = listen_plain + "pagination:\n  max_limit: 100001\n";
    expect_validate_error(yaml, "pagination.max_limit", "max_limit",
                          "expected at most 100000 (a window is held whole in memory), got 100001");
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_request_timeout)
{
    auto yaml = listen_plain + "limits:\n  header_timeout: 0ms\n";
    expect_validate_error(yaml, "limits.header_timeout", "header_timeout", "expected a duration greater than 0");
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_upstream_timeout)
{
    auto yaml = listen_plain + one_backend + "    timeouts:\n      request: 0\n";
    expect_validate_error(yaml, "backends[0].timeouts.request", "request:", "expected a duration greater than 0");
}

namespace {

const std::string at_least_one = "expected an integer of at least 1, got 0";
const std::string positive_duration = "expected a duration greater than 0";

// `yaml` (after a listener) sets the value at `path` to zero; validate() rejects it.
void expect_zero_rejected(const std::string& yaml, const std::string& path, const std::string& phrase)
{
    auto key = path.substr(path.rfind('.') + 1);
    expect_validate_error(listen_plain + yaml, path, key + ":", phrase);
}

}  // namespace

BOOST_AUTO_TEST_CASE(rejects_zero_max_header_bytes)
{
    expect_zero_rejected("limits:\n  max_header_bytes: 0KiB\n", "limits.max_header_bytes", at_least_one);
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_body_timeout)
{
    expect_zero_rejected("limits:\n  body_timeout: 0s\n", "limits.body_timeout", positive_duration);
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_idle_timeout)
{
    expect_zero_rejected("limits:\n  idle_timeout: 0\n", "limits.idle_timeout", positive_duration);
}

BOOST_AUTO_TEST_CASE(rejects_zero_max_connections)
{
    expect_zero_rejected("limits:\n  max_connections: 0\n", "limits.max_connections", at_least_one);
}

// 23 bytes on which yaml-cpp 0.7's LoadAll() looped forever, allocating until
// killed (found by tests/fuzz/fuzz_config): text that YAML does not allow is
// refused before yaml-cpp sees it, with where it is.
BOOST_AUTO_TEST_CASE(rejects_text_that_is_not_printable_utf8_at_once)
{
    const auto message = load_error(",\xfc" "ten: {port:\xa0 ?0000}\n");
    BOOST_TEST(message.find("test.yaml:1") != std::string::npos, message);
    BOOST_TEST(message.find("column 2: byte 0xFC is not printable UTF-8") != std::string::npos, message);
    const auto control = load_error(listen_plain + "threads: 1\x01\n");
    BOOST_TEST(control.find("test.yaml:2") != std::string::npos, control);
    BOOST_TEST(control.find("byte 0x01") != std::string::npos, control);
    // Printable Unicode is fine, in comments and values alike.
    BOOST_CHECK_NO_THROW(load(listen_plain + "# caf\xc3\xa9 \xe2\x82\xac\n"));
}

// "," alone made yaml-cpp 0.7's LoadAll() loop forever (found by fuzz_config
// once the bytes above were refused): the documents are counted through the
// parser's events now, at most two.
BOOST_AUTO_TEST_CASE(a_lone_comma_is_an_error_not_a_hang)
{
    BOOST_TEST(load_error(",").find("the configuration is empty") != std::string::npos);
    BOOST_TEST(load_error(",\n,\n").find("test.yaml") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_zero_max_upstream_requests)
{
    expect_zero_rejected("pagination:\n  max_upstream_requests: 0\n", "pagination.max_upstream_requests", at_least_one);
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_connect_timeout)
{
    expect_zero_rejected(one_backend + "    timeouts:\n      connect: 0ms\n", "backends[0].timeouts.connect",
                         positive_duration);
}

BOOST_AUTO_TEST_CASE(rejects_a_zero_upstream_idle_timeout)
{
    expect_zero_rejected(one_backend + "    timeouts:\n      idle: 0m\n", "backends[0].timeouts.idle",
                         positive_duration);
}

BOOST_AUTO_TEST_CASE(rejects_duplicate_backend_names)
{
    auto yaml = listen_plain + one_backend + "  - {name: cpm, type: http, base_url: \"http://other\"}\n";
    expect_validate_error(yaml, "backends[1].name", "http://other",
                          "backend 'cpm' is already defined by backends[0] (line 3)");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_backend_type)
{
    auto yaml = listen_plain + "backends:\n  - name: a\n    type: n2ws-cmp\n    base_url: https://h.example.com\n";
    expect_validate_error(yaml, "backends[0].type", "n2ws-cmp",
                          "unknown backend type 'n2ws-cmp'; expected one of "
                          "cloudbasic, google-backupdr, http, n2ws-cpm, veeam-aws; "
                          "did you mean 'n2ws-cpm'?");
}

BOOST_AUTO_TEST_CASE(reports_the_backend_type_check_with_its_origin)
{
    auto yaml = listen_plain +
                "backends:\n  - name: cpm\n    type: n2ws-cpm\n    base_url: https://h.example.com\n"
                "    credentials:\n      apikey: \"${CPM_API_KEY}\"\n";
    expect_validate_error(yaml, "backends[0].credentials", "credentials:", "credentials.api_key: required by n2ws-cpm");
}

BOOST_AUTO_TEST_CASE(rejects_tls_settings_for_an_http_backend)
{
    auto yaml = listen_plain +
                "backends:\n  - name: a\n    type: http\n    base_url: http://h.example.com\n"
                "    tls:\n      server_name: h\n";
    expect_validate_error(yaml, "backends[0].tls", "tls:", "TLS settings are given but base_url is http://");
}

BOOST_AUTO_TEST_CASE(rejects_an_unreadable_upstream_ca_file)
{
    auto yaml = listen_plain + one_backend + "    tls:\n      ca_file: /nonexistent/bg-test/ca.pem\n";
    expect_validate_error(yaml, "backends[0].tls.ca_file", "ca_file", "cannot read '/nonexistent/bg-test/ca.pem'");
}

BOOST_AUTO_TEST_CASE(rejects_a_ca_file_when_verification_is_off)
{
    temp_dir dir;
    auto ca = dir.write("ca.pem", "PEM");
    auto yaml = listen_plain + one_backend + "    tls:\n      verify: false\n      ca_file: " + ca.string() + "\n";
    expect_validate_error(yaml, "backends[0].tls.ca_file", "ca_file", "ca_file is given but verify is false");
}

BOOST_AUTO_TEST_CASE(rejects_duplicate_client_names)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[cpm]") +
                client_yaml("ops", "k2", "[cpm]");
    check_message(validate_error(yaml), "clients[1].name", line_of(yaml, digest_of("k2")) - 1,
                  "client 'ops' is already defined by clients[0]");
}

BOOST_AUTO_TEST_CASE(rejects_two_clients_with_one_key)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[cpm]") +
                client_yaml("ro", "k1", "[cpm]");
    check_message(validate_error(yaml), "clients[1].api_key_sha256", line_of(yaml, "name: ro") + 1,
                  "the same key digest as clients[0] (line " + std::to_string(line_of(yaml, "name: ops")) + ")");
}

BOOST_AUTO_TEST_CASE(rejects_a_client_naming_an_unknown_backend)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[cpm, cmp]");
    expect_validate_error(yaml, "clients[0].backends[1]", "[cpm, cmp]",
                          "unknown backend 'cmp'; expected a name from backends: or \"*\"; did you mean 'cpm'?");
}

BOOST_AUTO_TEST_CASE(rejects_star_mixed_with_names)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[cpm, \"*\"]");
    expect_validate_error(yaml, "clients[0].backends[1]", "\"*\"]", "\"*\" (all backends) must be the only entry");
}

BOOST_AUTO_TEST_CASE(rejects_a_backend_listed_twice_for_a_client)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[cpm, cpm]");
    expect_validate_error(yaml, "clients[0].backends[1]", "[cpm, cpm]", "backend 'cpm' is listed twice");
}

BOOST_AUTO_TEST_CASE(rejects_two_listeners_on_one_port_across_wildcards)
{
    auto yaml = std::string("listen:\n  - {address: \"::\", port: 8443}\n  - {address: 0.0.0.0, port: 8443}\n");
    expect_validate_error(yaml, "listen[1].port", "0.0.0.0", "port 8443 on 0.0.0.0 is already used by listen[0]");
}

BOOST_AUTO_TEST_CASE(rejects_an_unreadable_client_ca)
{
    temp_dir dir;
    auto crt = dir.write("gw.crt", "PEM");
    auto yaml = "listen:\n  tls:\n    cert: " + crt.string() + "\n    key: " + crt.string() +
                "\n    client_ca: missing-ca.pem\n";
    auto file = dir.write("gw.yaml", yaml);
    try {
        cfg::validate(cfg::load(file.string(), test_env), known_types());
        BOOST_FAIL("validate() accepted a missing client_ca");
    } catch (const cfg::error& e) {
        BOOST_TEST(std::string(e.what()) == file.string() + ":5: listen.tls.client_ca: cannot read '" +
                                                (dir.path / "missing-ca.pem").string() +
                                                "': No such file or directory");
    }
}

BOOST_AUTO_TEST_CASE(rejects_a_client_with_an_empty_backend_list)
{
    auto yaml = listen_plain + one_backend + "clients:\n" + client_yaml("ops", "k1", "[]");
    expect_validate_error(yaml, "clients[0].backends", "backends: []", "expected at least one backend name");
}

// ==================================================================== secrets in errors

BOOST_AUTO_TEST_CASE(no_error_message_contains_a_secret_value)
{
    temp_dir dir;
    auto secret_file = dir.write("secret", secret_value + "\n");
    auto backend = [&](const std::string& extra) {
        return listen_plain + "backends:\n  - name: v\n    type: veeam-aws\n    base_url: https://v.example.com\n" +
               "    credentials:\n      token: \"${SECRET_TOKEN}\"\n      literal: " + secret_value +
               "\n      key_file: " + secret_file.string() + "\n" + extra;
    };
    const std::vector<std::string> broken{
        backend("    credentials2: {}\n"),
        backend("    options: [" + secret_value + "]\n"),
        backend("    headers: {\"X-Bad\\u0001\": \"${SECRET_TOKEN}\"}\n"),
        backend("    headers: {X-Token: \"${SECRET_TOKEN}\\n\"}\n"),
        backend("    tls: {verify: \"${SECRET_TOKEN}x\"}\n"),
        backend("    timeouts: {connect: \"1${SECRET_TOKEN}\"}\n"),
        backend("    max_idle_connections: \"${SECRET_TOKEN}\"\n"),
        backend("  - {name: w, type: http, base_url: \"https://u:${SECRET_TOKEN}@w\"}\n"),
        backend("  - {name: w, type: http, base_url: \"ftp://u:${SECRET_TOKEN}@w\"}\n"),
        backend("  - {name: w, type: http, base_url: \"https://w/?k=${SECRET_TOKEN}\"}\n"),
        backend("  - {name: w, type: http, base_url: \"${SECRET_TOKEN}\"}\n"),
        backend(
            "  - {name: w, type: http, base_url: \"https://w\", credentials: {a: \"${SECRET_TOKEN}\", a_file: x}}\n"),
        backend("  - {name: w, type: http, base_url: \"https://w\", credentials: {a: {v: \"" + secret_value +
                "\"}}}\n"),
        backend("  - {name: w, type: http, base_url: \"https://w\", credentials: {a: \"" + secret_value +
                "${NOPE}\"}}\n"),
        backend("  - {name: w, type: http, base_url: \"https://w\", credentials: {a: \"" + secret_value + "${\"}}\n"),
        backend("}}}\n"),
    };
    for (const auto& yaml : broken) {
        try {
            auto c = load(yaml);
            cfg::validate(c, known_types());
            BOOST_ERROR("accepted: " << yaml);
        } catch (const cfg::error& e) {
            std::string what = e.what();
            BOOST_TEST_INFO(what);
            BOOST_TEST(what.find(secret_value) == std::string::npos);
            BOOST_TEST(what.find("zebra") == std::string::npos);
        }
    }
}
