// Deterministic seeded data for the Veeam simulator: same seed, same items, on
// every platform (mt19937_64's output is specified; no std distributions).
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sim::veeam {

class seeded_random {
public:
    // `stream` separates the collections, so a change in one leaves the others as they were.
    seeded_random(std::uint64_t seed, std::uint64_t stream);
    std::uint64_t next() { return engine_(); }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::string uuid();  // a version-4 UUID, lower case
    std::string hex(std::size_t digits);
    std::string decimal(std::size_t digits);
    template <class T>
    const T& pick(std::span<const T> from) {
        return from[below(from.size())];
    }

private:
    std::mt19937_64 engine_;
};

// GET /api/v1/virtualMachines items (EC2 instances). The reference gives no
// schema; the properties are the overview's (id, name, ProtectionStatus) plus
// plausible EC2 facts.
std::vector<boost::json::object> seed_virtual_machines(std::uint64_t seed, std::size_t count);

// GET /api/v1/repositories items (S3 repositories; the overview sorts them by amazonBucket).
std::vector<boost::json::object> seed_repositories(std::uint64_t seed, std::size_t count);

// GET /api/v1/regions items (overview, "Offset Parameter"): the AWS regions,
// {id, name, displayName}, the same for every seed. The regions of the seeded
// virtual machines and repositories are among them, with the same ids.
std::vector<boost::json::object> aws_regions();

// GET /api/v1/virtualMachines/policies and /api/v1/efs/policies items (reference,
// "Get Collection of EC2 Backup Policies" and "Get Collection of EFS Backup
// Policies"; overview, "Versioning"): {id, name, description, isEnabled,
// priority, snapshotSettings}; the priorities are 1 to `count`, each once.
enum class policy_kind { ec2, efs };
std::vector<boost::json::object> seed_policies(std::uint64_t seed, std::size_t count, policy_kind kind);

// GET /api/v1/virtualMachines/restorePoints items (reference, "EC2 Restore
// Points"): each belongs to one of `machines` (vmId, vmName, regionName are its).
// Empty when there are no machines.
std::vector<boost::json::object> seed_restore_points(std::uint64_t seed, std::size_t count,
                                                     const std::vector<boost::json::object>& machines);

// A clock time as the token examples show it: "2020-06-12T10:29:39" (UTC).
std::string iso_seconds(std::int64_t unix_seconds);

}  // namespace sim::veeam
