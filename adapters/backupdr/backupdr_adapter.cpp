#include "adapters/backupdr/backupdr_adapter.hpp"

#include "adapters/list_support.hpp"

#include "adapters/login/token_adapter.hpp"
#include "config/files.hpp"
#include "config/values.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bg::adapters {
namespace {

constexpr std::string_view type_name = "google-backupdr";
constexpr std::chrono::seconds default_session_idle{3600};  // §3.7: "expire after 1 hour of inactivity"
constexpr std::chrono::seconds default_token_lifetime{3600};  // §3.7 Method #2: "lifetime": "3600s"
constexpr std::string_view default_token_uri = "https://oauth2.googleapis.com/token";
constexpr std::string_view default_scope = "https://www.googleapis.com/auth/cloud-platform";  // §3.7 Method #2
constexpr std::string_view jwt_bearer_grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer";  // RFC 7523
constexpr std::string_view session_header = "backupdr-management-session";                      // §3.7
constexpr std::string_view no_refresh_header = "Actifio-No-Session-Refresh";                     // §3.7
constexpr std::chrono::seconds file_check_interval{1};

const config::setting* find(const config::settings& s, const std::string& key)
{
    auto it = s.find(key);
    return it == s.end() ? nullptr : &it->second;
}

std::chrono::seconds session_idle(const config::backend& b)
{
    const auto* s = find(b.options, "session_idle");
    return s ? positive_seconds(s->value).value_or(default_session_idle) : default_session_idle;
}

// Where the assertion goes: options.token_uri, else the key file's token_uri,
// else Google's endpoint.
struct token_endpoint {
    std::string url;
    std::string from;      // for messages
    config::origin where;  // the setting that chose it
};

token_endpoint choose_token_endpoint(const config::backend& b, const jwt::service_account& sa,
                                     const config::origin& key_where)
{
    if (const auto* uri = find(b.options, "token_uri"))
        return {uri->value, "options.token_uri", uri->where};
    if (!sa.token_uri.empty())
        return {sa.token_uri, "the key file's token_uri", key_where};
    return {std::string(default_token_uri), "the default", key_where};
}

bool same_origin(const config::upstream_url& a, const config::upstream_url& b)
{
    return a.scheme == b.scheme && boost::algorithm::iequals(a.host, b.host) && a.port == b.port;
}

std::string origin_text(const config::upstream_url& u)
{
    return u.scheme + "://" + u.host + ":" + std::to_string(u.port);
}

std::vector<std::pair<config::origin, std::string>> check_backupdr(const config::backend& b)
{
    std::vector<std::pair<config::origin, std::string>> problems;
    for (const auto& [key, s] : b.credentials)
        if (key != "service_account")
            problems.emplace_back(s.where, "unknown credential '" + key +
                                               "' for type 'google-backupdr'; expected service_account "
                                               "(service_account_file: the JSON key)" +
                                               (key == "token" ? "; a token file goes under options.token_file" : ""));
    for (const auto& [key, s] : b.options) {
        if (key != "token_file" && key != "token_uri" && key != "scope" && key != "session_idle" &&
            key != "count_via_head")
            problems.emplace_back(s.where, "unknown option '" + key +
                                               "' for type 'google-backupdr'; expected token_file, token_uri, "
                                               "scope, session_idle, count_via_head");
        else if (key == "session_idle" && !positive_seconds(s.value))
            problems.emplace_back(s.where, "session_idle: expected a positive number of seconds, got " +
                                               config::quote(s.value));
        else if (key == "count_via_head" && !config::parse_bool(s.value))
            problems.emplace_back(s.where, "count_via_head: expected true or false");
        else if (key == "scope" && s.value.empty())
            problems.emplace_back(s.where, "scope: expected an OAuth 2.0 scope such as " + std::string(default_scope));
        else if (key == "token_file") {
            if (auto why = config::unreadable(s.value))
                problems.emplace_back(s.where, "token_file: " + *why);
        }
    }

    const auto* key = find(b.credentials, "service_account");
    const auto* file = find(b.options, "token_file");
    if (!key && !file)
        problems.emplace_back(b.where, "backend type 'google-backupdr' needs the source of its Google bearer token: "
                                       "credentials.service_account_file (a service-account JSON key) or "
                                       "options.token_file (a file holding an access token)");
    if (key && file)
        problems.emplace_back(file->where, "token_file: give either options.token_file or "
                                           "credentials.service_account, not both");
    if (file && !key)
        for (const char* only : {"token_uri", "scope"})
            if (const auto* s = find(b.options, only))
                problems.emplace_back(s->where, std::string(only) +
                                                    ": applies only to credentials.service_account, not to "
                                                    "options.token_file");
    if (!key)
        return problems;

    // The key's content is a secret: the messages name the key, never quote it.
    const auto sa = jwt::parse_service_account(key->value);
    if (!sa) {
        problems.emplace_back(key->where, "service_account: expected a Google service-account JSON key (an object "
                                          "with \"type\": \"service_account\", client_email and private_key)");
        return problems;
    }
    const auto signed_now = jwt::google_service_account_assertion(*sa, default_scope, default_token_uri,
                                                                  std::chrono::system_clock::now());
    if (!signed_now)
        problems.emplace_back(key->where, "service_account: its private_key cannot sign the token request: " +
                                              signed_now.error().message());
    const auto endpoint = choose_token_endpoint(b, *sa, key->where);
    const auto url = config::parse_upstream_url(endpoint.url);
    if (!url)
        problems.emplace_back(endpoint.where, "token_uri (" + endpoint.from + "): " + url.problem + ", got " +
                                                  config::quote(endpoint.url));
    return problems;
}

std::unique_ptr<adapter> make_backupdr(const config::backend& b) { return std::make_unique<backupdr_adapter>(b); }

// §3.7: a request carrying `Actifio-No-Session-Refresh: true` (any case) does not extend the session.
bool extends_session(const http::request_header<>& head)
{
    auto v = std::string(head[no_refresh_header]);
    boost::algorithm::trim(v);
    return !boost::algorithm::iequals(v, "true");
}

// Renew a bearer token at 80% of its lifetime; stop using it one tenth of the
// lifetime (at most 30 s) before it expires (token_adapter's policy).
backupdr_adapter::clock::time_point refresh_point(backupdr_adapter::clock::time_point issued,
                                                  backupdr_adapter::clock::time_point expires)
{
    return issued + (expires - issued) * 4 / 5;
}

backupdr_adapter::clock::duration margin_of(backupdr_adapter::clock::duration lifetime)
{
    return std::min<backupdr_adapter::clock::duration>(lifetime / 10, std::chrono::seconds(30));
}

gateway_error auth_error(const config::backend& b, const std::string& what, std::optional<unsigned> status = {})
{
    return gateway_error{errc::upstream_auth_failed, "backend '" + b.name + "': " + what, status, {}};
}

}  // namespace

