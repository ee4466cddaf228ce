#include "gateway/server.hpp"

#include "gateway/admin.hpp"
#include "gateway/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/json/array.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <type_traits>

#ifndef BG_VERSION
#define BG_VERSION "0.0.0"
#endif

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::unique_ptr<tcp::acceptor> bind_acceptor(asio::io_context& io, const std::string& address, std::uint16_t port,
                                             bool share_port)
{
    const tcp::endpoint ep{asio::ip::make_address(address), port};
    auto acc = std::make_unique<tcp::acceptor>(io);
    acc->open(ep.protocol());
    acc->set_option(asio::socket_base::reuse_address(true));
    if (share_port)
        acc->set_option(reuse_port(true));
    acc->bind(ep);
    acc->listen(asio::socket_base::max_listen_connections);
    return acc;
}

awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(use_tuple);
}

// How many listeners before listeners[i] have its address and port.
std::size_t occurrence_of(const std::vector<config::listener>& listeners, std::size_t i)
{
    std::size_t n = 0;
    for (std::size_t j = 0; j < i; ++j)
        n += listeners[j].address == listeners[i].address && listeners[j].port == listeners[i].port;
    return n;
}

unsigned thread_count(unsigned configured)
{
    if (configured > 0)
        return configured;
    const auto hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : hw;
}

}  // namespace

server::server(std::shared_ptr<const runtime> rt, loader reload_from)
    : rt_(std::move(rt)), reload_from_(std::move(reload_from))
{
    const auto n = thread_count(rt_->cfg->threads);
    for (unsigned i = 0; i < n; ++i)
        workers_.push_back(std::make_unique<worker>(rt_, open_connections_));
    if (const auto& r = rt_->cfg->redis)
        subscriber_ = std::make_shared<redis::connection>(workers_[0]->io().get_executor(), redis_settings_of(*r));
    bind_all();
}

server::~server()
{
    if (!threads_.empty()) {
        shutdown();
        shutdown();
        wait();
    }
    if (reload_thread_.joinable())
        reload_thread_.join();
}

std::shared_ptr<const runtime> server::current() const
{
    std::lock_guard lock(rt_mutex_);
    return rt_;
}

void server::bind_all()
{
    const auto& cfg = *rt_->cfg;
    for (std::size_t i = 0; i < cfg.listeners.size(); ++i)
        listeners_.push_back(bind_listener(cfg.listeners[i], occurrence_of(cfg.listeners, i)));
    if (cfg.admin.enabled)
        admin_acceptor_ = bind_acceptor(workers_[0]->io(), cfg.admin.address, cfg.admin.port, false);
}

std::shared_ptr<server::bound_listener> server::bind_listener(const config::listener& l, std::size_t occurrence)
{
    auto b = std::make_shared<bound_listener>();
    b->address = l.address;
    b->configured_port = l.port;
    b->occurrence = occurrence;
    // The first acceptor fixes the port (port 0 picks one); the others share it.
    b->acceptors.push_back(bind_acceptor(workers_[0]->io(), l.address, l.port, true));
    b->port = b->acceptors.front()->local_endpoint().port();
    for (std::size_t w = 1; w < workers_.size(); ++w)
        b->acceptors.push_back(bind_acceptor(workers_[w]->io(), l.address, b->port, true));
    return b;
}

std::size_t server::find_listener(const std::vector<config::listener>& listeners, const bound_listener& l)
{
    std::size_t seen = 0;
    for (std::size_t i = 0; i < listeners.size(); ++i)
        if (listeners[i].address == l.address && listeners[i].port == l.configured_port && seen++ == l.occurrence)
            return i;
    return listeners.size();
}

void server::start_accepting(const std::shared_ptr<bound_listener>& l)
{
    for (std::size_t w = 0; w < workers_.size(); ++w)
        asio::co_spawn(workers_[w]->io(), accept_loop(*workers_[w], l, w), asio::detached);
}

void server::close_listener(const std::shared_ptr<bound_listener>& l)
{
    for (std::size_t w = 0; w < workers_.size(); ++w)
        asio::post(workers_[w]->io(), [l, w] {
            boost::system::error_code ignored;
            l->acceptors[w]->close(ignored);
        });
}

