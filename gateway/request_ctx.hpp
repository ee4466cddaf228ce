// One request's context (Pingora's CTX): made once by the connection when
// the request's head has been read, handed to every phase of the exchange
// (exchange.hpp), and read by its one exit, which answers a problem if a
// phase left one and writes the access-log line, exactly once.
#pragma once

#include "adapters/adapter.hpp"
#include "adapters/login/login_gate.hpp"
#include "core/errors.hpp"
#include "gateway/access_entry.hpp"
#include "gateway/client_auth.hpp"
#include "gateway/coarse_clock.hpp"
#include "gateway/http_util.hpp"
#include "gateway/route.hpp"
#include "gateway/trace_context.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace bg {

using header_parser = http::request_parser<http::empty_body>;

struct request_ctx {
    request_ctx(worker& w, header_parser& p, const std::string& remote_ip)
        : rt(w.current()), parser(p), log(w, p.get(), remote_ip, request_id_for(p.get()["X-Request-Id"])),
          trace(trace_context::from(p.get()["traceparent"], rt->process->spans != nullptr)),
          client_version(p.get().version()),
          client_keep_alive(p.get().keep_alive()), head_request(p.get().method() == http::verb::head),
          body_follows(!p.is_done())
    {
        log.trace_id = trace.trace_id();
        if (rt->process->spans && trace.sampled())
            log.trace_to(rt->process->spans.get(), &trace, p.get());
    }
    request_ctx(const request_ctx&) = delete;
    request_ctx& operator=(const request_ctx&) = delete;

    // The configuration it started with, held to its end (a reload
    // meanwhile changes what the next request sees, not this one).
    std::shared_ptr<const runtime> rt;
    const config::gateway_config& cfg() const { return *rt->cfg; }

    // 1 read: the client's request. Its head is rewritten in place for the
    // upstream (normalize); its body, when one follows, is still on the
    // connection.
    header_parser& parser;
    http::request<http::empty_body>& req() { return parser.get(); }
    access_entry log;
    // W3C trace context: the client's trace joined, or a new one.
    trace_context trace;
    // What any answer must follow: the client's version and method (no body
    // for HEAD) and whether it keeps the connection. Taken before the head
    // is rewritten.
    unsigned client_version;
    bool client_keep_alive;
    bool head_request;
    bool body_follows;
    bool expect_continue = false;  // answered by the gateway (send_continue)

    // 2 authenticate: whose key it is
    const principal* who = nullptr;
    // 3 route
    route where;
    std::size_t backend_index = 0;               // in rt's backends
    backend_state* state = nullptr;              // rt->backends[backend_index]
    const config::backend* backend = nullptr;    // as rt's configuration has it
    adapters::adapter* adapter = nullptr;
    // 4 normalize: a list's dialect, and the client's own target (the
    // envelope's links are in the client's terms).
    const adapters::list_dialect* dialect = nullptr;
    std::string client_target;

    // 7 send: the upstream exchanges this request made (a replay is the second).
    unsigned attempts = 0;
    // When its head was read: retries end timeouts.request after it (a coarse
    // reading, about 5 ns: the access log's own clock is not read when the log is off).
    coarse_clock::time_point arrived = coarse_clock::now();

    // Spans (tracing:, a sampled trace): the logins this request leads, told
    // by the login gate; set as login_trace::current() before each attach.
    struct login_spans final : adapters::login_trace {
        request_ctx* ctx = nullptr;
        void login(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to,
                   const std::optional<gateway_error>& failure) override
        {
            auto s = span::child_of(ctx->trace);
            s.name = "login " + ctx->log.backend;
            s.what = span::kind::client;
            s.set_times(from, to);
            s.attribute("backup_gateway.backend", ctx->log.backend);
            if (failure) {
                s.error = true;
                s.status_message = failure->detail;
            }
            ctx->log.spans->submit(std::move(s));
        }
    } login_tracer;
    adapters::login_trace* login_trace() { return log.spans ? (login_tracer.ctx = this, &login_tracer) : nullptr; }

    // The exit. A phase that cannot go on leaves its problem here.
    struct failure {
        gateway_error error;
        bool keep_alive = false;  // false when an unread body (or a broken exchange) forbids the next request
        std::string title;        // the vendor's message, for upstream_error
    };
    std::optional<failure> problem;
    void fail(gateway_error e, bool keep, std::string title = {})
    {
        problem = failure{std::move(e), keep, std::move(title)};
    }
    // The answer as written: its status (0: none, the client went away),
    // whether it broke off, whether the connection stays open.
    unsigned status = 0;
    bool aborted = false;
    bool keep_alive = false;
};

}  // namespace bg
