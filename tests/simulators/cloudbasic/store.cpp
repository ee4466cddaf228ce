#include "tests/simulators/cloudbasic/store.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <span>

namespace sim::cloudbasic {
namespace json = boost::json;

namespace {

constexpr std::array<kind_names, all_kinds.size()> kind_table{{
    {"replications", "Replications", "Replication"},
    {"instances", "Instances", "Instance"},
    {"users", "Users", "User"},
    {"clusters", "Clusters", "Cluster"},
}};
constexpr std::array<std::string_view, all_kinds.size()> id_prefixes{"rep-", "inst-", "user-", "cluster-"};

std::size_t index_of(kind k) { return static_cast<std::size_t>(k); }

// SplitMix64's finalizer: every seed, kind and index gets its own stream, so an
// item does not change when another list's size does.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

class generator {
public:
    generator(std::uint64_t seed, kind k, std::uint64_t index)
        : state_(mix(seed + 0x9e3779b97f4a7c15ull) ^ mix((static_cast<std::uint64_t>(k) << 40) + index)) {}

    std::uint64_t next() {
        state_ += 0x9e3779b97f4a7c15ull;
        return mix(state_);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    template <std::size_t N>
    std::string_view pick(const std::array<std::string_view, N>& from) {
        return from[below(N)];
    }
    std::string letters(std::size_t n, std::string_view alphabet) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += alphabet[below(alphabet.size())];
        return out;
    }

private:
    std::uint64_t state_;
};

constexpr std::string_view upper_letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view lower_alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view secret_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::string_view, 8> applications{"crm",       "erp",    "billing", "hr",
                                                       "reporting", "orders", "web",     "analytics"};
constexpr std::array<std::string_view, 5> regions{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                                  "ap-southeast-2"};
constexpr std::array<std::string_view, 4> engines{"sqlserver-se", "sqlserver-ee", "sqlserver-web", "sqlserver-ex"};
constexpr std::array<std::string_view, 3> engine_versions{"15.00.4345.5.v1", "16.00.4095.4.v1", "14.00.3465.1.v1"};
constexpr std::array<std::string_view, 6> instance_statuses{"available", "available", "available",
                                                            "available", "modifying", "stopped"};
constexpr std::array<std::string_view, 8> databases{"Sales",     "Inventory", "Payroll", "Orders",
                                                    "Customers", "Ledger",    "Audit",   "Telemetry"};
constexpr std::array<std::string_view, 7> replication_statuses{"Running", "Running", "Running", "Running",
                                                               "Paused",  "Seeding", "Failed"};
constexpr std::array<std::string_view, 2> replication_modes{"Continuous", "OneTime"};
constexpr std::array<std::string_view, 3> roles{"Administrator", "Operator", "ReadOnly"};
constexpr std::array<std::string_view, 12> user_names{"admin", "alice", "bob",   "carol", "dave", "erin",
                                                      "frank", "grace", "heidi", "ivan",  "judy", "mallory"};
constexpr std::array<std::string_view, 3> cluster_statuses{"Healthy", "Healthy", "Degraded"};

// Seeded times lie in the 30 days before this fixed instant, not before the
// clock's now: same seed, same items.
const auto seeded_epoch = std::chrono::sys_days{std::chrono::year{2024} / 6 / 1};

std::string numbered(kind k, std::uint64_t n) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%04llu", static_cast<unsigned long long>(n));
    return std::string(id_prefixes[index_of(k)]) + digits;
}

std::string seeded_time(generator& g) { return iso8601(seeded_epoch - std::chrono::seconds(g.below(30 * 24 * 3600))); }

json::object make_instance(std::uint64_t seed, std::uint64_t n) {
    generator g(seed, kind::instances, n);
    const std::string name = "sql-" + std::string(g.pick(applications)) + "-" + std::to_string(n);
    const std::string region(g.pick(regions));
    return {{"Id", numbered(kind::instances, n)},
            {"Name", name},
            {"Engine", g.pick(engines)},
            {"EngineVersion", g.pick(engine_versions)},
            {"Region", region},
            {"Endpoint", name + "." + g.letters(12, lower_alnum) + "." + region + ".rds.amazonaws.com"},
            {"Port", 1433},
            {"Status", g.pick(instance_statuses)}};
}

json::object make_replication(std::uint64_t seed, std::uint64_t n, std::size_t instances) {
    generator g(seed, kind::replications, n);
    const auto source = g.below(instances);
    const auto target = (source + 1 + g.below(instances - 1)) % instances;  // never the source
    const std::string database = std::string(g.pick(databases)) + std::to_string(1 + g.below(9));
    const auto source_id = numbered(kind::instances, source + 1);
    const auto target_id = numbered(kind::instances, target + 1);
    const auto size = 1'000'003 + g.next() % 900'000'000'000ull;  // never a round number
    return {{"Id", numbered(kind::replications, n)},
            {"Name", database + "-to-" + target_id},
            {"Status", g.pick(replication_statuses)},
            {"Mode", g.pick(replication_modes)},
            {"SourceInstanceId", source_id},
            {"SourceDatabase", database},
            {"TargetInstanceId", target_id},
            {"TargetDatabase", database + "_replica"},
            {"SizeBytes", size},
            {"CreatedTime", seeded_time(g)},
            {"LastSyncTime", seeded_time(g)}};
}

json::object make_user(std::uint64_t seed, std::uint64_t n, std::string_view admin_access_key_id) {
    generator g(seed, kind::users, n);
    std::string name(user_names[(n - 1) % user_names.size()]);
    if (n > user_names.size()) name += std::to_string(n);
    const bool admin = n == 1;
    return {{"Id", numbered(kind::users, n)},
            {"UserName", name},
            {"Email", name + "@example.com"},
            {"Role", admin ? std::string_view("Administrator") : g.pick(roles)},
            {"AccessKeyId", admin ? std::string(admin_access_key_id) : g.letters(20, upper_letters)},
            {"CreatedTime", seeded_time(g)}};
}

json::object make_cluster(std::uint64_t seed, std::uint64_t n, std::size_t instances) {
    generator g(seed, kind::clusters, n);
    const auto primary = g.below(instances);
    const auto secondary = (primary + 1 + g.below(instances - 1)) % instances;
    const std::string region(g.pick(regions));
    return {{"Id", numbered(kind::clusters, n)},
            {"Name", "ha-cluster-" + std::to_string(n)},
            {"Status", g.pick(cluster_statuses)},
            {"FailoverMode", "Automatic"},
            {"PrimaryInstanceId", numbered(kind::instances, primary + 1)},
            {"SecondaryInstanceId", numbered(kind::instances, secondary + 1)},
            {"PrimaryAvailabilityZone", region + "a"},
            {"SecondaryAvailabilityZone", region + "b"}};
}

// POST parameters: strings only, from a known list, the required ones non-empty.
std::optional<api_error> check_parameters(const json::object& params, std::span<const std::string_view> allowed,
                                          std::span<const std::string_view> required) {
    for (const auto& [key, value] : params) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string known;
            for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
            return api_error{400, "Unknown parameter '" + std::string(key) + "'. Accepted parameters: " + known + "."};
        }
        if (!value.is_string()) return api_error{400, "Parameter '" + std::string(key) + "' must be a string."};
    }
    for (auto r : required) {
        const auto* value = params.if_contains(r);
        if (value == nullptr || value->as_string().empty())
            return api_error{400, "Missing required parameter '" + std::string(r) + "'."};
    }
    return std::nullopt;
}

