// backup-sim's CloudBasic: the REST API of CloudBasic's replication service
// (../shared/vendors/cloudbasic-rest-api.txt), where every request carries an
// AWS Signature Version 4 for service "cbr". Resources, options and decisions:
// docs/simulators.md, "CloudBasic".
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <memory>

namespace sim {

// options.extra: region, access_key_id, secret_access_key, session_token,
// max_skew_seconds, replications, instances, users, clusters. Throws
// std::invalid_argument naming the option for an unknown key or a bad value.
std::unique_ptr<vendor> make_cloudbasic(const options& opts, const clock& c);

}  // namespace sim
