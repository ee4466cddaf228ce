#include "gateway/http_util.hpp"

#include <charconv>

#include "core/ascii.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/pct_string_view.hpp>

#include <array>
#include <random>
#include <vector>

namespace bg {

bool is_http_protocol_error(boost::system::error_code ec)
{
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::need_more && ec != http::error::need_buffer;
}

void remove_hop_by_hop(http::fields& fields)
{
    // Headers named in Connection go first, while Connection is still there.
    std::vector<std::string> named;
    for (auto it = fields.find(http::field::connection); it != fields.end() && it->name() == http::field::connection;
         ++it) {
        std::string_view list = it->value();
        while (!list.empty()) {
            const auto comma = list.find(',');
            auto token = list.substr(0, comma);
            while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
                token.remove_prefix(1);
            while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
                token.remove_suffix(1);
            if (!token.empty())
                named.emplace_back(token);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
    }
    for (const auto& name : named)
        fields.erase(name);
    static constexpr std::array hop_by_hop{
        http::field::connection,  http::field::keep_alive,        http::field::proxy_connection,
        http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
        http::field::trailer,     http::field::transfer_encoding, http::field::upgrade,
    };
    for (auto f : hop_by_hop)
        fields.erase(f);
}

bool is_idempotent(http::verb m)
{
    return m == http::verb::get || m == http::verb::head || m == http::verb::options || m == http::verb::trace ||
           m == http::verb::put || m == http::verb::delete_;
}

std::string request_id_for(std::string_view from_client)
{
    auto sane = [](std::string_view id) {
        if (id.empty() || id.size() > 128)
            return false;
        for (char c : id)
            if (c <= 0x20 || c >= 0x7f)
                return false;
        return true;
    };
    if (sane(from_client))
        return std::string(from_client);
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        auto bits = rng();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            id[static_cast<std::size_t>(half * 16 + i)] = hex[bits & 0xf];
    }
    return id;
}

std::string combined_values(const http::fields& fields, std::string_view name)
{
    std::string out;
    for (const auto& f : fields) {
        if (!bg::iequals(f.name_string(), name))
            continue;
        if (!out.empty())
            out.append(", ");
        out.append(f.value());
    }
    return out;
}

std::string forwarded_for(std::string_view existing, std::string_view client_ip)
{
    if (existing.empty())
        return std::string(client_ip);
    std::string out;
    out.reserve(existing.size() + 2 + client_ip.size());
    out.append(existing).append(", ").append(client_ip);
    return out;
}

namespace {

void append_version(std::string& out, unsigned version)
{
    out += "HTTP/";
    out += static_cast<char>('0' + version / 10 % 10);
    out += '.';
    out += static_cast<char>('0' + version % 10);
}

void append_fields(std::string& out, const http::fields& fields)
{
    for (const auto& f : fields) {
        out += f.name_string();
        out += ": ";
        out += f.value();
        out += "\r\n";
    }
    out += "\r\n";
}

}  // namespace

void append_head(std::string& out, const http::request_header<>& head)
{
    out += head.method_string();
    out += ' ';
    out += head.target();
    out += ' ';
    append_version(out, head.version());
    out += "\r\n";
    append_fields(out, head);
}

void append_head(std::string& out, const http::response_header<>& head)
{
    append_version(out, head.version());
    const unsigned status = head.result_int();
    out += ' ';
    out += static_cast<char>('0' + status / 100 % 10);
    out += static_cast<char>('0' + status / 10 % 10);
    out += static_cast<char>('0' + status % 10);
    out += ' ';
    out += head.reason();
    out += "\r\n";
    append_fields(out, head);
}

double accept_quality(std::string_view accept, std::string_view type)
{
    const auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
            v.remove_suffix(1);
        return v;
    };
    if (trim(accept).empty())
        return 1.0;
    const auto slash = type.find('/');
    const auto main_type = type.substr(0, slash);
    int best = -1;  // 2 exact, 1 type/*, 0 */*
    double quality = 0.0;
    std::size_t at = 0;
    while (at <= accept.size()) {
        const auto comma = std::min(accept.find(',', at), accept.size());
        const auto range = accept.substr(at, comma - at);
        at = comma + 1;
        const auto semi = range.find(';');
        const auto media = trim(range.substr(0, semi));
        int rank = -1;
        if (bg::iequals(media, type))
            rank = 2;
        else if (media.size() == main_type.size() + 2 && bg::iequals(media.substr(0, main_type.size()), main_type) &&
                 media.substr(main_type.size()) == "/*")
            rank = 1;
        else if (media == "*/*")
            rank = 0;
        if (rank <= best)
            continue;
        double q = 1.0;
        for (auto params = semi == std::string_view::npos ? std::string_view() : range.substr(semi + 1);
             !params.empty();) {
            const auto next = std::min(params.find(';'), params.size());
            const auto param = trim(params.substr(0, next));
            params.remove_prefix(std::min(next + 1, params.size()));
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                const auto value = param.substr(2);
                double v = 0;
                const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
                q = ec == std::errc{} && end == value.data() + value.size() && v >= 0 && v <= 1 ? v : 0.0;
            }
        }
        best = rank;
        quality = q;
    }
    return quality;
}

}  // namespace bg

namespace bg {
namespace {

bool secret_named(std::string_view encoded_name)
{
    // The name as a client means it: percent-decoded (when it is valid), lowercased.
    std::string name;
    if (auto pct = boost::urls::make_pct_string_view(encoded_name))
        name = pct->decode();
    else
        name = encoded_name;
    for (auto& c : name)
        c = static_cast<char>(ascii_lower(c));
    static constexpr std::string_view within[] = {"token",  "secret",     "passw",   "pwd",  "apikey",
                                                  "api_key", "api-key",   "signature", "credential",
                                                  "session", "auth",      "cookie",  "private"};
    static constexpr std::string_view whole[] = {"sig", "code", "otp", "pin"};
    for (auto w : within)
        if (name.find(w) != std::string::npos)
            return true;
    for (auto w : whole)
        if (name == w)
            return true;
    // accessKey, x-api-key, sort_key: masking one too many is harmless.
    return name.ends_with("key");
}

}  // namespace

std::string masked_query(std::string_view query)
{
    std::string out;
    out.reserve(query.size());
    while (true) {
        const auto amp = query.find('&');
        const auto part = query.substr(0, amp);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && secret_named(part.substr(0, eq))) {
            out.append(part.substr(0, eq + 1));
            out.append("***");
        } else {
            out.append(part);
        }
        if (amp == std::string_view::npos)
            break;
        out += '&';
        query.remove_prefix(amp + 1);
    }
    return out;
}

}  // namespace bg
