// Coarse time limits on I/O, one ticking timer per event loop.
//
// A beast::tcp_stream expiry (or an Asio timer per operation) costs, for
// every read and write: a timer operation allocated and queued, a
// timerfd_settime system call whenever it becomes the earliest, and a second
// handler run when it is cancelled. On a proxied request that makes six of
// each. Here a time limit is a node linked into a list (no allocation, no
// system call) and unlinked when the operation ends; one timer per event loop
// ticks every `tick` while any limit is armed and cancels the operations
// whose limit has passed. A limit thus fires between d and d + tick (and the
// coarse clock's few milliseconds, see coarse_clock.hpp) after it was armed,
// which is what the gateway's limits (seconds) can afford.
//
// The lists are kept one per distinct duration: a list's nodes are appended
// in the order they were armed, so their expiries are in order too, and a tick
// looks at the head of each list only (libev's "timer per timeout value").
#pragma once

#include "gateway/coarse_clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace bg {

class io_deadline;

class deadline_list {
public:
    using clock = coarse_clock;
    static constexpr std::chrono::milliseconds default_tick{100};

    explicit deadline_list(boost::asio::io_context& io, std::chrono::milliseconds tick = default_tick);
    // Limits still armed (in coroutine frames the event loop destroys later)
    // are let go: their destructors will not touch the list.
    ~deadline_list();
    deadline_list(const deadline_list&) = delete;
    deadline_list& operator=(const deadline_list&) = delete;

    std::chrono::milliseconds tick() const { return tick_; }
    std::size_t armed() const { return armed_; }

private:
    friend class io_deadline;

    // One list per duration; its nodes expire in list order.
    struct lane {
        std::chrono::milliseconds duration;
        io_deadline* head = nullptr;
        io_deadline* tail = nullptr;
    };

    void link(io_deadline& d);
    void unlink(io_deadline& d);
    void start_ticking();
    void on_tick();

    boost::asio::steady_timer timer_;
    std::chrono::milliseconds tick_;
    std::vector<lane> lanes_;
    std::size_t armed_ = 0;
    bool ticking_ = false;
};

// A time limit on the I/O of one stream, armed while it lives: on expiry the
// stream's pending operations are cancelled (the socket stays open, so a 408
// can still be written) and outcome() tells the error apart as a timeout.
// Lives where the operation's awaiter lives (a coroutine frame): its address
// must not change, hence neither copyable nor movable.
class io_deadline {
public:
    io_deadline(deadline_list& list, boost::beast::tcp_stream& stream, std::chrono::milliseconds d)
        // (The clock lags by up to its resolution: added, so that no limit ends early.)
        : list_(list), stream_(stream), duration_(d),
          at_(deadline_list::clock::now() + d + deadline_list::clock::resolution())
    {
        list_.link(*this);
    }
    ~io_deadline()
    {
        if (linked_)
            list_.unlink(*this);
    }
    io_deadline(const io_deadline&) = delete;
    io_deadline& operator=(const io_deadline&) = delete;

    bool expired() const { return expired_; }
    // The operation's error, as beast::error::timeout when the limit ended it.
    boost::system::error_code outcome(boost::system::error_code ec) const
    {
        return ec && expired_ ? boost::system::error_code(boost::beast::error::timeout) : ec;
    }

private:
    friend class deadline_list;

    deadline_list& list_;
    boost::beast::tcp_stream& stream_;
    std::chrono::milliseconds duration_;
    deadline_list::clock::time_point at_;
    io_deadline* prev_ = nullptr;
    io_deadline* next_ = nullptr;
    std::size_t lane_ = 0;
    bool linked_ = false;
    bool expired_ = false;
};

}  // namespace bg
