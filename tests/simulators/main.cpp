// backup-sim: serves the simulated vendors, each on its own port, until SIGINT
// or SIGTERM. Flags, the YAML file and the ready line: docs/simulators.md.
#include "tests/simulators/common/server.hpp"

// The vendors' headers, SIM_KNOWN_VENDORS and SIM_BUILT_VENDORS, generated
// from BG_VENDORS (vendors.cmake) by tests/simulators/CMakeLists.txt.
#include "tests/simulators/vendors.inc"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace {

namespace json = boost::json;

// A mistake in the flags or the YAML file: exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr auto vendor_names = std::to_array<std::string_view>({SIM_KNOWN_VENDORS});

std::vector<std::pair<std::string_view, sim::vendor_factory>> built_vendors() {
    std::vector<std::pair<std::string_view, sim::vendor_factory>> built;
#define X(vendor) built.emplace_back(#vendor, sim::make_##vendor);
    SIM_BUILT_VENDORS
#undef X
    return built;
}

constexpr std::string_view usage_text =
    "usage: backup-sim [--config FILE.yaml] [--address A] [--threads N] [--tls-cert F --tls-key F]\n"
    "                  [--only cpm,backupdr,veeam,cloudbasic] [--access-ttl S] [--refresh-ttl S] [--seed N]\n"
    "                  [--<vendor>-port N] [--<vendor>-access-ttl S] [--<vendor>-refresh-ttl S]\n"
    "                  [--<vendor>-seed N] [--<vendor>-<key>=<value> ...]\n"
    "Prints {\"ready\":true,\"ports\":{...},\"tls\":false} once every port listens; see docs/simulators.md.\n";

// One setting for one vendor (or, with an empty vendor, for all of them).
// Settings apply in this order, the more specific winning: YAML globals, global
// flags, YAML per vendor, per-vendor flags.
struct assignment {
    std::string vendor;
    std::string key;  // underscores: "access_ttl", "api_key", ...
    std::string value;
    std::string origin;  // for messages: "--cpm-port", "config.yaml:12"
};

struct settings {
    std::optional<std::string> address;
    std::optional<int> threads;
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    std::optional<std::set<std::string>> only;
    std::vector<assignment> global;
    std::vector<assignment> per_vendor;
};

std::string underscores(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

template <class Int>
Int parse_int(std::string_view text, std::string_view what) {
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw usage_error(std::string(what) + ": expected a non-negative integer, got \"" + std::string(text) + "\"");
    return value;
}

bool is_vendor_name(std::string_view name) {
    return std::find(vendor_names.begin(), vendor_names.end(), name) != vendor_names.end();
}

std::set<std::string> parse_only(std::string_view list, std::string_view what) {
    std::set<std::string> names;
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string name(list.substr(0, comma));
        if (!is_vendor_name(name)) throw usage_error(std::string(what) + ": unknown vendor \"" + name + "\"");
        names.insert(name);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    if (names.empty()) throw usage_error(std::string(what) + ": no vendor named");
    return names;
}

// "--cpm-api-key" -> {"cpm", "api_key"}; nullopt when no vendor prefix.
std::optional<std::pair<std::string, std::string>> vendor_flag(std::string_view name) {
    for (auto vendor : vendor_names)
        if (name.size() > vendor.size() + 1 && name.starts_with(vendor) && name[vendor.size()] == '-')
            return std::pair{std::string(vendor), underscores(std::string(name.substr(vendor.size() + 1)))};
    return std::nullopt;
}

bool is_known_flag(std::string_view name) {
    static constexpr std::array<std::string_view, 10> global{"config",     "address",     "threads", "tls-cert",
                                                             "tls-key",    "only",        "access-ttl",
                                                             "refresh-ttl", "seed", "help"};
    return std::find(global.begin(), global.end(), name) != global.end() || vendor_flag(name).has_value();
}

void apply_flag(settings& s, std::string_view name, const std::string& value) {
    std::string origin = "--" + std::string(name);
    if (name == "address") s.address = value;
    else if (name == "threads") s.threads = parse_int<int>(value, origin);
    else if (name == "tls-cert") s.tls_cert = value;
    else if (name == "tls-key") s.tls_key = value;
    else if (name == "only") s.only = parse_only(value, origin);
    else if (name == "access-ttl" || name == "refresh-ttl" || name == "seed")
        s.global.push_back({"", underscores(std::string(name)), value, origin});
    else if (auto flag = vendor_flag(name))
        s.per_vendor.push_back({flag->first, flag->second, value, origin});
    else
        throw usage_error("unknown flag " + origin);
}

struct command_line {
    std::optional<std::string> config_file;
    settings flags;
};

command_line parse_command_line(int argc, char** argv) {
    command_line cl;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage_text;
            std::exit(0);
        }
        if (!arg.starts_with("--") || arg.size() == 2) throw usage_error("unexpected argument \"" + std::string(arg) + "\"");
        arg.remove_prefix(2);
        auto eq = arg.find('=');
        std::string_view name = arg.substr(0, eq);
        if (!is_known_flag(name)) throw usage_error("unknown flag --" + std::string(name));
        std::string value;
        if (eq != std::string_view::npos)
            value = std::string(arg.substr(eq + 1));
        else if (i + 1 < argc)
            value = argv[++i];
        else
            throw usage_error("--" + std::string(name) + " needs a value");
        if (name == "config")
            cl.config_file = value;
        else
            apply_flag(cl.flags, name, value);
    }
    return cl;
}

