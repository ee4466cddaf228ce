#include "gateway/worker.hpp"

namespace bg {

worker::worker(std::shared_ptr<const runtime> rt, std::atomic<std::size_t>& open_connections)
    : rt_(std::move(rt)), open_connections_(open_connections)
{
    for (const auto& t : rt_->targets)
        pools_.push_back(std::make_unique<upstream_pool>(io_.get_executor(), *t));
    for (const auto& t : rt_->auxiliary_targets)
        auxiliary_pools_.push_back(t ? std::make_unique<upstream_pool>(io_.get_executor(), *t) : nullptr);
}

void worker::session_opened(beast::tcp_stream* s)
{
    sessions_.insert(s);
    open_connections_.fetch_add(1, std::memory_order_relaxed);
    stats_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    stats_.connections_open.fetch_add(1, std::memory_order_relaxed);
}

void worker::session_closed(beast::tcp_stream* s)
{
    sessions_.erase(s);
    idle_.erase(s);
    open_connections_.fetch_sub(1, std::memory_order_relaxed);
    stats_.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void worker::mark_idle(beast::tcp_stream* s, bool idle)
{
    if (idle)
        idle_.insert(s);
    else
        idle_.erase(s);
}

void worker::start_draining()
{
    draining_ = true;
    // Cancelling the idle read makes the session end; copy first, as the
    // sessions unregister themselves.
    for (auto* s : std::vector<beast::tcp_stream*>(idle_.begin(), idle_.end()))
        s->cancel();
    for (auto& p : pools_)
        p->close_idle();
}

void worker::close_all()
{
    for (auto* s : std::vector<beast::tcp_stream*>(sessions_.begin(), sessions_.end())) {
        boost::system::error_code ignored;
        s->socket().shutdown(tcp::socket::shutdown_both, ignored);
        s->cancel();
    }
    for (auto& p : pools_)
        p->close_idle();
}

}  // namespace bg
