#include "adapters/common/sigv4.hpp"

#include "core/ascii.hpp"

#include "adapters/common/encoding.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace bg::sigv4 {

namespace {

constexpr std::string_view terminator = "aws4_request";

std::string lowercase(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Calls `segment_fn` on each piece of `path` between slashes and joins the
// results with the slashes kept where they were.
template <class Fn> std::string map_segments(std::string_view path, Fn segment_fn)
{
    std::string out;
    for (;;) {
        auto slash = path.find('/');
        out += segment_fn(path.substr(0, slash));
        if (slash == std::string_view::npos)
            return out;
        out.push_back('/');
        path.remove_prefix(slash + 1);
    }
}

std::string decoded_or_literal(std::string_view encoded)
{
    auto decoded = encoding::percent_decode(encoded);
    return decoded ? std::move(*decoded) : std::string(encoded);
}

std::string reencode(std::string_view encoded)
{
    return encoding::percent_encode(decoded_or_literal(encoded));
}

// Lowercased names and canonical values, sorted by name, a repeated name's
// values joined with ','.
std::vector<header> canonicalize(std::span<const header_view> headers)
{
    std::vector<header> all;
    all.reserve(headers.size());
    for (const auto& h : headers)
        all.push_back({lowercase(h.name), canonical_header_value(h.value)});
    // Stable: the values of one name stay in the order given.
    std::stable_sort(all.begin(), all.end(), [](const header& a, const header& b) { return a.name < b.name; });
    std::vector<header> merged;
    for (auto& h : all) {
        if (!merged.empty() && merged.back().name == h.name)
            merged.back().value.append(",").append(h.value);
        else
            merged.push_back(std::move(h));
    }
    return merged;
}

// Header names compare ASCII case-insensitively, without lowercased copies.
using bg::iequals;

bool hop_may_change(std::string_view name)
{
    static constexpr std::array<std::string_view, 12> names = {
        "authorization", "connection",        "expect",  "keep-alive", "proxy-authorization", "proxy-connection", "te",
        "trailer",       "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); });
}

// The headers sign() adds, in the order they are returned (Authorization last).
std::vector<header> added_headers(const credentials& creds, std::string_view date, std::string_view payload_hash,
                                  const options& opts)
{
    std::vector<header> added{{"X-Amz-Date", std::string(date)}};
    if (opts.payload_hash_header)
        added.push_back({"X-Amz-Content-Sha256", std::string(payload_hash)});
    if (creds.session_token)
        added.push_back({"X-Amz-Security-Token", *creds.session_token});
    return added;
}

bool is_added(const std::vector<header>& added, std::string_view name)
{
    return iequals(name, "authorization") ||
           std::any_of(added.begin(), added.end(), [&](const header& h) { return iequals(h.name, name); });
}

// The request's own headers that are signed, then the added ones that are.
std::vector<header_view> headers_to_sign(std::span<const header_view> sent, const std::vector<header>& added,
                                         const options& opts)
{
    std::vector<header_view> out;
    out.reserve(sent.size() + added.size());
    for (const auto& h : sent)
        if (!hop_may_change(h.name) && !is_added(added, h.name))
            out.push_back(h);
    for (const auto& h : added)
        if (opts.sign_session_token || !iequals(h.name, "x-amz-security-token"))
            out.push_back({h.name, h.value});
    return out;
}

}  // namespace

// ---- Task 1 ------------------------------------------------------------------

std::string normalize_path(std::string_view wire_path)
{
    std::vector<std::string_view> kept;
    bool trailing_slash = false;
    std::size_t start = 0;
    while (start <= wire_path.size()) {
        auto slash = std::min(wire_path.find('/', start), wire_path.size());
        auto segment = wire_path.substr(start, slash - start);
        start = slash + 1;
        // A path that ends in "/", "/." or "/.." names a directory: keep its slash.
        trailing_slash = segment.empty() || segment == "." || segment == "..";
        if (segment == ".." && !kept.empty())
            kept.pop_back();
        else if (!trailing_slash)
            kept.push_back(segment);
    }
    std::string out;
    for (auto segment : kept)
        out.append("/").append(segment);
    if (out.empty() || trailing_slash)
        out.push_back('/');
    return out;
}

std::string canonical_uri(std::string_view wire_path, bool double_encode)
{
    if (wire_path.empty())
        return "/";
    if (double_encode)
        return map_segments(normalize_path(wire_path), encoding::percent_encode);
    return map_segments(wire_path, reencode);
}

std::string canonical_query(std::string_view wire_query)
{
    std::vector<std::pair<std::string, std::string>> params;
    while (!wire_query.empty()) {
        auto amp = wire_query.find('&');
        auto param = wire_query.substr(0, amp);
        wire_query.remove_prefix(amp == std::string_view::npos ? wire_query.size() : amp + 1);
        if (param.empty())
            continue;
        auto eq = param.find('=');
        auto name = param.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
        params.emplace_back(reencode(name), reencode(value));
    }
    std::sort(params.begin(), params.end());
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty())
            out.push_back('&');
        out.append(name).append("=").append(value);
    }
    return out;
}

std::string canonical_header_value(std::string_view value)
{
    // The words, each run of whitespace between two of them as one space.
    // (By hand: string_view::find_first_of calls memchr per character.)
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    bool canonical = value.empty() || (!space(value.front()) && !space(value.back()));
    for (std::size_t i = 0; canonical && i < value.size(); ++i)
        canonical = value[i] == ' ' ? !space(value[i + 1]) : !space(value[i]);  // (never the last: not a space)
    if (canonical)
        return std::string(value);  // the usual case
    std::string out;
    out.reserve(value.size());
    bool gap = false;
    for (char c : value) {
        if (space(c)) {
            gap = !out.empty();
            continue;
        }
        if (gap)
            out.push_back(' ');
        gap = false;
        out.push_back(c);
    }
    return out;
}

