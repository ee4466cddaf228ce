// The CloudBasic vendor: authenticate (SigV4) -> route -> negotiate the format
// -> read parameters -> answer. See cloudbasic.hpp and docs/simulators.md.
#include "tests/simulators/cloudbasic/cloudbasic.hpp"

#include "tests/simulators/cloudbasic/render.hpp"
#include "tests/simulators/cloudbasic/sigv4.hpp"
#include "tests/simulators/cloudbasic/store.hpp"

#include <boost/url/pct_string_view.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <mutex>
#include <stdexcept>

namespace sim {
namespace {

namespace cb = cloudbasic;
namespace v4 = cloudbasic::sigv4;
namespace json = boost::json;

// The document's service name in the credential scope ("/us-east-1/cbr/aws4_request").
constexpr std::string_view service_name = "cbr";

// --- Options: parse, then validate ---------------------------------------------

struct config {
    std::string region = "us-east-1";
    std::string access_key_id = "AKIDEXAMPLE";
    std::string secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    std::optional<std::string> session_token;
    std::chrono::seconds max_skew{15 * 60};
    cb::data_sizes sizes;
};

std::size_t parse_count(const std::string& key, const std::string& text) {
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || ptr != text.data() + text.size())
        throw std::invalid_argument("cloudbasic option '" + key + "': expected a whole number, got '" + text + "'");
    return n;
}

config parse_config(const options& opts) {
    config c;
    for (const auto& [key, value] : opts.extra) {
        if (key == "region")
            c.region = value;
        else if (key == "access_key_id")
            c.access_key_id = value;
        else if (key == "secret_access_key")
            c.secret_access_key = value;
        else if (key == "session_token")
            c.session_token = value.empty() ? std::nullopt : std::optional(value);
        else if (key == "max_skew_seconds")
            c.max_skew = std::chrono::seconds(parse_count(key, value));
        else if (key == "replications")
            c.sizes.replications = parse_count(key, value);
        else if (key == "instances")
            c.sizes.instances = parse_count(key, value);
        else if (key == "users")
            c.sizes.users = parse_count(key, value);
        else if (key == "clusters")
            c.sizes.clusters = parse_count(key, value);
        else
            throw std::invalid_argument("cloudbasic: unknown option '" + key + "'");
    }
    return c;
}

void validate(const config& c) {
    if (c.access_key_id.empty() || c.access_key_id.find('/') != std::string::npos)
        throw std::invalid_argument("cloudbasic option 'access_key_id': must be non-empty and without '/'");
    if (c.secret_access_key.empty())
        throw std::invalid_argument("cloudbasic option 'secret_access_key': must be non-empty");
    if (c.region.find('/') != std::string::npos)
        throw std::invalid_argument("cloudbasic option 'region': must not hold '/'");
    if (c.max_skew.count() == 0) throw std::invalid_argument("cloudbasic option 'max_skew_seconds': must be positive");
    if ((c.sizes.replications > 0 || c.sizes.clusters > 0) && c.sizes.instances < 2)
        throw std::invalid_argument("cloudbasic option 'instances': replications and clusters need at least 2");
    if (c.sizes.users == 0) throw std::invalid_argument("cloudbasic option 'users': the admin user needs at least 1");
}

v4::policy policy_of(const config& c) {
    v4::policy p;
    p.service = std::string(service_name);
    p.region = c.region;
    p.uri = v4::uri_style::normalized_double_encoded;  // CloudBasic is not S3
    p.require_content_sha256 = true;                   // a "Common Request Header" in the document
    p.strict_amz_headers = true;
    p.max_skew = c.max_skew;
    return p;
}

v4::message message_of(const request& req) {
    v4::message m{req.method_string(), req.target(), {}, req.body()};
    for (const auto& field : req) m.headers.push_back({field.name_string(), field.value()});
    return m;
}

// The path's segments, normalized like the signature's canonical URI, each
// decoded. nullopt on a malformed percent-escape.
std::optional<std::vector<std::string>> path_segments(std::string_view path) {
    const auto normalized = v4::normalize_path(path);
    std::vector<std::string> out;
    std::string_view rest = std::string_view(normalized).substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        const auto decoded = boost::urls::make_pct_string_view(rest.substr(0, slash));
        if (!decoded) return std::nullopt;
        out.push_back(decoded->decode());
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    if (out.size() == 1 && out.front().empty()) out.clear();  // "/"
    return out;
}

class cloudbasic_vendor final : public vendor {
public:
    cloudbasic_vendor(config cfg, std::uint64_t seed, const clock& c)
        : cfg_(std::move(cfg)), clock_(c), policy_(policy_of(cfg_)), store_(seed, cfg_.sizes, cfg_.access_key_id) {}

