// The vendor: one request's phases are route (token endpoint, login, or an
// authenticated API) → authenticate (bearer token + session, section 3.7) →
// serve (resource_api.cpp). One mutex guards all state. The job starts
// (POST .../application/{id}/backup) are counted in state()'s jobs_started.
#include "tests/simulators/backupdr/backupdr.hpp"

#include "tests/simulators/backupdr/credentials.hpp"
#include "tests/simulators/backupdr/replies.hpp"
#include "tests/simulators/backupdr/resource_api.hpp"
#include "tests/simulators/backupdr/schema.hpp"
#include "tests/simulators/backupdr/settings.hpp"
#include "tests/simulators/backupdr/store.hpp"
#include "tests/simulators/backupdr/text.hpp"

#include <boost/url/parse.hpp>

#include <mutex>

namespace sim {

namespace {

using namespace sim::backupdr;
namespace json = boost::json;

constexpr std::string_view base_path = "/actifio/";
constexpr std::string_view session_header = "backupdr-management-session";

// "<scheme> <credentials>" with a case-insensitive scheme (RFC 9110 section
// 11.1); nullopt when the header is absent or names another scheme.
std::optional<std::string_view> credentials(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size() + 1 || header[scheme.size()] != ' ' ||
        !iequals(header.substr(0, scheme.size()), scheme))
        return std::nullopt;
    std::string_view value = header.substr(scheme.size() + 1);
    if (value.empty() || value.find(' ') != std::string_view::npos)
        return std::nullopt;
    return value;
}

std::int64_t micros(time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string_view reason(session_check c) {
    switch (c) {
    case session_check::unknown:
        return "the session id is invalid";
    case session_check::expired:
        return "the session has expired";
    case session_check::other_identity:
        return "the session belongs to another identity than the bearer token";
    case session_check::ok:
        break;
    }
    return "";
}

class backupdr_vendor final : public vendor {
public:
    backupdr_vendor(const options& opts, const clock& c)
        : clock_(c), settings_(parse_settings(opts)), tokens_(settings_.tokens),
          sessions_(settings_.session_idle), data_(opts.seed, settings_.sizes), rng_(mix64(opts.seed + 1)) {}

    std::string_view name() const override { return "backupdr"; }
    reply handle(const request& req) override;
    json::object state() const override;
    void expire_all() override;
    void reset() override;

private:
    // The session id of an authenticated request, or the 401 that refuses it.
    struct authentication {
        std::optional<reply> refusal;
        std::string session_id;
    };

    reply login(const request& req, time_point now);
    authentication authenticate(const request& req, time_point now);
    reply refuse(std::string_view reason);
    reply serve(const request& req, const boost::urls::url_view& url, std::string_view session_id, time_point now);

    const clock& clock_;
    const settings settings_;
    mutable std::mutex mutex_;
    token_store tokens_;
    session_store sessions_;
    data_store data_;
    seeded_random rng_;  // tokens and session ids: never re-seeded, so reset() does not reissue old ones
};

reply backupdr_vendor::handle(const request& req) {
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url)
        return error_reply(bad_request("the request target is not a valid origin-form URL"));
    const std::string_view path = url->encoded_path();
    std::lock_guard lock(mutex_);
    const time_point now = clock_.now();
    if (path == "/token")
        return tokens_.grant(req, now, rng_);
    if (path == "/actifio/session")
        return login(req, now);
    if (!path.starts_with(base_path))
        return error_reply({http::status::not_found, err_code::no_such_endpoint,
                            "no such endpoint: " + std::string(path)});
    authentication auth = authenticate(req, now);
    if (auth.refusal)
        return std::move(*auth.refusal);
    return serve(req, *url, auth.session_id, now);
}

// Section 3.7: POST .../session with the bearer token answers a session_id
// "along with other attributes" (which ones the document does not say).
reply backupdr_vendor::login(const request& req, time_point now) {
    if (req.method() != http::verb::post)
        return method_not_allowed("POST");
    auto token = credentials(req[http::field::authorization], "Bearer");
    auto identity = token ? tokens_.identity(*token, now) : std::nullopt;
    if (!identity) {
        ++stats().failed_logins;
        ++stats().unauthorized;
        return unauthorized("Basic", token ? "the bearer token is invalid or expired" : "no bearer token");
    }
    ++stats().logins;
    const std::string id = sessions_.open(*identity, now, rng_);
    return json_reply(http::status::ok,
                      json::object{{"session_id", id},
                                   {"user", json::object{{"name", *identity}, {"timezone", "UTC"}}},
                                   {"rights", json::array{json::object{{"id", "System View"}},
                                                          json::object{{"id", "Application Manage"}},
                                                          json::object{{"id", "Backup Manage"}}}}});
}

reply backupdr_vendor::refuse(std::string_view why) {
    ++stats().unauthorized;
    return unauthorized("Actifio", why);
}

backupdr_vendor::authentication backupdr_vendor::authenticate(const request& req, time_point now) {
    auto token = credentials(req[http::field::authorization], "Bearer");
    if (!token)
        return {refuse("no bearer token in Authorization"), {}};
    auto identity = tokens_.identity(*token, now);
    if (!identity)
        return {refuse("the bearer token is invalid or expired"), {}};
    auto session_id = credentials(req[session_header], "Actifio");
    if (!session_id)
        return {refuse("no 'backupdr-management-session: Actifio <session_id>' header"), {}};
    const bool refresh = !iequals(req["Actifio-No-Session-Refresh"], "true");
    const session_check c = sessions_.use(*session_id, *identity, now, refresh);
    if (c != session_check::ok)
        return {refuse(reason(c)), {}};
    return {std::nullopt, std::string(*session_id)};
}

reply backupdr_vendor::serve(const request& req, const boost::urls::url_view& url, std::string_view session_id,
                             time_point now) {
    const std::string_view rest = url.encoded_path().substr(base_path.size());
    if (rest == "session/current") {
        if (req.method() != http::verb::delete_)
            return method_not_allowed("DELETE");
        sessions_.close(session_id);
        ++stats().logouts;
        return no_content();
    }
    // Section 3.1: POST also performs "an operation on a resource": an
    // on-demand backup of an application, .../application/{id}/backup.
    constexpr std::string_view app_prefix = "application/";
    constexpr std::string_view backup_suffix = "/backup";
    if (rest.size() > app_prefix.size() + backup_suffix.size() && rest.starts_with(app_prefix) &&
        rest.ends_with(backup_suffix)) {
        const std::string_view app_id =
            rest.substr(app_prefix.size(), rest.size() - app_prefix.size() - backup_suffix.size());
        if (app_id.find('/') == std::string_view::npos) {
            const auto params = url.params();
            const resource_call call{req, params, *find_schema("application"), data_, micros(now)};
            return serve_application_backup(call, app_id);
        }
    }
    const auto slash = rest.find('/');
    const resource_schema* schema = find_schema(rest.substr(0, slash));
    const std::string_view id = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (schema == nullptr || (slash != std::string_view::npos && (id.empty() || id.find('/') != id.npos)))
        return error_reply({http::status::not_found, err_code::no_such_endpoint,
                            "no such endpoint: " + std::string(url.encoded_path())});
    const auto params = url.params();
    const resource_call call{req, params, *schema, data_, micros(now)};
    return slash == std::string_view::npos ? serve_list(call, settings_.page_cap) : serve_item(call, id);
}

json::object backupdr_vendor::state() const {
    std::lock_guard lock(mutex_);
    const time_point now = clock_.now();
    json::object items;
    for (const resource_schema& s : schemas())
        items[s.name] = data_.size(s);
    return {{"active_sessions", sessions_.active(now)},
            {"active_tokens", tokens_.active(now)},
            {"tokens_issued", tokens_.issued()},
            {"token_grants_refused", tokens_.refused()},
            {"session_idle_seconds", settings_.session_idle.count()},
            {"page_cap", settings_.page_cap},
            {"jobs_started", data_.jobs_started()},
            {"items", std::move(items)}};
}

void backupdr_vendor::expire_all() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
    sessions_.clear();
}

void backupdr_vendor::reset() {
    std::lock_guard lock(mutex_);
    tokens_.reset();
    sessions_.clear();
    data_.reset();
}

}  // namespace

std::unique_ptr<vendor> make_backupdr(const options& opts, const clock& c) {
    return std::make_unique<backupdr_vendor>(opts, c);
}

}  // namespace sim
