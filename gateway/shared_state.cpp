#include "gateway/shared_state.hpp"

#include "gateway/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

namespace bg {

namespace {

// Moves `slot` on to `until` unless it holds a later time already.
void hold(std::atomic<std::int64_t>& slot, std::int64_t until)
{
    auto seen = slot.load(std::memory_order_relaxed);
    while (seen < until && !slot.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
    }
}

}  // namespace

void redis_status::succeeded()
{
    if (!reachable_.exchange(true, std::memory_order_relaxed))
        log::info("redis reachable again: rate limits, idempotency records, credentials and throttles are shared");
}

void redis_status::failed(std::string_view what, const gateway_error& why)
{
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (reachable_.exchange(false, std::memory_order_relaxed))
        log::warn("redis unreachable: rate limits fall back to this replica (limit / replicas_hint), keyed "
                  "requests are refused, credentials are obtained here",
                  {{"call", std::string(what)}, {"error", why.detail}});
}

admission_control::admission_control(const config::gateway_config& cfg, local_limiter& local, local_limiter& fallback,
                                     redis_status& health, std::vector<std::atomic<std::int64_t>*> throttles)
    : backends_(cfg.backends.size()), shared_(cfg.redis.has_value()), local_(local), fallback_(fallback),
      throttles_(std::move(throttles)), redis_health_(health)
{
    const std::string prefix = cfg.redis ? cfg.redis->key_prefix : "";
    const unsigned divisor = cfg.redis ? cfg.redis->replicas_hint : 1;
    auto divide_all = [divisor](const std::vector<prepared_limit>& all) {
        std::vector<prepared_limit> out;
        for (const auto& l : all)
            out.push_back(divided(l, divisor));
        return out;
    };
    for (const auto& c : cfg.clients) {
        client_limits_.push_back(prepare_limits(c.rate_limits, prefix, "client", c.name));
        client_fallback_.push_back(divide_all(client_limits_.back()));
    }
    for (const auto& b : cfg.backends) {
        backend_limits_.push_back(prepare_limits(b.rate_limits, prefix, "backend", b.name));
        backend_fallback_.push_back(divide_all(backend_limits_.back()));
        throttle_keys_.push_back(prefix + "throttle:" + b.name);
    }
    bool any_limit = false;
    plans_.resize(cfg.clients.size() * backends_);
    for (std::size_t c = 0; c < cfg.clients.size(); ++c)
        for (std::size_t b = 0; b < backends_; ++b) {
            auto& p = plans_[c * backends_ + b];
            for (const auto& l : client_limits_[c])
                p.limits.push_back(&l);
            for (const auto& l : backend_limits_[b])
                p.limits.push_back(&l);
            for (const auto& l : client_fallback_[c])
                p.fallback.push_back(&l);
            for (const auto& l : backend_fallback_[b])
                p.fallback.push_back(&l);
            any_limit = any_limit || !p.limits.empty();
            if (shared_)
                p.command = admission_command(p.limits, throttle_keys_[b]);
        }
    active_ = shared_ || any_limit;
}

const std::vector<const prepared_limit*>& admission_control::limits(std::size_t client, std::size_t backend,
                                                                    bool fallback) const
{
    const auto& p = plan_for(client, backend);
    return fallback ? p.fallback : p.limits;
}

boost::asio::awaitable<admission> admission_control::admit(redis::connection* redis, std::size_t client,
                                                           std::size_t backend)
{
    const auto& p = plan_for(client, backend);
    const auto now = now_us();
    const auto until = throttles_[backend]->load(std::memory_order_relaxed);
    if (const auto wait = until > now ? until - now : 0; wait > 0) {
        admission a;
        a.what = admission::verdict::throttled;
        a.wait_us = wait;
        co_return a;
    }
    if (!shared_ || !redis)
        co_return p.limits.empty() ? admission{} : local_.admit(p.limits, now);
    auto r = co_await redis::evaluate(*redis, admission_script(), p.command);
    std::optional<admission> decided;
    if (const auto* reply = std::get_if<redis::reply>(&r)) {
        decided = read_admission(*reply, p.limits.size());
        if (!decided)
            redis_health_.failed("rate limits", gateway_error{errc::internal,
                                                              reply->type == redis::reply::kind::error
                                                                  ? "the script failed: " + reply->str
                                                                  : std::string("the script's reply is not understood"),
                                                              {}, {}});
    } else {
        redis_health_.failed("rate limits", std::get<gateway_error>(r));
    }
    if (decided) {
        redis_health_.succeeded();
        if (decided->what == admission::verdict::throttled)
            hold(*throttles_[backend], now + decided->wait_us);  // this process need not ask again meanwhile
        co_return std::move(*decided);
    }
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    auto a = p.fallback.empty() ? admission{} : fallback_.admit(p.fallback, now);
    a.fallback = true;
    co_return a;
}

void admission_control::count(const admission& a)
{
    if (a.what == admission::verdict::limited)
        limited_.fetch_add(1, std::memory_order_relaxed);
    else if (a.what == admission::verdict::throttled)
        throttled_.fetch_add(1, std::memory_order_relaxed);
}

namespace {

boost::asio::awaitable<void> share_throttle(std::shared_ptr<redis::connection> redis, redis_status& health,
                                            std::string key, std::int64_t ms)
{
    auto argv = throttle_command(key, ms);
    auto r = co_await redis::evaluate(*redis, throttle_script(), argv);
    const auto* reply = std::get_if<redis::reply>(&r);
    if (!reply)
        health.failed("vendor throttle", std::get<gateway_error>(r));
    else if (reply->type == redis::reply::kind::error)
        health.failed("vendor throttle", gateway_error{errc::internal, "the script failed: " + reply->str, {}, {}});
    else
        health.succeeded();
}

}  // namespace

void admission_control::vendor_throttled(redis::connection* redis, std::size_t backend, std::int64_t ms)
{
    if (ms <= 0)
        return;
    hold(*throttles_[backend], now_us() + ms * 1000);
    if (shared_ && redis)
        boost::asio::co_spawn(redis->executor(),
                              share_throttle(redis->shared_from_this(), redis_health_, throttle_keys_[backend], ms),
                              boost::asio::detached);
}

redis::settings redis_settings_of(const config::redis_settings& s)
{
    redis::settings out;
    out.host = s.address;
    out.port = s.port;
    out.timeout = s.timeout;
    return out;
}

}  // namespace bg
