// The Veeam Backup for AWS user accounts: who may log in (the token grants)
// and the /api/v1/users resource of the reference's "User Accounts" section.
#pragma once

#include "tests/simulators/veeam/replies.hpp"
#include "tests/simulators/veeam/seed.hpp"
#include "tests/simulators/veeam/totp.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sim::veeam {

// One entry of the "users" option: name:password[:base32 TOTP secret].
struct configured_user {
    std::string name;
    std::string password;
    std::optional<bytes> mfa_secret;
};

// Parses "administrator:Password1,mfa_user:Password2:5XKN..." (start-up only:
// throws std::invalid_argument naming the bad entry).
std::vector<configured_user> parse_users(std::string_view spec);

struct role {
    std::string_view id;
    std::string_view name;
};
// The three roles of the reference's "Get Collection of User Roles" example.
std::span<const role> documented_roles();
boost::json::object roles_collection();

enum class password_check { wrong, ok, ok_needs_mfa };

class directory {
public:
    // The configured users first (the first is the default administrator), then
    // seeded accounts up to `total`.
    directory(const std::vector<configured_user>& configured, std::size_t total, std::uint64_t seed);

    password_check check_password(std::string_view name, std::string_view password) const;
    std::optional<bytes> mfa_secret(std::string_view name) const;
    bool is_administrator(std::string_view name) const;

    std::vector<boost::json::object> render_all() const;
    outcome<boost::json::object> render(std::string_view name) const;
    outcome<boost::json::object> create(const boost::json::object& spec);
    outcome<boost::json::object> update(std::string_view name, const boost::json::object& spec);
    std::optional<failure> remove(std::string_view name);

    // The overview's "Enabling MFA" steps 1 and 4, and "Disabling MFA".
    outcome<boost::json::object> enable_mfa(std::string_view name, bool recreate);
    std::optional<failure> accept_mfa(std::string_view name, std::string_view code, std::string_view token,
                                      std::int64_t unix_now);
    std::optional<failure> disable_mfa(std::string_view name);

    std::size_t size() const;
    void reset();  // back to the accounts the constructor made

private:
    struct pending_mfa {
        bytes secret;
        std::string token;
    };
    struct account {
        std::string id;
        std::string name;
        std::string description;
        std::string account_type;  // "Internal" or "External"
        std::string role_id;
        std::optional<std::string> password;
        std::optional<bytes> mfa_secret;  // set: MFA is enabled
        std::optional<pending_mfa> pending;
        bool is_default = false;
    };

    static boost::json::object render(const account& a);
    account* find(std::string_view name);
    const account* find(std::string_view name) const;

    static std::vector<account> initial_accounts(const std::vector<configured_user>& configured, std::size_t total,
                                                 std::uint64_t seed);

    const std::uint64_t seed_;
    const std::vector<account> initial_;
    mutable std::shared_mutex mutex_;
    std::vector<account> accounts_;
    seeded_random ids_;  // ids for accounts made by POST /users
};

}  // namespace sim::veeam
