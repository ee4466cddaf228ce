// YAML → gateway_config: shapes, scalars, ${ENV}, *_file indirection and
// relative paths. Cross-field rules are validate()'s (validate.cpp).
#include "config/config.hpp"
#include "config/files.hpp"
#include "config/values.hpp"
#include "config/yaml_reader.hpp"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace bg::config {
namespace {

constexpr std::uint64_t max_u32 = std::numeric_limits<std::uint32_t>::max();

bool is_name_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

// RFC 9110 token characters (header names).
bool is_token_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_setting_key(std::string_view key)
{
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}

bool has_control_char(std::string_view text)
{
    return std::any_of(text.begin(), text.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

origin origin_of(const node_ref& at) { return origin{at.path, at.line}; }

// ---------------------------------------------------------------- listeners

server_tls read_server_tls(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"cert", "key", "client_ca", "hsts"});
    server_tls tls;
    tls.cert_file = r.file_path(f.require("cert", "the server certificate's file (PEM)"));
    tls.key_file = r.file_path(f.require("key", "the server private key's file (PEM)"));
    if (auto n = f.find("client_ca"))
        tls.client_ca_file = r.file_path(*n);
    if (auto n = f.find("hsts")) {
        auto value = r.text(*n);
        if (!valid_hsts(value))
            r.fail(*n, "expected a Strict-Transport-Security value such as \"max-age=31536000; includeSubDomains\" "
                       "(max-age in seconds, then includeSubDomains or preload)" + r.got(*n));
        tls.hsts = std::move(value);
    }
    return tls;
}

listener read_listener(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"address", "port", "tls"});
    listener l;
    l.where = origin_of(at);
    if (auto n = f.find("address"))
        l.address = r.ip_address(*n);
    if (auto n = f.find("port"))
        l.port = r.port(*n);
    if (auto n = f.find("tls"))
        l.tls = read_server_tls(r, *n);
    return l;
}

std::vector<listener> read_listeners(yaml_reader& r, const node_ref& at)
{
    if (at.node.IsMap())
        return {read_listener(r, at)};
    if (!at.node.IsSequence())
        r.fail(at, "expected a map (one listener) or a list of maps, got " + std::string(kind_of(at.node)));
    std::vector<listener> out;
    for (const auto& item : r.items(at, "a list of listeners"))
        out.push_back(read_listener(r, item));
    return out;
}

setting read_secret(yaml_reader& r, const std::string& key, const node_ref& at);  // below, with credentials

// A secret given as `key` (its value, ${ENV} allowed) or as `key`_file (a
// file's content), at most one of the two: the value and where it was
// given, or nullopt when neither is.
std::optional<std::pair<std::string, node_ref>> read_secret_or_file(yaml_reader& r, const map_fields& f,
                                                                    const std::string& key)
{
    const auto file_key = key + "_file";
    const auto inline_at = f.find(key);
    const auto file_at = f.find(file_key);
    if (inline_at && file_at)
        r.fail(*file_at, "both '" + key + "' and '" + file_key + "' are given; use one");
    if (!inline_at && !file_at)
        return std::nullopt;
    const auto& at = inline_at ? *inline_at : *file_at;
    return std::pair{read_secret(r, inline_at ? key : file_key, at).value, at};
}

admin_listener read_admin(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"enabled", "address", "port", "token", "token_file"});
    admin_listener a;
    if (auto n = f.find("enabled"))
        a.enabled = r.boolean(*n);
    if (auto n = f.find("address"))
        a.address = r.ip_address(*n);
    if (auto n = f.find("port"))
        a.port = r.port(*n);
    if (auto token = read_secret_or_file(r, f, "token")) {
        auto& [value, n] = *token;
        // It travels in an Authorization header: visible ASCII, and long enough to guess at no rate.
        bool visible = true;
        for (unsigned char c : value)
            visible = visible && c > 0x20 && c < 0x7f;
        if (!visible || value.size() < 16)
            r.fail(n, "expected at least 16 visible ASCII characters (openssl rand -hex 32); the value is not shown");
        a.token = secret(std::move(value));
    }
    return a;
}

// ---------------------------------------------------------------- process-wide settings

