// The CPM vendor: a request goes through the steps of a DRF view, in DRF's
// order — URL (Django 404), content negotiation and version (406),
// authentication (401), version of the endpoint (404), method (405) — then
// to the handler. The job starts (run a policy, recover a snapshot, run a
// cleanup) are counted in state()'s jobs_started.
#include "tests/simulators/cpm/cpm.hpp"

#include "tests/simulators/cpm/resources.hpp"
#include "tests/simulators/cpm/routes.hpp"
#include "tests/simulators/cpm/tokens.hpp"
#include "tests/simulators/cpm/wire.hpp"

#include <algorithm>
#include <charconv>
#include <shared_mutex>
#include <stdexcept>
#include <variant>

namespace sim {

namespace cpm {

namespace {

using version_number = std::vector<int>;

struct settings {
    std::string api_key = "cpm-demo-api-key";
    std::vector<std::string> versions{"1.0.0", "1.1.0"};  // chapter 2
    std::size_t max_page_size = 100;
    std::uint64_t support_logs_bytes = 64ull * 1024 * 1024;
    std::string scheme = "http";
    seed_sizes sizes;
};

std::optional<version_number> parse_version(std::string_view text) {
    version_number out;
    while (true) {
        int part = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), part);
        if (ec != std::errc{}) return std::nullopt;
        out.push_back(part);
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        if (text.empty()) return out;
        if (text.front() != '.') return std::nullopt;
        text.remove_prefix(1);
    }
}

std::uint64_t number_option(const std::string& key, const std::string& value) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size())
        throw std::invalid_argument("option \"" + key + "\": expected a non-negative integer, got \"" + value + "\"");
    return n;
}

std::vector<std::string> version_list(const std::string& value) {
    std::vector<std::string> out;
    std::string_view rest = value;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string v(rest.substr(0, comma));
        if (!parse_version(v)) throw std::invalid_argument("option \"versions\": \"" + v + "\" is not a version");
        out.push_back(v);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if (out.empty()) throw std::invalid_argument("option \"versions\": at least one version is needed");
    return out;
}

