#include "tests/simulators/cpm/routes.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace sim::cpm {

namespace {

using http::verb;

struct table_path {
    std::string_view prefix;  // "accounts/backup"
    table_id table;
};

constexpr std::array<table_path, 9> tables{{
    {"users", table_id::users},
    {"accounts/backup", table_id::backup_accounts},
    {"accounts/dr", table_id::dr_accounts},
    {"schedules", table_id::schedules},
    {"policies", table_id::policies},
    {"backups", table_id::backups},
    {"recoveries", table_id::recoveries},
    {"s3_repositories", table_id::s3_repositories},
    {"regions", table_id::regions},
}};

// Chapter 2: /s3_repositories/ is among 1.1.0's new APIs; recoveries and regions are 1.0.0's.
std::string_view since(table_id t) { return t == table_id::s3_repositories ? "1.1.0" : "1.0.0"; }

// Lists without a POST: backups are made by policies (chapter 2 lists no POST
// /backups/), recoveries and regions have none in chapter 2 either, and the
// simulator serves s3_repositories read-only (1.1.0's POST, PUT and DELETE are
// not simulated).
bool read_only(table_id t) {
    return t == table_id::backups || t == table_id::recoveries || t == table_id::s3_repositories ||
           t == table_id::regions;
}

route collection_route(table_id t) {
    if (read_only(t)) return {endpoint::collection, t, {}, {verb::get}, since(t)};
    return {endpoint::collection, t, {}, {verb::get, verb::post}};
}

route item_route(table_id t, std::string_view id) {
    // Read only: chapter 2's DELETE /recoveries/{id}/ and 1.1.0's PUT and DELETE
    // /s3_repositories/{id}/ are not simulated.
    if (t == table_id::recoveries || t == table_id::s3_repositories) return {endpoint::item, t, id, {verb::get}, since(t)};
    route r{endpoint::item, t, id, {verb::get, verb::put, verb::delete_}};
    if (t == table_id::backups) r.since = "1.1.0";  // GET/PUT/DELETE /backups/{id}/ are new in 1.1.0
    return r;
}

// Chapter 2, 1.1.0's new APIs: GET /backups/{backup_id}/snapshots/ and its typed
// collections, of which the simulator has volumes/ and rds_databases/.
std::optional<route> backup_snapshots_route(std::string_view id, std::string_view rest) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> lists{{
        {"snapshots", ""},
        {"snapshots/volumes", "volume"},
        {"snapshots/rds_databases", "rds_database"},
    }};
    for (const auto& [path, type] : lists) {
        if (rest != path) continue;
        route r{endpoint::backup_snapshots, table_id::backups, id, {verb::get}, "1.1.0"};
        r.snapshot_type = type;
        return r;
    }
    return std::nullopt;
}

// Chapter 2, 1.1.0's new APIs: POST /backups/{backup_id}/snapshots/<kind>/{snapshot_id}/recover/
// for dr_rds_clusters, dr_rds_databases, dynamodb_tables, rds_clusters,
// rds_databases and redshift_clusters. The simulator's backups have snapshots of
// the four kinds below (none of the dr_ kinds); chapter 2 lists no recover/ for
// volumes/, so that path is Django's 404 like any other it does not list.
std::optional<route> recover_route(std::string_view id, std::string_view rest) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kinds{{
        {"rds_databases", "rds_database"},
        {"rds_clusters", "rds_cluster"},
        {"dynamodb_tables", "dynamodb_table"},
        {"redshift_clusters", "redshift_cluster"},
    }};
    constexpr std::string_view prefix = "snapshots/";
    constexpr std::string_view suffix = "/recover";
    if (rest.size() <= prefix.size() + suffix.size() || !rest.starts_with(prefix) || !rest.ends_with(suffix))
        return std::nullopt;
    std::string_view middle = rest.substr(prefix.size(), rest.size() - prefix.size() - suffix.size());
    auto slash = middle.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view kind = middle.substr(0, slash);
    std::string_view snapshot_id = middle.substr(slash + 1);
    if (snapshot_id.empty() || snapshot_id.find_first_of("/.") != std::string_view::npos) return std::nullopt;
    for (const auto& [path, type] : kinds) {
        if (kind != path) continue;
        route r{endpoint::recover_snapshot, table_id::backups, id, {verb::post}, "1.1.0"};
        r.snapshot_type = type;
        r.snapshot_id = snapshot_id;
        return r;
    }
    return std::nullopt;
}

