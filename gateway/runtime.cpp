#include "gateway/runtime.hpp"

#include "config/values.hpp"
#include "gateway/redis_credentials.hpp"

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

runtime::runtime(config::snapshot snapshot)
    : cfg(std::move(snapshot)), auth(cfg->clients), admission(*cfg), access(cfg->access_log.path)
{
    for (std::size_t i = 0; i < cfg->backends.size(); ++i) {
        const auto& b = cfg->backends[i];
        const auto* type = adapters::find_adapter_type(b.type);
        if (!type)
            throw std::runtime_error("backend '" + b.name + "': unknown type '" + b.type + "'");
        adapters.push_back(type->make(b));
        targets.push_back(std::make_unique<upstream_target>(b));
        health.push_back(std::make_unique<backend_health>(b.retries, b.circuit_breaker, b.concurrency));
        auxiliary_backends.push_back(nullptr);
        auxiliary_targets.push_back(nullptr);
        if (auto origin = adapters.back()->auxiliary_origin()) {
            auto url = config::parse_upstream_url(*origin);
            if (!url)
                throw std::runtime_error("backend '" + b.name + "': its auxiliary origin: " + url.problem);
            auto aux = std::make_unique<config::backend>();
            aux->name = b.name + " (token endpoint)";
            aux->type = "http";
            aux->url = *url.value;
            aux->base_url = *origin;
            aux->timeouts = b.timeouts;
            auxiliary_targets.back() = std::make_unique<upstream_target>(*aux);
            auxiliary_backends.back() = std::move(aux);
        }
        backend_index.emplace(b.name, i);
        if (!b.tls.verify && b.url.scheme == "https")
            log::warn("upstream TLS verification is off", {{"backend", b.name}, {"base_url", b.base_url}});
    }
    // The fleet shares each backend's credential when Redis and an encryption
    // key are configured (docs/scale-out.md).
    if (cfg->redis && !cfg->redis->encryption_key.empty())
        for (std::size_t i = 0; i < cfg->backends.size(); ++i)
            adapters[i]->share_credentials(std::make_shared<redis_credential_share>(
                credential_key(cfg->backends[i], cfg->redis->key_prefix), cfg->redis->encryption_key,
                admission.redis_health()));
    for (const auto& l : cfg->listeners)
        listener_tls.push_back(l.tls ? make_server_tls(*l.tls) : nullptr);
}

}  // namespace bg
