#include "tests/simulators/cpm/resources.hpp"

#include "tests/simulators/cpm/wire.hpp"

#include <ctime>

namespace sim::cpm {

namespace {

constexpr auto ro = presence::read_only;
constexpr auto opt = presence::optional;
constexpr auto req = presence::required;

field boolean(std::string_view name) { return {.name = name, .type = kind::boolean}; }
// A field of a resource the API only reads.
field shown(std::string_view name, kind type) { return {.name = name, .type = type, .on_create = ro, .on_update = ro}; }

bool blank(const json::object& item, std::string_view name) {
    const json::value* v = item.if_contains(name);
    return !v || v->is_null() || (v->is_string() && v->as_string().empty());
}

void require(const json::object& item, std::string_view name, json::object& errors) {
    if (blank(item, name) && !errors.contains(name)) errors[name] = error_list("This field is required.", "required");
}

resource make_users() {
    resource r{
        .label = "user",
        .fields = {{.name = "id", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "username", .type = kind::username, .on_create = req, .on_update = req},
                   {.name = "email", .type = kind::email, .allow_blank = true},
                   {.name = "first_name", .type = kind::text, .allow_blank = true},
                   {.name = "last_name", .type = kind::text, .allow_blank = true},
                   {.name = "password", .type = kind::password, .on_create = req, .write_only = true},
                   {.name = "user_type", .type = kind::choice, .choices = {"I", "M"}},
                   boolean("is_active"),
                   boolean("allow_file_level_recovery"),
                   {.name = "max_accounts", .type = kind::integer, .min = 0},
                   {.name = "max_instances", .type = kind::integer, .min = 0},
                   {.name = "max_independent_ebs_gib", .type = kind::integer, .min = 0}},
        .listing = {.filters = {{"username", filter_kind::text},
                                {"user_type", filter_kind::text},
                                {"is_active", filter_kind::boolean}},
                    .search = {"username", "email", "first_name", "last_name"},
                    .ordering = {"id", "username", "email", "user_type"}},
        .unique_field = "username",
    };
    r.defaults = {{"email", ""},         {"first_name", ""},   {"last_name", ""},
                  {"user_type", "I"},    {"is_active", true},  {"allow_file_level_recovery", false},
                  {"max_accounts", 5},   {"max_instances", 50}, {"max_independent_ebs_gib", 1000}};
    return r;
}

// The document's data_accounts_*_create / _update and response_accounts_* (chapter 3).
resource make_accounts() {
    resource r{
        .label = "account",
        .fields = {{.name = "id", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "name", .type = kind::name, .on_create = req, .on_update = req},
                   {.name = "user", .type = kind::user_ref, .on_create = req, .on_update = ro, .id_as_string = true},
                   {.name = "authentication", .type = kind::choice, .on_create = req, .on_update = req,
                    .choices = {"C", "R", "A"}},
                   {.name = "account_number", .type = kind::account_number, .allow_blank = true},
                   {.name = "aws_access_key", .type = kind::text, .allow_blank = true},
                   {.name = "aws_secret_key", .type = kind::text, .allow_blank = true, .write_only = true},
                   {.name = "role_name", .type = kind::text, .allow_blank = true},
                   {.name = "external_id", .type = kind::text, .allow_blank = true},
                   {.name = "assume_from_account", .type = kind::text, .allow_blank = true},
                   boolean("allow_deleting_snapshots"),
                   boolean("capture_vpcs"),
                   {.name = "scan_regions", .type = kind::string_list},
                   boolean("scan_tagged_resources"),
                   // Set by the endpoint (accounts/backup/ or accounts/dr/), not by the body.
                   {.name = "is_dr_account", .type = kind::boolean, .on_create = ro, .on_update = ro}},
        .listing = {.filters = {{"name", filter_kind::text}, {"user", filter_kind::text}},
                    .search = {"name", "aws_access_key"},
                    .ordering = {"authentication", "name", "user"}},
        .unique_field = "name",
    };
    r.defaults = {{"account_number", ""},  {"aws_access_key", ""},          {"role_name", ""},
                  {"external_id", ""},     {"assume_from_account", ""},     {"allow_deleting_snapshots", false},
                  {"capture_vpcs", false}, {"scan_regions", json::array{}}, {"scan_tagged_resources", false}};
    // The three authentication methods of the document's "authentication" field.
    r.cross_check = [](const json::object& item, bool create, json::object& errors) {
        auto method = item.at("authentication").as_string();
        if (method == "C") {
            require(item, "aws_access_key", errors);
            if (create) require(item, "aws_secret_key", errors);
        } else if (method == "A") {
            require(item, "account_number", errors);
            require(item, "role_name", errors);
            require(item, "assume_from_account", errors);
        }
    };
    return r;
}

// Fields of section 1.9.1's samples; every_unit is M(inutes), H(ours), D(ays), W(eeks), mO(nths).
resource make_schedules() {
    resource r{
        .label = "schedule",
        .fields = {{.name = "id", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "name", .type = kind::name, .on_create = req, .on_update = req},
                   {.name = "description", .type = kind::description, .nullable = true, .allow_blank = true},
                   {.name = "user", .type = kind::user_ref},
                   {.name = "every_unit", .type = kind::choice, .on_create = req, .on_update = req,
                    .choices = {"M", "H", "D", "W", "O"}},
                   {.name = "every_how_many", .type = kind::integer, .on_create = req, .on_update = req, .min = 1},
                   {.name = "start_date", .type = kind::datetime},
                   {.name = "end_date", .type = kind::datetime, .nullable = true},
                   {.name = "last_modified", .type = kind::datetime, .on_create = ro, .on_update = ro},
                   boolean("allow_on_sunday"),
                   boolean("allow_on_monday"),
                   boolean("allow_on_tuesday"),
                   boolean("allow_on_wednesday"),
                   boolean("allow_on_thursday"),
                   boolean("allow_on_friday"),
                   boolean("allow_on_saturday"),
                   {.name = "disable_times", .type = kind::string_list, .on_create = ro, .on_update = ro}},
        .listing = {.filters = {{"name", filter_kind::text}, {"user", filter_kind::integer},
                                {"every_unit", filter_kind::text}},
                    .search = {"name", "description"},
                    .ordering = {"id", "name", "user", "every_unit", "every_how_many", "start_date", "end_date",
                                 "last_modified"},
                    // 1.9.1 lists "ordered by the scheduling frequency": M, H, W, O.
                    .ranked_field = "every_unit",
                    .rank = {"M", "H", "D", "W", "O"}},
        .unique_field = "name",
    };
    r.defaults = {{"description", nullptr}, {"end_date", nullptr}, {"disable_times", json::array{}}};
    for (auto day : {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"})
        r.defaults[std::string("allow_on_") + day] = true;
    r.fill = [](json::object& item, bool create, const write_context& ctx) {
        if (create && !item.contains("user")) item["user"] = ctx.user_id;
        if (create && !item.contains("start_date")) item["start_date"] = ctx.now;
        item["last_modified"] = ctx.now;
    };
    // The 1.9.1 samples show the allowed days for minute and hour schedules only.
    r.shown = [](std::string_view name, const json::object& item) {
        if (!name.starts_with("allow_on_")) return true;
        auto unit = item.at("every_unit").as_string();
        return unit == "M" || unit == "H";
    };
    return r;
}

resource make_policies() {
    resource r{
        .label = "policy",
        .fields = {{.name = "id", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "name", .type = kind::name, .on_create = req, .on_update = req},
                   {.name = "description", .type = kind::description, .nullable = true, .allow_blank = true},
                   {.name = "user", .type = kind::user_ref},
                   {.name = "account", .type = kind::account_ref, .on_create = req, .on_update = req},
                   boolean("enabled"),
                   {.name = "generations", .type = kind::integer, .min = 1, .max = 1000},
                   {.name = "schedules", .type = kind::schedule_refs}},
        // Section 1.6's sample filters policies by account.
        .listing = {.filters = {{"account", filter_kind::integer},
                                {"user", filter_kind::integer},
                                {"name", filter_kind::text},
                                {"enabled", filter_kind::boolean}},
                    .search = {"name", "description"},
                    .ordering = {"id", "name", "account", "user", "enabled", "generations"}},
        .unique_field = "name",
    };
    r.defaults = {{"description", ""}, {"enabled", true}, {"generations", 7}, {"schedules", json::array{}}};
    r.fill = [](json::object& item, bool create, const write_context& ctx) {
        if (create && !item.contains("user")) item["user"] = ctx.user_id;
    };
    return r;
}

// Backups are made by policies (POST /policies/{id}/backups/ runs one now, cpm.cpp):
// the API lists, reads, updates (1.1.0) and deletes them.
resource make_backups() {
    return resource{
        .label = "backup",
        .fields = {{.name = "id", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "policy", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "account", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "user", .type = kind::integer, .on_create = ro, .on_update = ro},
                   {.name = "status", .type = kind::text, .on_create = ro, .on_update = ro},
                   {.name = "start_time", .type = kind::datetime, .on_create = ro, .on_update = ro},
                   {.name = "end_time", .type = kind::datetime, .on_create = ro, .on_update = ro},
                   boolean("is_frozen"),
                   {.name = "description", .type = kind::description, .nullable = true, .allow_blank = true}},
        .listing = {.filters = {{"policy", filter_kind::integer},
                                {"account", filter_kind::integer},
                                {"user", filter_kind::integer},
                                {"status", filter_kind::text},
                                {"is_frozen", filter_kind::boolean}},
                    .search = {"status", "description"},
                    .ordering = {"id", "start_time", "end_time", "status", "policy", "account"}},
    };
}

// Chapter 2 (1.0.0): GET /recoveries/ and /recoveries/{id}/. A recovery is
// made from a backup: it carries that backup's policy, account and owner
// (1.1.0's POST .../snapshots/<kind>/{snapshot_id}/recover/ starts one, cpm.cpp).
resource make_recoveries() {
    return resource{
        .label = "recovery",
        .fields = {shown("id", kind::integer),
                   shown("backup", kind::integer),
                   shown("policy", kind::integer),
                   shown("account", kind::integer),
                   shown("user", kind::integer),
                   shown("status", kind::text),
                   shown("start_time", kind::datetime),
                   shown("end_time", kind::datetime),
                   shown("recovery_type", kind::text)},
        .listing = {.filters = {{"backup", filter_kind::integer},
                                {"policy", filter_kind::integer},
                                {"status", filter_kind::text}},
                    .search = {"status"},
                    .ordering = {"id", "start_time", "status"}},
    };
}

// Chapter 2 (1.1.0): GET /s3_repositories/ and /s3_repositories/{id}/.
resource make_s3_repositories() {
    return resource{
        .label = "s3 repository",
        .fields = {shown("id", kind::integer),
                   shown("name", kind::name),
                   shown("account", kind::integer),
                   shown("bucket_name", kind::text),
                   shown("region", kind::text),
                   shown("description", kind::description),
                   shown("user", kind::integer)},
        .listing = {.filters = {{"account", filter_kind::integer}, {"name", filter_kind::text}},
                    .search = {"name", "bucket_name"},
                    .ordering = {"id", "name"}},
    };
}

// Chapter 2 (1.1.0): GET /backups/{backup_id}/snapshots/ and its typed
// collections (volumes/, rds_databases/): one shape, `type` tells them apart.
resource make_snapshots() {
    return resource{
        .label = "snapshot",
        .fields = {shown("id", kind::integer),
                   shown("backup", kind::integer),
                   shown("type", kind::text),
                   shown("resource_id", kind::text),
                   shown("region", kind::text),
                   shown("status", kind::text),
                   shown("size_gib", kind::integer),
                   shown("created", kind::datetime)},
        .listing = {.ordering = {"id"}},
    };
}

// Chapter 2 (1.0.0): GET /regions/, a list without pagination.
resource make_regions() {
    return resource{
        .label = "region",
        .fields = {shown("id", kind::integer), shown("name", kind::text), shown("description", kind::text)},
        .listing = {.paginated = false},
    };
}

}  // namespace

const resource& users_resource() {
    static const resource r = make_users();
    return r;
}
const resource& accounts_resource() {
    static const resource r = make_accounts();
    return r;
}
const resource& schedules_resource() {
    static const resource r = make_schedules();
    return r;
}
const resource& policies_resource() {
    static const resource r = make_policies();
    return r;
}
const resource& backups_resource() {
    static const resource r = make_backups();
    return r;
}
const resource& recoveries_resource() {
    static const resource r = make_recoveries();
    return r;
}
const resource& s3_repositories_resource() {
    static const resource r = make_s3_repositories();
    return r;
}
const resource& snapshots_resource() {
    static const resource r = make_snapshots();
    return r;
}
const resource& regions_resource() {
    static const resource r = make_regions();
    return r;
}

row make_row(const resource& r, const json::object& item) {
    row out;
    json::object shown;
    for (const field& f : r.fields) {
        if (f.write_only) continue;
        const json::value* v = item.if_contains(f.name);
        if (!v) continue;
        out.value[f.name] = *v;
        if (!r.shown || r.shown(f.name, item)) shown[f.name] = *v;
    }
    out.text = json::serialize(shown);
    return out;
}

std::string iso_time(std::int64_t epoch_seconds, std::optional<std::int64_t> micros) {
    std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[40];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(text, n);
    if (micros) {
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(*micros));
        out += fraction;
    }
    return out + "Z";
}

}  // namespace sim::cpm