// Under a collection's prefix: "" (the list), "{id}", "{id}/snapshots" (accounts),
// "{id}/backups" (policies), "{id}/snapshots[/volumes|/rds_databases]" and
// "{id}/snapshots/<kind>/{snapshot_id}/recover" (backups).
std::optional<route> match_under(const table_path& t, std::string_view rest) {
    if (rest.empty()) return collection_route(t.table);
    if (t.table == table_id::regions) return std::nullopt;  // chapter 2 lists GET /regions/ only
    auto slash = rest.find('/');
    std::string_view id = rest.substr(0, slash);
    if (id.empty() || id.find('.') != std::string_view::npos) return std::nullopt;
    if (slash == std::string_view::npos) return item_route(t.table, id);
    if (t.table == table_id::backup_accounts || t.table == table_id::dr_accounts)
        if (rest.substr(slash + 1) == "snapshots")
            return route{endpoint::account_snapshots, t.table, id, {verb::delete_}};
    // Chapter 2 (1.0.0): POST /policies/{id}/backups/ runs the policy now.
    if (t.table == table_id::policies && rest.substr(slash + 1) == "backups")
        return route{endpoint::run_policy, t.table, id, {verb::post}};
    if (t.table == table_id::backups) {
        if (auto recover = recover_route(id, rest.substr(slash + 1))) return recover;
        return backup_snapshots_route(id, rest.substr(slash + 1));
    }
    return std::nullopt;
}

}  // namespace

bool route::allows(http::verb v) const {
    if (v == verb::options) return true;
    if (v == verb::head) v = verb::get;
    return std::find(methods.begin(), methods.end(), v) != methods.end();
}

std::string route::allow_header() const {
    std::string out;
    for (auto m : methods) out += std::string(http::to_string(m)) + ", ";
    if (allows(verb::get)) out += "HEAD, ";
    return out + "OPTIONS";
}

std::optional<route> match_route(std::string_view path) {
    constexpr std::string_view api = "/api/";
    if (!path.starts_with(api) || !path.ends_with('/') || path.size() == api.size()) return std::nullopt;
    std::string_view inner = path.substr(api.size(), path.size() - api.size() - 1);
    if (inner.find("//") != std::string_view::npos) return std::nullopt;
    if (inner == "token/obtain/api_key") return route{endpoint::obtain_token, {}, {}, {verb::post}};
    if (inner == "token/refresh") return route{endpoint::refresh_token, {}, {}, {verb::post}};
    if (inner == "accounts") return route{endpoint::all_accounts, {}, {}, {verb::get}};
    if (inner == "system/support_logs")
        return route{endpoint::support_logs, {}, {}, {verb::get}, "1.1.0",
                     {"application/json", "application/octet-stream"}};
    if (inner == "settings/cleanup/logs") return route{endpoint::cleanup_logs, {}, {}, {verb::get}, "1.1.0", {"text/csv"}};
    // Chapter 2 (1.1.0): POST /settings/cleanup/run/ starts a cleanup.
    if (inner == "settings/cleanup/run") return route{endpoint::cleanup_run, {}, {}, {verb::post}, "1.1.0"};
    for (const auto& t : tables) {
        if (inner == t.prefix) return match_under(t, {});
        if (inner.starts_with(t.prefix) && inner.size() > t.prefix.size() && inner[t.prefix.size()] == '/')
            return match_under(t, inner.substr(t.prefix.size() + 1));
    }
    return std::nullopt;
}

}  // namespace sim::cpm
