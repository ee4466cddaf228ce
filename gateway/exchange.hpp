// The exchange: phases 2–10 of one request (docs/architecture.md draws them),
// after the connection has read its head (phase 1):
//
//   run(ctx)
//     2 authenticate, 3 route        admit()
//     4 normalize                    normalize()
//     lists:                         proxy_list()  (list_merge plans the calls)
//     5 build, 6 credentials,        proxy_buffered() / proxy_streamed():
//     7 send, 8 decode, 9 relay        build_request, send_with_credentials,
//                                      replay_or_refuse, answer(), relay_streamed()
//     10 the exit                    a problem a phase left, answered (answer_problem());
//                                    the log line, once
//
// It does not know the client's stream: the connection hands itself in as
// the Downstream, which reads the request's body, writes whole answers and
// relays streamed ones (http1_connection in connection.cpp: plain or TLS
// HTTP/1.1). A phase that cannot go on leaves a problem in the context and
// returns; only finish() answers it.
//
// Coroutine frames here stay under 1,020 bytes where they are on every
// request: Asio reuses a thread's freed frames only up to that size, and a
// larger one, kept in its few reuse slots, pushes the small ones out (then
// every frame of a request is allocated and freed anew). Rare paths (a body
// to read, a replay, a streamed answer) are coroutines of their own.
// (GCC 12 mishandles co_await inside ?:, && and ||, and temporaries with
// destructors inside a co_await expression: call sites use named locals.)
#pragma once

#include "core/ascii.hpp"
#include "gateway/client_auth.hpp"
#include "gateway/idempotency.hpp"
#include "adapters/common/crypto.hpp"
#include "adapters/common/encoding.hpp"
#include "gateway/list_merge.hpp"
#include "gateway/local_query.hpp"
#include "gateway/pagination.hpp"
#include "gateway/query.hpp"
#include "gateway/relay.hpp"
#include "gateway/request_checks.hpp"
#include "gateway/request_ctx.hpp"
#include "gateway/resilience.hpp"
#include "gateway/upstream.hpp"
#include "gateway/worker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <deque>
#include <span>
#include <optional>
#include <string>
#include <vector>

namespace bg {

template <class Downstream>
class exchange {
public:
    exchange(worker& w, Downstream& down) : w_(w), down_(down) {}

    // Phases 2–10 for the request in `ctx`. Returns whether the connection
    // stays open for the next request.
    // (The dispatch and the exit are written out here rather than in
    // coroutines of their own: each would be one more frame per request.)
    awaitable<bool> run(request_ctx& ctx)
    {
        // 3b: a slot of the backend's concurrency limit, at once or after
        // waiting in its queue (the rare case: its own coroutine).
        // 3a: the rate limits and the vendor's throttle (a coroutine only
        // when a limit or Redis is configured).
        bool entered = admit(ctx);
        if (entered && ctx.rt->admission.active()) {
            if (!ctx.rt->admission.admit_now(ctx.who->index, ctx.backend_index))
                entered = co_await within_limits(ctx);
        }
        else if (entered)
            entered = not_throttled(ctx);
        entered = entered && enter(ctx);
        if (!entered && ctx.backend && !ctx.problem)
            entered = co_await wait_for_slot(ctx);
        if (entered) {
            normalize(ctx);
            if (ctx.dialect)
                co_await proxy_list(ctx);
            else if (keyed(ctx))
                co_await proxy_keyed(ctx);
            else if (buffered(ctx))
                co_await proxy_buffered(ctx);
            else
                co_await proxy_streamed(ctx);
            ctx.state->health->leave();
        }
        // 10: the problem a phase left, answered; then the access-log line,
        // written here and only here.
        if (ctx.problem)
            co_await answer_problem(ctx);
        ctx.log.attempts = ctx.attempts;
        ctx.log.finish(ctx.status, ctx.aborted);
        co_return ctx.keep_alive;
    }

    // The exit, for a request the connection refused before the exchange
    // began (its head could not be read): `e` answered, the connection closed.
    // (`e` by reference: GCC 12 mishandles a by-value argument of a coroutine
    // called in a co_await expression.)
    awaitable<void> refuse(request_ctx& ctx, const gateway_error& e)
    {
        ctx.head_request = false;  // the request was not understood: the problem has its body
        ctx.fail(e, false);
        co_await answer_problem(ctx);
        ctx.log.finish(ctx.status, ctx.aborted);
    }

private:
    static constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    // Request bodies up to this size are read whole before going upstream, so
    // a request can be signed and replayed; larger ones stream.
    static constexpr std::size_t buffered_body_limit = 1024 * 1024;
    // Upstream answers read whole: errors (to become problems) and small successes.
    static constexpr std::uint64_t worth_reading = 64 * 1024;
    // An answer to a keyed request is kept up to this size, to be given again.
    static constexpr std::uint64_t stored_answer_limit = 1024 * 1024;


    // ---- 2–9 -------------------------------------------------------------

    // Whether the request's body (if any) is read whole before it goes
    // upstream (then it can be signed and replayed), or streams.
    bool buffered(request_ctx& ctx) const
    {
        const auto length = ctx.parser.content_length();
        const auto buffer_up_to = ctx.adapter->buffered_body_limit().value_or(buffered_body_limit);
        return !ctx.body_follows || (length && *length <= buffer_up_to);
    }

    // The client's and the backend's rate limits and the vendor's throttle,
    // shared by the replicas through Redis when it is configured. false:
    // refused (429, in ctx).
    awaitable<bool> within_limits(request_ctx& ctx)
    {
        auto& control = ctx.rt->admission;
        const auto a = co_await control.admit(w_.redis(), ctx.who->index, ctx.backend_index);
        if (a.what == admission::verdict::admitted)
            co_return true;
        refuse_admission(ctx, a);
        co_return false;
    }

    // Without limits or Redis: only this process's record of a vendor 429.
    bool not_throttled(request_ctx& ctx)
    {
        const auto wait = ctx.rt->admission.throttled(ctx.backend_index);
        if (wait == 0)
            return true;
        admission a;
        a.what = admission::verdict::throttled;
        a.wait_us = wait;
        refuse_admission(ctx, a);
        return false;
    }