settings read_settings(const options& opts) {
    settings s;
    std::map<std::string, std::size_t*, std::less<>> sizes{
        {"users", &s.sizes.users},         {"accounts", &s.sizes.accounts}, {"dr_accounts", &s.sizes.dr_accounts},
        {"schedules", &s.sizes.schedules}, {"policies", &s.sizes.policies}, {"backups", &s.sizes.backups},
        {"recoveries", &s.sizes.recoveries}, {"s3_repositories", &s.sizes.s3_repositories}};
    for (const auto& [key, value] : opts.extra) {
        if (key == "api_key") s.api_key = value;
        else if (key == "versions") s.versions = version_list(value);
        else if (key == "max_page_size") s.max_page_size = number_option(key, value);
        else if (key == "support_logs_bytes") s.support_logs_bytes = number_option(key, value);
        else if (key == "scheme") s.scheme = value;
        else if (auto it = sizes.find(key); it != sizes.end()) *it->second = number_option(key, value);
        else
            throw std::invalid_argument("unknown option \"" + key +
                                        "\" (expected api_key, versions, max_page_size, support_logs_bytes, scheme, "
                                        "users, accounts, dr_accounts, schedules, policies, backups, recoveries, "
                                        "s3_repositories)");
    }
    if (s.max_page_size == 0) throw std::invalid_argument("option \"max_page_size\" must be at least 1");
    if (s.sizes.users == 0) throw std::invalid_argument("option \"users\" must be at least 1 (the root user)");
    if (s.sizes.accounts == 0 && s.sizes.policies > 0)
        throw std::invalid_argument("option \"accounts\" must be at least 1 when there are policies");
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

response unauthorized(std::string_view message, std::string_view code) {
    auto res = error_answer(http::status::unauthorized, "detail", message, code);
    res.set(http::field::www_authenticate, "Bearer realm=\"api\"");
    return res;
}

response not_found() { return error_answer(http::status::not_found, "detail", "Not found.", "not_found"); }

response no_content() {
    response res{http::status::no_content, 11};
    res.set(http::field::vary, "Accept");
    return res;
}

// A request's body as DRF's parsers see it: JSON for the resources (their
// "Consumes application/json"), form or JSON for the token endpoints.
using parsed_body = std::variant<json::object, response>;

std::string media_type_of(const request& req) {
    std::string_view type = req[http::field::content_type];
    return lower(trim(type.substr(0, type.find(';'))));
}

response unsupported(const request& req) {
    return error_answer(http::status::unsupported_media_type, "detail",
                        "Unsupported media type \"" + std::string(req[http::field::content_type]) + "\" in request.",
                        "unsupported_media_type");
}

parsed_body json_body(const request& req) {
    std::string type = media_type_of(req);
    if (req.body().empty() && (type.empty() || type == "application/json")) return json::object{};
    if (type != "application/json") return unsupported(req);
    boost::system::error_code ec;
    json::value v = json::parse(req.body(), ec);
    if (ec) return error_answer(http::status::bad_request, "detail", "JSON parse error - " + ec.message(), "parse_error");
    if (!v.is_object())
        return error_answer(http::status::bad_request, "non_field_errors",
                            "Invalid data. Expected a dictionary, but got " +
                                std::string(v.is_array() ? "list" : "str") + ".",
                            "invalid");
    return std::move(v.as_object());
}

parsed_body form_body(const request& req) {
    std::string type = media_type_of(req);
    if (type == "application/x-www-form-urlencoded" || (type.empty() && req.body().empty())) {
        json::object out;
        for (auto& [k, v] : parse_form(req.body())) out[k] = v;
        return out;
    }
    return json_body(req);
}

std::int64_t epoch_seconds(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class cpm_vendor final : public vendor {
public:
    cpm_vendor(const options& opts, const clock& c)
        : opts_(opts), settings_(read_settings(opts)), clock_(c),
          tokens_("backup-sim/cpm/" + std::to_string(opts.seed), c),
          data_(seed_store(opts.seed, settings_.sizes)) {
        for (const auto& v : settings_.versions) versions_.push_back(*parse_version(v));
    }

    std::string_view name() const override { return "cpm"; }

    reply handle(const request& req) override {
        target_parts target = split_target(req.target());
        auto route = match_route(target.path);
        if (!route) return {django_not_found(), {}};
        if (req[http::field::host].empty()) return {django_bad_request(), {}};  // Django's DisallowedHost
        version_number version;
        if (auto refusal = negotiate(req, *route, version)) return {std::move(*refusal), {}};
        bool token_endpoint = route->kind == endpoint::obtain_token || route->kind == endpoint::refresh_token;
        std::int64_t user_id = 0;
        if (!token_endpoint)
            if (auto refusal = authenticate(req, user_id)) return {std::move(*refusal), {}};
        if (version < *parse_version(route->since)) return {not_found(), {}};
        reply out = route->allows(req.method()) ? dispatch(req, *route, target, user_id) : reply{not_allowed(req), {}};
        out.head.set(http::field::allow, route->allow_header());
        return out;
    }

    json::object state() const override {
        std::shared_lock lock(mutex_);
        json::array versions;
        for (const auto& v : settings_.versions) versions.emplace_back(v);
        return {
            {"access_ttl_seconds", opts_.access_ttl.count()},
            {"refresh_ttl_seconds", opts_.refresh_ttl.count()},
            {"api_versions", std::move(versions)},
            {"token_generation", generation_.load()},
            {"access_tokens_issued", access_issued_.load()},
            {"refresh_tokens_issued", refresh_issued_.load()},
            {"jobs_started", jobs_started_},
            {"cleanup_runs", cleanup_runs_},
            {"items",
             {{"users", data_.users.rows.size()},
              {"accounts", data_.accounts.rows.size()},
              {"schedules", data_.schedules.rows.size()},
              {"policies", data_.policies.rows.size()},
              {"backups", data_.backups.rows.size()},
              {"recoveries", data_.recoveries.rows.size()},
              {"s3_repositories", data_.s3_repositories.rows.size()},
              {"regions", data_.regions.rows.size()}}},
        };
    }

    void expire_all() override { ++generation_; }

    void reset() override {
        std::unique_lock lock(mutex_);
        data_ = seed_store(opts_.seed, settings_.sizes);
        jobs_started_ = 0;  // the jobs went with the data
        cleanup_runs_ = 0;
        ++generation_;
    }

private:
    // --- the steps before the handler ---

    // DRF's content negotiation, then AcceptHeaderVersioning (section 1.4):
    // the version parameter of the accepted media type, latest when absent.
    std::optional<response> negotiate(const request& req, const route& r, version_number& version) const {
        version = *std::max_element(versions_.begin(), versions_.end());
        std::string_view accept = req[http::field::accept];
        if (accept.empty()) return std::nullopt;
        for (const auto& range : parse_accept(accept)) {
            bool acceptable = std::any_of(r.accepts.begin(), r.accepts.end(),
                                          [&](std::string_view offered) { return media_matches(range, offered); });
            if (!acceptable) continue;
            const std::string* asked = range.param("version");
            if (!asked) return std::nullopt;
            auto v = parse_version(*asked);
            if (!v || std::find(versions_.begin(), versions_.end(), *v) == versions_.end())
                return error_answer(http::status::not_acceptable, "detail", "Invalid version in \"Accept\" header.",
                                    "not_acceptable");
            version = *v;
            return std::nullopt;
        }
        return error_answer(http::status::not_acceptable, "detail", "Could not satisfy the request Accept header.",
                            "not_acceptable");
    }

    // Section 1.2: "Authorization: Bearer <Access Token>", else 401 with WWW-Authenticate.
    std::optional<response> authenticate(const request& req, std::int64_t& user_id) {
        auto refuse = [&](std::string_view message, std::string_view code) {
            stats().unauthorized.fetch_add(1, std::memory_order_relaxed);
            return unauthorized(message, code);
        };
        std::string_view header = trim(req[http::field::authorization]);
        std::string_view scheme = header.substr(0, header.find(' '));
        if (header.empty() || scheme != "Bearer")
            return refuse("Authentication credentials were not provided.", "not_authenticated");
        std::string_view token = trim(header.substr(scheme.size()));
        if (token.empty() || token.find(' ') != std::string_view::npos)
            return refuse("Authorization header must contain two space-delimited values", "bad_authorization_header");
        auto claims = valid_token(token, token_type::access);
        if (!claims) return refuse("Given token not valid for any token type", "token_not_valid");
        user_id = claims->user_id;
        return std::nullopt;
    }

    std::optional<token_claims> valid_token(std::string_view token, token_type type) const {
        auto claims = tokens_.verify(token);
        if (!claims || claims->type != type || claims->generation != generation_.load()) return std::nullopt;
        if (epoch_seconds(clock_.now()) >= claims->exp) return std::nullopt;
        return claims;
    }

    response not_allowed(const request& req) const {
        return error_answer(http::status::method_not_allowed, "detail",
                            "Method \"" + std::string(req.method_string()) + "\" not allowed.", "method_not_allowed");
    }

    reply dispatch(const request& req, const route& r, const target_parts& target, std::int64_t user_id) {
        if (req.method() == http::verb::options) return {options_answer(), {}};
        switch (r.kind) {
        case endpoint::obtain_token: return {obtain(req), {}};
        case endpoint::refresh_token: return {refresh(req), {}};
        case endpoint::support_logs: return support_logs();
        case endpoint::cleanup_logs: return {cleanup_logs(), {}};
        case endpoint::run_policy: return {run_policy(req, r), {}};
        case endpoint::recover_snapshot: return {recover_snapshot(req, r), {}};
        case endpoint::cleanup_run: return {run_cleanup(req), {}};
        default: break;
        }
        return {resource_call(req, r, target, user_id), {}};
    }

    response resource_call(const request& req, const route& r, const target_parts& target, std::int64_t user_id) {
        if (r.kind == endpoint::all_accounts) return list_view(accounts_resource(), data_.accounts, nullptr, req, target);
        if (r.kind == endpoint::backup_snapshots) return snapshots_view(r, req, target);
        table_id t = *r.table;
        bool reading = req.method() == http::verb::get || req.method() == http::verb::head;
        if (r.kind == endpoint::collection && reading) return list_view(def(t), of(t), scope(t), req, target);
        if (r.kind == endpoint::collection) return create(req, t, user_id);
        auto id = item_id(r.id);
        if (r.kind == endpoint::account_snapshots) return delete_snapshots(t, id);
        if (reading) return retrieve(t, id);
        if (req.method() == http::verb::put) return update(req, t, id, user_id);
        return destroy(t, id);
    }

    // --- tokens (section 1.2) ---

    response obtain(const request& req) {
        auto body = form_body(req);
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        auto field_error = [&](std::string_view message, std::string_view code) {
            stats().failed_logins.fetch_add(1, std::memory_order_relaxed);
            return error_answer(http::status::bad_request, "api_key", message, code);
        };
        const json::object& form = std::get<json::object>(body);
        const json::value* key = form.if_contains("api_key");
        if (!key) return field_error("This field is required.", "required");
        if (!key->is_string() || key->as_string().empty()) return field_error("This field may not be blank.", "blank");
        if (key->as_string() != settings_.api_key) {
            stats().failed_logins.fetch_add(1, std::memory_order_relaxed);
            return unauthorized("No active account found with the given credentials", "no_active_account");
        }
        stats().logins.fetch_add(1, std::memory_order_relaxed);
        auto generation = generation_.load();
        json::object tokens{{"access", issue(token_type::access, generation)},
                            {"refresh", issue(token_type::refresh, generation)}};
        return json_answer(http::status::ok, json::serialize(tokens));
    }

    response refresh(const request& req) {
        auto body = form_body(req);
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        const json::value* token = std::get<json::object>(body).if_contains("refresh");
        if (!token) return error_answer(http::status::bad_request, "refresh", "This field is required.", "required");
        if (!token->is_string() || token->as_string().empty())
            return error_answer(http::status::bad_request, "refresh", "This field may not be blank.", "blank");
        auto claims = valid_token(token->as_string(), token_type::refresh);
        if (!claims) {
            stats().unauthorized.fetch_add(1, std::memory_order_relaxed);
            return unauthorized("Token is invalid or expired", "token_not_valid");
        }
        stats().refreshes.fetch_add(1, std::memory_order_relaxed);
        json::object answer{{"access", issue(token_type::access, claims->generation)}};
        return json_answer(http::status::ok, json::serialize(answer));
    }

    std::string issue(token_type type, std::uint64_t generation) {
        bool access = type == token_type::access;
        (access ? access_issued_ : refresh_issued_).fetch_add(1, std::memory_order_relaxed);
        return tokens_.issue(type, access ? opts_.access_ttl : opts_.refresh_ttl, 1, generation);
    }

    // --- resources ---

    collection& of(table_id t) {
        switch (t) {
        case table_id::users: return data_.users;
        case table_id::backup_accounts:
        case table_id::dr_accounts: return data_.accounts;
        case table_id::schedules: return data_.schedules;
        case table_id::policies: return data_.policies;
        case table_id::backups: return data_.backups;
        case table_id::recoveries: return data_.recoveries;
        case table_id::s3_repositories: return data_.s3_repositories;
        case table_id::regions: return data_.regions;
        }
        return data_.users;
    }

    static const resource& def(table_id t) {
        switch (t) {
        case table_id::users: return users_resource();
        case table_id::backup_accounts:
        case table_id::dr_accounts: return accounts_resource();
        case table_id::schedules: return schedules_resource();
        case table_id::policies: return policies_resource();
        case table_id::backups: return backups_resource();
        case table_id::recoveries: return recoveries_resource();
        case table_id::s3_repositories: return s3_repositories_resource();
        case table_id::regions: return regions_resource();
        }
        return users_resource();
    }

    // Backup and DR accounts share one table; each endpoint sees its own kind.
    static row_scope scope(table_id t) {
        if (t == table_id::backup_accounts) return [](const json::object& a) { return !a.at("is_dr_account").as_bool(); };
        if (t == table_id::dr_accounts) return [](const json::object& a) { return a.at("is_dr_account").as_bool(); };
        return nullptr;
    }

    // DRF's lookup accepts any segment; a non-number finds nothing.
    static std::optional<std::int64_t> item_id(std::string_view text) {
        std::int64_t id = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
        return id;
    }

    const row* find_row(table_id t, std::optional<std::int64_t> id) {
        if (!id) return nullptr;
        const auto& rows = of(t).rows;
        auto it = rows.find(*id);
        if (it == rows.end()) return nullptr;
        auto in_scope = scope(t);
        return !in_scope || in_scope(it->second.value) ? &it->second : nullptr;
    }

    list_context list_context_of(const request& req, const target_parts& target) const {
        std::string origin = settings_.scheme + "://" + std::string(req[http::field::host]);
        return {target.args, target.path, std::move(origin), settings_.max_page_size};
    }

    response list_view(const resource& r, const collection& c, const row_scope& in_scope, const request& req,
                       const target_parts& target) {
        list_context ctx = list_context_of(req, target);
        std::shared_lock lock(mutex_);
        return list(c.rows, r.listing, in_scope, ctx);
    }

    // GET /backups/{backup_id}/snapshots/[volumes/|rds_databases/] (chapter 2,
    // 1.1.0): an unknown backup is DRF's 404, as for the backup itself.
    response snapshots_view(const route& r, const request& req, const target_parts& target) {
        list_context ctx = list_context_of(req, target);
        table rows;
        {
            std::shared_lock lock(mutex_);
            const row* backup = find_row(table_id::backups, item_id(r.id));
            if (!backup) return not_found();
            rows = backup_snapshots(opts_.seed, backup->value);
        }
        row_scope of_type = nullptr;
        if (!r.snapshot_type.empty())
            of_type = [type = r.snapshot_type](const json::object& s) { return s.at("type").as_string() == type; };
        return list(rows, snapshots_resource().listing, of_type, ctx);
    }

    response retrieve(table_id t, std::optional<std::int64_t> id) {
        std::shared_lock lock(mutex_);
        const row* found = find_row(t, id);
        if (!found) return not_found();
        return json_answer(http::status::ok, found->text);
    }

    response create(const request& req, table_id t, std::int64_t user_id) {
        auto body = json_body(req);
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        std::unique_lock lock(mutex_);
        const resource& r = def(t);
        json::object item = r.defaults;
        if (auto refusal = write(r, t, std::get<json::object>(body), item, true, user_id)) return std::move(*refusal);
        item["id"] = of(t).next_id;
        if (t == table_id::backup_accounts || t == table_id::dr_accounts) item["is_dr_account"] = t == table_id::dr_accounts;
        row stored = make_row(r, item);
        std::string text = stored.text;
        of(t).insert(std::move(stored));
        return json_answer(http::status::created, std::move(text));
    }

    response update(const request& req, table_id t, std::optional<std::int64_t> id, std::int64_t user_id) {
        auto body = json_body(req);
        std::unique_lock lock(mutex_);
        const row* found = find_row(t, id);
        if (!found) return not_found();
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        const resource& r = def(t);
        json::object item = found->value;
        if (auto refusal = write(r, t, std::get<json::object>(body), item, false, user_id)) return std::move(*refusal);
        row stored = make_row(r, item);
        std::string text = stored.text;
        of(t).insert(std::move(stored));
        return json_answer(http::status::ok, std::move(text));
    }

    // Validates `body` into `item` (fields, then rules across fields, then uniqueness); a 400 when invalid.
    std::optional<response> write(const resource& r, table_id t, const json::object& body, json::object& item,
                                  bool create, std::int64_t user_id) {
        auto checked = validate(r.fields, body, create, [this](kind k, std::int64_t pk) { return exists(k, pk); });
        for (auto& [k, v] : checked.values) item[k] = v;
        if (checked.errors.empty() && r.cross_check) r.cross_check(item, create, checked.errors);
        if (checked.errors.empty()) unique_check(r, t, item, checked.errors);
        if (!checked.errors.empty()) return errors_answer(http::status::bad_request, std::move(checked.errors));
        if (r.fill) r.fill(item, create, write_context{now_text(), user_id});
        return std::nullopt;
    }

    void unique_check(const resource& r, table_id t, const json::object& item, json::object& errors) {
        if (r.unique_field.empty()) return;
        const json::value& mine = item.at(r.unique_field);
        const json::value* my_id = item.if_contains("id");
        for (const auto& [id, other] : of(t).rows) {
            if (my_id && my_id->as_int64() == id) continue;
            if (other.value.at(r.unique_field) == mine) {
                errors[r.unique_field] = error_list(std::string(r.label) + " with this " + std::string(r.unique_field) +
                                                        " already exists.",
                                                    "unique");
                return;
            }
        }
    }

    bool exists(kind k, std::int64_t pk) const {
        switch (k) {
        case kind::user_ref: return data_.users.rows.contains(pk);
        case kind::schedule_refs: return data_.schedules.rows.contains(pk);
        case kind::account_ref: {
            auto it = data_.accounts.rows.find(pk);
            return it != data_.accounts.rows.end() && !it->second.value.at("is_dr_account").as_bool();
        }
        default: return false;
        }
    }

    response destroy(table_id t, std::optional<std::int64_t> id) {
        std::unique_lock lock(mutex_);
        if (!find_row(t, id)) return not_found();
        // The root user owns the API key and everything else.
        if (t == table_id::users && *id == 1)
            return error_answer(http::status::forbidden, "detail", "You do not have permission to perform this action.",
                                "permission_denied");
        of(t).rows.erase(*id);
        return no_content();
    }

    response delete_snapshots(table_id t, std::optional<std::int64_t> id) {
        std::shared_lock lock(mutex_);
        if (!find_row(t, id)) return not_found();
        return no_content();
    }

    // --- job starts (chapter 2; docs/simulators.md, "Job starts") ---

    // POST /policies/{id}/backups/ (chapter 2, 1.0.0's new APIs): runs the policy
    // now. The backup it starts is a row of /backups/ like the seeded ones still
    // running: "Backup in Progress", no end_time, the policy's account and owner.
    // DRF's order: the policy (404), the body (415/400), then the rule that a
    // disabled policy does not run (400, section 1.8's body, non_field_errors).
    response run_policy(const request& req, const route& r) {
        auto body = json_body(req);
        std::unique_lock lock(mutex_);
        const row* policy = find_row(table_id::policies, item_id(r.id));
        if (!policy) return not_found();
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        const json::object& p = policy->value;
        if (const json::value* enabled = p.if_contains("enabled"); enabled && enabled->is_bool() && !enabled->as_bool())
            return error_answer(http::status::bad_request, "non_field_errors", "The policy is disabled.", "invalid");
        json::object backup{
            {"id", data_.backups.next_id},
            {"policy", p.at("id")},
            {"account", p.at("account")},
            {"user", p.at("user")},
            {"status", "Backup in Progress"},
            {"start_time", now_text()},
            {"end_time", nullptr},
            {"is_frozen", false},
            {"description", ""},
        };
        row stored = make_row(backups_resource(), backup);
        std::string text = stored.text;
        data_.backups.insert(std::move(stored));
        ++jobs_started_;
        return json_answer(http::status::created, std::move(text));
    }

    // POST /backups/{backup_id}/snapshots/<kind>/{snapshot_id}/recover/ (chapter 2,
    // 1.1.0's new APIs): recovers one snapshot of the backup, of the route's kind.
    // The recovery it starts is a row of /recoveries/ like the seeded one still
    // running, with the backup's policy, account and owner; its recovery_type is
    // the snapshot's type. An unknown backup, or a snapshot that is not one of
    // that backup's of that kind, is DRF's 404.
    response recover_snapshot(const request& req, const route& r) {
        auto body = json_body(req);
        std::unique_lock lock(mutex_);
        const row* backup = find_row(table_id::backups, item_id(r.id));
        if (!backup) return not_found();
        table snapshots = backup_snapshots(opts_.seed, backup->value);
        auto snapshot_id = item_id(r.snapshot_id);
        auto snapshot = snapshot_id ? snapshots.find(*snapshot_id) : snapshots.end();
        if (snapshot == snapshots.end() || snapshot->second.value.at("type").as_string() != r.snapshot_type)
            return not_found();
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        const json::object& b = backup->value;
        json::object recovery{
            {"id", data_.recoveries.next_id},
            {"backup", b.at("id")},
            {"policy", b.at("policy")},
            {"account", b.at("account")},
            {"user", b.at("user")},
            {"status", "Recovery in Progress"},
            {"start_time", now_text()},
            {"end_time", nullptr},
            {"recovery_type", r.snapshot_type},
        };
        row stored = make_row(recoveries_resource(), recovery);
        std::string text = stored.text;
        data_.recoveries.insert(std::move(stored));
        ++jobs_started_;
        return json_answer(http::status::created, std::move(text));
    }

    // POST /settings/cleanup/run/ (chapter 2, 1.1.0's new APIs): starts a cleanup.
    // The document gives no answer; the simulator's is DRF's 202 Accepted (the
    // cleanup goes on after the answer) with the run: its number, counted from 1
    // since start-up or the last reset, a status and its start time.
    response run_cleanup(const request& req) {
        auto body = json_body(req);
        if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
        std::unique_lock lock(mutex_);
        ++cleanup_runs_;
        ++jobs_started_;
        json::object run{{"id", cleanup_runs_}, {"status", "Cleanup in Progress"}, {"start_time", now_text()}};
        return json_answer(http::status::accepted, json::serialize(run));
    }

    std::string now_text() const {
        auto since_epoch = clock_.now().time_since_epoch();
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
        return iso_time(seconds.count(), micros.count());
    }

    // --- downloads (section 1.9.1) ---

    reply support_logs() const {
        response head{http::status::ok, 11};
        head.set(http::field::content_type, "application/octet-stream");
        head.set(http::field::content_disposition, "attachment; filename=\"support_logs.bz2\"");
        return {std::move(head), settings_.support_logs_bytes};
    }

    response cleanup_logs() {
        std::string csv = "time,account,region,resource_type,resource_id,action,status\r\n";
        std::shared_lock lock(mutex_);
        std::size_t n = 0;
        for (const auto& [id, b] : data_.backups.rows) {
            if (++n > 200) break;
            csv += std::string(b.value.at("start_time").as_string()) + "," + json::serialize(b.value.at("account")) +
                   ",us-east-1,EBS snapshot,snap-" + std::to_string(100000000 + id * 7919) + ",delete," +
                   (id % 17 == 0 ? "failed" : "deleted") + "\r\n";
        }
        response res{http::status::ok, 11};
        res.set(http::field::content_type, "text/csv");
        res.set(http::field::content_disposition, "attachment; filename=\"cleanup_logs.csv\"");
        res.body() = std::move(csv);
        return res;
    }

    response options_answer() const {
        return json_answer(http::status::ok,
                           R"({"renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]})");
    }

    options opts_;
    settings settings_;
    std::vector<version_number> versions_;
    const clock& clock_;
    token_issuer tokens_;
    std::atomic<std::uint64_t> generation_{1};
    std::atomic<std::uint64_t> access_issued_{0};
    std::atomic<std::uint64_t> refresh_issued_{0};
    mutable std::shared_mutex mutex_;
    store data_;
    // Under mutex_: policy runs, snapshot recoveries and cleanup runs started.
    std::uint64_t jobs_started_ = 0;
    std::uint64_t cleanup_runs_ = 0;
};

}  // namespace

}  // namespace cpm

std::unique_ptr<vendor> make_cpm(const options& opts, const clock& c) {
    return std::make_unique<cpm::cpm_vendor>(opts, c);
}

}  // namespace sim
