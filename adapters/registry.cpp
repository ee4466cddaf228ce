// The one list of backend types. A new vendor registers itself here.
#include "adapters/adapter.hpp"
#include "adapters/backupdr/backupdr_adapter.hpp"
#include "adapters/cloudbasic/cloudbasic_adapter.hpp"
#include "adapters/cpm/cpm_adapter.hpp"
#include "adapters/http/http_adapter.hpp"
#include "adapters/veeam/veeam_adapter.hpp"

#include <algorithm>

namespace bg::adapters {

const std::vector<adapter_type>& adapter_types()
{
    static const std::vector<adapter_type> types{
        http_adapter::type(),
        cpm_adapter::type(),
        backupdr_adapter::type(),
        veeam_adapter::type(),
        cloudbasic_adapter::type(),
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
