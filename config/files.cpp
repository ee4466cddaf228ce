#include "config/files.hpp"

#include <cerrno>
#include <fstream>
#include <system_error>

namespace bg::config {
namespace {

std::string reason(int err) { return std::generic_category().message(err); }

}  // namespace

std::optional<std::string> unreadable(const std::string& path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return "cannot read " + quote(path) + ": it is a directory";
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return "cannot read " + quote(path) + ": " + reason(errno != 0 ? errno : ENOENT);
    return std::nullopt;
}

parsed<std::string> read_small_file(const std::string& path, std::size_t max_bytes)
{
    if (auto why = unreadable(path))
        return parsed<std::string>::failure(*why);
    std::ifstream in(path, std::ios::binary);
    std::string content;
    content.resize(max_bytes + 1);
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad())
        return parsed<std::string>::failure("cannot read " + quote(path) + ": " + reason(errno));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_bytes)
        return parsed<std::string>::failure(quote(path) + " is larger than " + std::to_string(max_bytes) +
                                            " bytes; expected a file holding one secret");
    return {std::move(content), {}};
}

std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path)
{
    std::filesystem::path p(path);
    if (p.is_absolute() || base_dir.empty())
        return p.lexically_normal().string();
    return (base_dir / p).lexically_normal().string();
}

}  // namespace bg::config
