// ASCII case-insensitive comparison, for HTTP's names and tokens (RFC 9110
// §5.1: field names are case-insensitive; so are schemes, "Bearer", codings).
//
// Not boost::beast::iequals: in Boost 1.81 it reads one byte past the end of
// both strings when they differ only in the case of their last character
// (found by tests/fuzz/fuzz_route: "%2E" against "%2e" at the end of a
// target). Nor boost::algorithm::iequals, which goes through std::locale.
#pragma once

#include <string_view>

namespace bg {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

}  // namespace bg
