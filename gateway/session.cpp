// One client connection: read (bounded) → authenticate → route → build the
// upstream request → credentials → send → relay the response → log.
// Plain and TLS connections share http_session<Stream> and differ only in
// their stream (as in Beast's advanced_server_flex). Pipelined requests are
// answered in order, one at a time; what the client sends ahead waits in the
// connection's buffer, which is bounded by limits.max_header_bytes.
#include "gateway/access_entry.hpp"
#include "gateway/http_util.hpp"
#include "gateway/list_merge.hpp"
#include "gateway/pagination.hpp"
#include "gateway/deadline.hpp"
#include "gateway/relay.hpp"
#include "gateway/route.hpp"
#include "gateway/tls_server_stream.hpp"
#include "gateway/whole_write.hpp"
#include "gateway/worker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>

#include <openssl/ssl.h>

#include <deque>
#include <optional>

namespace bg {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Request bodies up to this size are read whole before going upstream, so a
// request can be signed and replayed; larger ones stream.
constexpr std::size_t buffered_body_limit = 1024 * 1024;
constexpr std::size_t first_read_size = 2048;

using header_parser = http::request_parser<http::empty_body>;

template <class Stream>
class http_session {
public:
    http_session(worker& w, Stream stream, bool tls, std::string remote_ip)
        : w_(w), stream_(std::move(stream)), tls_(tls), remote_ip_(std::move(remote_ip))
    {
    }

    awaitable<void> run()
    {
        auto* tcp = &beast::get_lowest_layer(stream_);
        idle_ = &w_.session_opened(tcp);
        if (co_await handshake())
            co_await serve();
        co_await close();
        idle_ = nullptr;
        w_.session_closed(tcp);
    }

private:
    const config::gateway_config& cfg() const { return w_.cfg(); }
    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

    awaitable<bool> handshake()
    {
        if constexpr (std::is_same_v<Stream, tls_server_stream>) {
            io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.header_timeout);
            auto [ec] = co_await stream_.async_handshake(use_tuple);
            co_return !ec;
        }
        co_return true;
    }

    awaitable<void> close()
    {
        if constexpr (std::is_same_v<Stream, tls_server_stream>) {
            io_deadline deadline(w_.deadlines(), tcp(), std::chrono::seconds(2));
            co_await stream_.async_shutdown(use_tuple);
        }
        boost::system::error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        if (linger_)
            co_await linger();
        tcp().close();
    }

    // The lingering close (nginx's lingering_close): the gateway answered and
    // shut its write side, but the client may still be sending (a body the
    // gateway refused before reading it, headers past the limit, pipelined
    // requests). Closing now would make the kernel answer those bytes with a
    // reset, and a reset throws away what the client had not yet read: the
    // answer. So what arrives is read and discarded until the client closes,
    // limits.linger_time passes or limits.linger_bytes were read. Over TLS
    // the bytes are records after our close_notify: read raw, never decrypted.
    awaitable<void> linger()
    {
        const auto& limits = cfg().limits;
        if (limits.linger_time.count() <= 0)
            co_return;
        const std::size_t piece = 16 * 1024;
        const auto sink = std::make_unique<char[]>(piece);  // (not in the frame: Asio reuses small frames only)
        std::size_t discarded = 0;
        io_deadline deadline(w_.deadlines(), tcp(), limits.linger_time);
        while (discarded < limits.linger_bytes && !deadline.expired()) {
            auto [ec, n] = co_await tcp().socket().async_read_some(asio::buffer(sink.get(), piece), use_tuple);
            if (ec)
                break;  // the client closed (or reset), or the time is up
            discarded += n;
        }
    }

    bool bytes_pending() const
    {
        if (buffer_.size() > 0)
            return true;
        if constexpr (std::is_same_v<Stream, tls_server_stream>)
            return stream_.has_pending();
        return false;
    }

