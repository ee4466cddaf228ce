#include "tests/simulators/cpm/routes.hpp"

#include <algorithm>
#include <array>

namespace sim::cpm {

namespace {

using http::verb;

struct table_path {
    std::string_view prefix;  // "accounts/backup"
    table_id table;
};

constexpr std::array<table_path, 6> tables{{
    {"users", table_id::users},
    {"accounts/backup", table_id::backup_accounts},
    {"accounts/dr", table_id::dr_accounts},
    {"schedules", table_id::schedules},
    {"policies", table_id::policies},
    {"backups", table_id::backups},
}};

route collection_route(table_id t) {
    // Backups are made by policies, not posted (chapter 2 lists no POST /backups/).
    if (t == table_id::backups) return {endpoint::collection, t, {}, {verb::get}};
    return {endpoint::collection, t, {}, {verb::get, verb::post}};
}

route item_route(table_id t, std::string_view id) {
    route r{endpoint::item, t, id, {verb::get, verb::put, verb::delete_}};
    if (t == table_id::backups) r.since = "1.1.0";  // GET/PUT/DELETE /backups/{id}/ are new in 1.1.0
    return r;
}

// Under a collection's prefix: "" (the list), "{id}", "{id}/snapshots" (accounts).
std::optional<route> match_under(const table_path& t, std::string_view rest) {
    if (rest.empty()) return collection_route(t.table);
    auto slash = rest.find('/');
    std::string_view id = rest.substr(0, slash);
    if (id.empty() || id.find('.') != std::string_view::npos) return std::nullopt;
    if (slash == std::string_view::npos) return item_route(t.table, id);
    if (t.table == table_id::backup_accounts || t.table == table_id::dr_accounts)
        if (rest.substr(slash + 1) == "snapshots")
            return route{endpoint::account_snapshots, t.table, id, {verb::delete_}};
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
    for (const auto& t : tables) {
        if (inner == t.prefix) return match_under(t, {});
        if (inner.starts_with(t.prefix) && inner.size() > t.prefix.size() && inner[t.prefix.size()] == '/')
            return match_under(t, inner.substr(t.prefix.size() + 1));
    }
    return std::nullopt;
}

}  // namespace sim::cpm
