// A vendor's list answer (adapters/list_support.*, json_outline): any body is
// an outline or nothing, and every accessor can be asked of an outline.
#include "adapters/list_support.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace lists = bg::adapters::lists;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto outline = lists::json_outline::read(body);
    if (!outline)
        return 0;
    (void)outline->size();
    for (const auto* key : {"results", "items", "count", "totalCount", "next"}) {
        (void)lists::whole_number(outline->member_text(key));
        if (const auto* items = outline->member_elements(key))
            for (const auto item : *items)
                (void)lists::json_outline::read(item);
    }
    (void)outline->only_member_elements();
    return 0;
}
