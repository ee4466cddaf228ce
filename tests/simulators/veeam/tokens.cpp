#include "tests/simulators/veeam/tokens.hpp"

#include "tests/simulators/veeam/secrets.hpp"

#include <algorithm>

namespace sim::veeam {

namespace {

// Opaque to clients, like any OAuth token; URL-safe so it survives a form body.
std::string new_token() { return base64url(random_bytes(48)); }

// The document's authorization code is standard base64: '+' and '/' included,
// so a client that does not form-encode it is caught.
std::string new_code() { return base64(random_bytes(96)); }

std::size_t live(const auto& table, time_point now) {
    return static_cast<std::size_t>(
        std::count_if(table.begin(), table.end(), [&](const auto& kv) { return kv.second.expires > now; }));
}

template <class Table>
void erase_expired(Table& table, time_point now) {
    std::erase_if(table, [&](const auto& kv) { return kv.second.expires <= now; });
}

}  // namespace

token_pair token_store::issue_pair(const std::string& username, std::uint64_t session, time_point now) {
    token_pair pair{new_token(), new_token(), username, now, now + ttl_.access};
    access_.emplace(pair.access_token, entry{username, now + ttl_.access, session});
    refresh_.emplace(pair.refresh_token, entry{username, now + ttl_.refresh, session});
    prune(now);
    return pair;
}

// Expired entries are dropped now and then so a long benchmark does not grow without bound.
void token_store::prune(time_point now) {
    if (++issued_since_prune_ < 1024) return;
    issued_since_prune_ = 0;
    erase_expired(access_, now);
    erase_expired(refresh_, now);
    erase_expired(mfa_, now);
    erase_expired(codes_, now);
}

token_pair token_store::open_session(const std::string& username, time_point now) {
    std::lock_guard lock(mutex_);
    return issue_pair(username, next_session_++, now);
}

std::optional<token_pair> token_store::refresh(std::string_view refresh_token, time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = refresh_.find(std::string(refresh_token));
    if (it == refresh_.end() || it->second.expires <= now) return std::nullopt;
    const entry old = it->second;
    refresh_.erase(it);
    return issue_pair(old.username, old.session, now);
}

bearer_check token_store::authenticate(std::string_view access_token, time_point now) const {
    std::lock_guard lock(mutex_);
    const auto it = access_.find(std::string(access_token));
    if (it == access_.end()) return {bearer_status::unknown, {}};
    if (it->second.expires <= now) return {bearer_status::expired, it->second.username};
    return {bearer_status::valid, it->second.username};
}

bool token_store::logout(std::string_view access_token, time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = access_.find(std::string(access_token));
    if (it == access_.end() || it->second.expires <= now) return false;
    const std::uint64_t session = it->second.session;
    const auto in_session = [&](const auto& kv) { return kv.second.session == session; };
    std::erase_if(access_, in_session);
    std::erase_if(refresh_, in_session);
    return true;
}

std::string token_store::issue_mfa_token(const std::string& username, time_point now) {
    std::lock_guard lock(mutex_);
    std::string token = hex_base64_token();
    mfa_.emplace(token, entry{username, now + ttl_.mfa, 0});
    prune(now);
    return token;
}

std::optional<std::string> token_store::mfa_user(std::string_view mfa_token, time_point now) const {
    std::lock_guard lock(mutex_);
    const auto it = mfa_.find(std::string(mfa_token));
    if (it == mfa_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.username;
}

void token_store::consume_mfa_token(std::string_view mfa_token) {
    std::lock_guard lock(mutex_);
    mfa_.erase(std::string(mfa_token));
}

std::string token_store::issue_code(const std::string& username, time_point now) {
    std::lock_guard lock(mutex_);
    std::string code = new_code();
    codes_.emplace(code, entry{username, now + ttl_.code, 0});
    prune(now);
    return code;
}

std::optional<std::string> token_store::redeem_code(std::string_view code, time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = codes_.find(std::string(code));
    if (it == codes_.end()) return std::nullopt;
    const entry found = it->second;
    codes_.erase(it);
    if (found.expires <= now) return std::nullopt;
    return found.username;
}

void token_store::expire_all(time_point now) {
    std::lock_guard lock(mutex_);
    for (auto* t : {&access_, &refresh_, &mfa_, &codes_})
        for (auto& kv : *t) kv.second.expires = std::min(kv.second.expires, now);
}

void token_store::clear() {
    std::lock_guard lock(mutex_);
    access_.clear();
    refresh_.clear();
    mfa_.clear();
    codes_.clear();
}

boost::json::object token_store::state(time_point now) const {
    std::lock_guard lock(mutex_);
    return {{"active_access_tokens", live(access_, now)},
            {"active_refresh_tokens", live(refresh_, now)},
            {"pending_mfa_tokens", live(mfa_, now)},
            {"pending_authorization_codes", live(codes_, now)}};
}

}  // namespace sim::veeam
