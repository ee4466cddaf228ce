// A backend's credential shared by the replicas through Redis (issue 16;
// adapters/login/credential_share.hpp says what an adapter does with it).
//
//   prefix + "cred:" + backend + ":" + identity        the credential, encrypted
//   ... + ":lock"                                      the fleet's login lock
//
// `identity` is a digest of what the credential is for (the backend's type,
// URL and secrets): replicas running another configuration of the backend
// (a rolling change of its API key) never take each other's credentials.
// The credential is sealed with AES-256-GCM (OpenSSL EVP) under
// redis.encryption_key: "v1" | 12-byte random nonce | ciphertext | 16-byte
// tag, the key's name as additional data (a value moved to another key does
// not open). Every call uses the event loop's own connection.
#pragma once

#include "adapters/login/credential_share.hpp"
#include "config/config.hpp"
#include "gateway/shared_state.hpp"

#include <optional>
#include <string>

namespace bg {

class redis_credential_share final : public adapters::credential_share {
public:
    redis_credential_share(std::string key, const config::secret& encryption_key, redis_status& health);

    boost::asio::awaitable<entry> read() override;
    boost::asio::awaitable<lock_result> lock(std::chrono::milliseconds hold) override;
    boost::asio::awaitable<void> unlock() override;
    boost::asio::awaitable<std::optional<std::string>> write(const std::string& plain,
                                                             std::chrono::milliseconds ttl) override;
    boost::asio::awaitable<void> discard(const std::string& stored) override;

    const std::string& key() const { return key_; }

private:
    std::string key_;
    std::string lock_key_;
    std::string lock_token_;  // this process's; one login at a time per process (login_gate)
    const config::secret encryption_key_;  // a copy: the share outlives the configuration it came from
    redis_status& health_;
};

// The credential key of `b` (prefix + "cred:" + name + ":" + identity).
std::string credential_key(const config::backend& b, std::string_view prefix);

// AES-256-GCM as the share uses it; `aad`: the additional data. open()
// gives nullopt when the value was not sealed with this key and aad (or was
// changed).
std::string seal(std::string_view plain, const std::string& key, std::string_view aad);
std::optional<std::string> open(std::string_view sealed, const std::string& key, std::string_view aad);

}  // namespace bg