// --- the YAML file ---

std::string where(const std::string& file, const YAML::Node& node) {
    return file + ":" + std::to_string(node.Mark().line + 1);
}

// A scalar as text; a sequence of scalars joined with commas (e.g. versions).
std::string scalar_text(const YAML::Node& node, const std::string& origin) {
    if (node.IsScalar()) return node.Scalar();
    if (node.IsSequence()) {
        std::string joined;
        for (const auto& item : node) {
            if (!item.IsScalar()) throw usage_error(origin + ": expected a list of plain values");
            joined += (joined.empty() ? "" : ",") + item.Scalar();
        }
        return joined;
    }
    throw usage_error(origin + ": expected a value or a list of values");
}

void load_vendor_section(settings& s, const std::string& vendor, const YAML::Node& section, const std::string& file) {
    if (!section.IsMap()) throw usage_error(where(file, section) + ": \"" + vendor + "\" must be a map");
    for (const auto& entry : section) {
        std::string origin = where(file, entry.first);
        s.per_vendor.push_back({vendor, underscores(entry.first.as<std::string>()), scalar_text(entry.second, origin), origin});
    }
}

void load_tls_section(settings& s, const YAML::Node& tls, const std::string& file) {
    if (!tls.IsMap()) throw usage_error(where(file, tls) + ": \"tls\" must be a map with cert and key");
    for (const auto& entry : tls) {
        auto key = entry.first.as<std::string>();
        if (key == "cert") s.tls_cert = entry.second.as<std::string>();
        else if (key == "key") s.tls_key = entry.second.as<std::string>();
        else throw usage_error(where(file, entry.first) + ": unknown key tls." + key + " (expected cert, key)");
    }
}

settings load_config_file(const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(file);
    } catch (const YAML::Exception& e) {
        throw usage_error(file + ": " + e.what());
    }
    settings s;
    if (root.IsNull()) return s;
    if (!root.IsMap()) throw usage_error(file + ": expected a map at the top level");
    for (const auto& entry : root) {
        auto key = entry.first.as<std::string>();
        std::string origin = where(file, entry.first);
        const YAML::Node& value = entry.second;
        if (key == "address") s.address = scalar_text(value, origin);
        else if (key == "threads") s.threads = parse_int<int>(scalar_text(value, origin), origin);
        else if (key == "tls") load_tls_section(s, value, file);
        else if (key == "only") s.only = parse_only(scalar_text(value, origin), origin);
        else if (key == "access_ttl" || key == "refresh_ttl" || key == "seed")
            s.global.push_back({"", key, scalar_text(value, origin), origin});
        else if (is_vendor_name(key)) load_vendor_section(s, key, value, file);
        else throw usage_error(origin + ": unknown key \"" + key + "\"");
    }
    return s;
}

// --- putting it together ---

void assign(sim::options& opts, const assignment& a) {
    if (a.key == "port") opts.port = parse_int<std::uint16_t>(a.value, a.origin);
    else if (a.key == "access_ttl") opts.access_ttl = std::chrono::seconds{parse_int<std::int64_t>(a.value, a.origin)};
    else if (a.key == "refresh_ttl") opts.refresh_ttl = std::chrono::seconds{parse_int<std::int64_t>(a.value, a.origin)};
    else if (a.key == "seed") opts.seed = parse_int<std::uint64_t>(a.value, a.origin);
    else opts.extra[a.key] = a.value;
}

