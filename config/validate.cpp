// validate(): the rules that span several values or need the outside world
// (files readable, backend types known). load() has already checked each
// value's own shape; these checks also hold for a configuration built in code.
#include "config/config.hpp"
#include "config/files.hpp"
#include "config/yaml_reader.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace bg::config {
namespace {

constexpr unsigned max_threads = 256;

// Two addresses can clash on a port when equal or when either is a wildcard.
bool overlapping(const std::string& a, const std::string& b)
{
    boost::system::error_code ec_a;
    boost::system::error_code ec_b;
    auto ip_a = boost::asio::ip::make_address(a, ec_a);
    auto ip_b = boost::asio::ip::make_address(b, ec_b);
    if (ec_a || ec_b)
        return a == b;
    return ip_a == ip_b || ip_a.is_unspecified() || ip_b.is_unspecified();
}

class validator {
public:
    validator(const gateway_config& cfg, const std::vector<backend_check>& types) : cfg_(cfg), types_(types) {}

    void run()
    {
        check_listeners();
        check_admin();
        check_threads();
        check_limits();
        check_pagination();
        for (std::size_t i = 0; i < cfg_.backends.size(); ++i)
            check_backend(i);
        for (std::size_t i = 0; i < cfg_.clients.size(); ++i)
            check_client(i);
    }

private:
    [[noreturn]] void fail(const std::string& path, const std::string& message) const
    {
        throw error(cfg_.source_file, cfg_.where_of(path), message);
    }

    // " (line 12)" when the path came from the YAML.
    std::string at_line(const std::string& path) const
    {
        int line = cfg_.where_of(path).line;
        return line > 0 ? " (line " + std::to_string(line) + ")" : "";
    }

    static std::string path_of(const origin& where, std::string_view list, std::size_t index)
    {
        return where.path.empty() ? item_path(list, index) : where.path;
    }

    void check_readable(const std::string& path, const std::string& file) const
    {
        if (auto why = unreadable(file))
            fail(path, *why);
    }

    void check_positive(const std::string& path, duration value) const
    {
        if (value <= duration::zero())
            fail(path, "expected a duration greater than 0");
    }

    template <class Number>
    void check_at_least_one(const std::string& path, Number value) const
    {
        if (value < 1)
            fail(path, "expected an integer of at least 1, got 0");
    }

    // ------------------------------------------------------------ listeners

    std::string listener_path(std::size_t i) const { return path_of(cfg_.listeners[i].where, "listen", i); }

    void check_listeners() const
    {
        if (cfg_.listeners.empty())
            fail("listen", "expected at least one listener");
        for (std::size_t i = 0; i < cfg_.listeners.size(); ++i) {
            check_listener_tls(i);
            check_listener_port(i);
        }
    }

    void check_listener_tls(std::size_t i) const
    {
        const auto& tls = cfg_.listeners[i].tls;
        if (!tls)
            return;
        auto path = listener_path(i) + ".tls";
        check_readable(path + ".cert", tls->cert_file);
        check_readable(path + ".key", tls->key_file);
        if (tls->client_ca_file)
            check_readable(path + ".client_ca", *tls->client_ca_file);
    }

    void check_listener_port(std::size_t i) const
    {
        const auto& l = cfg_.listeners[i];
        if (l.port == 0)  // an ephemeral port: never shared
            return;
        for (std::size_t j = 0; j < i; ++j) {
            const auto& other = cfg_.listeners[j];
            if (other.port == l.port && overlapping(other.address, l.address))
                fail(listener_path(i) + ".port", "port " + std::to_string(l.port) + " on " + l.address +
                                                     " is already used by " + listener_path(j) +
                                                     at_line(listener_path(j)) + "; each listener needs its own port");
        }
    }

