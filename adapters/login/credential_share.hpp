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

#include "core/errors.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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

// The fleet's one login (docs/scale-out.md), for an adapter with a share:
// a credential another replica stored is taken (`adopt(entry)`: true when
// it was usable and is now this replica's); one the vendor refused here
// (`rejected()`: its stored form) is removed if it is still the one stored
// (compare-and-delete: a newer one stays); else this replica takes the
// fleet's lock, reads once more (another may have stored one meanwhile),
// and `log_in(entry)` logs in and stores what it got (its failure, or
// nothing). While another replica holds the lock, `held()` may end the wait
// (true: what this replica has will do); else it reads again every 20 ms,
// for at most `hold`. nullopt: the share could not be reached, or the other
// replica's login never came (log in here); else the outcome. The callables
// are named locals of the caller (GCC 12 and temporaries in co_await).
template <class Adopt, class Rejected, class LogIn, class Held>
boost::asio::awaitable<std::optional<std::optional<gateway_error>>> fleet_login(credential_share& share,
                                                                                const std::chrono::milliseconds& hold,
                                                                                const Adopt& adopt,
                                                                                const Rejected& rejected,
                                                                                const LogIn& log_in, const Held& held)
{
    using outcome = std::optional<gateway_error>;
    const auto give_up = std::chrono::steady_clock::now() + hold;
    for (;;) {
        const auto found = co_await share.read();
        if (!found.reachable)
            co_return std::nullopt;
        if (adopt(found))
            co_return outcome{};
        if (found.plain && found.stored == rejected())
            co_await share.discard(found.stored);
        const auto locked = co_await share.lock(hold);
        if (locked == credential_share::lock_result::unreachable)
            co_return std::nullopt;
        if (locked == credential_share::lock_result::taken) {
            const auto again = co_await share.read();
            const bool adopted = adopt(again);
            outcome failed;
            if (!adopted)
                failed = co_await log_in(again);
            co_await share.unlock();
            co_return outcome{std::move(failed)};
        }
        if (held())
            co_return outcome{};
        if (std::chrono::steady_clock::now() >= give_up)
            co_return std::nullopt;
        boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await pause.async_wait(boost::asio::use_awaitable);
    }
}

}  // namespace bg::adapters
