// The resource endpoints, /actifio/<resource> (list view, section 5),
// /actifio/<resource>/<id> (sections 3.1 and 3.2) and the one operation on a
// resource, /actifio/application/<id>/backup (section 3.1's POST "perform an
// operation on a resource"). The caller has authenticated the request and
// holds the data's lock.
#pragma once

#include "tests/simulators/backupdr/schema.hpp"
#include "tests/simulators/backupdr/store.hpp"
#include "tests/simulators/common/vendor.hpp"

#include <boost/url/params_view.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sim::backupdr {

struct resource_call {
    const request& req;
    const boost::urls::params_view& params;
    const resource_schema& schema;
    data_store& data;
    std::int64_t now_us;
};

reply serve_list(const resource_call& call, std::size_t page_cap);
reply serve_item(const resource_call& call, std::string_view id_segment);
// POST .../application/<id>/backup: starts an on-demand backup job (call.schema is application's).
reply serve_application_backup(const resource_call& call, std::string_view id_segment);

}  // namespace sim::backupdr
