#include "gateway/redis_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <cstdio>

namespace bg::redis {

script::script(std::string t) : text(std::move(t))
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
    sha1.reserve(size * 2);
    for (unsigned i = 0; i < size; ++i) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", digest[i]);
        sha1 += hex;
    }
}

connection*& this_loop()
{
    thread_local connection* current = nullptr;
    return current;
}

asio::awaitable<result> evaluate(connection& c, const script& s, const std::vector<std::string>& argv)
{
    auto r = co_await c.call(argv);
    const auto* answer = std::get_if<reply>(&r);
    if (answer && answer->type == reply::kind::error && answer->str.starts_with("NOSCRIPT")) {
        auto whole = argv;
        whole[0] = "EVAL";
        whole[1] = s.text;
        r = co_await c.call(whole);
    }
    co_return r;
}

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

reply convert(const redisReply& r)
{
    reply out;
    switch (r.type) {
    case REDIS_REPLY_STRING: out.type = reply::kind::string; break;
    case REDIS_REPLY_STATUS: out.type = reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = reply::kind::error; break;
    case REDIS_REPLY_INTEGER: out.type = reply::kind::integer; break;
    case REDIS_REPLY_ARRAY: out.type = reply::kind::array; break;
    default: out.type = reply::kind::nil; break;
    }
    if (out.type == reply::kind::string || out.type == reply::kind::status || out.type == reply::kind::error)
        out.str.assign(r.str, r.len);
    out.integer = r.integer;
    if (out.type == reply::kind::array)
        for (std::size_t i = 0; i < r.elements; ++i)
            out.elements.push_back(convert(*r.element[i]));
    return out;
}

}  // namespace

connection::connection(asio::any_io_executor executor, settings s)
    : executor_(std::move(executor)), settings_(std::move(s)), socket_(executor_),
      reader_(redisReaderCreate(), &redisReaderFree)
{
}

connection::~connection() = default;

gateway_error connection::error(std::string what) const
{
    return gateway_error{errc::upstream_unreachable,
                         "redis at " + settings_.host + ":" + std::to_string(settings_.port) + ": " + what, {}, {}};
}

asio::awaitable<result> connection::call(const std::vector<std::string>& argv)
{
    auto self = shared_from_this();
    if (state_ == state::closed) {
        if (std::chrono::steady_clock::now() < next_attempt_)
            co_return error("not connected (the last attempt failed; next in under " +
                            std::to_string(settings_.retry_after.count()) + " ms)");
        state_ = state::connecting;
        asio::co_spawn(executor_, connect(++generation_), asio::detached);
    }
    // The command, formatted by hiredis, queued behind those before it.
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), args.data(), lengths.data());
    if (length < 0)
        co_return error("cannot format the command");
    out_.append(formatted, static_cast<std::size_t>(length));
    redisFreeCommand(formatted);
    auto p = std::make_shared<pending>(executor_);
    p->wake.expires_after(settings_.timeout);
    waiting_.push_back(p);
    if (state_ == state::connected)
        start_writing();
    co_await p->wake.async_wait(use_tuple);
    if (!p->outcome) {
        const auto why = "no reply within " + std::to_string(settings_.timeout.count()) + " ms";
        if (state_ == state::connecting) {
            // Still connecting (a far server; connect_timeout bounds it): this
            // call gives up, the connect goes on. Its command stays queued and
            // its reply, if one comes, is dropped (the order stays matched).
            p->outcome = error(why + " (still connecting)");
        } else {
            // Connected and silent: the connection is no longer to be
            // trusted (a late reply would answer the next call).
            fail_all(error(why));
        }
    }
    co_return std::move(*p->outcome);
}

