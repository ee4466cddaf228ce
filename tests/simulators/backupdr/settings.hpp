// The vendor's options, read once from options::extra and checked.
#pragma once

#include "tests/simulators/backupdr/credentials.hpp"
#include "tests/simulators/backupdr/seed.hpp"
#include "tests/simulators/common/vendor.hpp"

#include <chrono>
#include <cstddef>

namespace sim::backupdr {

struct settings {
    std::chrono::seconds session_idle{3600};  // section 3.7: "expire after 1 hour of inactivity"
    std::size_t page_cap = 50;  // below the default limit of 1000 (section 5.1), so clients see short pages
    token_settings tokens;
    seed_sizes sizes;
};

// Throws std::invalid_argument naming the offending key.
settings parse_settings(const options& opts);

}  // namespace sim::backupdr
