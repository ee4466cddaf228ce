// A Redis client for the event loops (issue 16's shared state): Asio does the
// I/O on the worker's own loop, hiredis does the protocol (its reply reader
// and command formatter: RESP is not written here). No call blocks a thread.
//
// One connection per event loop. Calls are pipelined: each is written at
// once and the replies come back in order, read by one reader. Every call
// has a timeout (issue 16: 50 ms by default). A timeout on a connected
// connection, or an I/O error, closes it and fails every call waiting on it
// (their replies could no longer be matched to them); a call that times out
// while the connection is still being made gives up alone (the connect goes
// on, within connect_timeout). The next call connects again, no
// sooner than `retry_after` after a failed connect, so that a Redis that is
// down costs one failed connect a second, not one per request.
#pragma once

#include "core/errors.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

struct redisReader;

namespace bg::redis {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// A reply, owned (hiredis's redisReply converted).
struct reply {
    enum class kind { string, status, error, integer, nil, array };
    kind type = kind::nil;
    std::string str;  // string, status, error
    long long integer = 0;
    std::vector<reply> elements;  // array
};

// A call's outcome: the server's reply (an error reply included), or the
// gateway's error when there was none (unreachable, timed out).
using result = std::variant<reply, gateway_error>;

struct settings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    milliseconds timeout{50};          // each call, from its start to its reply
    milliseconds connect_timeout{1000};
    milliseconds retry_after{1000};    // after a failed connect, calls fail at once for this long
};

// A Lua script, called by its SHA-1 (EVALSHA) and sent whole only when the
// server does not know it (after a restart or SCRIPT FLUSH).
struct script {
    explicit script(std::string text);
    std::string text;
    std::string sha1;  // lowercase hex
};

class connection;
// The connection of the event loop that runs on this thread (each worker
// sets its own before it runs), or null: for code called on a loop that is
// not handed the worker (an adapter's credential share).
connection*& this_loop();

// `argv`: {"EVALSHA", s.sha1, numkeys, keys..., args...}. On a NOSCRIPT
// reply it is sent again as EVAL with the script's text.
asio::awaitable<result> evaluate(connection& c, const script& s, const std::vector<std::string>& argv);

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(asio::any_io_executor executor, settings s);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // `argv`: the command and its arguments, as bytes (read before the first
    // suspension; a reference: GCC 12 mishandles a by-value argument of a
    // coroutine called in a co_await expression).
    asio::awaitable<result> call(const std::vector<std::string>& argv);

    // Closes the connection (its reader holds it open, and the connection
    // alive, until then): the calls waiting fail. For shutdown.
    void close();

    bool connected() const { return state_ == state::connected; }
    // A subscriber's connection (SUBSCRIBE): the pub/sub messages it is sent
    // (["message", channel, payload]) go to `handler`, not to a call.
    void on_message(std::function<void(const reply&)> handler) { on_message_ = std::move(handler); }
    const asio::any_io_executor& executor() const { return executor_; }
    // Connections made so far (a test sees a reconnect).
    std::uint64_t connects() const { return connects_; }

private:
    enum class state { closed, connecting, connected };
    struct pending {
        explicit pending(const asio::any_io_executor& ex) : wake(ex) {}
        std::optional<result> outcome;
        asio::steady_timer wake;
    };

    asio::awaitable<void> connect(std::uint64_t generation);
    asio::awaitable<void> write_loop(std::uint64_t generation);
    asio::awaitable<void> read_loop(std::uint64_t generation);
    void start_writing();
    // Closes the connection and fails every waiting call with `e`.
    void fail_all(const gateway_error& e);
    gateway_error error(std::string what) const;

    asio::any_io_executor executor_;
    settings settings_;
    asio::ip::tcp::socket socket_;
    std::unique_ptr<redisReader, void (*)(redisReader*)> reader_;
    state state_ = state::closed;
    std::uint64_t generation_ = 0;  // a new one per connection: the loops of an old one stop
    std::chrono::steady_clock::time_point next_attempt_{};
    std::string out_;      // commands not yet written
    bool writing_ = false;
    std::deque<std::shared_ptr<pending>> waiting_;  // in the order their commands were written
    std::uint64_t connects_ = 0;
    std::function<void(const reply&)> on_message_;
};

}  // namespace bg::redis
