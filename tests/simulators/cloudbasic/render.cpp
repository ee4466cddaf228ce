#include "tests/simulators/cloudbasic/render.hpp"

#include <algorithm>
#include <charconv>

namespace sim::cloudbasic {
namespace json = boost::json;

namespace {

constexpr std::string_view whitespace = " \t\r\n";
constexpr std::string_view xml_declaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// "application/json; charset=utf-8" -> "application/json"
std::string media_type(std::string_view value) { return lower(trim(value.substr(0, value.find(';')))); }

// q=0.5 in a media range's parameters; 1 when absent, -1 when malformed.
double quality(std::string_view range) {
    auto params = range.substr(std::min(range.find(';'), range.size()));
    while (!params.empty()) {
        params.remove_prefix(1);  // the ';'
        const auto end = std::min(params.find(';'), params.size());
        const auto param = trim(params.substr(0, end));
        params.remove_prefix(end);
        if (param.size() < 2 || lower(param.substr(0, 2)) != "q=") continue;
        const auto text = trim(param.substr(2));
        double q = -1;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
        if (ec != std::errc{} || ptr != text.data() + text.size() || q < 0 || q > 1) return -1;
        return q;
    }
    return 1;
}

void append_scalar(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::string: out += xml_escape(v.get_string()); break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::null: break;
    default: out += json::serialize(v); break;  // numbers
    }
}

void append_element(std::string& out, std::string_view name, const json::value& v) {
    out += '<';
    out += name;
    out += '>';
    if (v.is_object()) {
        for (const auto& [key, member] : v.get_object()) append_element(out, key, member);
    } else if (v.is_array()) {
        for (const auto& element : v.get_array()) append_element(out, name, element);
    } else {
        append_scalar(out, v);
    }
    out += "</";
    out += name;
    out += '>';
}

std::string json_text(std::string_view member, json::value v) {
    return json::serialize(json::object{{member, std::move(v)}});
}

// --- A flat XML element: <Root><Name>text</Name>...</Root> ---------------------

class flat_xml_reader {
public:
    explicit flat_xml_reader(std::string_view text) : text_(text) {}

    outcome<json::object> read() {
        skip_space();
        if (text_.starts_with("<?xml")) {
            const auto end = text_.find("?>");
            if (end == std::string_view::npos) return error("the XML declaration is not closed");
            text_.remove_prefix(end + 2);
        }
        skip_space();
        std::string root;
        if (!open_tag(root)) return error("expected the root element");
        json::object params;
        for (;;) {
            skip_space();
            if (text_.starts_with("</")) break;
            std::string name;
            if (!open_tag(name)) return error("expected a parameter element inside <" + root + ">");
            const auto end = text_.find('<');
            if (end == std::string_view::npos) return error("<" + name + "> is not closed");
            auto value = unescape(text_.substr(0, end));
            if (!value) return error("unknown entity in <" + name + ">");
            text_.remove_prefix(end);
            if (!close_tag(name)) return error("<" + name + "> must hold text only and be closed by </" + name + ">");
            if (params.contains(name)) return error("parameter <" + name + "> appears twice");
            params[name] = *value;
        }
        if (!close_tag(root)) return error("<" + root + "> is not closed");
        skip_space();
        if (!text_.empty()) return error("text after the root element");
        return params;
    }

private:
    static api_error error(const std::string& what) { return {400, "The XML body is malformed: " + what + "."}; }

    void skip_space() {
        const auto n = text_.find_first_not_of(whitespace);
        text_.remove_prefix(n == std::string_view::npos ? text_.size() : n);
    }

    static bool name_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    }

    // "<Name>"; attributes and namespaces are not part of CloudBasic's bodies.
    bool open_tag(std::string& name) {
        if (!text_.starts_with('<') || text_.starts_with("</")) return false;
        std::size_t i = 1;
        while (i < text_.size() && name_char(text_[i])) ++i;
        if (i == 1 || i >= text_.size() || text_[i] != '>') return false;
        name = std::string(text_.substr(1, i - 1));
        text_.remove_prefix(i + 1);
        return true;
    }

