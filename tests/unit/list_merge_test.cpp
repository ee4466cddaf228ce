// list_merge (gateway/list_merge.hpp): the rounds of upstream calls that fill
// a client's window, run against a scripted upstream. First the table of
// cases, defect 1 (a window cut short by the call budget skipped items) the
// first of them; then the property every client relies on: following
// next_offset() from offset 0 returns every item exactly once, in order, for
// both kinds of upstream paging, with and without a server-side cap, for any
// page size and budget.
#define BOOST_TEST_MODULE list_merge
#include <boost/test/unit_test.hpp>

#include "gateway/list_merge.hpp"

#include <algorithm>
#include <string>

using namespace bg;
using adapters::list_page;
using adapters::page_call;
namespace http = boost::beast::http;

namespace {

// An upstream that pages by offset and limit and may start anywhere (Backup
// and DR's kind, §5.1), optionally with a HEAD count (§3.3).
class offset_dialect final : public adapters::list_dialect {
public:
    explicit offset_dialect(bool total_call, bool estimate = false) : total_call_(total_call), estimate_(estimate) {}
    bool total_is_estimate() const override { return estimate_; }
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t) const override
    {
        return {page_call{"offset", offset, std::max<std::uint64_t>(limit, 1)}};
    }
    bool starts_anywhere() const override { return true; }
    page_call continue_from(std::uint64_t first, std::uint64_t asked) const override
    {
        return {"offset", first, asked};
    }
    std::optional<list_page> decode(const adapters::upstream_response&) const override { return std::nullopt; }
    std::optional<std::pair<http::verb, std::string>> total_call() const override
    {
        if (!total_call_)
            return std::nullopt;
        return std::pair{http::verb::head, std::string()};
    }
    std::vector<std::string_view> reserved_parameters() const override { return {}; }

private:
    bool total_call_;
    bool estimate_;
};

// An upstream with fixed-size numbered pages (CPM's DRF paging, §1.5): a
// short page is the last; past the last page, an error; when the window
// would take more than the budget, one call for the whole collection.
class page_dialect final : public adapters::list_dialect {
public:
    explicit page_dialect(std::uint64_t page_size) : size_(page_size) {}
    std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const override
    {
        const auto first = offset / size_;
        const auto last = (offset + std::max<std::uint64_t>(limit, 1) - 1) / size_;
        if (last - first + 1 > max_calls)
            return {page_call{"all", 0, 0}};
        std::vector<page_call> calls;
        for (auto p = first; p <= last; ++p)
            calls.push_back(page_call{"page", p * size_, size_});
        return calls;
    }
    bool starts_anywhere() const override { return false; }
    std::optional<list_page> decode(const adapters::upstream_response&) const override { return std::nullopt; }
    std::vector<std::string_view> reserved_parameters() const override { return {}; }

private:
    std::uint64_t size_;
};

// The collection on the other side: items "0", "1", ...; at most `cap`
// items an answer (0: no cap); `counts`: answers carry the total.
struct upstream {
    std::uint64_t size = 0;
    std::uint64_t cap = 0;
    bool counts = false;
    std::vector<std::string> names;
    std::optional<std::uint64_t> head_count;  // what the total call says, when not `size` (an estimate)

    upstream(std::uint64_t n, std::uint64_t c, bool with_counts) : size(n), cap(c), counts(with_counts)
    {
        for (std::uint64_t i = 0; i < n; ++i)
            names.push_back(std::to_string(i));
    }
    // nullopt: the vendor's "past the end" error (a numbered page beyond the last).
    std::optional<list_page> answer(const page_call& call) const
    {
        if (call.query == "page" && call.first >= size && call.first > 0)
            return std::nullopt;
        std::uint64_t n = call.first < size ? size - call.first : 0;
        if (call.asked)
            n = std::min(n, call.asked);
        if (cap)
            n = std::min(n, cap);
        list_page page;
        for (std::uint64_t i = 0; i < n; ++i)
            page.items.push_back(names[static_cast<std::size_t>(call.first + i)]);
        if (counts)
            page.total = size;
        return page;
    }
};

struct outcome {
    std::vector<std::string_view> items;
    std::optional<std::uint64_t> total;
    std::optional<std::uint64_t> next;
    std::size_t calls = 0;
};

// What proxy_list() does, with the scripted upstream in place of the network.
outcome run(const adapters::list_dialect& d, const upstream& up, std::uint64_t offset, std::uint64_t limit,
            std::size_t budget, bool fill)
{
    outcome o;
    list_merge m(d, offset, limit, budget, fill);
    auto calls = m.first_round();
    const bool total_call = m.take_total_call().has_value();
    o.calls += calls.size() + (total_call ? 1 : 0);
    if (total_call)
        m.set_total(up.head_count.value_or(up.size));
    for (int round = 0; !calls.empty(); ++round) {
        BOOST_REQUIRE(round < 10000);
        for (const auto& c : calls) {
            if (auto page = up.answer(c))
                m.add(c, *page);
            else
                m.past_the_end(c);
        }
        calls = m.next_round();
        o.calls += calls.size();
    }
    if (auto p = m.probe()) {
        ++o.calls;
        if (auto page = up.answer(*p))
            m.probe_answered(*page);
    }
    o.items = m.items();
    o.total = m.total();
    o.next = m.next_offset();
    return o;
}

