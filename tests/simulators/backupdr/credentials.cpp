#include "tests/simulators/backupdr/credentials.hpp"

#include "tests/simulators/backupdr/text.hpp"

#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/params_view.hpp>

#include <algorithm>

namespace sim::backupdr {

namespace {

constexpr std::string_view jwt_bearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

bool is_form(const request& req) {
    return media_type(req[http::field::content_type]) == "application/x-www-form-urlencoded";
}

// The form's single value for `name`; nullopt when absent or repeated (RFC
// 6749 section 3.2: parameters must not be included more than once).
std::optional<std::string> form_value(const boost::urls::params_view& form, std::string_view name) {
    std::optional<std::string> out;
    for (const auto& p : form) {
        if (p.key != name)
            continue;
        if (out)
            return std::nullopt;
        out = std::string(p.value);
    }
    return out;
}

}  // namespace

token_store::token_store(token_settings settings) : settings_(std::move(settings)) {
    if (!settings_.key_file.empty())
        key_ = load_public_key(settings_.key_file);
}

reply token_store::refuse(std::string_view error, std::string_view description, http::status status) {
    ++refused_;
    reply r;
    r.head.result(status);
    r.head.set(http::field::content_type, "application/json; charset=utf-8");
    r.head.set(http::field::cache_control, "no-store");
    r.head.body() = boost::json::serialize(boost::json::object{{"error", error}, {"error_description", description}});
    r.head.prepare_payload();
    return r;
}

reply token_store::issue(std::string identity, time_point now, seeded_random& rng) {
    std::erase_if(tokens_, [&](const auto& kv) { return now >= kv.second.expires; });
    std::string access_token = "ya29.sim-" + rng.hex(48);
    tokens_[access_token] = {std::move(identity), now + settings_.ttl};
    ++issued_;
    reply r;
    r.head.result(http::status::ok);
    r.head.set(http::field::content_type, "application/json; charset=utf-8");
    r.head.set(http::field::cache_control, "no-store");
    r.head.body() = boost::json::serialize(boost::json::object{
        {"access_token", access_token}, {"expires_in", settings_.ttl.count()}, {"token_type", "Bearer"}});
    r.head.prepare_payload();
    return r;
}

reply token_store::grant(const request& req, time_point now, seeded_random& rng) {
    if (req.method() != http::verb::post) {
        reply r = refuse("invalid_request", "the token endpoint accepts POST only", http::status::method_not_allowed);
        r.head.set(http::field::allow, "POST");
        return r;
    }
    if (!is_form(req))
        return refuse("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    if (!boost::urls::parse_query(req.body()))
        return refuse("invalid_request", "the body is not a form");
    // A form encodes spaces as '+'. (Built from the checked text: this Boost's
    // library lacks the params_view(params_view, encoding_opts) constructor.)
    const boost::urls::params_view form(req.body(), boost::urls::encoding_opts{true, false, false});
    const auto grant_type = form_value(form, "grant_type");
    if (grant_type != jwt_bearer)
        return refuse("unsupported_grant_type", "Invalid grant_type: " + grant_type.value_or(""));
    const auto assertion = form_value(form, "assertion");
    if (!assertion)
        return refuse("invalid_request", "Missing required parameter: assertion");
    if (!key_)
        return refuse("invalid_grant", "no service account key is configured (sa_public_key_file)");
    auto checked = check_assertion(*assertion, *key_, rules_for(req), now);
    if (auto* e = std::get_if<grant_error>(&checked))
        return refuse(e->error, e->description);
    return issue(std::get<assertion_identity>(checked).subject, now, rng);
}

// Besides the configured audience, this endpoint's own URL: a client that
// takes aud from its key file's token_uri (pointed at the simulator) is right too.
assertion_rules token_store::rules_for(const request& req) const {
    assertion_rules rules = settings_.rules;
    const std::string_view host = req[http::field::host];
    if (!host.empty())
        for (std::string_view scheme : {"http://", "https://"})
            rules.audiences.push_back(std::string(scheme) + std::string(host) + "/token");
    return rules;
}

std::optional<std::string> token_store::identity(std::string_view token, time_point now) const {
    if (!settings_.static_token.empty() && token == settings_.static_token)
        return settings_.static_identity;
    auto it = tokens_.find(token);
    if (it == tokens_.end() || now >= it->second.expires)
        return std::nullopt;
    return it->second.identity;
}

std::size_t token_store::active(time_point now) const {
    return static_cast<std::size_t>(
        std::count_if(tokens_.begin(), tokens_.end(), [&](const auto& kv) { return now < kv.second.expires; }));
}

std::string session_store::open(std::string identity, time_point now, seeded_random& rng) {
    std::erase_if(sessions_, [&](const auto& kv) { return !live(kv.second, now); });
    std::string id = rng.uuid();
    sessions_[id] = {std::move(identity), now};
    return id;
}

session_check session_store::use(std::string_view id, std::string_view identity, time_point now, bool refresh) {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return session_check::unknown;
    if (!live(it->second, now)) {
        sessions_.erase(it);
        return session_check::expired;
    }
    if (it->second.identity != identity)
        return session_check::other_identity;
    if (refresh)
        it->second.last_used = now;
    return session_check::ok;
}

bool session_store::close(std::string_view id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return false;
    sessions_.erase(it);
    return true;
}

std::size_t session_store::active(time_point now) const {
    return static_cast<std::size_t>(
        std::count_if(sessions_.begin(), sessions_.end(), [&](const auto& kv) { return live(kv.second, now); }));
}

}  // namespace sim::backupdr
