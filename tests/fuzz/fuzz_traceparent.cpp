// A client's traceparent (gateway/trace_context.*): joined or a new trace,
// and what goes upstream is always a valid traceparent with the same trace id
// when it was joined.
#include "gateway/trace_context.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    const auto t = bg::trace_context::from(value);
    bg::traceparent_parts sent;
    if (!bg::parse_traceparent(t.header(), sent))
        std::abort();
    bg::traceparent_parts given;
    if (t.joined && (!bg::parse_traceparent(value, given) || given.trace_id != sent.trace_id))
        std::abort();
    return 0;
}
