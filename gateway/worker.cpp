#include "gateway/worker.hpp"

#include "gateway/redis_idempotency.hpp"

namespace bg {

worker::worker(std::shared_ptr<const runtime> rt, std::atomic<std::size_t>& open_connections)
    : rt_(std::move(rt)), open_connections_(open_connections)
{
    idempotency_ = &rt_->process->idempotency;
    // (Redis's address cannot change on a reload: needs_restart.)
    if (const auto& r = rt_->cfg->redis) {
        redis_ = std::make_shared<redis::connection>(io_.get_executor(), redis_settings_of(*r));
        redis_idempotency_ = std::make_unique<redis_idempotency_store>(*redis_, r->key_prefix,
                                                                         rt_->process->redis_health);
        idempotency_ = redis_idempotency_.get();
    }
}

worker::backend_pools worker::make_pools(const backend_state& b)
{
    backend_pools p;
    p.main = std::make_unique<upstream_pool>(io_.get_executor(), *b.target);
    if (b.auxiliary_target)
        p.auxiliary = std::make_unique<upstream_pool>(io_.get_executor(), *b.auxiliary_target);
    return p;
}

void worker::forget(const backend_state* b)
{
    if (last_pools_.first == b)
        last_pools_ = {nullptr, nullptr};
    auto it = pools_.find(b);
    if (it == pools_.end())
        return;
    it->second.main->close_idle();
    if (it->second.auxiliary)
        it->second.auxiliary->close_idle();
    pools_.erase(it);
}

void worker::close_redis()
{
    if (redis_)
        redis_->close();
}

bool& worker::session_opened(beast::tcp_stream* s)
{
    auto& idle = sessions_.emplace(s, false).first->second;
    open_connections_.fetch_add(1, std::memory_order_relaxed);
    stats_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    stats_.connections_open.fetch_add(1, std::memory_order_relaxed);
    return idle;
}

void worker::session_closed(beast::tcp_stream* s)
{
    sessions_.erase(s);
    open_connections_.fetch_sub(1, std::memory_order_relaxed);
    stats_.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void worker::start_draining()
{
    draining_ = true;
    // Cancelling the idle read makes the session end; copy first, as the
    // sessions unregister themselves.
    std::vector<beast::tcp_stream*> idle;
    for (const auto& [s, is_idle] : sessions_)
        if (is_idle)
            idle.push_back(s);
    for (auto* s : idle)
        s->cancel();
    close_idle_pools();
}

void worker::close_idle_pools()
{
    for (auto& [state, p] : pools_) {
        p.main->close_idle();
        if (p.auxiliary)
            p.auxiliary->close_idle();
    }
}

void worker::close_all()
{
    std::vector<beast::tcp_stream*> all;
    for (const auto& entry : sessions_)
        all.push_back(entry.first);
    for (auto* s : all) {
        boost::system::error_code ignored;
        s->socket().shutdown(tcp::socket::shutdown_both, ignored);
        s->cancel();
    }
    close_idle_pools();
}

}  // namespace bg
