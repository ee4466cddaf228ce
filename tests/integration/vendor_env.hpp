// The gateway in front of backup-sim with one backend of each vendor type
// (and a CPM pinned to API version 1.0.0), for the tests of lists and
// queries (pagination_test, query_test).
#pragma once

#include "tests/integration/harness.hpp"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bgtest {

inline const std::string client_key = "key-pagination-test";

inline const char* const config_template = R"(
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 2
pagination: {PAGINATION}
clients:
  - {name: tester, api_key_sha256: "{KEY}", backends: ["*"]}
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
  - name: cpm100
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.0.0
    credentials: {api_key: cpm-demo-api-key}
  - name: cpm_passthrough
    type: n2ws-cpm
    base_url: {CPM}/api
    api_version: 1.1.0
    credentials: {api_key: cpm-demo-api-key}
    query: passthrough
  - name: veeam
    type: veeam-aws
    base_url: {VEEAM}/api/v1
    api_version: 1.7-rev0
    credentials: {username: administrator, password: Password1}
  - name: cloudbasic
    type: cloudbasic
    base_url: {CB}
    credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
  - name: backupdr
    type: google-backupdr
    base_url: {BDR}/actifio
    options: {token_file: "{TOKEN_FILE}"}
)";

struct env {
    // `extra`: more top-level YAML (tracing:, say).
    explicit env(const std::vector<std::string>& sim_args = {},
                 const std::string& pagination = "{default_limit: 20, max_limit: 60, max_upstream_requests: 20}",
                 const std::string& extra = {})
        : sim(sim_args)
    {
        write_file(dir / "bdr.token", "backupdr-demo-token\n");
        gw = std::make_unique<gateway_process>(
            dir.path(), fill(config_template, {{"KEY", sha256_hex(client_key)},
                                               {"CPM", sim.base_url("cpm")},
                                               {"VEEAM", sim.base_url("veeam")},
                                               {"CB", sim.base_url("cloudbasic")},
                                               {"BDR", sim.base_url("backupdr")},
                                               {"TOKEN_FILE", (dir / "bdr.token").string()},
                                               {"PAGINATION", pagination}}) +
                extra,
            1);
    }

    temp_dir dir;
    sim_process sim;
    std::unique_ptr<gateway_process> gw;

    std::string url(std::string_view target) const { return gateway_url(*gw, target); }
    http_response get(std::string_view target, const std::vector<std::string>& more = {}) const
    {
        return gateway_get(*gw, client_key, target, more);
    }
    boost::json::object page(std::string_view target) const
    {
        const auto r = get(target);
        BOOST_REQUIRE_MESSAGE(r.status == 200u, target << " answered " << r.status << ": " << r.body);
        BOOST_TEST(r.header("Content-Type") == "application/json");
        return r.json();
    }
};

}  // namespace bgtest
