#include "tests/simulators/veeam/seed.hpp"

#include <array>
#include <ctime>

namespace sim::veeam {

namespace json = boost::json;

namespace {

constexpr std::uint64_t vm_stream = 0x766d;    // "vm"
constexpr std::uint64_t repo_stream = 0x7265;  // "re"

struct region {
    std::string_view name;
    std::string_view id;  // fixed, so the same region has the same id in every item
};

constexpr std::array<region, 8> regions{{
    {"us-east-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c01"},
    {"us-east-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c02"},
    {"us-west-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c03"},
    {"eu-west-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c04"},
    {"eu-central-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c05"},
    {"ap-southeast-2", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c06"},
    {"ap-northeast-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c07"},
    {"ca-central-1", "6a1d46b2-8b3f-4f4e-9d0c-2b1f0e7a1c08"},
}};

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
    const region& where = rnd.pick(std::span<const region>(regions));
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
    const region& where = rnd.pick(std::span<const region>(regions));
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

std::string iso_seconds(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    return std::string(text.data(), n);
}

}  // namespace sim::veeam
