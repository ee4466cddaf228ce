// The CloudBasic simulator over real sockets (sim::server + sim::test::send).
// Each test cites the section of ../shared/vendors/cloudbasic-rest-api.txt it
// checks. Requests are signed by a small SigV4 signer written here, apart from
// the simulator's verifier (sigv4.cpp), and itself checked against a signature
// precomputed by AWS's test suite.
#define BOOST_TEST_MODULE cloudbasic_sim
#include <boost/test/unit_test.hpp>

#include "tests/simulators/cloudbasic/cloudbasic.hpp"
#include "tests/simulators/common/server.hpp"
#include "tests/simulators/common/test_client.hpp"

#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <thread>
#include <tuple>

namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using time_point = std::chrono::system_clock::time_point;
using request = http::request<http::string_body>;

namespace {

// --- A test-only SigV4 signer ------------------------------------------------

namespace signer {

std::string hex(const unsigned char* p, std::size_t n) {
    std::string out;
    char buf[3];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        out += buf;
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    return hex(md, n);
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), md, &n);
    return std::string(reinterpret_cast<const char*>(md), n);
}

std::string amz_date(time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[20];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

// RFC 3986 unreserved characters stay, every other byte becomes %XX.
std::string uri_encode(std::string_view s, bool keep_slash) {
    std::string out;
    char buf[4];
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

struct key {
    std::string id = "AKIDEXAMPLE";
    std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    std::string region = "us-east-1";
    std::string service = "cbr";
    std::optional<std::string> token;
};

struct how {
    bool content_sha = true;                       // send X-Amz-Content-Sha256
    std::optional<std::string> content_sha_value;  // instead of the body's hash
    bool sign_token = true;
    bool double_encode = true;  // false: the path as sent (S3's rule)
};

how without_content_sha() {
    how h;
    h.content_sha = false;
    return h;
}
how with_content_sha(std::string value) {
    how h;
    h.content_sha_value = std::move(value);
    return h;
}
how token_unsigned() {
    how h;
    h.sign_token = false;
    return h;
}
how single_encoded() {
    how h;
    h.double_encode = false;
    return h;
}

// Adds X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token and
// Authorization to `req`, signing every header it then holds.
void sign(request& req, const key& k, time_point when, const how& h = {}) {
    const auto date = amz_date(when);
    req.set("X-Amz-Date", date);
    const auto payload_hash = h.content_sha_value.value_or(sha256_hex(req.body()));
    if (h.content_sha) req.set("X-Amz-Content-Sha256", payload_hash);
    if (k.token) req.set("X-Amz-Security-Token", *k.token);

    std::map<std::string, std::string> headers;
    for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "authorization" || (name == "x-amz-security-token" && !h.sign_token)) continue;
        headers[name] = std::string(field.value());
    }
    std::string canonical_headers, signed_headers;
    for (const auto& [name, value] : headers) {
        canonical_headers += name + ":" + value + "\n";
        signed_headers += (signed_headers.empty() ? "" : ";") + name;
    }
    const std::string target(req.target());
    const auto q = target.find('?');
    const auto path = target.substr(0, q);
    std::vector<std::string> params;
    if (q != std::string::npos) {
        std::string rest = target.substr(q + 1);
        for (std::size_t start = 0; start <= rest.size();) {
            auto end = rest.find('&', start);
            if (end == std::string::npos) end = rest.size();
            params.push_back(rest.substr(start, end - start));
            start = end + 1;
        }
    }
    std::sort(params.begin(), params.end());
    std::string query;
    for (const auto& p : params) query += (query.empty() ? "" : "&") + p;

    const std::string canonical_request = std::string(req.method_string()) + "\n" +
                                          (h.double_encode ? uri_encode(path, true) : path) + "\n" + query + "\n" +
                                          canonical_headers + "\n" + signed_headers + "\n" +
                                          (h.content_sha ? payload_hash : sha256_hex(req.body()));
    const std::string scope = date.substr(0, 8) + "/" + k.region + "/" + k.service + "/aws4_request";
    const std::string string_to_sign =
        "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + sha256_hex(canonical_request);
    const auto signing_key =
        hmac(hmac(hmac(hmac("AWS4" + k.secret, date.substr(0, 8)), k.region), k.service), "aws4_request");
    const auto mac = hmac(signing_key, string_to_sign);
    req.set(http::field::authorization,
            "AWS4-HMAC-SHA256 Credential=" + k.id + "/" + scope + ", SignedHeaders=" + signed_headers +
                ", Signature=" + hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()));
}

}  // namespace signer

