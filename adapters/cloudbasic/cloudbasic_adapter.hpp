// Backend type `cloudbasic`: CloudBasic's REST API (cloudbasic-rest-api.txt,
// "API Security"): every request signed with AWS Signature Version 4 for the
// service `cbr`, with X-Amz-Date and X-Amz-Content-Sha256.
//
// The signature covers exactly the bytes sent: it is computed last, after
// every other change to the head (build_request, Host, X-Forwarded-*), over
// the path and query as they go on the wire, and computed again for a retry.
// The body is hashed, so it must be buffered: the core buffers bodies up to
// options.max_signed_body (default 8 MiB) for this type (buffered_body_limit()).
// A larger body is refused with 413 before it is read, and a body without a
// length (chunked) with 411: hashing it would mean holding it whole, and the
// API's parameters are small documents (docs/adapters.md, "CloudBasic").
#pragma once

#include "adapters/adapter.hpp"
#include "adapters/cloudbasic/cloudbasic_list.hpp"
#include "adapters/common/sigv4.hpp"

#include <functional>

namespace bg::adapters {

class cloudbasic_adapter final : public adapter {
public:
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    explicit cloudbasic_adapter(const config::backend& backend, clock_fn clock = &std::chrono::system_clock::now);

    awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head, const std::string* body,
                                                               upstream_client& upstream) override;
    std::optional<std::size_t> buffered_body_limit() const override { return max_signed_body_; }
    // Lists are fetched whole and errors are XML: cloudbasic_list.hpp.
    const list_dialect* list_at(std::string_view upstream_path) const override;
    const query_support* query_at(std::string_view upstream_path) const override;
    // SigV4's own fields: a client's X-Amz-Target or X-Amz-Security-Token must
    // not be signed with the gateway's key (the signature adds its own).
    std::span<const std::string_view> owned_headers() const override;
    std::optional<std::string> error_message(const upstream_response& res) const override;
    // Every request is signed with the configured keys: nothing to obtain or renew.
    credential_report credentials() const override
    {
        credential_report r;
        r.kind = "static";
        return r;
    }

    // The signing step alone (no coroutine), for attach_credentials and tests.
    std::optional<gateway_error> sign(http::request_header<>& head, const std::string* body) const;

    static adapter_type type();

private:
    sigv4::credentials credentials_;
    std::string region_;
    std::size_t max_signed_body_;
    clock_fn clock_;
    cloudbasic_list list_;
};

}  // namespace bg::adapters
