#include "gateway/runtime.hpp"

#include "config/values.hpp"
#include "gateway/redis_credentials.hpp"

#include <filesystem>

#include <openssl/ssl.h>

#include <stdexcept>

namespace bg {
namespace {

// TLS 1.2 and 1.3 only, forward-secret AEAD suites only.
std::unique_ptr<asio::ssl::context> make_server_tls(const config::server_tls& tls)
{
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(native,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    // Idle TLS connections give their read/write buffers back (~34 KiB each).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // No TLS 1.2 renegotiation: a client could make the gateway repeat key
    // exchanges on one connection. OpenSSL 3 already refuses client-initiated
    // ones by default; this says so, whatever the library's default becomes.
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
    // The gateway's order of the suites above decides, not the client's: a
    // client that lists a weaker one first does not get it if both have a
    // better one (TLS 1.2; TLS 1.3's suites are all AEAD).
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
    ctx->use_certificate_chain_file(tls.cert_file);
    ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem);
    if (tls.client_ca_file) {
        ctx->load_verify_file(*tls.client_ca_file);
        ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    return ctx;
}

}  // namespace

namespace {

void add(std::string& out, std::string_view name, std::string_view value)
{
    out += name;
    out += '=';
    out += std::to_string(value.size());  // length-prefixed: no value can pass for two
    out += ':';
    out += value;
    out += '\n';
}

void add(std::string& out, std::string_view name, long long value) { add(out, name, std::to_string(value)); }

// A file's size and modification time: a CA bundle replaced under the same
// name is another setting.
std::string file_stamp(const std::string& path)
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    const auto time = std::filesystem::last_write_time(path, ec);
    return ec ? std::string("?") : std::to_string(size) + "@" + std::to_string(time.time_since_epoch().count());
}

std::vector<std::atomic<std::int64_t>*> throttles_of(const std::vector<std::shared_ptr<backend_state>>& backends)
{
    std::vector<std::atomic<std::int64_t>*> out;
    for (const auto& b : backends)
        out.push_back(&b->throttled_until);
    return out;
}

}  // namespace

std::string backend_fingerprint(const config::backend& b, const config::gateway_config& gw)
{
    // Everything the adapter, the upstream target and the backend's health
    // are made from. Not: query, idempotency, rate_limits (read per request
    // from the running configuration).
    std::string out;
    add(out, "name", b.name);
    add(out, "type", b.type);
    add(out, "base_url", b.base_url);
    add(out, "api_version", b.api_version);
    for (const auto& [name, value] : b.headers)
        add(out, "header." + name, value);
    for (const auto& [name, s] : b.credentials)
        add(out, "credentials." + name, s.value);
    for (const auto& [name, s] : b.options)
        add(out, "options." + name, s.value);
    add(out, "tls.verify", b.tls.verify ? 1 : 0);
    if (b.tls.ca_file)
        add(out, "tls.ca_file", *b.tls.ca_file + " " + file_stamp(*b.tls.ca_file));
    if (b.tls.pin_sha256)
        add(out, "tls.pin_sha256", std::string(b.tls.pin_sha256->begin(), b.tls.pin_sha256->end()));
    if (b.tls.server_name)
        add(out, "tls.server_name", *b.tls.server_name);
    add(out, "timeouts.connect", b.timeouts.connect.count());
    add(out, "timeouts.request", b.timeouts.request.count());
    add(out, "timeouts.idle", b.timeouts.idle.count());
    add(out, "max_idle_connections", static_cast<long long>(b.max_idle_connections));
    add(out, "retries.attempts", b.retries.attempts);
    add(out, "retries.backoff_base", b.retries.backoff_base.count());
    add(out, "retries.backoff_cap", b.retries.backoff_cap.count());
    add(out, "retries.budget_percent", b.retries.budget_percent);
    add(out, "retries.budget_min", b.retries.budget_min);
    add(out, "circuit_breaker.failures", b.circuit_breaker.failures);
    add(out, "circuit_breaker.open_for", b.circuit_breaker.open_for.count());
    add(out, "circuit_breaker.open_max", b.circuit_breaker.open_max.count());
    add(out, "concurrency.max_in_flight", b.concurrency.max_in_flight);
    add(out, "concurrency.queue", b.concurrency.queue);
    add(out, "concurrency.queue_wait", b.concurrency.queue_wait.count());
    if (gw.redis) {
        add(out, "redis.key_prefix", gw.redis->key_prefix);
        add(out, "redis.encryption_key", gw.redis->encryption_key.reveal());
    }
    // Kept as a digest only: the string above holds secrets.
    const auto digest = config::sha256(out);
    return config::to_hex(digest);
}

process_state::process_state(const config::gateway_config& first)
    : access(first.access_log.path),
      spans(first.tracing ? std::make_unique<span_sink>(first.tracing->queue) : nullptr)
{
}

void process_state::note_reload(bool ok, std::string error)
{
    (ok ? reloads_succeeded : reloads_failed).fetch_add(1);
    std::lock_guard lock(mutex_);
    last_reload_ = reload_record{std::chrono::system_clock::now(), ok, std::move(error)};
}

std::optional<process_state::reload_record> process_state::last_reload() const
{
    std::lock_guard lock(mutex_);
    return last_reload_;
}

client_observations& process_state::client(const std::string& name)
{
    std::lock_guard lock(mutex_);
    auto& slot = clients_[name];
    if (!slot)
        slot = std::make_unique<client_observations>();
    return *slot;
}

void backend_state::note_failure(std::string detail)
{
    std::lock_guard lock(failure_mutex_);
    last_failure_ = upstream_failure{std::chrono::system_clock::now(), std::move(detail)};
}

std::optional<backend_state::upstream_failure> backend_state::last_failure() const
{
    std::lock_guard lock(failure_mutex_);
    return last_failure_;
}

backend_state::backend_state(const config::backend& b, const config::gateway_config& gw, process_state& process)
    : cfg(b), fingerprint(backend_fingerprint(b, gw))
{
    const auto* type = adapters::find_adapter_type(cfg.type);
    if (!type)
        throw std::runtime_error("backend '" + cfg.name + "': unknown type '" + cfg.type + "'");
    adapter = type->make(cfg);
    target = std::make_unique<upstream_target>(cfg);
    health = std::make_unique<backend_health>(cfg.retries, cfg.circuit_breaker, cfg.concurrency);
    if (auto origin = adapter->auxiliary_origin()) {
        auto url = config::parse_upstream_url(*origin);
        if (!url)
            throw std::runtime_error("backend '" + cfg.name + "': its auxiliary origin: " + url.problem);
        auxiliary_backend = std::make_unique<config::backend>();
        auxiliary_backend->name = cfg.name + " (token endpoint)";
        auxiliary_backend->type = "http";
        auxiliary_backend->url = *url.value;
        auxiliary_backend->base_url = *origin;
        auxiliary_backend->timeouts = cfg.timeouts;
        auxiliary_target = std::make_unique<upstream_target>(*auxiliary_backend);
    }
    // The fleet shares the backend's credential when Redis and an encryption
    // key are configured (docs/scale-out.md).
    if (gw.redis && !gw.redis->encryption_key.empty())
        adapter->share_credentials(std::make_shared<redis_credential_share>(
            credential_key(cfg, gw.redis->key_prefix), gw.redis->encryption_key, process.redis_health));
    if (!cfg.tls.verify && cfg.url.scheme == "https")
        log::warn("upstream TLS verification is off", {{"backend", cfg.name}, {"base_url", cfg.base_url}});
}

namespace {

std::vector<std::shared_ptr<backend_state>> backends_for(const config::gateway_config& cfg, process_state& process,
                                                         const runtime* previous)
{
    std::vector<std::shared_ptr<backend_state>> out;
    for (const auto& b : cfg.backends) {
        std::shared_ptr<backend_state> kept;
        if (previous)
            if (const auto* i = previous->find_backend(b.name))
                if (previous->backends[*i]->fingerprint == backend_fingerprint(b, cfg))
                    kept = previous->backends[*i];
        out.push_back(kept ? kept : std::make_shared<backend_state>(b, cfg, process));
    }
    return out;
}

}  // namespace

runtime::runtime(config::snapshot snapshot, std::shared_ptr<process_state> p, std::uint64_t gen,
                 const runtime* previous)
    : cfg(std::move(snapshot)), process(std::move(p)), generation(gen), auth(cfg->clients, gen),
      backends(backends_for(*cfg, *process, previous)),
      admission(*cfg, process->limits_local, process->limits_fallback, process->redis_health, throttles_of(backends))
{
    for (std::size_t i = 0; i < backends.size(); ++i)
        backend_index.emplace(backends[i]->cfg.name, i);
    for (const auto& c : cfg->clients)
        client_stats.push_back(&process->client(c.name));
    listener_tls = make_listener_tls(*cfg);
}

std::vector<std::unique_ptr<asio::ssl::context>> make_listener_tls(const config::gateway_config& cfg)
{
    std::vector<std::unique_ptr<asio::ssl::context>> out;
    for (std::size_t i = 0; i < cfg.listeners.size(); ++i) {
        const auto& l = cfg.listeners[i];
        try {
            out.push_back(l.tls ? make_server_tls(*l.tls) : nullptr);
        } catch (const std::exception& e) {
            const auto path = (l.where.path.empty() ? "listen[" + std::to_string(i) + "]" : l.where.path) + ".tls";
            const auto where = cfg.where_of(path);
            throw std::runtime_error(cfg.source_file + ":" + std::to_string(where.line) + ": " + path +
                                     ": cannot use the certificate and key (" + l.tls->cert_file + ", " +
                                     l.tls->key_file + "): " + e.what());
        }
    }
    return out;
}

std::optional<std::string> needs_restart(const config::gateway_config& running, const config::gateway_config& next)
{
    // (Listeners may change: the server binds what is new.)
    const auto& a = running.admin;
    const auto& b = next.admin;
    if (a.enabled != b.enabled || a.address != b.address || a.port != b.port)
        return "admin: the admin listener changed";
    if (running.threads != next.threads)
        return "threads changed";
    if (running.access_log.path != next.access_log.path)
        return "access_log.path changed";
    const auto& ta = running.tracing;
    const auto& tb = next.tracing;
    if (ta.has_value() != tb.has_value() ||
        (ta && (ta->endpoint != tb->endpoint || ta->service_name != tb->service_name || ta->queue != tb->queue ||
                ta->batch != tb->batch || ta->interval != tb->interval || ta->timeout != tb->timeout)))
        return "tracing changed";
    const auto& ra = running.redis;
    const auto& rb = next.redis;
    if (ra.has_value() != rb.has_value() ||
        (ra && (ra->address != rb->address || ra->port != rb->port || ra->timeout != rb->timeout ||
                ra->key_prefix != rb->key_prefix)))
        return "redis: its address, port, timeout or key_prefix changed";
    return std::nullopt;
}

}  // namespace bg
