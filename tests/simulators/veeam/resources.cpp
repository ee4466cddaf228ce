// The collections: users (reference, "User Accounts"), virtualMachines ("EC2
// Instances"), repositories ("Backup Repositories"), regions ("AWS Regions"),
// virtualMachines/policies ("EC2 Backup Policies"), efs/policies ("EFS Backup
// Policies"), virtualMachines/restorePoints ("EC2 Restore Points") and sessions
// ("Sessions"), listed with the overview's query parameters; and the one job
// start, "Start Backup Policy" of "EC2 Backup Policies".
#include "tests/simulators/veeam/text.hpp"
#include "tests/simulators/veeam/veeam_vendor.hpp"

#include <boost/url/params_view.hpp>

#include <algorithm>

namespace sim::veeam {

namespace json = boost::json;

namespace {

outcome<json::object> json_object_body(const request& req) {
    boost::system::error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) return bad_request("The request body must be a JSON object.");
    return std::move(body.as_object());
}

// The overview sends "recreate": "false" as a string, the reference false as a boolean.
std::optional<bool> boolean_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_bool()) return v->get_bool();
    if (v && v->is_string() && (v->get_string() == "true" || v->get_string() == "false"))
        return v->get_string() == "true";
    return std::nullopt;
}

// acceptMfa's schema types code as a string, its example as a number.
std::optional<std::string> code_member(const json::object& o) {
    const auto* v = o.if_contains("code");
    if (v && v->is_string()) return std::string(v->get_string());
    if (v && v->is_int64() && v->get_int64() >= 0) {
        std::string digits = std::to_string(v->get_int64());
        if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
        return digits;
    }
    return std::nullopt;
}

sim::reply object_reply(const call& c, http::status status, const outcome<json::object>& result) {
    if (const auto* bad = std::get_if<failure>(&result)) return error_reply(c.req, *bad);
    return json_reply(c.req, status, std::get<json::object>(result));
}

sim::reply done_reply(const call& c, http::status status, const std::optional<failure>& bad) {
    return bad ? error_reply(c.req, *bad) : empty_reply(c.req, status);
}

sim::reply by_id(const call& c, const std::vector<json::object>& items,
                 const std::unordered_map<std::string, std::size_t>& index, std::string_view what) {
    const auto it = index.find(c.args.at(0));
    if (it == index.end())
        return error_reply(c.req, not_found("The " + std::string(what) + " '" + c.args.at(0) + "' does not exist."));
    return json_reply(c.req, http::status::ok, items[it->second]);
}

}  // namespace

sim::reply veeam_vendor::list(call& c, const std::vector<const json::object*>& items, const collection_spec& spec) {
    const auto parsed = parse_list_query(c.url.params(boost::urls::encoding_opts{true, false, false}), spec);
    if (const auto* bad = std::get_if<failure>(&parsed)) return error_reply(c.req, *bad);
    const list_query& q = std::get<list_query>(parsed);
    if (!q.ignored.empty()) {
        ignored_parameters_ += q.ignored.size();
        std::lock_guard lock(ignored_mutex_);
        last_ignored_ = q.ignored;
    }
    return json_reply(c.req, http::status::ok, list_page(items, q, spec));
}

// Reference, "Get Collection of Users".
sim::reply veeam_vendor::list_users(call& c) {
    const std::vector<json::object> all = users_.render_all();
    std::vector<const json::object*> items;
    for (const auto& u : all) items.push_back(&u);
    return list(c, items, users_spec_);
}

// Reference, "Get Collection of User Roles".
sim::reply veeam_vendor::list_roles(call& c) { return json_reply(c.req, http::status::ok, roles_collection()); }

// Reference, "Get User Data": by name, not by id.
sim::reply veeam_vendor::get_user(call& c) { return object_reply(c, http::status::ok, users_.render(c.args.at(0))); }

// Reference, "Add User Account": 201 with the new account.
sim::reply veeam_vendor::create_user(call& c) {
    if (auto bad = require_administrator_or(c, {})) return refuse(c, *bad);
    const auto spec = json_object_body(c.req);
    if (const auto* bad = std::get_if<failure>(&spec)) return error_reply(c.req, *bad);
    return object_reply(c, http::status::created, users_.create(std::get<json::object>(spec)));
}

// Reference, "Modify User Account".
sim::reply veeam_vendor::update_user(call& c) {
    if (auto bad = require_administrator_or(c, c.args.at(0))) return refuse(c, *bad);
    const auto spec = json_object_body(c.req);
    if (const auto* bad = std::get_if<failure>(&spec)) return error_reply(c.req, *bad);
    return object_reply(c, http::status::ok, users_.update(c.args.at(0), std::get<json::object>(spec)));
}

// Reference, "Remove User Account": 204.
sim::reply veeam_vendor::delete_user(call& c) {
    if (auto bad = require_administrator_or(c, {})) return refuse(c, *bad);
    return done_reply(c, http::status::no_content, users_.remove(c.args.at(0)));
}

