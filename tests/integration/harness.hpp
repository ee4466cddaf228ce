// The integration tests' harness: the real backup-gateway binary in a child
// process, clients (curl, a raw socket), certificates made with the openssl
// command line, and small helpers. Every wait is bounded: a test that goes
// wrong fails, it never hangs.
#pragma once

#include <boost/json/value.hpp>

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bgtest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

// ---------------------------------------------------------------- files

// A fresh directory under the system's temporary directory, removed on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(std::string_view name) const { return path_ / name; }

private:
    fs::path path_;
};

void write_file(const fs::path& file, std::string_view content);
std::string read_file(const fs::path& file);

// "{A}" → "1" for every pair: templates for YAML configurations.
std::string fill(std::string text, const std::map<std::string, std::string>& values);

std::string sha256_hex(std::string_view data);

// The deterministic content of the test upstream's /bytes and of upload files:
// byte i of a body.
inline unsigned char pattern_byte(std::uint64_t i) { return static_cast<unsigned char>(i % 251); }
// FNV-1a (64 bits), as the test upstream reports for the bodies it receives.
std::uint64_t fnv1a(std::string_view data, std::uint64_t h = 0xcbf29ce484222325ull);
// A file of `size` pattern bytes; returns its FNV-1a.
std::uint64_t write_pattern_file(const fs::path& file, std::uint64_t size);

// ---------------------------------------------------------------- TLS

// A CA and a leaf certificate it signed for localhost and 127.0.0.1, all PEM.
struct tls_files {
    fs::path ca_cert;
    fs::path cert;
    fs::path key;
    std::string leaf_sha256;  // SHA-256 of the leaf's DER, hex (what pin_sha256 holds)
};
// Made with the openssl command line under `dir`, named after `name`.
tls_files make_tls_files(const fs::path& dir, const std::string& name);

// ---------------------------------------------------------------- processes

struct exit_status {
    bool exited = false;  // false: still running when the wait ended
    int code = -1;        // the exit code, or 128 + signal
};

// A child process with its standard output and error captured by a reader
// thread. Standard input is /dev/null.
class child_process {
public:
    explicit child_process(const std::vector<std::string>& argv);
    ~child_process();  // SIGKILL if still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int signo) const;
    // The exit status, waiting at most `timeout`.
    exit_status wait_exit(ms timeout);
    bool running();

    std::string out() const;
    std::string err() const;
    // Waits until standard error contains `text` (true), or `timeout` passes.
    bool wait_for_err(std::string_view text, ms timeout) const;
    // Waits until `ready(out())` is true, the process has closed its output, or `timeout` passes.
    template <class Pred>
    bool wait_for_out_until(Pred ready, ms timeout) const
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return ready(out_) || eof_; }) && ready(out_);
    }
    // Waits until `ready(err())` is true, the process has closed its output, or `timeout` passes.
    template <class Pred>
    bool wait_for_err_until(Pred ready, ms timeout) const
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return ready(err_) || eof_; }) && ready(err_);
    }

private:
    void read_output(int out_fd, int err_fd);

    pid_t pid_ = -1;
    std::optional<exit_status> status_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::string out_;
    std::string err_;
    bool eof_ = false;
    std::thread reader_;
};

// Runs a command to its end, at most `timeout` (then it is killed and code is -1).
struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};
run_result run(const std::vector<std::string>& argv, ms timeout = 30s);

// ---------------------------------------------------------------- the gateway

// The real backup-gateway with a configuration written to `dir`/gateway.yaml.
// Its listeners and admin listener should use port 0: the ports are learnt
// from the gateway's "listening" log lines.
class gateway_process {
public:
    gateway_process(const fs::path& dir, const std::string& yaml, std::size_t listeners, bool admin = true);

    std::uint16_t port(std::size_t listener = 0) const { return ports_.at(listener); }
    std::uint16_t admin_port() const { return admin_port_; }
    pid_t pid() const { return proc_.pid(); }
    child_process& proc() { return proc_; }
    void signal(int signo) const { proc_.signal(signo); }
    exit_status wait_exit(ms timeout = 20s) { return proc_.wait_exit(timeout); }
    std::string access_log() const { return proc_.out(); }
    std::string log() const { return proc_.err(); }
    // The gateway's stderr JSON lines, parsed (lines that are not JSON are skipped).
    std::vector<boost::json::object> log_lines() const;
    // VmHWM (peak resident set) of the gateway process, in KiB.
    std::uint64_t peak_rss_kib() const;

private:
    child_process proc_;
    std::vector<std::uint16_t> ports_;
    std::uint16_t admin_port_ = 0;
};

