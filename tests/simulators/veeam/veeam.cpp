#include "tests/simulators/veeam/veeam.hpp"

#include "tests/simulators/veeam/seed.hpp"
#include "tests/simulators/veeam/text.hpp"
#include "tests/simulators/veeam/veeam_vendor.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

namespace sim::veeam {

namespace json = boost::json;

namespace {

// The overview's examples log in as administrator/Password1; mfa_user's secret
// is the "secretKey" of the overview's "Enabling MFA" example.
constexpr std::string_view default_users = "administrator:Password1,mfa_user:Password2:5XKNCVA54BPWQWCXLJZYLMIBD4";
// The revision every example sends, and "v1 (1.0-rev0)", the oldest the overview names.
constexpr std::string_view default_api_versions = "1.0-rev0,1.7-rev0";

const std::set<std::string, std::less<>> known_options{
    "users",            "api_versions",     "user_count",       "vm_count",
    "repository_count", "ec2_policy_count", "efs_policy_count", "restore_point_count",
    "max_limit",        "totp_window",      "mfa_token_ttl",    "auth_code_ttl"};

std::string_view option(const sim::options& opts, std::string_view key, std::string_view fallback) {
    const auto it = opts.extra.find(std::string(key));
    return it == opts.extra.end() ? fallback : std::string_view(it->second);
}

std::int64_t number_option(const sim::options& opts, std::string_view key, std::int64_t fallback) {
    const auto it = opts.extra.find(std::string(key));
    if (it == opts.extra.end()) return fallback;
    std::int64_t value = 0;
    const std::string& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
        throw std::invalid_argument("veeam " + std::string(key) + ": expected a number >= 0, got '" + text + "'");
    return value;
}

// Segments after /api/v1, without the empty one a trailing slash leaves; nullopt outside /api/v1.
std::optional<std::vector<std::string>> api_path(const boost::urls::url_view& url) {
    std::vector<std::string> segments(url.segments().begin(), url.segments().end());
    if (segments.size() < 2 || segments[0] != "api" || segments[1] != "v1") return std::nullopt;
    segments.erase(segments.begin(), segments.begin() + 2);
    if (!segments.empty() && segments.back().empty()) segments.pop_back();
    return segments;
}

bool matches(const std::vector<std::string_view>& pattern, const std::vector<std::string>& path) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < path.size(); ++i)
        if (pattern[i] != "*" ? pattern[i] != path[i] : path[i].empty()) return false;
    return true;
}

std::string allow_header(const std::set<http::verb>& methods) {
    std::string out;
    for (auto m : methods) out += (out.empty() ? "" : ", ") + std::string(http::to_string(m));
    return out;
}

// "Bearer <token>", the scheme without regard to case (RFC 7235 §2.1).
std::optional<std::string_view> bearer_token(std::string_view header) {
    constexpr std::string_view scheme = "bearer ";
    if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme)) return std::nullopt;
    const auto token = trim(header.substr(scheme.size()));
    if (token.empty()) return std::nullopt;
    return token;
}

template <class T>
std::unordered_map<std::string, std::size_t> index_by_id(const std::vector<T>& items) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < items.size(); ++i) index.emplace(json::value_to<std::string>(items[i].at("id")), i);
    return index;
}

std::vector<const json::object*> pointers(const std::vector<json::object>& items) {
    std::vector<const json::object*> out;
    for (const auto& item : items) out.push_back(&item);
    return out;
}

}  // namespace

settings read_settings(const sim::options& opts) {
    for (const auto& [key, value] : opts.extra)
        if (!known_options.contains(key)) throw std::invalid_argument("veeam: unknown option '" + key + "'");
    settings s;
    s.users = parse_users(option(opts, "users", default_users));
    s.api_versions = split_list(option(opts, "api_versions", default_api_versions), ',');
    if (s.api_versions.empty()) throw std::invalid_argument("veeam api_versions: at least one version is needed");
    s.user_count = static_cast<std::size_t>(number_option(opts, "user_count", 13));
    s.vm_count = static_cast<std::size_t>(number_option(opts, "vm_count", 1001));
    s.repository_count = static_cast<std::size_t>(number_option(opts, "repository_count", 37));
    s.ec2_policy_count = static_cast<std::size_t>(number_option(opts, "ec2_policy_count", 29));
    s.efs_policy_count = static_cast<std::size_t>(number_option(opts, "efs_policy_count", 13));
    s.restore_point_count = static_cast<std::size_t>(number_option(opts, "restore_point_count", 211));
    s.max_limit = number_option(opts, "max_limit", 0);
    s.totp_window = static_cast<int>(number_option(opts, "totp_window", 1));
    s.ttl = {opts.access_ttl, opts.refresh_ttl, std::chrono::seconds{number_option(opts, "mfa_token_ttl", 300)},
             std::chrono::seconds{number_option(opts, "auth_code_ttl", 60)}};
    return s;
}

