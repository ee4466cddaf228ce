// AWS Signature Version 4, verified from the server's side. See sigv4.hpp.
#include "tests/simulators/cloudbasic/sigv4.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace sim::cloudbasic::sigv4 {
namespace {

constexpr std::string_view whitespace = " \t\r\n";

std::span<const unsigned char> as_bytes(std::string_view s) {
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool is_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_lower_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Calls `f` with each piece of `s` between separators, empty pieces included.
template <class F>
void for_each_piece(std::string_view s, char separator, F&& f) {
    std::size_t pos = 0;
    for (;;) {
        const auto end = s.find(separator, pos);
        if (end == std::string_view::npos) {
            f(s.substr(pos), true);
            return;
        }
        f(s.substr(pos, end - pos), false);
        pos = end + 1;
    }
}

std::optional<std::string> percent_decode(std::string_view s) {
    auto checked = boost::urls::make_pct_string_view(s);
    if (!checked) return std::nullopt;
    return checked->decode();  // default options: '+' stays a plus
}

// Encodes each '/'-separated segment, keeping the slashes.
std::optional<std::string> encode_segments(std::string_view path, bool decode_first) {
    std::string out;
    bool malformed = false;
    for_each_piece(path, '/', [&](std::string_view segment, bool last) {
        if (decode_first) {
            auto decoded = percent_decode(segment);
            if (!decoded)
                malformed = true;
            else
                out += uri_encode(*decoded);
        } else {
            out += uri_encode(segment);
        }
        if (!last) out += '/';
    });
    if (malformed) return std::nullopt;
    return out;
}

std::vector<std::string_view> values_of(const std::vector<header>& headers, std::string_view lower_name) {
    std::vector<std::string_view> out;
    for (const auto& h : headers)
        if (iequals(h.name, lower_name)) out.push_back(trim(h.value));
    return out;
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(std::span<const std::string_view> names, char separator) {
    std::string out;
    for (auto n : names) {
        if (!out.empty()) out += separator;
        out += n;
    }
    return out;
}

verdict fail(failure why, std::string message) { return {why, std::move(message)}; }

// --- verify()'s checks, in order; each returns the failure or nothing --------

std::optional<verdict> check_scope(const authorization& a, const policy& p) {
    if (a.terminator != terminator)
        return fail(failure::bad_credential_scope,
                    "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                        std::string(a.terminator) + "'.");
    if (a.service != p.service)
        return fail(failure::bad_credential_scope, "Credential should be scoped to correct service: '" + p.service +
                                                       "', not '" + std::string(a.service) + "'.");
    if (a.region != p.region)
        return fail(failure::bad_credential_scope, "Credential should be scoped to a valid region: '" + p.region +
                                                       "', not '" + std::string(a.region) + "'.");
    return std::nullopt;
}

// Finds X-Amz-Date and checks it against the scope's date.
std::optional<verdict> check_date(const message& m, const authorization& a, std::string_view& amz_date,
                                  time_point& when) {
    const auto dates = values_of(m.headers, "x-amz-date");
    if (dates.empty())
        return fail(failure::bad_date, "Authorization header requires existence of the 'X-Amz-Date' header.");
    if (dates.size() > 1) return fail(failure::bad_date, "The request has more than one X-Amz-Date header.");
    amz_date = dates.front();
    const auto parsed = parse_amz_date(amz_date);
    if (!parsed)
        return fail(failure::bad_date, "X-Amz-Date '" + std::string(amz_date) +
                                           "' is not an ISO 8601 basic date-time in UTC (yyyymmddThhmmssZ).");
    when = *parsed;
    if (a.date != amz_date.substr(0, 8))
        return fail(failure::bad_date,
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                        std::string(a.date) + "' != '" + std::string(amz_date.substr(0, 8)) + "', from '" +
                        std::string(amz_date) + "'.");
    return std::nullopt;
}

std::optional<verdict> check_skew(std::string_view amz_date, time_point when, time_point now,
                                  std::chrono::seconds skew) {
    const auto minutes = std::to_string(skew.count() / 60);
    if (when < now - skew)
        return fail(failure::expired, "Signature expired: " + std::string(amz_date) + " is now earlier than " +
                                          format_amz_date(now - skew) + " (" + format_amz_date(now) + " - " + minutes +
                                          " min.)");
    if (when > now + skew)
        return fail(failure::expired, "Signature not yet current: " + std::string(amz_date) + " is still later than " +
                                          format_amz_date(now + skew) + " (" + format_amz_date(now) + " + " + minutes +
                                          " min.)");
    return std::nullopt;
}

std::optional<verdict> check_signed_headers(const message& m, const authorization& a, const policy& p) {
    const auto& names = a.signed_header_names;
    const std::string sent(a.signed_headers);
    for (auto n : names) {
        if (n.empty() || std::any_of(n.begin(), n.end(), [](char c) { return ascii_lower(c) != c; }))
            return fail(failure::bad_signed_headers,
                        "SignedHeaders must be lowercase names separated by ';', got '" + sent + "'.");
    }
    if (!std::is_sorted(names.begin(), names.end()) || std::adjacent_find(names.begin(), names.end()) != names.end())
        return fail(failure::bad_signed_headers,
                    "SignedHeaders must be sorted and list each header once, got '" + sent + "'.");
    for (std::string_view required : {"host", "x-amz-date"})
        if (!contains(names, required))
            return fail(failure::bad_signed_headers,
                        "SignedHeaders must include '" + std::string(required) + "', got '" + sent + "'.");
    for (auto n : names)
        if (values_of(m.headers, n).empty())
            return fail(failure::bad_signed_headers,
                        "Header '" + std::string(n) + "' is in SignedHeaders but not in the request.");
    if (p.strict_amz_headers) {
        for (const auto& h : m.headers) {
            std::string lower(h.name);
            std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
            if (lower.starts_with("x-amz-") && !contains(names, lower))
                return fail(failure::bad_signed_headers,
                            "Header '" + lower + "' must be signed: it is not in SignedHeaders '" + sent + "'.");
        }
    }
    return std::nullopt;
}

std::optional<verdict> check_session_token(const message& m, const authorization& a, const credentials& c,
                                           const policy& p) {
    const auto tokens = values_of(m.headers, "x-amz-security-token");
    if (!c.session_token) {
        if (!tokens.empty() && p.strict_amz_headers)
            return fail(
                failure::bad_security_token,
                "The security token included in the request is invalid: these credentials have no session token.");
        return std::nullopt;
    }
    if (tokens.empty())
        return fail(failure::bad_security_token,
                    "Missing X-Amz-Security-Token: these credentials are temporary and need their session token.");
    if (tokens.size() > 1)
        return fail(failure::bad_security_token, "The request has more than one X-Amz-Security-Token header.");
    if (tokens.front() != *c.session_token)
        return fail(failure::bad_security_token, "The security token included in the request is invalid.");
    if (!contains(a.signed_header_names, "x-amz-security-token"))
        return fail(failure::bad_security_token,
                    "X-Amz-Security-Token must be signed: add x-amz-security-token to SignedHeaders.");
    if (c.session_token_expired)
        return fail(failure::bad_security_token, "The security token included in the request is expired.");
    return std::nullopt;
}

std::optional<verdict> check_content_sha256(const message& m, const policy& p, const std::string& body_hash) {
    const auto sent = values_of(m.headers, "x-amz-content-sha256");
    if (sent.empty()) {
        if (!p.require_content_sha256) return std::nullopt;
        return fail(
            failure::bad_content_sha256,
            "Missing required header for this request: x-amz-content-sha256 (the SHA-256 of the body, lowercase hex).");
    }
    if (sent.size() > 1)
        return fail(failure::bad_content_sha256, "The request has more than one x-amz-content-sha256 header.");
    if (sent.front() == "UNSIGNED-PAYLOAD")
        return fail(failure::bad_content_sha256,
                    "UNSIGNED-PAYLOAD is not accepted: x-amz-content-sha256 must be the SHA-256 of the body.");
    if (sent.front() != body_hash)
        return fail(failure::bad_content_sha256,
                    "The provided 'x-amz-content-sha256' header does not match what was computed: received '" +
                        std::string(sent.front()) + "', the body's SHA-256 is '" + body_hash + "'.");
    return std::nullopt;
}

}  // namespace

std::string_view to_string(failure f) {
    switch (f) {
    case failure::none: return "none";
    case failure::missing_authorization: return "missing_authorization";
    case failure::malformed_authorization: return "malformed_authorization";
    case failure::bad_credential_scope: return "bad_credential_scope";
    case failure::bad_date: return "bad_date";
    case failure::expired: return "expired";
    case failure::unknown_access_key: return "unknown_access_key";
    case failure::bad_security_token: return "bad_security_token";
    case failure::bad_signed_headers: return "bad_signed_headers";
    case failure::bad_content_sha256: return "bad_content_sha256";
    case failure::bad_request_target: return "bad_request_target";
    case failure::signature_mismatch: return "signature_mismatch";
    }
    return "unknown";
}

// --- Bytes -----------------------------------------------------------------

std::string hex(std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

namespace {

// One-shot EVP_Digest/HMAC() look the algorithm up (under a lock) and allocate
// on every call; the simulator checks a signature per request, so each thread
// keeps its fetched algorithms and contexts (the verification itself is unchanged).
struct kept_contexts {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* digest_ctx = EVP_MD_CTX_new();
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* mac_ctx = nullptr;
    kept_contexts() {
        if (!md || !digest_ctx || !mac) throw std::runtime_error("OpenSSL: SHA-256/HMAC unavailable");
        mac_ctx = EVP_MAC_CTX_new(mac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
                               OSSL_PARAM_construct_end()};
        if (!mac_ctx || EVP_MAC_CTX_set_params(mac_ctx, params) != 1)
            throw std::runtime_error("OpenSSL: HMAC-SHA256 context");
    }
    ~kept_contexts() {
        EVP_MAC_CTX_free(mac_ctx);
        EVP_MAC_free(mac);
        EVP_MD_CTX_free(digest_ctx);
        EVP_MD_free(md);
    }
    kept_contexts(const kept_contexts&) = delete;
    kept_contexts& operator=(const kept_contexts&) = delete;
};

kept_contexts& contexts() {
    thread_local kept_contexts c;
    return c;
}

}  // namespace

digest sha256(std::string_view data) {
    auto& c = contexts();
    digest out{};
    unsigned int size = 0;
    if (EVP_DigestInit_ex2(c.digest_ctx, c.md, nullptr) != 1 ||
        EVP_DigestUpdate(c.digest_ctx, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(c.digest_ctx, out.data(), &size) != 1 || size != out.size())
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
    static constexpr unsigned char none = 0;
    auto* ctx = contexts().mac_ctx;
    digest out{};
    std::size_t size = 0;
    const auto bytes = as_bytes(data);
    if (EVP_MAC_init(ctx, key.empty() ? &none : key.data(), key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx, bytes.empty() ? &none : bytes.data(), bytes.size()) != 1 ||
        EVP_MAC_final(ctx, out.data(), &size, out.size()) != 1 || size != out.size())
        throw std::runtime_error("HMAC(SHA-256) failed");
    return out;
}

std::string uri_encode(std::string_view bytes) { return boost::urls::encode(bytes, boost::urls::unreserved_chars); }

// --- Canonical request -----------------------------------------------------

std::string normalize_path(std::string_view path) {
    std::vector<std::string_view> kept;
    bool trailing_slash = false;
    for_each_piece(path, '/', [&](std::string_view segment, bool last) {
        if (segment == "..") {
            if (!kept.empty()) kept.pop_back();
        } else if (!segment.empty() && segment != ".") {
            kept.push_back(segment);
        }
        // "/a/" and "/a/b/.." both name a directory: the slash stays.
        if (last) trailing_slash = segment.empty() || segment == "." || segment == "..";
    });
    std::string out;
    for (auto segment : kept) {
        out += '/';
        out += segment;
    }
    if (out.empty() || trailing_slash) out += '/';
    return out;
}

std::optional<std::string> canonical_uri(std::string_view path, uri_style style) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    if (style == uri_style::s3) return encode_segments(path, true);
    // The path is encoded as received: a '%' already there becomes "%25".
    return encode_segments(normalize_path(path), false);
}

std::optional<std::string> canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    bool malformed = false;
    for_each_piece(query, '&', [&](std::string_view param, bool) {
        if (param.empty()) return;
        const auto eq = param.find('=');
        auto key = percent_decode(param.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1));
        if (!key || !value) {
            malformed = true;
            return;
        }
        params.emplace_back(uri_encode(*key), uri_encode(*value));
    });
    if (malformed) return std::nullopt;
    std::sort(params.begin(), params.end());  // by encoded key, then encoded value
    std::string out;
    for (const auto& [key, value] : params) {
        if (!out.empty()) out += '&';
        out += key;
        out += '=';
        out += value;
    }
    return out;
}

std::string canonical_header_value(std::string_view value) {
    std::string out;
    bool space_pending = false;
    for (char c : value) {
        if (whitespace.find(c) != std::string_view::npos) {
            space_pending = !out.empty();  // leading whitespace is dropped, trailing never written
            continue;
        }
        if (space_pending) out += ' ';
        space_pending = false;
        out += c;
    }
    return out;
}

std::string canonical_headers(const std::vector<header>& headers, std::span<const std::string_view> signed_names) {
    std::string out;
    for (auto name : signed_names) {
        out += name;
        out += ':';
        bool first = true;
        for (const auto& h : headers) {
            if (!iequals(h.name, name)) continue;
            if (!first) out += ',';
            out += canonical_header_value(h.value);
            first = false;
        }
        out += '\n';
    }
    return out;
}

std::optional<std::string> canonical_request(const message& m, std::span<const std::string_view> signed_names,
                                             std::string_view payload_hash, uri_style style) {
    const auto question = m.target.find('?');
    const auto uri = canonical_uri(m.target.substr(0, question), style);
    const auto query =
        canonical_query(question == std::string_view::npos ? std::string_view{} : m.target.substr(question + 1));
    if (!uri || !query) return std::nullopt;
    std::string out(m.method);
    out += '\n';
    out += *uri;
    out += '\n';
    out += *query;
    out += '\n';
    out += canonical_headers(m.headers, signed_names);
    out += '\n';
    out += join(signed_names, ';');
    out += '\n';
    out += payload_hash;
    return out;
}

// --- Signature -------------------------------------------------------------

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service) {
    std::string out(date);
    out += '/';
    out += region;
    out += '/';
    out += service;
    out += '/';
    out += terminator;
    return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
    std::string out(algorithm);
    out += '\n';
    out += amz_date;
    out += '\n';
    out += scope;
    out += '\n';
    out += sha256_hex(canonical_request);
    return out;
}

digest signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                   std::string_view service) {
    const std::string seed = "AWS4" + std::string(secret_access_key);
    const auto date_key = hmac_sha256(as_bytes(seed), date);
    const auto region_key = hmac_sha256(date_key, region);
    const auto service_key = hmac_sha256(region_key, service);
    return hmac_sha256(service_key, terminator);
}

