#include "adapters/list_support.hpp"

#include "adapters/common/encoding.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <array>
#include <charconv>
#include <cstring>
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

std::optional<boost::json::value> parse_json(std::string_view body)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec)
        return std::nullopt;
    return v;
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

namespace {

// Scanning a JSON text already validated: only where each value ends matters.
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::size_t skip_blank(std::string_view t, std::size_t at)
{
    while (at < t.size() && blank(t[at]))
        ++at;
    return at;
}

// `at` is on the opening quote; returns the index after the closing one.
std::size_t skip_string(std::string_view t, std::size_t at)
{
    for (;;) {
        const void* quote = std::memchr(t.data() + at + 1, '"', t.size() - at - 1);
        if (!quote)
            return t.size();
        at = static_cast<std::size_t>(static_cast<const char*>(quote) - t.data());
        std::size_t slashes = 0;  // an odd number of backslashes before it escapes it
        while (t[at - 1 - slashes] == '\\')
            ++slashes;
        if (slashes % 2 == 0)
            return at + 1;
    }
}

// The characters that matter inside an array or object being skipped.
constexpr std::array<bool, 256> structural = [] {
    std::array<bool, 256> s{};
    for (unsigned char c : {'"', '[', ']', '{', '}'})
        s[c] = true;
    return s;
}();

// `at` is on a value's first character; returns the index after its last.
std::size_t skip_value(std::string_view t, std::size_t at)
{
    if (at >= t.size())
        return at;
    if (t[at] == '"')
        return skip_string(t, at);
    if (t[at] == '{' || t[at] == '[') {
        std::size_t depth = 0;
        while (at < t.size()) {
            while (at < t.size() && !structural[static_cast<unsigned char>(t[at])])
                ++at;
            if (at == t.size())
                break;
            const char c = t[at];
            if (c == '"') {
                at = skip_string(t, at);
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if (--depth == 0)
                return at + 1;
            ++at;
        }
        return at;
    }
    while (at < t.size() && !blank(t[at]) && t[at] != ',' && t[at] != ']' && t[at] != '}')
        ++at;  // a number, true, false or null
    return at;
}

// The elements of the array or the members of the object whose opening
// bracket is at `at` (of a validated text): calls `on(key_text, value_at)`
// (key_text empty for array elements), which returns where that value ends.
// Returns the index after the closing bracket.
template <class On> std::size_t each_child(std::string_view t, std::size_t at, On on)
{
    const bool object = t[at] == '{';
    at = skip_blank(t, at + 1);
    if (at < t.size() && (t[at] == ']' || t[at] == '}'))
        return at + 1;  // empty
    for (;;) {
        std::string_view key;
        if (object) {
            const auto key_end = skip_string(t, at);
            key = t.substr(at, key_end - at);
            at = skip_blank(t, key_end);
            at = skip_blank(t, at + 1);  // the ':'
        }
        at = skip_blank(t, on(key, at));
        if (at >= t.size() || t[at] != ',')
            return at + 1;  // the closing bracket
        at = skip_blank(t, at + 1);
    }
}

// An array's elements, collected while it is skipped: returns where it ends.
std::size_t collect_elements(std::string_view t, std::size_t at, std::vector<std::string_view>& out)
{
    return each_child(t, at, [&](std::string_view, std::size_t from) {
        const auto end = skip_value(t, from);
        out.push_back(t.substr(from, end - from));
        return end;
    });
}

// A key's text (with its quotes) unescaped.
std::string key_of(std::string_view quoted)
{
    const auto inner = quoted.substr(1, quoted.size() - 2);
    if (inner.find('\\') == std::string_view::npos)
        return std::string(inner);
    boost::system::error_code ec;
    const auto v = boost::json::parse(quoted, ec);
    return !ec && v.is_string() ? std::string(v.get_string()) : std::string(inner);
}

// Boost.JSON's validation without a document: every event accepted, nothing kept.
struct validator {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    using ec = boost::system::error_code;
    bool on_document_begin(ec&) { return true; }
    bool on_document_end(ec&) { return true; }
    bool on_object_begin(ec&) { return true; }
    bool on_object_end(std::size_t, ec&) { return true; }
    bool on_array_begin(ec&) { return true; }
    bool on_array_end(std::size_t, ec&) { return true; }
    bool on_key_part(boost::json::string_view, std::size_t, ec&) { return true; }
    bool on_key(boost::json::string_view, std::size_t, ec&) { return true; }
    bool on_string_part(boost::json::string_view, std::size_t, ec&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, ec&) { return true; }
    bool on_number_part(boost::json::string_view, ec&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, ec&) { return true; }
    bool on_uint64(std::uint64_t, boost::json::string_view, ec&) { return true; }
    bool on_double(double, boost::json::string_view, ec&) { return true; }
    bool on_bool(bool, ec&) { return true; }
    bool on_null(ec&) { return true; }
    bool on_comment_part(boost::json::string_view, ec&) { return true; }
    bool on_comment(boost::json::string_view, ec&) { return true; }
};

bool valid_json(std::string_view text)
{
    boost::json::basic_parser<validator> p(boost::json::parse_options{});
    boost::system::error_code ec;
    const auto used = p.write_some(false, text.data(), text.size(), ec);
    return !ec && used == text.size() && p.done();
}

}  // namespace

std::optional<json_outline> json_outline::read(std::string_view body)
{
    if (!valid_json(body))
        return std::nullopt;
    json_outline o;
    const auto at = skip_blank(body, 0);
    if (body[at] == '[') {
        o.array_ = true;
        collect_elements(body, at, o.elements_);
    } else if (body[at] == '{') {
        o.object_ = true;
        each_child(body, at, [&](std::string_view key, std::size_t from) {
            // A member that is an array has its elements found on the way (one pass).
            member m{key_of(key), {}, std::nullopt};
            std::size_t end = 0;
            if (body[from] == '[') {
                m.elements.emplace();
                end = collect_elements(body, from, *m.elements);
            } else {
                end = skip_value(body, from);
            }
            m.value = body.substr(from, end - from);
            o.members_.push_back(std::move(m));
            return end;
        });
    }
    return o;
}

std::size_t json_outline::size() const
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        bool repeated = false;
        for (std::size_t j = i + 1; j < members_.size() && !repeated; ++j)
            repeated = members_[j].key == members_[i].key;
        n += repeated ? 0 : 1;
    }
    return n;
}

const json_outline::member* json_outline::find(std::string_view key) const
{
    for (auto it = members_.rbegin(); it != members_.rend(); ++it)
        if (it->key == key)
            return &*it;
    return nullptr;
}

std::optional<std::string_view> json_outline::member_text(std::string_view key) const
{
    const auto* m = find(key);
    return m ? std::optional<std::string_view>(m->value) : std::nullopt;
}

const std::vector<std::string_view>* json_outline::member_elements(std::string_view key) const
{
    const auto* m = find(key);
    return m && m->elements ? &*m->elements : nullptr;
}

const std::vector<std::string_view>* json_outline::only_member_elements() const
{
    if (size() != 1)
        return nullptr;
    const auto& m = members_.back();
    return m.elements ? &*m.elements : nullptr;
}

std::optional<std::uint64_t> whole_number(std::optional<std::string_view> value)
{
    if (!value)
        return std::nullopt;
    if (*value == "-0")
        return 0;  // an integer, as Boost.JSON reads it
    return parse_decimal(*value);  // digits only: no sign, fraction or exponent
}

}  // namespace bg::adapters::lists
