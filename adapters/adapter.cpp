#include "adapters/adapter.hpp"

namespace bg::adapters {

void adapter::build_request(http::request_header<>& head) const
{
    for (const auto& [name, value] : backend_.headers)
        head.set(name, value);
}

awaitable<void> adapter::logout(upstream_client&) { co_return; }

}  // namespace bg::adapters
