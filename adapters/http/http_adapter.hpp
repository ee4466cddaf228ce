// Backend type `http`: a plain reverse-proxy upstream. The client's request
// goes through with the backend's static `headers:` added and no vendor
// credentials; the first implementation of the adapter interface.
#pragma once

#include "adapters/adapter.hpp"

namespace bg::adapters {

class http_adapter final : public adapter {
public:
    explicit http_adapter(const config::backend& backend) : adapter(backend) {}

    awaitable<std::optional<gateway_error>> attach_credentials(http::request_header<>& head, const std::string* body,
                                                               upstream_client& upstream) override;

    static adapter_type type();
};

}  // namespace bg::adapters