unsigned read_threads(yaml_reader& r, const node_ref& at)
{
    constexpr std::string_view expected = "'auto' or a positive integer";
    auto value = r.non_empty_text(at, expected);
    if (value == "auto")
        return 0;
    auto number = parse_unsigned(value, max_u32);
    if (!number || *number.value == 0)
        r.fail(at, "expected " + std::string(expected) + r.got(at));
    return static_cast<unsigned>(*number.value);
}

request_limits read_limits(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"max_header_bytes", "max_body_bytes", "header_timeout", "body_timeout", "idle_timeout",
                           "max_connections", "linger_time", "linger_bytes"});
    request_limits l;
    if (auto n = f.find("max_header_bytes"))
        l.max_header_bytes = r.size(*n);
    if (auto n = f.find("max_body_bytes"))
        l.max_body_bytes = r.size(*n);
    if (auto n = f.find("header_timeout"))
        l.header_timeout = r.time(*n);
    if (auto n = f.find("body_timeout"))
        l.body_timeout = r.time(*n);
    if (auto n = f.find("idle_timeout"))
        l.idle_timeout = r.time(*n);
    if (auto n = f.find("max_connections"))
        l.max_connections = r.unsigned_int(*n, max_u32);
    if (auto n = f.find("linger_time"))
        l.linger_time = r.time(*n);
    if (auto n = f.find("linger_bytes"))
        l.linger_bytes = r.size(*n);
    return l;
}

pagination_settings read_pagination(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"default_limit", "max_limit", "max_upstream_requests"});
    pagination_settings p;
    if (auto n = f.find("default_limit"))
        p.default_limit = static_cast<std::uint32_t>(r.unsigned_int(*n, max_u32));
    if (auto n = f.find("max_limit"))
        p.max_limit = static_cast<std::uint32_t>(r.unsigned_int(*n, max_u32));
    if (auto n = f.find("max_upstream_requests"))
        p.max_upstream_requests = static_cast<std::uint32_t>(r.unsigned_int(*n, max_u32));
    return p;
}

access_log_settings read_access_log(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"path"});
    access_log_settings a;
    if (auto n = f.find("path")) {
        auto value = r.non_empty_text(*n, "'-' (standard output), 'off' or a file path");
        a.path = (value == "-" || value == "off") ? value : r.resolve(value);
    }
    return a;
}

// ---------------------------------------------------------------- rate limits

