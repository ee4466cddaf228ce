// read_deadline: a time limit on reading that, on expiry, cancels the read
// but leaves the socket open, so that an answer (a 408) can still be written.
// A beast::tcp_stream expiry closes the socket, which is right for writes and
// for upstreams, but leaves a client that was too slow without its 408.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <memory>

namespace bg {

class read_deadline {
public:
    // One event loop per stream: no locking. The timer's state is shared with
    // its handler, so a handler that runs after the read ended is harmless.
    read_deadline(boost::beast::tcp_stream& s, std::chrono::milliseconds d)
        : state_(std::make_shared<state>(s.get_executor()))
    {
        s.expires_never();
        state_->timer.expires_after(d);
        state_->timer.async_wait([st = state_, &s](boost::system::error_code ec) {
            if (ec || st->done)
                return;
            st->expired = true;
            s.cancel();
        });
    }
    ~read_deadline()
    {
        state_->done = true;
        state_->timer.cancel();
    }
    read_deadline(const read_deadline&) = delete;
    read_deadline& operator=(const read_deadline&) = delete;

    // The read's error, as beast::error::timeout when the deadline ended it.
    boost::system::error_code outcome(boost::system::error_code ec) const
    {
        return ec && state_->expired ? boost::system::error_code(boost::beast::error::timeout) : ec;
    }

private:
    struct state {
        explicit state(const boost::asio::any_io_executor& ex) : timer(ex) {}
        boost::asio::steady_timer timer;
        bool done = false;
        bool expired = false;
    };
    std::shared_ptr<state> state_;
};

}  // namespace bg