// The backup-gateway under test: $BG_GATEWAY_BIN, else the one built with the tests.
std::string gateway_binary();

// ---------------------------------------------------------------- the simulators

// backup-sim (tests/simulators) in a child process, started with ports 0 and
// `args`; the ports are learnt from its ready line.
class sim_process {
public:
    explicit sim_process(const std::vector<std::string>& args = {});

    std::uint16_t port(const std::string& vendor) const { return ports_.at(vendor); }
    std::string base_url(const std::string& vendor) const;
    // GET /__sim/state of a vendor; its "counters" member.
    boost::json::object state(const std::string& vendor) const;
    std::int64_t counter(const std::string& vendor, const std::string& name) const;
    // POST /__sim/<what> with a JSON body; returns the status.
    unsigned admin_post(const std::string& vendor, const std::string& what, const std::string& body = "{}") const;
    child_process& proc() { return proc_; }

private:
    child_process proc_;
    std::map<std::string, std::uint16_t> ports_;
};

// The simulator under test: $BG_SIM_BIN, else the one built with the tests.
std::string sim_binary();

// ---------------------------------------------------------------- Redis

// A loopback TCP port that was free a moment ago (for a server that cannot
// be told to take port 0 and report it, as redis-server).
std::uint16_t free_port();

// Debian's redis-server on `port` of 127.0.0.1, nothing saved, in a
// temporary directory; stopped (SIGKILL) with the object.
struct redis_server {
    explicit redis_server(std::uint16_t p);
    temp_dir dir;
    std::uint16_t port;
    std::unique_ptr<child_process> proc;
    // redis-cli -p PORT ARGS...: its output, trimmed.
    std::string cli(const std::vector<std::string>& args) const;
};

// ---------------------------------------------------------------- HTTP results

struct http_response {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // as received
    std::string body;

    // The first value of `name` (case-insensitive), or "".
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    std::size_t count_header(std::string_view name) const;
    boost::json::object json() const;  // throws when the body is not a JSON object
};

// ---------------------------------------------------------------- curl

struct curl_result {
    int exit_code = -1;                  // curl's (0 = success)
    std::vector<http_response> responses;  // final responses, one per URL (1xx skipped)
    std::string err;
    const http_response& response() const;  // the only (or last) one; throws when none
};

// curl -sS -i --max-time `max_time` ARGS...; the output is parsed into responses.
curl_result curl(const std::vector<std::string>& args, int max_time_s = 20);
// curl ARGS... with its own output options (-o, -w); stdout returned as is.
run_result curl_raw(const std::vector<std::string>& args, int max_time_s = 20);
// http://127.0.0.1:<the port of `listener`><target>.
std::string gateway_url(const gateway_process& gw, std::string_view target, std::size_t listener = 0);
// curl with "Authorization: Bearer <key>", then `more`, then the URL of
// `target` on the first listener; curl itself must succeed (any HTTP status
// is an answer).
http_response gateway_get(const gateway_process& gw, std::string_view key, std::string_view target,
                          const std::vector<std::string>& more = {});
// The value of one series ("name" or "name{labels}") in the gateway's
// /metrics on its admin port, as written; "" when it is not there.
std::string metric_value(std::uint16_t admin_port, std::string_view series);
// Starts curl without waiting (for a request in flight during a shutdown).
std::unique_ptr<child_process> curl_async(const std::vector<std::string>& args, int max_time_s = 20);
// Parses curl -i output (several responses, 1xx skipped).
std::vector<http_response> parse_curl_output(const std::string& out);

// ---------------------------------------------------------------- raw sockets

