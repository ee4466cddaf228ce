// The backend types: the built-in `http`, then every vendor of BG_VENDORS
// (vendors.cmake), whose headers and types the build writes into
// registry_vendors.inc. A new vendor adds its name there, not here.
#include "adapters/adapter.hpp"
#include "adapters/http/http_adapter.hpp"
#include "adapters/registry_vendors.inc"

#include <algorithm>

namespace bg::adapters {

const std::vector<adapter_type>& adapter_types()
{
    static const std::vector<adapter_type> types{
        http_adapter::type(),
#define BG_REGISTRY_VENDOR_TYPES
#include "adapters/registry_vendors.inc"
#undef BG_REGISTRY_VENDOR_TYPES
    };
    return types;
}

const adapter_type* find_adapter_type(std::string_view name)
{
    const auto& types = adapter_types();
    const auto it = std::find_if(types.begin(), types.end(), [&](const adapter_type& t) { return t.name == name; });
    return it == types.end() ? nullptr : &*it;
}

std::vector<config::backend_check> backend_checks()
{
    std::vector<config::backend_check> checks;
    for (const auto& t : adapter_types())
        checks.push_back(t.check);
    return checks;
}

}  // namespace bg::adapters
