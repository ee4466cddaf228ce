// The answers of one list request merged into the client's window
// [offset, offset + limit): which upstream calls to make, round after round;
// what their answers say about the collection (its size, where it ends); and
// where the client's next window starts. Pure: it makes no call itself
// (proxy_list() in exchange.hpp runs the rounds) and is tested by a table of
// scripted answers (tests/unit/list_merge_test.cpp).
//
//   list_merge m(dialect, window, budget, fill);
//   calls = m.first_round();  (+ the dialect's total call, if m.take_total_call() gives one)
//   while (!calls.empty()) { make them; m.add()/m.past_the_end() each answer; calls = m.next_round(); }
//   if (auto p = m.probe()) { make it; m.probe_answered(page); }
//   m.items(), m.total(), m.next_offset()
//
// The rule the client relies on: following next_offset() from any window
// returns every item of the collection exactly once, in order. When the
// window's items stop short of its limit and the collection goes on (the
// upstream-call budget ran out after a server-side cap), the next window
// starts right after the last item returned, not at offset + limit.
#pragma once

#include "adapters/adapter.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace bg {

class list_merge {
public:
    // `max_calls`: the upstream calls this request may make
    // (pagination.max_upstream_requests). `fill`: the window must hold
    // `limit` items whenever the collection has them, even past max_calls:
    // the page style, whose next page starts at offset + limit by the
    // client's own arithmetic (page + 1), so it cannot start mid-window.
    list_merge(const adapters::list_dialect& dialect, std::uint64_t offset, std::uint64_t limit,
               std::size_t max_calls, bool fill);

    // The first round: the dialect's plan for the window.
    std::vector<adapters::page_call> first_round();
    // The dialect's call for the total (total_call()), when it has one and
    // the budget allows it in the first round (it takes one call); nullopt otherwise.
    std::optional<std::pair<adapters::http::verb, std::string>> take_total_call();

    // An answer decoded: its items sit at call.first, call.first + 1, ...
    // (or at 0, 1, ... when the answer is the whole collection: page.whole,
    // or more items than asked, or more than its total leaves after call.first)
    void add(const adapters::page_call& call, const adapters::list_page& page);
    // An answer that says only that the collection ends before call.first.
    void past_the_end(const adapters::page_call& call);
    // The collection's size, from the total call. An estimate (the
    // dialect's total_is_estimate()) is reported as one but never taken for
    // where the collection ends: the walk goes on until a short or empty page.
    void set_total(std::uint64_t total)
    {
        if (dialect_.total_is_estimate())
            estimate_ = total;
        else
            total_ = total;
    }

    // The calls the answers of the last round call for: after an answer
    // shorter than asked from a dialect that starts anywhere (a server-side
    // cap), the rest of its part of the window, in pages of the size the
    // upstream gave. Empty: the rounds are over.
    std::vector<adapters::page_call> next_round();

    // After the rounds: the call that learns the collection's size when the
    // window lies past the end and no answer told it; nullopt otherwise.
    std::optional<adapters::page_call> probe();
    void probe_answered(const adapters::list_page& page);

    // The window's items from its first, up to the first missing one (the
    // end of the collection, or of the budget).
    std::vector<std::string_view> items() const;
    // The collection's size: an answer's or the total call's, else the end
    // of the collection where the answers found it exactly, else the
    // vendor's estimate (total_estimated()).
    std::optional<std::uint64_t> total() const;
    bool total_estimated() const { return !total_ && !end_ && estimate_; }
    // Where the client's next window starts: right after the last item of
    // items(); nullopt when the collection is known to end there.
    std::optional<std::uint64_t> next_offset() const;

private:
    std::uint64_t window_end() const { return offset_ + limit_; }
    std::size_t filled() const;  // how many of items() there are
    void ends_at(std::uint64_t index) { end_ = std::min(end_.value_or(index), index); }
    void ends_by(std::uint64_t index) { end_by_ = std::min(end_by_.value_or(index), index); }
    bool may_call() const { return fill_ || calls_left_ > 0; }

    const adapters::list_dialect& dialect_;
    std::uint64_t offset_;
    std::uint64_t limit_;
    std::size_t calls_left_;
    bool fill_;
    std::vector<std::optional<std::string_view>> slots_;  // the window's items by position
    bool any_item_ = false;
    std::uint64_t seen_end_ = 0;  // one past the furthest item any answer held
    std::optional<std::uint64_t> total_;
    std::optional<std::uint64_t> estimate_;
    std::optional<std::uint64_t> end_;     // the collection ends exactly here
    std::optional<std::uint64_t> end_by_;  // the collection ends here or before
    std::vector<adapters::page_call> follow_ups_;
};

}  // namespace bg
