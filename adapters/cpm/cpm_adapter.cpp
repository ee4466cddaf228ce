#include "adapters/cpm/cpm_adapter.hpp"

#include "core/ascii.hpp"

#include "adapters/common/jwt.hpp"
#include "adapters/list_support.hpp"


namespace bg::adapters {
namespace {

constexpr std::chrono::seconds default_access_ttl{3600};   // §1.2: "valid for 1 hour by default"
constexpr std::chrono::seconds default_refresh_ttl{86400}; // §1.2: "valid for 24 hours by default"

std::optional<std::chrono::seconds> seconds_option(const config::settings& options, const std::string& key)
{
    auto it = options.find(key);
    return it == options.end() ? std::nullopt : positive_seconds(it->second.value);
}

std::vector<std::pair<config::origin, std::string>> check_cpm(const config::backend& b)
{
    std::vector<std::pair<config::origin, std::string>> problems;
    if (!b.credentials.count("api_key"))
        problems.emplace_back(b.where, "backend type 'n2ws-cpm' needs credentials.api_key (or api_key_file)");
    for (const auto& [key, s] : b.credentials)
        if (key != "api_key")
            problems.emplace_back(s.where, "unknown credential '" + key + "' for type 'n2ws-cpm'; expected api_key");
    for (const auto& [key, s] : b.options) {
        if (key == "max_page_size") {
            // §1.5 via DRF: the server's page size cap, which page_size must not exceed.
            if (!cpm_max_page_size(s.value))
                problems.emplace_back(s.where, "max_page_size: expected a whole number from 1 to " +
                                                   std::to_string(cpm_max_page_size_limit) + ", got '" + s.value +
                                                   "'");
        } else if (key != "access_ttl" && key != "refresh_ttl") {
            problems.emplace_back(s.where, "unknown option '" + key +
                                               "' for type 'n2ws-cpm'; expected access_ttl, refresh_ttl, "
                                               "max_page_size");
        } else if (!seconds_option(b.options, key)) {
            problems.emplace_back(s.where, key + ": expected a positive number of seconds, got '" + s.value + "'");
        }
    }
    return problems;
}

std::unique_ptr<adapter> make_cpm(const config::backend& b) { return std::make_unique<cpm_adapter>(b); }


}  // namespace

cpm_adapter::cpm_adapter(const config::backend& backend)
    : token_adapter(backend),
      access_ttl_(seconds_option(backend.options, "access_ttl").value_or(default_access_ttl)),
      refresh_ttl_(seconds_option(backend.options, "refresh_ttl").value_or(default_refresh_ttl)),
      list_(backend)
{
}

adapter_type cpm_adapter::type() { return {"n2ws-cpm", {"n2ws-cpm", &check_cpm}, &make_cpm}; }

void cpm_adapter::build_request(http::request_header<>& head) const
{
    adapter::build_request(head);
    if (backend().api_version.empty())
        return;  // §1.4: without a version the latest applies
    // §1.4: the version is a parameter of the media type. A client asking for
    // CSV (§1.9.1, cleanup logs) keeps its type; a version it sent is kept.
    // Every media range of a list gets it (whichever the server accepts is
    // the one whose version counts): with it on none, the server answered
    // in its latest version, not the backend's api_version.
    std::string accept(head[http::field::accept]);
    if (accept.empty() || accept == "*/*")
        accept = "application/json";
    head.set(http::field::accept, with_version(accept, backend().api_version));
}

std::string cpm_adapter::with_version(std::string_view accept, std::string_view version)
{
    const auto trim = [](std::string_view v) {  // OWS, both ends
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
            v.remove_suffix(1);
        return v;
    };
    std::string out;
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= accept.size(); ++i) {
        if (i < accept.size() && accept[i] == '"')
            quoted = !quoted;
        if (i < accept.size() && (quoted || accept[i] != ','))
            continue;
        const auto range = trim(accept.substr(start, i - start));
        start = i + 1;
        if (range.empty())
            continue;
        if (!out.empty())
            out += ", ";
        // The media type's own parameters come before the weight (RFC 9110
        // §12.5.1: what follows ";q=" is not the media type's).
        std::size_t weight = std::string_view::npos;
        bool has_version = false;
        for (std::size_t semi = range.find(';'); semi != std::string_view::npos; semi = range.find(';', semi + 1)) {
            const auto param = trim(range.substr(semi + 1));
            if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                weight = semi;
                break;
            }
            if (param.size() >= 8 && bg::iequals(param.substr(0, 8), "version="))
                has_version = true;
        }
        if (has_version) {
            out += range;
            continue;
        }
        out += trim(range.substr(0, weight));
        out += "; version=";
        out += version;
        if (weight != std::string_view::npos)
            out += range.substr(weight);
    }
    return out;
}

