#include "adapters/cloudbasic/cloudbasic_adapter.hpp"

#include "adapters/list_support.hpp"
#include "config/values.hpp"

#include <vector>

namespace bg::adapters {
namespace {

constexpr std::string_view service = "cbr";  // the credential scope's service, as in the document's sample
constexpr std::string_view default_region = "us-east-1";
// The API's parameters are small JSON or XML documents; 8 MiB is far above
// any of them and still cheap to hold and hash.
constexpr std::uint64_t default_max_signed_body = 8 * 1024 * 1024;

std::vector<std::pair<config::origin, std::string>> check_cloudbasic(const config::backend& b)
{
    std::vector<std::pair<config::origin, std::string>> problems;
    for (const char* key : {"access_key_id", "secret_access_key"})
        if (!b.credentials.count(key))
            problems.emplace_back(b.where, std::string("backend type 'cloudbasic' needs credentials.") + key);
    for (const auto& [key, s] : b.credentials)
        if (key != "access_key_id" && key != "secret_access_key" && key != "session_token")
            problems.emplace_back(s.where, "unknown credential '" + key +
                                               "' for type 'cloudbasic'; expected access_key_id, "
                                               "secret_access_key, session_token");
    for (const auto& [key, s] : b.options) {
        if (key == "max_signed_body") {
            if (auto size = config::parse_size(s.value); !size)
                problems.emplace_back(s.where, "max_signed_body: " + size.problem);
            else if (*size.value == 0)
                problems.emplace_back(s.where, "max_signed_body: must be at least 1 byte");
        } else if (key != "region") {
            problems.emplace_back(s.where, "unknown option '" + key +
                                               "' for type 'cloudbasic'; expected region, max_signed_body");
        }
    }
    return problems;
}

std::unique_ptr<adapter> make_cloudbasic(const config::backend& b) { return std::make_unique<cloudbasic_adapter>(b); }

std::string setting_or(const config::settings& s, const std::string& key, std::string_view fallback)
{
    auto it = s.find(key);
    return it == s.end() ? std::string(fallback) : it->second.value;
}

}  // namespace

cloudbasic_adapter::cloudbasic_adapter(const config::backend& backend, clock_fn clock)
    : adapter(backend),
      credentials_{setting_or(backend.credentials, "access_key_id", ""),
                   setting_or(backend.credentials, "secret_access_key", ""), std::nullopt},
      region_(setting_or(backend.options, "region", default_region)),
      max_signed_body_(default_max_signed_body),
      clock_(std::move(clock))
{
    if (auto it = backend.options.find("max_signed_body"); it != backend.options.end())
        max_signed_body_ = config::parse_size(it->second.value).value.value_or(default_max_signed_body);
    if (auto it = backend.credentials.find("session_token"); it != backend.credentials.end())
        credentials_.session_token = it->second.value;
}

adapter_type cloudbasic_adapter::type() { return {"cloudbasic", {"cloudbasic", &check_cloudbasic}, &make_cloudbasic}; }

std::span<const std::string_view> cloudbasic_adapter::owned_headers() const
{
    static constexpr std::string_view owned[] = {"X-Amz-*"};
    return owned;
}

const list_dialect* cloudbasic_adapter::list_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path && cloudbasic_is_list_path(*path) ? &list_ : nullptr;
}

const query_support* cloudbasic_adapter::query_at(std::string_view upstream_path) const
{
    const auto path = lists::below_base(upstream_path, backend().url.base_path);
    return path ? cloudbasic_query_at(*path) : nullptr;
}

std::optional<std::string> cloudbasic_adapter::error_message(const upstream_response& res) const
{
    return cloudbasic_error_message(res);
}

std::optional<gateway_error> cloudbasic_adapter::sign(http::request_header<>& head, const std::string* body) const
{
    if (!body && head.count(http::field::content_length) > 0)
        return gateway_error{errc::payload_too_large,
                             "backend '" + backend().name + "' signs each request over its body (AWS SigV4); bodies above " +
                                 std::to_string(max_signed_body_) + " bytes (options.max_signed_body) are not signed",
                             {}, {}};
    if (!body)
        return gateway_error{errc::length_required,
                             "backend '" + backend().name +
                                 "' signs each request over its body (AWS SigV4): send the body with a Content-Length",
                             {}, {}};
    std::vector<sigv4::header_view> headers;
    for (const auto& field : head)
        headers.push_back({field.name_string(), field.value()});
    const auto target = sigv4::split_target(head.target());
    const sigv4::request_view view{head.method_string(), target.path, target.query, headers, *body, std::nullopt};
    sigv4::options opts;
    opts.payload_hash_header = true;  // "X-Amz-Content-Sha256 ... provides a hash of the request payload"
    const auto signed_request = sigv4::sign(view, credentials_, region_, service, clock_(), opts);
    for (const auto& h : signed_request.headers)
        head.set(h.name, h.value);
    return std::nullopt;
}

awaitable<std::optional<gateway_error>> cloudbasic_adapter::attach_credentials(http::request_header<>& head,
                                                                               const std::string* body,
                                                                               upstream_client&)
{
    co_return sign(head, body);
}

}  // namespace bg::adapters
