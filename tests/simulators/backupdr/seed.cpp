#include "tests/simulators/backupdr/seed.hpp"

#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

namespace sim::backupdr {

namespace {

namespace json = boost::json;

constexpr std::int64_t us_per_second = 1000000;
constexpr std::int64_t us_per_day = 86400 * us_per_second;

template <class T, std::size_t N>
const T& pick(seeded_random& rng, const std::array<T, N>& from) {
    return from[rng.below(N)];
}

std::string numbered(std::string_view prefix, std::uint64_t n, int width) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%0*llu", width, static_cast<unsigned long long>(n));
    return std::string(prefix) + digits;
}

std::int64_t random_us(seeded_random& rng, std::int64_t span) {
    return static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span)));
}

struct clusters {
    std::array<std::int64_t, 2> ids;
};

json::array sources(seeded_random& rng, const clusters& c, std::int64_t primary) {
    json::array out{json::object{{"clusterid", primary}, {"srcid", 4000 + random_us(rng, 900000)}}};
    // Section 4.2: some resources are registered on both appliances and
    // consolidated into one, with a source per appliance.
    if (rng.below(4) == 0) {
        const std::int64_t other = primary == c.ids[0] ? c.ids[1] : c.ids[0];
        out.push_back(json::object{{"clusterid", other}, {"srcid", 4000 + random_us(rng, 900000)}});
    }
    return out;
}

struct host_kind {
    std::string_view prefix, ostype, hosttype;
    bool isvm;
    std::array<std::string_view, 2> apptypes;
};

constexpr std::array<host_kind, 5> host_kinds = {{
    {"lnx-app-", "Linux", "generic", false, {"FileSystem", "Oracle"}},
    {"win-sql-", "Win32", "generic", false, {"SqlInstance", "SqlServerWriter"}},
    {"vm-web-", "Linux", "generic", true, {"VMBackup", "FileSystem"}},
    {"esx", "ESX", "esxhost", false, {"VMBackup", "VMBackup"}},
    {"gce-inst-", "Linux", "gcpinstance", true, {"GCPInstance", "FileSystem"}},
}};

constexpr std::array<std::string_view, 6> descriptions = {
    "Production database server", "Web tier", "Reporting replica", "Batch processing",
    "Legacy ERP", "Test and development"};

json::object make_host(seeded_random& rng, std::int64_t id, std::size_t i, const clusters& c) {
    const host_kind& kind = pick(rng, host_kinds);
    std::string hostname = numbered(kind.prefix, i + 1, 3);
    if (kind.hosttype == "esxhost")
        hostname += ".corp.example.com";
    const std::int64_t cluster = pick(rng, c.ids);
    const std::int64_t created = seed_epoch_us - random_us(rng, 400 * us_per_day);
    json::object h{{"id", id},
                   {"hostname", hostname},
                   {"uniquename", rng.hex(16)},
                   {"friendlypath", "/Datacenter-1/Cluster-" + std::to_string(1 + rng.below(3)) + "/" + hostname},
                   {"description", pick(rng, descriptions)},
                   {"ipaddress", "10." + std::to_string(rng.below(256)) + "." + std::to_string(rng.below(256)) +
                                     "." + std::to_string(1 + rng.below(254))},
                   {"hosttype", kind.hosttype},
                   {"ostype", kind.ostype},
                   {"isvm", kind.isvm},
                   {"sourcecluster", cluster},
                   {"createdate", created},
                   {"modifydate", created + random_us(rng, 30 * us_per_day)},
                   {"sources", sources(rng, c, cluster)}};
    if (kind.ostype == "Win32")
        h["svcname"] = "UDSAgent";
    return h;
}

constexpr std::array<std::string_view, 8> app_words = {"web", "app", "api", "batch", "cache", "report", "mail", "erp"};
constexpr std::array<std::string_view, 5> databases = {"sales", "inventory", "hr_payroll", "crm", "billing"};
constexpr std::array<std::string_view, 5> paths = {"/data", "/var/lib/app", "C:\\", "D:\\Shares", "/opt/erp"};

// The attributes that only some application types have (section 5.4 lists them).
void add_type_attributes(json::object& a, seeded_random& rng, std::string_view apptype, std::size_t i) {
    if (apptype == "VMBackup" || apptype == "GCPInstance") {
        a["appname"] = std::string(apptype == "VMBackup" ? "vm-" : "gce-") + std::string(pick(rng, app_words)) +
                       "-" + std::to_string(i + 1);
        a["vmuuid"] = rng.uuid();
        a["networkname"] = rng.below(2) == 0 ? "VM Network" : "prod-vlan-" + std::to_string(10 + rng.below(40));
    } else if (apptype == "SqlInstance") {
        a["appname"] = numbered("MSSQL", i + 1, 3);
        a["sqlinstance"] = a["appname"];
    } else if (apptype == "SqlServerWriter") {
        a["appname"] = std::string(pick(rng, databases)) + "_" + std::string(pick(rng, app_words));
        a["sqlinstance"] = numbered("MSSQL", rng.below(40), 3);
        if (rng.below(3) == 0)
            a["sqlserverag"] = "ag-prod-" + std::to_string(1 + rng.below(3));
    } else if (apptype == "Oracle") {
        a["appname"] = numbered("ORCL", i + 1, 2);
    } else {
        const std::string_view path = pick(rng, paths);
        a["appname"] = path;
        a["pathname"] = path;
    }
}