backupdr_adapter::backupdr_adapter(const config::backend& backend)
    : adapter(backend),
      scope_(std::string(default_scope)),
      idle_(session_idle(backend)),
      gate_(backend.timeouts.connect + backend.timeouts.request * 3),
      list_(backend)
{
    if (const auto* file = find(backend.options, "token_file"))
        token_file_ = file->value;
    if (const auto* scope = find(backend.options, "scope"))
        scope_ = scope->value;
    if (const auto* key = find(backend.credentials, "service_account")) {
        service_account_ = jwt::parse_service_account(key->value);
        if (service_account_) {
            audience_ = choose_token_endpoint(backend, *service_account_, key->where).url;
            const auto url = config::parse_upstream_url(audience_);
            token_path_ = url && !url.value->base_path.empty() ? url.value->base_path : "/";
            if (url && !same_origin(*url.value, backend.url))
                auxiliary_origin_ = origin_text(*url.value);
        }
    }
}

adapter_type backupdr_adapter::type()
{
    return {type_name, {std::string(type_name), &check_backupdr}, &make_backupdr};
}

// ---- the credentials' state ------------------------------------------------------

backupdr_adapter::view backupdr_adapter::current() const
{
    std::lock_guard lock(mutex_);
    const auto t = clock::now();
    view v;
    v.token = token_;
    if (token_ && !token_->expires) {
        v.token_fresh = v.token_usable = true;  // a token file's: good until refused
    } else if (token_) {
        v.token_fresh = t < refresh_point(token_->issued, *token_->expires);
        v.token_usable = t < *token_->expires - margin_of(*token_->expires - token_->issued);
    }
    if (session_ && t < session_->last_used + idle_ - margin_of(idle_))
        v.live_session = session_;
    if (!v.token_usable || !v.live_session)
        v.phase = credential_phase::expired;
    else
        v.phase = v.token_fresh ? credential_phase::fresh : credential_phase::ageing;
    return v;
}