namespace {

std::string canonical_lines(const std::vector<header>& canonical)
{
    std::string out;
    for (const auto& h : canonical)
        out.append(h.name).append(":").append(h.value).append("\n");
    return out;
}

std::string signed_names(const std::vector<header>& canonical)
{
    std::string out;
    for (const auto& h : canonical) {
        if (!out.empty())
            out.push_back(';');
        out.append(h.name);
    }
    return out;
}

}  // namespace

std::string canonical_headers(std::span<const header_view> headers)
{
    return canonical_lines(canonicalize(headers));
}

std::string signed_headers(std::span<const header_view> headers)
{
    return signed_names(canonicalize(headers));
}

std::string hashed_payload(std::string_view body)
{
    // Most signed requests (GET, DELETE) have none: the empty body's hash is known.
    static constexpr std::string_view empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    return body.empty() ? std::string(empty) : encoding::hex(crypto::sha256(body));
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                              std::string_view canonical_headers, std::string_view signed_headers,
                              std::string_view payload_hash)
{
    std::string out;
    // canonical_headers ends with its own '\n', hence the blank line after it.
    out.append(method).append("\n");
    out.append(canonical_uri).append("\n");
    out.append(canonical_query).append("\n");
    out.append(canonical_headers).append("\n");
    out.append(signed_headers).append("\n");
    out.append(payload_hash);
    return out;
}

// ---- Task 2 ------------------------------------------------------------------

std::string amz_date(time_point t)
{
    using namespace std::chrono;
    auto secs = floor<seconds>(t);
    auto day = floor<days>(secs);
    year_month_day ymd{day};
    hh_mm_ss hms{secs - day};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf.data();
}

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service)
{
    std::string out(date);
    out.append("/").append(region).append("/").append(service).append("/").append(terminator);
    return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request)
{
    std::string out(algorithm);
    out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
    out.append(hashed_payload(canonical_request));
    return out;
}

// ---- Task 3 ------------------------------------------------------------------

signing_key_bytes signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                              std::string_view service)
{
    std::string secret = "AWS4";
    secret.append(secret_access_key);
    auto k_date = crypto::hmac_sha256(crypto::as_bytes(secret), date);
    auto k_region = crypto::hmac_sha256(k_date, region);
    auto k_service = crypto::hmac_sha256(k_region, service);
    return crypto::hmac_sha256(k_service, terminator);
}

std::string signature(const signing_key_bytes& key, std::string_view string_to_sign)
{
    return encoding::hex(crypto::hmac_sha256(key, string_to_sign));
}

namespace {

// The signing key changes with the date (once a day) and the credentials, not
// with the request: each thread keeps the last one it derived (four HMACs
// saved a request).
const signing_key_bytes& cached_signing_key(std::string_view secret_access_key, std::string_view date,
                                            std::string_view region, std::string_view service)
{
    struct entry {
        std::string secret, date, region, service;
        signing_key_bytes key{};
        bool valid = false;
    };
    thread_local entry last;
    if (!last.valid || last.secret != secret_access_key || last.date != date || last.region != region ||
        last.service != service) {
        last.key = signing_key(secret_access_key, date, region, service);
        last.secret = secret_access_key;
        last.date = date;
        last.region = region;
        last.service = service;
        last.valid = true;
    }
    return last.key;
}

}  // namespace

// ---- Task 4 ------------------------------------------------------------------

std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature)
{
    std::string out(algorithm);
    out.append(" Credential=").append(access_key_id).append("/").append(scope);
    out.append(", SignedHeaders=").append(signed_headers);
    out.append(", Signature=").append(signature);
    return out;
}

// ---- All four ----------------------------------------------------------------

signing_result sign(const request_view& req, const credentials& creds, std::string_view region,
                    std::string_view service, time_point now, const options& opts)
{
    // The date changes once a second: each thread formats it once a second.
    thread_local std::chrono::sys_seconds formatted_at{};
    thread_local std::string formatted;
    const auto second = std::chrono::floor<std::chrono::seconds>(now);
    if (formatted.empty() || second != formatted_at) {
        formatted = amz_date(now);
        formatted_at = second;
    }
    const std::string& date_time = formatted;
    const std::string_view date = std::string_view(date_time).substr(0, 8);
    const std::string payload_hash = req.payload_hash ? std::string(*req.payload_hash) : hashed_payload(req.body);

    std::vector<header> added = added_headers(creds, date_time, payload_hash, opts);
    // to_sign holds views of `added`: `added` stays untouched until the signature is made.
    const std::vector<header_view> to_sign = headers_to_sign(req.headers, added, opts);
    const std::vector<header> canonical = canonicalize(to_sign);  // (once, for both of its uses)
    const std::string names = signed_names(canonical);

    signing_result result;
    result.canonical_request =
        canonical_request(req.method, canonical_uri(req.path, opts.double_encode), canonical_query(req.query),
                          canonical_lines(canonical), names, payload_hash);
    const std::string scope = credential_scope(date, region, service);
    result.string_to_sign = string_to_sign(date_time, scope, result.canonical_request);
    const std::string sig = signature(cached_signing_key(creds.secret_access_key, date, region, service),
                                      result.string_to_sign);
    added.push_back({"Authorization", authorization_header(creds.access_key_id, scope, names, sig)});
    result.headers = std::move(added);
    return result;
}

target_parts split_target(std::string_view target)
{
    auto question = target.find('?');
    if (question == std::string_view::npos)
        return {target, {}};
    return {target.substr(0, question), target.substr(question + 1)};
}

}  // namespace bg::sigv4
