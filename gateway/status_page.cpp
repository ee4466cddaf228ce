#include "gateway/status_page.hpp"

#include "gateway/log.hpp"
#include "gateway/server.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdio>

#ifndef BG_VERSION
#define BG_VERSION "0.0.0"
#endif

namespace bg {
namespace json = boost::json;
namespace {

using sys_clock = std::chrono::system_clock;

using log::rfc3339;

json::value time_or_null(const std::optional<sys_clock::time_point>& t)
{
    return t ? json::value(rfc3339(*t)) : json::value(nullptr);
}

// Three decimals are what a person reads; JSON keeps it a number (divided,
// not multiplied, back: 0.571, not 0.5710000000000001).
double rounded(double v) { return std::round(v * 1000) / 1000; }

json::value ms_or_null(const std::optional<double>& ms) { return ms ? json::value(rounded(*ms)) : json::value(nullptr); }

const char* breaker_name(backend_health::state s)
{
    switch (s) {
    case backend_health::state::open:
        return "open";
    case backend_health::state::half_open:
        return "half-open";
    default:
        return "closed";
    }
}

std::string base_url_of(const config::upstream_url& u)
{
    // Rebuilt from its parts: never a user or password that the URL as written held.
    std::string out = u.scheme + "://";
    out += u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    out += ":" + std::to_string(u.port) + u.base_path;
    return out;
}

json::object credential_of(const adapters::credential_report& r)
{
    json::object c;
    c["kind"] = r.kind;
    const auto now = sys_clock::now();
    std::string_view state = "none";
    if (r.kind == "static")
        state = "static";
    else if (r.kind == "login") {
        if (r.valid_until && *r.valid_until > now)
            state = r.consecutive_failures ? "valid, renewal failing" : "valid";
        else if (r.consecutive_failures)
            state = "failing";
        else
            state = r.valid_until ? "expired" : "not yet obtained";
    }
    c["state"] = state;
    c["valid_until"] = time_or_null(r.valid_until);
    c["last_login"] = time_or_null(r.last_login);
    c["renewals"] = r.renewals;
    c["failures"] = r.failures;
    c["consecutive_failures"] = r.consecutive_failures;
    c["last_failure"] = r.last_failure.empty() ? json::value(nullptr) : json::value(r.last_failure);
    return c;
}

}  // namespace

json::object server::status() const
{
    const auto rt = current();
    const auto& process = *rt->process;
    const auto now = sys_clock::now();
    json::object doc;

    json::object gw;
    gw["version"] = BG_VERSION;
    gw["now"] = rfc3339(now);
    gw["started_at"] = rfc3339(process.started);
    gw["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - process.started).count();
    gw["config_generation"] = rt->generation;
    json::object reload;
    if (const auto r = process.last_reload()) {
        reload["result"] = r->ok ? "success" : "failure";
        reload["at"] = rfc3339(r->at);
        reload["error"] = r->ok ? json::value(nullptr) : json::value(r->error);
    } else {
        reload["result"] = "none";
        reload["at"] = nullptr;
        reload["error"] = nullptr;
    }
    gw["last_reload"] = std::move(reload);
    gw["draining"] = !ready();
    json::object redis;
    redis["configured"] = rt->cfg->redis.has_value();
    redis["reachable"] = rt->cfg->redis ? json::value(rt->admission.redis_health().reachable()) : json::value(nullptr);
    gw["redis"] = std::move(redis);
    doc["gateway"] = std::move(gw);

    json::array backends;
    for (const auto& b : rt->backends) {
        const auto& h = *b->health;
        json::object o;
        o["name"] = b->cfg.name;
        o["type"] = b->cfg.type;
        o["base_url"] = base_url_of(b->cfg.url);
        json::object breaker;
        breaker["state"] = breaker_name(h.current());
        breaker["since"] = rfc3339(h.since());
        breaker["opened_total"] = h.opened();
        o["breaker"] = std::move(breaker);
        o["in_flight"] = h.in_flight();
        const auto limit = b->cfg.concurrency.max_in_flight;
        o["limit"] = limit ? json::value(limit) : json::value(nullptr);
        o["queued"] = h.queued_now();
        const auto m = b->observed.last_minute();
        json::object minute;
        minute["requests"] = m.requests;
        minute["requests_per_second"] = rounded(static_cast<double>(m.requests) / m.seconds);
        minute["errors"] = m.failed;
        minute["error_rate"] = m.requests ? rounded(static_cast<double>(m.failed) / static_cast<double>(m.requests))
                                          : 0.0;
        minute["p50_ms"] = ms_or_null(m.p50_ms);
        minute["p99_ms"] = ms_or_null(m.p99_ms);
        o["last_minute"] = std::move(minute);
        o["credential"] = credential_of(b->adapter->credentials());
        if (const auto f = b->last_failure()) {
            json::object e;
            e["at"] = rfc3339(f->at);
            e["detail"] = f->detail;
            o["last_error"] = std::move(e);
        } else {
            o["last_error"] = nullptr;
        }
        backends.push_back(std::move(o));
    }
    doc["backends"] = std::move(backends);

    json::array clients;
    for (std::size_t i = 0; i < rt->cfg->clients.size(); ++i) {
        json::object c;
        c["name"] = rt->cfg->clients[i].name;
        c["requests"] = rt->client_stats[i]->requests.value();
        c["rate_limited"] = rt->client_stats[i]->rate_limited.value();
        clients.push_back(std::move(c));
    }
    doc["clients"] = std::move(clients);
    return doc;
}

void server::reopen_logs()
{
    if (current()->access().reopen())
        log::info("access log reopened");
}

// ---- The page ------------------------------------------------------------

namespace {

void escape_into(std::string& out, std::string_view s)
{
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

std::string text(const json::value* v)
{
    if (!v || v->is_null())
        return "—";
    if (v->is_string())
        return std::string(v->get_string());
    if (v->is_bool())
        return v->get_bool() ? "yes" : "no";
    if (v->is_double()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", v->get_double());
        return buf;
    }
    if (v->is_int64())
        return std::to_string(v->get_int64());
    if (v->is_uint64())
        return std::to_string(v->get_uint64());
    return json::serialize(*v);
}

const json::value* at(const json::object& o, std::string_view a, std::string_view b = {})
{
    const auto* v = o.if_contains(a);
    if (v && !b.empty())
        v = v->is_object() ? v->as_object().if_contains(b) : nullptr;
    return v;
}

class page {
public:
    page& raw(std::string_view s)
    {
        out_ += s;
        return *this;
    }
    page& esc(std::string_view s)
    {
        escape_into(out_, s);
        return *this;
    }
    // <td class="cls">text</td>
    page& cell(std::string_view cls, std::string_view s, std::string_view title = {})
    {
        raw("<td class=\"").raw(cls).raw("\"");
        if (!title.empty())
            raw(" title=\"").esc(title).raw("\"");
        return raw(">").esc(s).raw("</td>");
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// A timestamp of the document, short when it is of the same day as `today`
// (the document's "now"): "08:34:41Z"; else whole.
std::string when(const json::value* v, std::string_view today)
{
    if (!v || !v->is_string())
        return "—";
    const std::string_view t = v->get_string();
    if (t.size() == 20 && today.size() == 20 && t.substr(0, 10) == today.substr(0, 10))
        return std::string(t.substr(11));
    return std::string(t);
}

std::string duration_text(std::int64_t seconds)
{
    const auto d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60, s = seconds % 60;
    char buf[48];
    if (d)
        std::snprintf(buf, sizeof buf, "%lldd %lldh %lldm", static_cast<long long>(d), static_cast<long long>(h),
                      static_cast<long long>(m));
    else if (h)
        std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(h), static_cast<long long>(m));
    else
        std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(m), static_cast<long long>(s));
    return buf;
}

constexpr std::string_view style = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2329;background:#fbfbfc}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.6em 0 .4em}
dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0}dt{color:#5b6670}dd{margin:0}
table{border-collapse:collapse;width:100%;background:#fff}
table{font-size:13px}
th,td{border-bottom:1px solid #e3e6e9;padding:.35em .45em;text-align:left;vertical-align:top}
td.base-url{overflow-wrap:anywhere;max-width:16em}td.last-error{min-width:14em}
#clients{width:auto;min-width:32em}
th{background:#f1f3f5;font-weight:600;white-space:nowrap}
th.num,td.num,td.breaker{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.breaker{text-align:left}
.state{display:inline-block;padding:0 .5em;border-radius:.6em;font-weight:600}
.closed .state,.ok{background:#dff3e4;color:#1e6b34}.open .state,.bad{background:#fde2e1;color:#9b1c17}
.half-open .state,.warn{background:#fff1cc;color:#7a5200}
.detail{color:#5b6670;font-size:.92em;max-width:24em;overflow-wrap:break-word}
td.credential{white-space:nowrap}
.detail .ok,.detail .bad{padding:0 .3em;border-radius:.3em}
footer{margin-top:2em;color:#8a949c;font-size:.85em}
)";

}  // namespace

std::string render_status_html(const json::object& status)
{
    page p;
    const json::object empty;
    const auto& gw = status.contains("gateway") && status.at("gateway").is_object() ? status.at("gateway").as_object()
                                                                                   : empty;
    const auto* now = at(gw, "now");
    const std::string today = now && now->is_string() ? std::string(now->get_string()) : std::string();
    p.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"refresh\" content=\"5\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<title>backup-gateway status</title><style>")
        .raw(style)
        .raw("</style></head><body>\n<h1>backup-gateway</h1>\n");

    // The gateway.
    const auto* draining = at(gw, "draining");
    const bool is_draining = draining && draining->is_bool() && draining->get_bool();
    p.raw("<section id=\"gateway\"><dl>");
    auto field = [&](std::string_view name, std::string_view label, const std::string& value,
                     std::string_view cls = {}) {
        p.raw("<dt>").esc(label).raw("</dt><dd data-field=\"").raw(name).raw("\"");
        if (!cls.empty())
            p.raw(" class=\"").raw(cls).raw("\"");
        p.raw(">").esc(value).raw("</dd>");
    };
    field("version", "version", text(at(gw, "version")));
    field("now", "page made at", text(now));
    const auto* up = at(gw, "uptime_seconds");
    field("uptime", "up for", up && up->is_int64() ? duration_text(up->get_int64()) + " (since " +
                                                         text(at(gw, "started_at")) + ")"
                                                   : "—");
    field("generation", "configuration generation", text(at(gw, "config_generation")));
    const auto reload_result = text(at(gw, "last_reload", "result"));
    std::string reload = reload_result == "none" ? "none since the start" : reload_result + " at " +
                                                                                when(at(gw, "last_reload", "at"), today);
    if (reload_result == "failure")
        reload += ": " + text(at(gw, "last_reload", "error"));
    field("last-reload", "last reload", reload, reload_result == "failure" ? "bad" : "");
    field("draining", "draining", is_draining ? "yes: not ready, finishing what is in flight" : "no",
          is_draining ? "warn" : "");
    const auto* configured = at(gw, "redis", "configured");
    const auto* reachable = at(gw, "redis", "reachable");
    if (configured && configured->is_bool() && configured->get_bool()) {
        const bool ok = reachable && reachable->is_bool() && reachable->get_bool();
        field("redis", "Redis", ok ? "reachable" : "unreachable: each replica decides alone", ok ? "ok" : "bad");
    } else {
        field("redis", "Redis", "not configured (one replica)");
    }
    p.raw("</dl></section>\n");

    // The backends.
    p.raw("<h2>Backends</h2>\n<table id=\"backends\"><thead><tr><th>backend</th><th>type</th><th>base URL</th>"
          "<th>circuit breaker</th><th class=\"num\" title=\"in flight / concurrency limit (queued)\">in flight</th>"
          "<th class=\"num\" title=\"requests per second over the last minute\">req/s</th>"
          "<th class=\"num\" title=\"share of the last minute's requests answered 5xx\">errors</th>"
          "<th class=\"num\" title=\"the last minute's median latency\">p50</th>"
          "<th class=\"num\" title=\"the last minute's 99th percentile\">p99</th>"
          "<th>credential</th><th>last upstream error</th>"
          "</tr></thead><tbody>\n");
    if (const auto* list = status.if_contains("backends"); list && list->is_array()) {
        for (const auto& v : list->get_array()) {
            if (!v.is_object())
                continue;
            const auto& b = v.get_object();
            const auto name = text(at(b, "name"));
            const auto state = text(at(b, "breaker", "state"));
            p.raw("<tr class=\"backend ").esc(state).raw("\" data-backend=\"").esc(name).raw("\" data-breaker=\"")
                .esc(state)
                .raw("\">");
            p.cell("name", name).cell("type", text(at(b, "type"))).cell("base-url", text(at(b, "base_url")));
            p.raw("<td class=\"breaker\"><span class=\"state\">")
                .esc(state)
                .raw("</span> since <span title=\"")
                .esc(text(at(b, "breaker", "since")))
                .raw("\">")
                .esc(when(at(b, "breaker", "since"), today))
                .raw("</span></td>");
            const auto* limit = at(b, "limit");
            p.cell("in-flight num", text(at(b, "in_flight")) + " / " +
                                        (limit && !limit->is_null() ? text(limit) : std::string("no limit")) + " (" +
                                        text(at(b, "queued")) + ")");
            p.cell("rps num", text(at(b, "last_minute", "requests_per_second")),
                   text(at(b, "last_minute", "requests")) + " requests in the last minute");
            std::string errors = "—";
            if (const auto* rate = at(b, "last_minute", "error_rate"); rate && rate->is_number()) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.1f %%", rate->to_number<double>() * 100);
                errors = buf;
            }
            p.cell("error-rate num", errors, text(at(b, "last_minute", "errors")) + " answered 5xx");
            auto ms = [&](std::string_view k) {
                const auto* q = at(b, "last_minute", k);
                return q && q->is_number() ? text(q) + " ms" : std::string("—");
            };
            p.cell("p50 num", ms("p50_ms")).cell("p99 num", ms("p99_ms"));
            // The credential: its state, until when, the last login, failures (a line each).
            const auto kind = text(at(b, "credential", "kind"));
            const auto cred_state = text(at(b, "credential", "state"));
            p.raw("<td class=\"credential detail\">");
            if (kind == "login") {
                p.raw("<span class=\"").raw(cred_state.starts_with("valid") ? "ok" : "bad").raw("\">");
                p.esc(cred_state).raw("</span>");
                const auto* until = at(b, "credential", "valid_until");
                if (until && until->is_string())
                    p.raw("<br>until ").esc(when(until, today));
                const auto* last = at(b, "credential", "last_login");
                p.raw("<br>last login ").esc(last && last->is_string() ? when(last, today) : "never");
                const auto* failures = at(b, "credential", "consecutive_failures");
                if (failures && failures->is_number() && failures->to_number<std::uint64_t>() > 0)
                    p.raw("<br>").esc(text(failures) + " failed in a row: " +
                                      text(at(b, "credential", "last_failure")));
            } else if (kind == "static") {
                p.raw("static keys<br>(each request signed)");
            } else {
                p.raw("none");
            }
            p.raw("</td>");
            const auto* err = at(b, "last_error");
            p.raw("<td class=\"last-error detail\">");
            if (err && err->is_object())
                p.raw("<span title=\"")
                    .esc(text(at(b, "last_error", "at")))
                    .raw("\">")
                    .esc(when(at(b, "last_error", "at"), today))
                    .raw("</span><br>")
                    .esc(text(at(b, "last_error", "detail")));
            else
                p.raw("—");
            p.raw("</td>");
            p.raw("</tr>\n");
        }
    }
    p.raw("</tbody></table>\n");

    // The clients.
    p.raw("<h2>Clients</h2>\n<table id=\"clients\"><thead><tr><th>client</th><th class=\"num\">requests</th>"
          "<th class=\"num\">refused by a rate limit</th></tr></thead><tbody>\n");
    if (const auto* list = status.if_contains("clients"); list && list->is_array()) {
        for (const auto& v : list->get_array()) {
            if (!v.is_object())
                continue;
            const auto& c = v.get_object();
            const auto name = text(at(c, "name"));
            p.raw("<tr class=\"client\" data-client=\"").esc(name).raw("\">");
            p.cell("name", name).cell("requests num", text(at(c, "requests")));
            p.cell("rate-limited num", text(at(c, "rate_limited")));
            p.raw("</tr>\n");
        }
    }
    p.raw("</tbody></table>\n<footer>Latency and rates over the last minute, from this replica's traffic. Refreshes every 5 s. The same facts as JSON: <a href=\"status.json\">"
          "status.json</a>; counters for Prometheus: <a href=\"metrics\">metrics</a>.</footer>\n</body></html>\n");
    return p.take();
}

}  // namespace bg