std::vector<std::uint16_t> server::listener_ports() const
{
    std::lock_guard lock(listeners_mutex_);
    std::vector<std::uint16_t> ports;
    for (const auto& l : listeners_)
        ports.push_back(l->port);
    return ports;
}

std::uint16_t server::admin_port() const { return admin_acceptor_ ? admin_acceptor_->local_endpoint().port() : 0; }

void server::start()
{
    const auto& cfg = *rt_->cfg;
    for (const auto& l : listeners_)
        start_accepting(l);
    if (admin_acceptor_)
        asio::co_spawn(workers_[0]->io(), admin_accept_loop(), asio::detached);
    if (rt_->access().buffered())
        asio::co_spawn(workers_[0]->io(), flush_access_log(), asio::detached);
    asio::co_spawn(workers_[0]->io(), retire_loop(), asio::detached);
    if (rt_->process->spans) {
        exporter_ = std::make_unique<span_exporter>(*cfg.tracing, *rt_->process->spans, *workers_[0]);
        asio::co_spawn(workers_[0]->io(), exporter_->run(), asio::detached);
    }
    if (subscriber_)
        asio::co_spawn(workers_[0]->io(), throttle_listener(), asio::detached);
    const auto ports = listener_ports();
    for (std::size_t l = 0; l < cfg.listeners.size(); ++l)
        log::info("listening", {{"address", cfg.listeners[l].address},
                                {"port", ports[l]},
                                {"tls", cfg.listeners[l].tls.has_value()},
                                {"threads", workers_.size()}});
    if (admin_acceptor_)
        log::info("admin listening", {{"address", cfg.admin.address}, {"port", admin_port()}});
    for (std::size_t i = 0; i < workers_.size(); ++i)
        threads_.emplace_back([&wk = *workers_[i], i] {
            redis::this_loop() = wk.redis();
            set_thread_shard(i);
            wk.io().run();
        });
}

