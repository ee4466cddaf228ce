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
    fault_action action;
    if (front.covered++ % front.one_in == 0)
        action = fault_action{front.status, front.delay, front.reset, front.after, front.retry_after};
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

// `s` as JSON string content: a JSON text is UTF-8 (RFC 8259 §8.1), and
// Boost.JSON writes a string's bytes as they are. Valid UTF-8 is kept; any
// other byte (obs-text in a header, RFC 9110 §5.5) becomes the Latin-1
// character of that value, so /__sim/state stays valid JSON and loses nothing.
static std::string json_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool valid = len > 0 && i + len <= s.size();
        for (std::size_t k = 1; valid && k < len; ++k)
            valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (valid && len == 2) valid = c >= 0xC2;  // no overlong forms
        if (valid && len == 3) {
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // no overlongs, no surrogates
        }
        if (valid && len == 4) {
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            valid = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90) && c <= 0xF4;
        }
        if (valid) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
            ++i;
        }
    }
    return out;
}

json::value server_state::last_request() const {
    std::lock_guard lock(mutex_);
    if (!last_) return nullptr;
    json::object headers;
    for (const auto& field : *last_) {
        // Header names are case-insensitive: tests look them up in lower case.
        auto name = json_text(lower(field.name_string()));
        const auto value = json_text(field.value());
        if (auto* seen = headers.if_contains(name)) {
            std::string joined(seen->as_string());
            joined.append(", ").append(value);
            *seen = joined;
        } else {
            headers[name] = value;
        }
    }
    const std::string& body = last_->body();
    return json::object{
        {"method", json_text(last_->method_string())},
        {"target", json_text(last_->target())},
        {"headers", std::move(headers)},
        {"body", json_text(std::string_view(body).substr(0, recorded_body_limit))},
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
