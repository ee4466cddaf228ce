// Backend type `n2ws-cpm`: N2WS CPM's REST API (n2ws-cpm-rest-api.txt).
//
// Credentials (§1.2): POST token/obtain/api_key/ with the form field api_key
// gives an access and a refresh token; POST token/refresh/ with `refresh`
// renews the access token; every call carries `Authorization: Bearer`. The
// access token's lifetime is its JWT `exp` when it has one, else
// options.access_ttl (default 1 h, the document's); the refresh token's
// likewise (default 24 h). When the refresh token is refused or expired, the
// adapter obtains a new pair with the API key.
// Versioning (§1.4): `Accept: <type>; version=<api_version>` on every call.
// Lists (§1.5) and errors (§1.8): cpm_list.hpp.
#pragma once

#include "adapters/cpm/cpm_list.hpp"
#include "adapters/login/token_adapter.hpp"

namespace bg::adapters {

class cpm_adapter final : public token_adapter {
public:
    explicit cpm_adapter(const config::backend& backend);

    void build_request(http::request_header<>& head) const override;
    const list_dialect* list_at(std::string_view upstream_path) const override;
    const query_support* query_at(std::string_view upstream_path) const override;
    std::optional<std::string> error_message(const upstream_response& res) const override;
    static adapter_type type();
    // `accept` (a list of media ranges) with `; version=<version>` on every
    // range that has no version of its own, before its weight (§1.4).
    static std::string with_version(std::string_view accept, std::string_view version);

protected:
    awaitable<std::variant<credential, gateway_error>> obtain(upstream_client& upstream,
                                                              const std::optional<credential>& previous) override;

private:
    http::request<http::string_body> token_request(std::string_view path, std::string body) const;
    std::variant<credential, gateway_error> read_tokens(const upstream_response& res, std::string_view what,
                                                        const std::optional<credential>& previous) const;

    std::chrono::seconds access_ttl_;
    std::chrono::seconds refresh_ttl_;
    cpm_list list_;
};

}  // namespace bg::adapters
