// Idempotency records in Redis (docs/resilience.md, docs/scale-out.md): a key
// used on one replica holds on every other. Each record is a hash under
// prefix + "idem:" + SHA-256(scope), living for the backend's ttl:
//   state    running | answered | unknown
//   fp       the request body's SHA-256
//   claim    the running request's token: only it may finish the record
//   lease    (running) until when, in Redis TIME ms, its replica is presumed
//            alive; past it, the outcome is unknown (the job may have started)
//   status, headers, body, kept   (answered) the vendor's answer
// Every step is one Lua script (atomic). Redis unreachable: begin() says so
// and the request is refused (503 idempotency-store-unavailable): a job must
// not start twice. A finishing step that fails leaves the record running,
// which its lease turns into unknown: never a second run.
#pragma once

#include "gateway/idempotency.hpp"
#include "gateway/redis_client.hpp"
#include "gateway/shared_state.hpp"

namespace bg {

class redis_idempotency_store final : public idempotency_store {
public:
    // `redis`: the event loop's connection (the store is the loop's own).
    redis_idempotency_store(redis::connection& redis, std::string key_prefix, redis_status& health);

    boost::asio::awaitable<std::variant<lookup, gateway_error>> begin(const std::string& scope,
                                                                      const std::string& fingerprint,
                                                                      std::chrono::seconds ttl,
                                                                      std::chrono::milliseconds lease) override;
    boost::asio::awaitable<void> answered(const std::string& scope, const std::string& claim,
                                          const stored_answer& answer) override;
    boost::asio::awaitable<void> unknown(const std::string& scope, const std::string& claim) override;
    boost::asio::awaitable<void> release(const std::string& scope, const std::string& claim) override;
    std::size_t size() const override { return 0; }

    // The record's key for `scope` (tests read it).
    std::string key_of(const std::string& scope) const;

private:
    boost::asio::awaitable<void> finish(const std::string& scope, const std::vector<std::string>& args);

    redis::connection& redis_;
    std::string prefix_;
    redis_status& health_;
};

// The answer's header fields as stored ("name: value" lines), and back.
std::string encode_fields(const std::vector<std::pair<std::string, std::string>>& fields);
std::vector<std::pair<std::string, std::string>> decode_fields(std::string_view text);

}  // namespace bg