json::object make_application(seeded_random& rng, std::int64_t id, std::size_t i, const json::object& host,
                              const clusters& c) {
    const host_kind* kind = &host_kinds[0];
    for (const host_kind& k : host_kinds)
        if (host.at("ostype").as_string() == k.ostype && host.at("hosttype").as_string() == k.hosttype &&
            host.at("isvm").as_bool() == k.isvm)
            kind = &k;
    const std::string_view apptype = pick(rng, kind->apptypes);
    const std::int64_t cluster = host.at("sourcecluster").as_int64();
    const std::int64_t created = host.at("createdate").as_int64() + random_us(rng, 20 * us_per_day);
    json::object a{{"id", id},
                   {"apptype", apptype},
                   {"friendlytype", friendly_type(apptype)},
                   {"hostid", host.at("id")},
                   {"hostname", host.at("hostname")},
                   {"managed", rng.below(5) != 0},
                   {"ignore", rng.below(9) == 0},
                   {"sourcecluster", cluster},
                   {"createdate", created},
                   {"modifydate", created + random_us(rng, 60 * us_per_day)},
                   {"sources", sources(rng, c, cluster)}};
    add_type_attributes(a, rng, apptype, i);
    if (rng.below(3) != 0)
        a["description"] = pick(rng, descriptions);
    return a;
}

// The document's one example of a code: jobclasscode 1 is a snapshot (5.2).
struct job_class {
    std::string_view name;
    std::int64_t code;
    std::string_view policy;
};
constexpr std::array<job_class, 10> job_classes = {{
    {"snapshot", 1, "snap-daily"}, {"snapshot", 1, "snap-hourly"}, {"snapshot", 1, "snap-daily"},
    {"snapshot", 1, "snap-daily"}, {"snapshot", 1, "snap-daily"}, {"dedup", 2, "dedup-weekly"},
    {"dedup", 2, "dedup-weekly"}, {"remote-dedup", 3, "replicate-daily"}, {"OnVault", 4, "onvault-monthly"},
    {"mount", 5, "mount"}}};

constexpr std::array<std::string_view, 4> templates = {"Gold", "Silver", "Bronze", "OnVault-Daily"};
constexpr std::array<std::string_view, 4> labels = {"weekly", "pre-upgrade", "quarter-end", "app-consistent"};

void copy_app_attributes(json::object& to, const json::object& app) {
    to["appid"] = app.at("id");
    to["appname"] = app.at("appname");
    to["hostname"] = app.at("hostname");
    to["sourcecluster"] = app.at("sourcecluster");
}

json::object make_backup(seeded_random& rng, std::int64_t id, std::size_t i, const json::object& app) {
    const job_class& jc = pick(rng, job_classes);
    const std::int64_t consistency = seed_epoch_us - static_cast<std::int64_t>(i) * 3 * 3600 * us_per_second -
                                     random_us(rng, 3600 * us_per_second);
    const std::int64_t backupdate = consistency + random_us(rng, 90 * us_per_second);
    json::object b{{"id", id},
                   {"backupname", numbered("Image_", 3100000 + i * 7 + rng.below(7), 7)},
                   {"jobclass", jc.name},
                   {"jobclasscode", jc.code},
                   {"slpname", rng.below(3) == 0 ? "RemoteProfile" : "LocalProfile"},
                   {"sltname", pick(rng, templates)},
                   {"policyname", jc.policy},
                   {"consistencydate", consistency},
                   {"backupdate", backupdate},
                   {"expiration", backupdate + static_cast<std::int64_t>(3 + rng.below(88)) * us_per_day},
                   {"sizeinbytes", static_cast<std::int64_t>(1 + rng.below(400)) * 1000003 * 1024 +
                                       random_us(rng, 1000000)},
                   {"modifydate", backupdate}};
    copy_app_attributes(b, app);
    if (const json::value* uuid = app.if_contains("vmuuid"))
        b["vmuuid"] = *uuid;
    if (rng.below(6) == 0)
        b["label"] = pick(rng, labels);
    if (jc.name == "mount")
        b["mountedmap"] = "mounted on " + std::string(app.at("hostname").as_string()) + " as /mnt/restore-" +
                          std::to_string(i);
    return b;
}

