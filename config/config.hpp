// The gateway's configuration: plain structs, filled from YAML by load(),
// checked by validate(), then frozen into an immutable snapshot shared
// read-only by every thread (std::shared_ptr<const gateway_config>).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bg::config {

using duration = std::chrono::milliseconds;
using sha256_digest = std::array<std::uint8_t, 32>;

// Where a value came from in the YAML, for error messages: "backends[2].base_url" line 14.
struct origin {
    std::string path;
    int line = 0;  // 1-based; 0 when not from a file (a default)
};

// A secret (API key, password, TOTP seed...). Its value is never printed:
// operator<< and describe() write "<redacted>".
class secret {
public:
    secret() = default;
    explicit secret(std::string value) : value_(std::move(value)) {}
    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

private:
    std::string value_;
};
std::ostream& operator<<(std::ostream& out, const secret& s);  // writes "<redacted>"

// One adapter-specific setting (under a backend's `credentials:` or `options:`),
// kept with its origin so the adapter's own validation can name path and line.
struct setting {
    std::string value;  // after ${ENV} substitution and *_file indirection
    origin where;
    bool is_secret = false;  // every value under credentials: is a secret
};
using settings = std::map<std::string, setting>;

struct server_tls {
    std::string cert_file;
    std::string key_file;
    std::optional<std::string> client_ca_file;  // set: clients must present a certificate it signed (mTLS)
    // The Strict-Transport-Security value (RFC 6797) put on every answer of
    // this listener ("max-age=31536000; includeSubDomains"); none when absent.
    std::optional<std::string> hsts;
};

struct listener {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8443;
    std::optional<server_tls> tls;  // absent: plain HTTP (deployments behind a load balancer)
    origin where;
};

struct admin_listener {
    bool enabled = true;
    std::string address = "127.0.0.1";
    std::uint16_t port = 9901;
    // token / token_file: the bearer token every admin path but /healthz and
    // /readyz requires; required when the address is not a loopback one.
    secret token;
};

