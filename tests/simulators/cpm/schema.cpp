#include "tests/simulators/cpm/schema.hpp"

#include "tests/simulators/cpm/wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <variant>

namespace sim::cpm {

namespace {

struct failure {
    std::string message;
    std::string_view code;
};
using outcome = std::variant<json::value, failure>;

std::string_view python_type(const json::value& v) {
    switch (v.kind()) {
    case json::kind::string: return "str";
    case json::kind::int64:
    case json::kind::uint64: return "int";
    case json::kind::double_: return "float";
    case json::kind::bool_: return "bool";
    case json::kind::array: return "list";
    case json::kind::object: return "dict";
    case json::kind::null: return "NoneType";
    }
    return "object";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// DRF's CharField: strings and numbers (not booleans) are accepted, then trimmed.
std::optional<std::string> as_text(const json::value& v) {
    if (v.is_string()) return std::string(trim(v.as_string()));
    if (v.is_int64()) return std::to_string(v.as_int64());
    if (v.is_uint64()) return std::to_string(v.as_uint64());
    if (v.is_double()) return json::serialize(v);
    return std::nullopt;
}

std::optional<std::int64_t> as_integer(const json::value& v) {
    if (v.is_int64()) return v.as_int64();
    if (v.is_double() && v.as_double() == static_cast<double>(static_cast<std::int64_t>(v.as_double())))
        return static_cast<std::int64_t>(v.as_double());
    if (!v.is_string()) return std::nullopt;
    auto s = trim(v.as_string());
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return out;
}

std::optional<bool> as_boolean(const json::value& v) {
    if (v.is_bool()) return v.as_bool();
    if (v.is_int64() && (v.as_int64() == 0 || v.as_int64() == 1)) return v.as_int64() == 1;
    if (!v.is_string()) return std::nullopt;
    static const std::vector<std::string_view> yes{"true", "True", "TRUE", "1", "yes", "on"};
    static const std::vector<std::string_view> no{"false", "False", "FALSE", "0", "no", "off"};
    std::string_view s = v.as_string();
    if (std::find(yes.begin(), yes.end(), s) != yes.end()) return true;
    if (std::find(no.begin(), no.end(), s) != no.end()) return false;
    return std::nullopt;
}

// The text rules are loops, never std::regex: libstdc++'s regex_match recurses
// once per character, so a policy name of 30,000 characters overflowed the
// stack and took the whole simulator down (issue 19, defect 8).
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }  // \w
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// "[A-Za-z0-9_]+"
bool is_name(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_word); }
// "[\w.@+-]+"
bool is_username(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_word(c) || c == '.' || c == '@' || c == '+' || c == '-';
    });
}
// "[^@\s]+@[^@\s]+\.[^@\s]+"
bool is_email(std::string_view s) {
    const auto at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
    if (std::any_of(s.begin(), s.end(), is_space)) return false;
    const auto domain = s.substr(at + 1);
    const auto dot = domain.rfind('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}
// "[0-9]{12}"
bool is_account_number(std::string_view s) { return s.size() == 12 && std::all_of(s.begin(), s.end(), is_digit); }
// Exactly n digits at s[at...], advancing `at`.
bool digits(std::string_view s, std::size_t& at, std::size_t n) {
    if (s.size() < at + n || !std::all_of(s.begin() + at, s.begin() + at + n, is_digit)) return false;
    at += n;
    return true;
}
bool take(std::string_view s, std::size_t& at, char c) {
    if (at >= s.size() || s[at] != c) return false;
    ++at;
    return true;
}
// "\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
bool is_datetime(std::string_view s) {
    std::size_t at = 0;
    if (!(digits(s, at, 4) && take(s, at, '-') && digits(s, at, 2) && take(s, at, '-') && digits(s, at, 2) &&
          take(s, at, 'T') && digits(s, at, 2) && take(s, at, ':') && digits(s, at, 2)))
        return false;
    if (take(s, at, ':')) {
        if (!digits(s, at, 2)) return false;
        if (take(s, at, '.')) {
            std::size_t n = 0;
            while (at < s.size() && is_digit(s[at]) && n < 7) ++at, ++n;
            if (n < 1 || n > 6) return false;
        }
    }
    if (at == s.size()) return true;
    if (take(s, at, 'Z')) return at == s.size();
    if (!take(s, at, '+') && !take(s, at, '-')) return false;
    if (!digits(s, at, 2)) return false;
    take(s, at, ':');
    return digits(s, at, 2) && at == s.size();
}

std::optional<failure> check_text_rules(const field& f, const std::string& s) {
    switch (f.type) {
    case kind::name:
        if (!is_name(s))
            return failure{"Name can only contain alphanumeric characters and the underscore (no spaces or slashes).",
                           "invalid"};
        break;
    case kind::description:
        if (std::any_of(s.begin(), s.end(), [](char c) { return c == '<' || c == '>' || std::iscntrl(static_cast<unsigned char>(c)); }))
            return failure{"This field contains invalid characters.", "invalid"};
        break;
    case kind::username:
        if (s.size() > 150) return failure{"Ensure this field has no more than 150 characters.", "max_length"};
        if (!is_username(s))
            return failure{"Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
                           "characters.",
                           "invalid"};
        break;
    case kind::email:
        if (!is_email(s)) return failure{"Enter a valid email address.", "invalid"};
        break;
    case kind::password:
        if (s.size() < 8) return failure{"Ensure this field has at least 8 characters.", "min_length"};
        break;
    case kind::account_number:
        if (!is_account_number(s)) return failure{"Account number must be a 12-digit number.", "invalid"};
        break;
    case kind::datetime:
        if (!is_datetime(s))
            return failure{"Datetime has wrong format. Use one of these formats instead: "
                           "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                           "invalid"};
        break;
    default:
        break;
    }
    return std::nullopt;
}

outcome check_text(const field& f, const json::value& v) {
    auto s = as_text(v);
    if (!s) return failure{"Not a valid string.", "invalid"};
    if (s->empty()) {
        if (f.allow_blank) return json::value(*s);
        return failure{"This field may not be blank.", "blank"};
    }
    if (auto bad = check_text_rules(f, *s)) return *bad;
    return json::value(*s);
}

outcome check_integer(const field& f, const json::value& v) {
    auto n = v.is_bool() ? std::nullopt : as_integer(v);
    if (!n) return failure{"A valid integer is required.", "invalid"};
    if (*n < f.min) return failure{"Ensure this value is greater than or equal to " + std::to_string(f.min) + ".", "min_value"};
    if (*n > f.max) return failure{"Ensure this value is less than or equal to " + std::to_string(f.max) + ".", "max_value"};
    return json::value(*n);
}

outcome check_choice(const field& f, const json::value& v) {
    auto s = v.is_string() ? std::optional<std::string>(std::string(v.as_string())) : as_text(v);
    std::string shown = s ? *s : json::serialize(v);
    if (!s || std::find(f.choices.begin(), f.choices.end(), *s) == f.choices.end())
        return failure{"\"" + shown + "\" is not a valid choice.", "invalid_choice"};
    return json::value(*s);
}

outcome check_string_list(const json::value& v) {
    if (!v.is_array()) return failure{"Expected a list of items but got type \"" + std::string(python_type(v)) + "\".", "not_a_list"};
    json::array out;
    for (const auto& item : v.as_array()) {
        auto s = as_text(item);
        if (!s) return failure{"Not a valid string.", "invalid"};
        out.emplace_back(*s);
    }
    return json::value(std::move(out));
}

outcome check_reference(const field& f, kind target, const json::value& v, const reference_check& exists) {
    auto pk = v.is_bool() ? std::nullopt : as_integer(v);
    if (!pk) return failure{"Incorrect type. Expected pk value, received " + std::string(python_type(v)) + ".", "incorrect_type"};
    if (!exists(target, *pk))
        return failure{"Invalid pk \"" + std::to_string(*pk) + "\" - object does not exist.", "does_not_exist"};
    if (f.id_as_string) return json::value(std::to_string(*pk));
    return json::value(*pk);
}

outcome check_references(const field& f, const json::value& v, const reference_check& exists) {
    if (!v.is_array()) return failure{"Expected a list of items but got type \"" + std::string(python_type(v)) + "\".", "not_a_list"};
    json::array out;
    for (const auto& item : v.as_array()) {
        auto one = check_reference(f, f.type, item, exists);
        if (auto* bad = std::get_if<failure>(&one)) return *bad;
        out.push_back(std::get<json::value>(one));
    }
    return json::value(std::move(out));
}

outcome check(const field& f, const json::value& v, const reference_check& exists) {
    switch (f.type) {
    case kind::integer: return check_integer(f, v);
    case kind::boolean: {
        auto b = as_boolean(v);
        if (!b) return failure{"Must be a valid boolean.", "invalid"};
        return json::value(*b);
    }
    case kind::choice: return check_choice(f, v);
    case kind::string_list: return check_string_list(v);
    case kind::user_ref:
    case kind::account_ref: return check_reference(f, f.type, v, exists);
    case kind::schedule_refs: return check_references(f, v, exists);
    default: return check_text(f, v);
    }
}

}  // namespace

validation validate(const std::vector<field>& fields, const json::object& body, bool create,
                    const reference_check& exists) {
    validation out;
    for (const field& f : fields) {
        presence p = create ? f.on_create : f.on_update;
        if (p == presence::read_only) continue;  // DRF ignores read-only input
        const json::value* v = body.if_contains(f.name);
        if (!v) {
            if (p == presence::required) out.errors[f.name] = error_list("This field is required.", "required");
            continue;
        }
        if (v->is_null()) {
            if (f.nullable) out.values[f.name] = nullptr;
            else out.errors[f.name] = error_list("This field may not be null.", "null");
            continue;
        }
        auto result = check(f, *v, exists);
        if (auto* bad = std::get_if<failure>(&result))
            out.errors[f.name] = error_list(bad->message, bad->code);
        else
            out.values[f.name] = std::move(std::get<json::value>(result));
    }
    return out;
}

}  // namespace sim::cpm