// `rate_limits:` a list of {rate: 50/10s, burst: 10} (burst defaults to the count).
std::vector<rate_limit> read_rate_limits(yaml_reader& r, const node_ref& at)
{
    std::vector<rate_limit> out;
    for (const auto& item : r.items(at, "a list of rate limits such as {rate: 50/10s, burst: 10}")) {
        auto f = r.fields(item, {"rate", "burst"});
        rate_limit l;
        l.where = origin_of(item);
        const auto rate_at = f.require("rate", "a rate such as 50/10s, 100/s or 5/m");
        l.spec = r.non_empty_text(rate_at, "a rate such as 50/10s, 100/s or 5/m");
        auto parsed = parse_rate(l.spec);
        if (!parsed)
            r.fail(rate_at, parsed.problem + r.got(rate_at));
        l.count = parsed.value->count;
        l.period = parsed.value->period;
        l.burst = l.count;
        if (auto n = f.find("burst")) {
            l.burst = r.unsigned_int(*n, 1'000'000'000);
            if (l.burst == 0)
                r.fail(*n, "expected at least 1 (the requests admitted at once)" + r.got(*n));
        }
        // The emission interval (period ÷ count) is kept in microseconds: at
        // least one, so at most 1000 requests per millisecond.
        if (std::chrono::duration_cast<std::chrono::microseconds>(l.period).count() < static_cast<long long>(l.count))
            r.fail(rate_at, "is faster than one request per microsecond" + r.got(rate_at));
        out.push_back(std::move(l));
    }
    return out;
}

// ---------------------------------------------------------------- redis

redis_settings read_redis(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"address", "port", "timeout", "key_prefix", "replicas_hint", "encryption_key",
                           "encryption_key_file"});
    redis_settings s;
    s.where = origin_of(at);
    if (auto n = f.find("address")) {
        s.address = r.non_empty_text(*n, "an IP address or a host name");
        if (has_control_char(s.address) || s.address.find_first_of(" /") != std::string::npos)
            r.fail(*n, "expected an IP address or a host name" + r.got(*n));
    }
    if (auto n = f.find("port")) {
        s.port = r.port(*n);
        if (s.port == 0)
            r.fail(*n, "expected a port from 1 to 65535" + r.got(*n));
    }
    if (auto n = f.find("timeout")) {
        s.timeout = r.time(*n);
        if (s.timeout.count() <= 0 || s.timeout.count() > 10'000)
            r.fail(*n, "expected a timeout from 1ms to 10s (each Redis call waits at most this)" + r.got(*n));
    }
    if (auto n = f.find("key_prefix")) {
        s.key_prefix = r.text(*n, "a key prefix such as bg:");
        if (has_control_char(s.key_prefix) || s.key_prefix.size() > 64)
            r.fail(*n, "expected at most 64 printable characters" + r.got(*n));
    }
    if (auto n = f.find("replicas_hint")) {
        s.replicas_hint = static_cast<unsigned>(r.unsigned_int(*n, 10'000));
        if (s.replicas_hint == 0)
            r.fail(*n, "expected the number of replicas, at least 1" + r.got(*n));
    }
    if (auto key = read_secret_or_file(r, f, "encryption_key")) {
        const auto& [hex, n] = *key;
        auto bytes = parse_sha256_hex(hex, false);  // 64 hex digits: 32 bytes
        if (!bytes)
            r.fail(n, "expected 32 bytes as 64 hex digits (openssl rand -hex 32); the value is not shown");
        s.encryption_key = secret(std::string(bytes.value->begin(), bytes.value->end()));
    }
    return s;
}

// ---------------------------------------------------------------- tracing

tracing_settings read_tracing(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"otlp_endpoint", "service_name", "queue", "batch", "interval", "timeout"});
    tracing_settings t;
    t.where = origin_of(at);
    const auto& e = f.require("otlp_endpoint", "the collector's OTLP/HTTP traces URL, such as http://otel:4318/v1/traces");
    t.endpoint = r.non_empty_text(e, "an http or https URL");
    auto url = parse_upstream_url(t.endpoint);
    if (!url)
        r.fail(e, url.problem);
    t.url = *url.value;
    if (auto n = f.find("service_name")) {
        t.service_name = r.non_empty_text(*n, "a service name");
        if (has_control_char(t.service_name))
            r.fail(*n, "expected a name without control characters");
    }
    if (auto n = f.find("queue")) {
        t.queue = static_cast<std::size_t>(r.unsigned_int(*n, 1'000'000));
        if (t.queue == 0)
            r.fail(*n, "expected at least 1 span" + r.got(*n));
    }
    if (auto n = f.find("batch")) {
        t.batch = static_cast<std::size_t>(r.unsigned_int(*n, 100'000));
        if (t.batch == 0)
            r.fail(*n, "expected at least 1 span" + r.got(*n));
    }
    if (auto n = f.find("interval")) {
        t.interval = r.time(*n);
        if (t.interval.count() < 10 || t.interval.count() > 60'000)
            r.fail(*n, "expected from 10ms to 1m" + r.got(*n));
    }
    if (auto n = f.find("timeout")) {
        t.timeout = r.time(*n);
        if (t.timeout.count() <= 0 || t.timeout.count() > 60'000)
            r.fail(*n, "expected from 1ms to 1m" + r.got(*n));
    }
    return t;
}

// ---------------------------------------------------------------- clients

client read_client(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"name", "api_key_sha256", "backends", "rate_limits"});
    client c;
    c.where = origin_of(at);
    auto name_at = f.require("name", "the client's name (a string)");
    c.name = r.non_empty_text(name_at, "the client's name (a string)");
    if (has_control_char(c.name))
        r.fail(name_at, "expected a name without control characters");
    auto key_at = f.require("api_key_sha256", "the SHA-256 of the client's API key (64 hex digits)");
    auto digest = parse_sha256_hex(r.text(key_at, "64 hex digits"), false);
    if (!digest)
        r.fail(key_at, digest.problem);
    c.api_key_sha256 = *digest.value;
    auto backends_at = f.require("backends", "a list of backend names, or [\"*\"] for all");
    for (const auto& item : r.items(backends_at, "a list of backend names, or [\"*\"] for all"))
        c.backends.push_back(r.non_empty_text(item, "a backend name or \"*\""));
    if (auto n = f.find("rate_limits"))
        c.rate_limits = read_rate_limits(r, *n);
    return c;
}

// ---------------------------------------------------------------- backends

std::string read_backend_name(yaml_reader& r, const node_ref& at)
{
    auto name = r.non_empty_text(at, "a backend name");
    bool valid = std::isalnum(static_cast<unsigned char>(name.front())) != 0 &&
                 std::all_of(name.begin(), name.end(), is_name_char);
    if (!valid)
        r.fail(at, "expected a backend name: a letter or digit, then letters, digits, '.', '_' or '-'" + r.got(at));
    return name;
}

// Headers the gateway itself sets or that are hop-by-hop: not configurable.
// clang-format off
constexpr std::array<std::string_view, 10> forbidden_headers{
    "host", "content-length", "transfer-encoding", "connection", "keep-alive",
    "proxy-connection", "te", "trailer", "upgrade", "expect"};
// clang-format on

std::vector<std::pair<std::string, std::string>> read_headers(yaml_reader& r, const node_ref& at)
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value_at] : r.entries(at)) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
            r.fail(value_at,
                   "expected a header name made of token characters (letters, digits, '-'...), got " + quote(name));
        auto key = boost::algorithm::to_lower_copy(name);
        if (std::find(forbidden_headers.begin(), forbidden_headers.end(), key) != forbidden_headers.end())
            r.fail(value_at, "the gateway sets '" + name + "' itself; it cannot be a static header");
        const std::string& header = name;  // (clang 14 cannot capture a structured binding)
        bool repeated = std::any_of(out.begin(), out.end(),
                                    [&](const auto& h) { return boost::algorithm::iequals(h.first, header); });
        if (repeated)
            r.fail(value_at, "header '" + name + "' is given twice (header names are case-insensitive)");
        // The value is never quoted back: it may carry a token.
        auto value = r.text(value_at, "a header value (a string)");
        if (has_control_char(value))
            r.fail(value_at, "a header value must not contain control characters (CR, LF, NUL...)");
        out.emplace_back(name, std::move(value));
    }
    return out;
}