// --- The simulator on a real port ---------------------------------------------

using extras = std::map<std::string, std::string>;

struct simulator {
    explicit simulator(extras extra = {}, std::uint64_t seed = 1, int threads = 1) {
        sim::options o;
        o.seed = seed;
        o.extra = std::move(extra);
        vendor = sim::make_cloudbasic(o, clock);
        sim::server_options so;
        so.threads = threads;
        server = std::make_unique<sim::server>(*vendor, clock, so);
    }

    request make(http::verb method, std::string target, std::string body = {}, std::string content_type = {}) const {
        request req{method, target, 11};
        req.set(http::field::host, "127.0.0.1:" + std::to_string(server->port()));
        if (!content_type.empty()) req.set(http::field::content_type, content_type);
        req.body() = std::move(body);
        if (!req.body().empty()) req.prepare_payload();  // Content-Length signed, as in the document's sample
        return req;
    }

    sim::test::result send(request req) const { return sim::test::send(server->port(), std::move(req)); }

    sim::test::result signed_send(request req, const signer::how& h = {}) const {
        signer::sign(req, key, clock.now(), h);
        return send(std::move(req));
    }

    sim::test::result get(std::string target, std::string accept = {}) const {
        auto req = make(http::verb::get, std::move(target));
        if (!accept.empty()) req.set(http::field::accept, accept);
        return signed_send(std::move(req));
    }

    std::uint64_t unauthorized() const { return vendor->stats().unauthorized.load(); }

    sim::clock clock;
    std::unique_ptr<sim::vendor> vendor;
    std::unique_ptr<sim::server> server;
    signer::key key;
};

std::string xml_unescape(std::string s) {
    for (const auto& [from, to] : {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&amp;", "&"}}) {
        for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + 1))
            s.replace(pos, std::string_view(from).size(), to);
    }
    return s;
}

// The document's "REST Error Responses": application/xml; charset=utf-8, a 4xx
// status, and <Error><RequestId>numeric</RequestId><Message>..</Message></Error>.
// Returns the message.
std::string expect_error(const sim::test::result& r, unsigned status) {
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.header("Content-Type") == "application/xml; charset=utf-8");
    BOOST_TEST(r.header("status") == std::to_string(status));
    constexpr std::string_view head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n <RequestId>";
    BOOST_TEST(r.body.starts_with(head), r.body);
    const auto id_end = r.body.find("</RequestId>\n <Message>");
    const auto message_end = r.body.find("</Message>\n</Error>\n");
    BOOST_REQUIRE(id_end != std::string::npos);
    BOOST_REQUIRE(message_end != std::string::npos);
    const auto id = r.body.substr(head.size(), id_end - head.size());
    BOOST_TEST((!id.empty() &&
                std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })),
               id);
    const auto start = id_end + std::string_view("</RequestId>\n <Message>").size();
    return xml_unescape(r.body.substr(start, message_end - start));
}

// A 403 for a signature reason, counted in stats().unauthorized.
void expect_refused(const sim::test::result& r, std::string_view says) {
    const auto message = expect_error(r, 403);
    BOOST_TEST(message.find(says) != std::string::npos, "message: " << message);
}

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

}  // namespace

