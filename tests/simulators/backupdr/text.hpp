// ASCII text helpers shared by the vendor's parts (header names, schemes,
// media types and keywords are compared without regard to case).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace sim::backupdr {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
    return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// The media type of a Content-Type value, lower-cased, without parameters:
// "Application/JSON; charset=utf-8" → "application/json".
inline std::string media_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    return ascii_lower(type);
}

}  // namespace sim::backupdr