veeam_vendor::veeam_vendor(settings s, std::uint64_t seed, const sim::clock& clock)
    : settings_(std::move(s)),
      clock_(clock),
      tokens_(settings_.ttl),
      users_(settings_.users, settings_.user_count, seed),
      virtual_machines_(seed_virtual_machines(seed, settings_.vm_count)),
      repositories_(seed_repositories(seed, settings_.repository_count)),
      vm_items_(pointers(virtual_machines_)),
      repository_items_(pointers(repositories_)),
      vm_index_(index_by_id(virtual_machines_)),
      repository_index_(index_by_id(repositories_)),
      users_spec_{{"name", "description", "accountType"}, "name", {}, settings_.max_limit},
      vm_spec_{{"name", "awsResourceId", "instanceType", "availabilityZone", "state", "protectionStatus",
                "totalStorageSizeGb"},
               "name",
               {{"ProtectionStatus", "protectionStatus", {"Protected", "Unprotected"}}},
               settings_.max_limit},
      repository_spec_{{"name", "description", "amazonBucket", "amazonStorageFolder", "regionName", "storageClass"},
                       "name",
                       {},
                       settings_.max_limit},
      regions_(aws_regions()),
      ec2_policies_(seed_policies(seed, settings_.ec2_policy_count, policy_kind::ec2)),
      efs_policies_(seed_policies(seed, settings_.efs_policy_count, policy_kind::efs)),
      restore_points_(seed_restore_points(seed, settings_.restore_point_count, virtual_machines_)),
      region_items_(pointers(regions_)),
      ec2_policy_items_(pointers(ec2_policies_)),
      efs_policy_items_(pointers(efs_policies_)),
      restore_point_items_(pointers(restore_points_)),
      region_spec_{{"name"}, "name", {}, settings_.max_limit},
      policy_spec_{{"name", "priority"}, "name", {}, settings_.max_limit},
      restore_point_spec_{{"creationTimeUtc", "vmName"}, "vmName", {}, settings_.max_limit},
      seed_(seed),
      ec2_policy_index_(index_by_id(ec2_policies_)),
      session_spec_{{"creationTimeUtc", "type", "status"}, "policyId", {}, settings_.max_limit},
      session_ids_(seed, session_stream) {}

const std::vector<veeam_vendor::route>& veeam_vendor::routes() {
    using v = http::verb;
    // First match wins, so fixed segments come before "*".
    static const std::vector<route> table{
        {v::post, {"token"}, false, &veeam_vendor::token_grant},
        {v::delete_, {"token"}, true, &veeam_vendor::logout},
        {v::post, {"token", "authorization_code"}, true, &veeam_vendor::authorization_code},
        {v::get, {"users"}, true, &veeam_vendor::list_users},
        {v::post, {"users"}, true, &veeam_vendor::create_user},
        {v::get, {"users", "roles"}, true, &veeam_vendor::list_roles},
        {v::get, {"users", "*"}, true, &veeam_vendor::get_user},
        {v::put, {"users", "*"}, true, &veeam_vendor::update_user},
        {v::delete_, {"users", "*"}, true, &veeam_vendor::delete_user},
        {v::post, {"users", "*", "enableMfa"}, true, &veeam_vendor::enable_mfa},
        {v::post, {"users", "*", "acceptMfa"}, true, &veeam_vendor::accept_mfa},
        {v::post, {"users", "*", "disableMfa"}, true, &veeam_vendor::disable_mfa},
        {v::get, {"virtualMachines"}, true, &veeam_vendor::list_virtual_machines},
        // Collections under virtualMachines/ come before its "{id}" (a UUID never reads "policies").
        {v::get, {"virtualMachines", "policies"}, true, &veeam_vendor::list_ec2_policies},
        {v::get, {"virtualMachines", "restorePoints"}, true, &veeam_vendor::list_restore_points},
        {v::get, {"virtualMachines", "*"}, true, &veeam_vendor::get_virtual_machine},
        {v::post, {"virtualMachines", "policies", "*", "start"}, true, &veeam_vendor::start_ec2_policy},
        {v::get, {"repositories"}, true, &veeam_vendor::list_repositories},
        {v::get, {"repositories", "*"}, true, &veeam_vendor::get_repository},
        {v::get, {"regions"}, true, &veeam_vendor::list_regions},
        {v::get, {"efs", "policies"}, true, &veeam_vendor::list_efs_policies},
        {v::get, {"sessions"}, true, &veeam_vendor::list_sessions},
        {v::get, {"sessions", "*"}, true, &veeam_vendor::get_session},
    };
    return table;
}