awaitable<void> server::accept_loop(worker& w, std::shared_ptr<bound_listener> l, std::size_t worker_index)
{
    auto& acceptor = *l->acceptors[worker_index];
    for (;;) {
        const auto max = w.cfg().limits.max_connections;
        // At the connection limit, stop accepting: new connections wait in
        // the kernel's backlog rather than being refused (as HAProxy's maxconn).
        while (open_connections_.load(std::memory_order_relaxed) >= max && acceptor.is_open())
            co_await sleep_for(std::chrono::milliseconds(5));
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (!acceptor.is_open() || ec == asio::error::operation_aborted)
            co_return;
        if (ec) {
            // Out of file descriptors, or the like: wait instead of spinning.
            log::warn("accept failed", {{"error", ec.message()}});
            co_await sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        // The listener as the configuration running now has it: its TLS
        // context (a reload that rotated the certificate serves it from the
        // next handshake) and its HSTS value.
        const auto& rt = w.rt();
        const auto& listeners = rt.cfg->listeners;
        const auto i = find_listener(listeners, *l);
        if (i == listeners.size())
            continue;  // a reload removed it; its acceptors are being closed (the socket goes)
        const auto& c = listeners[i];
        start_session(w, std::move(socket), rt.listener_tls[i].get(),
                      c.tls && c.tls->hsts ? *c.tls->hsts : std::string());
    }
}

awaitable<void> server::admin_accept_loop()
{
    for (;;) {
        auto [ec, socket] = co_await admin_acceptor_->async_accept(use_tuple);
        if (!admin_acceptor_->is_open() || ec == asio::error::operation_aborted)
            co_return;
        if (ec)
            continue;
        asio::co_spawn(workers_[0]->io(), serve_admin(*this, std::move(socket)), asio::detached);
    }
}

void server::shutdown()
{
    if (stopping_.exchange(true)) {
        forced_ = true;
        return;
    }
    const auto rt = current();  // (a signal's thread: rt_ is read under its lock)
    log::info("shutting down: unready, still serving for drain_delay",
              {{"open_connections", open_connections_.load()},
               {"drain_delay_ms", rt->cfg->drain_delay.count()},
               {"grace_ms", rt->cfg->shutdown_grace.count()}});
    asio::co_spawn(workers_[0]->io(), drain_then_stop(), asio::detached);
}

void server::stop_accepting()
{
    draining_ = true;
    log::info("draining: no longer accepting", {{"open_connections", open_connections_.load()}});
    std::lock_guard lock(listeners_mutex_);
    for (std::size_t w = 0; w < workers_.size(); ++w)
        asio::post(workers_[w]->io(), [this, w, all = listeners_] {
            for (const auto& l : all) {
                boost::system::error_code ignored;
                l->acceptors[w]->close(ignored);
            }
            workers_[w]->start_draining();
        });
}

// An access-log file is buffered; what was written reaches it within a
// second. (Standard output is line-buffered: nothing to flush.) Ends with the
// event loop.
awaitable<void> server::flush_access_log()
{
    for (;;) {
        co_await sleep_for(std::chrono::seconds(1));
        current()->access().flush();  // (the process's log: the same across reloads)
    }
}

awaitable<void> server::drain_then_stop()
{
    // 1: unready but serving, while load balancers notice /readyz.
    const auto rt = current();
    const auto unready_until = std::chrono::steady_clock::now() + rt->cfg->drain_delay;
    while (std::chrono::steady_clock::now() < unready_until && !forced_)
        co_await sleep_for(std::chrono::milliseconds(10));
    // 2: no new connections; requests in flight finish within the grace.
    stop_accepting();
    const auto deadline = std::chrono::steady_clock::now() + rt->cfg->shutdown_grace;
    while (open_connections_.load() > 0 && std::chrono::steady_clock::now() < deadline && !forced_)
        co_await sleep_for(std::chrono::milliseconds(10));
    if (open_connections_.load() > 0) {
        log::warn("grace period over: closing connections", {{"open_connections", open_connections_.load()}});
        for (auto& w : workers_)
            asio::post(w->io(), [&wk = *w] { wk.close_all(); });
        for (int i = 0; i < 200 && open_connections_.load() > 0; ++i)
            co_await sleep_for(std::chrono::milliseconds(10));
    }
    // Sessions and tokens upstream end with us (adapters' logout()): the
    // running configuration's backends, and those a reload retired that
    // were not logged out yet.
    std::vector<std::shared_ptr<backend_state>> ending = rt->backends;
    {
        std::lock_guard lock(retired_mutex_);
        ending.insert(ending.end(), retired_.begin(), retired_.end());
        retired_.clear();
    }
    for (const auto& b : ending) {
        auto client = workers_[0]->client_for(*b);
        co_await b->adapter->logout(client);
    }
    if (admin_acceptor_) {
        boost::system::error_code ignored;
        admin_acceptor_->close(ignored);
    }
    // Each loop's Redis connection, closed on its own loop (its reader ends).
    for (auto& w : workers_)
        asio::post(w->io(), [&wk = *w] { wk.close_redis(); });
    if (subscriber_)
        subscriber_->close();  // (this runs on worker 0, the subscriber's loop)
    co_await sleep_for(std::chrono::milliseconds(10));
    // The spans of the last requests (and logouts), to the collector.
    if (exporter_)
        co_await exporter_->flush();
    rt->access().flush();
    log::info("stopped");
    for (auto& w : workers_)
        w->io().stop();
    if (on_stopped_)
        on_stopped_();
}

void server::wait()
{
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    threads_.clear();
}

void server::reload(std::function<void(const reload_result&)> done)
{
    if (reloading_.exchange(true)) {
        reload_result busy;
        busy.busy = true;
        busy.error = "a reload is running; try again when it has finished";
        busy.generation = current()->generation;
        if (done)
            done(busy);
        return;
    }
    // The previous reload's thread has finished (reloading_ was false).
    if (reload_thread_.joinable())
        reload_thread_.join();
    reload_thread_ = std::thread([this, done = std::move(done)] {
        const auto result = reload_now();
        reloading_ = false;
        if (done)
            done(result);
    });
}

// On the reload thread: read and check the file, build the new runtime
// (adapters, TLS contexts: file reads, never on an event loop), publish it.
reload_result server::reload_now()
{
    reload_result r;
    const auto running = current();
    auto& process = *running->process;
    r.generation = running->generation;
    std::shared_ptr<const runtime> next;
    try {
        if (!reload_from_)
            throw std::runtime_error("this server has no configuration file to read again");
        auto cfg = std::make_shared<const config::gateway_config>(reload_from_());
        if (auto why = needs_restart(*running->cfg, *cfg))
            throw std::runtime_error(cfg->source_file + ": " + *why + "; that takes a restart (nothing was changed)");
        next = std::make_shared<const runtime>(cfg, running->process, running->generation + 1, running.get());
    } catch (const std::exception& e) {
        r.error = e.what();
        process.note_reload(false, r.error);
        log::error("reload failed: the running configuration stays", {{"error", r.error},
                                                                       {"generation", running->generation}});
        return r;
    }
    // Listeners: those the new configuration names as before stay bound;
    // the others are bound now (a port in use fails the reload, nothing changed).
    std::vector<std::shared_ptr<bound_listener>> listening, started_listening;
    try {
        std::lock_guard lock(listeners_mutex_);
        const auto& next_listeners = next->cfg->listeners;
        for (std::size_t i = 0; i < next_listeners.size(); ++i) {
            const auto& l = next_listeners[i];
            const auto occurrence = occurrence_of(next_listeners, i);
            auto same = std::find_if(listeners_.begin(), listeners_.end(), [&](const auto& b) {
                return b->address == l.address && b->configured_port == l.port && b->occurrence == occurrence;
            });
            if (same != listeners_.end()) {
                listening.push_back(*same);
            } else {
                listening.push_back(bind_listener(l, occurrence));
                started_listening.push_back(listening.back());
            }
        }
    } catch (const std::exception& e) {
        r.error = next->cfg->source_file + ": listen: cannot bind: " + e.what() + " (nothing was changed)";
        process.note_reload(false, r.error);
        log::error("reload failed: the running configuration stays", {{"error", r.error},
                                                                       {"generation", running->generation}});
        return r;
    }
    for (const auto& b : next->backends) {
        const auto* i = running->find_backend(b->cfg.name);
        (i && running->backends[*i] == b ? r.kept : r.started).push_back(b->cfg.name);
    }
    std::vector<std::shared_ptr<backend_state>> retired;
    for (const auto& b : running->backends)
        if (std::find(next->backends.begin(), next->backends.end(), b) == next->backends.end()) {
            retired.push_back(b);
            r.retired.push_back(b->cfg.name);
        }
    {
        std::lock_guard lock(retired_mutex_);
        retired_.insert(retired_.end(), retired.begin(), retired.end());
    }
    {
        std::lock_guard lock(rt_mutex_);
        rt_ = next;
    }
    for (auto& w : workers_)
        asio::post(w->io(), [&wk = *w, next] { wk.install(next); });
    std::vector<std::shared_ptr<bound_listener>> stopped_listening;
    {
        std::lock_guard lock(listeners_mutex_);
        for (const auto& b : listeners_)
            if (std::find(listening.begin(), listening.end(), b) == listening.end())
                stopped_listening.push_back(b);
        listeners_ = listening;
    }
    for (const auto& l : started_listening) {
        start_accepting(l);
        log::info("listening", {{"address", l->address}, {"port", l->port}, {"threads", workers_.size()}});
    }
    for (const auto& l : stopped_listening) {
        close_listener(l);
        log::info("no longer listening", {{"address", l->address}, {"port", l->port}});
    }
    r.ok = true;
    r.generation = next->generation;
    process.note_reload(true);
    auto names = [](const std::vector<std::string>& v) {
        boost::json::array a;
        for (const auto& n : v)
            a.emplace_back(n);
        return a;
    };
    log::info("reloaded", {{"generation", r.generation},
                           {"file", next->cfg->source_file},
                           {"backends_kept", names(r.kept)},
                           {"backends_started", names(r.started)},
                           {"backends_retired", names(r.retired)}});
    return r;
}

awaitable<reload_result> server::reload_awaited()
{
    struct waiting {
        explicit waiting(const asio::any_io_executor& ex) : timer(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer timer;
        reload_result result;
    };
    const auto ex = co_await asio::this_coro::executor;
    auto w = std::make_shared<waiting>(ex);
    reload([w, ex](const reload_result& r) {
        asio::post(ex, [w, r] {
            w->result = r;
            w->timer.cancel();
        });
    });
    co_await w->timer.async_wait(use_tuple);
    co_return w->result;
}

// A backend state no configuration holds any more is held by the retired
// list alone once the last request that used it has finished (requests hold
// their runtime, which holds its backends): then its sessions end and every
// worker closes its pools.
awaitable<void> server::retire_loop()
{
    for (;;) {
        co_await sleep_for(std::chrono::milliseconds(200));
        if (stopping_)
            co_return;  // the shutdown logs them out
        std::vector<std::shared_ptr<backend_state>> unused;
        {
            std::lock_guard lock(retired_mutex_);
            for (auto it = retired_.begin(); it != retired_.end();)
                if (it->use_count() == 1) {
                    unused.push_back(std::move(*it));
                    it = retired_.erase(it);
                } else {
                    ++it;
                }
        }
        for (auto& b : unused)
            asio::co_spawn(workers_[0]->io(), retire(std::move(b)), asio::detached);
    }
}

awaitable<void> server::throttle_listener()
{
    subscriber_->on_message([this](const redis::reply& m) {
        if (m.elements.size() == 3)
            current()->admission.throttle_message(m.elements[2].str);
    });
    for (;;) {
        if (stopping_)
            co_return;
        if (!subscriber_->connected()) {
            const auto rt = current();
            const std::vector<std::string> subscribe{"SUBSCRIBE", rt->admission.throttle_channel()};
            auto r = co_await subscriber_->call(subscribe);
            auto* conn = workers_[0]->redis();
            if (std::holds_alternative<redis::reply>(r) && conn) {
                // Subscribed: what was published before is read from the keys.
                const auto& keys = rt->admission.throttle_keys();
                for (std::size_t b = 0; b < keys.size(); ++b) {
                    const std::vector<std::string> pttl{"PTTL", keys[b]};
                    auto left = co_await conn->call(pttl);
                    if (const auto* v = std::get_if<redis::reply>(&left); v && v->type == redis::reply::kind::integer)
                        rt->admission.hold_throttle(b, v->integer);
                }
            }
        }
        co_await sleep_for(std::chrono::milliseconds(250));
    }
}

awaitable<void> server::retire(std::shared_ptr<backend_state> b)
{
    {
        auto client = workers_[0]->client_for(*b);
        co_await b->adapter->logout(client);
    }
    log::info("backend retired: its sessions ended, its connections closed", {{"backend", b->cfg.name}});
    // Each worker closes its own pools (on its own loop); the state goes
    // with the last of them.
    for (auto& w : workers_)
        asio::post(w->io(), [&wk = *w, b] { wk.forget(b.get()); });
}

namespace {

// A float in Prometheus's text format: the shortest form that reads back
// the same (0.005, 2.5, 60), as Go's strconv gives it.
std::string number_text(double v)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// A label's value in the text format: backslash, double quote and newline escaped.
std::string label_value(std::string_view v)
{
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// The build and the start (Prometheus's *_info and process-start conventions).
void metric_info_lines(std::string& out, const runtime& rt)
{
    out += "# HELP gateway_build_info The gateway's version (always 1).\n# TYPE gateway_build_info gauge\n";
    out += "gateway_build_info{version=\"" BG_VERSION "\"} 1\n";
    out += "# HELP gateway_start_time_seconds When the process started (Unix time).\n"
           "# TYPE gateway_start_time_seconds gauge\n";
    out += "gateway_start_time_seconds " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(rt.process->started.time_since_epoch())
                              .count()) +
           "\n";
}

}  // namespace

std::string server::metrics_text() const
{
    auto sum = [&](auto member) {
        std::uint64_t total = 0;
        for (const auto& w : workers_)
            total += (w->stats().*member).load(std::memory_order_relaxed);
        return total;
    };
    std::string out;
    // A family's HELP and TYPE, then its series.
    auto family = [&](const char* name, const char* type, const char* help) {
        out += "# HELP "; out += name; out += ' '; out += help; out += '\n';
        out += "# TYPE "; out += name; out += ' '; out += type; out += '\n';
    };
    auto series = [&](const char* name, const std::string& labels, const auto& value) {
        out += name;
        out += '{'; out += labels; out += "} ";
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>)
            out += value;
        else
            out += std::to_string(value);
        out += '\n';
    };
    const auto rt = current();
    metric_info_lines(out, *rt);
    // `first`: the first series of its family (HELP and TYPE come once).
    auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value,
                      const std::string& labels = {}, bool first = true) {
        if (first) {
            out += "# HELP "; out += name; out += ' '; out += help; out += '\n';
            out += "# TYPE "; out += name; out += ' '; out += type; out += '\n';
        }
        out += name;
        if (!labels.empty())
            out += "{" + labels + "}";
        out += ' ' + std::to_string(value) + '\n';
    };
    metric("gateway_connections_accepted_total", "counter", "Client connections accepted.",
           sum(&metrics::connections_accepted));
    metric("gateway_connections_open", "gauge", "Client connections open.", sum(&metrics::connections_open));
    metric("gateway_requests_total", "counter", "Requests received.", sum(&metrics::requests));
    metric("gateway_requests_in_flight", "gauge", "Requests being handled.", sum(&metrics::requests_in_flight));
    for (int c = 1; c <= 5; ++c) {
        std::uint64_t total = 0;
        for (const auto& w : workers_)
            total += w->stats().responses_by_class[c].load(std::memory_order_relaxed);
        metric("gateway_responses_total", "counter", "Responses sent, by status class.", total,
               "class=\"" + std::to_string(c) + "xx\"", c == 1);
    }
    metric("gateway_upstream_errors_total", "counter",
           "Upstream exchanges that ended without a usable answer (connect, reset, timeout, not HTTP); a "
           "vendor's own error status is counted in gateway_backend_requests_failed_total.",
           sum(&metrics::upstream_errors));
    metric("gateway_upstream_replays_total", "counter", "Requests replayed after an upstream 401 and a new login.",
           sum(&metrics::upstream_replays));
    metric("gateway_idempotent_replays_total", "counter",
           "Requests with an Idempotency-Key answered again from the store.", sum(&metrics::idempotent_replays));
    metric("gateway_idempotency_refusals_total", "counter",
           "Requests with an Idempotency-Key refused: the first still running (409), or another body (422).",
           sum(&metrics::idempotency_refusals));
    metric("gateway_outcomes_unknown_total", "counter",
           "Requests answered 502 outcome-unknown: sent whole, the answer lost (a job may have started).",
           sum(&metrics::outcomes_unknown));
    metric("gateway_idempotency_records", "gauge", "Idempotency-Key records held.", rt->process->idempotency.size());
    metric("gateway_config_generation", "gauge", "The running configuration: 1 at start, one more per reload.",
           rt->generation);
    metric("gateway_config_reloads_total", "counter", "Configuration reloads, by result.",
           rt->process->reloads_succeeded.load(), "result=\"success\"");
    metric("gateway_config_reloads_total", "counter", "Configuration reloads, by result.",
           rt->process->reloads_failed.load(), "result=\"failure\"", false);
    metric("gateway_config_last_reload_successful", "gauge",
           "Whether the last reload succeeded (1) or failed (0: the previous configuration still runs).",
           rt->process->last_reload().value_or(process_state::reload_record{{}, true, {}}).ok ? 1 : 0);
    const auto& control = rt->admission;
    metric("gateway_rate_limited_total", "counter", "Requests refused by a rate limit (429 rate-limited).",
           control.limited());
    metric("gateway_upstream_throttled_total", "counter",
           "Requests refused while a vendor's 429 Retry-After holds (429 upstream-throttled).",
           control.throttled_refusals());
    metric("gateway_rate_limit_fallbacks_total", "counter",
           "Rate-limit decisions made by this replica alone (limit / replicas_hint): Redis could not be reached.",
           control.fallback_decisions());
    if (rt->cfg->redis) {
        metric("gateway_redis_up", "gauge", "Whether the last call to Redis succeeded (1) or not (0).",
               control.redis_health().reachable() ? 1 : 0);
        metric("gateway_redis_errors_total", "counter", "Redis calls that failed (unreachable, timed out, refused).",
               control.redis_health().errors());
    }
    metric("gateway_request_bytes_total", "counter", "Request body bytes received.", sum(&metrics::bytes_in));
    metric("gateway_response_bytes_total", "counter", "Response body bytes sent.", sum(&metrics::bytes_out));
    // Per backend (docs/resilience.md): one family at a time, every backend in it.
    auto per_backend = [&](const char* name, const char* type, const char* help, auto value) {
        out += "# HELP "; out += name; out += ' '; out += help; out += '\n';
        out += "# TYPE "; out += name; out += ' '; out += type; out += '\n';
        for (const auto& b : rt->backends) {
            out += name;
            out += "{backend=\"" + b->cfg.name + "\"} ";  // names are [A-Za-z0-9._-]: no escaping
            out += std::to_string(value(*b->health)) + '\n';
        }
    };
    per_backend("gateway_backend_requests_in_flight", "gauge", "Requests to the backend being handled.",
                [](const backend_health& h) { return h.in_flight(); });
    per_backend("gateway_backend_queued", "gauge", "Requests waiting for a slot of the concurrency limit.",
                [](const backend_health& h) { return h.queued_now(); });
    per_backend("gateway_backend_overloaded_total", "counter",
                "Requests answered 503 backend-overloaded (the limit's queue full, or the wait over).",
                [](const backend_health& h) { return h.overloaded(); });
    per_backend("gateway_backend_retries_total", "counter", "Upstream exchanges retried after a retryable failure.",
                [](const backend_health& h) { return h.retries(); });
    per_backend("gateway_backend_retries_in_flight", "gauge", "Retries being sent (what the retry budget bounds).",
                [](const backend_health& h) { return h.retries_in_flight(); });
    per_backend("gateway_backend_retries_denied_total", "counter",
                "Retries not made because the backend's retry budget was spent.",
                [](const backend_health& h) { return h.retries_denied(); });
    per_backend("gateway_backend_circuit_state", "gauge", "Circuit breaker: 0 closed, 1 open, 2 half-open.",
                [](const backend_health& h) { return static_cast<std::uint64_t>(h.current()); });
    per_backend("gateway_backend_circuit_opened_total", "counter", "Times the circuit breaker opened.",
                [](const backend_health& h) { return h.opened(); });
    per_backend("gateway_backend_circuit_refused_total", "counter",
                "Requests answered 503 circuit-open without reaching the backend.",
                [](const backend_health& h) { return h.refused(); });
    family("gateway_backend_circuit_transitions_total", "counter",
           "Circuit-breaker transitions, by the state entered (open: failures or a failed probe; half_open: a "
           "probe let through; closed: the probe succeeded).");
    for (const auto& b : rt->backends)
        for (const auto to : {backend_health::state::open, backend_health::state::half_open,
                              backend_health::state::closed}) {
            const char* name = to == backend_health::state::open        ? "open"
                               : to == backend_health::state::half_open ? "half_open"
                                                                        : "closed";
            series("gateway_backend_circuit_transitions_total",
                   "backend=\"" + b->cfg.name + "\",to=\"" + name + "\"", b->health->transitions(to));
        }

    // What the backends' requests took, from the head read to the answer
    // sent (observed.hpp): a histogram per backend.
    std::vector<backend_observations::totals> totals;
    for (const auto& b : rt->backends)
        totals.push_back(b->observed.cumulative());
    family("gateway_backend_request_duration_seconds", "histogram",
           "Requests to the backend: time from the request's head read to its answer sent.");
    for (std::size_t i = 0; i < rt->backends.size(); ++i) {
        const auto& t = totals[i];
        const std::string label = "backend=\"" + rt->backends[i]->cfg.name + "\"";
        std::uint64_t cumulative = 0;
        for (std::size_t k = 0; k < duration_buckets; ++k) {
            cumulative += t.buckets[k];
            const auto le = k < duration_bounds_s.size() ? number_text(duration_bounds_s[k]) : std::string("+Inf");
            series("gateway_backend_request_duration_seconds_bucket", label + ",le=\"" + le + "\"", cumulative);
        }
        series("gateway_backend_request_duration_seconds_sum", label, number_text(static_cast<double>(t.sum_us) / 1e6));
        series("gateway_backend_request_duration_seconds_count", label, t.count);
    }
    family("gateway_backend_requests_failed_total", "counter",
           "Requests to the backend answered 5xx (by the vendor or by the gateway for it).");
    for (std::size_t i = 0; i < rt->backends.size(); ++i)
        series("gateway_backend_requests_failed_total", "backend=\"" + rt->backends[i]->cfg.name + "\"",
               totals[i].failed);
    family("gateway_backend_upstream_attempts_total", "counter",
           "Upstream exchanges made for the backend's requests (a retry or a replay after a 401 is one more).");
    for (std::size_t i = 0; i < rt->backends.size(); ++i)
        series("gateway_backend_upstream_attempts_total", "backend=\"" + rt->backends[i]->cfg.name + "\"",
               totals[i].attempts);

    // The vendors' credentials (logins, refreshes, the fleet's shared one).
    std::vector<adapters::credential_report> creds;
    for (const auto& b : rt->backends)
        creds.push_back(b->adapter->credentials());
    family("gateway_backend_credential_renewals_total", "counter",
           "Credentials obtained for the backend: logins, refreshes, or the fleet's from Redis.");
    for (std::size_t i = 0; i < rt->backends.size(); ++i)
        series("gateway_backend_credential_renewals_total", "backend=\"" + rt->backends[i]->cfg.name + "\"",
               creds[i].renewals);
    family("gateway_backend_credential_failures_total", "counter", "Logins and refreshes that failed.");
    for (std::size_t i = 0; i < rt->backends.size(); ++i)
        series("gateway_backend_credential_failures_total", "backend=\"" + rt->backends[i]->cfg.name + "\"",
               creds[i].failures);
    family("gateway_backend_credential_expiry_timestamp_seconds", "gauge",
           "When the backend's current credential expires (Unix time); absent while it has none.");
    for (std::size_t i = 0; i < rt->backends.size(); ++i)
        if (creds[i].valid_until)
            series("gateway_backend_credential_expiry_timestamp_seconds",
                   "backend=\"" + rt->backends[i]->cfg.name + "\"",
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      creds[i].valid_until->time_since_epoch())
                                      .count()));

    if (const auto* spans = rt->process->spans.get()) {
        metric("gateway_trace_spans_exported_total", "counter", "Spans the collector took (tracing).",
               spans->exported());
        metric("gateway_trace_spans_dropped_total", "counter",
               "Spans dropped because the export queue was full (tracing.queue).", spans->dropped());
        metric("gateway_trace_spans_failed_total", "counter",
               "Spans dropped because their export failed (the collector unreachable or refusing).",
               spans->failed());
        metric("gateway_trace_spans_queued", "gauge", "Spans waiting for export.", spans->queued());
    }

    // The clients (by configured name, kept across reloads).
    family("gateway_client_requests_total", "counter", "Requests made with the client's key.");
    for (std::size_t i = 0; i < rt->cfg->clients.size(); ++i)
        series("gateway_client_requests_total", "client=\"" + label_value(rt->cfg->clients[i].name) + "\"",
               rt->client_stats[i]->requests.value());
    family("gateway_client_rate_limited_total", "counter",
           "The client's requests refused by a rate limit (429 rate-limited).");
    for (std::size_t i = 0; i < rt->cfg->clients.size(); ++i)
        series("gateway_client_rate_limited_total", "client=\"" + label_value(rt->cfg->clients[i].name) + "\"",
               rt->client_stats[i]->rate_limited.value());
    return out;
}

}  // namespace bg