constexpr std::string_view file_suffix = "_file";

bool is_file_key(std::string_view key) { return key.size() > file_suffix.size() && key.ends_with(file_suffix); }

std::string strip_one_newline(std::string text)
{
    if (text.ends_with("\r\n"))
        text.resize(text.size() - 2);
    else if (text.ends_with('\n'))
        text.pop_back();
    return text;
}

// One credential: its value, or the content of the file a KEY_file names.
setting read_secret(yaml_reader& r, const std::string& key, const node_ref& at)
{
    // Secrets are never quoted back, whatever goes wrong.
    if (is_file_key(key)) {
        auto content = read_small_file(r.file_path(at), max_secret_file_bytes);
        if (!content)
            r.fail(at, content.problem);
        auto value = strip_one_newline(std::move(*content.value));
        if (value.empty())
            r.fail(at, "the file is empty; expected a secret");
        return setting{std::move(value), origin_of(at), true};
    }
    auto value = r.text(at, "a string (a secret)");
    if (value.empty())
        r.fail(at, "is empty; expected a secret");
    return setting{std::move(value), origin_of(at), true};
}

// credentials: (secret) or options: (not secret). Under credentials, KEY_file
// stores the file's content under KEY; under options, a *_file path is resolved.
settings read_settings(yaml_reader& r, const node_ref& at, bool secret)
{
    settings out;
    for (const auto& [key, value_at] : r.entries(at)) {
        if (!is_setting_key(key))
            r.fail(value_at, "expected a key made of letters, digits, '_' and '-', got " + quote(key));
        if (value_at.node.IsNull())
            r.fail(value_at, "has no value; expected a string");
        if (!secret) {
            auto value = is_file_key(key) ? r.file_path(value_at) : r.text(value_at, "a string, number or boolean");
            out[key] = setting{std::move(value), origin_of(value_at), false};
            continue;
        }
        auto stored_key = is_file_key(key) ? key.substr(0, key.size() - file_suffix.size()) : key;
        if (out.contains(stored_key))
            r.fail(value_at, "both '" + stored_key + "' and '" + stored_key + "_file' are given; use one");
        out[stored_key] = read_secret(r, key, value_at);
    }
    return out;
}

