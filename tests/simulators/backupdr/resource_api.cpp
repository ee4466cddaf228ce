#include "tests/simulators/backupdr/resource_api.hpp"

#include "tests/simulators/backupdr/list_query.hpp"
#include "tests/simulators/backupdr/text.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <random>

namespace sim::backupdr {

namespace {

namespace json = boost::json;

std::string_view option_type(field_type t) {
    switch (t) {
    case field_type::number:
    case field_type::timestamp:
        return "Long";
    case field_type::boolean:
        return "Boolean";
    case field_type::string:
    case field_type::enumeration:
        return "String";
    }
    return "String";
}

// Section 2.1: JSON is the only format; section 3.5: anything else is 415.
std::optional<api_error> check_json_content_type(const request& req) {
    if (media_type(req[http::field::content_type]) == "application/json")
        return std::nullopt;
    return api_error{http::status::unsupported_media_type, err_code::unsupported_media,
                     "Content-Type must be application/json"};
}

outcome<json::object> json_body(const request& req) {
    if (auto e = check_json_content_type(req))
        return *e;
    boost::system::error_code ec;
    json::value v = json::parse(req.body(), ec);
    if (ec)
        return bad_request("the body is not valid JSON: " + ec.message());
    if (!v.is_object())
        return bad_request("the body must be a JSON object");
    return std::move(v.as_object());
}

reply object_reply(const outcome<json::object>& o) {
    return o ? json_reply(http::status::ok, *o) : error_reply(o.error());
}

reply list_page(const list_query& q, const std::vector<const json::object*>& items, std::size_t page_cap) {
    const std::size_t start = static_cast<std::size_t>(std::min<std::uint64_t>(q.offset, items.size()));
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({q.limit, page_cap, items.size() - start}));
    json::array page;
    for (std::size_t i = start; i < start + n; ++i)
        page.push_back(*items[i]);
    // Section 5.1's example (an offset past the end gives "count": 0) shows that
    // count is the number of items in this response; HEAD gives the total.
    return json_reply(http::status::ok, json::object{{"count", n}, {"items", std::move(page)}});
}

// Section 5.1: "if sorting is not explicitly defined in the request, then
// the ordering of the resources is undetermined". Each unsorted call gets an
// order of its own (a shuffle seeded by a call counter: reproducible run to
// run, different call to call), so that a client paging without a sort
// loses and repeats items here as it would against the service.
void undetermined_order(std::vector<const json::object*>& items) {
    static std::atomic<std::uint64_t> calls{0};
    std::mt19937_64 order(0x5eed + calls.fetch_add(1, std::memory_order_relaxed));
    std::shuffle(items.begin(), items.end(), order);
}

// Section 3.3: "HEAD is used to get an estimated count". The simulator's
// estimate is low by a tenth (at least one, from two items up): a client that
// ends its walk at the count loses the last items.
std::size_t estimated_count(std::size_t n) { return n < 2 ? n : n - std::max<std::size_t>(1, n / 10); }

reply list(const resource_call& call, list_use use, std::size_t page_cap) {
    auto q = parse_list_query(call.params, call.schema, use);
    if (!q)
        return error_reply(q.error());
    auto items = call.data.all(call.schema);
    select(items, *q);
    if (use == list_use::page) {
        if (!q->sort)
            undetermined_order(items);
        return list_page(*q, items, page_cap);
    }
    // Section 3.3: HEAD answers the count in Actifio-Count, with no body.
    reply r;
    r.head.result(http::status::ok);
    r.head.set("Actifio-Count", std::to_string(estimated_count(items.size())));
    return r;
}

// Section 3.4 shows only a fragment of the answer ({"field", "type"} entries);
// the surrounding shape is the simulator's own.
reply options_reply(const resource_schema& s) {
    json::array fields;
    for (const field& f : s.fields)
        fields.push_back(json::object{{"field", f.name}, {"type", option_type(f.type)}});
    json::array keywords;
    for (std::string_view k : s.keyword_fields)
        keywords.push_back(json::string(k));
    return json_reply(http::status::ok, json::object{{"filter", json::object{{"fields", fields}}},
                                                     {"sort", json::object{{"fields", fields}}},
                                                     {"pagination", true},
                                                     {"keyword", json::object{{"fields", keywords}}}});
}

reply create(const resource_call& call) {
    auto body = json_body(call.req);
    if (!body)
        return error_reply(body.error());
    // Section 3.5: "Object created ... 200 instead of 201 is used".
    return object_reply(call.data.create(call.schema, *body, call.now_us));
}

std::optional<std::int64_t> parse_id(std::string_view s) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || id < 0)
        return std::nullopt;
    return id;
}

reply update(const resource_call& call, std::int64_t id) {
    auto body = json_body(call.req);
    if (!body)
        return error_reply(body.error());
    return object_reply(call.data.update(call.schema, id, *body, call.now_us));
}

reply remove(const resource_call& call, std::int64_t id) {
    if (auto e = call.data.remove(call.schema, id))
        return error_reply(*e);
    return no_content();
}

}  // namespace

reply serve_list(const resource_call& call, std::size_t page_cap) {
    switch (call.req.method()) {
    case http::verb::get:
        return list(call, list_use::page, page_cap);
    case http::verb::head:
        return list(call, list_use::count, page_cap);
    case http::verb::options:
        return options_reply(call.schema);
    case http::verb::post:
        if (call.schema.can_create)
            return create(call);
        break;
    default:
        break;
    }
    return method_not_allowed(call.schema.allowed_on_list());
}

reply serve_item(const resource_call& call, std::string_view id_segment) {
    const http::verb m = call.req.method();
    const bool allowed = m == http::verb::get || (m == http::verb::put && call.schema.can_update) ||
                         (m == http::verb::delete_ && call.schema.can_delete);
    if (!allowed)
        return method_not_allowed(call.schema.allowed_on_item());
    if (!call.params.empty())
        return error_reply(invalid_query("an individual " + std::string(call.schema.name) +
                                         " takes no query parameters"));
    auto id = parse_id(id_segment);
    const json::object* item = id ? call.data.find(call.schema, *id) : nullptr;
    if (item == nullptr)
        return error_reply(not_found(std::string(call.schema.name) + " " + std::string(id_segment) +
                                     " does not exist"));
    if (m == http::verb::put)
        return update(call, *id);
    if (m == http::verb::delete_)
        return remove(call, *id);
    return json_reply(http::status::ok, *item);
}

// Section 3.1: POST "perform[s] an operation on a resource"; section 4.1: "Jobs
// perform operations on applications, such as taking snapshots". The document
// names no path for it: the simulator's is .../application/{id}/backup, an
// on-demand snapshot job, answered like a created object (200, section 3.5)
// with the job. The body is optional (an empty one needs no Content-Type);
// when given it is a JSON object (415/400 as for any POST).
reply serve_application_backup(const resource_call& call, std::string_view id_segment) {
    if (call.req.method() != http::verb::post)
        return method_not_allowed("POST");
    if (!call.params.empty())
        return error_reply(invalid_query("an application's backup takes no query parameters"));
    auto id = parse_id(id_segment);
    if (!id || call.data.find(call.schema, *id) == nullptr)
        return error_reply(not_found("application " + std::string(id_segment) + " does not exist"));
    json::object body;
    if (!call.req.body().empty()) {
        auto parsed = json_body(call.req);
        if (!parsed)
            return error_reply(parsed.error());
        body = std::move(*parsed);
    }
    return object_reply(call.data.start_backup(*id, body, call.now_us));
}

}  // namespace sim::backupdr
