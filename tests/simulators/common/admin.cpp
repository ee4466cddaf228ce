#include "tests/simulators/common/admin.hpp"

#include <chrono>

namespace sim::detail {

namespace json = boost::json;

namespace {

response json_response(http::status status, const json::value& body) {
    response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(body);
    return res;
}

response bad_request(std::string_view why) {
    return json_response(http::status::bad_request, json::object{{"error", why}});
}

json::object counters_json(const counters& c) {
    return {
        {"requests", c.requests.load()},   {"logins", c.logins.load()},
        {"failed_logins", c.failed_logins.load()}, {"refreshes", c.refreshes.load()},
        {"logouts", c.logouts.load()},     {"unauthorized", c.unauthorized.load()},
    };
}

response state_of(const server_state& state) {
    const vendor& v = state.served();
    return json_response(http::status::ok, json::object{
        {"vendor", v.name()},
        {"counters", counters_json(v.stats())},
        {"last_request", state.last_request()},
        {"pending_faults", state.pending_faults()},
        {"vendor_state", v.state()},
    });
}

std::optional<json::object> body_object(const request& req) {
    boost::system::error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) return std::nullopt;
    return std::move(body.as_object());
}

// {"count":N} plus at least one of "status", "delay_ms", "reset"; status and
// reset exclude each other, a delay may come before either.
std::optional<fault> parse_fault(const json::object& body, std::string& why) {
    fault f;
    const auto* count = body.if_contains("count");
    if (!count || !count->is_int64() || count->as_int64() < 1) {
        why = "\"count\" must be an integer >= 1";
        return std::nullopt;
    }
    f.remaining = static_cast<std::uint64_t>(count->as_int64());
    if (const auto* status = body.if_contains("status")) {
        if (!status->is_int64() || status->as_int64() < 100 || status->as_int64() > 599) {
            why = "\"status\" must be an HTTP status code";
            return std::nullopt;
        }
        f.status = static_cast<unsigned>(status->as_int64());
    }
    if (const auto* delay = body.if_contains("delay_ms")) {
        if (!delay->is_int64() || delay->as_int64() < 0) {
            why = "\"delay_ms\" must be an integer >= 0";
            return std::nullopt;
        }
        f.delay = std::chrono::milliseconds{delay->as_int64()};
    }
    if (const auto* reset = body.if_contains("reset")) {
        if (!reset->is_bool()) {
            why = "\"reset\" must be a boolean";
            return std::nullopt;
        }
        f.reset = reset->as_bool();
    }
    if (const auto* after = body.if_contains("after")) {
        if (!after->is_bool() || !f.reset) {
            why = "\"after\" is a boolean, with \"reset\"";
            return std::nullopt;
        }
        f.after = after->as_bool();
    }
    if (const auto* retry_after = body.if_contains("retry_after")) {
        if (retry_after->is_int64() && retry_after->as_int64() >= 0)
            f.retry_after = std::to_string(retry_after->as_int64());
        else if (retry_after->is_string() && !retry_after->as_string().empty())
            f.retry_after = std::string(retry_after->as_string());
        else {
            why = "\"retry_after\" must be seconds (an integer >= 0) or an HTTP-date (a string)";
            return std::nullopt;
        }
    }
    if (const auto* one_in = body.if_contains("one_in")) {
        if (!one_in->is_int64() || one_in->as_int64() < 1) {
            why = "\"one_in\" must be an integer >= 1";
            return std::nullopt;
        }
        f.one_in = static_cast<std::uint64_t>(one_in->as_int64());
    }
    if (f.status && f.reset) {
        why = "\"status\" and \"reset\" exclude each other";
        return std::nullopt;
    }
    if (!f.status && !f.reset && !body.contains("delay_ms")) {
        why = "one of \"status\", \"delay_ms\", \"reset\" is required";
        return std::nullopt;
    }
    return f;
}

response post_faults(server_state& state, const request& req) {
    auto body = body_object(req);
    if (!body) return bad_request("the body must be a JSON object");
    std::string why;
    auto f = parse_fault(*body, why);
    if (!f) return bad_request(why);
    state.add_fault(*f);
    return json_response(http::status::ok, json::object{{"pending_faults", state.pending_faults()}});
}

response post_clock(server_state& state, const request& req) {
    auto body = body_object(req);
    const json::value* advance = body ? body->if_contains("advance_seconds") : nullptr;
    // The clock only moves forward: expiry that already happened stays happened.
    if (!advance || !advance->is_int64() || advance->as_int64() < 0)
        return bad_request("\"advance_seconds\" must be an integer >= 0");
    state.time().advance(std::chrono::seconds{advance->as_int64()});
    auto now = std::chrono::duration_cast<std::chrono::seconds>(state.time().now().time_since_epoch());
    return json_response(http::status::ok, json::object{{"now", now.count()}});
}

response ok() { return json_response(http::status::ok, json::object{{"ok", true}}); }

}  // namespace

response handle_admin(server_state& state, const request& req) {
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view name = path.substr(admin_prefix.size());
    const bool get = req.method() == http::verb::get;
    const bool post = req.method() == http::verb::post;
    if (name == "state" && get) return state_of(state);
    if (name == "faults" && post) return post_faults(state, req);
    if (name == "expire" && post) {
        state.served().expire_all();
        return ok();
    }
    if (name == "reset" && post) {
        state.served().reset();
        state.reset();
        return ok();
    }
    if (name == "clock" && post) return post_clock(state, req);
    bool known = name == "state" || name == "faults" || name == "expire" || name == "reset" || name == "clock";
    if (known) return json_response(http::status::method_not_allowed, json::object{{"error", "method not allowed"}});
    return json_response(http::status::not_found, json::object{{"error", "unknown admin endpoint"}});
}

}  // namespace sim::detail
