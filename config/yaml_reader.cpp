#include "config/yaml_reader.hpp"

#include "config/files.hpp"
#include "config/values.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <numeric>

namespace bg::config {
namespace {

std::string join(const std::vector<std::string_view>& words)
{
    std::string out;
    for (auto word : words)
        out += (out.empty() ? "" : ", ") + std::string(word);
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string unknown_key_message(const node_ref& map, const std::string& key, const std::vector<std::string_view>& known)
{
    std::string message = "unknown key '" + key + "'";
    if (map.path.empty())
        message += " in the top level";
    message += "; expected one of " + join(known);
    if (auto guess = closest(key, known))
        message += "; did you mean '" + std::string(*guess) + "'?";
    return message;
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key)
{
    return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string item_path(std::string_view parent, std::size_t index)
{
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string_view kind_of(const YAML::Node& node)
{
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a string";
        case YAML::NodeType::Null:
            return "no value (null)";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates)
{
    std::optional<std::string_view> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto candidate : candidates) {
        auto distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::optional<node_ref> map_fields::find(std::string_view key) const
{
    for (const auto& [name, value] : entries_)
        if (name == key)
            return value.node.IsNull() ? std::nullopt : std::optional<node_ref>(value);
    return std::nullopt;
}

node_ref map_fields::require(std::string_view key, std::string_view expected) const
{
    for (const auto& [name, value] : entries_) {
        if (name != key)
            continue;
        if (value.node.IsNull())
            reader_->fail(value, "has no value; expected " + std::string(expected));
        return value;
    }
    reader_->fail(map_, "missing required key '" + std::string(key) + "': " + std::string(expected));
}

yaml_reader::yaml_reader(std::string file, std::filesystem::path base_dir, env_lookup env)
    : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(std::move(env))
{
}

void yaml_reader::fail(const node_ref& at, const std::string& message) const
{
    throw error(file_, origin{at.path, at.line}, message);
}

node_ref yaml_reader::child(const node_ref& parent, std::string path, const YAML::Node& node, const YAML::Mark& mark)
{
    int line = mark.is_null() ? parent.line : mark.line + 1;
    lines_[path] = line;
    return node_ref{node, std::move(path), line};
}

std::vector<std::pair<std::string, node_ref>> yaml_reader::entries(const node_ref& at)
{
    if (!at.node.IsMap())
        fail(at, "expected a map, got " + std::string(kind_of(at.node)));
    std::vector<std::pair<std::string, node_ref>> out;
    for (const auto& entry : at.node) {
        const YAML::Node& key = entry.first;
        node_ref key_at{key, at.path, key.Mark().is_null() ? at.line : key.Mark().line + 1};
        if (!key.IsScalar())
            fail(key_at, "expected a string as a key, got " + std::string(kind_of(key)));
        const std::string& name = key.Scalar();
        auto same = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == name; });
        if (same != out.end())
            fail(key_at, "duplicate key '" + name + "' (first at line " + std::to_string(same->second.line) + ")");
        out.emplace_back(name, child(at, child_path(at.path, name), entry.second, key.Mark()));
    }
    return out;
}

map_fields yaml_reader::fields(const node_ref& at, std::initializer_list<std::string_view> known)
{
    map_fields out;
    out.reader_ = this;
    out.map_ = at;
    out.entries_ = entries(at);
    std::vector<std::string_view> known_keys(known);
    for (const auto& [name, value] : out.entries_)
        if (std::find(known_keys.begin(), known_keys.end(), name) == known_keys.end())
            fail(node_ref{value.node, at.path, value.line}, unknown_key_message(at, name, known_keys));
    return out;
}

std::vector<node_ref> yaml_reader::items(const node_ref& at, std::string_view expected)
{
    if (!at.node.IsSequence())
        fail(at, "expected " + std::string(expected) + ", got " + std::string(kind_of(at.node)));
    std::vector<node_ref> out;
    std::size_t index = 0;
    for (const auto& item : at.node) {
        out.push_back(child(at, item_path(at.path, index), item, item.Mark()));
        ++index;
    }
    return out;
}

std::string yaml_reader::scalar(const node_ref& at, std::string_view expected) const
{
    if (!at.node.IsScalar())
        fail(at, "expected " + std::string(expected) + ", got " + std::string(kind_of(at.node)));
    auto substituted = substitute_env(at.node.Scalar(), env_);
    if (!substituted)
        fail(at, substituted.problem);
    return std::move(*substituted.value);
}

std::string yaml_reader::text(const node_ref& at, std::string_view expected) const { return scalar(at, expected); }

std::string yaml_reader::non_empty_text(const node_ref& at, std::string_view expected) const
{
    auto value = scalar(at, expected);
    if (value.empty())
        fail(at, "expected " + std::string(expected) + ", got an empty string");
    return value;
}

std::string yaml_reader::got(const node_ref& at) const
{
    const auto& raw = at.node.Scalar();
    if (raw.find("${") != std::string::npos)
        return ", got " + quote(raw) + " (before substitution)";
    return ", got " + quote(raw);
}

template <class T>
T yaml_reader::checked(const node_ref& at, parsed<T> result) const
{
    if (!result)
        fail(at, result.problem + got(at));
    return std::move(*result.value);
}

bool yaml_reader::boolean(const node_ref& at) const { return checked(at, parse_bool(scalar(at, "true or false"))); }

std::uint64_t yaml_reader::unsigned_int(const node_ref& at, std::uint64_t max) const
{
    return checked(at, parse_unsigned(scalar(at, "an integer"), max));
}

std::uint16_t yaml_reader::port(const node_ref& at) const
{
    return static_cast<std::uint16_t>(unsigned_int(at, 65535));
}

duration yaml_reader::time(const node_ref& at) const
{
    return checked(at, parse_duration(scalar(at, "a duration such as 2s")));
}

std::uint64_t yaml_reader::size(const node_ref& at) const
{
    return checked(at, parse_size(scalar(at, "a size such as 16KiB")));
}

std::string yaml_reader::ip_address(const node_ref& at) const
{
    auto value = non_empty_text(at, "an IP address");
    boost::system::error_code ec;
    boost::asio::ip::make_address(value, ec);
    if (ec)
        fail(at, "expected an IP address such as 0.0.0.0, 127.0.0.1 or ::" + got(at));
    return value;
}

std::string yaml_reader::file_path(const node_ref& at) const { return resolve(non_empty_text(at, "a file path")); }

std::string yaml_reader::resolve(const std::string& path) const { return resolve_path(base_dir_, path); }

}  // namespace bg::config
