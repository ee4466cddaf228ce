#include "adapters/adapter.hpp"

namespace bg::adapters {

void adapter::build_request(http::request_header<>& head) const
{
    for (const auto& [name, value] : backend_.headers)
        head.set(name, value);
}

awaitable<void> adapter::logout(upstream_client&) { co_return; }

page_call list_dialect::continue_from(std::uint64_t first, std::uint64_t asked) const
{
    (void)first;
    (void)asked;
    return {};  // only dialects that start anywhere are asked; they override this
}

}  // namespace bg::adapters
