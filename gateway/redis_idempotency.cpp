#include "gateway/redis_idempotency.hpp"

#include "adapters/common/crypto.hpp"
#include "adapters/common/encoding.hpp"
#include "gateway/log.hpp"
#include "gateway/resilience.hpp"

#include <charconv>

namespace bg {
namespace {

using redis::reply;

// KEYS[1]: the record; ARGV: fingerprint, ttl ms, lease ms, claim.
const redis::script& begin_script()
{
    static const redis::script s(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local r = redis.call('HMGET', KEYS[1], 'state', 'fp', 'lease', 'status', 'headers', 'body', 'kept')
if not r[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'claim', ARGV[4],
             'lease', string.format('%.0f', now + tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'fresh'}
end
if r[2] ~= ARGV[1] then return {'mismatch'} end
if r[1] == 'running' and tonumber(r[3]) < now then
  redis.call('HSET', KEYS[1], 'state', 'unknown')
  return {'unknown'}
end
if r[1] == 'answered' then return {'answered', r[4], r[5], r[6], r[7]} end
return {r[1]}
)lua");
    return s;
}

// KEYS[1]: the record; ARGV: claim, step (answered | unknown | release),
// then for answered: status, headers, body, kept. Only the running record's
// own claim finishes it.
const redis::script& finish_script()
{
    static const redis::script s(R"lua(
local r = redis.call('HMGET', KEYS[1], 'state', 'claim')
if r[1] ~= 'running' or r[2] ~= ARGV[1] then return 0 end
if ARGV[2] == 'release' then
  redis.call('DEL', KEYS[1])
elseif ARGV[2] == 'unknown' then
  redis.call('HSET', KEYS[1], 'state', 'unknown')
else
  redis.call('HSET', KEYS[1], 'state', 'answered', 'status', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5],
             'kept', ARGV[6])
end
return 1
)lua");
    return s;
}

std::string new_claim()
{
    std::string out;
    for (int i = 0; i < 2; ++i) {
        const auto r = jitter_random();
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
        out += buf;
    }
    return out;
}

const std::string* text_of(const reply& r)
{
    return r.type == reply::kind::string || r.type == reply::kind::status ? &r.str : nullptr;
}

// The begin script's reply as a lookup; nullopt when it is not one.
std::optional<idempotency_store::lookup> read_lookup(const reply& r)
{
    using state = idempotency_store::state;
    if (r.type != reply::kind::array || r.elements.empty())
        return std::nullopt;
    const auto* what = text_of(r.elements[0]);
    if (!what)
        return std::nullopt;
    idempotency_store::lookup out;
    if (*what == "fresh")
        out.what = state::fresh;
    else if (*what == "running")
        out.what = state::running;
    else if (*what == "mismatch")
        out.what = state::mismatch;
    else if (*what == "unknown")
        out.what = state::unknown;
    else if (*what == "answered" && r.elements.size() == 5) {
        out.what = state::answered;
        const auto* status = text_of(r.elements[1]);
        const auto* headers = text_of(r.elements[2]);
        const auto* body = text_of(r.elements[3]);
        const auto* kept = text_of(r.elements[4]);
        if (!status || !headers || !body || !kept)
            return std::nullopt;
        auto a = std::make_shared<stored_answer>();
        auto [end, ec] = std::from_chars(status->data(), status->data() + status->size(), a->status);
        if (ec != std::errc{} || a->status < 100 || a->status > 599)
            return std::nullopt;
        a->headers = decode_fields(*headers);
        a->body = *body;
        a->body_kept = *kept == "1";
        out.answer = std::move(a);
    } else {
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::string encode_fields(const std::vector<std::pair<std::string, std::string>>& fields)
{
    std::string out;
    for (const auto& [name, value] : fields)
        out += name + ": " + value + "\n";  // a field value holds no line break (RFC 9110 §5.5)
    return out;
}

std::vector<std::pair<std::string, std::string>> decode_fields(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const auto line = text.substr(0, end);
        const auto colon = line.find(": ");
        if (colon != std::string_view::npos && colon > 0)
            out.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return out;
}

redis_idempotency_store::redis_idempotency_store(redis::connection& redis, std::string key_prefix,
                                                 redis_status& health)
    : redis_(redis), prefix_(std::move(key_prefix)), health_(health)
{
}

std::string redis_idempotency_store::key_of(const std::string& scope) const
{
    return prefix_ + "idem:" + encoding::hex(crypto::sha256(scope));
}

boost::asio::awaitable<std::variant<idempotency_store::lookup, gateway_error>>
redis_idempotency_store::begin(const std::string& scope, const std::string& fingerprint, std::chrono::seconds ttl,
                               std::chrono::milliseconds lease)
{
    auto claim = new_claim();
    const std::vector<std::string> argv{"EVALSHA",
                                        begin_script().sha1,
                                        "1",
                                        key_of(scope),
                                        fingerprint,
                                        std::to_string(std::chrono::milliseconds(ttl).count()),
                                        std::to_string(lease.count()),
                                        claim};
    auto r = co_await redis::evaluate(redis_, begin_script(), argv);
    std::optional<gateway_error> failure;
    if (const auto* answer = std::get_if<reply>(&r)) {
        if (auto found = read_lookup(*answer)) {
            health_.succeeded();
            if (found->what == state::fresh)
                found->claim = std::move(claim);
            co_return std::move(*found);
        }
        failure = gateway_error{errc::idempotency_store_unavailable,
                                answer->type == reply::kind::error ? "the store's script failed: " + answer->str
                                                                   : "the store's reply is not understood",
                                {}, {}};
    } else {
        failure = std::get<gateway_error>(std::move(r));
    }
    health_.failed("idempotency", *failure);
    // The claim may have been made before the reply was lost: give it up
    // (only this claim can), so that the key is not held for nothing.
    const std::vector<std::string> undo{"EVALSHA", finish_script().sha1, "1", key_of(scope), claim, "release"};
    co_await finish(scope, undo);
    gateway_error e{errc::idempotency_store_unavailable,
                    "the shared store of Idempotency-Key records cannot be reached (" + failure->detail +
                        "); the request was not sent, so that a job cannot start twice; retry it",
                    {}, {}};
    e.headers.emplace_back("Retry-After", "1");
    co_return e;
}

boost::asio::awaitable<void> redis_idempotency_store::answered(const std::string& scope, const std::string& claim,
                                                               const stored_answer& answer)
{
    const std::vector<std::string> argv{"EVALSHA",
                                        finish_script().sha1,
                                        "1",
                                        key_of(scope),
                                        claim,
                                        "answered",
                                        std::to_string(answer.status),
                                        encode_fields(answer.headers),
                                        answer.body,
                                        answer.body_kept ? "1" : "0"};
    co_await finish(scope, argv);
}

boost::asio::awaitable<void> redis_idempotency_store::unknown(const std::string& scope, const std::string& claim)
{
    const std::vector<std::string> argv{"EVALSHA", finish_script().sha1, "1", key_of(scope), claim, "unknown"};
    co_await finish(scope, argv);
}

boost::asio::awaitable<void> redis_idempotency_store::release(const std::string& scope, const std::string& claim)
{
    const std::vector<std::string> argv{"EVALSHA", finish_script().sha1, "1", key_of(scope), claim, "release"};
    co_await finish(scope, argv);
}

boost::asio::awaitable<void> redis_idempotency_store::finish(const std::string&, const std::vector<std::string>& args)
{
    auto r = co_await redis::evaluate(redis_, finish_script(), args);
    const auto* answer = std::get_if<reply>(&r);
    if (answer && answer->type != reply::kind::error) {
        health_.succeeded();
        co_return;
    }
    const auto why = answer ? gateway_error{errc::internal, "the store's script failed: " + answer->str, {}, {}}
                            : std::get<gateway_error>(r);
    health_.failed("idempotency", why);
    // The record stays running; its lease turns it into unknown (never a second run).
    log::warn("an Idempotency-Key record could not be finished in redis; it becomes 'unknown' when its lease ends",
              {{"step", args.size() > 5 ? args[5] : std::string()}, {"error", why.detail}});
}

}  // namespace bg
