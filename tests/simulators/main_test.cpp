// The backup-sim executable as scripts use it: start it, read the ready line,
// talk to every port, stop it with SIGTERM; bad flags exit 2.
#define BOOST_TEST_MODULE sim_main
#include <boost/test/unit_test.hpp>

#include "tests/simulators/common/test_client.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

// backup-sim running with its stdout on a pipe.
class child {
public:
    explicit child(const std::vector<std::string>& args) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        std::vector<std::string> all{BACKUP_SIM_PATH};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        int rc = posix_spawn(&pid_, BACKUP_SIM_PATH, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) throw std::runtime_error("posix_spawn");
        out_ = ::fdopen(out[0], "r");
    }
    ~child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_) std::fclose(out_);
    }
    std::string read_line() {
        std::string line;
        for (int c = std::fgetc(out_); c != EOF && c != '\n'; c = std::fgetc(out_)) line.push_back(static_cast<char>(c));
        return line;
    }
    // Sends `sig` (none: just waits) and returns the exit status, -1 for a signal death.
    int stop(int sig) {
        if (sig) ::kill(pid_, sig);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    FILE* out_ = nullptr;
};

std::uint16_t port_of(const json::value& ready, std::string_view vendor) {
    return ready.at("ports").at(vendor).to_number<std::uint16_t>();
}

}  // namespace

BOOST_AUTO_TEST_CASE(prints_the_ready_line_serves_every_port_and_stops_on_sigterm) {
    child sim({"--threads", "2", "--seed", "7"});
    json::value ready = json::parse(sim.read_line());
    BOOST_TEST(ready.at("ready").as_bool());
    BOOST_TEST(!ready.at("tls").as_bool());
    const auto& ports = ready.at("ports").as_object();
    BOOST_TEST(!ports.empty());
    for (const auto& [vendor, port] : ports) {
        auto r = sim::test::send(port.to_number<std::uint16_t>(), http::verb::get, "/__sim/state");
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(json::parse(r.body).at("vendor").as_string() == vendor);
    }
    BOOST_TEST(sim.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(sigint_stops_it_too) {
    child sim({});
    BOOST_TEST(!sim.read_line().empty());
    BOOST_TEST(sim.stop(SIGINT) == 0);
}

BOOST_AUTO_TEST_CASE(bad_flags_exit_2) {
    for (std::vector<std::string> args : {std::vector<std::string>{"--bogus", "1"}, {"--threads", "many"},
                                          {"--only", "nobody"}, {"--tls-cert", "x.crt"}, {"positional"},
                                          {"--config", "/nonexistent/backup-sim.yaml"}, {"--seed"}}) {
        child sim(args);
        BOOST_TEST(sim.read_line().empty());
        BOOST_TEST(sim.stop(0) == 2, args.front());
    }
}

#ifdef SIM_HAVE_CPM
// Options reach the vendor: from flags, and from the YAML file with the flags on top.
BOOST_AUTO_TEST_CASE(vendor_options_from_flags_and_yaml) {
    auto yaml = std::filesystem::temp_directory_path() / ("backup-sim-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(yaml) << "threads: 2\nonly: [cpm]\ncpm:\n  api_key: from-yaml\n  access_ttl: 60\n";
    child sim({"--config", yaml.string(), "--cpm-access-ttl=120"});
    json::value ready = json::parse(sim.read_line());
    std::filesystem::remove(yaml);
    BOOST_TEST(ready.at("ports").as_object().size() == 1u);
    auto port = port_of(ready, "cpm");
    auto r = sim::test::send(port, http::verb::post, "/api/token/obtain/api_key/",
                             {{"Content-Type", "application/x-www-form-urlencoded"}}, "api_key=from-yaml");
    BOOST_TEST(r.status == 200u);
    // The flag's access TTL wins over the file's: exp - iat == 120.
    BOOST_TEST(json::parse(sim::test::send(port, http::verb::get, "/__sim/state").body)
                   .at("vendor_state").at("access_ttl_seconds").as_int64() == 120);
    BOOST_TEST(sim.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(unknown_vendor_option_exits_2) {
    child sim({"--only", "cpm", "--cpm-no-such-option=1"});
    BOOST_TEST(sim.read_line().empty());
    BOOST_TEST(sim.stop(0) == 2);
}
#endif