    void refuse_admission(request_ctx& ctx, const admission& a)
    {
        auto& control = ctx.rt->admission;
        control.count(a);
        const auto seconds = std::max<std::int64_t>(1, (a.wait_us + 999'999) / 1'000'000);
        gateway_error e;
        if (a.what == admission::verdict::throttled) {
            e = gateway_error{errc::upstream_throttled,
                              "backend '" + ctx.backend->name +
                                  "' answered 429 with Retry-After (to this or another replica of the gateway): "
                                  "nothing is sent to it for " +
                                  std::to_string(seconds) + " s more",
                              {}, {}};
        } else {
            const auto& limits = control.limits(ctx.who->index, ctx.backend_index, a.fallback);
            std::string spent;
            for (std::size_t i = 0; i < limits.size() && i < a.states.size(); ++i)
                if (a.states[i].remaining == 0)
                    spent += (spent.empty() ? "" : "; ") + limits[i]->described;
            if (ctx.log.client)
                ctx.log.client->rate_limited.add();
            e = gateway_error{errc::rate_limited,
                              "rate limit spent: " + spent + (a.fallback ? " (this replica's share while the shared "
                                                                           "store is unreachable)"
                                                                         : "") +
                                  "; retry in " + std::to_string(seconds) + " s",
                              {}, {}};
            e.headers.emplace_back("RateLimit-Policy", ratelimit_policy_field(limits));
            e.headers.emplace_back("RateLimit", ratelimit_field(limits, a));
        }
        e.headers.emplace_back("Retry-After", std::to_string(seconds));
        ctx.fail(std::move(e), ctx.client_keep_alive && !ctx.body_follows);
    }

    // A vendor's 429 with Retry-After: nothing more goes to it for that long,
    // from this replica and (through Redis) from the others.
    void note_throttle(const request_ctx& ctx, unsigned status, std::string_view retry_after)
    {
        if (status != 429 || retry_after.empty())
            return;
        const auto wait = parse_retry_after(retry_after, std::chrono::system_clock::now());
        if (!wait || wait->count() <= 0)
            return;
        // At most 10 minutes: a vendor's mistake must not stop a backend for a day.
        const auto ms = std::min<std::int64_t>(wait->count(), 600'000);
        ctx.rt->admission.vendor_throttled(w_.redis(), ctx.backend_index, ms);
    }
    void note_throttle(const request_ctx& ctx, const exchange_result& r)
    {
        if (const auto* ex = std::get_if<upstream_exchange>(&r)) {
            const auto& head = ex->parser->get();
            if (head.result_int() == 429)
                note_throttle(ctx, 429, head[http::field::retry_after]);
        }
    }

    // A slot of the backend's concurrency limit, if one is free.
    bool enter(request_ctx& ctx) { return ctx.state->health->try_enter(); }

    // None was: wait in the backend's bounded queue, at most
    // concurrency.queue_wait; false: refused (503 backend-overloaded, in ctx).
    awaitable<bool> wait_for_slot(request_ctx& ctx)
    {
        struct slot_wait final : backend_health::waiter, std::enable_shared_from_this<slot_wait> {
            explicit slot_wait(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
            void grant() override
            {
                asio::post(executor, [self = this->shared_from_this()] { self->timer.cancel(); });
            }
            asio::any_io_executor executor;
            asio::steady_timer timer;
        };
        auto& health = *ctx.state->health;
        const auto& limits = ctx.backend->concurrency;
        auto wait = std::make_shared<slot_wait>(co_await asio::this_coro::executor);
        wait->timer.expires_after(limits.queue_wait);  // before it is queued: grant() may cancel it at once
        const auto queued = health.enter_or_queue(wait);
        if (queued == backend_health::queued::entered)
            co_return true;
        if (queued == backend_health::queued::waiting) {
            co_await wait->timer.async_wait(use_tuple);
            if (!health.withdraw(wait))
                co_return true;  // granted
        }
        gateway_error e{errc::backend_overloaded,
                        "backend '" + ctx.backend->name + "' has " + std::to_string(limits.max_in_flight) +
                            " requests in flight (concurrency.max_in_flight) and " +
                            (queued == backend_health::queued::full
                                 ? std::to_string(limits.queue) + " waiting (concurrency.queue)"
                                 : "this one waited " + std::to_string(limits.queue_wait.count()) +
                                       " ms (concurrency.queue_wait)"),
                        {}, {}};
        e.headers.emplace_back("Retry-After", "1");
        ctx.fail(std::move(e), ctx.client_keep_alive && !ctx.body_follows);
        co_return false;
    }

    // Whether the request goes through the idempotency store: a POST or
    // PATCH to a backend whose idempotency.keys is not off, with a key (or
    // required to have one).
    bool keyed(request_ctx& ctx) const
    {
        const auto method = ctx.req().method();
        if (method != http::verb::post && method != http::verb::patch)
            return false;
        const auto policy = ctx.backend->idempotency.keys;
        using p = config::idempotency_settings::policy;
        if (policy == p::off) {
            ctx.req().erase("Idempotency-Key");  // the gateway's header, never the vendor's
            return false;
        }
        return policy == p::required || ctx.req().find("Idempotency-Key") != ctx.req().end();
    }

    // Expect: 100-continue, answered once the request is known to be
    // acceptable. false: the client went away.
    awaitable<bool> continue_body(request_ctx& ctx)
    {
        const bool continued = co_await down_.send_continue(ctx.expect_continue);
        if (!continued)
            ctx.aborted = true;
        co_return continued;
    }

    // The head checked (request_checks.hpp: framing, Host, method, one
    // credential header), 2 authenticate (the gateway key), 3 route (the
    // backend, and whether the key may reach it). false: refused, the
    // problem left in ctx.
    bool admit(request_ctx& ctx)
    {
        auto& req = ctx.req();
        if (auto e = check_request_head(req)) {
            // Not understood well enough to find where it ends: close after the answer.
            ctx.fail(std::move(*e), false);
            return false;
        }
        // An unread body would be taken for the next request: close instead.
        const bool keep_alive = req.keep_alive() && !ctx.body_follows;
        auto who = ctx.rt->auth.authenticate(req, down_.known_key());
        if (auto* e = std::get_if<gateway_error>(&who)) {
            ctx.fail(std::move(*e), keep_alive);
            return false;
        }
        const principal& p = *std::get<const principal*>(who);
        ctx.who = &p;
        ctx.log.principal = p.name;
        ctx.log.client = ctx.rt->client_stats[p.index];
        auto routed = parse_route(req.target());
        if (auto* e = std::get_if<gateway_error>(&routed)) {
            ctx.fail(std::move(*e), keep_alive);
            return false;
        }
        ctx.where = std::get<route>(routed);
        const auto* index = ctx.rt->find_backend(ctx.where.backend);
        if (!index) {
            ctx.fail(gateway_error{errc::unknown_backend,
                                   "no backend named '" + std::string(ctx.where.backend) + "'", {}, {}},
                     keep_alive);
            return false;
        }
        const auto& backend = ctx.cfg().backends[*index];
        ctx.log.backend = backend.name;
        if (!p.may_reach(backend.name)) {
            ctx.fail(gateway_error{errc::forbidden,
                                   "the key of '" + p.name + "' may not reach backend '" + backend.name + "'", {},
                                   {}},
                     keep_alive);
            return false;
        }
        ctx.backend_index = *index;
        ctx.backend = &backend;
        ctx.state = ctx.rt->backends[*index].get();
        ctx.log.state = ctx.state;
        ctx.adapter = ctx.state->adapter.get();
        return true;
    }

    // 4 normalize: the client's head becomes the upstream's, in place; a GET
    // or HEAD of a collection the adapter knows is a list (whose envelope
    // needs the client's own target, kept before the head is rewritten).
    void normalize(request_ctx& ctx)
    {
        auto& req = ctx.req();
        std::string target = upstream_path(ctx.backend->url.base_path, ctx.where);
        if (!ctx.body_follows && (req.method() == http::verb::get || req.method() == http::verb::head))
            ctx.dialect = ctx.adapter->list_at(std::string_view(target).substr(0, target.find('?')));
        if (ctx.dialect)
            ctx.client_target = std::string(req.target());
        const bool chunked = req.chunked();
        ctx.expect_continue = bg::iequals(req[http::field::expect], "100-continue");
        const std::string forwarded_host(req[http::field::host]);
        // Every X-Forwarded-For line a client (or a proxy before us) sent, not just the first.
        const std::string xff = forwarded_for(combined_values(req, "X-Forwarded-For"), down_.remote_ip());
        remove_hop_by_hop(req);
        req.erase(http::field::authorization);  // the client's gateway key never goes upstream
        req.erase("X-API-Key");
        remove_owned(req, ctx.adapter->owned_headers());  // the vendor's credentials are the gateway's to set
        req.erase(http::field::expect);  // answered here, see Downstream::send_continue()
        req.target(target);
        req.version(11);
        req.set(http::field::host, ctx.state->target->host_header());
        req.set("X-Forwarded-For", xff);
        // W3C trace context: the gateway's span is the vendor's parent; a
        // tracestate goes on only with the traceparent it came with.
        req.set("traceparent", ctx.trace.header());
        if (!ctx.trace.joined)
            req.erase("tracestate");
        req.set("X-Forwarded-Proto", down_.tls() ? "https" : "http");
        if (!forwarded_host.empty())
            req.set("X-Forwarded-Host", forwarded_host);
        req.set("X-Request-Id", ctx.log.request_id);
        if (chunked)
            req.chunked(true);
    }

    // The client's fields that the adapter's credentials, session or
    // signature own (X-Amz-* for SigV4): the client authenticates to the
    // gateway, and the gateway's key must not sign what the client chose.
    static void remove_owned(http::request_header<>& req, std::span<const std::string_view> owned)
    {
        if (owned.empty())
            return;
        for (auto it = req.begin(); it != req.end();) {
            const auto name = it->name_string();
            const bool is_owned = std::any_of(owned.begin(), owned.end(), [&](std::string_view o) {
                return o.ends_with('*') ? name.size() >= o.size() - 1 &&
                                              bg::iequals(name.substr(0, o.size() - 1), o.substr(0, o.size() - 1))
                                        : bg::iequals(name, o);
            });
            it = is_owned ? req.erase(it) : std::next(it);
        }
    }

    // A request whose body (if any) is read whole: 5 build, 6 credentials,
    // 7 send, then the answer.
    awaitable<void> proxy_buffered(request_ctx& ctx)
    {
        http::request<http::string_body> req;
        if (ctx.parser.is_done()) {
            req = with_string_body(std::move(ctx.parser));
        } else {
            auto read = co_await read_buffered_body(ctx);
            if (!read)
                co_return;
            req = std::move(*read);
        }
        ctx.log.bytes_in = req.body().size();
        req.prepare_payload();

        ctx.adapter->build_request(req);
        auto upstream_calls = w_.client_for(*ctx.state);
        auto result = co_await send_with_credentials(ctx, req, upstream_calls);
        if (may_retry(ctx, req, result)) {
            const bool answered = co_await retry_buffered(ctx, req, upstream_calls, result);
            if (answered)
                co_return;
        }
        if (auto* e = std::get_if<gateway_error>(&result)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            co_return;
        }
        auto& ex = std::get<upstream_exchange>(result);
        if (rejected_credentials(ex, *ctx.adapter, req))
            co_await replay_or_refuse(ctx, ex, req, upstream_calls);
        else
            co_await answer(ctx, ex);
    }

    // A POST or PATCH with an Idempotency-Key (docs/resilience.md): its body
    // read whole and fingerprinted, the key claimed in the store, then sent
    // once. A duplicate while the first runs: 409; with another body: 422;
    // after it was answered: the same answer again (Idempotent-Replayed:
    // true); after its answer was lost: 502 outcome-unknown again, never a
    // second send.
    awaitable<void> proxy_keyed(request_ctx& ctx)
    {
        const auto& settings = ctx.backend->idempotency;
        auto& head = ctx.req();
        const bool can_answer = !ctx.body_follows;  // otherwise the unread body closes the connection
        if (head.count("Idempotency-Key") > 1) {
            ctx.fail(gateway_error{errc::bad_request, "header Idempotency-Key is given more than once", {}, {}},
                     ctx.client_keep_alive && can_answer);
            co_return;
        }
        const auto given = head["Idempotency-Key"];
        if (given.empty() && head.find("Idempotency-Key") == head.end()) {
            ctx.fail(gateway_error{errc::bad_request,
                                   "backend '" + ctx.backend->name + "' requires an Idempotency-Key on " +
                                       std::string(head.method_string()) +
                                       " (idempotency.keys: required): a job start must be safe to repeat",
                                   {}, {}},
                     ctx.client_keep_alive && can_answer);
            co_return;
        }
        const auto key = parse_idempotency_key(given);
        if (!key) {
            ctx.fail(gateway_error{errc::bad_request,
                                   "header Idempotency-Key must be 1 to 255 visible ASCII characters, as a "
                                   "string (\"k-1\") or bare",
                                   {}, {}},
                     ctx.client_keep_alive && can_answer);
            co_return;
        }
        head.erase("Idempotency-Key");
        http::request<http::string_body> req;
        if (ctx.parser.is_done()) {
            req = with_string_body(std::move(ctx.parser));
        } else {
            auto read = co_await read_buffered_body(ctx);
            if (!read)
                co_return;
            req = std::move(*read);
        }
        ctx.log.bytes_in = req.body().size();
        req.prepare_payload();
        const std::string_view target = req.target();
        const auto scope = idempotency_scope(ctx.who->name, ctx.backend->name, req.method_string(),
                                             target.substr(0, target.find('?')), *key);
        const auto fingerprint = encoding::hex(crypto::sha256(req.body()));
        auto& store = w_.idempotency();
        const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(settings.ttl);
        // A running record outlives its replica at most this long: the
        // longest a request can take (a login, then every attempt).
        const auto& t = ctx.backend->timeouts;
        const auto lease = t.connect * 2 + t.request * (ctx.backend->retries.attempts + 3) + milliseconds(60'000);
        auto claimed = co_await store.begin(scope, fingerprint, ttl, lease);
        if (auto* e = std::get_if<gateway_error>(&claimed)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            co_return;
        }
        const auto found = std::get<idempotency_store::lookup>(std::move(claimed));
        using state = idempotency_store::state;
        auto& stats = w_.stats();
        if (found.what == state::running || found.what == state::mismatch)
            stats.idempotency_refusals.fetch_add(1, std::memory_order_relaxed);
        else if (found.what == state::answered)
            stats.idempotent_replays.fetch_add(1, std::memory_order_relaxed);
        switch (found.what) {
        case state::running: {
            gateway_error e{errc::idempotency_conflict,
                            "a request with this Idempotency-Key is still running; retry when it is answered", {},
                            {}};
            e.headers.emplace_back("Retry-After", "1");
            ctx.fail(std::move(e), ctx.client_keep_alive);
            co_return;
        }
        case state::mismatch:
            ctx.fail(gateway_error{errc::idempotency_mismatch,
                                   "this Idempotency-Key was used with another request body; use a new key for a "
                                   "new request",
                                   {}, {}},
                     ctx.client_keep_alive);
            co_return;
        case state::unknown:
            ctx.fail(outcome_unknown(ctx, "before"), ctx.client_keep_alive);
            co_return;
        case state::answered:
            co_await replay(ctx, *found.answer);
            co_return;
        case state::fresh: break;
        }

        ctx.adapter->build_request(req);
        auto upstream_calls = w_.client_for(*ctx.state);
        auto result = co_await send_with_credentials(ctx, req, upstream_calls);
        if (auto* e = std::get_if<gateway_error>(&result)) {
            if (e->sent) {
                co_await store.unknown(scope, found.claim);
                ctx.fail(outcome_unknown(ctx, e->detail), ctx.client_keep_alive);
            } else {
                co_await store.release(scope, found.claim);  // it never reached the vendor: the key may be used again
                ctx.fail(std::move(*e), ctx.client_keep_alive);
            }
            co_return;
        }
        auto& ex = std::get<upstream_exchange>(result);
        if (rejected_credentials(ex, *ctx.adapter, req)) {
            co_await store.release(scope, found.claim);
            const std::string why = "and the request was not replayed: it may start a job; retry it";
            co_await refuse_credentials(ctx, ex, why, ctx.client_keep_alive);
            co_return;
        }
        const auto length = ex.parser->content_length();
        if (length && *length > stored_answer_limit) {
            // Too large to keep: answered as it comes; a duplicate is told so.
            stored_answer too_large{ex.parser->get().result_int(), {}, {}, false};
            co_await store.answered(scope, found.claim, too_large);
            co_await answer(ctx, ex);
            co_return;
        }
        auto read = co_await read_whole_answer(w_.deadlines(), w_.pool(*ctx.state), ex, stored_answer_limit);
        if (auto* e = std::get_if<gateway_error>(&read)) {
            co_await store.unknown(scope, found.claim);  // it ran; its answer broke off
            ctx.fail(outcome_unknown(ctx, e->detail), false);
            co_return;
        }
        auto& res = std::get<adapters::upstream_response>(read);
        const unsigned status = res.result_int();
        if (status == 429 || status == 503) {
            co_await store.release(scope, found.claim);  // turned away, not run: the same key may try again
        } else {
            stored_answer kept{status, {}, res.body(), true};
            for (const auto& field : res)
                if (worth_replaying(field.name(), field.name_string()))
                    kept.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            co_await store.answered(scope, found.claim, kept);
        }
        co_await answer_held(ctx, res, false);
    }

    // The stored answer to a request whose key was answered before.
    awaitable<void> replay(request_ctx& ctx, const stored_answer& a)
    {
        if (!a.body_kept) {
            ctx.fail(gateway_error{errc::idempotency_conflict,
                                   "a request with this Idempotency-Key was answered " + std::to_string(a.status) +
                                       "; its answer was too large to keep and cannot be given again",
                                   {}, {}},
                     ctx.client_keep_alive);
            co_return;
        }
        adapters::upstream_response res{static_cast<http::status>(a.status), 11};
        for (const auto& [name, value] : a.headers)
            res.insert(name, value);
        res.body() = a.body;
        co_await answer_held(ctx, res, true);
    }

    // A vendor's answer held whole: an error as a problem, else as it came.
    awaitable<void> answer_held(request_ctx& ctx, adapters::upstream_response& res, bool replayed)
    {
        const unsigned status = res.result_int();
        if (status >= 400) {
            upstream_failed(ctx, res, ctx.client_keep_alive);
            if (replayed)
                ctx.problem->error.headers.emplace_back("Idempotent-Replayed", "true");
            co_return;
        }
        remove_hop_by_hop(res);
        if (replayed)
            res.set("Idempotent-Replayed", "true");
        co_await write_whole(ctx, res, status);
    }

    // The header fields of an answer worth giving again: not the hop-by-hop
    // ones, not the framing (recomputed), not Date, not cookies.
    static bool worth_replaying(http::field f, std::string_view name)
    {
        switch (f) {
        case http::field::connection:
        case http::field::keep_alive:
        case http::field::transfer_encoding:
        case http::field::content_length:
        case http::field::date:
        case http::field::set_cookie:
        case http::field::upgrade:
        case http::field::trailer:
        case http::field::te:
            return false;
        default:
            return !bg::iequals(name, "Proxy-Connection");
        }
    }

    gateway_error outcome_unknown(const request_ctx& ctx, std::string_view what) const
    {
        w_.stats().outcomes_unknown.fetch_add(1, std::memory_order_relaxed);
        return gateway_error{
            errc::outcome_unknown,
            "the request reached backend '" + ctx.backend->name + "' and its answer was lost (" + std::string(what) +
                "): the job it starts may have started. Look for it in the vendor's lists (its backups, "
                "recoveries or jobs) before starting it again; this Idempotency-Key gives this answer, and never "
                "a second send, for as long as the gateway keeps it (idempotency.ttl)",
            {}, {}};
    }

    // 6 credentials (the adapter may log in first), 7 send: the exchange's
    // head, or what stopped it.
    awaitable<exchange_result> send_with_credentials(request_ctx& ctx, http::request<http::string_body>& req,
                                                     pool_client& upstream_calls)
    {
        auto& health = *ctx.state->health;
        milliseconds wait{0};
        const auto admitted = health.admit(wait);
        if (admitted == backend_health::admission::refused)
            co_return circuit_open(ctx, wait);
        const bool probe = admitted == backend_health::admission::probe;
        const auto login_from = ctx.log.mark();
        adapters::login_trace::current() = ctx.login_trace();
        auto attached = co_await ctx.adapter->attach_credentials(req, &req.body(), upstream_calls);
        adapters::login_trace::current() = nullptr;  // (read by the gate at once: never left behind)
        ctx.log.add(ctx.log.login_wait_us, login_from);
        if (attached) {
            health.record(outcome_of_error(*attached) != outcome::success, probe);
            co_return std::move(*attached);
        }
        ++ctx.attempts;
        const auto sent_at = ctx.log.mark();
        auto result = co_await exchange_buffered(w_.deadlines(), w_.pool(*ctx.state), req, wire_head_);
        ctx.log.add(ctx.log.upstream_us, sent_at);
        if (ctx.log.spans)
            attempt_span(ctx, sent_at, req, result);
        if (std::holds_alternative<gateway_error>(result))
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        health.record(outcome_of(result) != outcome::success, probe);
        note_throttle(ctx, result);
        co_return result;
    }

    // An upstream exchange's span (client kind), a child of the request's:
    // its answer's status, or what failed.
    template <class Result>
    void attempt_span(request_ctx& ctx, access_entry::clock::time_point from, const http::request_header<>& req,
                      const Result& result) const
    {
        auto s = span::child_of(ctx.trace);
        s.what = span::kind::client;
        s.name = std::string(req.method_string()) + " " + ctx.backend->name;
        s.set_times(from, access_entry::clock::now());
        s.attribute("http.request.method", req.method_string());
        s.attribute("server.address", ctx.backend->url.host);
        s.attribute("server.port", static_cast<std::int64_t>(ctx.backend->url.port));
        s.attribute("backup_gateway.backend", ctx.backend->name);
        s.attribute("backup_gateway.attempt", static_cast<std::int64_t>(ctx.attempts));
        if (const auto* e = std::get_if<gateway_error>(&result)) {
            s.error = true;
            s.status_message = e->detail;
        } else {
            unsigned status = 0;
            if constexpr (std::is_same_v<Result, exchange_result>)
                status = std::get<upstream_exchange>(result).parser->get().result_int();
            else
                status = std::get<adapters::upstream_response>(result).result_int();
            s.attribute("http.response.status_code", static_cast<std::int64_t>(status));
            s.error = status >= 500;
        }
        ctx.log.spans->submit(std::move(s));
    }

    // A problem that says the vendor failed (for the status page's last
    // error): no answer, a bad one, no credential, or its own 5xx or 429;
    // not the gateway's own refusals (the breaker, a limit).
    static bool is_vendor_failure(errc code, unsigned status)
    {
        switch (code) {
        case errc::upstream_unreachable:
        case errc::upstream_bad_response:
        case errc::upstream_auth_failed:
        case errc::outcome_unknown:
        case errc::upstream_timeout:
            return true;
        case errc::upstream_error:
            return status >= 500 || status == 429;
        default:
            return false;
        }
    }

    static outcome outcome_of(const exchange_result& r)
    {
        if (const auto* e = std::get_if<gateway_error>(&r))
            return outcome_of_error(*e);
        return outcome_of_status(std::get<upstream_exchange>(r).parser->get().result_int());
    }

    // The breaker's refusal: nothing was sent.
    gateway_error circuit_open(const request_ctx& ctx, milliseconds wait) const
    {
        const auto seconds = (wait.count() + 999) / 1000;
        gateway_error e{errc::circuit_open,
                        "backend '" + ctx.backend->name + "' failed " +
                            std::to_string(ctx.backend->circuit_breaker.failures) +
                            " times in a row: its circuit breaker is open and nothing is sent to it; retry in " +
                            std::to_string(seconds) + " s",
                        {}, {}};
        e.headers.emplace_back("Retry-After", std::to_string(seconds));
        return e;
    }

    // Whether the first exchange's outcome may be cured by another: an
    // idempotent request (RFC 9110 §9.2.2: a POST may have started a job),
    // a retryable outcome, attempts left.
    bool may_retry(const request_ctx& ctx, const http::request_header<>& req, const exchange_result& r) const
    {
        return ctx.backend->retries.attempts > 1 && is_idempotent(req.method()) &&
               outcome_of(r) == outcome::retryable;
    }

    // The retries of a buffered request whose first exchange (`result`)
    // failed in a way a retry may cure: each after a full-jitter backoff, or
    // the vendor's Retry-After when longer, never past the request's deadline,
    // and only while the backend's retry budget has room when the retry is
    // due (a retry waiting out its backoff loads no one; one being sent does).
    // `result` ends as the last exchange, the one to answer; true when this
    // answered already (the budget was spent after the failed answer was read:
    // that answer, as the vendor gave it, Retry-After included).
    awaitable<bool> retry_buffered(request_ctx& ctx, http::request<http::string_body>& req, pool_client& calls,
                                   exchange_result& result)
    {
        auto& health = *ctx.state->health;
        const auto& settings = ctx.backend->retries;
        const auto deadline = ctx.arrived + ctx.backend->timeouts.request;
        for (unsigned attempt = 2; attempt <= settings.attempts; ++attempt) {
            auto wait = backoff(settings, attempt - 1, jitter_random());
            auto* ex = std::get_if<upstream_exchange>(&result);
            if (ex) {
                const auto said = ex->parser->get()[http::field::retry_after];
                if (const auto after = parse_retry_after(said, std::chrono::system_clock::now()))
                    wait = std::max(wait, *after);
                if (!small_answer(*ex))
                    co_return false;  // not worth holding: answered as it is
            }
            if (coarse_clock::now() + wait >= deadline)
                co_return false;  // answered as it is
            std::optional<adapters::upstream_response> failed;
            if (ex) {
                // The failed answer read whole (its connection reused), kept
                // in case the retry cannot be made.
                auto drained = co_await read_small_answer(ctx, *ex);
                if (auto* res = std::get_if<adapters::upstream_response>(&drained))
                    failed = std::move(*res);
            }
            if (wait.count() > 0) {
                asio::steady_timer timer(co_await asio::this_coro::executor, wait);
                co_await timer.async_wait(use_tuple);
            }
            if (!health.try_start_retry()) {
                if (!failed)
                    co_return false;  // an error (result) to answer
                upstream_failed(ctx, *failed, ctx.client_keep_alive);
                co_return true;
            }
            result = co_await send_with_credentials(ctx, req, calls);
            health.retry_ended();
            if (outcome_of(result) != outcome::retryable)
                co_return false;
        }
        co_return false;
    }

    // A request head with no body, as a request with an (empty) string body.
    static http::request<http::string_body> with_string_body(header_parser&& head_parser)
    {
        http::request_parser<http::string_body> parser{std::move(head_parser)};
        return parser.release();
    }

    // The request with its body, read within body_timeout; nothing when the
    // read failed (the problem, if anyone is left to read it, is in ctx).
    awaitable<std::optional<http::request<http::string_body>>> read_buffered_body(request_ctx& ctx)
    {
        const bool continued = co_await continue_body(ctx);
        if (!continued)
            co_return std::nullopt;
        http::request_parser<http::string_body> parser{std::move(ctx.parser)};
        const auto ec = co_await down_.read_body(parser);
        if (ec) {
            body_failed(ctx, ec);
            co_return std::nullopt;
        }
        co_return parser.release();
    }

    // The upstream refused the gateway's credentials (`ex`). One re-login and
    // one replay: the body is buffered and the method idempotent, so sending
    // it again cannot run anything twice. A POST (which may start a job) is
    // not sent again (RFC 9110 §9.2.2).
    awaitable<void> replay_or_refuse(request_ctx& ctx, upstream_exchange& ex, http::request<http::string_body>& req,
                                     pool_client& upstream_calls)
    {
        if (!is_idempotent(req.method())) {
            const std::string why = "and the request was not replayed: " + std::string(req.method_string()) +
                                    " may not be idempotent; retry it";
            co_await refuse_credentials(ctx, ex, why, ctx.client_keep_alive);
            co_return;
        }
        co_await read_small_answer(ctx, ex);
        w_.stats().upstream_replays.fetch_add(1, std::memory_order_relaxed);
        auto result = co_await send_with_credentials(ctx, req, upstream_calls);
        if (auto* e = std::get_if<gateway_error>(&result)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            co_return;
        }
        auto& again = std::get<upstream_exchange>(result);
        if (rejected_credentials(again, *ctx.adapter, req)) {
            const std::string why = "after a new login";  // (named: see the GCC 12 note above)
            co_await refuse_credentials(ctx, again, why, ctx.client_keep_alive);
            co_return;
        }
        co_await answer(ctx, again);
    }

    // An upstream 401 to a request that carried the adapter's credentials:
    // the adapter forgets them, so the next request (or the replay) logs in.
    static bool rejected_credentials(const upstream_exchange& ex, adapters::adapter& adapter,
                                     const http::request_header<>& req)
    {
        if (ex.parser->get().result() != http::status::unauthorized || !adapter.renews_credentials())
            return false;
        adapter.credentials_rejected(req);
        return true;
    }

    // The upstream refused the gateway's credentials for this request: the
    // client's own key was fine, so it gets 502 upstream-auth-failed (with the
    // upstream's status and body), not a 401 that would blame its key.
    awaitable<void> refuse_credentials(request_ctx& ctx, upstream_exchange& ex, const std::string& why,
                                       bool keep_alive)
    {
        const auto res = co_await read_small_answer(ctx, ex);
        ctx.fail(credentials_refused(ctx, why, std::get_if<adapters::upstream_response>(&res)), keep_alive);
    }

    gateway_error credentials_refused(const request_ctx& ctx, std::string_view why,
                                      const adapters::upstream_response* res) const
    {
        gateway_error e{errc::upstream_auth_failed,
                        "backend '" + ctx.backend->name + "' refused the gateway's credentials (status 401) " +
                            std::string(why),
                        401, {}};
        if (res && !res->body().empty())
            e.upstream_body = upstream_body_value(res->body());
        return e;
    }

    // A request whose body streams: it cannot be replayed or signed whole.
    awaitable<void> proxy_streamed(request_ctx& ctx)
    {
        auto& health = *ctx.state->health;
        milliseconds wait{0};
        const auto admitted = health.admit(wait);
        if (admitted == backend_health::admission::refused) {
            ctx.fail(circuit_open(ctx, wait), false);  // the body is not read: close after the answer
            co_return;
        }
        const bool probe = admitted == backend_health::admission::probe;
        const bool continued = co_await continue_body(ctx);
        if (!continued) {
            health.record(false, probe);
            co_return;
        }
        const auto& backend = *ctx.backend;
        http::request_parser<http::buffer_body> parser{std::move(ctx.parser)};
        auto& req = parser.get();
        ctx.adapter->build_request(req);
        auto upstream_calls = w_.client_for(*ctx.state);
        const auto login_from = ctx.log.mark();
        adapters::login_trace::current() = ctx.login_trace();
        auto attached = co_await ctx.adapter->attach_credentials(req, nullptr, upstream_calls);
        adapters::login_trace::current() = nullptr;  // (read by the gate at once: never left behind)
        ctx.log.add(ctx.log.login_wait_us, login_from);
        if (attached) {
            health.record(false, probe);
            ctx.fail(std::move(*attached), false);
            co_return;
        }
        const auto sent_at = ctx.log.mark();
        // A streamed body cannot be replayed: use a new connection rather than
        // risk a pooled one the upstream has just closed.
        auto acquired = co_await w_.pool(*ctx.state).connect();
        if (auto* e = std::get_if<gateway_error>(&acquired)) {
            health.record(true, probe);
            ctx.fail(std::move(*e), false);
            co_return;
        }
        auto conn = std::get<connection_ptr>(std::move(acquired));
        ++ctx.attempts;

        http::request_serializer<http::buffer_body> serializer{req};
        const auto limits = relay_limits{ctx.cfg().limits.body_timeout, backend.timeouts.request};
        chunked_framing framing;
        auto* checked = req.chunked() ? &framing : nullptr;
        const auto relayed = co_await std::visit(
            [&](auto& up) { return down_.relay_request(up, parser, serializer, limits, checked); }, conn->stream);
        ctx.log.bytes_in = relayed.bytes;
        if (relayed.failed == relay_side::in) {
            health.record(false, probe);
            body_failed(ctx, relayed.ec);
            co_return;
        }
        if (relayed.failed == relay_side::out) {
            health.record(true, probe);
            ctx.fail(upstream_error(backend, relayed.ec, false), false);
            co_return;
        }
        auto result = co_await read_response_head(w_.deadlines(), conn, backend, ctx.head_request);
        ctx.log.add(ctx.log.upstream_us, sent_at);
        if (ctx.log.spans)
            attempt_span(ctx, sent_at, req, result);
        health.record(outcome_of(result) != outcome::success, probe);
        note_throttle(ctx, result);
        if (auto* e = std::get_if<gateway_error>(&result)) {
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
            ctx.fail(std::move(*e), false);
            co_return;
        }
        auto& ex = std::get<upstream_exchange>(result);
        if (rejected_credentials(ex, *ctx.adapter, req)) {
            const std::string why = "and the request was not replayed: its body streamed";
            co_await refuse_credentials(ctx, ex, why, false);
            co_return;
        }
        co_await answer(ctx, ex);
    }

    // The client's body could not be read: a problem when the client is
    // still there to read one (the connection then closes).
    void body_failed(request_ctx& ctx, boost::system::error_code ec)
    {
        if (ec == http::error::body_limit)
            ctx.fail(gateway_error{errc::payload_too_large,
                                   "the request body exceeds " + std::to_string(ctx.cfg().limits.max_body_bytes) +
                                       " bytes (limits.max_body_bytes)",
                                   {}, {}},
                     false);
        else if (ec == beast::error::timeout)
            ctx.fail(gateway_error{errc::request_timeout,
                                   "the request body did not arrive within " +
                                       std::to_string(ctx.cfg().limits.body_timeout.count()) + " ms",
                                   {}, {}},
                     false);
        else if (is_http_protocol_error(ec) && ec != http::error::partial_message)
            ctx.fail(gateway_error{errc::bad_request, "malformed request body: " + ec.message(), {}, {}}, false);
        else
            ctx.aborted = true;  // the client went away mid-body
    }

    // ---- 8 decode, 9 relay ---------------------------------------------------

    static bool small_answer(const upstream_exchange& ex)
    {
        const auto length = ex.parser->content_length();
        return ex.parser->is_done() || (length && *length <= worth_reading);
    }

    // The upstream's answer to the client. Small answers are read whole: an
    // error becomes a problem (one error format); a success goes out with its
    // head in one write. The rest streams.
    awaitable<void> answer(request_ctx& ctx, upstream_exchange& ex)
    {
        const bool is_error = ex.parser->get().result_int() >= 400;
        if (small_answer(ex) && (is_error || (!ctx.head_request && ex.parser->content_length()))) {
            auto read = co_await read_small_answer(ctx, ex);
            if (auto* e = std::get_if<gateway_error>(&read)) {
                ctx.fail(std::move(*e), false);
                co_return;
            }
            auto& whole = std::get<adapters::upstream_response>(read);
            if (is_error) {
                upstream_failed(ctx, whole, ctx.client_keep_alive);
                co_return;
            }
            const unsigned status = whole.result_int();
            remove_hop_by_hop(whole);
            co_await write_whole(ctx, whole, status);
            co_return;
        }
        co_await relay_streamed(ctx, ex);
    }

    // Reads a small answer (small_answer()) whole and gives the connection
    // back to the pool; the upstream's failure mid-body is the error (and the
    // connection closes).
    awaitable<adapters::upstream_result> read_small_answer(request_ctx& ctx, upstream_exchange& ex)
    {
        if (!small_answer(ex)) {
            const gateway_error e{errc::upstream_bad_response,
                                  "backend '" + ctx.backend->name + "' sent a larger answer than expected", {}, {}};
            co_return e;
        }
        auto read = co_await read_whole_answer(w_.deadlines(), w_.pool(*ctx.state), ex, worth_reading);
        if (std::holds_alternative<gateway_error>(read))
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        co_return read;
    }

    // The upstream's error answer as a problem: its status, the vendor's
    // message as title (when the adapter knows the vendor's error format),
    // the original body under `upstream`.
    void upstream_failed(request_ctx& ctx, const adapters::upstream_response& res, bool keep_alive)
    {
        gateway_error e{errc::upstream_error,
                        "backend '" + ctx.backend->name + "' answered " + std::to_string(res.result_int()) + " " +
                            std::string(res.reason()),
                        res.result_int(), {}};
        if (!res.body().empty())
            e.upstream_body = upstream_body_value(res.body());
        // The vendor's headers that carry meaning for the client.
        for (const auto field : {http::field::retry_after, http::field::allow})
            if (const auto it = res.find(field); it != res.end())
                e.headers.emplace_back(std::string(it->name_string()), std::string(it->value()));
        const auto message = ctx.adapter->error_message(res);
        ctx.fail(std::move(e), keep_alive, message ? *message : std::string(res.reason()));
    }

    // An answer relayed as it arrives (large, of unknown length, or for HEAD).
    awaitable<void> relay_streamed(request_ctx& ctx, upstream_exchange& ex)
    {
        http::response_parser<http::buffer_body> parser{std::move(*ex.parser)};
        auto& res = parser.get();
        const unsigned upstream_status = res.result_int();
        const bool upstream_keep_alive = res.keep_alive();
        const bool has_length = parser.content_length().has_value();
        remove_hop_by_hop(res);
        res.set("X-Request-Id", ctx.log.request_id);
        down_.decorate(res);
        res.version(ctx.client_version);
        const bool body_allowed = !ctx.head_request && upstream_status >= 200 && upstream_status != 204 &&
                                  upstream_status != 304;
        bool keep_alive = ctx.client_keep_alive && !w_.draining();
        if (body_allowed && !has_length) {
            if (ctx.client_version == 11)
                res.chunked(true);
            else
                keep_alive = false;  // an HTTP/1.0 client learns the end from the close
        }
        res.keep_alive(keep_alive);

        http::response_serializer<http::buffer_body> serializer{res};
        relay_result relayed;
        if (!body_allowed) {
            const auto ec = co_await down_.write_header(serializer);
            relayed.failed = ec ? relay_side::out : relay_side::none;
            relayed.ec = ec;
        } else {
            const auto limits = relay_limits{ctx.backend->timeouts.request, ctx.cfg().limits.body_timeout};
            relayed = co_await std::visit(
                [&](auto& up) { return down_.relay_response(up, ex.conn->buffer, parser, serializer, limits); },
                ex.conn->stream);
        }
        ctx.log.upstream_status = upstream_status;
        ctx.log.bytes_out = relayed.bytes;
        ctx.status = upstream_status;
        ctx.aborted = relayed.failed != relay_side::none;
        ctx.keep_alive = relayed.failed == relay_side::none && keep_alive;
        if (relayed.failed == relay_side::none && parser.is_done() && upstream_keep_alive && !parser.need_eof())
            w_.pool(*ctx.state).release(std::move(ex.conn));
        if (relayed.failed == relay_side::in)
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
    }

    // ---- Lists ------------------------------------------------------------

    // One upstream call of a list: what is asked, and what came back.
    struct list_job {
        adapters::page_call call;
        http::verb method = http::verb::get;
        adapters::upstream_result result;
        http::request<http::string_body> request;

        static list_job get(adapters::page_call c)
        {
            list_job j;
            j.call = std::move(c);
            return j;
        }
    };

    // A list request: the client's window, the upstream calls that cover it
    // (concurrently; more when the upstream answers short pages; list_merge
    // says which), one envelope.
    awaitable<void> proxy_list(request_ctx& ctx)
    {
        const auto& dialect = *ctx.dialect;
        const std::string_view client_target = ctx.client_target;
        const auto q = client_target.find('?');
        const std::string_view client_path = client_target.substr(0, q);
        const std::string_view client_query =
            q == std::string_view::npos ? std::string_view() : client_target.substr(q + 1);
        list_request lr;
        if (!prepare_list(ctx, client_query, lr))
            co_return;
        const auto& w = lr.window;
        const std::string& upstream_path = lr.upstream_path;
        const std::string& rest = lr.rest;
        const auto target_for = [&](const std::string& paging) {
            std::string t = upstream_path;
            if (!rest.empty() || !paging.empty())
                t += '?';
            t += rest;
            if (!rest.empty() && !paging.empty())
                t += '&';
            t += paging;
            return t;
        };

        list_merge merge(dialect, w.offset, w.limit, ctx.cfg().pagination.max_upstream_requests,
                         w.style == page_style::page);
        std::vector<list_job> jobs;
        for (auto& c : merge.first_round())
            jobs.push_back(list_job::get(std::move(c)));
        std::optional<list_job> total_job;
        if (auto tc = merge.take_total_call()) {
            total_job = list_job::get(adapters::page_call{std::move(tc->second), 0, 0});
            total_job->method = tc->first;
        }

        // The answers decoded, kept (at stable addresses) until the envelope
        // is written: the items are views of their bodies' text.
        std::deque<adapters::upstream_response> answers;
        bool first_round = true;
        while (!jobs.empty()) {
            std::vector<list_job*> round;
            for (auto& j : jobs)
                round.push_back(&j);
            if (first_round && total_job)
                round.push_back(&*total_job);
            co_await fetch_all(ctx, round, target_for);

            for (auto& j : jobs) {
                if (auto* e = std::get_if<gateway_error>(&j.result)) {
                    ctx.fail(std::move(*e), ctx.client_keep_alive);
                    co_return;
                }
                answers.push_back(std::move(std::get<adapters::upstream_response>(j.result)));
                auto& res = answers.back();
                if (res.result_int() >= 400 && dialect.past_the_end(res, j.call)) {
                    merge.past_the_end(j.call);
                    continue;
                }
                if (res.result() == http::status::unauthorized && ctx.adapter->renews_credentials()) {
                    // Refused again after a new login (fetch_one replays once).
                    ctx.fail(credentials_refused(ctx, "after a new login", &res), ctx.client_keep_alive);
                    co_return;
                }
                if (res.result_int() >= 400) {
                    upstream_failed(ctx, res, ctx.client_keep_alive);
                    co_return;
                }
                auto page = res.result_int() >= 200 && res.result_int() < 300 ? dialect.decode(res) : std::nullopt;
                if (!page && first_round && &j == &jobs.front()) {
                    // Not a list after all (an object at a collection's
                    // path): the answer as it is; the round's others are the same.
                    const unsigned status = res.result_int();
                    remove_hop_by_hop(res);
                    co_await write_whole(ctx, res, status);
                    co_return;
                }
                if (!page) {
                    ctx.fail(gateway_error{errc::upstream_bad_response,
                                           "backend '" + ctx.backend->name + "' answered " +
                                               std::to_string(res.result_int()) + " to a list page, not a list",
                                           res.result_int(), {}},
                             ctx.client_keep_alive);
                    co_return;
                }
                if (lr.local) {
                    // The whole list (the dialect's only call): what the query keeps, in its order.
                    lr.local->kept = apply_local_query(page->items, lr.local->query);
                    page->items = lr.local->kept;
                    page->total = lr.local->kept.size();
                }
                merge.add(j.call, *page);
            }
            if (first_round && total_job) {
                if (auto* res = std::get_if<adapters::upstream_response>(&total_job->result))
                    if (res->result_int() >= 200 && res->result_int() < 300)
                        if (auto t = dialect.decode_total(*res))
                            merge.set_total(*t);
            }
            first_round = false;
            jobs.clear();
            for (auto& c : merge.next_round())
                jobs.push_back(list_job::get(std::move(c)));
        }

        if (auto probe = merge.probe()) {
            // The window is past the end and no answer told the size: the
            // first item's answer does.
            list_job job = list_job::get(std::move(*probe));
            std::vector<list_job*> round{&job};
            co_await fetch_all(ctx, round, target_for);
            if (auto* res = std::get_if<adapters::upstream_response>(&job.result))
                if (res->result_int() >= 200 && res->result_int() < 300)
                    if (auto page = dialect.decode(*res))
                        merge.probe_answered(*page);
        }

        page_answer a;
        a.items = merge.items();
        a.total = merge.total();
        a.total_estimated = merge.total_estimated();
        set_links(a, client_path, w, merge.next_offset());
        co_await write_envelope(ctx, a, w);
    }

    // A list request, read and translated before any upstream call (kept out
    // of proxy_list's coroutine frame: see the note at the top).
    struct list_request {
        page_window window;
        std::string upstream_path;  // base path included, no query
        std::string rest;           // the upstream query but for its paging: translated, then the client's own
        struct local_state {
            adapters::list_query query;
            std::vector<std::string_view> kept;  // the items it keeps, in its order
        };
        std::unique_ptr<local_state> local;  // the gateway applies the query itself (CloudBasic)
    };

    // The window (paging), the media type, the upstream's path (after
    // build_request) and its query; false: refused, the problem left in ctx.
    bool prepare_list(request_ctx& ctx, std::string_view client_query, list_request& out)
    {
        const auto& dialect = *ctx.dialect;
        auto parsed = parse_page_query(client_query, ctx.cfg().pagination);
        if (auto* e = std::get_if<gateway_error>(&parsed)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            return false;
        }
        out.window = std::move(std::get<page_window>(parsed));
        if (auto e = refuse_reserved(out.window, dialect.reserved_parameters())) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            return false;
        }
        auto& req = ctx.req();
        if (const auto type = dialect.media_type(); !type.empty()) {
            if (auto e = refuse_unacceptable(ctx, type)) {
                ctx.fail(std::move(*e), ctx.client_keep_alive);
                return false;
            }
            req.set(http::field::accept, type);
        }
        ctx.adapter->build_request(req);
        const std::string_view upstream_target = req.target();
        out.upstream_path = std::string(upstream_target.substr(0, upstream_target.find('?')));
        // The client's sort, q and filters in the vendor's parameters (or
        // applied here, for a vendor that has none), its own parameters after them.
        auto lq = parse_list_query(out.window.rest);
        if (auto* e = std::get_if<gateway_error>(&lq)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            return false;
        }
        auto& query = std::get<adapters::list_query>(lq);
        const auto* support = ctx.adapter->query_at(out.upstream_path);
        if (auto e = translate_query(ctx, dialect, query, support, out.rest)) {
            ctx.fail(std::move(*e), ctx.client_keep_alive);
            return false;
        }
        if (support && support->local && query.has_language())
        {
            out.local = std::make_unique<typename list_request::local_state>();
            out.local->query = std::move(query);
        }
        return true;
    }

    // A 406 when the client's Accept prefers XML to the JSON envelope of a
    // list whose vendor answers either (CloudBasic).
    std::optional<gateway_error> refuse_unacceptable(request_ctx& ctx, std::string_view type) const
    {
        const auto accept = combined_values(ctx.req().base(), "Accept");
        const double wanted = accept_quality(accept, type);
        const double xml = std::max(accept_quality(accept, "application/xml"), accept_quality(accept, "text/xml"));
        if (wanted > 0 && wanted >= xml)
            return std::nullopt;
        return gateway_error{errc::not_acceptable,
                             "backend '" + ctx.backend->name + "' answers lists as the gateway's envelope, " +
                                 std::string(type) + " only; this request's Accept ('" + accept.substr(0, 100) +
                                 "') prefers another type (XML lists are not paged): accept " + std::string(type),
                             {},
                             {}};
    }

    // The upstream query (without paging) for the client's: the vendor's
    // parameters for its sort, q and filters, then its native parameters as
    // sent. A 400 for what the collection cannot do, and (query: strict) for
    // a native parameter its document does not list.
    std::optional<gateway_error> translate_query(const request_ctx& ctx, const adapters::list_dialect& dialect,
                                                 const adapters::list_query& q,
                                                 const adapters::query_support* support, std::string& out) const
    {
        const auto& backend = ctx.backend->name;
        if (auto e = adapters::check_query(q, support, backend, ctx.backend->query_strict))
            return e;
        adapters::vendor_params params;
        if (support && !support->local)
            params = dialect.render_query(q, *support);
        if (auto e = adapters::check_clash(q, params, backend))
            return e;
        std::vector<std::pair<std::string_view, std::string_view>> pairs(params.begin(), params.end());
        out = encoding::encode_query(pairs);
        if (!out.empty() && !q.native_encoded.empty())
            out += '&';
        out += q.native_encoded;
        return std::nullopt;
    }

    template <class TargetFor>
    awaitable<void> fetch_all(request_ctx& ctx, std::vector<list_job*>& round, const TargetFor& target_for)
    {
        const auto& base = ctx.req();
        for (auto* job : round) {
            job->request = http::request<http::string_body>(base.base());
            job->request.method(job->method);
            job->request.target(target_for(job->call.query));
        }
        ctx.attempts += static_cast<unsigned>(round.size());
        if (round.size() == 1) {  // the usual case: no coroutine or timer of its own
            co_await fetch_one(*round.front(), ctx);
            co_return;
        }
        auto executor = co_await asio::this_coro::executor;
        asio::steady_timer done(executor, asio::steady_timer::time_point::max());
        std::size_t pending = round.size();
        for (auto* job : round) {
            asio::co_spawn(executor, fetch_one(*job, ctx), [&](std::exception_ptr) {
                if (--pending == 0)
                    done.cancel();
            });
        }
        if (pending > 0)
            co_await done.async_wait(use_tuple);
    }

    // Sends a list call with the adapter's credentials; after an upstream 401
    // once more with new ones (a GET or HEAD is safe to replay).
    // ... and, as for any GET, once more (or as retries.attempts says) after a
    // failure a retry may cure, within the deadline and the retry budget;
    // nothing when the backend's breaker is open.
    awaitable<void> fetch_one(list_job& job, request_ctx& ctx)
    {
        auto& adapter = *ctx.state->adapter;
        auto& health = *ctx.state->health;
        const auto& settings = ctx.backend->retries;
        const auto deadline = ctx.arrived + ctx.backend->timeouts.request;
        auto upstream = w_.client_for(*ctx.state, true);
        bool replayed = false;
        bool in_retry = false;
        for (unsigned retries = 0;;) {
            milliseconds wait{0};
            const auto admitted = health.admit(wait);
            if (admitted == backend_health::admission::refused) {
                job.result = circuit_open(ctx, wait);
                break;
            }
            const bool probe = admitted == backend_health::admission::probe;
            const auto login_from = ctx.log.mark();
            adapters::login_trace::current() = ctx.login_trace();
            auto attached = co_await adapter.attach_credentials(job.request, &job.request.body(), upstream);
            adapters::login_trace::current() = nullptr;  // (read by the gate at once: never left behind)
            ctx.log.add(ctx.log.login_wait_us, login_from);
            if (attached) {
                health.record(outcome_of_error(*attached) != outcome::success, probe);
                job.result = std::move(*attached);
                break;
            }
            const auto sent_at = ctx.log.mark();
            job.result = co_await upstream.send(job.request);
            ctx.log.add(ctx.log.upstream_us, sent_at);
            if (ctx.log.spans)
                attempt_span(ctx, sent_at, job.request, job.result);
            const auto result = outcome_of(job.result);
            health.record(result != outcome::success, probe);
            if (std::exchange(in_retry, false))
                health.retry_ended();
            const auto* res = std::get_if<adapters::upstream_response>(&job.result);
            if (res)
                note_throttle(ctx, res->result_int(), (*res)[http::field::retry_after]);
            if (result == outcome::retryable && retries + 1 < settings.attempts) {
                wait = backoff(settings, retries + 1, jitter_random());
                if (res)
                    if (const auto after = parse_retry_after((*res)[http::field::retry_after],
                                                             std::chrono::system_clock::now()))
                        wait = std::max(wait, *after);
                if (coarse_clock::now() + wait < deadline) {
                    asio::steady_timer timer(co_await asio::this_coro::executor, wait);
                    co_await timer.async_wait(use_tuple);
                    // The budget is for retries being sent, not waiting out a backoff.
                    if (health.try_start_retry()) {
                        ++retries;
                        in_retry = true;
                        continue;
                    }
                }
            }
            if (replayed || !res || res->result() != http::status::unauthorized || !adapter.renews_credentials())
                break;
            adapter.credentials_rejected(job.request);
            w_.stats().upstream_replays.fetch_add(1, std::memory_order_relaxed);
            replayed = true;
        }
        if (in_retry)  // a retry the breaker or the credentials stopped before it was sent
            health.retry_ended();
    }

    static outcome outcome_of(const adapters::upstream_result& r)
    {
        if (const auto* e = std::get_if<gateway_error>(&r))
            return outcome_of_error(*e);
        return outcome_of_status(std::get<adapters::upstream_response>(r).result_int());
    }

    awaitable<void> write_envelope(request_ctx& ctx, const page_answer& a, const page_window& w)
    {
        http::response<http::string_body> res{http::status::ok, ctx.client_version};
        res.set(http::field::content_type, "application/json");
        if (a.total && !a.total_estimated)  // the header states an exact size; an estimate is in the body only
            res.set("X-Total-Count", std::to_string(*a.total));
        const auto links = link_header(a);
        if (!links.empty())
            res.set(http::field::link, links);
        res.body() = render_envelope(a, w);
        co_await write_whole(ctx, res, 200);
    }

    // ---- 9 render, 10 log: the writers and the one exit ------------------------

    // A response held whole (an envelope, a small upstream answer, a
    // problem): its body is left out for HEAD, its length kept.
    awaitable<void> write_whole(request_ctx& ctx, http::response<http::string_body>& res, unsigned upstream_status,
                                bool keep_alive = true)
    {
        res.set("X-Request-Id", ctx.log.request_id);
        down_.decorate(res);
        res.version(ctx.client_version);
        keep_alive = keep_alive && ctx.client_keep_alive && !w_.draining();
        res.keep_alive(keep_alive);
        const auto length = res.body().size();
        if (ctx.head_request)
            res.body().clear();
        res.prepare_payload();
        if (ctx.head_request)
            res.content_length(length);
        // At once when the socket takes it all (usually); only the rest waits.
        std::size_t sent = 0;
        boost::system::error_code ec;
        const auto pieces = down_.write_at_once(res, sent, ec);
        if (!ec && sent < beast::buffer_bytes(pieces))
            ec = co_await down_.write_rest(pieces, sent);
        ctx.log.upstream_status = upstream_status;
        ctx.log.bytes_out = length;
        ctx.status = res.result_int();
        ctx.aborted = static_cast<bool>(ec);
        ctx.keep_alive = !ec && keep_alive;
    }

    // 10: the problem a phase left, as the client's answer.
    awaitable<void> answer_problem(request_ctx& ctx)
    {
        const auto& p = *ctx.problem;
        const auto status = status_of(p.error);
        if (ctx.state && is_vendor_failure(p.error.code, status))
            ctx.state->note_failure(p.title.empty() || p.error.detail.find(p.title) != std::string::npos
                                        ? p.error.detail
                                        : p.error.detail + " (" + p.title + ")");
        http::response<http::string_body> res{static_cast<http::status>(status), ctx.client_version};
        res.set(http::field::content_type, "application/problem+json");
        res.set(http::field::cache_control, "no-store");
        if (p.error.code == errc::unauthorized)
            res.set(http::field::www_authenticate, www_authenticate_challenge);
        for (const auto& [name, value] : p.error.headers)
            res.set(name, value);
        // Every 429 and 503 says when to come back (DESIGN.md).
        if ((status == 429 || status == 503) && res.find(http::field::retry_after) == res.end())
            res.set(http::field::retry_after, "1");
        res.body() = render_problem(p.error, ctx.log.backend, ctx.log.request_id, p.title, ctx.trace.trace_id());
        co_await write_whole(ctx, res, p.error.upstream_status.value_or(0), p.keep_alive);
    }

    worker& w_;
    Downstream& down_;
    std::string wire_head_;  // an upstream request's head being written (whole_message), reused
};

}  // namespace bg
