#include "tests/simulators/veeam/directory.hpp"

#include "tests/simulators/veeam/secrets.hpp"
#include "tests/simulators/veeam/text.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>

namespace sim::veeam {

namespace json = boost::json;

namespace {

constexpr std::array<role, 3> roles{{
    {"fe47645d-1991-4716-9c86-d91e2f7f0c82", "Portal Administrator"},
    {"179ddbc1-b444-4fad-a3ce-a52a5441dde8", "Portal Operator"},
    {"4006ade0-015e-4cb0-adbe-f5af2506e1c2", "Restore Operator"},
}};
constexpr std::string_view administrator_role = roles[0].id;
constexpr std::uint64_t user_stream = 0x7573;  // "us"

const role* find_role(std::string_view id) {
    const auto it = std::find_if(roles.begin(), roles.end(), [&](const role& r) { return r.id == id; });
    return it == roles.end() ? nullptr : &*it;
}

// Reference, "Validate User Name": lower-case Latin letters, digits, '_' and
// '-'; '$' allowed as the last character.
bool valid_internal_name(std::string_view name) {
    if (!name.empty() && name.back() == '$') name.remove_suffix(1);
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// Reference, "Validate User Password": at least 8 characters, with upper and
// lower case letters and digits.
bool valid_password(std::string_view password) {
    const auto has = [&](auto predicate) { return std::any_of(password.begin(), password.end(), predicate); };
    return password.size() >= 8 && has([](char c) { return c >= 'A' && c <= 'Z'; }) &&
           has([](char c) { return c >= 'a' && c <= 'z'; }) && has([](char c) { return c >= '0' && c <= '9'; });
}

constexpr std::size_t max_description = 255;  // reference, "Validate User Description"

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

// Modify User Account documents "roleId" in its schema and "roleIds" in its example: either is taken.
std::optional<std::string> role_member(const json::object& o) {
    if (auto id = string_member(o, "roleId")) return id;
    const auto* ids = o.if_contains("roleIds");
    if (ids && ids->is_array() && ids->get_array().size() == 1 && ids->get_array()[0].is_string())
        return std::string(ids->get_array()[0].get_string());
    return std::nullopt;
}

json::object link(std::string_view method, std::string_view rel, const std::string& href) {
    return {{"method", method}, {"rel", rel}, {"href", href}};
}

std::optional<failure> check_description(const std::optional<std::string>& description) {
    if (!description) return bad_request("The description property is required.");
    if (description->size() > max_description) return bad_request("The description must not exceed 255 characters.");
    return std::nullopt;
}

std::optional<failure> check_role(const std::optional<std::string>& role_id) {
    if (!role_id) return bad_request("The roleId property is required.");
    if (!find_role(*role_id)) return bad_request("The role '" + *role_id + "' does not exist.");
    return std::nullopt;
}

const char* password_rule() {
    return "The password must be at least 8 characters long and contain upper case, lower case letters and digits.";
}

}  // namespace

std::vector<configured_user> parse_users(std::string_view spec) {
    std::vector<configured_user> users;
    for (const auto& entry : split_list(spec, ',')) {
        const auto parts = split_list(entry, ':');
        if (parts.size() < 2 || parts.size() > 3)
            throw std::invalid_argument("veeam users: expected name:password[:base32 TOTP secret], got '" + entry +
                                        "'");
        configured_user user{parts[0], parts[1], std::nullopt};
        if (parts.size() == 3) {
            user.mfa_secret = base32_decode(parts[2]);
            if (!user.mfa_secret || user.mfa_secret->empty())
                throw std::invalid_argument("veeam users: '" + parts[2] + "' is not a base32 TOTP secret");
        }
        const bool repeated =
            std::any_of(users.begin(), users.end(), [&](const auto& u) { return u.name == user.name; });
        if (repeated) throw std::invalid_argument("veeam users: '" + user.name + "' is given twice");
        users.push_back(std::move(user));
    }
    if (users.empty()) throw std::invalid_argument("veeam users: at least one user is needed");
    return users;
}

std::span<const role> documented_roles() { return roles; }

json::object roles_collection() {
    json::array results;
    for (const auto& r : roles) results.push_back(json::object{{"id", r.id}, {"name", r.name}});
    return {{"totalCount", results.size()}, {"results", std::move(results)}};
}

std::vector<directory::account> directory::initial_accounts(const std::vector<configured_user>& configured,
                                                            std::size_t total, std::uint64_t seed) {
    static constexpr std::array<std::string_view, 4> internal_prefixes{"operator_", "restore_op_", "auditor_",
                                                                       "dept_admin_"};
    static constexpr std::array<std::string_view, 5> people{"sara_baker", "john_smith", "li_wei", "ana_costa",
                                                            "omar_haddad"};
    seeded_random rnd(seed, user_stream);
    std::vector<account> out;
    for (const auto& c : configured) {
        const bool first = out.empty();
        out.push_back({rnd.uuid(), c.name, first ? "Default Admin" : "Configured user", "Internal",
                       std::string(administrator_role), c.password, c.mfa_secret, std::nullopt, first});
    }
    for (std::size_t i = out.size(); i < total; ++i) {
        const bool external = rnd.chance(40);
        const std::string number = std::to_string(i + 1);
        std::string name =
            external ? std::string(rnd.pick(std::span<const std::string_view>(people))) + number + "@companymail.com"
                     : std::string(rnd.pick(std::span<const std::string_view>(internal_prefixes))) + number;
        std::optional<bytes> secret;
        if (!external && rnd.chance(20)) secret = bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // no password: never logs in
        out.push_back({rnd.uuid(), std::move(name), "Dept-" + number + " user", external ? "External" : "Internal",
                       std::string(roles[rnd.below(roles.size())].id), std::nullopt, std::move(secret), std::nullopt,
                       false});
    }
    return out;
}

directory::directory(const std::vector<configured_user>& configured, std::size_t total, std::uint64_t seed)
    : seed_(seed), initial_(initial_accounts(configured, total, seed)), accounts_(initial_), ids_(seed, ~user_stream) {}

namespace {

template <class Accounts>
auto* find_account(Accounts& accounts, std::string_view name) {
    const auto it = std::find_if(accounts.begin(), accounts.end(), [&](const auto& a) { return a.name == name; });
    return it == accounts.end() ? nullptr : &*it;
}

}  // namespace

directory::account* directory::find(std::string_view name) { return find_account(accounts_, name); }

const directory::account* directory::find(std::string_view name) const { return find_account(accounts_, name); }

password_check directory::check_password(std::string_view name, std::string_view password) const {
    std::shared_lock lock(mutex_);
    const account* a = find(name);
    if (!a || !a->password || *a->password != password) return password_check::wrong;
    return a->mfa_secret ? password_check::ok_needs_mfa : password_check::ok;
}

std::optional<bytes> directory::mfa_secret(std::string_view name) const {
    std::shared_lock lock(mutex_);
    const account* a = find(name);
    return a ? a->mfa_secret : std::nullopt;
}

bool directory::is_administrator(std::string_view name) const {
    std::shared_lock lock(mutex_);
    const account* a = find(name);
    return a && a->role_id == administrator_role;
}

json::object directory::render(const account& a) {
    const role* r = find_role(a.role_id);
    const std::string href = "/api/v1/users/" + a.name;
    json::array links{link("GET", "self", href), link("PUT", "update", href), link("DELETE", "delete", href)};
    if (a.account_type == "Internal")
        links.push_back(a.mfa_secret ? link("POST", "DisableMfa", href + "/disableMfa")
                                     : link("POST", "EnableMfa", href + "/enableMfa"));
    json::array role_list;
    if (r) role_list.push_back(json::object{{"id", r->id}, {"name", r->name}});
    return {{"accountType", a.account_type},
            {"id", a.id},
            {"name", a.name},
            {"description", a.description},
            {"roles", std::move(role_list)},
            {"mfaEnabled", a.mfa_secret.has_value()},
            {"isDefault", a.is_default},
            {"links", std::move(links)}};
}

std::vector<json::object> directory::render_all() const {
    std::shared_lock lock(mutex_);
    std::vector<json::object> out;
    out.reserve(accounts_.size());
    for (const auto& a : accounts_) out.push_back(render(a));
    return out;
}

outcome<json::object> directory::render(std::string_view name) const {
    std::shared_lock lock(mutex_);
    const account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    return render(*a);
}

outcome<json::object> directory::create(const json::object& spec) {
    account a;
    a.name = string_member(spec, "name").value_or("");
    const auto description = string_member(spec, "description");
    a.account_type = string_member(spec, "accountType").value_or("");
    const auto role_id = string_member(spec, "roleId");
    const auto password = string_member(spec, "password");
    if (a.name.empty()) return bad_request("The name property is required and must not be empty.");
    if (a.account_type != "Internal" && a.account_type != "External")
        return bad_request("The accountType property must be Internal or External.");
    if (a.account_type == "Internal" && !valid_internal_name(a.name))
        return bad_request("A user name can contain only lower case Latin letters, digits, underscores and dashes.");
    if (auto bad = check_description(description)) return *bad;
    if (auto bad = check_role(role_id)) return *bad;
    if (password && !valid_password(*password)) return bad_request(password_rule());
    a.description = *description;
    a.role_id = *role_id;
    if (a.account_type == "Internal") a.password = password;

    std::unique_lock lock(mutex_);
    if (find(a.name)) return bad_request("A user named '" + a.name + "' already exists.");
    a.id = ids_.uuid();
    accounts_.push_back(std::move(a));
    return render(accounts_.back());
}

outcome<json::object> directory::update(std::string_view name, const json::object& spec) {
    const auto description = string_member(spec, "description");
    const auto role_id = role_member(spec);
    const auto password = string_member(spec, "password");
    if (auto bad = check_description(description)) return *bad;
    if (auto bad = check_role(role_id)) return *bad;
    if (password && !valid_password(*password)) return bad_request(password_rule());

    std::unique_lock lock(mutex_);
    account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    if (password) {
        if (a->account_type != "Internal") return bad_request("Only internal users have a password.");
        if (a->password && string_member(spec, "oldPassword") != a->password)
            return bad_request("The oldPassword property does not match the current password.");
        a->password = password;
    }
    a->description = *description;
    a->role_id = *role_id;
    return render(*a);
}

std::optional<failure> directory::remove(std::string_view name) {
    std::unique_lock lock(mutex_);
    const account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    if (a->is_default) return bad_request("The default user cannot be removed.");
    accounts_.erase(accounts_.begin() + (a - accounts_.data()));
    return std::nullopt;
}

outcome<json::object> directory::enable_mfa(std::string_view name, bool recreate) {
    std::unique_lock lock(mutex_);
    account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    if (a->account_type != "Internal")
        return bad_request("MFA cannot be enabled for a user whose identity comes from an identity provider.");
    if (a->mfa_secret && !recreate)
        return bad_request("MFA is already enabled for the user; set recreate to true for a new secret key.");
    // 16 bytes: a 26-character key like the documents' "5XKNCVA54BPWQWCXLJZYLMIBD4".
    a->pending = pending_mfa{random_bytes(16), hex_base64_token()};
    const std::string key = base32_encode(a->pending->secret);
    return json::object{{"userName", a->name},
                        {"qrString", "otpauth://totp/" + a->name + "%40veeam-sim?secret=" + key + "&issuer=veeam-sim"},
                        {"secretKey", key},
                        {"token", a->pending->token}};
}

std::optional<failure> directory::accept_mfa(std::string_view name, std::string_view code, std::string_view token,
                                             std::int64_t unix_now) {
    std::unique_lock lock(mutex_);
    account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    if (!a->pending || a->pending->token != token)
        return bad_request("The token does not match the one enableMfa returned.");
    if (!totp_matches(a->pending->secret, code, unix_now)) return bad_request("The verification code is not valid.");
    a->mfa_secret = std::move(a->pending->secret);
    a->pending.reset();
    return std::nullopt;
}

std::optional<failure> directory::disable_mfa(std::string_view name) {
    std::unique_lock lock(mutex_);
    account* a = find(name);
    if (!a) return not_found("The user '" + std::string(name) + "' does not exist.");
    a->mfa_secret.reset();
    a->pending.reset();
    return std::nullopt;
}

std::size_t directory::size() const {
    std::shared_lock lock(mutex_);
    return accounts_.size();
}

void directory::reset() {
    std::unique_lock lock(mutex_);
    accounts_ = initial_;
    ids_ = seeded_random(seed_, ~user_stream);
}

}  // namespace sim::veeam
