// Where the replicas of a fleet share one backend's credential (issue 16,
// docs/scale-out.md), so that N replicas make one login, not N. The core
// gives an adapter one (Redis: gateway/redis_credentials.*); an adapter
// without one logs in on its own, as a single gateway does.
//
// What is stored is opaque to the share: the adapter's own serialization of
// its credential. The share encrypts it (AES-256-GCM) before it leaves the
// process. Every call may fail (unreachable, timed out): the adapter then
// falls back to its own login, one at a time per backend, as without a share.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace bg::adapters {

class credential_share {
public:
    virtual ~credential_share() = default;

    // The stored credential: its plaintext and its stored form (to name it
    // in discard()). `reachable` false: the share could not be asked.
    struct entry {
        bool reachable = false;
        std::optional<std::string> plain;  // none stored (or it could not be decrypted)
        std::string stored;               // as stored (opaque), for discard()
    };
    virtual boost::asio::awaitable<entry> read() = 0;

    // The fleet's login lock, held at most `hold`: taken (this replica logs
    // in), held by another replica, or unreachable.
    enum class lock_result { taken, held, unreachable };
    virtual boost::asio::awaitable<lock_result> lock(std::chrono::milliseconds hold) = 0;
    // Gives the lock back (only if this replica still holds it).
    virtual boost::asio::awaitable<void> unlock() = 0;

    // Stores a credential for `ttl` (then it disappears): its stored form,
    // or nothing when it could not be stored.
    virtual boost::asio::awaitable<std::optional<std::string>> write(const std::string& plain,
                                                                     std::chrono::milliseconds ttl) = 0;
    // Removes the stored credential only if it is still `stored` (a
    // credential the vendor refused): compare-and-delete, so that a newer
    // one another replica has just stored stays.
    virtual boost::asio::awaitable<void> discard(const std::string& stored) = 0;
};

}  // namespace bg::adapters
