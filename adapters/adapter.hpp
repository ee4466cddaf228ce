// The adapter interface: what the core (gateway/) asks of a vendor dialect.
//
// Contract
// - An adapter knows its vendor and nothing about sockets: to reach its
//   upstream for its own calls (login, refresh, logout) it uses the
//   upstream_client the core hands it.
// - One adapter object per backend, shared by every thread: its methods may be
//   called concurrently from several event loops, so any state it keeps
//   (credentials) is guarded by the adapter itself.
// - The core calls, for every proxied request, in this order:
//     build_request()       → the upstream request head is final but for credentials
//     attach_credentials()  → adds the vendor's credentials (may log in first)
//   and, when the upstream answers 401 and the request can be replayed,
//     credentials_rejected() then attach_credentials() once more.
// - On shutdown the core calls logout() once per backend.
// Everything but attach_credentials has a default that suits a plain HTTP
// upstream, so a new vendor overrides only what its dialect changes.
#pragma once

#include "adapters/list_query.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bg::adapters {

class credential_share;

namespace http = boost::beast::http;
using boost::asio::awaitable;

using upstream_response = http::response<http::string_body>;
using upstream_result = std::variant<upstream_response, gateway_error>;

// ---- Lists: the upstream's pagination dialect --------------------------------
//
// The core turns a client's page request into a window [offset, offset+limit)
// of a collection, asks the list dialect for the upstream calls that cover
// it, makes them (concurrently), decodes each answer and keeps the window's
// items. The dialect knows the upstream's query parameters and list bodies;
// the core knows the client's (gateway/pagination.hpp).

// One upstream call of a plan.
struct page_call {
    std::string query;        // the pagination part of the upstream query, encoded ("page=2&page_size=10"); may be ""
    std::uint64_t first = 0;  // the collection index of the first item its answer holds
    std::uint64_t asked = 0;  // how many items it asks for; 0 = all from `first` to the end
};

// A decoded list answer. Its items are views into the answer's body: the
// answer must outlive the page.
struct list_page {
    std::vector<std::string_view> items;  // each item's JSON text as the vendor wrote it, in the answer's order
    std::optional<std::uint64_t> total;   // the collection's size (filters applied), when the answer says
    // The answer is the whole collection from its first item, whatever the
    // call asked (CPM's bare array: an endpoint that does not paginate).
    bool whole = false;
};

class list_dialect {
public:
    virtual ~list_dialect() = default;
    // The calls that cover [offset, offset + limit), in collection order;
    // their answers may hold items outside the window (the core drops them).
    // At most `max_calls` calls: when covering the window would take more,
    // the dialect asks for fewer, larger pages or for the whole collection.
    virtual std::vector<page_call> plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const = 0;
    // Whether a call may start at any index. Then an answer shorter than
    // asked (a server-side cap) is followed by a call from where it ended;
    // otherwise a short answer means the collection ends there.
    virtual bool starts_anywhere() const = 0;
    // The call for the next part of the window, after an answer shorter than
    // asked: `first` .. `first + asked`. Only called when starts_anywhere().
    virtual page_call continue_from(std::uint64_t first, std::uint64_t asked) const;
    // The items and total of a 2xx answer (views into `res`'s body);
    // nullopt when the body is not this dialect's list (the core then relays
    // the answer as it is).
    virtual std::optional<list_page> decode(const upstream_response& res) const = 0;
    // A cheap call for the total when answers do not carry it (Backup and
    // DR's HEAD → Actifio-Count): its method and pagination query; nullopt: none.
    virtual std::optional<std::pair<http::verb, std::string>> total_call() const { return std::nullopt; }
    virtual std::optional<std::uint64_t> decode_total(const upstream_response& res) const
    {
        (void)res;
        return std::nullopt;
    }
    // Whether decode_total()'s number is the vendor's estimate: then it is
    // reported as one and never taken for where the collection ends.
    virtual bool total_is_estimate() const { return false; }
    // Whether an error answer to `call` means only that the collection ends
    // before it (DRF's 404 "Invalid page." for a page past the last).
    virtual bool past_the_end(const upstream_response& res, const page_call& call) const
    {
        (void)res;
        (void)call;
        return false;
    }
    // The vendor's parameters for the client's sort, q and filters (already
    // checked against `support` by check_query()), and any the dialect adds
    // for a stable order (Backup and DR's sort=id:ASC). The core encodes
    // them and sends them on every call, before the client's native ones.
    // Default: none (a dialect whose collections take no query).
    virtual vendor_params render_query(const list_query& q, const query_support& support) const
    {
        (void)q;
        (void)support;
        return {};
    }
    // The media type the dialect decodes, when the vendor answers several
    // (CloudBasic: XML or JSON, by Accept): the core asks the upstream for it,
    // and refuses with 406 a client whose Accept prefers XML (its list would
    // be another vendor format, unpaged). "": the vendor has one.
    virtual std::string_view media_type() const { return {}; }
    // Query parameter names the dialect owns: a client's parameter of that
    // name would clash with the plan's (the core refuses it with 400; the
    // client's own paging names never reach this check, they are consumed).
    virtual std::vector<std::string_view> reserved_parameters() const = 0;
};

