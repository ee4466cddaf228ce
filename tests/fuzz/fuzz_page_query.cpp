// The client's paging parameters (gateway/pagination.*): any query string
// gives a window or a 400, and a window's links and envelope can be made.
#include "gateway/pagination.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view query(reinterpret_cast<const char*>(data), size);
    bg::config::pagination_settings settings;
    auto parsed = bg::parse_page_query(query, settings);
    auto* w = std::get_if<bg::page_window>(&parsed);
    if (!w)
        return 0;
    (void)bg::refuse_reserved(*w, {"page", "offset", "ordering"});
    bg::page_answer a;
    a.total = w->offset + 7;
    bg::set_links(a, "/cpm/policies/", *w, w->offset + 1);
    (void)bg::render_envelope(a, *w);
    (void)bg::link_header(a);
    return 0;
}
