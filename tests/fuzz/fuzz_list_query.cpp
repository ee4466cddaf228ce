// The query language (gateway/query.*, adapters/list_query.*,
// gateway/local_query.*): any query string gives a list_query or a 400; a
// list_query is checked against every vendor's tables (strict and
// passthrough), rendered in each dialect where the check passes, and applied
// by the gateway to a few items of every JSON kind.
#include "adapters/backupdr/backupdr_list.hpp"
#include "adapters/cloudbasic/cloudbasic_list.hpp"
#include "adapters/cpm/cpm_list.hpp"
#include "adapters/veeam/veeam_list.hpp"
#include "gateway/local_query.hpp"
#include "gateway/pagination.hpp"
#include "gateway/query.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    bg::config::pagination_settings settings;
    auto window = bg::parse_page_query(text, settings);
    const auto* w = std::get_if<bg::page_window>(&window);
    auto parsed = bg::parse_list_query(w ? std::string_view(w->rest) : text);
    const auto* q = std::get_if<bg::adapters::list_query>(&parsed);
    if (!q)
        return 0;
    static const bg::adapters::cpm_list cpm;
    static const bg::adapters::backupdr_list bdr;
    static const bg::adapters::veeam_list veeam;
    static const bg::adapters::cloudbasic_list cloudbasic;
    const std::pair<const bg::adapters::list_dialect*, const bg::adapters::query_support*> collections[] = {
        {&cpm, bg::adapters::cpm_query_at("/policies/")},
        {&cpm, bg::adapters::cpm_query_at("/accounts/")},
        {&bdr, bg::adapters::backupdr_query_at("/host")},
        {&bdr, bg::adapters::backupdr_query_at("/sla")},
        {&veeam, bg::adapters::veeam_query_at("/virtualMachines")},
        {&veeam, bg::adapters::veeam_query_at("/regions")},
        {&cloudbasic, bg::adapters::cloudbasic_query_at("/replications")},
    };
    for (const auto& [dialect, support] : collections) {
        (void)bg::adapters::check_query(*q, support, "fuzz", false);
        if (bg::adapters::check_query(*q, support, "fuzz", true) || !support || support->local)
            continue;
        const auto params = dialect->render_query(*q, *support);
        (void)bg::adapters::check_clash(*q, params, "fuzz");
    }
    static constexpr std::string_view items[] = {
        R"({"id":1,"name":"a","size":2.5,"on":true,"tier":null,"src":{"region":"eu"}})",
        R"({"id":-3,"name":"B","size":"7","on":false,"tags":["x"],"src":"flat"})",
        R"([1,2,3])",
        R"("text")",
        R"({"id":18446744073709551615,"name":"\u00e9t\u00e9","size":1e308})",
        "not json",
    };
    (void)bg::apply_local_query(items, *q);
    return 0;
}