void backupdr_adapter::apply(http::request_header<>& head, const view& v)
{
    // §3.7: "backupdr-management-session: Actifio <session_id>" and "Authorization: Bearer <bearer token>".
    head.set(http::field::authorization, "Bearer " + v.token->value);
    head.set(session_header, "Actifio " + v.live_session->id);
    if (!extends_session(head))
        return;
    std::lock_guard lock(mutex_);
    if (session_ && session_->id == v.live_session->id)
        session_->last_used = std::max(session_->last_used, clock::now());
}

// ---- attach, 401, logout ---------------------------------------------------------

awaitable<std::optional<gateway_error>> backupdr_adapter::attach_credentials(http::request_header<>& head,
                                                                             const std::string*,
                                                                             upstream_client& upstream)
{
    check_token_file();
    const auto read = [this] { return current(); };
    const auto put = [&](const view& v) { apply(head, v); };
    const auto open_one = [&](const view&) { return log_in(upstream); };
    const auto exhausted = [this] { return auth_error(backend(), "rejected every session opened for this request"); };
    co_return co_await gate_.attach(read, put, open_one, exhausted);
}

credential_report backupdr_adapter::credentials() const
{
    credential_report r;
    r.kind = "login";
    gate_.report(r);
    std::lock_guard lock(mutex_);
    if (session_) {
        auto until = session_->last_used + idle_;
        if (token_ && token_->expires)
            until = std::min(until, *token_->expires);
        const auto left = std::chrono::duration_cast<std::chrono::system_clock::duration>(until - clock::now());
        r.valid_until = std::chrono::system_clock::now() + left;
    }
    return r;
}

void backupdr_adapter::credentials_rejected(const http::request_header<>& head)
{
    // §3.5: 401 is a missing, invalid or expired bearer token or session. The
    // session goes (unless a newer one replaced it); opening the next one tells
    // whether the bearer token must go too.
    std::string_view sent = head[session_header];
    if (sent.size() > 8 && boost::algorithm::iequals(sent.substr(0, 8), "Actifio "))
        sent.remove_prefix(8);
    std::lock_guard lock(mutex_);
    if (session_ && session_->id == sent) {
        session_.reset();
        if (!shared_form_.empty())
            rejected_form_ = shared_form_;  // and the fleet's copy must go too (shared_session)
    }
    next_file_check_ = {};  // and look at the token file again
}

awaitable<void> backupdr_adapter::logout(upstream_client& upstream)
{
    // §3.7: "de-register your session ... DELETE .../session/current".
    const auto v = current();
    // A session the fleet shares is not ended: other replicas still use it
    // (it ends at its idle expiry; docs/adapters.md).
    if (v.live_session && v.token_usable && !share_) {
        http::request<http::string_body> req{http::verb::delete_, backend().url.base_path + "/session/current", 11};
        req.set(http::field::authorization, "Bearer " + v.token->value);
        req.set(session_header, "Actifio " + v.live_session->id);
        auto ended = co_await upstream.send(req);
        (void)ended;  // shutting down either way
    }
    std::lock_guard lock(mutex_);
    session_.reset();
    token_.reset();
}

// ---- logging in ------------------------------------------------------------------

awaitable<std::optional<gateway_error>> backupdr_adapter::log_in(upstream_client& upstream)
{
    const auto before = current();
    std::string token;
    bool token_is_new = false;
    if (token_file_ || !before.token_fresh) {
        // A token file is read whenever a session is to be opened.
        auto got = co_await new_token(upstream);
        if (auto* e = std::get_if<gateway_error>(&got))
            co_return std::move(*e);
        auto& b = std::get<bearer>(got);
        token_is_new = !before.token || before.token->value != b.value;
        token = b.value;
        std::lock_guard lock(mutex_);
        token_ = std::move(b);
    } else {
        token = before.token->value;
    }
    if (before.live_session)
        co_return std::nullopt;  // the bearer token was all that needed renewing
    if (share_) {
        auto shared = co_await shared_session(upstream, token, token_is_new);
        if (shared)
            co_return std::move(*shared);
    }
    co_return co_await open_session(upstream, token, token_is_new);
}