    void check_admin() const
    {
        const auto& admin = cfg_.admin;
        if (!admin.enabled)
            return;
        // Beyond loopback, the status page, /metrics and /-/reload are for whoever holds the token.
        boost::system::error_code ec;
        const auto ip = boost::asio::ip::make_address(admin.address, ec);
        if (admin.token.empty() && (ec || !ip.is_loopback()))
            fail("admin.address", "the admin listener on " + admin.address +
                                      " is reachable beyond this machine: set admin.token or admin.token_file (the "
                                      "bearer token every admin path but /healthz and /readyz then requires), or "
                                      "bind it to 127.0.0.1");
        if (admin.port == 0)
            return;
        for (std::size_t i = 0; i < cfg_.listeners.size(); ++i) {
            const auto& l = cfg_.listeners[i];
            if (l.port == admin.port && overlapping(l.address, admin.address))
                fail("admin.port", "port " + std::to_string(admin.port) + " on " + admin.address +
                                       " is already used by " + listener_path(i) + at_line(listener_path(i)) +
                                       "; the admin listener needs its own port");
        }
    }

    // ------------------------------------------------------------ process-wide settings

    void check_threads() const
    {
        if (cfg_.threads > max_threads)
            fail("threads", "expected 'auto' or an integer from 1 to " + std::to_string(max_threads) + ", got " +
                                std::to_string(cfg_.threads));
    }

    void check_limits() const
    {
        const auto& l = cfg_.limits;
        check_at_least_one("limits.max_header_bytes", l.max_header_bytes);
        check_positive("limits.header_timeout", l.header_timeout);
        check_positive("limits.body_timeout", l.body_timeout);
        check_positive("limits.idle_timeout", l.idle_timeout);
        check_at_least_one("limits.max_connections", l.max_connections);
    }

    void check_pagination() const
    {
        const auto& p = cfg_.pagination;
        check_at_least_one("pagination.default_limit", p.default_limit);
        if (p.max_limit < p.default_limit)
            fail("pagination.max_limit", "expected at least default_limit (" + std::to_string(p.default_limit) +
                                             "), got " + std::to_string(p.max_limit));
        else if (p.max_limit > max_page_window)
            fail("pagination.max_limit", "expected at most " + std::to_string(max_page_window) +
                                             " (a window is held whole in memory), got " +
                                             std::to_string(p.max_limit));
        check_at_least_one("pagination.max_upstream_requests", p.max_upstream_requests);
    }

    // ------------------------------------------------------------ backends

    std::string backend_path(std::size_t i) const { return path_of(cfg_.backends[i].where, "backends", i); }

    void check_backend(std::size_t i) const
    {
        const auto& b = cfg_.backends[i];
        auto path = backend_path(i);
        for (std::size_t j = 0; j < i; ++j)
            if (cfg_.backends[j].name == b.name)
                fail(path + ".name", "backend '" + b.name + "' is already defined by " + backend_path(j) +
                                         at_line(backend_path(j)) + "; backend names must be unique");
        check_backend_tls(b, path + ".tls");
        check_positive(path + ".timeouts.connect", b.timeouts.connect);
        check_positive(path + ".timeouts.request", b.timeouts.request);
        check_positive(path + ".timeouts.idle", b.timeouts.idle);
        check_backend_type(b, path);
        check_rate_limits(b.rate_limits, path + ".rate_limits");
    }

    // Two limits with the same rate and burst would share one key (and count
    // every request twice): one of them is a mistake.
    void check_rate_limits(const std::vector<rate_limit>& limits, const std::string& path) const
    {
        for (std::size_t k = 0; k < limits.size(); ++k)
            for (std::size_t j = 0; j < k; ++j)
                if (limits[j].count * limits[k].period.count() == limits[k].count * limits[j].period.count() &&
                    limits[j].burst == limits[k].burst)
                    fail(item_path(path, k), "the same rate and burst as " + item_path(path, j) +
                                                 at_line(item_path(path, j)) + "; remove one");
    }