const list_dialect* cpm_adapter::list_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path && cpm_is_list_path(*path) ? &list_ : nullptr;
}

const query_support* cpm_adapter::query_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path ? cpm_query_at(*path) : nullptr;
}

std::optional<std::string> cpm_adapter::error_message(const upstream_response& res) const
{
    return cpm_error_message(res);
}

http::request<http::string_body> cpm_adapter::token_request(std::string_view path, std::string body) const
{
    http::request<http::string_body> req{http::verb::post, backend().url.base_path + std::string(path), 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set(http::field::accept, backend().api_version.empty()
                                     ? std::string("application/json")
                                     : "application/json; version=" + backend().api_version);
    req.body() = std::move(body);
    return req;
}

std::variant<token_adapter::credential, gateway_error> cpm_adapter::read_tokens(
    const upstream_response& res, std::string_view what, const std::optional<credential>& previous) const
{
    auto answer = token_response(backend(), what, res);
    if (auto* e = std::get_if<gateway_error>(&answer))
        return std::move(*e);
    const auto& o = std::get<boost::json::object>(answer);
    credential c;
    c.issued = now();
    c.access = json_string(o, "access");
    if (c.access.empty())
        return login_failed(backend(), std::string(what) + " (no 'access' token in the answer)", res);
    c.access_expires = jwt::expiry(c.access).value_or(c.issued + access_ttl_);
    c.refresh = json_string(o, "refresh");
    if (c.refresh.empty() && previous) {  // a refresh answers with a new access token only
        c.refresh = previous->refresh;
        c.refresh_expires = previous->refresh_expires;
    } else {
        c.refresh_expires = jwt::expiry(c.refresh).value_or(c.issued + refresh_ttl_);
    }
    return c;
}

awaitable<std::variant<token_adapter::credential, gateway_error>> cpm_adapter::obtain(
    upstream_client& upstream, const std::optional<credential>& previous)
{
    if (previous && !previous->refresh.empty() && now() + std::chrono::seconds(5) < previous->refresh_expires) {
        auto req = token_request("/token/refresh/", form_encode({{"refresh", previous->refresh}}));
        auto sent = co_await upstream.send(req);
        if (auto* res = std::get_if<upstream_response>(&sent)) {
            // A refused refresh token (expired, revoked) falls back to the API key.
            if (res->result() != http::status::unauthorized && res->result() != http::status::bad_request)
                co_return read_tokens(*res, "refreshing the access token (POST token/refresh/)", previous);
        } else {
            co_return login_failed(backend(), "refreshing the access token", std::get<gateway_error>(sent));
        }
    }
    const auto& key = backend().credentials.at("api_key").value;
    auto req = token_request("/token/obtain/api_key/", form_encode({{"api_key", key}}));
    auto sent = co_await upstream.send(req);
    if (auto* e = std::get_if<gateway_error>(&sent))
        co_return login_failed(backend(), "obtaining tokens", *e);
    co_return read_tokens(std::get<upstream_response>(sent), "obtaining tokens (POST token/obtain/api_key/)",
                          std::nullopt);
}



}  // namespace bg::adapters
