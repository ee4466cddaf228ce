// One resource's rows and the list view over them, as sections 1.5 to 1.7 of
// the document describe them (Django REST framework's DjangoFilterBackend,
// SearchFilter, OrderingFilter and PageNumberPagination, in that order).
#pragma once

#include "tests/simulators/cpm/wire.hpp"

#include <cstdint>
#include <functional>
#include <map>

namespace sim::cpm {

// An item and its serialized form, kept so that lists are a concatenation.
struct row {
    json::object value;
    std::string text;
};
using table = std::map<std::int64_t, row>;  // by id, the default order

enum class filter_kind { integer, boolean, text };
struct filter_field {
    std::string_view name;
    filter_kind kind;
};

struct list_spec {
    std::vector<filter_field> filters = {};       // exact match: ?account=1
    std::vector<std::string_view> search = {};    // ?search=James (case-insensitive, every term somewhere)
    std::vector<std::string_view> ordering = {};  // ?ordering=every_unit,-every_how_many
    // A field whose values sort in this order instead of alphabetically.
    std::string_view ranked_field = {};
    std::vector<std::string_view> rank = {};
    // DRF's pagination_class: a view with none answers the bare array of
    // everything and ignores page and page_size (/regions/).
    bool paginated = true;
};

struct list_context {
    const params& args;
    std::string_view path;       // for next/previous, as received
    std::string origin;          // "https://cpm.example.com"
    std::size_t max_page_size;   // DRF's max_page_size: larger page_size values are clamped to it
};

// Rows outside the view (a DR account under /accounts/backup/) are skipped.
using row_scope = std::function<bool(const json::object&)>;

response list(const table& rows, const list_spec& spec, const row_scope& scope, const list_context& ctx);

}  // namespace sim::cpm
