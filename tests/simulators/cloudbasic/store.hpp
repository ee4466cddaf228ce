// The CloudBasic simulator's data: replications, instances, users and Multi-AZ
// HA clusters, seeded deterministically from options.seed, plus the access keys
// issued by POST /users. Thread-safe: readers share a lock, writers take it.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>

namespace sim::cloudbasic {

enum class kind { replications, instances, users, clusters };
inline constexpr std::array all_kinds{kind::replications, kind::instances, kind::users, kind::clusters};

// How a kind is named on the wire.
struct kind_names {
    std::string_view path;  // "replications": /replications, /replications/{id}
    std::string_view list;  // "Replications": the list's JSON member / XML root
    std::string_view item;  // "Replication": one item's JSON member / XML element
};
const kind_names& names_of(kind k);
std::optional<kind> kind_from_path(std::string_view segment);

struct data_sizes {
    std::size_t replications = 137;
    std::size_t instances = 23;
    std::size_t users = 11;
    std::size_t clusters = 3;
    std::size_t of(kind k) const;
};

// An answer that is not a success: a 4xx status and the message for <Message>.
struct api_error {
    unsigned status;
    std::string message;
};
template <class T>
using outcome = std::variant<T, api_error>;

class store {
public:
    using time_point = std::chrono::system_clock::time_point;

    // `admin_access_key_id` is shown as the first user's key (the configured one).
    store(std::uint64_t seed, data_sizes sizes, std::string admin_access_key_id);

    // Back to the seeded data; keys issued through POST /users are forgotten.
    void reset();

    std::size_t size(kind k) const;
    boost::json::array list(kind k) const;  // every item, ordered by Id
    std::optional<boost::json::object> get(kind k, std::string_view id) const;

    // POST /replications: SourceInstanceId, SourceDatabase, TargetInstanceId
    // required; Name, TargetDatabase, Mode optional; anything else refused.
    outcome<boost::json::object> create_replication(const boost::json::object& params, time_point now);
    // POST /users: UserName required; Email, Role optional. The answer holds the
    // new key pair, SecretAccessKey included (the only time it is shown).
    outcome<boost::json::object> create_user(const boost::json::object& params, time_point now);
    bool remove(kind k, std::string_view id);

    // The secret of a key issued through POST /users.
    std::optional<std::string> secret_for(std::string_view access_key_id) const;

private:
    using collection = std::map<std::string, boost::json::object, std::less<>>;

    void seed_all();  // with mutex_ held
    std::string next_id(kind k);

    const std::uint64_t seed_;
    const data_sizes sizes_;
    const std::string admin_access_key_id_;

    mutable std::shared_mutex mutex_;
    std::array<collection, all_kinds.size()> items_;
    std::array<std::uint64_t, all_kinds.size()> last_number_{};
    std::map<std::string, std::string, std::less<>> issued_secrets_;
};

// "2024-06-01T00:00:00Z"
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace sim::cloudbasic
