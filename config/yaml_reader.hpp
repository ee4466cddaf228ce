// Walking a parsed YAML tree with the path and line of every node, so that
// each rejection can say "<file>:<line>: <path>: expected ...". The reader
// checks shapes (map, list, scalar), unknown and duplicate keys, substitutes
// ${ENV} in every scalar it returns, and records the line of every path read.
#pragma once

#include "config/config.hpp"
#include "config/values.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bg::config {

struct node_ref {
    YAML::Node node;
    std::string path;  // "backends[2].tls"; "" for the top level
    int line = 0;      // 1-based
};

std::string child_path(std::string_view parent, std::string_view key);  // "a.b"
std::string item_path(std::string_view parent, std::size_t index);      // "a[3]"

class yaml_reader;

// The entries of one map, checked by yaml_reader::fields().
class map_fields {
public:
    // The value under `key`; nullopt when the key is absent or its value is null.
    std::optional<node_ref> find(std::string_view key) const;
    // As find(), but absent or null is an error saying `expected`.
    node_ref require(std::string_view key, std::string_view expected) const;

private:
    friend class yaml_reader;
    const yaml_reader* reader_ = nullptr;
    node_ref map_;
    std::vector<std::pair<std::string, node_ref>> entries_;
};

class yaml_reader {
public:
    yaml_reader(std::string file, std::filesystem::path base_dir, env_lookup env);

    [[noreturn]] void fail(const node_ref& at, const std::string& message) const;

    // A map with only `known` keys, no duplicates.
    map_fields fields(const node_ref& at, std::initializer_list<std::string_view> known);
    // A map with any string keys, no duplicates, in document order.
    std::vector<std::pair<std::string, node_ref>> entries(const node_ref& at);
    // A list; `expected` names what it should hold ("a list of backend names").
    std::vector<node_ref> items(const node_ref& at, std::string_view expected);

    // Scalars, after ${ENV} substitution. `expected` says what the value should be.
    std::string text(const node_ref& at, std::string_view expected = "a string") const;
    std::string non_empty_text(const node_ref& at, std::string_view expected) const;
    bool boolean(const node_ref& at) const;
    std::uint64_t unsigned_int(const node_ref& at, std::uint64_t max) const;
    std::uint16_t port(const node_ref& at) const;
    duration time(const node_ref& at) const;
    std::uint64_t size(const node_ref& at) const;
    std::string ip_address(const node_ref& at) const;
    // A file path, resolved against the YAML file's directory when relative.
    std::string file_path(const node_ref& at) const;
    std::string resolve(const std::string& path) const;

    // ", got 'text'" for an error about the scalar at `at`. When the text holds
    // ${...}, it is shown as written, not substituted: a variable may hold a secret.
    std::string got(const node_ref& at) const;

    // The line of every path handed out so far (gateway_config::source_lines).
    std::map<std::string, int, std::less<>> take_lines() { return std::move(lines_); }

private:
    node_ref child(const node_ref& parent, std::string path, const YAML::Node& node, const YAML::Mark& mark);
    std::string scalar(const node_ref& at, std::string_view expected) const;
    template <class T>
    T checked(const node_ref& at, parsed<T> result) const;

    std::string file_;
    std::filesystem::path base_dir_;
    env_lookup env_;
    std::map<std::string, int, std::less<>> lines_;
};

// What a node is, for "expected a map, got a list".
std::string_view kind_of(const YAML::Node& node);

// The closest of `candidates` to `word` when close enough to be a typo.
std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace bg::config