    std::string_view name() const override { return "cloudbasic"; }

    reply handle(const request& req) override {
        // The server counts stats().requests; this counts only refusals.
        const auto request_id = next_request_id_.fetch_add(1, std::memory_order_relaxed);
        const auto verdict = authenticate(req);
        if (!verdict.ok()) {
            stats().unauthorized.fetch_add(1, std::memory_order_relaxed);
            note_failure(verdict);
            return {error(http::status::forbidden, request_id, verdict.message), {}};
        }
        return {route(req, request_id), {}};
    }

    json::object state() const override {
        json::object items;
        for (auto k : cb::all_kinds) items[cb::names_of(k).path] = store_.size(k);
        json::object failures;
        for (int i = 1; i < v4::failure_count; ++i)
            failures[v4::to_string(static_cast<v4::failure>(i))] = failures_[static_cast<std::size_t>(i)].load();
        std::lock_guard lock(last_failure_mutex_);
        return {{"items", std::move(items)},
                {"session_token_expired", token_expired_.load()},
                {"signature_failures", std::move(failures)},
                {"last_signature_failure", last_failure_.empty() ? json::value(nullptr) : json::value(last_failure_)}};
    }

    // SigV4 has no sessions; the one credential that can expire is the
    // configured session token (when there is one).
    void expire_all() override { token_expired_ = true; }

    void reset() override {
        store_.reset();
        token_expired_ = false;
        for (auto& f : failures_) f = 0;
        std::lock_guard lock(last_failure_mutex_);
        last_failure_.clear();
    }

private:
    // --- authenticate ---

    v4::verdict authenticate(const request& req) const {
        const v4::credentials_lookup lookup = [this](std::string_view id) { return credentials_for(id); };
        return v4::verify(message_of(req), policy_, lookup, clock_.now());
    }

    std::optional<v4::credentials> credentials_for(std::string_view access_key_id) const {
        if (access_key_id == cfg_.access_key_id)
            return v4::credentials{cfg_.secret_access_key, cfg_.session_token, token_expired_.load()};
        if (auto secret = store_.secret_for(access_key_id)) return v4::credentials{*secret, std::nullopt, false};
        return std::nullopt;
    }

    void note_failure(const v4::verdict& v) {
        failures_[static_cast<std::size_t>(v.why)].fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(last_failure_mutex_);
        last_failure_ = std::string(v4::to_string(v.why)) + ": " + v.message;
    }

    // --- route ---

    response route(const request& req, std::uint64_t id) {
        const auto target = req.target();
        const auto question = target.find('?');
        if (question != std::string_view::npos && question + 1 < target.size())
            return error(http::status::bad_request, id,
                         "The CloudBasic API takes its parameters in the request body, not in the query string ('" +
                             std::string(target.substr(question + 1)) + "').");
        const auto segments = path_segments(target.substr(0, question));
        if (!segments)
            return error(http::status::bad_request, id,
                         "The path '" + std::string(target) + "' holds a malformed percent-escape.");
        const auto k = segments->empty() ? std::nullopt : cb::kind_from_path(segments->front());
        if (!k || segments->size() > 2 || (segments->size() == 2 && (*segments)[1].empty()))
            return error(http::status::not_found, id,
                         "The resource '" + std::string(target.substr(0, question)) +
                             "' does not exist. Resources: /replications, /instances, /users, /clusters.");
        if (segments->size() == 1) return collection(req, id, *k);
        return item(req, id, *k, (*segments)[1]);
    }

    response collection(const request& req, std::uint64_t id, cb::kind k) {
        const bool creatable = k == cb::kind::replications || k == cb::kind::users;
        const auto method = req.method();
        if (method == http::verb::get || method == http::verb::head) {
            const auto f = answer_format(req);
            if (!f) return not_acceptable(req, id);
            return answer(http::status::ok, *f, cb::render_list(*f, cb::names_of(k), store_.list(k)));
        }
        if (method == http::verb::post && creatable) return create(req, id, k);
        return not_allowed(id, creatable ? "GET, HEAD, POST" : "GET, HEAD", req);
    }

