#include "tests/simulators/backupdr/settings.hpp"

#include <charconv>
#include <set>
#include <stdexcept>

namespace sim::backupdr {

namespace {

const std::set<std::string, std::less<>> known_keys = {
    "static_token", "session_idle_seconds", "page_cap", "token_ttl", "token_audience", "sa_public_key_file",
    "sa_email", "hosts", "applications", "backups", "jobs"};

std::uint64_t number(const options& opts, const std::string& key, std::uint64_t fallback, std::uint64_t min) {
    auto it = opts.extra.find(key);
    if (it == opts.extra.end())
        return fallback;
    const std::string& text = it->second;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < min)
        throw std::invalid_argument("backupdr: option " + key + " must be an integer >= " + std::to_string(min) +
                                    ", got '" + text + "'");
    return v;
}

std::string text(const options& opts, const std::string& key, std::string fallback) {
    auto it = opts.extra.find(key);
    return it == opts.extra.end() ? fallback : it->second;
}

seed_sizes parse_sizes(const options& opts) {
    seed_sizes s;
    s.hosts = number(opts, "hosts", s.hosts, 1);  // applications need a host to live on
    s.applications = number(opts, "applications", s.applications, 1);
    s.backups = number(opts, "backups", s.backups, 0);
    s.jobs = number(opts, "jobs", s.jobs, 0);
    return s;
}

token_settings parse_tokens(const options& opts) {
    token_settings t;
    t.static_token = text(opts, "static_token", "backupdr-demo-token");
    t.static_identity = "static-token-user";
    t.ttl = std::chrono::seconds(number(opts, "token_ttl", static_cast<std::uint64_t>(opts.access_ttl.count()), 1));
    t.key_file = text(opts, "sa_public_key_file", "");
    t.rules.audiences = {text(opts, "token_audience", "https://oauth2.googleapis.com/token")};
    if (auto it = opts.extra.find("sa_email"); it != opts.extra.end())
        t.rules.issuer = it->second;
    return t;
}

}  // namespace

settings parse_settings(const options& opts) {
    for (const auto& [key, value] : opts.extra)
        if (!known_keys.contains(key))
            throw std::invalid_argument("backupdr: unknown option '" + key + "'");
    settings s;
    s.session_idle = std::chrono::seconds(number(opts, "session_idle_seconds", 3600, 1));
    s.page_cap = number(opts, "page_cap", s.page_cap, 1);
    s.tokens = parse_tokens(opts);
    s.sizes = parse_sizes(opts);
    return s;
}

}  // namespace sim::backupdr