std::vector<std::string_view> range(const upstream& up, std::uint64_t from, std::uint64_t to)
{
    std::vector<std::string_view> out;
    for (auto i = from; i < to && i < up.size; ++i)
        out.push_back(up.names[static_cast<std::size_t>(i)]);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_table)
{
    const offset_dialect with_head(true), without_head(false);
    const page_dialect pages(20);
    struct row {
        const char* what;
        const adapters::list_dialect& dialect;
        std::uint64_t size, cap;
        bool counts;
        std::uint64_t offset, limit;
        std::size_t budget;
        bool fill;
        std::size_t items;  // the window's items, from `offset`
        std::optional<std::uint64_t> total, next;
        std::size_t calls;
    };
    const std::optional<std::uint64_t> none;
    const row rows[] = {
        // Defect 1, the demo's: 1001 backups, 50 an answer, a window of 1000
        // and 20 calls (the HEAD count among them). 950 items come back; the
        // next window must start at 950, not at 1000.
        {"budget cuts the window", with_head, 1001, 50, false, 0, 1000, 20, false, 950, 1001, 950, 20},
        {"the page style fills its window", with_head, 1001, 50, false, 0, 1000, 20, true, 1000, 1001, 1000, 21},
        {"the last window after it", with_head, 1001, 50, false, 950, 1000, 20, false, 51, 1001, none, 3},
        {"no HEAD: one more page", without_head, 1001, 50, false, 0, 1000, 20, false, 1000, none, 1000, 20},
        {"a cap of 7, a window of 60", with_head, 137, 7, false, 3, 60, 20, false, 60, 137, 63, 10},
        {"past the end, counted", with_head, 1001, 50, false, 2000, 10, 20, false, 0, 1001, none, 2},
        {"past the end, uncounted: probed", without_head, 1001, 50, false, 2000, 10, 20, false, 0, none, none, 2},
        // Without a count, a short answer may be a cap: the rest of the
        // window is asked for in pages of its size, and the first empty one
        // right after it is the end.
        {"a short answer, then nothing: the end", without_head, 23, 0, false, 20, 10, 20, false, 3, 23, none, 4},
        {"an empty collection", without_head, 0, 0, false, 0, 10, 20, false, 0, 0, none, 1},
        {"numbered pages", pages, 137, 0, true, 40, 20, 20, false, 20, 137, 60, 1},
        {"numbered pages, window across two", pages, 137, 0, true, 30, 20, 20, false, 20, 137, 50, 2},
        {"the last numbered page is short", pages, 137, 0, false, 120, 20, 20, false, 17, 137, none, 1},
        {"past the last numbered page: probed", pages, 137, 0, true, 140, 20, 20, false, 0, 137, none, 2},
        {"too many pages: the whole list", pages, 137, 0, false, 0, 100, 2, false, 100, 137, 100, 1},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what)
        {
            const upstream up(r.size, r.cap, r.counts);
            const auto o = run(r.dialect, up, r.offset, r.limit, r.budget, r.fill);
            BOOST_TEST(o.items.size() == r.items);
            BOOST_TEST((o.items == range(up, r.offset, r.offset + r.items)));
            BOOST_TEST((o.total == r.total));
            BOOST_TEST((o.next == r.next));
            BOOST_TEST(o.calls == r.calls);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_walk_returns_every_item_once_in_order)
{
    const offset_dialect with_head(true), without_head(false);
    const page_dialect pages20(20), pages7(7);
    const adapters::list_dialect* dialects[] = {&with_head, &without_head, &pages20, &pages7};
    std::size_t walks = 0;
    for (const auto* d : dialects)
        for (const std::uint64_t size : {0ull, 1ull, 23ull, 137ull, 1001ull})
            for (const std::uint64_t cap : {0ull, 7ull, 50ull})
                for (const std::uint64_t limit : {1ull, 7ull, 20ull, 60ull, 1000ull})
                    for (const std::size_t budget : {1ul, 2ul, 20ul})
                        for (const bool fill : {false, true}) {
                            if (limit == 1 && size > 137)
                                continue;
                            if (cap && !d->starts_anywhere())
                                continue;  // a numbered page is its size
                            BOOST_TEST_CONTEXT("size " << size << ", cap " << cap << ", limit " << limit
                                                       << ", budget " << budget << ", fill " << fill)
                            {
                                const upstream up(size, cap, d == &pages20);
                                std::vector<std::string_view> seen;
                                std::optional<std::uint64_t> at = 0;
                                for (int guard = 0; at && guard < 2000; ++guard) {
                                    const auto o = run(*d, up, *at, limit, budget, fill);
                                    BOOST_REQUIRE(o.items.size() <= limit);
                                    if (fill && o.next)
                                        BOOST_TEST(o.items.size() == limit);  // page arithmetic holds
                                    if (o.next)
                                        BOOST_REQUIRE(*o.next > *at);  // progress
                                    seen.insert(seen.end(), o.items.begin(), o.items.end());
                                    at = o.next;
                                }
                                BOOST_TEST(!at);
                                BOOST_TEST((seen == range(up, 0, size)));
                                ++walks;
                            }
                        }
    BOOST_TEST_MESSAGE(walks << " walks");
    BOOST_TEST(walks > 500u);
}

// Backup and DR's HEAD count is an estimate (§3.3): a count below the truth
// used to end the window (and the walk) early, losing the last items. Now the
// walk goes on until an empty or short page, whatever the count says.
BOOST_AUTO_TEST_CASE(an_estimated_total_never_ends_a_walk)
{
    const offset_dialect estimating(true, true);
    {
        // One window: 10 items, 3 an answer, the count says 7.
        upstream up(10, 3, false);
        up.head_count = 7;
        list_merge m(estimating, 0, 10, 20, false);
        auto calls = m.first_round();
        BOOST_REQUIRE(m.take_total_call());
        m.set_total(7);
        while (!calls.empty()) {
            for (const auto& c : calls)
                m.add(c, *up.answer(c));
            calls = m.next_round();
        }
        BOOST_TEST((m.items() == range(up, 0, 10)));
        BOOST_TEST((m.total() == std::optional<std::uint64_t>(7)));
        BOOST_TEST(m.total_estimated());
        BOOST_TEST((m.next_offset() == std::optional<std::uint64_t>(10)));  // nothing says it ends here
    }
    std::size_t walks = 0;
    for (const std::uint64_t size : {1ul, 9ul, 10ul, 23ul, 137ul})
        for (const std::uint64_t cap : {0ul, 3ul, 50ul})
            for (const std::uint64_t limit : {1ul, 4ul, 10ul, 60ul})
                BOOST_TEST_CONTEXT("size " << size << ", cap " << cap << ", limit " << limit)
                {
                    upstream up(size, cap, false);
                    up.head_count = size - std::max<std::uint64_t>(1, size / 10) + (size == 1);  // low (but for one item)
                    std::vector<std::string_view> seen;
                    std::optional<std::uint64_t> at = 0;
                    for (int guard = 0; at && guard < 2000; ++guard) {
                        const auto o = run(estimating, up, *at, limit, 20, false);
                        if (o.next)
                            BOOST_REQUIRE(*o.next > *at);
                        seen.insert(seen.end(), o.items.begin(), o.items.end());
                        at = o.next;
                    }
                    BOOST_TEST((seen == range(up, 0, size)));
                    ++walks;
                }
    BOOST_TEST(walks == 60u);
}

// An upstream that ignored the paging answered the whole collection: its
// items are placed from index 0, whatever the call asked. CPM says so (a bare
// array: list_page::whole); a Veeam collection that takes no Offset answers
// more than asked, or more than its totalCount leaves after the offset.
BOOST_AUTO_TEST_CASE(an_answer_that_ignored_the_paging_is_the_whole_collection)
{
    const offset_dialect d(false);
    const upstream up(12, 0, true);
    const auto all = range(up, 0, 12);
    list_page whole_page;
    whole_page.items = all;
    whole_page.total = 12;
    struct row {
        const char* what;
        page_call call;
        bool flagged;
    };
    for (const auto& r : {row{"said so", {"x", 4, 4}, true}, row{"more than asked", {"x", 4, 4}, false},
                          row{"past its total from the offset", {"x", 4, 20}, false}}) {
        BOOST_TEST_CONTEXT(r.what)
        {
            list_merge m(d, 4, 4, 20, false);
            auto p = whole_page;
            p.whole = r.flagged;
            m.add(r.call, p);
            BOOST_TEST((m.items() == std::vector<std::string_view>(all.begin() + 4, all.begin() + 8)));
            BOOST_TEST((m.total() == std::optional<std::uint64_t>(12)));
            BOOST_TEST((m.next_offset() == std::optional<std::uint64_t>(8)));
        }
    }
    // An honest short answer is not taken for the whole collection.
    list_merge m(d, 4, 4, 20, false);
    list_page honest;
    honest.items = range(up, 4, 7);
    honest.total = 7;
    m.add(page_call{"x", 4, 4}, honest);
    BOOST_TEST((m.items() == range(up, 4, 7)));
}
