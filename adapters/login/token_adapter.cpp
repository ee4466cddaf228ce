#include "adapters/login/token_adapter.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
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

std::int64_t epoch_ms(token_adapter::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

token_adapter::time_point from_epoch_ms(std::int64_t ms)
{
    return token_adapter::time_point(std::chrono::duration_cast<token_adapter::time_point::duration>(
        std::chrono::milliseconds(ms)));
}

// The credential as the share keeps it (encrypted by the share).
std::string serialize(const token_adapter::credential& c)
{
    boost::json::object o{{"access", c.access},
                          {"access_expires", epoch_ms(c.access_expires)},
                          {"refresh", c.refresh},
                          {"refresh_expires", epoch_ms(c.refresh_expires)},
                          {"issued", epoch_ms(c.issued)}};
    return boost::json::serialize(o);
}

std::optional<token_adapter::credential> deserialize(std::string_view text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    const auto& o = v.get_object();
    auto number = [&](std::string_view k) -> std::optional<std::int64_t> {
        auto it = o.find(k);
        if (it == o.end() || !it->value().is_int64())
            return std::nullopt;
        return it->value().get_int64();
    };
    const auto ae = number("access_expires"), re = number("refresh_expires"), is = number("issued");
    const auto access = json_string(o, "access");
    if (!ae || !re || !is || access.empty())
        return std::nullopt;
    return token_adapter::credential{access, from_epoch_ms(*ae), json_string(o, "refresh"), from_epoch_ms(*re),
                                     from_epoch_ms(*is)};
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
    if (t < refresh_point(*credential_) || (t < deferred_until_ && t < usable_until(*credential_)))
        return {credential_, credential_phase::fresh};
    if (t < usable_until(*credential_))
        return {credential_, credential_phase::ageing};
    return {credential_, credential_phase::expired};
}

void token_adapter::store(credential c, std::string shared_form)
{
    std::lock_guard lock(mutex_);
    credential_ = std::move(c);
    shared_form_ = std::move(shared_form);
    deferred_until_ = {};
}

std::string token_adapter::rejected_form() const
{
    std::lock_guard lock(mutex_);
    return rejected_form_;
}

awaitable<std::optional<gateway_error>> token_adapter::renew(const snapshot& seen, upstream_client& upstream)
{
    if (share_) {
        auto shared = co_await renew_shared(seen, upstream);
        if (shared)
            co_return std::move(*shared);
        // The share cannot be reached: this replica logs in on its own.
    }
    auto obtained = co_await obtain(upstream, seen.cred);
    if (auto* e = std::get_if<gateway_error>(&obtained))
        co_return std::move(*e);
    store(std::get<credential>(std::move(obtained)));
    co_return std::nullopt;
}

std::optional<token_adapter::credential> token_adapter::usable_shared(const credential_share::entry& e,
                                                                      const snapshot& seen) const
{
    if (!e.plain || e.stored == rejected_form())
        return std::nullopt;
    auto c = deserialize(*e.plain);
    if (!c || now() >= usable_until(*c))
        return std::nullopt;
    if (seen.cred && (c->access == seen.cred->access || c->issued < seen.cred->issued))
        return std::nullopt;  // the one this replica has already, or an older one
    return c;
}

// One replica of the fleet logs in (fleet_login: the one that takes the
// share's lock) and stores what it got; the others read it.
awaitable<std::optional<std::optional<gateway_error>>> token_adapter::renew_shared(const snapshot& seen,
                                                                                   upstream_client& upstream)
{
    using std::chrono::milliseconds;
    // Half of what local waiters wait for this login (login_gate), so that
    // they are answered even when another replica's login never finishes.
    const auto hold = std::chrono::duration_cast<milliseconds>(backend().timeouts.connect +
                                                               backend().timeouts.request * 3) / 2;
    const auto adopt = [&](const credential_share::entry& e) {
        auto c = usable_shared(e, seen);
        if (c)
            store(std::move(*c), e.stored);
        return c.has_value();
    };
    const auto rejected = [this] { return rejected_form(); };
    const auto log_in = [&](const credential_share::entry& found) -> awaitable<std::optional<gateway_error>> {
        // A refresh token in the share (or this replica's) may still serve.
        auto previous = seen.cred;
        if (found.plain && found.stored != rejected_form())
            if (auto c = deserialize(*found.plain); c && (!previous || c->issued >= previous->issued))
                previous = std::move(c);
        auto obtained = co_await obtain(upstream, previous);
        if (auto* e = std::get_if<gateway_error>(&obtained))
            co_return std::move(*e);
        auto c = std::get<credential>(std::move(obtained));
        const auto keep_until = std::max(usable_until(c), c.refresh_expires);
        std::optional<std::string> form;
        if (keep_until > now())
            form = co_await share_->write(serialize(c), std::chrono::duration_cast<milliseconds>(keep_until - now()));
        store(std::move(c), form.value_or(std::string()));
        co_return std::nullopt;
    };
    const auto held = [&] {
        if (seen.phase != credential_phase::ageing)
            return false;
        // Ours still serves: use it a second more, then read what the other stored.
        std::lock_guard lock(mutex_);
        deferred_until_ = now() + std::chrono::seconds(1);
        return true;
    };
    co_return co_await fleet_login(*share_, hold, adopt, rejected, log_in, held);
}

awaitable<std::optional<gateway_error>> token_adapter::attach_credentials(http::request_header<>& head,
                                                                          const std::string*,
                                                                          upstream_client& upstream)
{
    const auto read = [this] { return current(); };
    const auto put = [&](const snapshot& s) { apply(head, *s.cred); };
    const auto obtain_one = [&](const snapshot& s) { return renew(s, upstream); };
    const auto exhausted = [this] {
        return gateway_error{errc::upstream_auth_failed,
                             "backend '" + backend().name + "' rejected every credential obtained for this request",
                             {}, {}};
    };
    co_return co_await gate_.attach(read, put, obtain_one, exhausted);
}

credential_report token_adapter::credentials() const
{
    credential_report r;
    r.kind = "login";
    gate_.report(r);
    std::lock_guard lock(mutex_);
    if (credential_)
        r.valid_until = credential_->access_expires;
    return r;
}

void token_adapter::credentials_rejected(const http::request_header<>& head)
{
    const auto sent = carried(head);
    std::lock_guard lock(mutex_);
    if (credential_ && credential_->access == sent) {
        credential_->access_expires = credential_->issued;  // expired: the refresh token may still serve
        if (!shared_form_.empty())
            rejected_form_ = shared_form_;  // and the fleet's copy must go too (renew_shared)
    }
}

awaitable<void> token_adapter::logout(upstream_client& upstream)
{
    const auto state = current();
    // A credential the fleet shares is not ended: other replicas still use
    // it (it expires at the vendor in its time; docs/adapters.md).
    if (state.cred && state.phase != credential_phase::expired && !share_)
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
