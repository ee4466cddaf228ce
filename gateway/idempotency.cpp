#include "gateway/idempotency.hpp"

#include <algorithm>

namespace bg {

namespace {

std::size_t size_of(const stored_answer& a)
{
    std::size_t n = a.body.size() + 64;
    for (const auto& [name, value] : a.headers)
        n += name.size() + value.size();
    return n;
}

}  // namespace

memory_idempotency_store::memory_idempotency_store(std::size_t max_records, std::size_t max_bytes,
                                                   clock::time_point (*now)())
    : now_(now), max_records_(std::max<std::size_t>(max_records, 1)), max_bytes_(max_bytes)
{
}

idempotency_store::lookup memory_idempotency_store::begin(const std::string& scope, const std::string& fingerprint,
                                                          std::chrono::seconds ttl)
{
    const auto now = now_();
    std::lock_guard lock(mutex_);
    trim(now);
    if (auto it = records_.find(scope); it != records_.end()) {
        if (it->second.expires > now) {
            const auto& r = it->second;
            if (r.fingerprint != fingerprint)
                return {state::mismatch, nullptr, {}};
            return {r.what, r.answer, {}};
        }
        forget(it);
    }
    const auto serial = next_serial_++;
    records_.emplace(scope, record{state::running, fingerprint, nullptr, now + ttl, serial});
    order_.emplace_back(scope, serial);
    return {state::fresh, nullptr, {}};
}

void memory_idempotency_store::answered(const std::string& scope, stored_answer answer)
{
    std::lock_guard lock(mutex_);
    auto it = records_.find(scope);
    if (it == records_.end())
        return;
    auto kept = std::make_shared<stored_answer>(std::move(answer));
    if (size_of(*kept) > max_bytes_ / 4) {  // one answer never takes most of the store
        kept->body.clear();
        kept->body_kept = false;
    }
    bytes_ += size_of(*kept);
    it->second.what = state::answered;
    it->second.answer = std::move(kept);
    trim(now_());
}

void memory_idempotency_store::unknown(const std::string& scope)
{
    std::lock_guard lock(mutex_);
    if (auto it = records_.find(scope); it != records_.end())
        it->second.what = state::unknown;
}

void memory_idempotency_store::release(const std::string& scope)
{
    std::lock_guard lock(mutex_);
    if (auto it = records_.find(scope); it != records_.end())
        forget(it);
}

boost::asio::awaitable<std::variant<idempotency_store::lookup, gateway_error>>
memory_idempotency_store::begin(const std::string& scope, const std::string& fingerprint, std::chrono::seconds ttl,
                                std::chrono::milliseconds)
{
    co_return begin(scope, fingerprint, ttl);
}

boost::asio::awaitable<void> memory_idempotency_store::answered(const std::string& scope, const std::string&,
                                                                const stored_answer& answer)
{
    answered(scope, stored_answer(answer));
    co_return;
}

boost::asio::awaitable<void> memory_idempotency_store::unknown(const std::string& scope, const std::string&)
{
    unknown(scope);
    co_return;
}

boost::asio::awaitable<void> memory_idempotency_store::release(const std::string& scope, const std::string&)
{
    release(scope);
    co_return;
}

void memory_idempotency_store::forget(std::unordered_map<std::string, record>::iterator it)
{
    if (it->second.answer)
        bytes_ -= size_of(*it->second.answer);
    records_.erase(it);  // its order_ entry goes when it reaches the front (its serial no longer matches)
}

void memory_idempotency_store::trim(clock::time_point now)
{
    // Oldest first: expired ones, then finished ones while over a bound.
    std::size_t skipped_running = 0;
    while (order_.size() > skipped_running) {
        auto& [scope, serial] = order_[skipped_running];
        auto it = records_.find(scope);
        if (it == records_.end() || it->second.serial != serial) {
            order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(skipped_running));
            continue;
        }
        const bool expired = it->second.expires <= now;
        const bool over = records_.size() > max_records_ || bytes_ > max_bytes_;
        if (!expired && !over)
            break;
        if (!expired && it->second.what == state::running) {
            ++skipped_running;  // never dropped while it runs
            continue;
        }
        forget(it);
        order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(skipped_running));
    }
}

std::size_t memory_idempotency_store::size() const
{
    std::lock_guard lock(mutex_);
    return records_.size();
}

std::size_t memory_idempotency_store::bytes() const
{
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::string idempotency_scope(std::string_view principal, std::string_view backend, std::string_view method,
                              std::string_view path, std::string_view key)
{
    std::string out;
    out.reserve(principal.size() + backend.size() + method.size() + path.size() + key.size() + 4);
    for (const auto part : {principal, backend, method, path}) {
        out += part;
        out += '\n';  // never inside a part: names, a method, a path and a visible-ASCII key
    }
    out += key;
    return out;
}

std::optional<std::string> parse_idempotency_key(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
        if (v.find_first_of("\"\\") != std::string_view::npos)
            return std::nullopt;  // an escape inside: not worth supporting
    }
    if (v.empty() || v.size() > 255)
        return std::nullopt;
    if (!std::all_of(v.begin(), v.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        return std::nullopt;
    return std::string(v);
}

}  // namespace bg