// Reference, "Get MFA Secret Key" (overview, "Enabling MFA", step 1).
sim::reply veeam_vendor::enable_mfa(call& c) {
    if (auto bad = require_administrator_or(c, c.args.at(0))) return refuse(c, *bad);
    const auto spec = json_object_body(c.req);
    if (const auto* bad = std::get_if<failure>(&spec)) return error_reply(c.req, *bad);
    const auto recreate = boolean_member(std::get<json::object>(spec), "recreate");
    if (!recreate) return error_reply(c.req, bad_request("The recreate property is required (true or false)."));
    return object_reply(c, http::status::ok, users_.enable_mfa(c.args.at(0), *recreate));
}

// Reference, "Enable MFA for User"; 201 as the overview's "Enabling MFA" step 4 shows.
sim::reply veeam_vendor::accept_mfa(call& c) {
    if (auto bad = require_administrator_or(c, c.args.at(0))) return refuse(c, *bad);
    const auto spec = json_object_body(c.req);
    if (const auto* bad = std::get_if<failure>(&spec)) return error_reply(c.req, *bad);
    const json::object& o = std::get<json::object>(spec);
    const auto code = code_member(o);
    const auto* token = o.if_contains("token");
    if (!code || !token || !token->is_string())
        return error_reply(c.req, bad_request("The code and token properties are required."));
    return done_reply(c, http::status::created,
                      users_.accept_mfa(c.args.at(0), *code, token->get_string(), unix_seconds(c.now)));
}

// Reference, "Disable MFA for User"; 204 as the overview's "Disabling MFA" shows.
sim::reply veeam_vendor::disable_mfa(call& c) {
    if (auto bad = require_administrator_or(c, c.args.at(0))) return refuse(c, *bad);
    return done_reply(c, http::status::no_content, users_.disable_mfa(c.args.at(0)));
}

// Overview, "Resource URLs" and "Query Parameters" (ProtectionStatus filter).
sim::reply veeam_vendor::list_virtual_machines(call& c) { return list(c, vm_items_, vm_spec_); }

sim::reply veeam_vendor::get_virtual_machine(call& c) { return by_id(c, virtual_machines_, vm_index_, "EC2 instance"); }

// Overview, "Sort Parameter" (Sort=amazonBucketAsc).
sim::reply veeam_vendor::list_repositories(call& c) { return list(c, repository_items_, repository_spec_); }

sim::reply veeam_vendor::get_repository(call& c) { return by_id(c, repositories_, repository_index_, "repository"); }

// Overview, "Offset Parameter" (GET /regions?Offset=2); reference, "AWS Regions".
sim::reply veeam_vendor::list_regions(call& c) { return list(c, region_items_, region_spec_); }

// Reference, "Get Collection of EC2 Backup Policies".
sim::reply veeam_vendor::list_ec2_policies(call& c) { return list(c, ec2_policy_items_, policy_spec_); }

// Overview, "Versioning" (GET /api/v1/efs/policies); reference, "Get Collection of EFS Backup Policies".
sim::reply veeam_vendor::list_efs_policies(call& c) { return list(c, efs_policy_items_, policy_spec_); }

// Reference, "EC2 Restore Points"; SearchPattern matches the instance's name.
sim::reply veeam_vendor::list_restore_points(call& c) { return list(c, restore_point_items_, restore_point_spec_); }

// Reference, "EC2 Backup Policies", "Start Backup Policy": the policy runs now,
// as a session listed in /sessions (reference, "Sessions"). 202 Accepted: the
// start is accepted, the backup goes on after the answer. A disabled policy
// starts too (disabling stops the schedule, not a manual start).
sim::reply veeam_vendor::start_ec2_policy(call& c) {
    const std::string& policy_id = c.args.at(0);
    if (!ec2_policy_index_.contains(policy_id))
        return error_reply(c.req, not_found("The backup policy '" + policy_id + "' does not exist."));
    json::object session;
    {
        std::lock_guard lock(sessions_mutex_);
        session = {{"id", session_ids_.uuid()},
                   {"type", "PolicyBackup"},
                   {"policyId", policy_id},
                   {"status", "Running"},
                   {"creationTimeUtc", iso_seconds(unix_seconds(c.now)) + "Z"}};
        sessions_.push_back(session);
        ++jobs_started_;
    }
    return json_reply(c.req, http::status::accepted, session);
}

// Reference, "Sessions": the sessions started since start-up (or the last reset),
// oldest first; SearchPattern matches policyId, so ?SearchPattern=<policyId> gives
// one policy's sessions.
sim::reply veeam_vendor::list_sessions(call& c) {
    std::lock_guard lock(sessions_mutex_);
    std::vector<const json::object*> items;
    items.reserve(sessions_.size());
    for (const auto& s : sessions_) items.push_back(&s);
    return list(c, items, session_spec_);
}

sim::reply veeam_vendor::get_session(call& c) {
    std::lock_guard lock(sessions_mutex_);
    const auto it = std::find_if(sessions_.begin(), sessions_.end(),
                                 [&](const json::object& s) { return s.at("id").as_string() == c.args.at(0); });
    if (it == sessions_.end())
        return error_reply(c.req, not_found("The session '" + c.args.at(0) + "' does not exist."));
    return json_reply(c.req, http::status::ok, *it);
}

}  // namespace sim::veeam
