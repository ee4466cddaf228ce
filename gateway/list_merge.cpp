#include "gateway/list_merge.hpp"

#include <algorithm>

namespace bg {

list_merge::list_merge(const adapters::list_dialect& dialect, std::uint64_t offset, std::uint64_t limit,
                       std::size_t max_calls, bool fill)
    : dialect_(dialect), offset_(offset), limit_(limit), calls_left_(max_calls), fill_(fill),
      slots_(static_cast<std::size_t>(limit))
{
}

std::vector<adapters::page_call> list_merge::first_round()
{
    auto calls = dialect_.plan(offset_, limit_, calls_left_);
    calls_left_ -= std::min(calls_left_, calls.size());
    return calls;
}

std::optional<std::pair<adapters::http::verb, std::string>> list_merge::take_total_call()
{
    auto call = dialect_.total_call();
    if (!call || calls_left_ == 0)
        return std::nullopt;
    --calls_left_;
    return call;
}

void list_merge::add(const adapters::page_call& asked_for, const adapters::list_page& page)
{
    if (page.total)
        total_ = page.total;
    const std::uint64_t got = page.items.size();
    // An upstream that ignored the paging answered the whole collection:
    // more than asked, or past its own total from where the call began (a
    // Veeam list that takes no Offset/Limit), or said so (CPM's bare array).
    const bool ignored = page.whole || (asked_for.asked && got > asked_for.asked) ||
                         (page.total && asked_for.first + got > *page.total);
    const adapters::page_call whole{{}, 0, 0};
    const auto& call = ignored ? whole : asked_for;
    const auto first = call.first;
    for (std::uint64_t i = 0; i < got; ++i) {
        const auto at = first + i;
        if (at < offset_ || at >= window_end())
            continue;
        auto& slot = slots_[static_cast<std::size_t>(at - offset_)];
        if (!slot)
            slot = page.items[i];
        any_item_ = true;
    }
    if (got == 0) {
        // Nothing at `first`: the collection ends right there when the item
        // before it was seen (or there is none), else somewhere before it
        // (a window past the end).
        if (first == 0 || first == seen_end_)
            ends_at(first);
        else
            ends_by(first);
        return;
    }
    seen_end_ = std::max(seen_end_, first + got);
    if (call.asked == 0) {  // everything from `first`
        ends_at(first + got);
        return;
    }
    if (got >= call.asked)
        return;
    const auto from = first + got;
    auto until = std::min(first + call.asked, window_end());
    if (total_)
        until = std::min(until, *total_);  // nothing to ask for past the known end
    if (!dialect_.starts_anywhere() || (total_ && from >= *total_)) {
        ends_at(from);  // a short page is the last one
        return;
    }
    // A server-side cap: the rest of this call's part of the window, in
    // pages of the size the upstream gave, all in the next round.
    for (auto at = from; at < until && may_call(); at += got) {
        follow_ups_.push_back(dialect_.continue_from(at, std::min(got, until - at)));
        if (calls_left_ > 0)
            --calls_left_;
    }
}

void list_merge::past_the_end(const adapters::page_call& call) { ends_by(call.first); }

std::vector<adapters::page_call> list_merge::next_round() { return std::exchange(follow_ups_, {}); }

std::optional<adapters::page_call> list_merge::probe()
{
    if (total_ || end_ || any_item_ || offset_ == 0 || calls_left_ == 0)
        return std::nullopt;
    auto first = dialect_.plan(0, 1, 1);
    if (first.size() != 1)
        return std::nullopt;
    --calls_left_;
    return std::move(first.front());
}

void list_merge::probe_answered(const adapters::list_page& page)
{
    if (page.total)
        total_ = page.total;
}

std::size_t list_merge::filled() const
{
    const auto gap = std::find_if(slots_.begin(), slots_.end(), [](const auto& s) { return !s; });
    return static_cast<std::size_t>(gap - slots_.begin());
}

std::vector<std::string_view> list_merge::items() const
{
    std::vector<std::string_view> out;
    const auto n = filled();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(*slots_[i]);
    return out;
}

std::optional<std::uint64_t> list_merge::total() const
{
    if (total_)
        return total_;
    if (end_)
        return end_;
    return estimate_;
}

std::optional<std::uint64_t> list_merge::next_offset() const
{
    const auto last = offset_ + filled();
    const bool ends_here = (end_ && *end_ <= last) || (end_by_ && *end_by_ <= last) || (total_ && *total_ <= last);
    if (ends_here)
        return std::nullopt;
    return last;
}

}  // namespace bg
