#include "gateway/trace_context.hpp"

#include <algorithm>
#include <random>

namespace bg {
namespace {

bool lower_hex(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

// Random hex digits into `out` (a generator per thread, seeded once from
// the system's entropy: ids need to be unique, not secret). Never all zero.
void random_hex(char* out, std::size_t n)
{
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    bool zero = true;
    for (std::size_t i = 0; i < n; i += 16) {
        auto v = rng();
        zero = zero && v == 0;
        for (std::size_t j = i; j < std::min(n, i + 16); ++j, v >>= 4)
            out[j] = digits[v & 0xf];
    }
    if (zero)
        out[n - 1] = '1';  // (an all-zero id is invalid)
}

}  // namespace

bool parse_traceparent(std::string_view v, traceparent_parts& out)
{
    // version "-" trace-id "-" parent-id "-" trace-flags
    if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
        return false;
    const auto version = v.substr(0, 2);
    if (!lower_hex(version) || version == "ff")
        return false;
    if (version == "00" && v.size() != 55)
        return false;
    if (v.size() > 55 && v[55] != '-')
        return false;  // a later version's extra fields follow a '-'
    out.trace_id = v.substr(3, 32);
    out.parent_id = v.substr(36, 16);
    out.flags = v.substr(53, 2);
    return lower_hex(out.trace_id) && lower_hex(out.parent_id) && lower_hex(out.flags) && !all_zero(out.trace_id) &&
           !all_zero(out.parent_id);
}

void new_span_id(char* out) { random_hex(out, 16); }

trace_context trace_context::from(std::string_view traceparent, bool sample_new)
{
    trace_context t;
    auto* v = t.value.data();
    v[0] = '0';
    v[1] = '0';
    v[2] = v[35] = v[52] = '-';
    traceparent_parts p;
    if (!traceparent.empty() && parse_traceparent(traceparent, p)) {
        std::copy(p.trace_id.begin(), p.trace_id.end(), v + 3);
        std::copy(p.flags.begin(), p.flags.end(), v + 53);
        std::copy(p.parent_id.begin(), p.parent_id.end(), t.client_parent.begin());
        t.joined = true;
    } else {
        random_hex(v + 3, 32);
        // Not sampled unless the gateway exports spans: then it records this trace.
        v[53] = '0';
        v[54] = sample_new ? '1' : '0';
    }
    random_hex(v + 36, 16);
    return t;
}

}  // namespace bg
