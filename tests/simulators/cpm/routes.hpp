// CPM's URL map: which paths exist under /api/, with which methods, since
// which API version. Paths end in '/', as everywhere in the document; a path
// that matches nothing is Django's own 404 page, before any authentication.
#pragma once

#include "tests/simulators/common/vendor.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace sim::cpm {

enum class endpoint {
    obtain_token,       // POST token/obtain/api_key/
    refresh_token,      // POST token/refresh/
    all_accounts,       // GET accounts/
    collection,         // GET (list), POST (create)
    item,               // GET, PUT, DELETE {id}/
    account_snapshots,  // DELETE accounts/backup/{id}/snapshots/
    backup_snapshots,   // GET backups/{backup_id}/snapshots/[volumes/|rds_databases/]
    support_logs,       // GET system/support_logs/
    cleanup_logs,       // GET settings/cleanup/logs/
    // The job starts (docs/simulators.md, "Job starts"):
    run_policy,         // POST policies/{id}/backups/
    recover_snapshot,   // POST backups/{backup_id}/snapshots/<kind>/{snapshot_id}/recover/
    cleanup_run,        // POST settings/cleanup/run/
};

enum class table_id {
    users,
    backup_accounts,
    dr_accounts,
    schedules,
    policies,
    backups,
    recoveries,
    s3_repositories,
    regions,
};

struct route {
    endpoint kind;
    std::optional<table_id> table;
    std::string_view id;  // the {id} segment, unchecked (DRF's lookup matches [^/.]+)
    std::vector<http::verb> methods;
    std::string_view since = "1.0.0";          // the version that added it (chapter 2)
    // Media types an Accept header may ask for. Section 1.9.1 downloads support
    // logs with "Accept: application/json" and cleanup logs with "text/csv".
    std::vector<std::string_view> accepts = {"application/json"};
    // backup_snapshots: the type a typed collection lists ("volume" under
    // snapshots/volumes/), empty for every snapshot of the backup;
    // recover_snapshot: the type of the snapshot to recover ("rds_database").
    std::string_view snapshot_type = {};
    std::string_view snapshot_id = {};  // recover_snapshot: the {snapshot_id} segment, unchecked

    bool allows(http::verb v) const;
    std::string allow_header() const;  // DRF's Allow: "GET, POST, HEAD, OPTIONS"
};

std::optional<route> match_route(std::string_view path);

}  // namespace sim::cpm
