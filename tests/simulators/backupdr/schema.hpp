// The top level resources the simulator serves (section 4.1) and their
// attributes: types for filtering (section 5.2), the free text search
// attributes (section 5.4), and what POST and PUT (section 3.2) may set.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sim::backupdr {

// Section 5.2, "Restrictions", names these kinds of attributes. Timestamps are
// microseconds since the epoch (the document types createdate as Long).
enum class field_type { number, string, enumeration, timestamp, boolean };

struct field {
    std::string_view name;
    field_type type;
    bool writable = false;  // PUT may change it
    bool creatable = false; // POST may send it
    bool required = false;  // POST must send it
    std::vector<std::string_view> values = {};  // the members of an enumeration
};

struct resource_schema {
    std::string_view name;  // the path segment: /actifio/<name>
    std::vector<field> fields;  // scalar attributes: all filterable and sortable
    std::vector<std::string_view> keyword_fields;  // section 5.4; empty: no free text search
    bool can_create = false;
    bool can_update = false;
    bool can_delete = false;

    const field* find(std::string_view attr) const;
    std::string allowed_on_list() const;  // for the Allow header
    std::string allowed_on_item() const;
};

std::span<const resource_schema> schemas();
const resource_schema* find_schema(std::string_view name);

// Attributes every item carries that are not scalar (never filterable) and
// that no client may change.
bool is_structural(std::string_view attr);

}  // namespace sim::backupdr