    // Waits, at most idle_timeout, for the first bytes of the next request.
    // false: the connection is to be closed (idle, closed by the peer, draining).
    awaitable<bool> wait_for_request()
    {
        if (bytes_pending())
            co_return true;
        if (buffer_.capacity() > 4 * first_read_size)
            buffer_.shrink_to_fit();  // an idle connection keeps little memory
        *idle_ = true;
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(first_read_size), use_tuple);
        *idle_ = false;
        if (ec)
            co_return false;
        buffer_.commit(n);
        co_return !w_.draining() || n > 0;
    }

    awaitable<void> serve()
    {
        for (;;) {
            if (w_.draining())
                co_return;
            // (co_await is kept out of ?:, && and ||: GCC 12 miscompiles it there.)
            const bool more = co_await wait_for_request();
            if (!more)
                co_return;
            header_parser parser;
            parser.header_limit(static_cast<std::uint32_t>(cfg().limits.max_header_bytes));
            parser.body_limit(cfg().limits.max_body_bytes);
            boost::system::error_code ec;
            const bool parsed = parse_buffered(parser, buffer_, true, ec);  // (the usual case: no wait)
            if (!parsed) {
                io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.header_timeout);
                auto [rec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
                ec = deadline.outcome(rec);
            }
            linger_ = true;  // from here on, a close comes after an answer (or during a request)
            if (ec) {
                co_await answer_read_error(ec, parser);
                co_return;
            }
            const bool keep_open = co_await handle(parser);
            if (!keep_open)
                co_return;
            linger_ = false;
        }
    }

    awaitable<void> answer_read_error(boost::system::error_code ec, header_parser& parser)
    {
        std::optional<gateway_error> e;
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            e = gateway_error{errc::header_too_large,
                              "the request line and headers exceed " +
                                  std::to_string(cfg().limits.max_header_bytes) + " bytes (limits.max_header_bytes)",
                              {}, {}};
        else if (ec == http::error::body_limit)
            e = gateway_error{errc::payload_too_large,
                              "the request body exceeds " + std::to_string(cfg().limits.max_body_bytes) +
                                  " bytes (limits.max_body_bytes)",
                              {}, {}};
        else if (ec == beast::error::timeout)
            e = gateway_error{errc::request_timeout,
                              "the request headers did not arrive within " +
                                  std::to_string(cfg().limits.header_timeout.count()) + " ms",
                              {}, {}};
        else if (is_http_protocol_error(ec) && ec != http::error::partial_message)
            e = gateway_error{errc::bad_request, "malformed HTTP request: " + ec.message(), {}, {}};
        if (!e)
            co_return;  // the peer went away: nobody to answer
        head_request_ = false;  // the request was not understood: the problem has its body
        access_entry log(w_, parser.get(), remote_ip_, request_id_for({}));
        co_await write_problem(*e, log, false);
    }

    // Authenticate and route: the backend's index, or why the request is refused.
    std::variant<std::size_t, gateway_error> admit(const http::request<http::empty_body>& req, access_entry& log,
                                                   route& r)
    {
        auto who = w_.rt().auth.authenticate(req, known_key_);
        if (auto* e = std::get_if<gateway_error>(&who))
            return std::move(*e);
        const principal& p = *std::get<const principal*>(who);
        log.principal = p.name;
        auto routed = parse_route(req.target());
        if (auto* e = std::get_if<gateway_error>(&routed))
            return std::move(*e);
        r = std::get<route>(routed);
        const auto* index = w_.rt().find_backend(r.backend);
        if (!index)
            return gateway_error{errc::unknown_backend, "no backend named '" + std::string(r.backend) + "'", {}, {}};
        const auto& backend = cfg().backends[*index];
        log.backend = backend.name;
        if (!p.may_reach(backend.name))
            return gateway_error{errc::forbidden,
                                 "the key of '" + p.name + "' may not reach backend '" + backend.name + "'", {}, {}};
        return *index;
    }

    // One request. Returns whether the connection stays open for the next.
    // (GCC 12 mishandles co_await inside ?:, && and ||, and temporaries with
    // destructors inside a co_await expression: call sites use named locals.)
    awaitable<bool> handle(header_parser& parser)
    {
        auto& req = parser.get();
        access_entry log(w_, req, remote_ip_, request_id_for(req["X-Request-Id"]));
        // Before anything can be answered: a problem for this request must
        // follow its version and method (no body for HEAD), not the last one's.
        client_version_ = req.version();
        client_keep_alive_ = req.keep_alive();
        head_request_ = req.method() == http::verb::head;
        if (req.count(http::field::transfer_encoding) > 0 && !req.chunked()) {
            // RFC 9112 §6.3: the body's length cannot be known; reading on
            // would take the body for the next request.
            const gateway_error e{errc::bad_request, "Transfer-Encoding must end with 'chunked'", {}, {}};
            co_return co_await write_problem(e, log, false);
        }
        const bool body_follows = !parser.is_done();
        route r;
        auto admitted = admit(req, log, r);
        if (auto* e = std::get_if<gateway_error>(&admitted)) {
            // An unread body would be taken for the next request: close instead.
            const bool keep_alive = req.keep_alive() && !body_follows;
            co_return co_await write_problem(*e, log, keep_alive);
        }
        const auto index = std::get<std::size_t>(admitted);
        const auto& backend = cfg().backends[index];
        // The upstream target, and whether it is a list (whose envelope needs
        // the client's own target, kept before the head is rewritten).
        std::string target = upstream_path(backend.url.base_path, r);
        const adapters::list_dialect* dialect = nullptr;
        if (!body_follows && (req.method() == http::verb::get || req.method() == http::verb::head))
            dialect = w_.rt().adapters[index]->list_at(std::string_view(target).substr(0, target.find('?')));
        const std::string client_target = dialect ? std::string(req.target()) : std::string();
        prepare_upstream_head(req, backend, std::move(target), log.request_id);
        if (dialect)
            co_return co_await proxy_list(req, *dialect, index, client_target, log);
        if (body_follows) {
            const bool continued = co_await send_continue();
            if (!continued)
                co_return false;
        }
        const auto length = parser.content_length();
        const auto buffer_up_to = w_.rt().adapters[index]->buffered_body_limit().value_or(buffered_body_limit);
        if (!body_follows || (length && *length <= buffer_up_to))
            co_return co_await proxy_buffered(std::move(parser), index, log);
        co_return co_await proxy_streamed(std::move(parser), index, log);
    }

    // The client's request head becomes the upstream's, in place.
    void prepare_upstream_head(http::request<http::empty_body>& req, const config::backend& backend,
                               std::string upstream_target, const std::string& request_id)
    {
        const bool chunked = req.chunked();
        expect_continue_ = beast::iequals(req[http::field::expect], "100-continue");
        const std::string forwarded_host(req[http::field::host]);
        // Every X-Forwarded-For line a client (or a proxy before us) sent, not just the first.
        const std::string xff = forwarded_for(combined_values(req, "X-Forwarded-For"), remote_ip_);
        remove_hop_by_hop(req);
        req.erase(http::field::authorization);  // the client's gateway key never goes upstream
        req.erase("X-API-Key");
        req.erase(http::field::expect);  // answered here, see send_continue()
        req.target(upstream_target);
        req.version(11);
        req.set(http::field::host, w_.rt().targets[static_cast<std::size_t>(&backend - cfg().backends.data())]->host_header());
        req.set("X-Forwarded-For", xff);
        req.set("X-Forwarded-Proto", tls_ ? "https" : "http");
        if (!forwarded_host.empty())
            req.set("X-Forwarded-Host", forwarded_host);
        req.set("X-Request-Id", request_id);
        if (chunked)
            req.chunked(true);
    }

    // Expect: 100-continue is answered by the gateway once the request is
    // known to be acceptable (authenticated, routed).
    awaitable<bool> send_continue()
    {
        if (!expect_continue_)
            co_return true;
        http::response<http::empty_body> cont{http::status::continue_, 11};
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write(stream_, cont, use_tuple);
        co_return !ec;
    }

    // Coroutine frames here stay under 1,020 bytes where they are on every
    // request: Asio reuses a thread's freed frames only up to that size, and a
    // larger one, kept in its few reuse slots, pushes the small ones out (then
    // every frame of a request is allocated and freed anew). Rare paths (a
    // body to read, a replay, a streamed answer) are coroutines of their own.
    awaitable<bool> proxy_buffered(header_parser&& head_parser, std::size_t backend_index, access_entry& log)
    {
        const auto& backend = cfg().backends[backend_index];
        http::request<http::string_body> req;
        if (head_parser.is_done()) {
            req = with_string_body(std::move(head_parser));
        } else {
            auto read = co_await read_buffered_body(std::move(head_parser), log);
            if (!read)
                co_return false;
            req = std::move(*read);
        }
        log.bytes_in = req.body().size();
        req.prepare_payload();

        auto& adapter = *w_.rt().adapters[backend_index];
        adapter.build_request(req);
        auto upstream_calls = w_.client_for(backend_index);
        auto result = co_await send_with_credentials(req, backend_index, upstream_calls);
        if (auto* e = std::get_if<gateway_error>(&result))
            co_return co_await write_problem(*e, log, client_keep_alive_);
        auto& exchange = std::get<upstream_exchange>(result);
        if (rejected_credentials(exchange, adapter, req))
            co_return co_await replay_or_refuse(exchange, req, backend_index, upstream_calls, log);
        co_return co_await relay_response(exchange, backend, log);
    }

    // The adapter's credentials attached (it may log in first), then the
    // request sent and the answer's head read: the exchange, or what stopped it.
    awaitable<exchange_result> send_with_credentials(http::request<http::string_body>& req,
                                                     std::size_t backend_index, pool_client& upstream_calls)
    {
        auto& adapter = *w_.rt().adapters[backend_index];
        if (auto e = co_await adapter.attach_credentials(req, &req.body(), upstream_calls))
            co_return std::move(*e);
        auto result = co_await exchange_buffered(w_.deadlines(), w_.pool(backend_index), req, wire_head_);
        if (std::holds_alternative<gateway_error>(result))
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        co_return result;
    }

    // A request head with no body, as a request with an (empty) string body.
    static http::request<http::string_body> with_string_body(header_parser&& head_parser)
    {
        http::request_parser<http::string_body> parser{std::move(head_parser)};
        return parser.release();
    }

    // The request with its body, read within body_timeout; nothing when the
    // read failed (answered here: the connection is then closed).
    awaitable<std::optional<http::request<http::string_body>>> read_buffered_body(header_parser&& head_parser,
                                                                                  access_entry& log)
    {
        http::request_parser<http::string_body> parser{std::move(head_parser)};
        boost::system::error_code ec;
        {
            io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
            auto [rec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
            ec = deadline.outcome(rec);
        }
        if (ec) {
            co_await answer_body_error(ec, log);
            co_return std::nullopt;
        }
        co_return parser.release();
    }

    // The upstream refused the gateway's credentials (`ex`). One re-login and
    // one replay: the body is buffered and the method idempotent, so sending
    // it again cannot run anything twice. A POST (which may start a job) is
    // not sent again (RFC 9110 §9.2.2).
    awaitable<bool> replay_or_refuse(upstream_exchange& ex, http::request<http::string_body>& req,
                                     std::size_t backend_index, pool_client& upstream_calls, access_entry& log)
    {
        auto& adapter = *w_.rt().adapters[backend_index];
        if (!is_idempotent(req.method())) {
            const std::string why = "and the request was not replayed: " + std::string(req.method_string()) +
                                    " may not be idempotent; retry it";
            co_return co_await answer_rejected(ex, backend_index, why, log, client_keep_alive_);
        }
        co_await read_small_response(ex, backend_index);
        w_.stats().upstream_replays.fetch_add(1, std::memory_order_relaxed);
        auto result = co_await send_with_credentials(req, backend_index, upstream_calls);
        if (auto* e = std::get_if<gateway_error>(&result))
            co_return co_await write_problem(*e, log, client_keep_alive_);
        auto& again = std::get<upstream_exchange>(result);
        if (rejected_credentials(again, adapter, req)) {
            const std::string why = "after a new login";  // (named: see the GCC 12 note above)
            co_return co_await answer_rejected(again, backend_index, why, log, client_keep_alive_);
        }
        co_return co_await relay_response(again, cfg().backends[backend_index], log);
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
    awaitable<bool> answer_rejected(upstream_exchange& ex, std::size_t backend_index, const std::string& why,
                                    access_entry& log, bool keep_alive)
    {
        const auto res = co_await read_small_response(ex, backend_index);
        const auto e = credentials_refused(backend_index, why, std::get_if<adapters::upstream_response>(&res));
        co_return co_await write_problem(e, log, keep_alive);
    }

    gateway_error credentials_refused(std::size_t backend_index, std::string_view why,
                                      const adapters::upstream_response* res) const
    {
        gateway_error e{errc::upstream_auth_failed,
                        "backend '" + cfg().backends[backend_index].name +
                            "' refused the gateway's credentials (status 401) " + std::string(why),
                        401, {}};
        if (res && !res->body().empty())
            e.upstream_body = upstream_body_value(res->body());
        return e;
    }

    static constexpr std::uint64_t worth_reading = 64 * 1024;
    static bool small_response(const upstream_exchange& ex)
    {
        const auto length = ex.parser->content_length();
        return ex.parser->is_done() || (length && *length <= worth_reading);
    }

    // Reads a small response (see small_response()) whole and gives the
    // connection back to the pool; the upstream's failure mid-body is the
    // error (and the connection closes).
    awaitable<adapters::upstream_result> read_small_response(upstream_exchange& ex, std::size_t backend_index)
    {
        if (!small_response(ex)) {
            const gateway_error e{errc::upstream_bad_response,
                                  "backend '" + cfg().backends[backend_index].name +
                                      "' sent a larger answer than expected",
                                  {}, {}};
            co_return e;
        }
        auto read = co_await read_whole_answer(w_.deadlines(), w_.pool(backend_index), ex, worth_reading);
        if (std::holds_alternative<gateway_error>(read))
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        co_return read;
    }

    // The upstream's error answer as a problem: its status, the vendor's
    // message as title (when the adapter knows the vendor's error format),
    // the original body under `upstream`.
    awaitable<bool> answer_upstream_error(const adapters::upstream_response& res, std::size_t backend_index,
                                          access_entry& log, bool keep_alive)
    {
        const auto& adapter = *w_.rt().adapters[backend_index];
        gateway_error e{errc::upstream_error,
                        "backend '" + cfg().backends[backend_index].name + "' answered " +
                            std::to_string(res.result_int()) + " " + std::string(res.reason()),
                        res.result_int(), {}};
        if (!res.body().empty())
            e.upstream_body = upstream_body_value(res.body());
        const auto message = adapter.error_message(res);
        const std::string title = message ? *message : std::string(res.reason());
        co_return co_await write_problem(e, log, keep_alive, title);
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
    // (concurrently; more when the upstream answers short pages), one envelope.
    awaitable<bool> proxy_list(http::request<http::empty_body>& req, const adapters::list_dialect& dialect,
                               std::size_t backend_index, const std::string& client_target, access_entry& log)
    {
        const auto q = client_target.find('?');
        const std::string_view client_path = std::string_view(client_target).substr(0, q);
        const std::string_view client_query =
            q == std::string::npos ? std::string_view() : std::string_view(client_target).substr(q + 1);
        auto parsed = parse_page_query(client_query, cfg().pagination);
        if (auto* e = std::get_if<gateway_error>(&parsed))
            co_return co_await write_problem(*e, log, client_keep_alive_);
        const auto& w = std::get<page_window>(parsed);
        if (auto e = refuse_reserved(w, dialect.reserved_parameters()))
            co_return co_await write_problem(*e, log, client_keep_alive_);

        auto& adapter = *w_.rt().adapters[backend_index];
        adapter.build_request(req);
        const std::string_view upstream_target = req.target();
        const std::string upstream_path(upstream_target.substr(0, upstream_target.find('?')));
        const auto target_for = [&](const std::string& paging) {
            std::string t = upstream_path;
            if (!w.rest.empty() || !paging.empty())
                t += '?';
            t += w.rest;
            if (!w.rest.empty() && !paging.empty())
                t += '&';
            t += paging;
            return t;
        };

        list_merge merge(dialect, w.offset, w.limit, cfg().pagination.max_upstream_requests,
                         w.style == page_style::page);
        std::vector<list_job> jobs;
        for (auto& c : merge.first_round())
            jobs.push_back(list_job::get(std::move(c)));
        std::optional<list_job> total_job;
        if (merge.take_total_call()) {
            const auto tc = dialect.total_call();
            total_job = list_job::get(adapters::page_call{tc->second, 0, 0});
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
            co_await fetch_all(round, req, backend_index, target_for);

            for (auto& j : jobs) {
                if (auto* e = std::get_if<gateway_error>(&j.result))
                    co_return co_await write_problem(*e, log, client_keep_alive_);
                answers.push_back(std::move(std::get<adapters::upstream_response>(j.result)));
                auto& res = answers.back();
                if (res.result_int() >= 400 && dialect.past_the_end(res, j.call)) {
                    merge.past_the_end(j.call);
                    continue;
                }
                if (res.result() == http::status::unauthorized && adapter.renews_credentials()) {
                    // Refused again after a new login (fetch_one replays once).
                    const auto e = credentials_refused(backend_index, "after a new login", &res);
                    co_return co_await write_problem(e, log, client_keep_alive_);
                }
                if (res.result_int() >= 400)
                    co_return co_await answer_upstream_error(res, backend_index, log, client_keep_alive_);
                auto page = res.result_int() >= 200 && res.result_int() < 300 ? dialect.decode(res) : std::nullopt;
                if (!page && first_round && jobs.size() == 1)
                    co_return co_await write_upstream_as_is(res, log);  // not a list after all
                if (!page) {
                    const gateway_error e{errc::upstream_bad_response,
                                          "backend '" + cfg().backends[backend_index].name + "' answered " +
                                              std::to_string(res.result_int()) + " to a list page, not a list",
                                          res.result_int(), {}};
                    co_return co_await write_problem(e, log, client_keep_alive_);
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
            co_await fetch_all(round, req, backend_index, target_for);
            if (auto* res = std::get_if<adapters::upstream_response>(&job.result))
                if (res->result_int() >= 200 && res->result_int() < 300)
                    if (auto page = dialect.decode(*res))
                        merge.probe_answered(*page);
        }

        page_answer a;
        a.items = merge.items();
        a.total = merge.total();
        set_links(a, client_path, w, merge.next_offset());
        co_return co_await write_envelope(a, w, log);
    }

    template <class TargetFor>
    awaitable<void> fetch_all(std::vector<list_job*>& round, const http::request<http::empty_body>& base,
                              std::size_t backend_index, const TargetFor& target_for)
    {
        for (auto* job : round) {
            job->request = http::request<http::string_body>(base.base());
            job->request.method(job->method);
            job->request.target(target_for(job->call.query));
        }
        if (round.size() == 1) {  // the usual case: no coroutine or timer of its own
            co_await fetch_one(*round.front(), backend_index);
            co_return;
        }
        auto executor = co_await asio::this_coro::executor;
        asio::steady_timer done(executor, asio::steady_timer::time_point::max());
        std::size_t pending = round.size();
        for (auto* job : round) {
            asio::co_spawn(executor, fetch_one(*job, backend_index), [&](std::exception_ptr) {
                if (--pending == 0)
                    done.cancel();
            });
        }
        if (pending > 0)
            co_await done.async_wait(use_tuple);
    }

    // Sends a list call with the adapter's credentials; after an upstream 401
    // once more with new ones (a GET or HEAD is safe to replay).
    awaitable<void> fetch_one(list_job& job, std::size_t backend_index)
    {
        auto& adapter = *w_.rt().adapters[backend_index];
        auto upstream = w_.client_for(backend_index, true);
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (auto e = co_await adapter.attach_credentials(job.request, &job.request.body(), upstream)) {
                job.result = std::move(*e);
                co_return;
            }
            job.result = co_await upstream.send(job.request);
            const auto* res = std::get_if<adapters::upstream_response>(&job.result);
            if (!res || res->result() != http::status::unauthorized || !adapter.renews_credentials())
                co_return;
            adapter.credentials_rejected(job.request);
            if (attempt == 0)
                w_.stats().upstream_replays.fetch_add(1, std::memory_order_relaxed);
        }
    }

    awaitable<bool> write_upstream_as_is(adapters::upstream_response& res, access_entry& log)
    {
        const unsigned status = res.result_int();
        remove_hop_by_hop(res);
        co_return co_await write_whole(res, log, status);
    }

    awaitable<bool> write_envelope(const page_answer& a, const page_window& w, access_entry& log)
    {
        http::response<http::string_body> res{http::status::ok, client_version_};
        res.set(http::field::content_type, "application/json");
        if (a.total)
            res.set("X-Total-Count", std::to_string(*a.total));
        const auto links = link_header(a);
        if (!links.empty())
            res.set(http::field::link, links);
        res.body() = render_envelope(a, w);
        co_return co_await write_whole(res, log, 200);
    }

    // A response held whole (an envelope, a small upstream answer): its body
    // is left out for HEAD, its length kept.
    awaitable<bool> write_whole(http::response<http::string_body>& res, access_entry& log, unsigned upstream_status)
    {
        res.set("X-Request-Id", log.request_id);
        res.version(client_version_);
        const bool keep_alive = client_keep_alive_ && !w_.draining();
        res.keep_alive(keep_alive);
        const auto length = res.body().size();
        if (head_request_)
            res.body().clear();
        res.prepare_payload();
        if (head_request_)
            res.content_length(length);
        const auto pieces = whole_message(wire_head_, res);  // (Content-Length is set: never chunked)
        boost::system::error_code ec;
        const std::size_t sent = write_immediately(stream_, pieces, ec);  // (usually all of it)
        if (!ec && sent < beast::buffer_bytes(pieces))
            ec = co_await write_rest(stream_, tcp(), w_.deadlines(), pieces, sent, cfg().limits.body_timeout);
        log.upstream_status = upstream_status;
        log.bytes_out = length;
        log.finish(res.result_int(), static_cast<bool>(ec));
        co_return !ec && keep_alive;
    }

    awaitable<bool> proxy_streamed(header_parser&& head_parser, std::size_t backend_index, access_entry& log)
    {
        const auto& backend = cfg().backends[backend_index];
        http::request_parser<http::buffer_body> parser{std::move(head_parser)};
        auto& req = parser.get();
        auto& adapter = *w_.rt().adapters[backend_index];
        adapter.build_request(req);
        auto upstream_calls = w_.client_for(backend_index);
        if (auto e = co_await adapter.attach_credentials(req, nullptr, upstream_calls))
            co_return co_await write_problem(*e, log, false);

        // A streamed body cannot be replayed: use a new connection rather than
        // risk a pooled one the upstream has just closed.
        auto acquired = co_await w_.pool(backend_index).connect();
        if (auto* e = std::get_if<gateway_error>(&acquired))
            co_return co_await write_problem(*e, log, false);
        auto conn = std::get<connection_ptr>(std::move(acquired));

        http::request_serializer<http::buffer_body> serializer{req};
        const auto limits = relay_limits{cfg().limits.body_timeout, backend.timeouts.request};
        const auto relayed = co_await std::visit(
            [&](auto& up) { return relay_body(stream_, buffer_, parser, up, serializer, w_.deadlines(), limits); },
            conn->stream);
        log.bytes_in = relayed.bytes;
        if (relayed.failed == relay_side::in) {
            co_await answer_body_error(relayed.ec, log);
            co_return false;
        }
        if (relayed.failed == relay_side::out) {
            const auto e = upstream_error(backend, relayed.ec, false);
            co_return co_await write_problem(e, log, false);
        }
        auto result = co_await read_response_head(w_.deadlines(), conn, backend, head_request_);
        if (auto* e = std::get_if<gateway_error>(&result)) {
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
            co_return co_await write_problem(*e, log, false);
        }
        auto& exchange = std::get<upstream_exchange>(result);
        if (rejected_credentials(exchange, adapter, req)) {
            const std::string why = "and the request was not replayed: its body streamed";
            co_return co_await answer_rejected(exchange, backend_index, why, log, false);
        }
        co_return co_await relay_response(exchange, backend, log);
    }

    awaitable<void> answer_body_error(boost::system::error_code ec, access_entry& log)
    {
        std::optional<gateway_error> e;
        if (ec == http::error::body_limit)
            e = gateway_error{errc::payload_too_large,
                              "the request body exceeds " + std::to_string(cfg().limits.max_body_bytes) +
                                  " bytes (limits.max_body_bytes)",
                              {}, {}};
        else if (ec == beast::error::timeout)
            e = gateway_error{errc::request_timeout,
                              "the request body did not arrive within " +
                                  std::to_string(cfg().limits.body_timeout.count()) + " ms",
                              {}, {}};
        else if (is_http_protocol_error(ec) && ec != http::error::partial_message)
            e = gateway_error{errc::bad_request, "malformed request body: " + ec.message(), {}, {}};
        if (e)
            co_await write_problem(*e, log, false);
        else
            log.finish(0, true);  // the client went away mid-body
    }

    // Streams the upstream's response to the client; the upstream connection
    // goes back to the pool when the exchange ended cleanly.
    awaitable<bool> relay_response(upstream_exchange& ex, const config::backend& backend, access_entry& log)
    {
        const bool is_error = ex.parser->get().result_int() >= 400;
        // Small answers are read whole: an error becomes a problem (one error
        // format); a success goes out with its head in one write.
        if (small_response(ex) && (is_error || (!head_request_ && ex.parser->content_length()))) {
            const auto index = static_cast<std::size_t>(&backend - cfg().backends.data());
            auto read = co_await read_small_response(ex, index);
            if (auto* e = std::get_if<gateway_error>(&read))
                co_return co_await write_problem(*e, log, false);
            auto& whole = std::get<adapters::upstream_response>(read);
            if (is_error)
                co_return co_await answer_upstream_error(whole, index, log, client_keep_alive_);
            const unsigned status = whole.result_int();
            remove_hop_by_hop(whole);
            co_return co_await write_whole(whole, log, status);
        }
        co_return co_await relay_streamed(ex, backend, log);
    }

    // An answer relayed as it arrives (large, of unknown length, or for HEAD).
    awaitable<bool> relay_streamed(upstream_exchange& ex, const config::backend& backend, access_entry& log)
    {
        http::response_parser<http::buffer_body> parser{std::move(*ex.parser)};
        auto& res = parser.get();
        const unsigned upstream_status = res.result_int();
        const bool upstream_keep_alive = res.keep_alive();
        const bool has_length = parser.content_length().has_value();
        remove_hop_by_hop(res);
        res.set("X-Request-Id", log.request_id);
        res.version(client_version_);
        const bool body_allowed = !head_request_ && upstream_status >= 200 && upstream_status != 204 &&
                                  upstream_status != 304;
        bool keep_alive = client_keep_alive_ && !w_.draining();
        if (body_allowed && !has_length) {
            if (client_version_ == 11)
                res.chunked(true);
            else
                keep_alive = false;  // an HTTP/1.0 client learns the end from the close
        }
        res.keep_alive(keep_alive);

        http::response_serializer<http::buffer_body> serializer{res};
        relay_result relayed;
        if (!body_allowed) {
            io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
            auto [ec, n] = co_await http::async_write_header(stream_, serializer, use_tuple);
            relayed.failed = ec ? relay_side::out : relay_side::none;
            relayed.ec = deadline.outcome(ec);
        } else {
            const auto limits = relay_limits{backend.timeouts.request, cfg().limits.body_timeout};
            relayed = co_await std::visit(
                [&](auto& up) {
                    return relay_body(up, ex.conn->buffer, parser, stream_, serializer, w_.deadlines(), limits);
                },
                ex.conn->stream);
        }
        log.upstream_status = upstream_status;
        log.bytes_out = relayed.bytes;
        log.finish(upstream_status, relayed.failed != relay_side::none);
        if (relayed.failed == relay_side::none && parser.is_done() && upstream_keep_alive && !parser.need_eof())
            w_.pool(static_cast<std::size_t>(&backend - cfg().backends.data())).release(std::move(ex.conn));
        if (relayed.failed == relay_side::in)
            w_.stats().upstream_errors.fetch_add(1, std::memory_order_relaxed);
        co_return relayed.failed == relay_side::none && keep_alive;
    }

    awaitable<bool> write_problem(const gateway_error& e, access_entry& log, bool keep_alive,
                                  std::string_view title = {})
    {
        keep_alive = keep_alive && !w_.draining();
        const auto status = status_of(e);
        http::response<http::string_body> res{static_cast<http::status>(status), client_version_};
        res.set(http::field::content_type, "application/problem+json");
        res.set(http::field::cache_control, "no-store");
        res.set("X-Request-Id", log.request_id);
        if (e.code == errc::unauthorized)
            res.set(http::field::www_authenticate, www_authenticate_challenge);
        if (!head_request_)
            res.body() = render_problem(e, log.backend, log.request_id, title);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        if (head_request_)
            res.content_length(render_problem(e, log.backend, log.request_id, title).size());
        io_deadline deadline(w_.deadlines(), tcp(), cfg().limits.body_timeout);
        auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
        log.bytes_out = res.body().size();
        log.upstream_status = e.upstream_status.value_or(0);
        log.finish(status);
        co_return !ec && keep_alive;
    }

    worker& w_;
    Stream stream_;
    bool tls_;
    std::string remote_ip_;
    bool* idle_ = nullptr;  // the worker's flag: waiting for the next request (for draining)
    beast::flat_buffer buffer_{};
    std::string wire_head_;  // a message head being written (append_head), reused
    client_auth::remembered_key known_key_;  // (the worker's runtime, and its client_auth, outlive the session)
    unsigned client_version_ = 11;
    bool client_keep_alive_ = true;
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool linger_ = false;  // closing after an answer: see linger()
};

template <class Stream>
awaitable<void> run_session(worker& w, Stream stream, bool tls, std::string remote_ip)
{
    http_session<Stream> session(w, std::move(stream), tls, std::move(remote_ip));
    co_await session.run();
}

}  // namespace

void start_session(worker& w, tcp::socket socket, asio::ssl::context* tls)
{
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("unknown") : remote.address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // (synchronous writes are attempts that never wait: write_now)
    beast::tcp_stream tcp_s(std::move(socket));
    if (tls)
        asio::co_spawn(w.io(),
                       run_session(w, tls_server_stream(std::move(tcp_s), tls->native_handle()), true, std::move(ip)),
                       asio::detached);
    else
        asio::co_spawn(w.io(), run_session(w, std::move(tcp_s), false, std::move(ip)), asio::detached);
}

}  // namespace bg
