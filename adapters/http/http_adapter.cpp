#include "adapters/http/http_adapter.hpp"

namespace bg::adapters {
namespace {

// `http` takes no credentials and no options: anything set there is a mistake.
std::vector<std::pair<config::origin, std::string>> check_http(const config::backend& b)
{
    std::vector<std::pair<config::origin, std::string>> problems;
    for (const auto& [key, s] : b.credentials)
        problems.emplace_back(s.where, "backend type 'http' takes no credentials (found '" + key + "')");
    for (const auto& [key, s] : b.options)
        problems.emplace_back(s.where, "backend type 'http' takes no options (found '" + key + "')");
    return problems;
}

std::unique_ptr<adapter> make_http(const config::backend& b) { return std::make_unique<http_adapter>(b); }

}  // namespace

awaitable<std::optional<gateway_error>> http_adapter::attach_credentials(http::request_header<>&, const std::string*,
                                                                         upstream_client&)
{
    co_return std::nullopt;
}

adapter_type http_adapter::type() { return {"http", {"http", &check_http}, &make_http}; }

}  // namespace bg::adapters
