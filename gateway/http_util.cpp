#include "gateway/http_util.hpp"

#include "core/ascii.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

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

}  // namespace bg
