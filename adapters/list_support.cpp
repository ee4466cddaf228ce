#include "adapters/list_support.hpp"

#include "adapters/common/encoding.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <limits>
#include <vector>

namespace bg::adapters::lists {

std::optional<std::string_view> below_base(std::string_view upstream_path, std::string_view base_path)
{
    if (!upstream_path.starts_with(base_path))
        return std::nullopt;
    const auto rest = upstream_path.substr(base_path.size());
    if (!rest.starts_with('/'))
        return std::nullopt;  // "/apiary" is not below "/api"
    return rest;
}

std::optional<boost::json::value> parse_json(std::string_view body, boost::json::storage_ptr storage)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec, std::move(storage));
    if (ec)
        return std::nullopt;
    return v;
}

std::optional<std::uint64_t> whole_number(const boost::json::value* v)
{
    if (!v)
        return std::nullopt;
    if (v->is_uint64())
        return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0)
        return static_cast<std::uint64_t>(v->get_int64());
    return std::nullopt;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text)
{
    // from_chars takes no sign, space or prefix for an unsigned type.
    std::uint64_t n = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc{} || stop != end)
        return std::nullopt;
    return n;
}

std::string query(std::initializer_list<std::pair<std::string_view, std::string>> params)
{
    std::vector<std::pair<std::string_view, std::string_view>> views(params.begin(), params.end());
    return encoding::encode_query(views);
}

std::uint64_t last_index(std::uint64_t offset, std::uint64_t limit)
{
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    return limit - 1 > max - offset ? max : offset + limit - 1;
}

}  // namespace bg::adapters::lists
