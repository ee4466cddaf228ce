// The server: one worker (event loop) per thread, each with its own acceptor
// on every listener (SO_REUSEPORT, so the kernel spreads connections), plus
// the admin listener on the first worker. Shutdown drains (docs/operations.md):
// unready at once (/readyz 503) while still accepting and serving for
// drain_delay, so that load balancers take the replica out first; then stop
// accepting, close idle connections, answer requests in flight with
// Connection: close within shutdown_grace, close what is left, log out
// upstream sessions, stop.
#pragma once

#include "gateway/runtime.hpp"
#include "gateway/worker.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace bg {

class server {
public:
    // Binds every listener now, so that a port in use fails at start-up.
    explicit server(std::shared_ptr<const runtime> rt);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    void start();
    // Thread-safe; returns at once. A second call ends at once: no drain
    // delay, no grace period.
    void shutdown();
    // Blocks until every thread has ended.
    void wait();
    // Called once, on some thread, when the server has fully stopped.
    void on_stopped(std::function<void()> f) { on_stopped_ = std::move(f); }

    std::vector<std::uint16_t> listener_ports() const;  // by listener, as bound
    std::uint16_t admin_port() const;                    // 0 when disabled
    // Whether it takes new work (/readyz): false from the first shutdown() call.
    bool ready() const { return !stopping_.load(); }
    // Whether it has stopped accepting (the drain's second step).
    bool draining() const { return draining_.load(); }
    std::size_t open_connections() const { return open_connections_.load(); }
    // Prometheus text exposition of all workers' metrics.
    std::string metrics_text() const;

private:
    awaitable<void> accept_loop(worker& w, tcp::acceptor& acceptor, asio::ssl::context* tls, std::size_t listener);
    awaitable<void> admin_accept_loop();
    awaitable<void> drain_then_stop();
    void stop_accepting();
    awaitable<void> flush_access_log();
    void bind_all();

    std::shared_ptr<const runtime> rt_;
    std::atomic<std::size_t> open_connections_{0};
    std::vector<std::unique_ptr<worker>> workers_;
    // acceptors_[worker][listener]
    std::vector<std::vector<std::unique_ptr<tcp::acceptor>>> acceptors_;
    std::unique_ptr<tcp::acceptor> admin_acceptor_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> draining_{false};
    std::atomic<bool> forced_{false};
    std::function<void()> on_stopped_;
};

}  // namespace bg