// One replica of the fleet opens the session (fleet_login: the one that
// takes the share's lock) and stores its id for the others, until its idle
// expiry.
awaitable<std::optional<std::optional<gateway_error>>> backupdr_adapter::shared_session(upstream_client& upstream,
                                                                                        const std::string& token,
                                                                                        bool token_is_new)
{
    using std::chrono::milliseconds;
    const auto hold = std::chrono::duration_cast<milliseconds>(backend().timeouts.connect +
                                                               backend().timeouts.request * 3) / 2;
    const auto rejected = [this] {
        std::lock_guard lock(mutex_);
        return rejected_form_;
    };
    const auto adopt = [this](const credential_share::entry& e) {
        std::lock_guard lock(mutex_);
        if (!e.plain || e.plain->empty() || e.stored == rejected_form_)
            return false;
        session_ = session{*e.plain, clock::now()};
        shared_form_ = e.stored;
        return true;
    };
    const auto log_in = [&](const credential_share::entry&) -> awaitable<std::optional<gateway_error>> {
        auto failed = co_await open_session(upstream, token, token_is_new);
        if (failed)
            co_return failed;
        std::string id;
        {
            std::lock_guard lock(mutex_);
            id = session_ ? session_->id : std::string();
        }
        std::optional<std::string> form;
        if (!id.empty())
            form = co_await share_->write(id, std::chrono::duration_cast<milliseconds>(idle_ - margin_of(idle_)));
        std::lock_guard lock(mutex_);
        shared_form_ = form.value_or(std::string());
        co_return std::nullopt;
    };
    const auto held = [] { return false; };  // no session to go on with: wait for the other's
    co_return co_await fleet_login(*share_, hold, adopt, rejected, log_in, held);
}

awaitable<std::optional<gateway_error>> backupdr_adapter::open_session(upstream_client& upstream, std::string token,
                                                                       bool token_is_new)
{
    const std::string what = "opening a session (POST " + backend().url.base_path + "/session)";
    auto sent = co_await post_session(upstream, token);
    if (auto* e = std::get_if<gateway_error>(&sent))
        co_return login_failed(backend(), what, *e);
    if (std::get<upstream_response>(sent).result() == http::status::unauthorized && !token_is_new &&
        service_account_) {
        // §3.5: the bearer token may be what is invalid or expired: a new one, and once more.
        auto got = co_await new_token(upstream);
        if (auto* e = std::get_if<gateway_error>(&got))
            co_return std::move(*e);
        auto& b = std::get<bearer>(got);
        token = b.value;
        {
            std::lock_guard lock(mutex_);
            token_ = std::move(b);
        }
        auto retried = co_await post_session(upstream, token);
        if (auto* e = std::get_if<gateway_error>(&retried))
            co_return login_failed(backend(), what, *e);
        sent = std::move(retried);
    }
    const auto& res = std::get<upstream_response>(sent);
    if (res.result() == http::status::unauthorized && token_file_) {
        // The file was read just now: its token is refused until the file changes.
        std::lock_guard lock(mutex_);
        refused_file_token_ = token;
    }
    auto answer = token_response(backend(), what, res);
    if (auto* e = std::get_if<gateway_error>(&answer))
        co_return std::move(*e);
    auto id = json_string(std::get<boost::json::object>(answer), "session_id");
    if (id.empty())
        co_return login_failed(backend(), what + " (no session_id in the answer)", res);
    std::lock_guard lock(mutex_);
    session_ = session{std::move(id), clock::now()};
    co_return std::nullopt;
}

awaitable<upstream_result> backupdr_adapter::post_session(upstream_client& upstream, const std::string& token)
{
    // §3.7: "POST .../session" with "Authorization: Bearer <bearer token>".
    http::request<http::string_body> req{http::verb::post, backend().url.base_path + "/session", 11};
    req.set(http::field::authorization, "Bearer " + token);
    req.set(http::field::accept, "application/json");
    co_return co_await upstream.send(req);
}

// ---- the bearer token ------------------------------------------------------------

awaitable<std::variant<backupdr_adapter::bearer, gateway_error>> backupdr_adapter::new_token(
    upstream_client& upstream)
{
    if (service_account_)
        co_return co_await jwt_bearer_grant(upstream);
    if (token_file_)
        co_return read_token_file();
    co_return auth_error(backend(), "no usable credentials.service_account or options.token_file");
}