    bool close_tag(std::string_view name) {
        const std::string tag = "</" + std::string(name) + ">";
        if (!text_.starts_with(tag)) return false;
        text_.remove_prefix(tag.size());
        return true;
    }

    static std::optional<std::string> unescape(std::string_view s) {
        static constexpr std::pair<std::string_view, char> entities[] = {
            {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
        std::string out;
        while (!s.empty()) {
            if (s.front() != '&') {
                out += s.front();
                s.remove_prefix(1);
                continue;
            }
            const auto* e = std::find_if(std::begin(entities), std::end(entities),
                                         [&](const auto& entity) { return s.starts_with(entity.first); });
            if (e == std::end(entities)) return std::nullopt;
            out += e->second;
            s.remove_prefix(e->first.size());
        }
        return out;
    }

    std::string_view text_;
};

}  // namespace

std::string_view content_type_of(format f) {
    return f == format::json ? "application/json; charset=utf-8" : "application/xml; charset=utf-8";
}

std::optional<format> body_format(std::string_view content_type) {
    const auto type = media_type(content_type);
    if (type == "application/json") return format::json;
    if (type == "application/xml" || type == "text/xml") return format::xml;
    return std::nullopt;
}

std::optional<format> negotiate(std::string_view accept, std::optional<format> request_format) {
    const format fallback = request_format.value_or(format::json);
    if (trim(accept).empty()) return fallback;
    std::optional<format> best;
    double best_q = 0;
    bool best_explicit = false;
    while (!accept.empty()) {
        const auto end = std::min(accept.find(','), accept.size());
        const auto range = accept.substr(0, end);
        accept.remove_prefix(std::min(end + 1, accept.size()));
        const auto type = media_type(range);
        std::optional<format> offered;
        bool explicit_type = true;
        if (type == "application/json")
            offered = format::json;
        else if (type == "application/xml" || type == "text/xml")
            offered = format::xml;
        else if (type == "text/*")
            offered = format::xml;
        else if (type == "*/*" || type == "application/*") {
            offered = fallback;
            explicit_type = false;
        }
        const double q = quality(range);
        if (!offered || q <= 0) continue;
        // Higher q wins; on a tie a named type beats a wildcard, then the first listed.
        if (q > best_q || (q == best_q && explicit_type && !best_explicit)) {
            best = offered;
            best_q = q;
            best_explicit = explicit_type;
        }
    }
    return best;
}

std::string render_list(format f, const kind_names& names, const json::array& items) {
    if (f == format::json) return json_text(names.list, items);
    std::string out(xml_declaration);
    out += '<';
    out += names.list;
    out += '>';
    for (const auto& item : items) append_element(out, names.item, item);
    out += "</";
    out += names.list;
    out += '>';
    return out;
}

std::string render_item(format f, std::string_view item_name, const json::object& item) {
    if (f == format::json) return json_text(item_name, item);
    std::string out(xml_declaration);
    append_element(out, item_name, item);
    return out;
}

std::string render_error(std::uint64_t request_id, std::string_view message) {
    std::string out(xml_declaration);
    out += "\n<Error>\n <RequestId>";
    out += std::to_string(request_id);
    out += "</RequestId>\n <Message>";
    out += xml_escape(message);
    out += "</Message>\n</Error>\n";
    return out;
}

// Text content only (no attributes are written): quotes stay readable.
std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        default: out += c;
        }
    }
    return out;
}

outcome<json::object> parse_parameters(format f, std::string_view body) {
    if (trim(body).empty())
        return api_error{400, "The request body is empty: the CloudBasic API takes its parameters in the body."};
    if (f == format::xml) return flat_xml_reader(body).read();
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    if (ec) return api_error{400, "The JSON body is malformed: " + ec.message() + "."};
    if (!value.is_object()) return api_error{400, "The JSON body must be an object of parameters."};
    return std::move(value.get_object());
}

}  // namespace sim::cloudbasic
