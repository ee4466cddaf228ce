#include "tests/simulators/backupdr/schema.hpp"

#include <algorithm>
#include <array>

namespace sim::backupdr {

namespace {

using enum field_type;

// Flags for the `field` aggregates below, so each line reads as a sentence.
struct rw {
    bool writable, creatable, required;
};
constexpr rw read_only{false, false, false};
constexpr rw create_only{false, true, false};
constexpr rw create_required{false, true, true};
constexpr rw editable{true, true, false};
constexpr rw editable_required{true, true, true};
constexpr rw update_only{true, false, false};

field f(std::string_view name, field_type type, rw flags = read_only, std::vector<std::string_view> values = {}) {
    return {name, type, flags.writable, flags.creatable, flags.required, std::move(values)};
}

const std::vector<std::string_view> job_classes = {"snapshot", "dedup", "remote-dedup", "OnVault", "mount"};

resource_schema application_schema() {
    return {"application",
            {f("id", number), f("appname", string, editable_required),
             f("apptype", enumeration, create_required,
               {"VMBackup", "SqlInstance", "SqlServerWriter", "FileSystem", "Oracle", "GCPInstance"}),
             f("friendlytype", string), f("hostid", number, create_required), f("hostname", string),
             f("description", string, editable), f("vmuuid", string, create_only),
             f("networkname", string, editable), f("pathname", string, editable),
             f("sqlinstance", string, create_only), f("sqlserverag", string, create_only),
             f("managed", boolean, update_only), f("ignore", boolean, editable), f("sourcecluster", number),
             f("createdate", timestamp), f("modifydate", timestamp)},
            {"vmuuid", "hostname", "appname", "description", "networkname", "pathname", "sqlinstance",
             "sqlserverag"},
            true,
            true,
            true};
}

resource_schema host_schema() {
    return {"host",
            {f("id", number), f("hostname", string, editable_required), f("uniquename", string),
             f("friendlypath", string, editable), f("svcname", string, editable),
             f("description", string, editable), f("ipaddress", string, editable_required),
             f("hosttype", enumeration, create_only, {"generic", "vcenter", "esxhost", "hypervhost", "gcpinstance"}),
             f("ostype", enumeration, editable, {"Linux", "Win32", "ESX", "Other"}),
             f("isvm", boolean, create_only), f("sourcecluster", number), f("createdate", timestamp),
             f("modifydate", timestamp)},
            {"uniquename", "hostname", "friendlypath", "svcname", "description", "ipaddress"},
            true,
            true,
            true};
}

resource_schema backup_schema() {
    return {"backup",
            {f("id", number), f("backupname", string), f("appid", number), f("appname", string),
             f("hostname", string), f("vmuuid", string), f("label", string, update_only),
             f("jobclass", enumeration, read_only, job_classes), f("jobclasscode", number),
             f("slpname", string), f("sltname", string), f("policyname", string), f("mountedmap", string),
             f("consistencydate", timestamp), f("backupdate", timestamp),
             f("expiration", timestamp, update_only), f("sizeinbytes", number), f("sourcecluster", number),
             f("modifydate", timestamp)},
            {"vmuuid", "backupname", "label", "appname", "hostname", "slpname", "sltname", "policyname",
             "mountedmap"},
            false,
            true,
            true};
}

resource_schema job_schema() {
    return {"job",
            {f("id", number), f("jobname", string), f("jobclass", enumeration, read_only, job_classes),
             f("jobclasscode", number), f("appid", number), f("appname", string), f("hostname", string),
             f("status", enumeration, read_only, {"queued", "running", "succeeded", "failed", "canceled"}),
             f("progress", number), f("startdate", timestamp), f("enddate", timestamp),
             f("errorcode", number), f("errormessage", string), f("policyname", string),
             f("sltname", string), f("isscheduled", boolean), f("sourcecluster", number),
             f("targethost", string), f("label", string)},
            // Section 5.4's table: Job "jobname", "hostname", "targethost", "appname", "sltname", "policyname", "label"
            {"jobname", "hostname", "targethost", "appname", "sltname", "policyname", "label"},
            false,
            false,
            false};
}

}  // namespace

const field* resource_schema::find(std::string_view attr) const {
    auto it = std::find_if(fields.begin(), fields.end(), [&](const field& x) { return x.name == attr; });
    return it == fields.end() ? nullptr : &*it;
}

std::string resource_schema::allowed_on_list() const {
    return can_create ? "GET, HEAD, POST, OPTIONS" : "GET, HEAD, OPTIONS";
}

std::string resource_schema::allowed_on_item() const {
    std::string allow = "GET";
    if (can_update)
        allow += ", PUT";
    if (can_delete)
        allow += ", DELETE";
    return allow;
}

std::span<const resource_schema> schemas() {
    static const std::array<resource_schema, 4> all = {application_schema(), backup_schema(), host_schema(),
                                                       job_schema()};
    return all;
}

const resource_schema* find_schema(std::string_view name) {
    for (const resource_schema& s : schemas())
        if (s.name == name)
            return &s;
    return nullptr;
}

bool is_structural(std::string_view attr) { return attr == "sources"; }

}  // namespace sim::backupdr
