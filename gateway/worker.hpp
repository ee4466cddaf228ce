// One event loop and everything only it touches: its upstream pools, its
// open client connections, its share of the metrics.
#pragma once

#include "gateway/deadline.hpp"
#include "gateway/redis_client.hpp"
#include "gateway/runtime.hpp"
#include "gateway/upstream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>
#include <unordered_map>
#include <vector>

namespace bg {

class worker {
public:
    worker(std::shared_ptr<const runtime> rt, std::atomic<std::size_t>& open_connections);

    asio::io_context& io() { return io_; }
    // The configuration new requests start with (a request keeps its own,
    // request_ctx::rt, to its end). Read and replaced on this loop only.
    const runtime& rt() const { return *rt_; }
    const std::shared_ptr<const runtime>& current() const { return rt_; }
    void install(std::shared_ptr<const runtime> rt) { rt_ = std::move(rt); }
    const config::gateway_config& cfg() const { return *rt_->cfg; }
    log::access_sink& access() const { return rt_->process->access; }

    // This loop's connection pool to a backend (made at its first use), and
    // to its adapter's auxiliary origin (its token endpoint), or null.
    upstream_pool& pool(const backend_state& b) { return *pools_for(b).main; }
    upstream_pool* auxiliary_pool(const backend_state& b) { return pools_for(b).auxiliary.get(); }
    // An upstream_client for the backend's adapter (and its auxiliary origin).
    pool_client client_for(const backend_state& b, bool pooled = false)
    {
        auto& p = pools_for(b);
        return pool_client(deadlines_, *p.main, pooled, p.auxiliary.get());
    }
    // A retired backend (no configuration uses it any more): its pools closed.
    void forget(const backend_state* b);
    metrics& stats() { return stats_; }
    // The coarse time limits of this event loop's I/O (deadline.hpp).
    deadline_list& deadlines() { return deadlines_; }
    const metrics& stats() const { return stats_; }
    // This loop's connection to the shared Redis, or null without one.
    redis::connection* redis() { return redis_.get(); }
    // This loop's idempotency store: the process's own, or Redis's.
    idempotency_store& idempotency() { return *idempotency_; }
    // Shutdown, last step: the Redis connection closed.
    void close_redis();

    // Connection bookkeeping, for draining: a session is registered while it
    // lives and marks itself idle while it waits for the next request, through
    // the flag session_opened() returns (valid until session_closed()).
    bool& session_opened(beast::tcp_stream* s);
    void session_closed(beast::tcp_stream* s);
    std::size_t open_sessions() const { return sessions_.size(); }

    // Shutdown, step 1: no more keep-alive; idle connections closed now.
    void start_draining();
    bool draining() const { return draining_; }
    // Shutdown, step 2 (grace over): every connection closed, in flight or not.
    void close_all();

private:
    struct backend_pools {
        std::unique_ptr<upstream_pool> main;
        std::unique_ptr<upstream_pool> auxiliary;
    };
    backend_pools& pools_for(const backend_state& b)
    {
        if (last_pools_.first == &b)  // (most requests go where the one before went)
            return *last_pools_.second;
        auto it = pools_.find(&b);
        if (it == pools_.end())
            it = pools_.emplace(&b, make_pools(b)).first;
        last_pools_ = {&b, &it->second};
        return it->second;
    }
    backend_pools make_pools(const backend_state& b);
    void close_idle_pools();

    asio::io_context io_{1};
    std::shared_ptr<const runtime> rt_;
    // By backend state (its address: a state is forgotten here before it is freed).
    std::unordered_map<const backend_state*, backend_pools> pools_;
    std::pair<const backend_state*, backend_pools*> last_pools_{nullptr, nullptr};
    std::shared_ptr<redis::connection> redis_;
    std::unique_ptr<idempotency_store> redis_idempotency_;  // over redis_, when configured
    idempotency_store* idempotency_ = nullptr;
    metrics stats_;
    deadline_list deadlines_{io_};
    // Every open session, and whether it waits for its next request. A map
    // (not a set of the idle ones): a session marks itself idle and busy, once
    // a request each, through its entry's flag, with no search and no
    // allocation (an unordered_map's elements stay where they are until erased).
    std::unordered_map<beast::tcp_stream*, bool> sessions_;
    std::atomic<std::size_t>& open_connections_;  // across all workers, for limits.max_connections
    bool draining_ = false;
};

// Serves one accepted client connection until it closes. `tls` null: plain
// HTTP. `hsts`: the listener's Strict-Transport-Security value, or empty.
void start_session(worker& w, tcp::socket socket, asio::ssl::context* tls, std::string hsts = {});

}  // namespace bg
