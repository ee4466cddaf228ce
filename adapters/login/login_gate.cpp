#include "adapters/login/login_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bg::adapters {

namespace asio = boost::asio;

login_trace*& login_trace::current()
{
    thread_local login_trace* trace = nullptr;
    return trace;
}

std::optional<gateway_error> login_gate::recent_failure_locked() const
{
    if (last_failure_ && clock::now() < retry_after_)
        return last_failure_;
    return std::nullopt;
}

bool login_gate::try_lead()
{
    std::lock_guard lock(mutex_);
    if (busy_ || recent_failure_locked())
        return false;
    busy_ = true;
    ++logins_led_;
    return true;
}

asio::awaitable<login_gate::ticket> login_gate::enter()
{
    auto executor = co_await asio::this_coro::executor;
    std::shared_ptr<asio::steady_timer> timer;
    {
        std::lock_guard lock(mutex_);
        if (!busy_) {
            if (auto failure = recent_failure_locked())
                co_return ticket{false, std::move(failure)};
            busy_ = true;
            ++logins_led_;
            co_return ticket{true, std::nullopt};
        }
        timer = std::make_shared<asio::steady_timer>(executor, max_wait_);
        waiters_.push_back({executor, timer});
    }
    // finish() cancels the timer through this executor, so the cancel runs
    // after this wait has started (each worker's loop is single-threaded).
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec) {
        gateway_error e{errc::upstream_auth_failed,
                        "the upstream login did not finish within " + std::to_string(max_wait_.count()) + " ms",
                        {}, {}};
        co_return ticket{false, std::move(e)};
    }
    std::lock_guard lock(mutex_);
    co_return ticket{false, recent_failure_locked()};
}

void login_gate::finish(const std::optional<gateway_error>& failure, bool obtained)
{
    std::vector<waiter> waiters;
    {
        std::lock_guard lock(mutex_);
        busy_ = false;
        if (failure) {
            ++failures_;
            ++consecutive_failures_;
            last_failure_detail_ = failure->detail;
            backoff_ = std::clamp(backoff_ * 2, std::chrono::seconds(1), std::chrono::seconds(60));
            retry_after_ = clock::now() + backoff_;
            last_failure_ = failure;
        } else {
            if (obtained) {
                ++renewals_;
                consecutive_failures_ = 0;
                last_login_ = std::chrono::system_clock::now();
            }
            backoff_ = std::chrono::seconds(0);
            last_failure_.reset();
        }
        waiters.swap(waiters_);
    }
    for (auto& w : waiters)
        asio::post(w.executor, [timer = w.timer] { timer->cancel(); });
}

void login_gate::report(credential_report& r) const
{
    std::lock_guard lock(mutex_);
    r.renewals = renewals_;
    r.failures = failures_;
    r.consecutive_failures = consecutive_failures_;
    r.last_login = last_login_;
    r.last_failure = last_failure_detail_;
}

std::uint64_t login_gate::logins_led() const
{
    std::lock_guard lock(mutex_);
    return logins_led_;
}

}  // namespace bg::adapters