upstream_tls read_upstream_tls(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"verify", "ca_file", "pin_sha256", "server_name"});
    upstream_tls tls;
    if (auto n = f.find("verify"))
        tls.verify = r.boolean(*n);
    if (auto n = f.find("ca_file"))
        tls.ca_file = r.file_path(*n);
    if (auto n = f.find("pin_sha256")) {
        auto digest = parse_sha256_hex(r.text(*n, "64 hex digits"), true);
        if (!digest)
            r.fail(*n, digest.problem);
        tls.pin_sha256 = digest.value;
    }
    if (auto n = f.find("server_name")) {
        auto name = r.non_empty_text(*n, "a host name");
        if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
            r.fail(*n, "expected a host name without spaces or control characters" + r.got(*n));
        tls.server_name = name;
    }
    return tls;
}

upstream_timeouts read_timeouts(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"connect", "request", "idle"});
    upstream_timeouts t;
    if (auto n = f.find("connect"))
        t.connect = r.time(*n);
    if (auto n = f.find("request"))
        t.request = r.time(*n);
    if (auto n = f.find("idle"))
        t.idle = r.time(*n);
    return t;
}

retry_settings read_retries(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"attempts", "backoff_base", "backoff_cap", "budget_percent", "budget_min"});
    retry_settings t;
    if (auto n = f.find("attempts")) {
        t.attempts = static_cast<unsigned>(r.unsigned_int(*n, 10));
        if (t.attempts == 0)
            r.fail(*n, "expected at least 1 attempt (1: no retry)" + r.got(*n));
    }
    if (auto n = f.find("backoff_base"))
        t.backoff_base = r.time(*n);
    if (auto n = f.find("backoff_cap"))
        t.backoff_cap = r.time(*n);
    if (auto n = f.find("budget_percent"))
        t.budget_percent = static_cast<unsigned>(r.unsigned_int(*n, 100));
    if (auto n = f.find("budget_min"))
        t.budget_min = static_cast<unsigned>(r.unsigned_int(*n, 1000));
    return t;
}

breaker_settings read_breaker(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"failures", "open_for", "open_max"});
    breaker_settings t;
    if (auto n = f.find("failures"))
        t.failures = static_cast<unsigned>(r.unsigned_int(*n, 1000));
    if (auto n = f.find("open_for"))
        t.open_for = r.time(*n);
    if (auto n = f.find("open_max"))
        t.open_max = r.time(*n);
    if (t.open_for.count() <= 0 || t.open_max < t.open_for)
        r.fail(at, "expected 0 < open_for <= open_max");
    return t;
}

idempotency_settings read_idempotency(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"keys", "ttl"});
    idempotency_settings t;
    if (auto n = f.find("keys")) {
        const auto v = r.text(*n, "off, optional or required");
        if (v == "off")
            t.keys = idempotency_settings::policy::off;
        else if (v == "optional")
            t.keys = idempotency_settings::policy::optional;
        else if (v == "required")
            t.keys = idempotency_settings::policy::required;
        else
            r.fail(*n, "expected off, optional or required" + r.got(*n));
    }
    if (auto n = f.find("ttl")) {
        t.ttl = r.time(*n);
        if (t.ttl.count() < 1000)
            r.fail(*n, "expected at least 1s" + r.got(*n));
    }
    return t;
}

concurrency_settings read_concurrency(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"max_in_flight", "queue", "queue_wait"});
    concurrency_settings t;
    if (auto n = f.find("max_in_flight"))
        t.max_in_flight = static_cast<unsigned>(r.unsigned_int(*n, 1'000'000));
    if (auto n = f.find("queue"))
        t.queue = static_cast<unsigned>(r.unsigned_int(*n, 1'000'000));
    if (auto n = f.find("queue_wait"))
        t.queue_wait = r.time(*n);
    return t;
}

void read_base_url(yaml_reader& r, const node_ref& at, backend& b)
{
    b.base_url = r.non_empty_text(at, "an http:// or https:// URL");
    auto url = parse_upstream_url(b.base_url);
    if (!url)
        r.fail(at, url.problem);
    b.url = std::move(*url.value);
}