// A plain TCP client with a deadline on every operation.
class raw_client {
public:
    explicit raw_client(std::uint16_t port, ms timeout = 10s);
    ~raw_client();
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    bool send(std::string_view data);  // false when the peer has gone
    // The next complete response (1xx skipped), or nullopt on a close or timeout.
    std::optional<http_response> read_response(ms timeout = 10s, bool head_request = false);
    // Waits for the peer to close: true when it did within `timeout`
    // (bytes received meanwhile are kept in `received()`).
    bool wait_closed(ms timeout);
    // Whether the connection is still open: nothing to read and no close within `probe`.
    bool still_open(ms probe = 100ms);
    const std::string& received() const { return buffer_; }
    void close();

private:
    // Reads what is there within `timeout`; 0 = closed, -1 = timeout/error.
    long read_some(ms timeout);

    int fd_ = -1;
    std::string buffer_;
    bool closed_ = false;
};

// One TLS connection kept open across requests (keep-alive), trusting every
// CA of `ca_files`; each read and write gives up after 10 s.
class tls_session {
public:
    tls_session(std::uint16_t port, const std::vector<fs::path>& ca_files);
    ~tls_session();
    tls_session(const tls_session&) = delete;
    tls_session& operator=(const tls_session&) = delete;

    bool connected() const { return connected_; }
    // SHA-256 (hex) of the certificate the server presented (its DER).
    std::string peer_sha256() const;
    // Sends `request` (a whole HTTP/1.1 request) and reads one response
    // (Content-Length framed); nullopt when the connection failed.
    std::optional<http_response> exchange(std::string_view request);

private:
    int fd_ = -1;
    void* ctx_ = nullptr;  // SSL_CTX
    void* ssl_ = nullptr;  // SSL
    bool connected_ = false;
    std::string buffer_;
};

// Connecting fails (refused) right now.
bool connection_refused(std::uint16_t port);

// TLS handshake with the given protocol version bounds (TLS1_1_VERSION...),
// trusting `ca_file`; returns the negotiated version name or "" on failure.
std::string tls_handshake_version(std::uint16_t port, int min_version, int max_version, const fs::path& ca_file);

// A TLS 1.2 handshake offering `client_ciphers` (an OpenSSL cipher list, in
// the client's order of preference): the suite the server chose, "" on failure.
std::string tls12_negotiated_cipher(std::uint16_t port, const fs::path& ca_file, const std::string& client_ciphers);

// Over TLS (trusting `ca_file`): sends `data`, then returns everything the
// server sends until it closes or `timeout` passes.
std::string tls_exchange(std::uint16_t port, const fs::path& ca_file, std::string_view data, ms timeout);

// Over TLS 1.2 (trusting `ca_file`): sends `request` and reads the first
// piece of its answer, then asks for a renegotiation on the same connection.
struct renegotiation_result {
    std::string first_answer;  // what one read returned after the request
    bool renegotiated = false;  // the new handshake completed
    std::string error;          // OpenSSL's reason when it did not
};
renegotiation_result tls12_renegotiate(std::uint16_t port, const fs::path& ca_file, std::string_view request,
                                       ms timeout);

// Over TLS (trusting `ca_file`): sends `request` as TLS records whose bytes
// reach the socket in pieces of the sizes in `cuts` (then the rest), `pause`
// apart, so that the server sees records cut anywhere (even inside the
// 5-byte record header); then reads what one answer's worth of SSL_read
// calls returns until `expect_bytes` are in or `timeout` passes.
std::string tls_exchange_in_pieces(std::uint16_t port, const fs::path& ca_file, std::string_view request,
                                   const std::vector<std::size_t>& cuts, ms pause, std::size_t expect_bytes,
                                   ms timeout);

// A minimal HTTP/1.1 request.
std::string request_text(std::string_view method, std::string_view target, std::string_view extra_headers = "",
                         std::string_view body = "");

// A TCP port with nothing listening (bound, then closed).
std::uint16_t closed_port();

// ---------------------------------------------------------------- checks

// The response is an RFC 9457 problem with `status` and type slug `slug`;
// returns its document.
boost::json::object expect_problem(const http_response& r, unsigned status, std::string_view slug);

// Polls `cond` every 10 ms until true or `timeout`.
template <class Cond>
bool eventually(Cond cond, ms timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (cond())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
}

std::string to_lower(std::string_view s);

// Whether the tests run under AddressSanitizer (slower: smaller bodies).
constexpr bool sanitized()
{
#ifdef BG_SANITIZE_BUILD
    return true;
#else
    return false;
#endif
}

}  // namespace bgtest