struct request_limits {
    std::size_t max_header_bytes = 16 * 1024;        // request line + headers; breach → 431
    std::size_t max_body_bytes = 10 * 1024 * 1024;   // a request body larger → 413
    duration header_timeout{10'000};                 // time to read a request's headers → 408
    duration body_timeout{60'000};                   // time to read a request's body → 408
    duration idle_timeout{60'000};                   // keep-alive connection with no request → closed
    std::size_t max_connections = 20'000;            // per process; beyond → accept paused
    // Closing after an answer the client may still be sending to (an early
    // 413/431/400, or any close by the gateway): the write side is shut, and
    // what arrives is read and thrown away for at most this long and this
    // many bytes, so that the kernel does not reset the connection over
    // unread bytes before the client has read the answer (nginx's
    // lingering_close). 0 s: close at once.
    duration linger_time{5'000};
    std::size_t linger_bytes = 64 * 1024 * 1024;
};

// The largest pagination.max_limit: a window's items are held whole in memory.
inline constexpr std::uint32_t max_page_window = 100'000;

struct pagination_settings {
    std::uint32_t default_limit = 100;
    std::uint32_t max_limit = 1000;
    std::uint32_t max_upstream_requests = 20;  // per client request
};

// A rate limit (GCRA; docs/rate-limits.md): on average `count` requests per
// `period`, and at most `burst` at once after a quiet spell.
struct rate_limit {
    std::uint64_t count = 0;
    duration period{1000};
    std::uint64_t burst = 0;  // default: count
    std::string spec;         // the rate as written ("50/10s"), for messages and the Redis key
    origin where;
};

struct client {
    std::string name;  // the principal, in access logs
    sha256_digest api_key_sha256{};
    std::vector<std::string> backends;  // names, or "*" for all
    std::vector<rate_limit> rate_limits;  // every one must admit a request
    origin where;
};

struct upstream_tls {
    bool verify = true;
    std::optional<std::string> ca_file;            // else the system's trust store
    std::optional<sha256_digest> pin_sha256;       // SHA-256 of the leaf certificate (DER); replaces chain checks
    std::optional<std::string> server_name;        // SNI and name checked; default: base_url's host
};

struct upstream_timeouts {
    duration connect{2'000};
    duration request{30'000};  // from sending the request to the end of the response headers
    duration idle{60'000};     // a pooled connection unused this long is closed
};

// Retries of idempotent requests (docs/resilience.md).
struct retry_settings {
    unsigned attempts = 2;            // in all, the first included; 1: no retry
    duration backoff_base{100};       // full jitter: a wait drawn in [0, min(cap, base·2^(n-1)))
    duration backoff_cap{2'000};
    unsigned budget_percent = 20;     // retries in flight at most this share of requests in flight,
    unsigned budget_min = 3;          // plus this many
};

// The circuit breaker (docs/resilience.md).
struct breaker_settings {
    unsigned failures = 5;            // consecutive failures that open it; 0: no breaker
    duration open_for{5'000};         // the first open period; doubled on each failed probe
    duration open_max{300'000};       // up to this
};

// The concurrency limit (docs/resilience.md).
struct concurrency_settings {
    unsigned max_in_flight = 64;  // requests to the backend at once; 0: no limit
    unsigned queue = 256;         // requests waiting for one of them, beyond which 503 backend-overloaded
    duration queue_wait{5'000};   // the longest a request waits there
};

// Idempotency keys on POST and PATCH (docs/resilience.md).
struct idempotency_settings {
    enum class policy { off, optional, required };
    policy keys = policy::optional;  // off: the header is not read (nor forwarded); required: 400 without one
    duration ttl{86'400'000};        // how long a key's record (and its answer) is kept
};

// base_url split once at load time.
struct upstream_url {
    std::string scheme;     // "http" or "https"
    std::string host;
    std::uint16_t port = 0; // default for the scheme when absent from the URL
    std::string base_path;  // without a trailing slash; "" for the root
};

struct backend {
    std::string name;  // the first path segment clients use
    std::string type;  // "http", "n2ws-cpm", "google-backupdr", "veeam-aws", "cloudbasic"
    upstream_url url;
    std::string base_url;  // as written
    std::string api_version;  // optional; vendor adapters give it meaning
    std::vector<std::pair<std::string, std::string>> headers;  // static headers added upstream (type http)
    settings credentials;  // adapter-specific, secrets
    settings options;      // adapter-specific, not secret
    upstream_tls tls;
    upstream_timeouts timeouts;
    std::size_t max_idle_connections = 64;  // per thread
    // `query: strict` (the default): a list's query parameter that is neither
    // the gateway's (paging, sort, q, filter[...]) nor one the vendor's
    // document lists for that collection is refused with 400;
    // `query: passthrough`: such parameters go to the vendor unchecked.
    bool query_strict = true;
    retry_settings retries;
    breaker_settings circuit_breaker;
    idempotency_settings idempotency;
    concurrency_settings concurrency;
    std::vector<rate_limit> rate_limits;  // across all clients: the vendor account's quota
    origin where;
};

// OTLP/HTTP span export (docs/operations.md, "Trace context"): a span per
// request, per upstream attempt and per vendor login, as JSON to a collector,
// through a bounded queue that drops rather than waits.
struct tracing_settings {
    std::string endpoint;   // the collector's traces URL (http or https), e.g. http://otel:4318/v1/traces
    upstream_url url;       // endpoint, parsed
    std::string service_name = "backup-gateway";
    std::size_t queue = 4096;  // spans waiting for export at most; beyond, new spans are dropped (counted)
    std::size_t batch = 512;   // spans per export request at most
    duration interval{1'000};  // an export at least this often while spans wait
    duration timeout{2'000};   // an export request's connect and answer
    origin where;
};

// The Redis that replicas share state through (docs/scale-out.md): rate
// limits, idempotency records, vendor credentials, vendor throttling.
struct redis_settings {
    std::string address = "127.0.0.1";  // an IP address or a host name
    std::uint16_t port = 6379;
    duration timeout{50};              // each call
    std::string key_prefix = "bg:";    // every key starts with it (several fleets, one Redis)
    unsigned replicas_hint = 1;        // Redis down: each replica enforces limit ÷ this
    secret encryption_key;             // 32 bytes (AES-256-GCM) for credentials; empty: credentials not shared
    origin where;
};

struct access_log_settings {
    std::string path = "-";  // "-": standard output; "off": none
};

struct gateway_config {
    std::vector<listener> listeners;  // `listen:` a map or a list of maps
    admin_listener admin;
    unsigned threads = 0;  // 0: one per core (`threads: auto`)
    request_limits limits;
    pagination_settings pagination;
    std::vector<client> clients;
    std::vector<backend> backends;
    duration drain_delay{5'000};      // after SIGTERM: unready (/readyz 503) but still serving this long
    duration shutdown_grace{10'000};
    access_log_settings access_log;
    std::optional<redis_settings> redis;  // absent: every replica keeps its own state
    std::optional<tracing_settings> tracing;  // absent: no span is exported
    std::string source_file;  // the YAML file it came from
    // Line (1-based) of every YAML path load() read, e.g. "backends[2].tls.ca_file" → 17,
    // so that validate() can name the line of the value it rejects.
    std::map<std::string, int, std::less<>> source_lines;

    const backend* find_backend(std::string_view name) const;  // nullptr when unknown
    // `path` with the line it was read from; for a path that was not in the YAML
    // (a default), the line of its nearest ancestor that was, else 0.
    origin where_of(std::string_view path) const;
};

using snapshot = std::shared_ptr<const gateway_config>;

// A configuration error: what was expected, at which YAML path and line.
// message(): "config.yaml:14: backends[2].base_url: expected an http:// or https:// URL, got 'ftp://x'"
class error : public std::runtime_error {
public:
    error(const std::string& file, const origin& where, const std::string& what);
    const origin& where() const { return where_; }

private:
    origin where_;
};

// Called by validate() for each backend so that an adapter type can check its
// own credentials/options (e.g. CPM needs credentials.api_key). Returns the
// problems found; the registry of types lives in adapters/.
struct backend_check {
    std::string type;
    // empty vector: fine. Each string is "<key>: <what is wrong>" for one setting.
    std::vector<std::pair<origin, std::string>> (*check)(const backend&) = nullptr;
};

// Reads and parses `file`, substitutes ${ENV} (an unset variable is an error;
// "$${" is a literal "${"), resolves *_file indirection under credentials:
// (the file's content, one trailing newline removed), fills the structs.
// Throws config::error on the first problem.
gateway_config load(const std::string& file);
gateway_config load_from_string(const std::string& yaml, const std::string& file_name = "<string>");

// Where ${NAME} values come from; the overloads without it read the process
// environment. Returns nullopt for an unset variable. (Tests inject a map.)
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);
gateway_config load(const std::string& file, const env_lookup& env);
// Relative paths in `yaml` are resolved against the directory of `file_name`
// (left relative when it has none, as for "<string>").
gateway_config load_from_string(const std::string& yaml, const std::string& file_name,
                                const env_lookup& env);

// Cross-field rules: unique backend names and client names, clients' backends
// exist, at least one listener, ports distinct, default_limit <= max_limit,
// TLS files readable, a known backend type (from `types`) and that type's own
// check. Throws config::error naming the path and line.
void validate(const gateway_config& cfg, const std::vector<backend_check>& types);

// SHA-256 of a client's API key, as compared with client::api_key_sha256, and
// its lowercase hex form (what `api_key_sha256:` holds in the YAML).
sha256_digest sha256(std::string_view data);
std::string to_hex(const sha256_digest& digest);

}  // namespace bg::config
