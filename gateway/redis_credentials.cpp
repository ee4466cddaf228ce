#include "gateway/redis_credentials.hpp"

#include "adapters/common/crypto.hpp"
#include "adapters/common/encoding.hpp"
#include "gateway/log.hpp"
#include "gateway/redis_client.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace bg {
namespace {

using redis::reply;
constexpr std::string_view version = "v1";
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// KEYS[1]: a key; ARGV[1]: the value it must still hold to be deleted.
const redis::script& compare_and_delete()
{
    static const redis::script s(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua");
    return s;
}

std::string random_token()
{
    unsigned char raw[16];
    RAND_bytes(raw, sizeof raw);
    return encoding::hex(std::span<const std::uint8_t>(raw, sizeof raw));
}

}  // namespace

std::string seal(std::string_view plain, const std::string& key, std::string_view aad)
{
    std::string out(version);
    out.resize(version.size() + nonce_size + plain.size() + tag_size);
    auto* nonce = bytes(out) + version.size();
    RAND_bytes(nonce, static_cast<int>(nonce_size));
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), nonce);
    EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size()));
    auto* body = nonce + nonce_size;
    EVP_EncryptUpdate(ctx.get(), body, &n, bytes(plain), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx.get(), body + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), body + plain.size());
    return out;
}

std::optional<std::string> open(std::string_view sealed, const std::string& key, std::string_view aad)
{
    if (sealed.size() < version.size() + nonce_size + tag_size || !sealed.starts_with(version) || key.size() != 32)
        return std::nullopt;
    const auto* nonce = bytes(sealed) + version.size();
    const auto* body = nonce + nonce_size;
    const auto body_size = sealed.size() - version.size() - nonce_size - tag_size;
    std::string plain(body_size, '\0');
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    std::string tag(sealed.substr(sealed.size() - tag_size));
    const bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), nonce) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), bytes(plain), &n, body, static_cast<int>(body_size)) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + n, &n) == 1;
    if (!ok)
        return std::nullopt;
    return plain;
}

std::string credential_key(const config::backend& b, std::string_view prefix)
{
    std::string identity = b.type + "\n" + b.base_url + "\n" + b.api_version + "\n";
    for (const auto& [name, s] : b.credentials)
        identity += name + "=" + s.value + "\n";
    for (const auto& [name, s] : b.options)
        identity += name + "=" + s.value + "\n";
    const auto digest = crypto::sha256(identity);
    return std::string(prefix) + "cred:" + b.name + ":" +
           encoding::hex(std::span<const std::uint8_t>(digest.data(), 8));
}

redis_credential_share::redis_credential_share(std::string key, const config::secret& encryption_key,
                                               redis_status& health)
    : key_(std::move(key)), lock_key_(key_ + ":lock"), lock_token_(random_token()), encryption_key_(encryption_key),
      health_(health)
{
}

boost::asio::awaitable<adapters::credential_share::entry> redis_credential_share::read()
{
    entry out;
    auto* conn = redis::this_loop();
    if (!conn)
        co_return out;
    const std::vector<std::string> argv{"GET", key_};
    auto r = co_await conn->call(argv);
    const auto* answer = std::get_if<reply>(&r);
    if (!answer || answer->type == reply::kind::error) {
        health_.failed("credentials", answer ? gateway_error{errc::internal, answer->str, {}, {}}
                                             : std::get<gateway_error>(r));
        co_return out;
    }
    health_.succeeded();
    out.reachable = true;
    if (answer->type == reply::kind::string) {
        out.stored = answer->str;
        out.plain = open(out.stored, encryption_key_.reveal(), key_);
        if (!out.plain)
            log::warn("a shared credential cannot be opened with this replica's redis.encryption_key; it is "
                      "replaced at the next login",
                      {{"key", key_}});
    }
    co_return out;
}

boost::asio::awaitable<adapters::credential_share::lock_result> redis_credential_share::lock(
    std::chrono::milliseconds hold)
{
    auto* conn = redis::this_loop();
    if (!conn)
        co_return lock_result::unreachable;
    const std::vector<std::string> argv{"SET", lock_key_, lock_token_, "NX", "PX",
                                        std::to_string(std::max<std::int64_t>(1, hold.count()))};
    auto r = co_await conn->call(argv);
    const auto* answer = std::get_if<reply>(&r);
    if (!answer || answer->type == reply::kind::error) {
        health_.failed("credentials", answer ? gateway_error{errc::internal, answer->str, {}, {}}
                                             : std::get<gateway_error>(r));
        co_return lock_result::unreachable;
    }
    health_.succeeded();
    co_return answer->type == reply::kind::nil ? lock_result::held : lock_result::taken;
}

boost::asio::awaitable<void> redis_credential_share::unlock()
{
    if (auto* conn = redis::this_loop()) {
        const std::vector<std::string> argv{"EVALSHA", compare_and_delete().sha1, "1", lock_key_, lock_token_};
        co_await redis::evaluate(*conn, compare_and_delete(), argv);  // a lock not given back expires
    }
}

boost::asio::awaitable<std::optional<std::string>> redis_credential_share::write(const std::string& plain,
                                                                                 std::chrono::milliseconds ttl)
{
    auto* conn = redis::this_loop();
    if (!conn)
        co_return std::nullopt;
    auto sealed = seal(plain, encryption_key_.reveal(), key_);
    const std::vector<std::string> argv{"SET", key_, sealed, "PX",
                                        std::to_string(std::max<std::int64_t>(1, ttl.count()))};
    auto r = co_await conn->call(argv);
    const auto* answer = std::get_if<reply>(&r);
    if (!answer || answer->type == reply::kind::error) {
        health_.failed("credentials", answer ? gateway_error{errc::internal, answer->str, {}, {}}
                                             : std::get<gateway_error>(r));
        co_return std::nullopt;
    }
    co_return sealed;
}

boost::asio::awaitable<void> redis_credential_share::discard(const std::string& stored)
{
    if (auto* conn = redis::this_loop()) {
        const std::vector<std::string> argv{"EVALSHA", compare_and_delete().sha1, "1", key_, stored};
        co_await redis::evaluate(*conn, compare_and_delete(), argv);
    }
}

}  // namespace bg
