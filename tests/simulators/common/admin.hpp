// The admin endpoints (/__sim/...) every simulated vendor's port answers; the
// list is in server.hpp.
#pragma once

#include "tests/simulators/common/server_state.hpp"

#include <string_view>

namespace sim::detail {

constexpr std::string_view admin_prefix = "/__sim/";

inline bool is_admin_target(std::string_view target) { return target.starts_with(admin_prefix); }

response handle_admin(server_state& state, const request& req);

}  // namespace sim::detail
