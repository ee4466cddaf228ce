#include "tests/simulators/veeam/seed.hpp"

#include <array>
#include <ctime>
#include <utility>

namespace sim::veeam {

namespace json = boost::json;

namespace {

constexpr std::uint64_t vm_stream = 0x766d;    // "vm"
constexpr std::uint64_t repo_stream = 0x7265;  // "re"
constexpr std::uint64_t ec2_policy_stream = 0x6563;     // "ec"
constexpr std::uint64_t efs_policy_stream = 0x6566;     // "ef"
constexpr std::uint64_t restore_point_stream = 0x7270;  // "rp"

struct region {
    std::string_view name;
    std::string_view id;  // fixed, so the same region has the same id in every item
    std::string_view display_name;
};

// GET /api/v1/regions. The first eight are the ones machines and repositories
// are spread over; they stay first and in this order, so the seeded items stay
// as they were.
constexpr std::array<region, 19> all_regions{{
    {"us-east-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c01", "US East (N. Virginia)"},
    {"us-east-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c02", "US East (Ohio)"},
    {"us-west-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c03", "US West (Oregon)"},
    {"eu-west-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c04", "Europe (Ireland)"},
    {"eu-central-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c05", "Europe (Frankfurt)"},
    {"ap-southeast-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c06", "Asia Pacific (Sydney)"},
    {"ap-northeast-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c07", "Asia Pacific (Tokyo)"},
    {"ca-central-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c08", "Canada (Central)"},
    {"us-west-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c09", "US West (N. California)"},
    {"eu-west-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0a", "Europe (London)"},
    {"eu-west-3", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0b", "Europe (Paris)"},
    {"eu-north-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0c", "Europe (Stockholm)"},
    {"eu-south-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0d", "Europe (Milan)"},
    {"ap-south-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0e", "Asia Pacific (Mumbai)"},
    {"ap-southeast-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c0f", "Asia Pacific (Singapore)"},
    {"ap-northeast-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c10", "Asia Pacific (Seoul)"},
    {"ap-northeast-3", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c11", "Asia Pacific (Osaka)"},
    {"sa-east-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c12", "South America (São Paulo)"},
    {"me-south-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c13", "Middle East (Bahrain)"},
}};
const std::span<const region> regions = std::span<const region>(all_regions).first(8);

constexpr std::array<std::string_view, 10> roles_of_hosts{"web",   "db",   "app", "cache", "batch",
                                                          "build", "mail", "vpn", "etl",   "api"};
constexpr std::array<std::string_view, 6> systems{"ubuntu", "rhel", "windows", "amzn2", "debian", "suse"};
constexpr std::array<std::string_view, 7> instance_types{"t3.micro",   "t3.medium", "m5.large", "m5.xlarge",
                                                         "c5.2xlarge", "r5.large",  "t2.small"};
constexpr std::array<std::string_view, 3> accounts{"313246580987", "804532177219", "590117354406"};
constexpr std::array<std::string_view, 4> storage_classes{"S3 Standard", "S3 Standard-IA",
                                                          "S3 Glacier Flexible Retrieval", "S3 Glacier Deep Archive"};
constexpr std::array<std::string_view, 6> purposes{"daily", "weekly", "archive", "compliance", "dr", "longterm"};

std::string numbered(std::string_view prefix, std::size_t n, int width) {
    std::string digits = std::to_string(n);
    if (digits.size() < static_cast<std::size_t>(width))
        digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
    return std::string(prefix) + digits;
}

json::object virtual_machine(seeded_random& rnd, std::size_t index) {
    const region& where = rnd.pick(regions);
    const std::string name = std::string(rnd.pick(std::span<const std::string_view>(roles_of_hosts))) + "-" +
                             std::string(rnd.pick(std::span<const std::string_view>(systems))) + "-" +
                             numbered("", index + 1, 4);
    return {{"id", rnd.uuid()},
            {"awsResourceId", "i-0" + rnd.hex(16)},
            {"name", name},
            {"instanceType", rnd.pick(std::span<const std::string_view>(instance_types))},
            {"region", json::object{{"id", where.id}, {"name", where.name}}},
            {"availabilityZone", std::string(where.name) + static_cast<char>('a' + rnd.below(3))},
            {"awsAccountId", rnd.pick(std::span<const std::string_view>(accounts))},
            {"state", rnd.chance(85) ? "running" : "stopped"},
            {"protectionStatus", rnd.chance(60) ? "Protected" : "Unprotected"},
            {"totalStorageSizeGb", 8 + rnd.below(2041)}};
}

json::object repository(seeded_random& rnd, std::size_t index) {
    const region& where = rnd.pick(regions);
    const std::string_view purpose = rnd.pick(std::span<const std::string_view>(purposes));
    return {{"id", rnd.uuid()},
            {"name", numbered("repo-" + std::string(purpose) + "-", index + 1, 2)},
            {"description", "Backups kept for " + std::string(purpose) + " restores"},
            {"amazonBucket", "veeam-backups-" + rnd.hex(8)},
            {"amazonStorageFolder", numbered("folder-", rnd.below(1000), 3)},
            {"regionId", where.id},
            {"regionName", where.name},
            {"amazonAccountId", rnd.pick(std::span<const std::string_view>(accounts))},
            {"storageClass", rnd.pick(std::span<const std::string_view>(storage_classes))},
            {"enableEncryption", rnd.chance(70)},
            {"immutabilityEnabled", rnd.chance(30)}};
}

constexpr std::array<std::string_view, 8> protected_things{"web-tier", "databases", "file-servers", "analytics",
                                                           "build-farm", "erp",       "mail",         "shared"};
constexpr std::array<std::string_view, 4> cadences{"hourly", "daily", "weekly", "monthly"};

json::object policy(seeded_random& rnd, std::size_t index, policy_kind kind, std::int64_t priority) {
    const std::string_view what = rnd.pick(std::span<const std::string_view>(protected_things));
    const std::string_view cadence = rnd.pick(std::span<const std::string_view>(cadences));
    const std::string_view prefix = kind == policy_kind::ec2 ? "ec2-" : "efs-";
    const bool snapshots = rnd.chance(80);
    json::object settings{{"isEnabled", snapshots}};
    if (snapshots) settings["retentionDays"] = 1 + rnd.below(90);
    return {{"id", rnd.uuid()},
            {"name", std::string(prefix) + std::string(what) + "-" + std::string(cadence) + "-" + numbered("", index + 1, 2)},
            {"description", rnd.chance(70) ? std::string(cadence) + " protection of the " + std::string(what)
                                           : std::string()},
            {"isEnabled", rnd.chance(85)},
            {"priority", priority},
            {"snapshotSettings", std::move(settings)}};
}

constexpr std::int64_t restore_point_epoch = 1717200000;  // 2024-06-01T00:00:00Z

json::object restore_point(seeded_random& rnd, const json::object& machine) {
    static constexpr std::array<std::string_view, 3> types{"Snapshot", "Backup", "Archive"};
    const std::size_t roll = rnd.below(100);
    const std::string_view type = types[roll < 50 ? 0 : (roll < 85 ? 1 : 2)];
    const auto created = restore_point_epoch + static_cast<std::int64_t>(rnd.below(90 * 86400));
    return {{"id", rnd.uuid()},
            {"vmId", machine.at("id")},
            {"vmName", machine.at("name")},
            {"creationTimeUtc", iso_seconds(created) + "Z"},
            {"type", type},
            {"regionName", machine.at("region").at("name")}};
}

}  // namespace

seeded_random::seeded_random(std::uint64_t seed, std::uint64_t stream)
    : engine_(seed * 0x9e3779b97f4a7c15ULL ^ stream) {}

std::string seeded_random::hex(std::size_t digits) {
    static constexpr std::string_view alphabet = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out.push_back(alphabet[below(16)]);
    return out;
}

std::string seeded_random::decimal(std::size_t digits) {
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out.push_back(static_cast<char>('0' + below(10)));
    return out;
}

std::string seeded_random::uuid() {
    // xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx with Y in 8..b (RFC 4122 §4.4).
    static constexpr std::string_view variant = "89ab";
    return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-" + variant[below(4)] + hex(3) + "-" + hex(12);
}

std::vector<json::object> seed_virtual_machines(std::uint64_t seed, std::size_t count) {
    seeded_random rnd(seed, vm_stream);
    std::vector<json::object> items;
    items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) items.push_back(virtual_machine(rnd, i));
    return items;
}

std::vector<json::object> seed_repositories(std::uint64_t seed, std::size_t count) {
    seeded_random rnd(seed, repo_stream);
    std::vector<json::object> items;
    items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) items.push_back(repository(rnd, i));
    return items;
}

std::vector<json::object> aws_regions() {
    std::vector<json::object> items;
    for (const region& r : all_regions)
        items.push_back({{"id", r.id}, {"name", r.name}, {"displayName", r.display_name}});
    return items;
}

std::vector<json::object> seed_policies(std::uint64_t seed, std::size_t count, policy_kind kind) {
    seeded_random rnd(seed, kind == policy_kind::ec2 ? ec2_policy_stream : efs_policy_stream);
    // Priorities 1..count in a shuffled order (Fisher-Yates), so Sort=priorityAsc reorders.
    std::vector<std::int64_t> priorities(count);
    for (std::size_t i = 0; i < count; ++i) priorities[i] = static_cast<std::int64_t>(i + 1);
    for (std::size_t i = count; i > 1; --i) std::swap(priorities[i - 1], priorities[rnd.below(i)]);
    std::vector<json::object> items;
    items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) items.push_back(policy(rnd, i, kind, priorities[i]));
    return items;
}

std::vector<json::object> seed_restore_points(std::uint64_t seed, std::size_t count,
                                              const std::vector<json::object>& machines) {
    std::vector<json::object> items;
    if (machines.empty()) return items;
    seeded_random rnd(seed, restore_point_stream);
    items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) items.push_back(restore_point(rnd, machines[rnd.below(machines.size())]));
    return items;
}

std::string iso_seconds(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    return std::string(text.data(), n);
}

}  // namespace sim::veeam