std::string signature(const digest& key, std::string_view string_to_sign) {
    return hex(hmac_sha256(key, string_to_sign));
}

// --- Header parsing --------------------------------------------------------

std::optional<time_point> parse_amz_date(std::string_view text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !is_digits(text.substr(0, 8)) ||
        !is_digits(text.substr(9, 6)))
        return std::nullopt;
    const auto number = [&](std::size_t pos, std::size_t len) {
        int n = 0;
        for (char c : text.substr(pos, len)) n = n * 10 + (c - '0');
        return n;
    };
    using namespace std::chrono;
    const year_month_day ymd{year{number(0, 4)}, month{static_cast<unsigned>(number(4, 2))},
                             day{static_cast<unsigned>(number(6, 2))}};
    const int h = number(9, 2), min = number(11, 2), s = number(13, 2);
    if (!ymd.ok() || h > 23 || min > 59 || s > 59) return std::nullopt;
    return time_point{sys_days{ymd} + hours{h} + minutes{min} + seconds{s}};
}

std::string format_amz_date(time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day_start = floor<days>(secs);
    const year_month_day ymd{day_start};
    const hh_mm_ss hms{secs - day_start};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<authorization> parse_authorization(std::string_view value, std::string& error) {
    value = trim(value);
    const auto space = value.find_first_of(whitespace);
    const auto scheme = value.substr(0, space);
    if (scheme != algorithm) {
        error = "Unsupported Authorization type '" + std::string(scheme) + "': only AWS4-HMAC-SHA256 is accepted.";
        return std::nullopt;
    }
    std::optional<std::string_view> credential, signed_headers, sig;
    error.clear();
    for_each_piece(space == std::string_view::npos ? std::string_view{} : value.substr(space), ',',
                   [&](std::string_view part, bool) {
                       part = trim(part);
                       if (!error.empty() || part.empty()) return;
                       const auto eq = part.find('=');
                       const auto name = part.substr(0, eq);
                       auto* slot = name == "Credential"      ? &credential
                                    : name == "SignedHeaders" ? &signed_headers
                                    : name == "Signature"     ? &sig
                                                              : nullptr;
                       if (eq == std::string_view::npos || slot == nullptr)
                           error = "Authorization header has an unknown or malformed parameter '" + std::string(part) +
                                   "' (expected Credential=..., SignedHeaders=..., Signature=...).";
                       else if (*slot)
                           error = "Authorization header repeats the '" + std::string(name) + "' parameter.";
                       else
                           *slot = part.substr(eq + 1);
                   });
    if (!error.empty()) return std::nullopt;
    if (!credential) error += "Authorization header requires 'Credential' parameter. ";
    if (!signed_headers) error += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!sig) error += "Authorization header requires 'Signature' parameter. ";
    if (!error.empty()) {
        error += "Authorization=" + std::string(value);
        return std::nullopt;
    }

    authorization a;
    std::vector<std::string_view> scope;
    for_each_piece(*credential, '/', [&](std::string_view piece, bool) { scope.push_back(piece); });
    if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || !is_digits(scope[1])) {
        error = "Credential must be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request, got '" +
                std::string(*credential) + "'.";
        return std::nullopt;
    }
    a.access_key_id = scope[0];
    a.date = scope[1];
    a.region = scope[2];
    a.service = scope[3];
    a.terminator = scope[4];
    a.signed_headers = *signed_headers;
    for_each_piece(*signed_headers, ';', [&](std::string_view name, bool) { a.signed_header_names.push_back(name); });
    if (sig->size() != 64 || !is_lower_hex(*sig)) {
        error = "Signature must be 64 lowercase hexadecimal digits, got '" + std::string(*sig) + "'.";
        return std::nullopt;
    }
    a.signature = *sig;
    return a;
}

