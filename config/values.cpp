#include "config/values.hpp"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

namespace bg::config {
namespace {

constexpr std::string_view duration_hint =
    "expected a duration such as 250ms, 2s, 1m or 1h (a plain integer is seconds)";
constexpr std::string_view size_hint = "expected a size such as 512, 16KiB, 10MiB or 1GiB (a plain integer is bytes)";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A number followed by a unit: "250ms" → {250, "ms"}. The problems are phrased
// with `hint`, which says what a good value looks like.
struct number_and_unit {
    std::uint64_t number = 0;
    std::string_view unit;
};

parsed<number_and_unit> split_number(std::string_view text, std::string_view hint)
{
    using result = parsed<number_and_unit>;
    if (!text.empty() && text.front() == '-')
        return result::failure("must not be negative");
    auto digits_end = std::find_if_not(text.begin(), text.end(), is_digit);
    auto digits = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
    if (digits.empty())
        return result::failure(std::string(hint));
    auto rest = text.substr(digits.size());
    if (!rest.empty() && (rest.front() == '.' || rest.front() == ','))
        return result::failure("fractions are not supported; use a smaller unit");
    if (!std::all_of(rest.begin(), rest.end(), is_alpha))
        return result::failure(std::string(hint));
    number_and_unit out;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.number);
    if (ec == std::errc::result_out_of_range)
        return result::failure("is too large");
    out.unit = rest;
    return {out, {}};
}

// `number` * `factor` unless it exceeds `max`.
std::optional<std::uint64_t> scaled(std::uint64_t number, std::uint64_t factor, std::uint64_t max)
{
    if (number > max / factor)
        return std::nullopt;
    return number * factor;
}

struct unit_factor {
    std::string_view unit;
    std::uint64_t factor;
};

constexpr std::array<unit_factor, 5> duration_units{
    {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};

constexpr std::uint64_t ki = 1024;
constexpr std::array<unit_factor, 9> size_units{{{"", 1},
                                                 {"b", 1},
                                                 {"kib", ki},
                                                 {"mib", ki* ki},
                                                 {"gib", ki* ki* ki},
                                                 {"tib", ki* ki* ki* ki},
                                                 {"kb", 1000},
                                                 {"mb", 1000'000},
                                                 {"gb", 1000'000'000}}};

template <std::size_t N>
const unit_factor* find_unit(const std::array<unit_factor, N>& units, std::string_view unit)
{
    auto it = std::find_if(units.begin(), units.end(), [&](const unit_factor& u) { return u.unit == unit; });
    return it == units.end() ? nullptr : &*it;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The hex digits of `text` with the optional ':' between byte pairs removed;
// nullopt when a colon is anywhere else.
std::optional<std::string> strip_pair_colons(std::string_view text)
{
    std::string digits;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ':') {
            digits += text[i];
            continue;
        }
        bool between_pairs = !digits.empty() && digits.size() % 2 == 0 && i + 1 < text.size() && text[i + 1] != ':';
        if (!between_pairs)
            return std::nullopt;
    }
    return digits;
}

bool is_var_start(char c) { return is_alpha(c) || c == '_'; }
bool is_var_char(char c) { return is_var_start(c) || is_digit(c); }

}  // namespace

std::string quote(std::string_view text)
{
    constexpr std::size_t max_shown = 80;
    std::string shown(text.substr(0, max_shown));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    return "'" + shown + (text.size() > max_shown ? "...'" : "'");
}

parsed<duration> parse_duration(std::string_view text)
{
    auto split = split_number(text, duration_hint);
    if (!split)
        return parsed<duration>::failure(split.problem);
    const auto* unit = find_unit(duration_units, split.value->unit);
    if (unit == nullptr)
        return parsed<duration>::failure("unknown duration unit; expected ms, s, m or h");
    auto max_ms = static_cast<std::uint64_t>(max_duration.count());
    auto ms = scaled(split.value->number, unit->factor, max_ms);
    if (!ms)
        return parsed<duration>::failure("is too large (at most 8760h, one year)");
    return {duration(static_cast<duration::rep>(*ms)), {}};
}

parsed<rate> parse_rate(std::string_view text)
{
    constexpr std::string_view hint = "a rate such as 50/10s, 100/s or 5/m";
    const auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return parsed<rate>::failure(std::string("expected ") + std::string(hint));
    auto count = parse_unsigned(text.substr(0, slash), 1'000'000'000);
    if (!count || *count.value == 0)
        return parsed<rate>::failure("expected a count of requests from 1 to 10^9 before '/' (" + std::string(hint) +
                                     ")");
    std::string period(text.substr(slash + 1));
    if (!period.empty() && !(period.front() >= '0' && period.front() <= '9'))
        period.insert(0, "1");  // "100/s" is 100 per 1s
    auto d = parse_duration(period);
    if (!d)
        return parsed<rate>::failure("the period after '/' " + d.problem);
    if (d.value->count() <= 0)
        return parsed<rate>::failure("the period after '/' must be at least 1ms");
    return {rate{*count.value, *d.value}, {}};
}

parsed<std::uint64_t> parse_size(std::string_view text)
{
    auto split = split_number(text, size_hint);
    if (!split)
        return parsed<std::uint64_t>::failure(split.problem);
    const auto* unit = find_unit(size_units, boost::algorithm::to_lower_copy(std::string(split.value->unit)));
    if (unit == nullptr)
        return parsed<std::uint64_t>::failure("unknown size unit; expected B, KiB, MiB, GiB, TiB, KB, MB or GB");
    auto bytes = scaled(split.value->number, unit->factor, std::numeric_limits<std::uint64_t>::max());
    if (!bytes)
        return parsed<std::uint64_t>::failure("is too large");
    return {bytes, {}};
}

parsed<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max)
{
    using result = parsed<std::uint64_t>;
    auto range = "an integer from 0 to " + std::to_string(max);
    if (!text.empty() && text.front() == '-')
        return result::failure("must not be negative; expected " + range);
    if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit))
        return result::failure("expected " + range);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range || value > max)
        return result::failure("is too large; expected " + range);
    return {value, {}};
}

