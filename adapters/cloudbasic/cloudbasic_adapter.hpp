// Backend type `cloudbasic`: CloudBasic's REST API (cloudbasic-rest-api.txt,
// "API Security"): every request signed with AWS Signature Version 4 for the
// service `cbr`, with X-Amz-Date and X-Amz-Content-Sha256.
//
// The signature covers exactly the bytes sent: it is computed last, after
// every other change to the head (build_request, Host, X-Forwarded-*), over
// the path and query as they go on the wire, and computed again for a retry.
// The body is hashed, so it must be buffered: the core buffers bodies up to
// limits.max_body_bytes for this type (buffered_body_limit()); a body that
// streams (chunked, no length) cannot be signed and is refused with 411.
#pragma once

#include "adapters/adapter.hpp"
#include "adapters/common/sigv4.hpp"

#include <functional>
#include <limits>

namespace bg::adapters {

class cloudbasic_adapter final : public adapter {
public:
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    explicit cloudbasic_adapter(const config::backend& backend, clock_fn clock = &std::chrono::system_clock::now);

    awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head, const std::string* body,
                                                               upstream_client& upstream) override;
    std::optional<std::size_t> buffered_body_limit() const override { return std::numeric_limits<std::size_t>::max(); }

    // The signing step alone (no coroutine), for attach_credentials and tests.
    std::optional<gateway_error> sign(http::request_header<>& head, const std::string* body) const;

    static adapter_type type();

private:
    sigv4::credentials credentials_;
    std::string region_;
    clock_fn clock_;
};

}  // namespace bg::adapters