outcome<const veeam_vendor::route*> veeam_vendor::find_route(const request& req, const std::vector<std::string>& path,
                                                             std::vector<std::string>& args) const {
    std::set<http::verb> allowed;
    for (const auto& r : routes()) {
        if (!matches(r.pattern, path)) continue;
        if (r.method != req.method()) {
            allowed.insert(r.method);
            continue;
        }
        for (std::size_t i = 0; i < path.size(); ++i)
            if (r.pattern[i] == "*") args.push_back(path[i]);
        return &r;
    }
    if (allowed.empty()) return not_found("The resource '" + std::string(req.target()) + "' does not exist.");
    return failure{http::status::method_not_allowed,
                   "The method is not allowed for this resource.",
                   {{http::field::allow, allow_header(allowed)}}};
}

// Overview, "Versioning": every request names a specification revision in x-api-version.
std::optional<failure> veeam_vendor::check_api_version(const request& req) const {
    const auto it = req.find("x-api-version");
    if (it == req.end()) return bad_request("The x-api-version header is required.");
    const std::string_view version = trim(it->value());
    const auto& supported = settings_.api_versions;
    if (std::find(supported.begin(), supported.end(), version) != supported.end()) return std::nullopt;
    std::string list;
    for (const auto& s : supported) list += (list.empty() ? "" : ", ") + s;
    return bad_request("The API version '" + std::string(version) + "' is not supported. Supported versions: " + list +
                       ".");
}

std::optional<failure> veeam_vendor::authenticate(call& c) {
    const auto it = c.req.find(http::field::authorization);
    if (it == c.req.end()) return unauthorized("The authorization header has been expected but not found.");
    const auto token = bearer_token(it->value());
    if (!token) return unauthorized("The authorization header must be 'Bearer <access_token>'.");
    const bearer_check who = tokens_.authenticate(*token, c.now);
    if (who.status == bearer_status::unknown) return unauthorized("The access token is not valid.");
    if (who.status == bearer_status::expired) return unauthorized("The access token has expired.");
    c.user = who.username;
    c.access_token = *token;
    return std::nullopt;
}

std::optional<failure> veeam_vendor::require_administrator_or(const call& c, std::string_view self) {
    if (c.user == self || users_.is_administrator(c.user)) return std::nullopt;
    return forbidden("The user '" + c.user + "' does not have the Portal Administrator role.");
}

// Every 401 and 403 for credentials is counted.
sim::reply veeam_vendor::refuse(const call& c, const failure& f) {
    if (f.status == http::status::unauthorized || f.status == http::status::forbidden) ++stats().unauthorized;
    return error_reply(c.req, f);
}

sim::reply veeam_vendor::handle(const request& req) {
    const auto target = boost::urls::parse_origin_form(req.target());
    if (!target) return error_reply(req, bad_request("The request target is not a valid URL."));
    if (auto bad = check_api_version(req)) return error_reply(req, *bad);
    const auto path = api_path(*target);
    if (!path) return error_reply(req, not_found("The resource '" + std::string(req.target()) + "' does not exist."));

    call c{req, *target, clock_.now()};
    const auto found = find_route(req, *path, c.args);
    if (const auto* bad = std::get_if<failure>(&found)) return error_reply(req, *bad);
    const route& r = *std::get<const route*>(found);
    if (r.authenticated)
        if (auto bad = authenticate(c)) return refuse(c, *bad);
    return (this->*r.run)(c);
}

json::object veeam_vendor::state() const {
    json::object s = tokens_.state(clock_.now());
    s["mfa_challenges"] = mfa_challenges_.load();
    s["ignored_query_parameters"] = ignored_parameters_.load();
    {
        std::lock_guard lock(ignored_mutex_);
        s["last_ignored_query_parameters"] = json::value_from(last_ignored_);
    }
    s["users"] = users_.size();
    s["virtualMachines"] = virtual_machines_.size();
    s["repositories"] = repositories_.size();
    s["regions"] = regions_.size();
    s["virtualMachinePolicies"] = ec2_policies_.size();
    s["efsPolicies"] = efs_policies_.size();
    s["virtualMachineRestorePoints"] = restore_points_.size();
    s["api_versions"] = json::value_from(settings_.api_versions);
    std::lock_guard lock(sessions_mutex_);
    s["sessions"] = sessions_.size();
    s["jobs_started"] = jobs_started_;
    return s;
}

void veeam_vendor::expire_all() { tokens_.expire_all(clock_.now()); }

void veeam_vendor::reset() {
    tokens_.clear();
    users_.reset();
    mfa_challenges_ = 0;
    ignored_parameters_ = 0;
    {
        std::lock_guard lock(ignored_mutex_);
        last_ignored_.clear();
    }
    std::lock_guard lock(sessions_mutex_);
    sessions_.clear();
    session_ids_ = seeded_random(seed_, session_stream);
    jobs_started_ = 0;
}

}  // namespace sim::veeam

namespace sim {

std::unique_ptr<sim::vendor> make_veeam(const sim::options& opts, const sim::clock& clock) {
    return std::make_unique<veeam::veeam_vendor>(veeam::read_settings(opts), opts.seed, clock);
}

}  // namespace sim
