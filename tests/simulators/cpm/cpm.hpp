// backup-sim's N2WS CPM: the RESTful API of ../shared/vendors/n2ws-cpm-rest-api.txt
// under /api/. Options (options::extra), endpoints and the choices made where
// the document is silent: docs/simulators.md, "N2WS CPM".
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <memory>

namespace sim {

// Throws std::invalid_argument naming the option for an unknown key or a bad value.
std::unique_ptr<vendor> make_cpm(const options& opts, const clock& c);

}  // namespace sim
