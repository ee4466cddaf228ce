#include "tests/simulators/common/server_state.hpp"

#include <algorithm>
#include <cctype>

namespace sim::detail {

namespace json = boost::json;

namespace {

constexpr std::size_t recorded_body_limit = 64 * 1024;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

fault_action server_state::take_fault() {
    if (!has_faults_.load(std::memory_order_acquire)) return {};
    std::lock_guard lock(mutex_);
    if (faults_.empty()) return {};
    fault& front = faults_.front();
    fault_action action{front.status, front.delay, front.reset};
    if (--front.remaining == 0) faults_.pop_front();
    has_faults_.store(!faults_.empty(), std::memory_order_release);
    return action;
}

void server_state::add_fault(const fault& f) {
    std::lock_guard lock(mutex_);
    faults_.push_back(f);
    has_faults_.store(true, std::memory_order_release);
}

std::size_t server_state::pending_faults() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const fault& f : faults_) n += f.remaining;
    return n;
}

void server_state::record(request&& req) {
    std::lock_guard lock(mutex_);
    last_ = std::move(req);
}

json::value server_state::last_request() const {
    std::lock_guard lock(mutex_);
    if (!last_) return nullptr;
    json::object headers;
    for (const auto& field : *last_) {
        // Header names are case-insensitive: tests look them up in lower case.
        auto name = lower(field.name_string());
        if (auto* seen = headers.if_contains(name)) {
            std::string joined(seen->as_string());
            joined.append(", ").append(field.value());
            *seen = joined;
        } else {
            headers[name] = field.value();
        }
    }
    const std::string& body = last_->body();
    return json::object{
        {"method", last_->method_string()},
        {"target", last_->target()},
        {"headers", std::move(headers)},
        {"body", std::string_view(body).substr(0, recorded_body_limit)},
    };
}

void server_state::reset() {
    std::lock_guard lock(mutex_);
    faults_.clear();
    has_faults_.store(false, std::memory_order_release);
    last_.reset();
    counters& c = vendor_.stats();
    for (auto* counter : {&c.requests, &c.logins, &c.failed_logins, &c.refreshes, &c.logouts, &c.unauthorized})
        counter->store(0);
}

}  // namespace sim::detail