awaitable<std::variant<backupdr_adapter::bearer, gateway_error>> backupdr_adapter::jwt_bearer_grant(
    upstream_client& upstream)
{
    // §3.7 Method #1: a JWT signed with the service account's key, exchanged
    // at the token endpoint (RFC 7523 section 2.1).
    const auto assertion = jwt::google_service_account_assertion(*service_account_, scope_, audience_,
                                                                 std::chrono::system_clock::now());
    if (!assertion)
        co_return auth_error(backend(), "cannot sign the service-account assertion: " + assertion.error().message());
    http::request<http::string_body> req{http::verb::post, token_path_, 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set(http::field::accept, "application/json");
    req.body() = form_encode({{"grant_type", jwt_bearer_grant_type}, {"assertion", *assertion}});
    const std::string what = "the JWT bearer grant (POST " + token_path_ + ")";
    // Google's endpoint is another origin: the core's auxiliary client reaches it.
    auto* endpoint = auxiliary_origin_ ? upstream.auxiliary() : &upstream;
    if (!endpoint)
        co_return auth_error(backend(), "no client for the token endpoint " + *auxiliary_origin_);
    auto sent = co_await endpoint->send(req);
    if (auto* e = std::get_if<gateway_error>(&sent))
        co_return login_failed(backend(), what, *e);
    const auto& res = std::get<upstream_response>(sent);
    auto answer = token_response(backend(), what, res);
    if (auto* e = std::get_if<gateway_error>(&answer))
        co_return std::move(*e);
    const auto& o = std::get<boost::json::object>(answer);
    bearer b;
    b.issued = clock::now();
    b.value = json_string(o, "access_token");
    if (b.value.empty())
        co_return login_failed(backend(), what + " (no access_token in the answer)", res);
    // Google always gives expires_in; without a usable one, its usual hour.
    auto lifetime = default_token_lifetime;
    if (const auto* expires_in = o.if_contains("expires_in"); expires_in && expires_in->is_int64() &&
                                                              expires_in->get_int64() > 0)
        lifetime = std::chrono::seconds(expires_in->get_int64());
    b.expires = b.issued + lifetime;
    co_return b;
}

std::variant<backupdr_adapter::bearer, gateway_error> backupdr_adapter::read_token_file()
{
    std::error_code ec_time, ec_size;
    file_stamp stamp{std::filesystem::last_write_time(*token_file_, ec_time),
                     std::filesystem::file_size(*token_file_, ec_size)};
    auto content = config::read_small_file(*token_file_, config::max_secret_file_bytes);
    if (!content)
        return auth_error(backend(), "options.token_file: " + content.problem);
    bearer b;
    b.value = boost::algorithm::trim_copy(*content.value);
    b.issued = clock::now();
    std::lock_guard lock(mutex_);
    if (!ec_time && !ec_size)
        stamp_ = stamp;
    if (b.value.empty())
        return auth_error(backend(), "options.token_file " + config::quote(*token_file_) + " is empty");
    if (b.value == refused_file_token_)
        return auth_error(backend(), "opening a session refused the token in options.token_file " +
                                         config::quote(*token_file_) + " (401); waiting for the file to change",
                          401u);
    return b;
}

void backupdr_adapter::check_token_file()
{
    if (!token_file_)
        return;
    const auto t = clock::now();
    {
        std::lock_guard lock(mutex_);
        if (!token_ || t < next_file_check_)
            return;  // no token yet: the login reads the file
        next_file_check_ = t + file_check_interval;
    }
    std::error_code ec_time, ec_size;
    const file_stamp stamp{std::filesystem::last_write_time(*token_file_, ec_time),
                           std::filesystem::file_size(*token_file_, ec_size)};
    if (ec_time || ec_size)
        return;  // being replaced, perhaps: keep the token we have
    {
        std::lock_guard lock(mutex_);
        if (stamp_ == stamp)
            return;
    }
    auto read = read_token_file();
    auto* b = std::get_if<bearer>(&read);
    if (!b)
        return;  // keep the token we have; a login will say what is wrong
    std::lock_guard lock(mutex_);
    if (token_ && token_->value != b->value)
        token_ = std::move(*b);  // the session goes on with the new token (§3.7: the session is the user's)
}

std::span<const std::string_view> backupdr_adapter::owned_headers() const
{
    static constexpr std::string_view owned[] = {session_header};
    return owned;
}

const list_dialect* backupdr_adapter::list_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path && backupdr_is_list_path(*path) ? &list_ : nullptr;
}

const query_support* backupdr_adapter::query_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path && backupdr_is_list_path(*path) ? backupdr_query_at(*path) : nullptr;
}

std::optional<std::string> backupdr_adapter::error_message(const upstream_response& res) const
{
    return backupdr_error_message(res);
}

}  // namespace bg::adapters
