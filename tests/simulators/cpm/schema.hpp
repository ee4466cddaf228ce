// The fields of CPM's writable resources and their validation, with Django
// REST framework's messages and codes, so a 400 looks like the document's
// section 1.8: {"errors":[{"name":[{"message":"This field may not be blank.","code":"blank"}]}]}.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <vector>

namespace sim::cpm {

namespace json = boost::json;

enum class kind {
    text,            // any string
    name,            // letters, digits and '_' (the document's rule for account names)
    description,     // free text without markup characters
    username,        // Django's username characters
    email,
    password,
    account_number,  // 12 digits
    datetime,        // ISO 8601
    integer,
    boolean,
    choice,
    string_list,
    user_ref,        // the pk of a user
    account_ref,     // the pk of a backup (not DR) account
    schedule_refs,   // a list of schedule pks
};

enum class presence { read_only, optional, required };

struct field {
    std::string_view name;
    kind type;
    presence on_create = presence::optional;
    presence on_update = presence::optional;
    bool nullable = false;
    bool allow_blank = false;
    bool write_only = false;  // accepted, never shown (secrets, passwords)
    bool id_as_string = false;  // a reference shown as a string (the document's accounts' "user")
    std::vector<std::string_view> choices = {};
    std::int64_t min = std::numeric_limits<std::int64_t>::min();
    std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Whether the object a reference field names exists.
using reference_check = std::function<bool(kind, std::int64_t)>;

struct validation {
    json::object values;  // the writable fields given, converted (write-only ones included)
    json::object errors;  // {field: [{message, code}]}, empty when valid
};

validation validate(const std::vector<field>& fields, const json::object& body, bool create,
                    const reference_check& exists);

}  // namespace sim::cpm
