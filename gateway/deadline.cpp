#include "gateway/deadline.hpp"

namespace bg {

deadline_list::deadline_list(boost::asio::io_context& io, std::chrono::milliseconds tick)
    : timer_(io), tick_(tick)
{
}

deadline_list::~deadline_list()
{
    for (auto& l : lanes_)
        for (auto* d = l.head; d; d = d->next_)
            d->linked_ = false;
}

void deadline_list::link(io_deadline& d)
{
    std::size_t i = 0;
    while (i < lanes_.size() && lanes_[i].duration != d.duration_)
        ++i;
    if (i == lanes_.size())
        lanes_.push_back(lane{d.duration_});  // a handful of durations: once each
    auto& l = lanes_[i];
    d.lane_ = i;
    d.prev_ = l.tail;
    d.next_ = nullptr;
    (l.tail ? l.tail->next_ : l.head) = &d;
    l.tail = &d;
    d.linked_ = true;
    ++armed_;
    if (!ticking_)
        start_ticking();
}

void deadline_list::unlink(io_deadline& d)
{
    auto& l = lanes_[d.lane_];
    (d.prev_ ? d.prev_->next_ : l.head) = d.next_;
    (d.next_ ? d.next_->prev_ : l.tail) = d.prev_;
    d.prev_ = d.next_ = nullptr;
    d.linked_ = false;
    --armed_;
}

void deadline_list::start_ticking()
{
    ticking_ = true;
    timer_.expires_after(tick_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec)
            ticking_ = false;  // the event loop is going away
        else
            on_tick();
    });
}

void deadline_list::on_tick()
{
    const auto now = clock::now();
    for (auto& l : lanes_) {
        // In arming order, so in expiry order: stop at the first still running.
        while (l.head && l.head->at_ <= now) {
            io_deadline& d = *l.head;
            unlink(d);
            d.expired_ = true;
            boost::system::error_code ignored;
            d.stream_.socket().cancel(ignored);  // handlers run later, never inside this loop
        }
    }
    ticking_ = false;
    if (armed_ > 0)
        start_ticking();
}

}  // namespace bg
