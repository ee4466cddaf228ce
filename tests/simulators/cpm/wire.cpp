#include "tests/simulators/cpm/wire.hpp"

#include <algorithm>
#include <cctype>

namespace sim::cpm {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Python's unquote_plus(): '+' is a space; a malformed escape stays as it is.
std::string decode_component(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && hi >= 0 && lo >= 0) {
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// Python's quote_plus(): unreserved characters kept, space as '+'.
void append_quote_plus(std::string& out, std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    while (true) {
        auto at = s.find(sep);
        parts.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return parts;
        s.remove_prefix(at + 1);
    }
}

response html_answer(http::status status, std::string body) {
    response res{status, 11};
    res.set(http::field::content_type, "text/html");
    res.body() = std::move(body);
    return res;
}

}  // namespace

params parse_form(std::string_view body) {
    params out;
    if (body.empty()) return out;
    for (std::string_view pair : split(body, '&')) {
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        out.emplace_back(decode_component(pair.substr(0, eq)),
                         decode_component(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1)));
    }
    return out;
}

target_parts split_target(std::string_view target) {
    target_parts parts;
    auto q = target.find('?');
    parts.path = target.substr(0, q);
    if (q == std::string_view::npos) return parts;
    parts.query = target.substr(q + 1);
    parts.args = parse_form(parts.query);
    return parts;
}

const std::string* find(const params& p, std::string_view key) {
    for (auto it = p.rbegin(); it != p.rend(); ++it)
        if (it->first == key) return &it->second;
    return nullptr;
}

std::string with_param(const params& p, std::string_view key, std::optional<std::string> value) {
    // parse_qs() groups values by key in first-seen order; urlencode(sorted(...)) sorts the keys.
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> grouped;
    for (const auto& [k, v] : p) {
        if (k == key) continue;
        auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) { return g.first == k; });
        if (it == grouped.end()) grouped.push_back({k, {v}});
        else it->second.push_back(v);
    }
    if (value) grouped.push_back({key, {*value}});
    std::stable_sort(grouped.begin(), grouped.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (const auto& [k, values] : grouped) {
        for (auto v : values) {
            if (!out.empty()) out.push_back('&');
            append_quote_plus(out, k);
            out.push_back('=');
            append_quote_plus(out, v);
        }
    }
    return out;
}

const std::string* media_range::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return &v;
    return nullptr;
}

std::vector<media_range> parse_accept(std::string_view header) {
    std::vector<media_range> ranges;
    for (std::string_view item : split(header, ',')) {
        auto pieces = split(item, ';');
        media_range range;
        range.type = lower(trim(pieces.front()));
        if (range.type.empty()) continue;
        for (std::size_t i = 1; i < pieces.size(); ++i) {
            auto piece = trim(pieces[i]);
            auto eq = piece.find('=');
            if (eq == std::string_view::npos) continue;
            auto value = trim(piece.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            range.params.emplace_back(lower(trim(piece.substr(0, eq))), std::string(value));
        }
        ranges.push_back(std::move(range));
    }
    return ranges;
}

bool media_matches(const media_range& range, std::string_view offered) {
    if (range.type == "*/*" || range.type == offered) return true;
    auto slash = offered.find('/');
    return range.type.size() == slash + 2 && range.type.ends_with("/*") &&
           std::string_view(range.type).substr(0, slash) == offered.substr(0, slash);
}

response json_answer(http::status status, std::string body) {
    response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::vary, "Accept");
    res.body() = std::move(body);
    return res;
}

json::array error_list(std::string_view message, std::string_view code) {
    return json::array{json::object{{"message", message}, {"code", code}}};
}

response errors_answer(http::status status, json::object fields) {
    return json_answer(status, json::serialize(json::object{{"errors", json::array{std::move(fields)}}}));
}

response error_answer(http::status status, std::string_view key, std::string_view message, std::string_view code) {
    return errors_answer(status, json::object{{key, error_list(message, code)}});
}

response django_not_found() {
    return html_answer(http::status::not_found,
                       "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n"
                       "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n"
                       "</html>\n");
}

response django_bad_request() {
    return html_answer(http::status::bad_request,
                       "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n"
                       "<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n");
}

}  // namespace sim::cpm