// The test signer against AWS's suite (get-vanilla): the precomputed signature.
BOOST_AUTO_TEST_CASE(test_signer_matches_the_aws_suite) {
    request req{http::verb::get, "/", 11};
    req.set(http::field::host, "example.amazonaws.com");
    signer::key k{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service", {}};
    signer::sign(req, k, time_point{std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min},
                 signer::without_content_sha());
    BOOST_TEST(
        req[http::field::authorization] ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

BOOST_AUTO_TEST_SUITE(signed_requests)

// "API Security": a request signed by the AWS Signature Version 4 process, for
// service cbr, is served. "Common Response Headers": X-Amz-Date, and
// X-Amz-Content-Sha256 of the body sent.
BOOST_AUTO_TEST_CASE(signed_list_is_served_with_common_response_headers) {
    simulator s;
    const auto r = s.get("/replications");
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.header("Content-Type") == "application/json; charset=utf-8");
    BOOST_TEST(r.header("X-Amz-Content-Sha256") == signer::sha256_hex(r.body));
    BOOST_TEST(r.header("X-Amz-Date").size() == 16u);
    BOOST_TEST(json::parse(r.body).at("Replications").as_array().size() == 137u);
    BOOST_TEST(s.unauthorized() == 0u);
    BOOST_TEST(s.vendor->stats().requests.load() == 1u);  // counted by the server
}

// "API Actions": Instance, User, Replication and Multi-AZ HA Cluster
// Management; whole lists, no pagination.
BOOST_AUTO_TEST_CASE(every_list_is_whole) {
    simulator s;
    for (const auto& [path, member, size] :
         {std::tuple{"/instances", "Instances", 23u}, std::tuple{"/users", "Users", 11u},
          std::tuple{"/clusters", "Clusters", 3u}}) {
        const auto r = s.get(path);
        BOOST_TEST(r.status == 200u, path << ": " << r.body);
        BOOST_TEST(json::parse(r.body).at(member).as_array().size() == size, path);
    }
    // The configured key pair belongs to the first user, the administrator.
    const auto users = json::parse(s.get("/users").body).at("Users").as_array();
    BOOST_TEST(users.at(0).at("AccessKeyId").as_string() == "AKIDEXAMPLE");
    BOOST_TEST(users.at(0).at("Role").as_string() == "Administrator");
}

BOOST_AUTO_TEST_CASE(same_seed_same_data) {
    simulator a({}, 42), b({}, 42), c({}, 43);
    BOOST_TEST(a.get("/replications").body == b.get("/replications").body);
    BOOST_TEST(a.get("/replications").body != c.get("/replications").body);
    simulator small(extras{{"replications", "5"}, {"instances", "4"}});
    BOOST_TEST(json::parse(small.get("/replications").body).at("Replications").as_array().size() == 5u);
}

// "API Actions": one item by its Id; an unknown one is a 404 with the error body.
BOOST_AUTO_TEST_CASE(one_item_and_unknown_paths) {
    simulator s;
    auto r = s.get("/replications/rep-0042");
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(json::parse(r.body).at("Replication").at("Id").as_string() == "rep-0042");
    BOOST_TEST(expect_error(s.get("/replications/rep-9999"), 404) == "Replication 'rep-9999' does not exist.");
    BOOST_TEST(expect_error(s.get("/backups"), 404).find("does not exist") != std::string::npos);
    BOOST_TEST(expect_error(s.get("/"), 404).find("does not exist") != std::string::npos);
    BOOST_TEST(expect_error(s.get("/replications/"), 404).find("does not exist") != std::string::npos);
    // Dot segments are removed before signing (this test signer does not): the
    // simulator expected the normalized path.
    expect_refused(s.get("/replications/./rep-0042/../rep-0007"), "'GET\n/replications/rep-0007\n");
    const auto put = s.signed_send(s.make(http::verb::put, "/instances"));
    expect_error(put, 405);
    BOOST_TEST(put.header("Allow") == "GET, HEAD");
}

// Double encoding, as every AWS service but S3: the path as sent (already
// percent-encoded) is encoded again for the canonical request.
BOOST_AUTO_TEST_CASE(encoded_path_is_double_encoded) {
    simulator s;
    // %2D is '-': the route is /replications/rep-0001.
    auto r = s.signed_send(s.make(http::verb::get, "/replications/rep%2D0001"));
    BOOST_TEST(r.status == 200u, r.body);
    r = s.signed_send(s.make(http::verb::get, "/replications/rep%2D0001"), signer::single_encoded());
    expect_refused(r, "/replications/rep%252D0001");  // the canonical request the simulator expected
}

BOOST_AUTO_TEST_SUITE_END()

// "All API methods accept XML and JSON. API Response is rendered in XML or
// JSON accordingly."
BOOST_AUTO_TEST_SUITE(formats)

BOOST_AUTO_TEST_CASE(json_is_the_default) {
    simulator s;
    for (const std::string accept : {"", "*/*", "application/json", "application/*"}) {
        const auto r = s.get("/instances", accept);
        BOOST_TEST(r.header("Content-Type") == "application/json; charset=utf-8", accept);
    }
}

BOOST_AUTO_TEST_CASE(xml_when_accept_asks) {
    simulator s;
    for (const std::string accept : {"application/xml", "text/xml", "application/json;q=0.5, application/xml"}) {
        const auto r = s.get("/replications", accept);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.header("Content-Type") == "application/xml; charset=utf-8", accept);
        BOOST_TEST(r.body.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Replications><Replication><Id>rep-0001</Id>"));
        BOOST_TEST(count(r.body, "<Replication>") == 137u);
        BOOST_TEST(r.body.ends_with("</Replication></Replications>"));
    }
    const auto one = s.get("/users/user-0001", "application/xml");
    BOOST_TEST(one.body.find("<User><Id>user-0001</Id><UserName>admin</UserName>") != std::string::npos, one.body);
}

BOOST_AUTO_TEST_CASE(neither_format_is_406) {
    simulator s;
    expect_error(s.get("/instances", "text/html"), 406);
    expect_error(s.get("/instances", "application/json;q=0"), 406);
}

BOOST_AUTO_TEST_SUITE_END()

// "Passing Parameters": in the body, as XML or JSON.
BOOST_AUTO_TEST_SUITE(parameters)

BOOST_AUTO_TEST_CASE(create_and_delete_a_replication_in_json) {
    simulator s;
    const std::string body =
        R"({"Name":"nightly","SourceInstanceId":"inst-0001","SourceDatabase":"Sales1","TargetInstanceId":"inst-0002"})";
    auto r = s.signed_send(s.make(http::verb::post, "/replications", body, "application/json"));
    BOOST_TEST(r.status == 201u, r.body);
    BOOST_TEST(r.header("Location") == "/replications/rep-0138");
    const auto created = json::parse(r.body).at("Replication");
    BOOST_TEST(created.at("Status").as_string() == "Initializing");
    BOOST_TEST(created.at("TargetDatabase").as_string() == "Sales1");
    BOOST_TEST(json::parse(s.get("/replications").body).at("Replications").as_array().size() == 138u);

    r = s.signed_send(s.make(http::verb::delete_, "/replications/rep-0138"));
    BOOST_TEST(r.status == 204u);
    expect_error(s.get("/replications/rep-0138"), 404);
    s.vendor->reset();
    BOOST_TEST(json::parse(s.get("/replications").body).at("Replications").as_array().size() == 137u);
}

// An XML body, no Accept: the answer is XML too ("accordingly").
BOOST_AUTO_TEST_CASE(create_in_xml_answers_in_xml) {
    simulator s;
    const std::string body =
        "<?xml version=\"1.0\"?>\n<Replication>\n  <SourceInstanceId>inst-0003</SourceInstanceId>\n"
        "  <SourceDatabase>Ledger&amp;Co</SourceDatabase>\n  <TargetInstanceId>inst-0004</TargetInstanceId>\n"
        "</Replication>";
    const auto r = s.signed_send(s.make(http::verb::post, "/replications", body, "application/xml"));
    BOOST_TEST(r.status == 201u, r.body);
    BOOST_TEST(r.header("Content-Type") == "application/xml; charset=utf-8");
    BOOST_TEST(r.body.find("<SourceDatabase>Ledger&amp;Co</SourceDatabase>") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_400_415) {
    simulator s;
    auto post = [&](std::string body, std::string type) {
        return s.signed_send(s.make(http::verb::post, "/replications", std::move(body), std::move(type)));
    };
    BOOST_TEST(expect_error(post(R"({"SourceInstanceId":"inst-0001"})", "application/json"), 400) ==
               "Missing required parameter 'SourceDatabase'.");
    BOOST_TEST(
        expect_error(post(R"({"SourceInstanceId":"inst-0001","SourceDatabase":"a","TargetInstanceId":"inst-0999"})",
                          "application/json"),
                     400) == "TargetInstanceId 'inst-0999' does not exist.");
    BOOST_TEST(
        expect_error(post(R"({"Bogus":"1"})", "application/json"), 400).starts_with("Unknown parameter 'Bogus'"));
    expect_error(post("{", "application/json"), 400);
    expect_error(post("<Replication><A><B/></A></Replication>", "application/xml"), 400);
    expect_error(post("Param1=value1", "application/x-www-form-urlencoded"), 415);
    // Parameters go in the body, not the query string.
    BOOST_TEST(expect_error(s.get("/replications?Status=Running"), 400).find("not in the query string") !=
               std::string::npos);
}

// "Management of Key pairs": a user created through the API gets a new key
// pair in the answer; it signs requests from then on.
BOOST_AUTO_TEST_CASE(new_user_gets_a_working_key_pair) {
    simulator s;
    auto r = s.signed_send(
        s.make(http::verb::post, "/users", R"({"UserName":"ops","Role":"Operator"})", "application/json"));
    BOOST_TEST(r.status == 201u, r.body);
    const auto user = json::parse(r.body).at("User");
    signer::key k;
    k.id = std::string(user.at("AccessKeyId").as_string());
    k.secret = std::string(user.at("SecretAccessKey").as_string());
    BOOST_TEST(k.id.size() == 20u);
    BOOST_TEST(k.secret.size() == 40u);
    auto req = s.make(http::verb::get, "/users/" + std::string(user.at("Id").as_string()));
    signer::sign(req, k, s.clock.now());
    r = s.send(req);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(json::parse(r.body).at("User").as_object().contains("SecretAccessKey") == false);  // shown once
    expect_error(s.signed_send(s.make(http::verb::post, "/users", R"({"UserName":"ops"})", "application/json")), 409);
    s.vendor->reset();  // issued keys are forgotten
    expect_refused(s.send(req), "does not exist in our records");
}

BOOST_AUTO_TEST_SUITE_END()

// "API Security": every interaction must be authenticated with SigV4; each
// failure is a 403 with the error body of "REST Error Responses".
BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(no_authorization_header) {
    simulator s;
    expect_refused(s.send(s.make(http::verb::get, "/replications")), "Missing Authentication Token");
    BOOST_TEST(s.unauthorized() == 1u);
    BOOST_TEST(s.vendor->state().at("signature_failures").at("missing_authorization").as_uint64() == 1u);
}

BOOST_AUTO_TEST_CASE(wrong_secret_key) {
    simulator s;
    s.key.secret = "not-the-secret";
    expect_refused(s.get("/replications"),
                   "The request signature we calculated does not match the signature you provided");
    BOOST_TEST(s.unauthorized() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_access_key) {
    simulator s;
    s.key.id = "AKIDUNKNOWN";
    expect_refused(s.get("/replications"), "The AWS Access Key Id you provided does not exist in our records");
}

BOOST_AUTO_TEST_CASE(wrong_region_and_service) {
    simulator s;
    s.key.region = "eu-west-1";
    expect_refused(s.get("/replications"),
                   "Credential should be scoped to a valid region: 'us-east-1', not 'eu-west-1'.");
    s.key.region = "us-east-1";
    s.key.service = "s3";
    expect_refused(s.get("/replications"), "Credential should be scoped to correct service: 'cbr', not 's3'.");
    BOOST_TEST(s.unauthorized() == 2u);
}

// "extra" region: the scope must name the configured one.
BOOST_AUTO_TEST_CASE(configured_region_and_keys) {
    simulator s(
        extras{{"region", "eu-central-1"}, {"access_key_id", "DJHDYSIRYGJBEETGDQCP"}, {"secret_access_key", "s3cr3t"}});
    expect_refused(s.get("/replications"), "valid region: 'eu-central-1'");
    s.key = {"DJHDYSIRYGJBEETGDQCP", "s3cr3t", "eu-central-1", "cbr", {}};
    BOOST_TEST(s.get("/replications").status == 200u);
}

BOOST_AUTO_TEST_CASE(tampered_path_query_header_and_body) {
    simulator s;
    const auto mismatch = "does not match the signature you provided";
    auto req = s.make(http::verb::get, "/replications");
    signer::sign(req, s.key, s.clock.now());
    req.target("/instances");
    expect_refused(s.send(req), mismatch);

    req = s.make(http::verb::get, "/replications?Status=Running");
    signer::sign(req, s.key, s.clock.now());
    req.target("/replications?Status=Paused");
    expect_refused(s.send(req), mismatch);

    req = s.make(http::verb::post, "/replications", R"({"SourceInstanceId":"inst-0001"})", "application/json");
    signer::sign(req, s.key, s.clock.now());
    req.set(http::field::content_type, "application/xml");
    expect_refused(s.send(req), mismatch);

    // A changed body no longer matches the signed X-Amz-Content-Sha256.
    req = s.make(http::verb::post, "/replications", R"({"SourceInstanceId":"inst-0001"})", "application/json");
    signer::sign(req, s.key, s.clock.now());
    req.body() = R"({"SourceInstanceId":"inst-0002"})";
    expect_refused(s.send(req), "The provided 'x-amz-content-sha256' header does not match what was computed");

    // ...and a header added after signing is refused when it is an X-Amz-* one.
    req = s.make(http::verb::get, "/replications");
    signer::sign(req, s.key, s.clock.now());
    req.set("X-Amz-Target", "CloudBasic.ListReplications");
    expect_refused(s.send(req), "'x-amz-target' must be signed");
    BOOST_TEST(s.unauthorized() == 5u);
}

// "Common Request Headers": X-Amz-Date, "the current date and time"; AWS's
// rule allows 15 minutes either way.
BOOST_AUTO_TEST_CASE(stale_and_future_dates) {
    simulator s;
    auto req = s.make(http::verb::get, "/replications");
    signer::sign(req, s.key, s.clock.now());
    BOOST_TEST(s.send(req).status == 200u);
    s.clock.advance(16min);
    expect_refused(s.send(req), "Signature expired: ");

    req = s.make(http::verb::get, "/replications");
    signer::sign(req, s.key, s.clock.now() + 16min);
    expect_refused(s.send(req), "Signature not yet current: ");
    BOOST_TEST(s.vendor->state().at("signature_failures").at("expired").as_uint64() == 2u);
}

// "Common Request Headers": X-Amz-Content-Sha256 "provides a hash of the
// request payload": required, and it must be that hash.
BOOST_AUTO_TEST_CASE(content_sha256_must_be_the_body_hash) {
    simulator s;
    const std::string body = R"({"UserName":"x"})";
    expect_refused(s.signed_send(s.make(http::verb::post, "/users", body, "application/json"),
                                 signer::with_content_sha(signer::sha256_hex("another body"))),
                   "does not match what was computed");
    expect_refused(s.signed_send(s.make(http::verb::post, "/users", body, "application/json"),
                                 signer::with_content_sha("UNSIGNED-PAYLOAD")),
                   "UNSIGNED-PAYLOAD is not accepted");
    expect_refused(s.signed_send(s.make(http::verb::get, "/users"), signer::without_content_sha()),
                   "Missing required header for this request: x-amz-content-sha256");
    BOOST_TEST(s.unauthorized() == 3u);
}

// extra "session_token": X-Amz-Security-Token must be present, equal and signed;
// POST /__sim/expire expires it.
BOOST_AUTO_TEST_CASE(session_token) {
    simulator s(extras{{"session_token", "FQoGZXIvYXdzEXAMPLETOKEN"}});
    expect_refused(s.get("/replications"), "Missing X-Amz-Security-Token");
    s.key.token = "FQoGZXIvYXdzEXAMPLETOKEN";
    BOOST_TEST(s.get("/replications").status == 200u);
    expect_refused(s.signed_send(s.make(http::verb::get, "/replications"), signer::token_unsigned()),
                   "'x-amz-security-token' must be signed");
    s.key.token = "FQoGZXIvYXdzWRONGTOKEN";
    expect_refused(s.get("/replications"), "The security token included in the request is invalid.");
    s.key.token = "FQoGZXIvYXdzEXAMPLETOKEN";
    s.vendor->expire_all();
    expect_refused(s.get("/replications"), "The security token included in the request is expired.");
    BOOST_TEST(s.vendor->state().at("session_token_expired").as_bool());
    s.vendor->reset();
    BOOST_TEST(s.get("/replications").status == 200u);
    BOOST_TEST(s.unauthorized() == 4u);
}

BOOST_AUTO_TEST_CASE(no_token_expected_without_one) {
    simulator s;
    s.key.token = "UNEXPECTED";
    expect_refused(s.get("/replications"), "these credentials have no session token");
}

BOOST_AUTO_TEST_CASE(malformed_authorization) {
    simulator s;
    auto req = s.make(http::verb::get, "/replications");
    req.set(http::field::authorization, "Bearer abc");
    expect_refused(s.send(req), "Unsupported Authorization type 'Bearer'");
    signer::sign(req, s.key, s.clock.now());
    auto auth = std::string(req[http::field::authorization]);
    req.set(http::field::authorization, auth.substr(0, auth.find(", Signature=")));
    expect_refused(s.send(req), "Authorization header requires 'Signature' parameter.");
}

BOOST_AUTO_TEST_SUITE_END()

// handle() is called from several server threads at once.
BOOST_AUTO_TEST_CASE(concurrent_requests) {
    simulator s({}, 1, 4);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 15; ++i) {
                if (i % 5 == 0) {
                    const auto body = R"({"SourceInstanceId":"inst-0001","SourceDatabase":"T)" + std::to_string(t) +
                                      "_" + std::to_string(i) + R"(","TargetInstanceId":"inst-0002"})";
                    ok += s.signed_send(s.make(http::verb::post, "/replications", body, "application/json")).status ==
                          201;
                } else {
                    ok += s.get(i % 2 ? "/replications" : "/users", i % 3 ? "application/xml" : "").status == 200;
                }
            }
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(ok.load() == 90);
    BOOST_TEST(json::parse(s.get("/replications").body).at("Replications").as_array().size() == 137u + 18u);
}
