// POST /api/v1/token (grants password, mfa, refresh_token, authorization_code),
// DELETE /api/v1/token (logout) and POST /api/v1/token/authorization_code:
// the overview's "Authorization in REST API" section and its examples.
#include "tests/simulators/veeam/seed.hpp"
#include "tests/simulators/veeam/text.hpp"
#include "tests/simulators/veeam/totp.hpp"
#include "tests/simulators/veeam/veeam_vendor.hpp"

#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

namespace sim::veeam {

namespace json = boost::json;

namespace {

bool is_form(const request& req) {
    const auto it = req.find(http::field::content_type);
    if (it == req.end()) return false;
    const std::string_view type = trim(it->value().substr(0, it->value().find(';')));
    return iequals(type, "application/x-www-form-urlencoded");
}

// The body as HTML forms encode it ('+' is a space); a repeated field is an error.
outcome<form> parse_form(const request& req) {
    if (!is_form(req))
        return failure{http::status::unsupported_media_type,
                       "The token endpoint takes an application/x-www-form-urlencoded body."};
    if (!boost::urls::parse_query(req.body())) return bad_request("The request body is not a valid form.");
    form fields;
    // Checked just above, so this constructor (which throws on bad input) does not throw.
    const boost::urls::params_view params(req.body(), boost::urls::encoding_opts{true, false, false});
    for (const boost::urls::param p : params)
        if (!fields.emplace(p.key, p.value).second)
            return bad_request("The " + p.key + " parameter is given more than once.");
    return fields;
}

std::optional<std::string> field(const form& f, const std::string& name) {
    const auto it = f.find(name);
    if (it == f.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

failure missing(std::string_view name) { return bad_request("The " + std::string(name) + " parameter is required."); }

// The body of the overview's Example [Password]; `username` only where that
// example has it (the password grant).
json::object token_body(const token_pair& t, std::chrono::seconds access_ttl, bool with_username) {
    json::object body{{"access_token", t.access_token},
                      {"token_type", "bearer"},
                      {"refresh_token", t.refresh_token},
                      {"expires_in", access_ttl.count()},
                      {".issued", iso_seconds(unix_seconds(t.issued))},
                      {".expires", iso_seconds(unix_seconds(t.expires))}};
    if (with_username) body["username"] = t.username;
    return body;
}

// RFC 6749 §5.1: token responses must not be cached.
sim::reply no_store(sim::reply r) {
    r.head.set(http::field::cache_control, "no-store");
    r.head.set(http::field::pragma, "no-cache");
    return r;
}

}  // namespace

sim::reply veeam_vendor::token_grant(call& c) {
    const auto parsed = parse_form(c.req);
    if (const auto* bad = std::get_if<failure>(&parsed)) return error_reply(c.req, *bad);
    const form& f = std::get<form>(parsed);
    const auto grant = field(f, "grant_type");
    if (!grant) return error_reply(c.req, missing("grant_type"));
    if (*grant == "password") return password_grant(c, f);
    if (*grant == "mfa") return mfa_grant(c, f);
    if (*grant == "refresh_token") return refresh_grant(c, f);
    if (*grant == "authorization_code") return code_grant(c, f);
    return error_reply(c.req, bad_request("The grant type '" + *grant + "' is not supported."));
}

sim::reply veeam_vendor::failed_login(const call& c, std::string details) {
    ++stats().failed_logins;
    return error_reply(c.req, unauthorized(std::move(details)));
}

// Overview, "Using Password Grant Type" and step 1 of "Using MFA Grant Type".
sim::reply veeam_vendor::password_grant(call& c, const form& f) {
    const auto username = field(f, "username");
    const auto password = field(f, "password");
    if (!username) return error_reply(c.req, missing("username"));
    if (!password) return error_reply(c.req, missing("password"));
    switch (users_.check_password(*username, *password)) {
        case password_check::wrong: return failed_login(c, "The user name or password is incorrect.");
        case password_check::ok_needs_mfa: {
            ++mfa_challenges_;
            const json::object body{{"username", *username},
                                    {"mfa_enabled", true},
                                    {"mfa_token", tokens_.issue_mfa_token(*username, c.now)}};
            return no_store(json_reply(c.req, http::status::ok, body));
        }
        case password_check::ok: break;
    }
    ++stats().logins;
    const token_pair t = tokens_.open_session(*username, c.now);
    return no_store(json_reply(c.req, http::status::ok, token_body(t, settings_.ttl.access, true)));
}

// Overview, step 2 of "Using MFA Grant Type": mfa_token plus the six-digit mfa_code.
sim::reply veeam_vendor::mfa_grant(call& c, const form& f) {
    const auto mfa_token = field(f, "mfa_token");
    const auto code = field(f, "mfa_code");
    if (!mfa_token) return error_reply(c.req, missing("mfa_token"));
    if (!code) return error_reply(c.req, missing("mfa_code"));
    const auto username = tokens_.mfa_user(*mfa_token, c.now);
    if (!username) return failed_login(c, "The MFA token is not valid or has expired.");
    const auto secret = users_.mfa_secret(*username);
    if (!secret || !totp_matches(*secret, *code, unix_seconds(c.now), settings_.totp_window))
        return failed_login(c, "The verification code is not valid.");
    tokens_.consume_mfa_token(*mfa_token);
    ++stats().logins;
    const token_pair t = tokens_.open_session(*username, c.now);
    return no_store(json_reply(c.req, http::status::ok, token_body(t, settings_.ttl.access, false)));
}

// Overview, "Using Refresh Token".
sim::reply veeam_vendor::refresh_grant(call& c, const form& f) {
    const auto refresh_token = field(f, "refresh_token");
    if (!refresh_token) return error_reply(c.req, missing("refresh_token"));
    const auto t = tokens_.refresh(*refresh_token, c.now);
    if (!t) return failed_login(c, "The refresh token is not valid or has expired.");
    ++stats().refreshes;
    return no_store(json_reply(c.req, http::status::ok, token_body(*t, settings_.ttl.access, false)));
}

// Overview, step 2 of "Using Authorization Code Grant Type".
sim::reply veeam_vendor::code_grant(call& c, const form& f) {
    const auto code = field(f, "code");
    if (!code) return error_reply(c.req, missing("code"));
    const auto username = tokens_.redeem_code(*code, c.now);
    if (!username) return failed_login(c, "The authorization code is not valid or has expired.");
    ++stats().logins;
    const token_pair t = tokens_.open_session(*username, c.now);
    return no_store(json_reply(c.req, http::status::ok, token_body(t, settings_.ttl.access, false)));
}

// Overview, "Performing Logout": 204, and the logon session's tokens are gone.
sim::reply veeam_vendor::logout(call& c) {
    if (!tokens_.logout(c.access_token, c.now)) return refuse(c, unauthorized("The access token is not valid."));
    ++stats().logouts;
    return empty_reply(c.req, http::status::no_content);
}

// Overview, step 1 of "Using Authorization Code Grant Type".
sim::reply veeam_vendor::authorization_code(call& c) {
    const json::object body{{"code", tokens_.issue_code(c.user, c.now)}};
    return no_store(json_reply(c.req, http::status::ok, body));
}

}  // namespace sim::veeam