asio::awaitable<void> connection::connect(std::uint64_t generation)
{
    auto self = shared_from_this();
    boost::system::error_code ec;
    asio::ip::tcp::endpoint where;
    auto address = asio::ip::make_address(settings_.host == "localhost" ? "127.0.0.1" : settings_.host, ec);
    if (ec) {
        // A host name (a Kubernetes Service): resolved off the loop (Asio's
        // resolver thread), within the connect timeout.
        asio::ip::tcp::resolver resolver(executor_);
        asio::steady_timer limit(executor_, settings_.connect_timeout);
        limit.async_wait([&resolver](boost::system::error_code e) {
            if (!e)
                resolver.cancel();
        });
        auto [rec, found] = co_await resolver.async_resolve(settings_.host, std::to_string(settings_.port), use_tuple);
        limit.cancel();
        ec = rec;
        if (!ec && found.empty())
            ec = asio::error::host_not_found;
        if (!ec)
            address = found.begin()->endpoint().address();
    }
    if (!ec) {
        where = asio::ip::tcp::endpoint(address, settings_.port);
        asio::steady_timer limit(executor_, settings_.connect_timeout);
        limit.async_wait([this, generation](boost::system::error_code e) {
            if (!e && generation == generation_ && state_ == state::connecting)
                socket_.close();  // the connect ends with an error
        });
        std::tie(ec) = co_await socket_.async_connect(where, use_tuple);
        limit.cancel();
    }
    if (generation != generation_)
        co_return;
    if (ec) {
        next_attempt_ = std::chrono::steady_clock::now() + settings_.retry_after;
        fail_all(error("cannot connect: " + ec.message()));
        co_return;
    }
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    state_ = state::connected;
    ++connects_;
    asio::co_spawn(executor_, read_loop(generation), asio::detached);
    start_writing();
}

void connection::start_writing()
{
    if (writing_ || out_.empty() || state_ != state::connected)
        return;
    writing_ = true;
    asio::co_spawn(executor_, write_loop(generation_), asio::detached);
}

asio::awaitable<void> connection::write_loop(std::uint64_t generation)
{
    auto self = shared_from_this();
    std::string sending;
    while (generation == generation_ && !out_.empty()) {
        sending.clear();
        sending.swap(out_);
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(sending), use_tuple);
        (void)n;
        if (generation != generation_)
            co_return;
        if (ec) {
            writing_ = false;
            fail_all(error("write failed: " + ec.message()));
            co_return;
        }
    }
    if (generation == generation_)
        writing_ = false;
}

asio::awaitable<void> connection::read_loop(std::uint64_t generation)
{
    auto self = shared_from_this();
    char buffer[16 * 1024];
    while (generation == generation_) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_tuple);
        if (generation != generation_)
            co_return;
        if (ec) {
            fail_all(error(ec == asio::error::eof ? "the server closed the connection" : "read failed: " + ec.message()));
            co_return;
        }
        if (redisReaderFeed(reader_.get(), buffer, n) != REDIS_OK) {
            fail_all(error("not the Redis protocol"));
            co_return;
        }
        for (;;) {
            void* raw = nullptr;
            if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
                fail_all(error("not the Redis protocol"));
                co_return;
            }
            if (!raw)
                break;
            std::unique_ptr<redisReply, void (*)(void*)> r(static_cast<redisReply*>(raw), &freeReplyObject);
            if (on_message_ && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
                r->element[0]->type == REDIS_REPLY_STRING && std::string_view(r->element[0]->str, r->element[0]->len) == "message") {
                on_message_(convert(*r));  // a subscriber's message: no call waits for it
                continue;
            }
            if (waiting_.empty()) {
                fail_all(error("a reply nobody asked for"));
                co_return;
            }
            auto p = std::move(waiting_.front());
            waiting_.pop_front();
            if (p->outcome)
                continue;  // its caller gave up while the connection was being made
            p->outcome = convert(*r);
            p->wake.cancel();
        }
    }
}

void connection::close() { fail_all(error("closed")); }

void connection::fail_all(const gateway_error& e)
{
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    socket_ = asio::ip::tcp::socket(executor_);
    reader_.reset(redisReaderCreate());
    state_ = state::closed;
    out_.clear();
    writing_ = false;
    auto failed = std::move(waiting_);
    waiting_.clear();
    for (auto& p : failed) {
        if (!p->outcome)
            p->outcome = e;
        p->wake.cancel();
    }
}

}  // namespace bg::redis