    void check_backend_tls(const backend& b, const std::string& path) const
    {
        const auto& tls = b.tls;
        bool any_tls_setting = tls.ca_file || tls.pin_sha256 || tls.server_name || !tls.verify;
        if (b.url.scheme == "http" && any_tls_setting)
            fail(path, "TLS settings are given but base_url is http://; use https:// or remove tls:");
        if (tls.ca_file && !tls.verify)
            fail(path + ".ca_file", "ca_file is given but verify is false; remove one of them");
        if (tls.ca_file)
            check_readable(path + ".ca_file", *tls.ca_file);
    }

    void check_backend_type(const backend& b, const std::string& path) const
    {
        auto known =
            std::find_if(types_.begin(), types_.end(), [&](const backend_check& t) { return t.type == b.type; });
        if (known == types_.end())
            fail(path + ".type", unknown_type_message(b.type));
        if (known->check == nullptr)
            return;
        auto problems = known->check(b);
        if (problems.empty())
            return;
        const auto& [where, message] = problems.front();
        origin at = where.path.empty() ? cfg_.where_of(path) : where;
        if (at.line == 0)
            at.line = cfg_.where_of(at.path).line;
        throw error(cfg_.source_file, at, message);
    }

    std::string unknown_type_message(const std::string& type) const
    {
        std::vector<std::string_view> names;
        for (const auto& t : types_)
            names.push_back(t.type);
        std::sort(names.begin(), names.end());
        std::string message = "unknown backend type '" + type + "'; expected one of";
        for (std::size_t i = 0; i < names.size(); ++i)
            message += (i == 0 ? " " : ", ") + std::string(names[i]);
        if (auto guess = closest(type, names))
            message += "; did you mean '" + std::string(*guess) + "'?";
        return message;
    }

    // ------------------------------------------------------------ clients

    std::string client_path(std::size_t i) const { return path_of(cfg_.clients[i].where, "clients", i); }

    void check_client(std::size_t i) const
    {
        const auto& c = cfg_.clients[i];
        auto path = client_path(i);
        for (std::size_t j = 0; j < i; ++j) {
            const auto& other = cfg_.clients[j];
            if (other.name == c.name)
                fail(path + ".name", "client '" + c.name + "' is already defined by " + client_path(j) +
                                         at_line(client_path(j)) + "; client names must be unique");
            if (other.api_key_sha256 == c.api_key_sha256)
                fail(path + ".api_key_sha256", "the same key digest as " + client_path(j) + at_line(client_path(j)) +
                                                   "; each client needs its own API key");
        }
        check_client_backends(c, path + ".backends");
        check_rate_limits(c.rate_limits, path + ".rate_limits");
    }

    void check_client_backends(const client& c, const std::string& path) const
    {
        if (c.backends.empty())
            fail(path, "expected at least one backend name, or \"*\" for all");
        for (std::size_t k = 0; k < c.backends.size(); ++k) {
            const auto& name = c.backends[k];
            auto item = item_path(path, k);
            if (name == "*" && c.backends.size() > 1)
                fail(item, "\"*\" (all backends) must be the only entry");
            if (std::find(c.backends.begin(), c.backends.begin() + static_cast<std::ptrdiff_t>(k), name) !=
                c.backends.begin() + static_cast<std::ptrdiff_t>(k))
                fail(item, "backend '" + name + "' is listed twice");
            if (name != "*" && cfg_.find_backend(name) == nullptr)
                fail(item, unknown_backend_message(name));
        }
    }

    std::string unknown_backend_message(const std::string& name) const
    {
        std::vector<std::string_view> names;
        for (const auto& b : cfg_.backends)
            names.push_back(b.name);
        std::string message = "unknown backend '" + name + "'; expected a name from backends: or \"*\"";
        if (auto guess = closest(name, names))
            message += "; did you mean '" + std::string(*guess) + "'?";
        return message;
    }

    const gateway_config& cfg_;
    const std::vector<backend_check>& types_;
};

}  // namespace

void validate(const gateway_config& cfg, const std::vector<backend_check>& types) { validator(cfg, types).run(); }

}  // namespace bg::config