backend read_backend(yaml_reader& r, const node_ref& at)
{
    auto f = r.fields(at, {"name", "type", "base_url", "api_version", "headers", "credentials", "options", "tls",
                           "timeouts", "max_idle_connections", "query", "retries", "circuit_breaker", "idempotency",
                           "concurrency", "rate_limits"});
    backend b;
    b.where = origin_of(at);
    b.name = read_backend_name(r, f.require("name", "a backend name"));
    b.type = r.non_empty_text(f.require("type", "a backend type such as n2ws-cpm"), "a backend type");
    read_base_url(r, f.require("base_url", "an http:// or https:// URL"), b);
    if (auto n = f.find("api_version"))
        b.api_version = r.text(*n);
    if (auto n = f.find("headers"))
        b.headers = read_headers(r, *n);
    if (auto n = f.find("credentials"))
        b.credentials = read_settings(r, *n, true);
    if (auto n = f.find("options"))
        b.options = read_settings(r, *n, false);
    if (auto n = f.find("tls"))
        b.tls = read_upstream_tls(r, *n);
    if (auto n = f.find("timeouts"))
        b.timeouts = read_timeouts(r, *n);
    if (auto n = f.find("max_idle_connections"))
        b.max_idle_connections = r.unsigned_int(*n, max_u32);
    if (auto n = f.find("query")) {
        const auto mode = r.text(*n, "strict or passthrough");
        if (mode != "strict" && mode != "passthrough")
            r.fail(*n, "expected strict or passthrough" + r.got(*n));
        b.query_strict = mode == "strict";
    }
    if (auto n = f.find("retries"))
        b.retries = read_retries(r, *n);
    if (auto n = f.find("circuit_breaker"))
        b.circuit_breaker = read_breaker(r, *n);
    if (auto n = f.find("idempotency"))
        b.idempotency = read_idempotency(r, *n);
    if (auto n = f.find("concurrency"))
        b.concurrency = read_concurrency(r, *n);
    if (auto n = f.find("rate_limits"))
        b.rate_limits = read_rate_limits(r, *n);
    return b;
}

// ---------------------------------------------------------------- the whole file

template <class T, class Read>
std::vector<T> read_list(yaml_reader& r, const node_ref& at, std::string_view expected, Read read)
{
    std::vector<T> out;
    for (const auto& item : r.items(at, expected))
        out.push_back(read(r, item));
    return out;
}

gateway_config read_gateway(yaml_reader& r, const node_ref& root)
{
    auto f = r.fields(root, {"listen", "admin", "threads", "limits", "pagination", "drain_delay", "shutdown_grace",
                             "access_log", "clients", "backends", "redis", "tracing"});
    gateway_config cfg;
    cfg.listeners = read_listeners(r, f.require("listen", "a map (one listener) or a list of maps"));
    if (auto n = f.find("admin"))
        cfg.admin = read_admin(r, *n);
    if (auto n = f.find("threads"))
        cfg.threads = read_threads(r, *n);
    if (auto n = f.find("limits"))
        cfg.limits = read_limits(r, *n);
    if (auto n = f.find("pagination"))
        cfg.pagination = read_pagination(r, *n);
    if (auto n = f.find("drain_delay"))
        cfg.drain_delay = r.time(*n);
    if (auto n = f.find("shutdown_grace"))
        cfg.shutdown_grace = r.time(*n);
    if (auto n = f.find("access_log"))
        cfg.access_log = read_access_log(r, *n);
    if (auto n = f.find("redis"))
        cfg.redis = read_redis(r, *n);
    if (auto n = f.find("tracing"))
        cfg.tracing = read_tracing(r, *n);
    if (auto n = f.find("clients"))
        cfg.clients = read_list<client>(r, *n, "a list of clients (maps)", read_client);
    if (auto n = f.find("backends"))
        cfg.backends = read_list<backend>(r, *n, "a list of backends (maps)", read_backend);
    return cfg;
}

