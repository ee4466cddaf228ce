// The simulator's data: the seeded tables and the create/update/delete rules
// (sections 3.1 and 3.2). Not thread-safe: the vendor holds its lock.
#pragma once

#include "tests/simulators/backupdr/replies.hpp"
#include "tests/simulators/backupdr/schema.hpp"
#include "tests/simulators/backupdr/seed.hpp"

#include <boost/json.hpp>

#include <optional>
#include <vector>

namespace sim::backupdr {

class data_store {
public:
    data_store(std::uint64_t seed, const seed_sizes& sizes);

    void reset();  // back to the seeded data
    std::size_t size(const resource_schema& s) const;

    // Every item, in the resource's default order. Section 5.1 leaves the order
    // undetermined without a sort: it is a fixed shuffle here (not id order),
    // so a client that assumes one is caught, while pages stay consistent.
    std::vector<const boost::json::object*> all(const resource_schema& s) const;
    const boost::json::object* find(const resource_schema& s, std::int64_t id) const;

    outcome<boost::json::object> create(const resource_schema& s, const boost::json::object& body,
                                        std::int64_t now_us);
    outcome<boost::json::object> update(const resource_schema& s, std::int64_t id,
                                        const boost::json::object& body, std::int64_t now_us);
    std::optional<api_error> remove(const resource_schema& s, std::int64_t id);

    // POST .../application/{id}/backup: an on-demand backup of the application,
    // a new "running" snapshot job in the job table (section 4.1, "Job").
    // `body` may carry a "label" (a string); anything else is a 400.
    outcome<boost::json::object> start_backup(std::int64_t app_id, const boost::json::object& body,
                                              std::int64_t now_us);
    std::uint64_t jobs_started() const { return jobs_started_; }  // since construction or reset()

private:
    table& rows(const resource_schema& s);
    const table& rows(const resource_schema& s) const;
    std::optional<api_error> check_create_links(const resource_schema& s, const boost::json::object& item) const;
    std::optional<api_error> check_unique_hostname(const boost::json::object& body, std::int64_t self) const;
    void fill_derived(const resource_schema& s, boost::json::object& item, std::int64_t now_us);
    void cascade_hostname(const boost::json::object& host);

    std::uint64_t seed_;
    seed_sizes sizes_;
    seeded_random rng_;
    tables tables_;
    std::uint64_t jobs_started_ = 0;
};

}  // namespace sim::backupdr
