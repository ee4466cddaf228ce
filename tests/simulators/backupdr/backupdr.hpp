// Google Backup and DR's Management console API (the document
// ../shared/vendors/google-backupdr-management-api.txt), served under
// /actifio/, plus a minimal Google OAuth 2.0 token endpoint at /token for the
// service-account JWT flow. Options (options::extra) are listed in
// docs/simulators.md, "Google Backup and DR".
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <memory>

namespace sim {

// Throws std::invalid_argument for an unknown or malformed extra option and
// std::runtime_error when sa_public_key_file cannot be read.
std::unique_ptr<vendor> make_backupdr(const options& opts, const clock& c);

}  // namespace sim