parsed<bool> parse_bool(std::string_view text)
{
    if (text == "true" || text == "True" || text == "TRUE")
        return {true, {}};
    if (text == "false" || text == "False" || text == "FALSE")
        return {false, {}};
    return parsed<bool>::failure("expected true or false");
}

parsed<sha256_digest> parse_sha256_hex(std::string_view text, bool allow_colons)
{
    using result = parsed<sha256_digest>;
    auto expected = std::string("expected a SHA-256 digest: 64 hexadecimal digits") +
                    (allow_colons ? " (optionally AB:CD:... pairs)" : "");
    auto digits = allow_colons ? strip_pair_colons(text) : std::optional<std::string>(text);
    if (!digits)
        return result::failure(expected + "; found a misplaced ':'");
    if (digits->size() != 64)
        return result::failure(expected + "; found " + std::to_string(digits->size()) + " digits");
    sha256_digest out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        int high = hex_value((*digits)[2 * i]);
        int low = hex_value((*digits)[2 * i + 1]);
        if (high < 0 || low < 0)
            return result::failure(expected + "; found a non-hexadecimal character");
        out[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return {out, {}};
}

parsed<upstream_url> parse_upstream_url(std::string_view text)
{
    using result = parsed<upstream_url>;
    auto parsed_url = boost::urls::parse_uri(text);
    if (!parsed_url)
        return result::failure("expected an absolute http:// or https:// URL such as https://host/api");
    const auto& u = *parsed_url;
    upstream_url out;
    out.scheme = boost::algorithm::to_lower_copy(std::string(u.scheme()));
    if (out.scheme != "http" && out.scheme != "https")
        return result::failure("expected an http:// or https:// URL");
    if (u.has_userinfo())
        return result::failure("must not contain user information (user:password@); put secrets under credentials:");
    if (u.host_type() == boost::urls::host_type::none || u.encoded_host().empty())
        return result::failure("expected a URL with a host, such as https://host/api");
    if (u.host_type() == boost::urls::host_type::ipvfuture)
        return result::failure("expected a host name or an IPv4/IPv6 address");
    if (u.has_query() || u.has_fragment())
        return result::failure("must not contain a query (?...) or a fragment (#...)");
    if (u.has_port() && u.port_number() == 0)
        return result::failure("expected a port from 1 to 65535 after the host");
    out.host = u.host_address();
    out.port = u.has_port() ? u.port_number() : (out.scheme == "https" ? 443 : 80);
    std::string path(u.encoded_path());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    out.base_path = std::move(path);
    return {out, {}};
}

parsed<std::string> substitute_env(std::string_view text, const env_lookup& env)
{
    using result = parsed<std::string>;
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out += text[i++];
            continue;
        }
        auto close = text.find('}', i + 2);
        if (close == std::string_view::npos)
            return result::failure("unterminated '${' (write '$${' for a literal '${')");
        auto name = text.substr(i + 2, close - i - 2);
        if (name.empty() || !is_var_start(name.front()) || !std::all_of(name.begin(), name.end(), is_var_char))
            return result::failure("invalid environment variable name " + quote(name) +
                                   " in ${...}; expected letters, digits and '_' (write '$${' for a literal '${')");
        auto value = env(std::string(name));
        if (!value)
            return result::failure("environment variable " + std::string(name) + " is not set");
        out += *value;
        i = close + 1;
    }
    return {out, {}};
}

bool valid_hsts(std::string_view text)
{
    bool max_age = false;
    std::vector<std::string> directives;
    boost::algorithm::split(directives, text, [](char c) { return c == ';'; });
    for (auto& d : directives) {
        boost::algorithm::trim(d);
        if (boost::algorithm::istarts_with(d, "max-age=")) {
            const auto seconds = std::string_view(d).substr(8);
            if (max_age || seconds.empty() || !std::all_of(seconds.begin(), seconds.end(), [](char c) {
                    return c >= '0' && c <= '9';
                }))
                return false;
            max_age = true;
        } else if (!boost::algorithm::iequals(d, "includeSubDomains") && !boost::algorithm::iequals(d, "preload")) {
            return false;
        }
    }
    return max_age;
}

}  // namespace bg::config
