// The YAML configuration loader (config/load.cpp, validate.cpp): any text is a
// configuration or a config::error naming where it is wrong. Any other
// exception escapes and is a finding.
#include "adapters/adapter.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    const auto no_env = [](const std::string&) { return std::optional<std::string>(); };
    try {
        auto cfg = bg::config::load_from_string(yaml, "fuzz.yaml", no_env);
        bg::config::validate(cfg, bg::adapters::backend_checks());
    } catch (const bg::config::error&) {
    }
    return 0;
}
