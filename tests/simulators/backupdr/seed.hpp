// The seeded data set: hosts, applications on them, their backup images and
// recent jobs. Same seed, same items; the sizes are deliberately not round.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace sim::backupdr {

// splitmix64: small, fast and specified, so the data is the same with every
// standard library (std::uniform_int_distribution is not).
class seeded_random {
public:
    explicit seeded_random(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    std::string hex(std::size_t digits);
    std::string uuid();

private:
    std::uint64_t state_;
};

// The mixing step alone, for an order that looks arbitrary but is stable.
std::uint64_t mix64(std::uint64_t x);

struct seed_sizes {
    std::size_t hosts = 23;
    std::size_t applications = 137;
    std::size_t backups = 1001;
    std::size_t jobs = 59;
};

struct table {
    std::map<std::int64_t, boost::json::object> rows;
    std::int64_t last_id = 0;
};
using tables = std::map<std::string, table, std::less<>>;

// Timestamps are microseconds since the epoch; the data set ends here, so it
// does not depend on the clock.
inline constexpr std::int64_t seed_epoch_us = 1714521600LL * 1000000;  // 2024-05-01T00:00:00Z

// The application's friendlytype for its apptype.
std::string_view friendly_type(std::string_view apptype);

tables make_seed_data(seeded_random& rng, const seed_sizes& sizes);

// Ids grow by a small random step, so they are neither dense nor round.
std::int64_t next_id(table& t, seeded_random& rng);

}  // namespace sim::backupdr