struct plan {
    sim::server_options server;
    std::vector<std::pair<std::string_view, sim::vendor_factory>> vendors;
    std::map<std::string, sim::options, std::less<>> options;
};

template <class T>
void overlay(std::optional<T>& base, const std::optional<T>& top) {
    if (top) base = top;
}

plan make_plan(const command_line& cl) {
    settings s = cl.config_file ? load_config_file(*cl.config_file) : settings{};
    overlay(s.address, cl.flags.address);
    overlay(s.threads, cl.flags.threads);
    overlay(s.tls_cert, cl.flags.tls_cert);
    overlay(s.tls_key, cl.flags.tls_key);
    overlay(s.only, cl.flags.only);
    if (s.tls_cert.has_value() != s.tls_key.has_value()) throw usage_error("TLS needs both --tls-cert and --tls-key");
    if (s.threads && *s.threads < 1) throw usage_error("--threads must be at least 1");

    plan p;
    p.server.address = s.address.value_or("127.0.0.1");
    p.server.threads = s.threads.value_or(1);
    p.server.tls_cert_file = s.tls_cert;
    p.server.tls_key_file = s.tls_key;
    for (auto& [name, factory] : built_vendors())
        if (!s.only || s.only->contains(std::string(name))) p.vendors.emplace_back(name, factory);
    if (s.only)
        for (const auto& wanted : *s.only)
            if (std::none_of(p.vendors.begin(), p.vendors.end(), [&](const auto& v) { return v.first == wanted; }))
                throw usage_error("vendor \"" + wanted + "\" is not built into this backup-sim");
    if (p.vendors.empty()) throw usage_error("no vendor is built into this backup-sim");

    std::vector<const assignment*> ordered;
    const std::array<const std::vector<assignment>*, 4> layers{&s.global, &cl.flags.global, &s.per_vendor,
                                                                &cl.flags.per_vendor};
    for (const auto* list : layers)
        for (const auto& a : *list) ordered.push_back(&a);
    for (const auto& [name, factory] : p.vendors) {
        sim::options& opts = p.options[std::string(name)];
        // The documents' own lifetimes, where one differs from sim::options' defaults:
        // Veeam's overview gives refresh tokens 2 hours.
        if (name == "veeam") opts.refresh_ttl = std::chrono::hours(2);
        for (const auto* a : ordered)
            if (a->vendor.empty() || a->vendor == name) assign(opts, *a);
        // CPM's pagination links are absolute URLs: they must say https when served over TLS.
        if (name == "cpm" && p.server.tls_cert_file && !opts.extra.contains("scheme")) opts.extra["scheme"] = "https";
    }
    return p;
}

int run(const plan& p) {
    sim::clock clock;  // one clock for every vendor: POST /__sim/clock on any port moves them all
    std::vector<std::unique_ptr<sim::vendor>> vendors;
    for (const auto& [name, factory] : p.vendors) {
        try {
            vendors.push_back(factory(p.options.find(name)->second, clock));
        } catch (const std::invalid_argument& e) {
            throw usage_error(std::string(name) + ": " + e.what());
        }
    }

    boost::asio::io_context signals_ioc;
    boost::asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    signals.async_wait([](boost::system::error_code, int) {});

    std::vector<std::unique_ptr<sim::server>> servers;
    json::object ports;
    for (std::size_t i = 0; i < vendors.size(); ++i) {
        sim::server_options opts = p.server;
        opts.port = p.options.find(p.vendors[i].first)->second.port;
        servers.push_back(std::make_unique<sim::server>(*vendors[i], clock, opts));
        ports[p.vendors[i].first] = servers.back()->port();
    }
    json::object ready{{"ready", true}, {"ports", std::move(ports)}, {"tls", p.server.tls_cert_file.has_value()}};
    std::cout << json::serialize(ready) << std::endl;  // endl: scripts wait for this line

    signals_ioc.run();  // until SIGINT or SIGTERM
    servers.clear();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(make_plan(parse_command_line(argc, argv)));
    } catch (const usage_error& e) {
        std::cerr << "backup-sim: " << e.what() << " (backup-sim --help for usage)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "backup-sim: " << e.what() << "\n";
        return 1;
    }
}
