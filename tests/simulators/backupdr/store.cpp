#include "tests/simulators/backupdr/store.hpp"

#include <algorithm>
#include <climits>

namespace sim::backupdr {

namespace {

namespace json = boost::json;

bool has_type(const field& f, const json::value& v) {
    switch (f.type) {
    case field_type::number:
    case field_type::timestamp:
        return v.is_int64() || (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(LLONG_MAX));
    case field_type::string:
        return v.is_string();
    case field_type::enumeration:
        return v.is_string() && std::find(f.values.begin(), f.values.end(), v.as_string()) != f.values.end();
    case field_type::boolean:
        return v.is_bool();
    }
    return false;
}

std::string_view type_name(const field& f) {
    switch (f.type) {
    case field_type::number:
        return "an integer";
    case field_type::timestamp:
        return "an integer timestamp (microseconds)";
    case field_type::string:
        return "a string";
    case field_type::enumeration:
        return "one of the documented values";
    case field_type::boolean:
        return "a boolean";
    }
    return "";
}

// Numbers are kept as int64 so that equality and sorting see one kind.
json::value normalized(const field& f, const json::value& v) {
    if ((f.type == field_type::number || f.type == field_type::timestamp) && v.is_uint64())
        return static_cast<std::int64_t>(v.as_uint64());
    return v;
}

std::optional<api_error> check_value(const field& f, const json::value& v) {
    if (has_type(f, v))
        return std::nullopt;
    return bad_request("attribute '" + std::string(f.name) + "' must be " + std::string(type_name(f)));
}

api_error unknown_attribute(const resource_schema& s, std::string_view attr) {
    return bad_request("unknown attribute '" + std::string(attr) + "' for " + std::string(s.name));
}

api_error conflict(std::string message) {
    return {http::status::conflict, err_code::conflict, std::move(message)};
}

std::optional<api_error> check_required(const resource_schema& s, const json::object& item) {
    for (const field& f : s.fields)
        if (f.required && !item.contains(f.name))
            return bad_request("attribute '" + std::string(f.name) + "' is required");
    return std::nullopt;
}

// Section 3.2: a null attribute is the same as an absent one.
bool absent(const json::value& v) { return v.is_null(); }

// An attribute no client may change may still be sent back unchanged: a
// client that PUTs what it read must not fail.
std::optional<api_error> check_unchanged(const json::object& current, std::string_view attr, const json::value& v) {
    const json::value* now = current.if_contains(attr);
    if (now != nullptr && *now == v)
        return std::nullopt;
    return bad_request("attribute '" + std::string(attr) + "' cannot be changed");
}

bool any_row(const table& t, std::string_view attr, std::int64_t id) {
    return std::any_of(t.rows.begin(), t.rows.end(), [&](const auto& kv) {
        const json::value* v = kv.second.if_contains(attr);
        return v != nullptr && v->is_int64() && v->as_int64() == id;
    });
}

}  // namespace

data_store::data_store(std::uint64_t seed, const seed_sizes& sizes) : seed_(seed), sizes_(sizes), rng_(seed) {
    reset();
}

void data_store::reset() {
    rng_ = seeded_random(seed_);
    tables_ = make_seed_data(rng_, sizes_);
    jobs_started_ = 0;
}

table& data_store::rows(const resource_schema& s) { return tables_[std::string(s.name)]; }

const table& data_store::rows(const resource_schema& s) const {
    static const table empty;
    auto it = tables_.find(s.name);
    return it == tables_.end() ? empty : it->second;
}

std::size_t data_store::size(const resource_schema& s) const { return rows(s).rows.size(); }

std::vector<const json::object*> data_store::all(const resource_schema& s) const {
    std::vector<std::pair<std::uint64_t, const json::object*>> keyed;
    for (const auto& [id, row] : rows(s).rows)
        keyed.emplace_back(mix64(static_cast<std::uint64_t>(id) ^ seed_), &row);
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const json::object*> out;
    out.reserve(keyed.size());
    for (const auto& [key, row] : keyed)
        out.push_back(row);
    return out;
}

const json::object* data_store::find(const resource_schema& s, std::int64_t id) const {
    const table& t = rows(s);
    auto it = t.rows.find(id);
    return it == t.rows.end() ? nullptr : &it->second;
}

outcome<json::object> data_store::create(const resource_schema& s, const json::object& body, std::int64_t now_us) {
    json::object item;
    for (const auto& [key, value] : body) {
        if (absent(value))
            continue;
        const field* f = s.find(key);
        if (f == nullptr && !is_structural(key))
            return unknown_attribute(s, key);
        if (f == nullptr || !f->creatable)
            return bad_request("attribute '" + std::string(key) + "' cannot be set");
        if (auto e = check_value(*f, value))
            return *e;
        item[key] = normalized(*f, value);
    }
    if (auto e = check_required(s, item))
        return *e;
    if (auto e = check_create_links(s, item))
        return *e;
    item["id"] = next_id(rows(s), rng_);
    fill_derived(s, item, now_us);
    const std::int64_t id = item["id"].as_int64();
    return rows(s).rows.emplace(id, std::move(item)).first->second;
}

std::optional<api_error> data_store::check_create_links(const resource_schema& s, const json::object& item) const {
    if (s.name == "host")
        return check_unique_hostname(item, -1);
    if (s.name == "application" && find(*find_schema("host"), item.at("hostid").as_int64()) == nullptr)
        return conflict("host " + json::serialize(item.at("hostid")) + " does not exist");
    return std::nullopt;
}

std::optional<api_error> data_store::check_unique_hostname(const json::object& body, std::int64_t self) const {
    const json::value* name = body.if_contains("hostname");
    if (name == nullptr || absent(*name))
        return std::nullopt;
    for (const auto& [id, row] : rows(*find_schema("host")).rows)
        if (id != self && row.at("hostname") == *name)
            return conflict("a host named " + json::serialize(*name) + " already exists");
    return std::nullopt;
}

void data_store::fill_derived(const resource_schema& s, json::object& item, std::int64_t now_us) {
    item["createdate"] = now_us;
    item["modifydate"] = now_us;
    if (s.name == "application") {
        const json::object& host = *find(*find_schema("host"), item.at("hostid").as_int64());
        item["friendlytype"] = friendly_type(item.at("apptype").as_string());
        item["hostname"] = host.at("hostname");
        item["sourcecluster"] = host.at("sourcecluster");
        item["managed"] = false;  // nothing protects it yet
        item.emplace("ignore", false);
    } else {  // host
        const table& hosts = rows(s);
        item["uniquename"] = rng_.hex(16);
        item.emplace("hosttype", "generic");
        item.emplace("ostype", "Other");
        item.emplace("isvm", false);
        item["sourcecluster"] = hosts.rows.empty() ? 0 : hosts.rows.begin()->second.at("sourcecluster").as_int64();
    }
    item["sources"] = json::array{
        json::object{{"clusterid", item.at("sourcecluster")}, {"srcid", 4000 + static_cast<std::int64_t>(rng_.below(900000))}}};
}

outcome<json::object> data_store::update(const resource_schema& s, std::int64_t id, const json::object& body,
                                         std::int64_t now_us) {
    table& t = rows(s);
    auto it = t.rows.find(id);
    if (it == t.rows.end())
        return not_found(std::string(s.name) + " " + std::to_string(id) + " does not exist");
    json::object updated = it->second;
    for (const auto& [key, value] : body) {
        if (absent(value))
            continue;
        const field* f = s.find(key);
        if (f == nullptr && !is_structural(key))
            return unknown_attribute(s, key);
        if (f == nullptr || !f->writable) {
            if (auto e = check_unchanged(it->second, key, value))
                return *e;
            continue;
        }
        if (auto e = check_value(*f, value))
            return *e;
        updated[key] = normalized(*f, value);
    }
    if (s.name == "host")
        if (auto e = check_unique_hostname(body, id))
            return *e;
    if (updated.contains("modifydate"))
        updated["modifydate"] = now_us;
    it->second = std::move(updated);
    if (s.name == "host")
        cascade_hostname(it->second);
    return it->second;
}

// Applications show their host's current name; backups and jobs keep the name
// they were taken with.
void data_store::cascade_hostname(const json::object& host) {
    for (auto& [id, app] : rows(*find_schema("application")).rows)
        if (app.at("hostid") == host.at("id"))
            app["hostname"] = host.at("hostname");
}

// The job is a snapshot (jobclasscode 1, section 5.2's one documented code) of
// the application, on demand (isscheduled false), just started: "running",
// progress 0, startdate now, no enddate. It carries the application's appid,
// appname, hostname and sourcecluster, as the seeded jobs do; no SLA runs it,
// so it has no policyname or sltname.
outcome<json::object> data_store::start_backup(std::int64_t app_id, const json::object& body, std::int64_t now_us) {
    const json::object* app = find(*find_schema("application"), app_id);
    if (app == nullptr)
        return not_found("application " + std::to_string(app_id) + " does not exist");
    const json::value* label = nullptr;
    for (const auto& [key, value] : body) {
        if (absent(value))
            continue;
        if (key != "label")
            return bad_request("unknown attribute '" + std::string(key) + "' for an application backup");
        if (!value.is_string())
            return bad_request("attribute 'label' must be a string");
        label = &value;
    }
    table& jobs = rows(*find_schema("job"));
    const std::int64_t id = next_id(jobs, rng_);
    json::object job{{"id", id},
                     {"jobname", "Job_" + std::to_string(9000000 + id)},
                     {"jobclass", "snapshot"},
                     {"jobclasscode", 1},
                     {"appid", app->at("id")},
                     {"appname", app->at("appname")},
                     {"hostname", app->at("hostname")},
                     {"status", "running"},
                     {"progress", 0},
                     {"startdate", now_us},
                     {"errorcode", 0},
                     {"isscheduled", false},
                     {"sourcecluster", app->at("sourcecluster")}};
    if (label != nullptr)
        job["label"] = *label;
    ++jobs_started_;
    return jobs.rows.emplace(id, std::move(job)).first->second;
}

std::optional<api_error> data_store::remove(const resource_schema& s, std::int64_t id) {
    table& t = rows(s);
    if (!t.rows.contains(id))
        return not_found(std::string(s.name) + " " + std::to_string(id) + " does not exist");
    if (s.name == "host" && any_row(rows(*find_schema("application")), "hostid", id))
        return conflict("host " + std::to_string(id) + " still has applications");
    if (s.name == "application" && any_row(rows(*find_schema("backup")), "appid", id))
        return conflict("application " + std::to_string(id) + " still has backups");
    t.rows.erase(id);
    return std::nullopt;
}

}  // namespace sim::backupdr
