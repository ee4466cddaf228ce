// File checks shared by the loader (*_file indirection) and validate()
// (TLS files readable). The problems name the path, never the content.
#pragma once

#include "config/values.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace bg::config {

// Secret files larger than this are refused: a mistake (a binary, a log), not a key.
inline constexpr std::size_t max_secret_file_bytes = 64 * 1024;

// Why `path` cannot be read ("'/x': No such file or directory"), or nullopt.
std::optional<std::string> unreadable(const std::string& path);

// The content of `path`, at most `max_bytes`.
parsed<std::string> read_small_file(const std::string& path, std::size_t max_bytes);

// `path` resolved against `base_dir` when relative (and base_dir is not empty).
std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path);

}  // namespace bg::config
