// The Veeam simulator's vendor class, shared by veeam.cpp (settings, routing,
// bearer checks), token_endpoint.cpp (POST/DELETE /api/v1/token) and
// resources.cpp (users, virtualMachines, repositories, regions, EC2 and EFS
// policies, EC2 restore points, starting an EC2 policy and its sessions).
#pragma once

#include "tests/simulators/common/vendor.hpp"
#include "tests/simulators/veeam/directory.hpp"
#include "tests/simulators/veeam/listing.hpp"
#include "tests/simulators/veeam/replies.hpp"
#include "tests/simulators/veeam/seed.hpp"
#include "tests/simulators/veeam/tokens.hpp"

#include <boost/url/url_view.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim::veeam {

struct settings {
    std::vector<configured_user> users;
    std::vector<std::string> api_versions;
    std::size_t user_count = 13;
    std::size_t vm_count = 1001;
    std::size_t repository_count = 37;
    std::size_t ec2_policy_count = 29;
    std::size_t efs_policy_count = 13;
    std::size_t restore_point_count = 211;
    std::int64_t max_limit = 0;
    int totp_window = 1;
    lifetimes ttl;
};

// Reads options.extra; throws std::invalid_argument on an unknown key or a bad value.
settings read_settings(const sim::options& opts);

// One request on its way through the vendor.
struct call {
    const request& req;
    boost::urls::url_view url;
    time_point now;
    std::vector<std::string> args = {};  // the path segments a route's "*" matched
    std::string user = {};               // the bearer's user, once authenticated
    std::string access_token = {};       // and the bearer token itself
};

using form = std::map<std::string, std::string>;

class veeam_vendor final : public sim::vendor {
public:
    veeam_vendor(settings s, std::uint64_t seed, const sim::clock& clock);

    std::string_view name() const override { return "veeam"; }
    sim::reply handle(const request& req) override;
    boost::json::object state() const override;
    void expire_all() override;
    void reset() override;

private:
    using handler = sim::reply (veeam_vendor::*)(call&);
    struct route {
        http::verb method;
        std::vector<std::string_view> pattern;  // "*" matches one segment
        bool authenticated;
        handler run;
    };
    static const std::vector<route>& routes();

    outcome<const route*> find_route(const request& req, const std::vector<std::string>& path,
                                     std::vector<std::string>& args) const;
    std::optional<failure> check_api_version(const request& req) const;
    std::optional<failure> authenticate(call& c);
    std::optional<failure> require_administrator_or(const call& c, std::string_view self);
    sim::reply refuse(const call& c, const failure& f);

    // token_endpoint.cpp
    sim::reply token_grant(call& c);
    sim::reply password_grant(call& c, const form& f);
    sim::reply mfa_grant(call& c, const form& f);
    sim::reply refresh_grant(call& c, const form& f);
    sim::reply code_grant(call& c, const form& f);
    sim::reply logout(call& c);
    sim::reply authorization_code(call& c);
    sim::reply failed_login(const call& c, std::string details);

    // resources.cpp
    sim::reply list_users(call& c);
    sim::reply list_roles(call& c);
    sim::reply get_user(call& c);
    sim::reply create_user(call& c);
    sim::reply update_user(call& c);
    sim::reply delete_user(call& c);
    sim::reply enable_mfa(call& c);
    sim::reply accept_mfa(call& c);
    sim::reply disable_mfa(call& c);
    sim::reply list_virtual_machines(call& c);
    sim::reply get_virtual_machine(call& c);
    sim::reply list_repositories(call& c);
    sim::reply get_repository(call& c);
    sim::reply list_regions(call& c);
    sim::reply list_ec2_policies(call& c);
    sim::reply list_efs_policies(call& c);
    sim::reply list_restore_points(call& c);
    sim::reply start_ec2_policy(call& c);
    sim::reply list_sessions(call& c);
    sim::reply get_session(call& c);
    sim::reply list(call& c, const std::vector<const boost::json::object*>& items, const collection_spec& spec);

    const settings settings_;
    const sim::clock& clock_;
    token_store tokens_;
    directory users_;
    // Seeded and never modified (the documents give these collections no writes): read without locks.
    const std::vector<boost::json::object> virtual_machines_;
    const std::vector<boost::json::object> repositories_;
    const std::vector<const boost::json::object*> vm_items_;
    const std::vector<const boost::json::object*> repository_items_;
    const std::unordered_map<std::string, std::size_t> vm_index_;
    const std::unordered_map<std::string, std::size_t> repository_index_;
    const collection_spec users_spec_;
    const collection_spec vm_spec_;
    const collection_spec repository_spec_;
    const std::vector<boost::json::object> regions_;
    const std::vector<boost::json::object> ec2_policies_;
    const std::vector<boost::json::object> efs_policies_;
    const std::vector<boost::json::object> restore_points_;
    const std::vector<const boost::json::object*> region_items_;
    const std::vector<const boost::json::object*> ec2_policy_items_;
    const std::vector<const boost::json::object*> efs_policy_items_;
    const std::vector<const boost::json::object*> restore_point_items_;
    const collection_spec region_spec_;
    const collection_spec policy_spec_;  // EC2 and EFS policies alike
    const collection_spec restore_point_spec_;

    std::atomic<std::uint64_t> mfa_challenges_{0};
    std::atomic<std::uint64_t> ignored_parameters_{0};
    mutable std::mutex ignored_mutex_;
    std::vector<std::string> last_ignored_;  // names, for tests that check `offset` was not honoured

    // Started jobs: POST virtualMachines/policies/{policyId}/start makes a
    // session (GET /sessions). Ids come from a stream of their own, restarted by reset().
    static constexpr std::uint64_t session_stream = 0x7365;  // "se"
    const std::uint64_t seed_;
    const std::unordered_map<std::string, std::size_t> ec2_policy_index_;
    const collection_spec session_spec_;
    mutable std::mutex sessions_mutex_;
    std::vector<boost::json::object> sessions_;  // in the order started
    seeded_random session_ids_;
    std::uint64_t jobs_started_ = 0;  // under sessions_mutex_
};

}  // namespace sim::veeam