// --- The whole check ---------------------------------------------------------

verdict verify(const message& m, const policy& p, const credentials_lookup& lookup, time_point now) {
    const auto authorizations = values_of(m.headers, "authorization");
    if (authorizations.empty())
        return fail(failure::missing_authorization,
                    "Missing Authentication Token: the request has no Authorization header (AWS Signature Version 4).");
    if (authorizations.size() > 1)
        return fail(failure::malformed_authorization, "The request has more than one Authorization header.");
    std::string error;
    const auto a = parse_authorization(authorizations.front(), error);
    if (!a) return fail(failure::malformed_authorization, error);
    if (auto v = check_scope(*a, p)) return *v;

    std::string_view amz_date;
    time_point when;
    if (auto v = check_date(m, *a, amz_date, when)) return *v;
    if (auto v = check_skew(amz_date, when, now, p.max_skew)) return *v;

    const auto creds = lookup(a->access_key_id);
    if (!creds)
        return fail(failure::unknown_access_key, "The AWS Access Key Id you provided does not exist in our records: '" +
                                                     std::string(a->access_key_id) + "'.");
    if (auto v = check_signed_headers(m, *a, p)) return *v;
    if (auto v = check_session_token(m, *a, *creds, p)) return *v;
    const auto body_hash = sha256_hex(m.body);
    if (auto v = check_content_sha256(m, p, body_hash)) return *v;

    const auto creq = canonical_request(m, a->signed_header_names, body_hash, p.uri);
    if (!creq)
        return fail(failure::bad_request_target,
                    "The request target '" + std::string(m.target) +
                        "' is not a path starting with '/' or holds a malformed percent-escape.");
    const auto sts = string_to_sign(amz_date, credential_scope(a->date, a->region, a->service), *creq);
    // (A real service keeps derived keys too: the key changes once a day per credential and scope.)
    thread_local struct {
        std::string secret, date, region, service;
        digest key{};
    } last;
    if (last.secret != creds->secret_access_key || last.date != a->date || last.region != a->region ||
        last.service != a->service) {
        last.key = signing_key(creds->secret_access_key, a->date, a->region, a->service);
        last.secret = creds->secret_access_key;
        last.date = a->date;
        last.region = a->region;
        last.service = a->service;
    }
    const auto expected = signature(last.key, sts);
    // Both are 64 hex digits (parse_authorization checked the one sent).
    if (CRYPTO_memcmp(expected.data(), a->signature.data(), expected.size()) != 0)
        return fail(failure::signature_mismatch,
                    "The request signature we calculated does not match the signature you provided. Check your AWS "
                    "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
                    "The Canonical String for this request should have been\n'" +
                        *creq + "'\n\nThe String-to-Sign should have been\n'" + sts + "'\n");
    return {};
}

}  // namespace sim::cloudbasic::sigv4
