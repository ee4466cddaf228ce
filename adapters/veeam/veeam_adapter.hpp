// Backend type `veeam-aws`: Veeam Backup for AWS's REST API
// (veeam-aws-rest-api-overview.txt, "Authorization in REST API").
//
// OAuth 2.0 at POST token (form): grant_type=password with username and
// password; for a user with MFA that answers with an mfa_token, and
// grant_type=mfa with mfa_token and mfa_code (RFC 6238 TOTP computed from
// credentials.mfa_secret) gives the tokens. grant_type=refresh_token renews
// them before the access token expires (expires_in); when the refresh token is
// refused or past its lifetime (options.refresh_ttl, default 2 h as
// documented) the adapter logs in again. Every call carries
// `x-api-version: <api_version>` and `Authorization: Bearer`; DELETE token
// logs out on shutdown. Lists (Offset/Limit, {totalCount, results}) and
// errors ({title, status, errorCode, details, data}): veeam_list.hpp.
#pragma once

#include "adapters/login/token_adapter.hpp"
#include "adapters/veeam/veeam_list.hpp"

namespace bg::adapters {

class veeam_adapter final : public token_adapter {
public:
    explicit veeam_adapter(const config::backend& backend);

    void build_request(http::request_header<>& head) const override;
    const list_dialect* list_at(std::string_view upstream_path) const override;
    const query_support* query_at(std::string_view upstream_path) const override;
    // The API version is pinned by the backend's api_version.
    std::span<const std::string_view> owned_headers() const override;
    std::optional<std::string> error_message(const upstream_response& res) const override;
    static adapter_type type();

protected:
    awaitable<std::variant<credential, gateway_error>> obtain(upstream_client& upstream,
                                                              const std::optional<credential>& previous) override;
    awaitable<void> end_session(upstream_client& upstream, const credential& c) override;

private:
    http::request<http::string_body> token_request(std::string body) const;
    awaitable<std::variant<credential, gateway_error>> password_login(upstream_client& upstream);
    std::variant<credential, gateway_error> read_tokens(const upstream_response& res, std::string_view what) const;

    std::chrono::seconds refresh_ttl_;
    veeam_list paged_{veeam_list::mode::paged};
    veeam_list whole_{veeam_list::mode::whole};
};

}  // namespace bg::adapters
