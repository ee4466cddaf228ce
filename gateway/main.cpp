// backup-gateway: --config FILE runs the gateway; --check-config FILE
// validates a configuration; --version prints the version.
#include "adapters/adapter.hpp"
#include "config/config.hpp"
#include "gateway/log.hpp"
#include "gateway/runtime.hpp"
#include "gateway/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#ifndef BG_VERSION
#define BG_VERSION "0.0.0"
#endif

namespace {

constexpr std::string_view usage =
    "usage: backup-gateway --config FILE        run the gateway\n"
    "       backup-gateway --check-config FILE  validate FILE, exit 0 if valid, 1 if not\n"
    "       backup-gateway --version            print the version\n";

bg::config::gateway_config load_valid(const std::string& file)
{
    auto cfg = bg::config::load(file);
    bg::config::validate(cfg, bg::adapters::backend_checks());
    return cfg;
}

int check_config(const std::string& file)
{
    try {
        const auto cfg = load_valid(file);
        bg::make_listener_tls(cfg);  // as the gateway will: the certificate and key read and matched
        std::printf("%s: configuration is valid\n", file.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

int run(const std::string& file)
{
    std::shared_ptr<bg::server> server;
    try {
        auto cfg = std::make_shared<const bg::config::gateway_config>(load_valid(file));
        auto process = std::make_shared<bg::process_state>(*cfg);
        auto rt = std::make_shared<const bg::runtime>(cfg, process, 1);
        server = std::make_shared<bg::server>(rt, [file] { return load_valid(file); });
    } catch (const std::exception& e) {
        bg::log::error("cannot start", {{"error", e.what()}});
        return 1;
    }
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR1);
    std::signal(SIGPIPE, SIG_IGN);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
            if (ec)
                return;
            const char* name = signo == SIGINT    ? "SIGINT"
                               : signo == SIGTERM ? "SIGTERM"
                               : signo == SIGHUP  ? "SIGHUP"
                                                  : "SIGUSR1";
            bg::log::info("signal received", {{"signal", name}});
            if (signo == SIGHUP)
                server->reload();  // logs its outcome
            else if (signo == SIGUSR1)
                server->reopen_logs();  // logrotate's postrotate
            else
                server->shutdown();  // a second signal ends at once
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    server->on_stopped([&] { boost::asio::post(signals_io, [&] { signals.cancel(); }); });
    server->start();
    signals_io.run();
    server->wait();
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string_view flag = argc > 1 ? argv[1] : "";
    if (flag == "--version" && argc == 2) {
        std::printf("backup-gateway %s\n", BG_VERSION);
        return 0;
    }
    if ((flag == "--config" || flag == "--check-config") && argc == 3)
        return flag == "--config" ? run(argv[2]) : check_config(argv[2]);
    if (flag == "--help" || flag == "-h") {
        std::fputs(usage.data(), stdout);
        return 0;
    }
    std::fputs(usage.data(), stderr);
    return 2;
}