// Where `text` stops being what YAML 1.2 §5.1 allows in a stream (tab, line
// breaks, printable Unicode, in well-formed UTF-8): line and column (from 1)
// and the offending byte, or nullopt. yaml-cpp 0.7 is not given such text:
// on some of it LoadAll() loops forever, allocating until it is killed
// (found by tests/fuzz/fuzz_config with 23 bytes).
struct unprintable {
    int line;
    int column;
    unsigned char byte;
};
std::optional<unprintable> first_unprintable(std::string_view text)
{
    int line = 1, column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = 0;
        char32_t cp = 0;
        if (c < 0x80) {
            len = 1, cp = c;
        } else if ((c >> 5) == 0x6) {
            len = 2, cp = c & 0x1F;
        } else if ((c >> 4) == 0xE) {
            len = 3, cp = c & 0x0F;
        } else if ((c >> 3) == 0x1E) {
            len = 4, cp = c & 0x07;
        }
        bool ok = len > 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            ok = (cc & 0xC0) == 0x80;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= smallest[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);  // no overlongs, no surrogates
        // YAML 1.2 c-printable: #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
        ok = ok && (cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
                    (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000);
        if (!ok)
            return unprintable{line, column, c};
        if (cp == '\n')
            ++line, column = 1;
        else
            ++column;
        i += len;
    }
    return std::nullopt;
}

// The documents of a stream, counted through the parser's events (at most
// two: the parser may not move on from a stream LoadAll() loops on).
class document_counter final : public YAML::EventHandler {
public:
    int documents = 0;
    YAML::Mark second;  // where the second document's content starts
    void OnDocumentStart(const YAML::Mark&) override { ++documents; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override
    {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        node(mark);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& mark)
    {
        if (documents == 2 && !seen_second_) {
            second = mark;
            seen_second_ = true;
        }
    }
    bool seen_second_ = false;
};

// The line of the stream's second document, if it has one.
std::optional<int> second_document_line(const std::string& yaml)
{
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    document_counter counter;
    for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
    }
    if (counter.documents < 2)
        return std::nullopt;
    return counter.second.is_null() ? 0 : counter.second.line + 1;
}

YAML::Node parse_document(const std::string& yaml, const std::string& file)
{
    if (const auto bad = first_unprintable(yaml)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", bad->byte);
        throw error(file, origin{"", bad->line},
                    "column " + std::to_string(bad->column) + ": byte " + hex +
                        " is not printable UTF-8 text (YAML 1.2 §5.1 allows tabs, line breaks and printable "
                        "Unicode characters only)");
    }
    // The first document, and whether another follows. Not YAML::LoadAll():
    // in yaml-cpp 0.7 it loops forever on some streams ("," among them),
    // allocating until it is killed (found by tests/fuzz/fuzz_config).
    YAML::Node first;
    std::optional<int> second_line;
    try {
        first = YAML::Load(yaml);
        second_line = second_document_line(yaml);
    } catch (const YAML::Exception& e) {
        int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        throw error(file, origin{"", line}, "invalid YAML: " + e.msg);
    }
    if (!first || first.IsNull())
        throw error(file, origin{}, "the configuration is empty; expected a map with at least 'listen'");
    if (second_line)
        throw error(file, origin{"", *second_line}, "expected one YAML document, found more (a second '---')");
    const std::array<YAML::Node, 1> documents{first};
    const auto& root = documents.front();
    if (!root.IsMap())
        throw error(file, origin{"", root.Mark().line + 1},
                    "expected a map at the top level, got " + std::string(kind_of(root)));
    return root;
}

gateway_config load_text(const std::string& yaml, const std::string& file, std::filesystem::path base_dir,
                         const env_lookup& env)
{
    auto root = parse_document(yaml, file);
    yaml_reader r(file, std::move(base_dir), env);
    auto cfg = read_gateway(r, node_ref{root, "", root.Mark().line + 1});
    cfg.source_file = file;
    cfg.source_lines = r.take_lines();
    return cfg;
}

std::string read_config_file(const std::string& file)
{
    if (auto why = unreadable(file))
        throw error(file, origin{}, *why);
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::optional<std::string> process_env(const std::string& name)
{
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): start-up only
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

gateway_config load(const std::string& file) { return load(file, process_env); }

gateway_config load(const std::string& file, const env_lookup& env)
{
    auto text = read_config_file(file);
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    return load_text(text, file, ec ? std::filesystem::path(file).parent_path() : absolute.parent_path(), env);
}

gateway_config load_from_string(const std::string& yaml, const std::string& file_name)
{
    return load_from_string(yaml, file_name, process_env);
}

gateway_config load_from_string(const std::string& yaml, const std::string& file_name, const env_lookup& env)
{
    return load_text(yaml, file_name, std::filesystem::path(file_name).parent_path(), env);
}

}  // namespace bg::config
