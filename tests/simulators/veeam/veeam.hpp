// backup-sim's Veeam Backup for AWS: the REST API of
// shared/vendors/veeam-aws-rest-api-overview.txt and -reference.txt under /api/v1/.
// Options, users and decisions: docs/simulators.md, "Veeam Backup for AWS".
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <memory>

namespace sim {

// Throws std::invalid_argument for a bad option in options.extra (start-up only).
std::unique_ptr<sim::vendor> make_veeam(const sim::options& opts, const sim::clock& clock);

}  // namespace sim
