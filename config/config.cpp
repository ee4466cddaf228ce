#include "config/config.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ostream>

namespace bg::config {
namespace {

// "<file>:<line>: <path>: <what>"; the line, the path or the file (a
// configuration built in code) left out when unknown.
std::string format_error(const std::string& file, const origin& where, const std::string& what)
{
    // append() rather than "x" + string: GCC 12 warns falsely (-Wrestrict) about the latter at -O3.
    std::string out = file;
    if (where.line > 0)
        out.append(":").append(std::to_string(where.line));
    if (!out.empty())
        out.append(": ");
    if (!where.path.empty())
        out.append(where.path).append(": ");
    return out.append(what);
}

// "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
std::string_view parent_path(std::string_view path)
{
    auto cut = path.find_last_of(".[");
    return cut == std::string_view::npos ? std::string_view{} : path.substr(0, cut);
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const secret&) { return out << "<redacted>"; }

error::error(const std::string& file, const origin& where, const std::string& what)
    : std::runtime_error(format_error(file, where, what)), where_(where)
{
}

const backend* gateway_config::find_backend(std::string_view name) const
{
    auto it = std::find_if(backends.begin(), backends.end(), [&](const backend& b) { return b.name == name; });
    return it == backends.end() ? nullptr : &*it;
}

origin gateway_config::where_of(std::string_view path) const
{
    for (auto p = path; !p.empty(); p = parent_path(p))
        if (auto it = source_lines.find(p); it != source_lines.end())
            return origin{std::string(path), it->second};
    return origin{std::string(path), 0};
}

sha256_digest sha256(std::string_view data)
{
    sha256_digest out{};
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr);
    return out;
}

std::string to_hex(const sha256_digest& digest)
{
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (auto byte : digest) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

}  // namespace bg::config
