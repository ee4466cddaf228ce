#include "adapters/cloudbasic/cloudbasic_list.hpp"

#include "adapters/list_support.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace bg::adapters {
namespace {

// ---- A minimal reader for the error body (XML 1.0, just enough of it) -------
//
// It reads one root element whose children are text-only elements: the
// document's <Error><RequestId/><Message/></Error>, with an optional XML
// declaration, comments, white space, attributes (skipped), CDATA sections,
// the five predefined entities and character references. Anything else
// (a DOCTYPE, processing instructions, nested elements, a bad reference, a
// mismatched end tag, trailing content) makes it give up.

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_name_start(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || u >= 0x80;
}

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// XML 1.0 "Char": what a character reference may name.
bool is_xml_char(std::uint32_t cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_utf8(std::string& out, std::uint32_t cp)
{
    auto put = [&](std::uint32_t bits) { out.push_back(static_cast<char>(bits)); };
    if (cp < 0x80) {
        put(cp);
    } else if (cp < 0x800) {
        put(0xC0 | (cp >> 6));
        put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        put(0xE0 | (cp >> 12));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    } else {
        put(0xF0 | (cp >> 18));
        put(0x80 | ((cp >> 12) & 0x3F));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    }
}

// The text an entity or character reference stands for ("lt", "#60", "#x3C").
std::optional<std::string> reference(std::string_view ref)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> predefined{
        {{"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}}};
    for (const auto& [name, text] : predefined)
        if (ref == name)
            return std::string(text);
    if (!ref.starts_with('#'))
        return std::nullopt;  // no DTD, so no other entity exists
    ref.remove_prefix(1);
    int base = 10;
    if (ref.starts_with('x')) {
        base = 16;
        ref.remove_prefix(1);
    }
    std::uint32_t cp = 0;
    const auto [stop, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), cp, base);
    if (ref.empty() || ec != std::errc{} || stop != ref.data() + ref.size() || !is_xml_char(cp))
        return std::nullopt;
    std::string out;
    append_utf8(out, cp);
    return out;
}

class xml_reader {
public:
    explicit xml_reader(std::string_view text) : rest_(text) {}

    // The text of the first <Message> child of an <Error> root, or nullopt.
    std::optional<std::string> error_message()
    {
        take("\xEF\xBB\xBF");  // a UTF-8 byte order mark
        skip_space();
        if (take("<?xml") && !skip_past("?>"))
            return std::nullopt;
        if (!skip_misc())
            return std::nullopt;
        auto root = start_tag();
        if (!root || root->name != "Error" || root->empty)
            return std::nullopt;
        std::optional<std::string> message;
        for (;;) {
            if (!skip_misc())
                return std::nullopt;
            if (take("</"))
                break;
            auto child = start_tag();
            if (!child)
                return std::nullopt;
            auto text = child->empty ? std::optional<std::string>("") : text_until_end(child->name);
            if (!text)
                return std::nullopt;
            if (child->name == "Message" && !message)
                message = std::move(text);
        }
        if (name() != "Error" || !end_of_tag() || !skip_misc() || !rest_.empty())
            return std::nullopt;
        return message;
    }

private:
    struct tag {
        std::string_view name;
        bool empty = false;  // <Name/>
    };

    bool take(std::string_view s)
    {
        if (!rest_.starts_with(s))
            return false;
        rest_.remove_prefix(s.size());
        return true;
    }

    bool skip_past(std::string_view end)
    {
        const auto at = rest_.find(end);
        if (at == std::string_view::npos)
            return false;
        rest_.remove_prefix(at + end.size());
        return true;
    }

    bool skip_space()
    {
        const auto before = rest_.size();
        while (!rest_.empty() && is_xml_space(rest_.front()))
            rest_.remove_prefix(1);
        return rest_.size() != before;
    }

    // White space and comments; false on an unterminated comment.
    bool skip_misc()
    {
        for (;;) {
            skip_space();
            if (!take("<!--"))
                return true;
            if (!skip_past("-->"))
                return false;
        }
    }

    std::string_view name()
    {
        if (rest_.empty() || !is_name_start(rest_.front()))
            return {};
        std::size_t n = 1;
        while (n < rest_.size() && is_name_char(rest_[n]))
            ++n;
        const auto out = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return out;
    }

    bool end_of_tag()
    {
        skip_space();
        return take(">");
    }

    // name = "value" or 'value'; the value is not kept.
    bool attribute()
    {
        if (name().empty())
            return false;
        skip_space();
        if (!take("="))
            return false;
        skip_space();
        if (rest_.empty() || (rest_.front() != '"' && rest_.front() != '\''))
            return false;
        const char quote = rest_.front();
        rest_.remove_prefix(1);
        const auto close = rest_.find(quote);
        if (close == std::string_view::npos || rest_.substr(0, close).find('<') != std::string_view::npos)
            return false;
        rest_.remove_prefix(close + 1);
        return true;
    }

    // "<Name attr='v'>" or "<Name/>".
    std::optional<tag> start_tag()
    {
        if (!take("<"))
            return std::nullopt;
        tag t{name(), false};
        if (t.name.empty())
            return std::nullopt;  // also "<!DOCTYPE", "<?pi", "<!["
        for (;;) {
            const bool spaced = skip_space();
            if (take(">"))
                return t;
            if (take("/>")) {
                t.empty = true;
                return t;
            }
            if (!spaced || !attribute())
                return std::nullopt;
        }
    }

    // The character data up to "</name>", references and CDATA decoded.
    std::optional<std::string> text_until_end(std::string_view element)
    {
        std::string out;
        while (!rest_.empty()) {
            if (take("<![CDATA[")) {
                const auto end = rest_.find("]]>");
                if (end == std::string_view::npos)
                    return std::nullopt;
                out += rest_.substr(0, end);
                rest_.remove_prefix(end + 3);
            } else if (take("<!--")) {
                if (!skip_past("-->"))
                    return std::nullopt;
            } else if (take("</")) {
                if (name() != element || !end_of_tag())
                    return std::nullopt;
                return out;
            } else if (rest_.front() == '<') {
                return std::nullopt;  // a nested element or a processing instruction
            } else if (rest_.front() == '&') {
                const auto semicolon = rest_.find(';');
                if (semicolon == std::string_view::npos)
                    return std::nullopt;
                auto text = reference(rest_.substr(1, semicolon - 1));
                if (!text)
                    return std::nullopt;
                out += *text;
                rest_.remove_prefix(semicolon + 1);
            } else {
                const auto run = std::min(rest_.find_first_of("<&"), rest_.size());
                out += rest_.substr(0, run);
                rest_.remove_prefix(run);
            }
        }
        return std::nullopt;  // the end tag never came
    }

    std::string_view rest_;
};

std::string trimmed(std::string_view s)
{
    while (!s.empty() && is_xml_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_xml_space(s.back()))
        s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::vector<page_call> cloudbasic_list::plan(std::uint64_t offset, std::uint64_t limit, std::size_t max_calls) const
{
    (void)offset;
    (void)limit;
    (void)max_calls;
    return {page_call{"", 0, 0}};  // no pagination: the whole list, once
}

std::optional<list_page> cloudbasic_list::decode(const upstream_response& res) const
{
    const auto body = lists::json_outline::read(res.body());
    if (!body)
        return std::nullopt;  // XML, or not a list
    const auto* items = body->is_array() ? &body->elements() : body->only_member_elements();  // {"Replications": [...]}
    if (!items)
        return std::nullopt;
    list_page page{*items, std::nullopt};
    page.total = page.items.size();
    return page;
}

bool cloudbasic_is_list_path(std::string_view path)
{
    // The document's action groups: Instance, User, Replication and Multi-AZ
    // HA Cluster Management; the paths are backup-sim's (the document gives none).
    static constexpr std::array<std::string_view, 4> paths{"/replications", "/instances", "/users", "/clusters"};
    return std::find(paths.begin(), paths.end(), path) != paths.end();
}

const query_support* cloudbasic_query_at(std::string_view path)
{
    static const query_support local{.collection = "this list",
                                     .source = "cloudbasic-rest-api.txt, Passing Parameters",
                                     .search_in = "every text field",
                                     .local = true};
    return cloudbasic_is_list_path(path) ? &local : nullptr;
}

std::optional<std::string> cloudbasic_xml_error_message(std::string_view body)
{
    auto message = xml_reader(body).error_message();
    if (!message)
        return std::nullopt;
    auto text = trimmed(*message);
    if (text.empty())
        return std::nullopt;
    return text;
}

std::optional<std::string> cloudbasic_error_message(const upstream_response& res)
{
    // "REST Error Responses": content-type application/xml, a 4xx status and
    // <Error><RequestId>request-id</RequestId><Message>error-specific-message-text</Message></Error>.
    return cloudbasic_xml_error_message(res.body());
}

}  // namespace bg::adapters
