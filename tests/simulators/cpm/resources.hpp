// CPM's resources as the simulator serves them: fields and validation
// (schema.hpp), list options (listing.hpp), what the server fills in itself,
// and the seeded data. The document specifies accounts in full (chapter 3);
// users, schedules, policies, backups, recoveries, S3 repositories, a backup's
// snapshots and regions are built from its overview and examples (sections 1.5
// to 1.9) and its version history (chapter 2): the choices made there are
// listed in docs/simulators.md, "N2WS CPM".
#pragma once

#include "tests/simulators/cpm/listing.hpp"
#include "tests/simulators/cpm/schema.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace sim::cpm {

// What the server knows when it writes an item.
struct write_context {
    std::string now;          // "2018-08-01T12:00:00.123456Z"
    std::int64_t user_id = 1; // the owner of the token
};

struct resource {
    std::string_view label;  // for messages: "schedule with this name already exists."
    std::vector<field> fields;
    list_spec listing;
    std::string_view unique_field = {};
    json::object defaults = {};  // optional fields not given on create
    // What the server fills in itself (owner, timestamps).
    std::function<void(json::object& item, bool create, const write_context&)> fill = {};
    // Rules across fields, e.g. an IAM-user account needs its keys.
    std::function<void(const json::object& item, bool create, json::object& errors)> cross_check = {};
    // Whether a field appears in the answer (schedules show allow_on_* only for M and H).
    std::function<bool(std::string_view field, const json::object& item)> shown = {};
};

const resource& users_resource();
const resource& accounts_resource();  // backup and DR accounts (is_dr_account tells them apart)
const resource& schedules_resource();
const resource& policies_resource();
const resource& backups_resource();
const resource& recoveries_resource();       // read-only; .../recover/ starts one (cpm.cpp)
const resource& s3_repositories_resource();  // read-only (1.1.0)
const resource& snapshots_resource();        // a backup's snapshots (1.1.0), made on request
const resource& regions_resource();          // not paginated

// The stored row: the item in field order without write-only fields, and its answer text.
row make_row(const resource& r, const json::object& item);

struct collection {
    table rows;
    std::int64_t next_id = 1;  // ids are not reused, as with a database sequence
    void insert(row r) {
        auto id = r.value.at("id").as_int64();
        next_id = std::max(next_id, id + 1);
        rows.insert_or_assign(id, std::move(r));
    }
};

struct store {
    collection users;
    collection accounts;
    collection schedules;
    collection policies;
    collection backups;
    collection recoveries;
    collection s3_repositories;
    collection regions;
};

// Not round numbers on purpose: a client that pages must cope with a short last page.
struct seed_sizes {
    std::size_t users = 7;
    std::size_t accounts = 11;  // backup accounts
    std::size_t dr_accounts = 3;
    std::size_t schedules = 23;
    std::size_t policies = 137;
    std::size_t backups = 1001;
    std::size_t recoveries = 73;
    std::size_t s3_repositories = 11;
};

// The same seed gives the same data, item for item. Collections added later
// draw from random streams of their own, so the earlier ones keep their values.
store seed_store(std::uint64_t seed, const seed_sizes& sizes);

// GET /backups/{backup_id}/snapshots/ (chapter 2, 1.1.0): 0 to 7 snapshots of
// `backup` (a backups row), made from the seed and the backup's read-only fields
// (id, start_time, status), so every call gives the same ones; ids are
// (backup_id - 1) * 8 + 1 onwards, so no two backups share one.
table backup_snapshots(std::uint64_t seed, const json::object& backup);

// "YYYY-MM-DDTHH:MM:SSZ", or with microseconds when `micros` (what DRF gives
// for a timestamp the server set itself).
std::string iso_time(std::int64_t epoch_seconds, std::optional<std::int64_t> micros = std::nullopt);

}  // namespace sim::cpm
