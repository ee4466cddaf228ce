#include "adapters/veeam/veeam_adapter.hpp"

#include "adapters/common/totp.hpp"
#include "adapters/list_support.hpp"


namespace bg::adapters {
namespace {

// "By default, ... access token expires in 1 hour, refresh token expires in 2 hours."
constexpr std::chrono::seconds default_refresh_ttl{7200};

std::vector<std::pair<config::origin, std::string>> check_veeam(const config::backend& b)
{
    std::vector<std::pair<config::origin, std::string>> problems;
    if (b.api_version.empty())
        problems.emplace_back(b.where, "backend type 'veeam-aws' needs api_version (sent as x-api-version, e.g. 1.7-rev0)");
    for (const char* key : {"username", "password"})
        if (!b.credentials.count(key))
            problems.emplace_back(b.where, std::string("backend type 'veeam-aws' needs credentials.") + key);
    for (const auto& [key, s] : b.credentials) {
        if (key != "username" && key != "password" && key != "mfa_secret")
            problems.emplace_back(s.where, "unknown credential '" + key +
                                               "' for type 'veeam-aws'; expected username, password, mfa_secret");
        else if (key == "mfa_secret" && !totp::decode_base32(s.value))
            problems.emplace_back(s.where, "mfa_secret: expected the base32 secret of the authenticator app");
    }
    for (const auto& [key, s] : b.options) {
        if (key != "refresh_ttl")
            problems.emplace_back(s.where, "unknown option '" + key + "' for type 'veeam-aws'; expected refresh_ttl");
        else if (!positive_seconds(s.value))
            problems.emplace_back(s.where, "refresh_ttl: expected a positive number of seconds, got '" + s.value + "'");
    }
    return problems;
}

std::unique_ptr<adapter> make_veeam(const config::backend& b) { return std::make_unique<veeam_adapter>(b); }


}  // namespace

veeam_adapter::veeam_adapter(const config::backend& backend)
    : token_adapter(backend), refresh_ttl_(default_refresh_ttl)
{
    if (auto it = backend.options.find("refresh_ttl"); it != backend.options.end())
        refresh_ttl_ = positive_seconds(it->second.value).value_or(default_refresh_ttl);
}

adapter_type veeam_adapter::type() { return {"veeam-aws", {"veeam-aws", &check_veeam}, &make_veeam}; }

void veeam_adapter::build_request(http::request_header<>& head) const
{
    adapter::build_request(head);
    head.set("x-api-version", backend().api_version);
}

std::span<const std::string_view> veeam_adapter::owned_headers() const
{
    static constexpr std::string_view owned[] = {"x-api-version"};
    return owned;
}

const list_dialect* veeam_adapter::list_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    switch (path ? veeam_collection_at(*path) : veeam_collection::none) {
    case veeam_collection::paged: return &paged_;
    case veeam_collection::whole: return &whole_;
    case veeam_collection::none: break;
    }
    return nullptr;
}

const query_support* veeam_adapter::query_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path ? veeam_query_at(*path) : nullptr;
}

std::optional<std::string> veeam_adapter::error_message(const upstream_response& res) const
{
    return veeam_error_message(res);
}

http::request<http::string_body> veeam_adapter::token_request(std::string body) const
{
    http::request<http::string_body> req{http::verb::post, backend().url.base_path + "/token", 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set(http::field::accept, "application/json");
    req.set("x-api-version", backend().api_version);
    req.body() = std::move(body);
    return req;
}

std::variant<token_adapter::credential, gateway_error> veeam_adapter::read_tokens(const upstream_response& res,
                                                                                  std::string_view what) const
{
    auto answer = token_response(backend(), what, res);
    if (auto* e = std::get_if<gateway_error>(&answer))
        return std::move(*e);
    const auto& o = std::get<boost::json::object>(answer);
    credential c;
    c.issued = now();
    c.access = json_string(o, "access_token");
    c.refresh = json_string(o, "refresh_token");
    const auto* expires_in = o.if_contains("expires_in");
    if (c.access.empty() || !expires_in || !expires_in->is_int64() || expires_in->get_int64() <= 0)
        return login_failed(backend(), std::string(what) + " (no access_token/expires_in in the answer)", res);
    c.access_expires = c.issued + std::chrono::seconds(expires_in->get_int64());
    c.refresh_expires = c.issued + refresh_ttl_;
    return c;
}

awaitable<std::variant<token_adapter::credential, gateway_error>> veeam_adapter::password_login(
    upstream_client& upstream)
{
    const auto& creds = backend().credentials;
    auto req = token_request(form_encode({{"grant_type", "password"},
                                          {"username", creds.at("username").value},
                                          {"password", creds.at("password").value}}));
    auto sent = co_await upstream.send(req);
    if (auto* e = std::get_if<gateway_error>(&sent))
        co_return login_failed(backend(), "the password grant", *e);
    const auto& res = std::get<upstream_response>(sent);
    const auto answer = token_response(backend(), "the password grant (POST token)", res);
    const auto* fields = std::get_if<boost::json::object>(&answer);
    const auto mfa_token = fields ? json_string(*fields, "mfa_token") : std::string();
    if (mfa_token.empty())
        co_return read_tokens(res, "the password grant (POST token)");

    // "Using MFA Grant Type": the password grant gave an mfa token; the codes
    // come from the authenticator's secret.
    auto secret_it = creds.find("mfa_secret");
    if (secret_it == creds.end()) {
        gateway_error e{errc::upstream_auth_failed,
                        "backend '" + backend().name +
                            "': the user has MFA enabled; set credentials.mfa_secret (the authenticator's base32 secret)",
                        res.result_int(), {}};
        co_return e;
    }
    const auto secret = totp::decode_base32(secret_it->second.value).value_or(std::vector<std::uint8_t>{});
    const auto code = totp::code(secret, std::chrono::system_clock::now());
    auto mfa = token_request(form_encode({{"grant_type", "mfa"}, {"mfa_token", mfa_token}, {"mfa_code", code}}));
    auto mfa_sent = co_await upstream.send(mfa);
    if (auto* e = std::get_if<gateway_error>(&mfa_sent))
        co_return login_failed(backend(), "the mfa grant", *e);
    co_return read_tokens(std::get<upstream_response>(mfa_sent), "the mfa grant (POST token)");
}

awaitable<std::variant<token_adapter::credential, gateway_error>> veeam_adapter::obtain(
    upstream_client& upstream, const std::optional<credential>& previous)
{
    if (previous && !previous->refresh.empty() && now() + std::chrono::seconds(5) < previous->refresh_expires) {
        auto req = token_request(form_encode({{"grant_type", "refresh_token"}, {"refresh_token", previous->refresh}}));
        auto sent = co_await upstream.send(req);
        if (auto* e = std::get_if<gateway_error>(&sent))
            co_return login_failed(backend(), "the refresh_token grant", *e);
        const auto& res = std::get<upstream_response>(sent);
        // A refused refresh token (expired, logged out) falls back to the password.
        if (res.result() != http::status::unauthorized && res.result() != http::status::bad_request)
            co_return read_tokens(res, "the refresh_token grant (POST token)");
    }
    co_return co_await password_login(upstream);
}



awaitable<void> veeam_adapter::end_session(upstream_client& upstream, const credential& c)
{
    // "Performing Logout": DELETE token with the current access token.
    http::request<http::string_body> req{http::verb::delete_, backend().url.base_path + "/token", 11};
    req.set("x-api-version", backend().api_version);
    apply(req, c);
    co_await upstream.send(req);
}

}  // namespace bg::adapters
