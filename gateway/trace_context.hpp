// W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway joins
// the client's trace, or starts one.
//
//   traceparent: 00-<trace-id: 32 hex>-<parent-id: 16 hex>-<trace-flags: 2 hex>
//
// A valid traceparent keeps its trace id and flags, and its tracestate goes
// upstream as it came; the gateway's own span gets a new id, which is the
// parent id the vendor sees. An absent or invalid one (§3.2.2: lowercase hex
// only, no all-zero ids, version ff invalid) starts a new trace, and any
// tracestate is dropped with it (§3.3). The trace id is in the access log and
// in every problem document.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bg {

// Kept in place, as the traceparent the gateway sends upstream
// ("00-<trace id>-<span id>-<flags>"): no allocation per request.
struct trace_context {
    std::array<char, 55> value{};
    std::array<char, 16> client_parent{};  // the client's span (its parent-id), when joined
    bool joined = false;  // the client's trace (its traceparent was valid)

    // The client's traceparent value ("" when absent). `sample_new`: a new
    // trace is sampled (flags 01: the gateway records it, tracing: on);
    // a joined one keeps the client's decision.
    static trace_context from(std::string_view traceparent, bool sample_new = false);
    bool sampled() const  // the flags' low bit (in their last hex digit)
    {
        const char c = value[54];
        return ((c <= '9' ? c - '0' : c - 'a' + 10) & 1) != 0;
    }
    std::string_view parent_id() const { return {client_parent.data(), joined ? client_parent.size() : 0}; }
    std::string_view header() const { return {value.data(), value.size()}; }
    std::string_view trace_id() const { return header().substr(3, 32); }   // 32 lowercase hex digits
    std::string_view span_id() const { return header().substr(36, 16); }   // the gateway's span: the parent upstream
    std::string_view flags() const { return header().substr(53, 2); }
};

// The parts of a traceparent value, when valid (§3.2); version 00 must be
// exactly 55 characters, a later version may carry more after a '-'.
struct traceparent_parts {
    std::string_view trace_id, parent_id, flags;
};
bool parse_traceparent(std::string_view value, traceparent_parts& out);

// A new random span id (16 lowercase hex digits, never all zero) into `out`.
void new_span_id(char* out);

}  // namespace bg
