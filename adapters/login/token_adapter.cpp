#include "adapters/login/token_adapter.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <charconv>

namespace bg::adapters {
namespace {

// Renew when 80% of the lifetime has passed; stop using it one tenth of the
// lifetime (at most 30 s) before it expires.
token_adapter::time_point refresh_point(const token_adapter::credential& c)
{
    return c.issued + (c.access_expires - c.issued) * 4 / 5;
}

token_adapter::time_point usable_until(const token_adapter::credential& c)
{
    const auto margin = std::min<std::chrono::system_clock::duration>((c.access_expires - c.issued) / 10,
                                                                      std::chrono::seconds(30));
    return c.access_expires - margin;
}

}  // namespace

token_adapter::token_adapter(const config::backend& backend)
    : adapter(backend), gate_(backend.timeouts.connect + backend.timeouts.request * 3)
{
}

token_adapter::snapshot token_adapter::current() const
{
    std::lock_guard lock(mutex_);
    if (!credential_)
        return {std::nullopt, credential_phase::expired};
    const auto t = now();
    if (t < refresh_point(*credential_))
        return {credential_, credential_phase::fresh};
    if (t < usable_until(*credential_))
        return {credential_, credential_phase::ageing};
    return {credential_, credential_phase::expired};
}

void token_adapter::store(credential c)
{
    std::lock_guard lock(mutex_);
    credential_ = std::move(c);
}

awaitable<std::optional<gateway_error>> token_adapter::renew(const std::optional<credential>& previous,
                                                             upstream_client& upstream)
{
    auto obtained = co_await obtain(upstream, previous);
    if (auto* e = std::get_if<gateway_error>(&obtained))
        co_return std::move(*e);
    store(std::get<credential>(std::move(obtained)));
    co_return std::nullopt;
}

awaitable<std::optional<gateway_error>> token_adapter::attach_credentials(http::request_header<>& head,
                                                                          const std::string*,
                                                                          upstream_client& upstream)
{
    const auto read = [this] { return current(); };
    const auto put = [&](const snapshot& s) { apply(head, *s.cred); };
    const auto obtain_one = [&](const snapshot& s) { return renew(s.cred, upstream); };
    const auto exhausted = [this] {
        return gateway_error{errc::upstream_auth_failed,
                             "backend '" + backend().name + "' rejected every credential obtained for this request",
                             {}, {}};
    };
    co_return co_await gate_.attach(read, put, obtain_one, exhausted);
}

void token_adapter::credentials_rejected(const http::request_header<>& head)
{
    const auto sent = carried(head);
    std::lock_guard lock(mutex_);
    if (credential_ && credential_->access == sent)
        credential_->access_expires = credential_->issued;  // expired: the refresh token may still serve
}

awaitable<void> token_adapter::logout(upstream_client& upstream)
{
    const auto state = current();
    if (state.cred && state.phase != credential_phase::expired)
        co_await end_session(upstream, *state.cred);
    std::lock_guard lock(mutex_);
    credential_.reset();
}

awaitable<void> token_adapter::end_session(upstream_client&, const credential&) { co_return; }

void token_adapter::apply(http::request_header<>& head, const credential& c) const
{
    head.set(http::field::authorization, "Bearer " + c.access);
}

std::string token_adapter::carried(const http::request_header<>& head) const
{
    std::string_view v = head[http::field::authorization];
    return v.size() > 7 ? std::string(v.substr(7)) : std::string();
}

std::variant<boost::json::object, gateway_error> token_response(const config::backend& b, std::string_view what,
                                                                const upstream_response& res)
{
    if (res.result() != http::status::ok)
        return login_failed(b, what, res);
    boost::system::error_code ec;
    auto body = boost::json::parse(res.body(), ec);
    if (ec || !body.is_object())
        return login_failed(b, std::string(what) + " (the answer is not a JSON object)", res);
    return std::move(body.get_object());
}

std::string json_string(const boost::json::object& o, std::string_view key)
{
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

std::optional<std::chrono::seconds> positive_seconds(std::string_view text)
{
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v <= 0)
        return std::nullopt;
    return std::chrono::seconds(v);
}

gateway_error login_failed(const config::backend& b, std::string_view what, const upstream_response& res)
{
    gateway_error e{errc::upstream_auth_failed,
                    "backend '" + b.name + "': " + std::string(what) + " failed with status " +
                        std::to_string(res.result_int()),
                    res.result_int(), upstream_body_value(res.body())};
    return e;
}

gateway_error login_failed(const config::backend& b, std::string_view what, const gateway_error& transport)
{
    return gateway_error{errc::upstream_auth_failed,
                         "backend '" + b.name + "': " + std::string(what) + " failed: " + transport.detail, {}, {}};
}

std::string form_encode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
{
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty())
            out += '&';
        out += boost::urls::encode(name, boost::urls::unreserved_chars);
        out += '=';
        out += boost::urls::encode(value, boost::urls::unreserved_chars);
    }
    return out;
}

}  // namespace bg::adapters
