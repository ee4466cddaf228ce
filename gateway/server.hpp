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

#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace bg {

// The outcome of a reload (docs/operations.md).
struct reload_result {
    bool ok = false;
    bool busy = false;            // another reload was running: nothing done
    std::string error;            // what was wrong (with the YAML's path and line)
    std::uint64_t generation = 0; // the configuration now running
    std::vector<std::string> kept, started, retired;  // backends: as they were, new or changed, removed or replaced
};

class server {
public:
    // Reads and checks a configuration (off the event loops, at each reload):
    // the running file, as --check-config does. Throws config::error.
    using loader = std::function<config::gateway_config()>;

    // Binds every listener now, so that a port in use fails at start-up.
    explicit server(std::shared_ptr<const runtime> rt, loader reload_from = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    void start();
    // Thread-safe; returns at once. A second call ends at once: no drain
    // delay, no grace period.
    void shutdown();
    // Reads the configuration again on a thread of its own and, when it is
    // valid, runs it: requests in flight finish on the configuration they
    // started with, new ones take the new one. `done` is called on that
    // thread with the outcome. Thread-safe; one at a time.
    void reload(std::function<void(const reload_result&)> done = {});
    // The same, awaited (POST /-/reload).
    awaitable<reload_result> reload_awaited();
    // The configuration new requests take.
    std::shared_ptr<const runtime> current() const;
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
    // The status page's facts (GET /status.json; docs/operations.md).
    boost::json::object status() const;
    // The access log's file opened again (SIGUSR1, for logrotate).
    void reopen_logs();

private:
    // One configured listener, bound: an acceptor per worker on one port
    // (SO_REUSEPORT). Kept across reloads while the configuration names the
    // same address and port; a reload that changes them binds anew first.
    struct bound_listener {
        std::string address;
        std::uint16_t configured_port = 0;  // as the YAML has it (0: any)
        std::uint16_t port = 0;             // as bound
        // Among the listeners with this address and configured port (several
        // with port 0), which one: the configuration's order.
        std::size_t occurrence = 0;
        std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // by worker
    };
    std::shared_ptr<bound_listener> bind_listener(const config::listener& l, std::size_t occurrence);
    // The index of `l` in `listeners`, or listeners.size() when it is not there.
    static std::size_t find_listener(const std::vector<config::listener>& listeners, const bound_listener& l);
    void start_accepting(const std::shared_ptr<bound_listener>& l);
    void close_listener(const std::shared_ptr<bound_listener>& l);
    awaitable<void> accept_loop(worker& w, std::shared_ptr<bound_listener> l, std::size_t worker_index);
    reload_result reload_now();
    // Backends no configuration uses any more: logged out and their pools
    // closed once no request holds them (a periodic look on worker 0).
    awaitable<void> retire_loop();
    awaitable<void> retire(std::shared_ptr<backend_state> b);
    // Other replicas' vendor throttles, as Redis publishes them: subscribed
    // on worker 0, subscribed again after a lost connection (reading every
    // throttle key then, to catch up).
    awaitable<void> throttle_listener();
    awaitable<void> admin_accept_loop();
    awaitable<void> drain_then_stop();
    void stop_accepting();
    awaitable<void> flush_access_log();
    void bind_all();

    mutable std::mutex rt_mutex_;
    std::shared_ptr<const runtime> rt_;  // the current configuration (rt_mutex_)
    loader reload_from_;
    std::atomic<bool> reloading_{false};
    std::thread reload_thread_;
    std::mutex retired_mutex_;
    std::vector<std::shared_ptr<backend_state>> retired_;
    std::atomic<std::size_t> open_connections_{0};
    std::vector<std::unique_ptr<worker>> workers_;
    mutable std::mutex listeners_mutex_;
    std::vector<std::shared_ptr<bound_listener>> listeners_;  // in the running configuration's order
    std::unique_ptr<tcp::acceptor> admin_acceptor_;
    std::shared_ptr<redis::connection> subscriber_;  // on worker 0, with redis:
    std::unique_ptr<span_exporter> exporter_;         // on worker 0, with tracing:
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> draining_{false};
    std::atomic<bool> forced_{false};
    std::function<void()> on_stopped_;
};

}  // namespace bg