    response item(const request& req, std::uint64_t id, cb::kind k, const std::string& item_id) {
        const bool deletable = k == cb::kind::replications;
        const auto method = req.method();
        if (method == http::verb::get || method == http::verb::head || (method == http::verb::delete_ && deletable)) {
            const auto found = store_.get(k, item_id);
            if (!found)
                return error(http::status::not_found, id,
                             std::string(cb::names_of(k).item) + " '" + item_id + "' does not exist.");
            if (method == http::verb::delete_) {
                store_.remove(k, item_id);
                return answer(http::status::no_content, std::nullopt, {});
            }
            const auto f = answer_format(req);
            if (!f) return not_acceptable(req, id);
            return answer(http::status::ok, *f, cb::render_item(*f, cb::names_of(k).item, *found));
        }
        return not_allowed(id, deletable ? "GET, HEAD, DELETE" : "GET, HEAD", req);
    }

    response create(const request& req, std::uint64_t id, cb::kind k) {
        const auto content_type = req[http::field::content_type];
        const auto in = cb::body_format(content_type);
        if (!in)
            return error(http::status::unsupported_media_type, id,
                         "Unsupported Content-Type '" + std::string(content_type) +
                             "': send the parameters as application/json or application/xml.");
        const auto out = answer_format(req);
        if (!out) return not_acceptable(req, id);
        auto params = cb::parse_parameters(*in, req.body());
        if (auto* e = std::get_if<cb::api_error>(&params)) return error(e->status, id, e->message);
        const auto& object = std::get<json::object>(params);
        auto created = k == cb::kind::replications ? store_.create_replication(object, clock_.now())
                                                   : store_.create_user(object, clock_.now());
        if (auto* e = std::get_if<cb::api_error>(&created)) return error(e->status, id, e->message);
        const auto& made = std::get<json::object>(created);
        auto res = answer(http::status::created, *out, cb::render_item(*out, cb::names_of(k).item, made));
        std::string location = "/";
        location += cb::names_of(k).path;
        location += '/';
        location += made.at("Id").as_string();
        res.set(http::field::location, location);
        return res;
    }

    // --- answer ---

    std::optional<cb::format> answer_format(const request& req) const {
        const auto in = req.body().empty() ? std::nullopt : cb::body_format(req[http::field::content_type]);
        return cb::negotiate(req[http::field::accept], in);
    }

    response not_acceptable(const request& req, std::uint64_t id) const {
        return error(http::status::not_acceptable, id,
                     "Accept '" + std::string(req[http::field::accept]) +
                         "' allows neither application/json nor application/xml.");
    }

    response not_allowed(std::uint64_t id, std::string_view allow, const request& req) const {
        auto res = error(http::status::method_not_allowed, id,
                         "The method " + std::string(req.method_string()) + " is not allowed on '" +
                             std::string(req.target()) + "'; allowed: " + std::string(allow) + ".");
        res.set(http::field::allow, allow);
        return res;
    }

    response error(http::status status, std::uint64_t id, std::string_view message) const {
        return error(static_cast<unsigned>(status), id, message);
    }

    // The document's "REST Error Responses": application/xml; charset=utf-8,
    // a 4xx status, and (as its sample shows) a "status" header.
    response error(unsigned status, std::uint64_t id, std::string_view message) const {
        auto res = answer(static_cast<http::status>(status), cb::format::xml, cb::render_error(id, message));
        res.set("status", std::to_string(status));
        return res;
    }

    // Every answer carries the document's "Common Response Headers":
    // Content-Type, X-Amz-Date and X-Amz-Content-Sha256 (of the body sent).
    response answer(http::status status, std::optional<cb::format> f, std::string body) const {
        response res{status, 11};
        if (f) res.set(http::field::content_type, cb::content_type_of(*f));
        res.set("X-Amz-Date", v4::format_amz_date(clock_.now()));
        res.set("X-Amz-Content-Sha256", v4::sha256_hex(body));
        res.body() = std::move(body);
        res.prepare_payload();
        return res;
    }

    const config cfg_;
    const clock& clock_;
    const v4::policy policy_;
    cb::store store_;
    std::atomic<std::uint64_t> next_request_id_{1};
    std::atomic<bool> token_expired_{false};
    std::array<std::atomic<std::uint64_t>, v4::failure_count> failures_{};
    mutable std::mutex last_failure_mutex_;
    std::string last_failure_;
};

}  // namespace

std::unique_ptr<vendor> make_cloudbasic(const options& opts, const clock& c) {
    auto cfg = parse_config(opts);
    validate(cfg);
    return std::make_unique<cloudbasic_vendor>(std::move(cfg), opts.seed, c);
}

}  // namespace sim
