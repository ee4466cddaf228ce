// Idempotency keys (draft-ietf-httpapi-idempotency-key-header; docs/resilience.md):
// a client's POST or PATCH with `Idempotency-Key` runs once. The store keeps,
// per scope (principal, backend, method, path, key), what became of the first
// request: still running, answered (the vendor's answer, to give again),
// or sent with its answer lost (the outcome unknown: a job may have started).
//
// idempotency_store is the interface the exchange awaits; memory_idempotency_store
// keeps the records in this process, bounded in count and bytes, each for the
// backend's `ttl`; redis_idempotency_store (redis_idempotency.hpp) keeps them
// in Redis, shared by the replicas.
#pragma once

#include "core/errors.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace bg {

// The vendor's answer to the first request, as the exchange received it.
struct stored_answer {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // the fields worth giving again
    std::string body;
    bool body_kept = true;  // false: larger than the store keeps (the duplicate gets a 409 that says so)
};

// Where the exchange keeps the records: this process (memory_idempotency_store)
// or Redis, shared by the replicas (redis_idempotency_store). Awaited: a
// store across the network answers later, or not at all.
class idempotency_store {
public:
    using clock = std::chrono::system_clock;
    virtual ~idempotency_store() = default;

    enum class state {
        fresh,        // no record: this request runs (a record "running" now holds the key)
        running,      // the first is still running: 409
        mismatch,     // the key was used with another body: 422
        answered,     // the first was answered: `answer` holds it
        unknown,      // the first was sent and its answer lost: 502 outcome-unknown, again
    };
    struct lookup {
        state what = state::fresh;
        std::shared_ptr<const stored_answer> answer;  // answered
        std::string claim;  // fresh: this request's claim, which answered/unknown/release name
    };
    // Claims `scope` for a request whose body hashes to `fingerprint`, or says
    // what the record holds. `ttl`: how long a record lives from now;
    // `lease`: how long a running record may go without news before its
    // replica is taken to be gone (its outcome then unknown). A
    // gateway_error: the store cannot be reached (the request must not run).
    virtual boost::asio::awaitable<std::variant<lookup, gateway_error>> begin(const std::string& scope,
                                                                              const std::string& fingerprint,
                                                                              std::chrono::seconds ttl,
                                                                              std::chrono::milliseconds lease) = 0;
    // The running request (its claim) was answered (kept until its ttl).
    virtual boost::asio::awaitable<void> answered(const std::string& scope, const std::string& claim,
                                                  const stored_answer& answer) = 0;
    // It was sent and the answer was lost.
    virtual boost::asio::awaitable<void> unknown(const std::string& scope, const std::string& claim) = 0;
    // Nothing reached the vendor (or the vendor turned it away: 429, 503, a
    // credential refused): the key may be used again.
    virtual boost::asio::awaitable<void> release(const std::string& scope, const std::string& claim) = 0;
    // How many records it holds here (for /metrics; Redis's are not counted).
    virtual std::size_t size() const = 0;
};

class memory_idempotency_store final : public idempotency_store {
public:
    // At most `max_records` records and `max_bytes` of stored answers; past
    // either, the oldest finished records go first (a running one is never
    // dropped: that would let its duplicate run).
    explicit memory_idempotency_store(std::size_t max_records = 100'000, std::size_t max_bytes = 64u << 20,
                                      clock::time_point (*now)() = &clock::now);

    // The store's steps, at once (the awaited ones below call these). One
    // process: no claim is needed, and no lease (its records die with it).
    lookup begin(const std::string& scope, const std::string& fingerprint, std::chrono::seconds ttl);
    void answered(const std::string& scope, stored_answer answer);
    void unknown(const std::string& scope);
    void release(const std::string& scope);

    boost::asio::awaitable<std::variant<lookup, gateway_error>> begin(const std::string& scope,
                                                                      const std::string& fingerprint,
                                                                      std::chrono::seconds ttl,
                                                                      std::chrono::milliseconds lease) override;
    boost::asio::awaitable<void> answered(const std::string& scope, const std::string& claim,
                                          const stored_answer& answer) override;
    boost::asio::awaitable<void> unknown(const std::string& scope, const std::string& claim) override;
    boost::asio::awaitable<void> release(const std::string& scope, const std::string& claim) override;
    std::size_t size() const override;
    std::size_t bytes() const;

private:
    struct record {
        state what = state::running;
        std::string fingerprint;
        std::shared_ptr<const stored_answer> answer;
        clock::time_point expires;
        std::uint64_t serial = 0;  // which `order_` entry is this record's
    };
    void trim(clock::time_point now);
    void forget(std::unordered_map<std::string, record>::iterator it);

    clock::time_point (*now_)();
    const std::size_t max_records_;
    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, record> records_;
    std::deque<std::pair<std::string, std::uint64_t>> order_;  // oldest first: (scope, serial)
    std::uint64_t next_serial_ = 0;
    std::size_t bytes_ = 0;
};

// The scope of a key: who, where, how, and the key ("tester\ncpm\nPOST\n/cpm/policies/3/backups/\nk-1").
std::string idempotency_scope(std::string_view principal, std::string_view backend, std::string_view method,
                              std::string_view path, std::string_view key);

// The draft's Idempotency-Key is an sf-string ("\"k-1\""); a bare token is
// taken too. nullopt when empty, longer than 255 characters, or not visible ASCII.
std::optional<std::string> parse_idempotency_key(std::string_view value);

}  // namespace bg