// The core's way for an adapter to make its own calls to its upstream
// (same host, TLS settings and timeouts as proxied requests).
class upstream_client {
public:
    virtual ~upstream_client() = default;
    // `req.target()` is an absolute path on the upstream host (base path
    // included). The core sets Host and Content-Length on `req`. (Taken by
    // reference: GCC 12 mishandles a by-value argument in a co_await expression.)
    virtual awaitable<upstream_result> send(http::request<http::string_body>& req) = 0;
    // The client for the adapter's auxiliary origin (auxiliary_origin(): a
    // token endpoint on another host), or null when it has none. `req.target()`
    // is then an absolute path on that host.
    virtual upstream_client* auxiliary() { return nullptr; }
};

// Where a backend's credential stands, for the status page and /metrics
// (never the credential itself).
struct credential_report {
    using time_point = std::chrono::system_clock::time_point;
    // "login": obtained from the vendor and renewed; "static": configured
    // keys that sign each request (nothing to renew); "none".
    std::string_view kind = "none";
    std::optional<time_point> valid_until;  // the credential held now, if any
    std::optional<time_point> last_login;   // the last credential obtained
    std::uint64_t renewals = 0;             // credentials obtained: logins, refreshes, the fleet's
    std::uint64_t failures = 0;             // logins and refreshes that failed
    unsigned consecutive_failures = 0;
    std::string last_failure;  // the last failure's detail (the vendor's status and message)
};

class adapter {
public:
    virtual ~adapter() = default;

    // Build: the head arrives with its target (base path + client path + query),
    // Host, X-Forwarded-*, X-Request-Id set and hop-by-hop headers removed.
    // The default adds the backend's static `headers:`.
    virtual void build_request(http::request_header<>& head) const;

    // Credentials: add what the vendor needs to `head`. `body` is the request
    // body when it is buffered, null when it streams. An error fails the
    // request closed (the request is not sent).
    virtual awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head,
                                                                        const std::string* body,
                                                                        upstream_client& upstream) = 0;

    // The upstream answered 401 to `head`, which carried credentials from
    // attach_credentials(): forget them (unless a newer one replaced them), so
    // the next attach obtains another. Default: nothing to forget.
    virtual void credentials_rejected(const http::request_header<>& head) { (void)head; }
    // Whether an upstream 401 may be cured by new credentials (then the core
    // replays a replayable request once). Default: no credentials, no cure.
    virtual bool renews_credentials() const { return false; }

    // Header fields that carry the vendor's credentials, session or
    // signature: the core removes a client's own before build_request(), so
    // that a client never sets them (the client authenticates to the
    // gateway, not to the vendor) and a signature never covers one a client
    // chose. Names compare case-insensitively; one ending in '*' is a prefix
    // ("X-Amz-*"). The client's Authorization and X-API-Key are always
    // removed. Default: none.
    virtual std::span<const std::string_view> owned_headers() const { return {}; }

    // Request bodies up to this size are read whole before the request goes
    // upstream (attach_credentials() then sees them); larger ones stream.
    // nullopt: the core's default (1 MiB). Either way limits.max_body_bytes caps them.
    virtual std::optional<std::size_t> buffered_body_limit() const { return std::nullopt; }

    // Lists: the dialect of the collection at `upstream_path` (the upstream
    // target's path, base path included, no query) for a GET or HEAD, or
    // null when that path is not a list (the request is proxied as it is).
    // Default: no lists.
    virtual const list_dialect* list_at(std::string_view upstream_path) const
    {
        (void)upstream_path;
        return nullptr;
    }
    // What the list at `upstream_path` (as for list_at) does with a client's
    // sort, q and filters, from the vendor's document; null: nothing (the
    // core then refuses them, and under `query: strict` any other parameter).
    virtual const query_support* query_at(std::string_view upstream_path) const
    {
        (void)upstream_path;
        return nullptr;
    }
    // Errors: the vendor's message in an error answer (status >= 400), for
    // the problem's title; nullopt when the body is not the vendor's error
    // format. Default: none.
    virtual std::optional<std::string> error_message(const upstream_response& res) const
    {
        (void)res;
        return std::nullopt;
    }

    // Another origin the adapter must call for its credentials (Google's
    // token endpoint for a Backup and DR service account), as an absolute
    // http(s) URL; the core keeps a connection pool for it (TLS verified
    // against the system's trust store) and hands it out as
    // upstream_client::auxiliary(). Default: none.
    virtual std::optional<std::string> auxiliary_origin() const { return std::nullopt; }

    // Shutdown: end sessions, revoke tokens. Default: nothing to end.
    virtual awaitable<void> logout(upstream_client& upstream);

    // The fleet's shared store for this backend's credential (Redis), given
    // once before the first request. An adapter that logs in uses it so that
    // replicas make one login between them; default: not used.
    virtual void share_credentials(std::shared_ptr<credential_share> share) { (void)share; }

    // The credential's state (any thread). Default: the backend has none.
    virtual credential_report credentials() const { return {}; }

protected:
    explicit adapter(const config::backend& backend) : backend_(backend) {}
    const config::backend& backend() const { return backend_; }

private:
    // The backend lives in the configuration snapshot, which outlives the adapter.
    const config::backend& backend_;
};

// A backend type (`type:` in YAML): its configuration check and its factory.
struct adapter_type {
    std::string_view name;
    config::backend_check check;
    std::unique_ptr<adapter> (*make)(const config::backend&);
};

// Every registered type. Adding a vendor = one folder under adapters/ and one
// line in registry.cpp.
const std::vector<adapter_type>& adapter_types();
const adapter_type* find_adapter_type(std::string_view name);
// For config::validate().
std::vector<config::backend_check> backend_checks();

}  // namespace bg::adapters