std::string string_or(const json::object& params, std::string_view key, std::string_view fallback) {
    const auto* value = params.if_contains(key);
    return std::string(value != nullptr ? std::string_view(value->as_string()) : fallback);
}

template <std::size_t N>
bool one_of(std::string_view value, const std::array<std::string_view, N>& allowed) {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

const kind_names& names_of(kind k) { return kind_table[index_of(k)]; }

std::optional<kind> kind_from_path(std::string_view segment) {
    for (auto k : all_kinds)
        if (names_of(k).path == segment) return k;
    return std::nullopt;
}

std::size_t data_sizes::of(kind k) const {
    switch (k) {
    case kind::replications: return replications;
    case kind::instances: return instances;
    case kind::users: return users;
    case kind::clusters: return clusters;
    }
    return 0;
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day_start = floor<days>(secs);
    const year_month_day ymd{day_start};
    const hh_mm_ss hms{secs - day_start};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

store::store(std::uint64_t seed, data_sizes sizes, std::string admin_access_key_id)
    : seed_(seed), sizes_(sizes), admin_access_key_id_(std::move(admin_access_key_id)) {
    seed_all();
}

void store::reset() {
    std::unique_lock lock(mutex_);
    seed_all();
}

void store::seed_all() {
    for (auto& c : items_) c.clear();
    issued_secrets_.clear();
    for (auto k : all_kinds) {
        const auto count = sizes_.of(k);
        auto& items = items_[index_of(k)];
        for (std::uint64_t n = 1; n <= count; ++n) {
            switch (k) {
            case kind::replications: items.emplace(numbered(k, n), make_replication(seed_, n, sizes_.instances)); break;
            case kind::instances: items.emplace(numbered(k, n), make_instance(seed_, n)); break;
            case kind::users: items.emplace(numbered(k, n), make_user(seed_, n, admin_access_key_id_)); break;
            case kind::clusters: items.emplace(numbered(k, n), make_cluster(seed_, n, sizes_.instances)); break;
            }
        }
        last_number_[index_of(k)] = count;
    }
}

std::string store::next_id(kind k) { return numbered(k, ++last_number_[index_of(k)]); }

std::size_t store::size(kind k) const {
    std::shared_lock lock(mutex_);
    return items_[index_of(k)].size();
}

json::array store::list(kind k) const {
    std::shared_lock lock(mutex_);
    json::array out;
    const auto& items = items_[index_of(k)];
    out.reserve(items.size());
    for (const auto& [id, item] : items) out.push_back(item);
    return out;
}

std::optional<json::object> store::get(kind k, std::string_view id) const {
    std::shared_lock lock(mutex_);
    const auto& items = items_[index_of(k)];
    const auto it = items.find(id);
    if (it == items.end()) return std::nullopt;
    return it->second;
}

outcome<json::object> store::create_replication(const json::object& params, time_point now) {
    static constexpr std::array<std::string_view, 6> allowed{
        "Name", "SourceInstanceId", "SourceDatabase", "TargetInstanceId", "TargetDatabase", "Mode"};
    static constexpr std::array<std::string_view, 3> required{"SourceInstanceId", "SourceDatabase", "TargetInstanceId"};
    if (auto error = check_parameters(params, allowed, required)) return *error;
    const auto source = string_or(params, "SourceInstanceId", "");
    const auto target = string_or(params, "TargetInstanceId", "");
    const auto source_db = string_or(params, "SourceDatabase", "");
    const auto target_db = string_or(params, "TargetDatabase", source_db);
    const auto mode = string_or(params, "Mode", "Continuous");
    if (!one_of(mode, replication_modes))
        return api_error{400, "Mode must be 'Continuous' or 'OneTime', not '" + mode + "'."};
    if (source == target && source_db == target_db)
        return api_error{400, "A replication's target must differ from its source."};

    std::unique_lock lock(mutex_);
    const auto& instances = items_[index_of(kind::instances)];
    for (const auto& [param, id] : {std::pair{"SourceInstanceId", source}, std::pair{"TargetInstanceId", target}})
        if (!instances.contains(id)) return api_error{400, std::string(param) + " '" + id + "' does not exist."};
    const auto id = next_id(kind::replications);
    json::object item{{"Id", id},
                      {"Name", string_or(params, "Name", source_db + "-to-" + target)},
                      {"Status", "Initializing"},
                      {"Mode", mode},
                      {"SourceInstanceId", source},
                      {"SourceDatabase", source_db},
                      {"TargetInstanceId", target},
                      {"TargetDatabase", target_db},
                      {"SizeBytes", 0},
                      {"CreatedTime", iso8601(now)},
                      {"LastSyncTime", nullptr}};
    items_[index_of(kind::replications)].emplace(id, item);
    return item;
}

outcome<json::object> store::create_user(const json::object& params, time_point now) {
    static constexpr std::array<std::string_view, 3> allowed{"UserName", "Email", "Role"};
    static constexpr std::array<std::string_view, 1> required{"UserName"};
    if (auto error = check_parameters(params, allowed, required)) return *error;
    const auto name = string_or(params, "UserName", "");
    const auto role = string_or(params, "Role", "ReadOnly");
    if (!one_of(role, roles))
        return api_error{400, "Role must be 'Administrator', 'Operator' or 'ReadOnly', not '" + role + "'."};

    std::unique_lock lock(mutex_);
    auto& users = items_[index_of(kind::users)];
    for (const auto& [id, user] : users)
        if (user.at("UserName").as_string() == name) return api_error{409, "User '" + name + "' already exists."};
    const auto id = next_id(kind::users);
    // Keys come from the seed too: the same run of requests gets the same keys.
    generator g(seed_ ^ 0x6b657973ull, kind::users, last_number_[index_of(kind::users)]);
    const auto access_key_id = g.letters(20, upper_letters);
    const auto secret = g.letters(40, secret_alphabet);
    json::object user{{"Id", id},
                      {"UserName", name},
                      {"Email", string_or(params, "Email", "")},
                      {"Role", role},
                      {"AccessKeyId", access_key_id},
                      {"CreatedTime", iso8601(now)}};
    users.emplace(id, user);
    issued_secrets_.emplace(access_key_id, secret);
    user["SecretAccessKey"] = secret;
    return user;
}

bool store::remove(kind k, std::string_view id) {
    std::unique_lock lock(mutex_);
    auto& items = items_[index_of(k)];
    const auto it = items.find(id);
    if (it == items.end()) return false;
    items.erase(it);
    return true;
}

std::optional<std::string> store::secret_for(std::string_view access_key_id) const {
    std::shared_lock lock(mutex_);
    const auto it = issued_secrets_.find(access_key_id);
    if (it == issued_secrets_.end()) return std::nullopt;
    return it->second;
}

}  // namespace sim::cloudbasic