constexpr std::array<std::string_view, 10> job_statuses = {"succeeded", "succeeded", "succeeded", "succeeded",
                                                           "succeeded", "succeeded", "failed",    "running",
                                                           "queued",    "canceled"};

void add_outcome(json::object& j, seeded_random& rng, std::string_view status, std::int64_t start) {
    const bool finished = status != "running" && status != "queued";
    j["progress"] = status == "succeeded" ? 100 : status == "queued" ? 0 : static_cast<int>(1 + rng.below(98));
    j["errorcode"] = status == "failed" ? 5022 + static_cast<int>(rng.below(3)) * 1000 : 0;
    if (status == "failed")
        j["errormessage"] = "Snapshot failed: the host agent did not respond in time";
    if (finished)
        j["enddate"] = start + random_us(rng, 2 * 3600 * us_per_second);
}

json::object make_job(seeded_random& rng, std::int64_t id, std::size_t i, const json::object& app) {
    const job_class& jc = pick(rng, job_classes);
    const std::string_view status = pick(rng, job_statuses);
    const std::int64_t start = seed_epoch_us - static_cast<std::int64_t>(i) * 1800 * us_per_second -
                               random_us(rng, 1800 * us_per_second);
    json::object j{{"id", id},
                   {"jobname", numbered("Job_", 8200000 + i * 13 + rng.below(13), 7)},
                   {"jobclass", jc.name},
                   {"jobclasscode", jc.code},
                   {"status", status},
                   {"startdate", start},
                   {"policyname", jc.policy},
                   {"sltname", pick(rng, templates)},
                   {"isscheduled", rng.below(4) != 0}};
    copy_app_attributes(j, app);
    add_outcome(j, rng, status, start);
    // (Derived from i, not drawn: the seeded data of every other job stays as it was.)
    if (jc.name == "mount")
        j["targethost"] = "restore-" + std::string(app.at("hostname").as_string());
    if (i % 6 == 0)
        j["label"] = labels[(i / 6) % labels.size()];
    return j;
}

std::vector<const json::object*> rows_of(const table& t) {
    std::vector<const json::object*> out;
    for (const auto& [id, row] : t.rows)
        out.push_back(&row);
    return out;
}

template <class Make>
table make_table(seeded_random& rng, std::int64_t first_id, std::size_t n, Make make) {
    table t;
    t.last_id = first_id;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t id = next_id(t, rng);
        t.rows.emplace(id, make(id, i));
    }
    return t;
}

}  // namespace

std::string_view friendly_type(std::string_view apptype) {
    if (apptype == "VMBackup")
        return "VMware VM";
    if (apptype == "SqlInstance")
        return "SQL Server Instance";
    if (apptype == "SqlServerWriter")
        return "SQL Server Database";
    if (apptype == "Oracle")
        return "Oracle Database";
    if (apptype == "GCPInstance")
        return "Compute Engine Instance";
    return "File System";
}

std::uint64_t mix64(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t seeded_random::next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
}

std::string seeded_random::hex(std::size_t digits) {
    static constexpr char alphabet[] = "0123456789abcdef";
    std::string out;
    while (out.size() < digits) {
        std::uint64_t v = next();
        for (int k = 0; k < 16 && out.size() < digits; ++k, v >>= 4)
            out += alphabet[v & 0xf];
    }
    return out;
}

std::string seeded_random::uuid() {
    std::string h = hex(32);
    h[12] = '4';  // RFC 9562 version 4 and variant 10xx, so it reads as a random UUID
    h[16] = "89ab"[next() % 4];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::int64_t next_id(table& t, seeded_random& rng) {
    t.last_id += 1 + static_cast<std::int64_t>(rng.below(9));
    return t.last_id;
}

tables make_seed_data(seeded_random& rng, const seed_sizes& sizes) {
    const clusters c{{141920000000 + random_us(rng, 9000000), 144290000000 + random_us(rng, 9000000)}};
    tables all;
    all["host"] = make_table(rng, 4100, sizes.hosts, [&](std::int64_t id, std::size_t i) {
        return make_host(rng, id, i, c);
    });
    const auto hosts = rows_of(all["host"]);
    all["application"] = make_table(rng, 5200, sizes.applications, [&](std::int64_t id, std::size_t i) {
        return make_application(rng, id, i, *hosts[rng.below(hosts.size())], c);
    });
    const auto apps = rows_of(all["application"]);
    all["backup"] = make_table(rng, 891000, sizes.backups, [&](std::int64_t id, std::size_t i) {
        return make_backup(rng, id, i, *apps[rng.below(apps.size())]);
    });
    all["job"] = make_table(rng, 77000, sizes.jobs, [&](std::int64_t id, std::size_t i) {
        return make_job(rng, id, i, *apps[rng.below(apps.size())]);
    });
    return all;
}

}  // namespace sim::backupdr
