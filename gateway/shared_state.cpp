#include "gateway/shared_state.hpp"

#include "gateway/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

namespace bg {


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
        backend_of_.emplace(b.name, throttle_keys_.size());
        backend_names_.push_back(b.name);
        throttle_keys_.push_back(prefix + "throttle:" + b.name);
    }
    throttle_channel_ = prefix + "throttles";
    leases_ = std::make_unique<lease_slot[]>(cfg.clients.size() * backends_);
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
            // A lease only where every limit has room for many of them: near
            // a limit each request asks for itself (exact).
            std::int64_t room = lease_max;
            for (const auto* l : p.limits)
                room = std::min<std::int64_t>(room, static_cast<std::int64_t>(l->burst) / (32 * divisor));
            p.lease = room >= lease_min ? room : 1;
            if (shared_) {
                p.command = admission_command(p.limits, throttle_keys_[b], p.lease);
                p.single = admission_command(p.limits, throttle_keys_[b], 1);
            }
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
    if (p.limits.empty())
        co_return admission{};  // (other replicas' throttles come by message: throttle_message)
    if (!shared_ || !redis)
        co_return local_.admit(p.limits, now);
    auto& lease = leases_[client * backends_ + backend];
    if (p.lease > 1 && take(lease, now))
        co_return admission{};  // a token of this process's lease
    const bool refill = p.lease > 1 && !lease.refilling.exchange(true, std::memory_order_relaxed);
    auto r = co_await redis::evaluate(*redis, admission_script(), p.lease == 1 || refill ? p.command : p.single);
    if (refill)
        lease.refilling.store(false, std::memory_order_relaxed);
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
        if (decided->what == admission::verdict::admitted && decided->granted > 1) {
            // This request takes one; the rest join what another thread's
            // lease has left (two refills at once waste nothing).
            lease.until.store(now + lease_ttl_us, std::memory_order_relaxed);
            lease.left.fetch_add(decided->granted - 1, std::memory_order_relaxed);
        }
        if (decided->what == admission::verdict::throttled)
            hold_until(*throttles_[backend], now + decided->wait_us);  // this process need not ask again meanwhile
        co_return std::move(*decided);
    }
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    auto a = p.fallback.empty() ? admission{} : fallback_.admit(p.fallback, now);
    a.fallback = true;
    co_return a;
}

bool admission_control::take(lease_slot& lease, std::int64_t now)
{
    if (now >= lease.until.load(std::memory_order_relaxed)) {
        lease.left.store(0, std::memory_order_relaxed);  // expired: what is left is not used
        return false;
    }
    auto left = lease.left.load(std::memory_order_relaxed);
    while (left > 0 && !lease.left.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
    }
    return left > 0;
}

bool admission_control::admit_now(std::size_t client, std::size_t backend)
{
    const auto& p = plan_for(client, backend);
    if (p.lease <= 1 && !p.limits.empty())
        return false;
    const auto now = now_us();
    if (throttles_[backend]->load(std::memory_order_relaxed) > now)
        return false;  // throttled: admit() says so
    return p.limits.empty() || (shared_ && take(leases_[client * backends_ + backend], now));
}

void admission_control::count(const admission& a)
{
    if (a.what == admission::verdict::limited)
        limited_.fetch_add(1, std::memory_order_relaxed);
    else if (a.what == admission::verdict::throttled)
        throttled_.fetch_add(1, std::memory_order_relaxed);
}

void admission_control::throttle_message(std::string_view payload)
{
    const auto m = read_throttle_message(payload);
    if (!m)
        return;
    if (auto it = backend_of_.find(m->first); it != backend_of_.end())
        hold_throttle(it->second, m->second);
}

void admission_control::hold_throttle(std::size_t backend, std::int64_t ms)
{
    if (ms > 0)
        hold_until(*throttles_[backend], now_us() + ms * 1000);
}

namespace {

boost::asio::awaitable<void> share_throttle(std::shared_ptr<redis::connection> redis, redis_status& health,
                                            std::vector<std::string> argv)
{
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
    hold_until(*throttles_[backend], now_us() + ms * 1000);
    if (shared_ && redis)
        boost::asio::co_spawn(redis->executor(),
                              share_throttle(redis->shared_from_this(), redis_health_,
                                             throttle_command(throttle_keys_[backend], throttle_channel_,
                                                              backend_names_[backend], ms)),
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
