#include "tests/integration/harness.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bgtest {
namespace {

namespace http = boost::beast::http;

std::runtime_error sys_error(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

int remaining_ms(std::chrono::steady_clock::time_point deadline)
{
    const auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

sockaddr_in loopback(std::uint16_t port)
{
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

int connect_loopback(std::uint16_t port, int& error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw sys_error("socket");
    const auto addr = loopback(port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        error = errno;
        ::close(fd);
        return -1;
    }
    error = 0;
    return fd;
}

std::string hex(const unsigned char* data, std::size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

http_response to_response(const http::response<http::string_body>& res)
{
    http_response r;
    r.status = res.result_int();
    for (const auto& f : res)
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    r.body = res.body();
    return r;
}

}  // namespace

// ---------------------------------------------------------------- files

temp_dir::temp_dir()
{
    auto pattern = (fs::temp_directory_path() / "bg-itest-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw sys_error("mkdtemp");
    path_ = pattern;
}

temp_dir::~temp_dir()
{
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void write_file(const fs::path& file, std::string_view content)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
}

std::string read_file(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string fill(std::string text, const std::map<std::string, std::string>& values)
{
    for (const auto& [key, value] : values) {
        const std::string marker = "{" + key + "}";
        for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + value.size()))
            text.replace(pos, marker.size(), value);
    }
    return text;
}

std::string sha256_hex(std::string_view data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    return hex(digest, len);
}

std::uint64_t fnv1a(std::string_view data, std::uint64_t h)
{
    for (unsigned char c : data) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::uint64_t write_pattern_file(const fs::path& file, std::uint64_t size)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    std::string block;
    std::uint64_t h = fnv1a({});
    for (std::uint64_t offset = 0; offset < size;) {
        const auto n = std::min<std::uint64_t>(1 << 20, size - offset);
        block.resize(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i)
            block[static_cast<std::size_t>(i)] = static_cast<char>(pattern_byte(offset + i));
        h = fnv1a(block, h);
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
        offset += n;
    }
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
    return h;
}

// ---------------------------------------------------------------- TLS

tls_files make_tls_files(const fs::path& dir, const std::string& name)
{
    const auto cnf = dir / (name + ".cnf");
    write_file(cnf, "[req]\n"
                    "distinguished_name = dn\n"
                    "prompt = no\n"
                    "[dn]\n"
                    "CN = placeholder\n"
                    "[v3_ca]\n"
                    "basicConstraints = critical,CA:TRUE\n"
                    "keyUsage = critical,keyCertSign,cRLSign\n"
                    "subjectKeyIdentifier = hash\n"
                    "[v3_leaf]\n"
                    "basicConstraints = CA:FALSE\n"
                    "keyUsage = critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage = serverAuth,clientAuth\n"
                    "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
                    "authorityKeyIdentifier = keyid\n");
    tls_files f;
    f.ca_cert = dir / (name + "-ca.crt");
    const auto ca_key = dir / (name + "-ca.key");
    f.cert = dir / (name + ".crt");
    f.key = dir / (name + ".key");
    const auto csr = dir / (name + ".csr");
    const std::vector<std::string> ec_key{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto openssl = [&](std::vector<std::string> args, const std::vector<std::string>& more = {}) {
        args.insert(args.begin(), "openssl");
        args.insert(args.end(), more.begin(), more.end());
        const auto r = run(args, 30s);
        if (r.code != 0)
            throw std::runtime_error("openssl failed: " + r.err);
    };
    openssl({"req", "-x509", "-new", "-config", cnf.string(), "-extensions", "v3_ca", "-subj",
             "/CN=" + name + " test CA", "-days", "3", "-keyout", ca_key.string(), "-out", f.ca_cert.string()},
            ec_key);
    openssl({"req", "-new", "-config", cnf.string(), "-subj", "/CN=localhost", "-keyout", f.key.string(), "-out",
             csr.string()},
            ec_key);
    openssl({"x509", "-req", "-in", csr.string(), "-CA", f.ca_cert.string(), "-CAkey", ca_key.string(), "-set_serial",
             "2", "-days", "3", "-extfile", cnf.string(), "-extensions", "v3_leaf", "-out", f.cert.string()});

    const auto pem = read_file(f.cert);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!cert)
        throw std::runtime_error("cannot read " + f.cert.string());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), digest, &len);
    X509_free(cert);
    f.leaf_sha256 = hex(digest, len);
    return f;
}

// ---------------------------------------------------------------- processes

child_process::child_process(const std::vector<std::string>& argv)
{
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
        throw sys_error("pipe2");
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw sys_error("pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    // The child gets no other descriptor of ours: an inherited socket (the
    // test upstream's, say) would stay open in curl after we close it.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        throw std::runtime_error("cannot start " + argv.at(0) + ": " + std::strerror(rc));
    }
    reader_ = std::thread([this, o = out_pipe[0], e = err_pipe[0]] { read_output(o, e); });
}

child_process::~child_process()
{
    if (!status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (reader_.joinable())
        reader_.join();
}

void child_process::read_output(int out_fd, int err_fd)
{
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&out_, &err_};
    char buf[65536];
    int open_count = 2;
    while (open_count > 0) {
        if (::poll(fds, 2, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            const auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                std::lock_guard lock(mutex_);
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_count;
            }
            changed_.notify_all();
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0)
            ::close(f.fd);
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
}

void child_process::signal(int signo) const
{
    if (::kill(pid_, signo) != 0)
        throw sys_error("kill");
}

exit_status child_process::wait_exit(ms timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status_) {
        int status = 0;
        const auto r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_status s;
            s.exited = true;
            s.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            status_ = s;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return {};
        std::this_thread::sleep_for(5ms);
    }
    // Its output is complete once the pipes are closed.
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return eof_; });
    return *status_;
}

bool child_process::running() { return !wait_exit(0ms).exited; }

std::string child_process::out() const
{
    std::lock_guard lock(mutex_);
    return out_;
}

std::string child_process::err() const
{
    std::lock_guard lock(mutex_);
    return err_;
}

bool child_process::wait_for_err(std::string_view text, ms timeout) const
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return err_.find(text) != std::string::npos || eof_; }) &&
           err_.find(text) != std::string::npos;
}

run_result run(const std::vector<std::string>& argv, ms timeout)
{
    child_process p(argv);
    auto status = p.wait_exit(timeout);
    run_result r;
    if (!status.exited) {
        p.signal(SIGKILL);
        p.wait_exit(10s);
    } else {
        r.code = status.code;
    }
    r.out = p.out();
    r.err = p.err();
    return r;
}

// ---------------------------------------------------------------- the gateway

std::string gateway_binary()
{
    // BG_GATEWAY_BIN in the environment runs the suite against another build.
    if (const char* other = std::getenv("BG_GATEWAY_BIN"); other && *other)
        return other;
    return BG_GATEWAY_BIN;
}

namespace {

std::vector<boost::json::object> json_lines(const std::string& text)
{
    std::vector<boost::json::object> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object())
            lines.push_back(std::move(v.as_object()));
    }
    return lines;
}

std::size_t count_msg(const std::string& text, std::string_view msg)
{
    std::size_t n = 0;
    for (const auto& line : json_lines(text))
        if (const auto* m = line.if_contains("msg"); m && m->is_string() && m->as_string() == msg)
            ++n;
    return n;
}

}  // namespace

gateway_process::gateway_process(const fs::path& dir, const std::string& yaml, std::size_t listeners, bool admin)
    : proc_((write_file(dir / "gateway.yaml", yaml),
             std::vector<std::string>{gateway_binary(), "--config", (dir / "gateway.yaml").string()}))
{
    const bool started = proc_.wait_for_err_until(
        [&](const std::string& err) {
            return count_msg(err, "listening") >= listeners && (!admin || count_msg(err, "admin listening") == 1);
        },
        60s);
    if (!started)
        throw std::runtime_error("the gateway did not start; its standard error:\n" + proc_.err());
    for (const auto& line : log_lines()) {
        const auto& msg = line.at("msg").as_string();
        if (msg == "listening")
            ports_.push_back(static_cast<std::uint16_t>(line.at("port").to_number<int>()));
        else if (msg == "admin listening")
            admin_port_ = static_cast<std::uint16_t>(line.at("port").to_number<int>());
    }
}

std::vector<boost::json::object> gateway_process::log_lines() const { return json_lines(proc_.err()); }

std::uint64_t gateway_process::peak_rss_kib() const
{
    std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoull(line.substr(6));
    throw std::runtime_error("no VmHWM for process " + std::to_string(pid()));
}

// ---------------------------------------------------------------- the simulators

std::string metric_value(std::uint16_t admin_port, std::string_view series)
{
    const auto text = curl({"http://127.0.0.1:" + std::to_string(admin_port) + "/metrics"}).response().body;
    const auto found = text.find("\n" + std::string(series) + " ");
    if (found == std::string::npos)
        return "";
    const auto start = found + series.size() + 2;
    return text.substr(start, text.find('\n', start) - start);
}

std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

redis_server::redis_server(std::uint16_t p) : port(p)
{
    proc = std::make_unique<child_process>(std::vector<std::string>{
        "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir.path().string(), "--daemonize", "no"});
    BOOST_REQUIRE_MESSAGE(
        proc->wait_for_out_until(
            [](const std::string& out) { return out.find("Ready to accept") != std::string::npos; }, 10s),
        "redis-server did not start: " << proc->out());
}

std::string redis_server::cli(const std::vector<std::string>& args) const
{
    std::vector<std::string> argv{"redis-cli", "-p", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, 10s);
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' '))
        r.out.pop_back();
    return r.out;
}

std::string sim_binary()
{
    if (const char* other = std::getenv("BG_SIM_BIN"); other && *other)
        return other;
    return BG_SIM_BIN;
}

namespace {

std::vector<std::string> sim_argv(const std::vector<std::string>& args)
{
    std::vector<std::string> argv{sim_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace

sim_process::sim_process(const std::vector<std::string>& args) : proc_(sim_argv(args))
{
    const bool ready =
        proc_.wait_for_out_until([](const std::string& out) { return out.find('\n') != std::string::npos; }, 60s);
    if (!ready)
        throw std::runtime_error("backup-sim did not start; its standard error:\n" + proc_.err());
    const auto line = proc_.out().substr(0, proc_.out().find('\n'));
    const auto doc = boost::json::parse(line).as_object();
    for (const auto& [vendor, port] : doc.at("ports").as_object())
        ports_[std::string(vendor)] = static_cast<std::uint16_t>(port.to_number<int>());
}

std::string sim_process::base_url(const std::string& vendor) const
{
    return "http://127.0.0.1:" + std::to_string(port(vendor));
}

boost::json::object sim_process::state(const std::string& vendor) const
{
    const auto r = curl({base_url(vendor) + "/__sim/state"});
    if (r.exit_code != 0 || r.response().status != 200)
        throw std::runtime_error("GET /__sim/state failed: " + r.err);
    return r.response().json();
}

std::int64_t sim_process::counter(const std::string& vendor, const std::string& name) const
{
    return state(vendor).at("counters").at(name).to_number<std::int64_t>();
}

unsigned sim_process::admin_post(const std::string& vendor, const std::string& what, const std::string& body) const
{
    const auto r = curl({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body,
                         base_url(vendor) + "/__sim/" + what});
    return r.exit_code == 0 ? r.response().status : 0;
}

// ---------------------------------------------------------------- HTTP results

std::string to_lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string http_response::header(std::string_view name) const
{
    const auto wanted = to_lower(name);
    for (const auto& [n, v] : headers)
        if (to_lower(n) == wanted)
            return v;
    return {};
}

bool http_response::has_header(std::string_view name) const { return count_header(name) > 0; }

std::size_t http_response::count_header(std::string_view name) const
{
    const auto wanted = to_lower(name);
    return static_cast<std::size_t>(
        std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return to_lower(h.first) == wanted; }));
}

boost::json::object http_response::json() const { return boost::json::parse(body).as_object(); }

// ---------------------------------------------------------------- curl

const http_response& curl_result::response() const
{
    if (responses.empty())
        throw std::runtime_error("curl gave no response (exit " + std::to_string(exit_code) + "): " + err);
    return responses.back();
}

std::vector<http_response> parse_curl_output(const std::string& out)
{
    std::vector<http_response> responses;
    std::size_t pos = 0;
    while (pos < out.size() && out.compare(pos, 5, "HTTP/") == 0) {
        const auto end = out.find("\r\n\r\n", pos);
        if (end == std::string::npos)
            break;
        http_response r;
        std::istringstream head(out.substr(pos, end - pos));
        std::string line;
        std::getline(head, line);
        const auto sp = line.find(' ');
        r.status = static_cast<unsigned>(std::stoul(line.substr(sp + 1, 3)));
        while (std::getline(head, line)) {
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            const auto colon = line.find(':');
            if (colon == std::string::npos)
                continue;
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            r.headers.emplace_back(line.substr(0, colon), value);
        }
        pos = end + 4;
        if (r.status < 200)
            continue;
        const auto length = r.header("Content-Length");
        if (!length.empty() && r.header("Transfer-Encoding").empty()) {
            const auto n = std::min<std::size_t>(std::stoull(length), out.size() - pos);
            r.body = out.substr(pos, n);
            pos += n;
        } else {
            r.body = out.substr(pos);
            pos = out.size();
        }
        responses.push_back(std::move(r));
    }
    return responses;
}

namespace {

std::vector<std::string> curl_argv(const std::vector<std::string>& args, int max_time_s, bool include)
{
    std::vector<std::string> argv{"curl", "-sS", "--max-time", std::to_string(max_time_s)};
    if (include)
        argv.emplace_back("-i");
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace

curl_result curl(const std::vector<std::string>& args, int max_time_s)
{
    const auto r = run(curl_argv(args, max_time_s, true), std::chrono::seconds(max_time_s + 15));
    curl_result c;
    c.exit_code = r.code;
    c.err = r.err;
    c.responses = parse_curl_output(r.out);
    return c;
}

run_result curl_raw(const std::vector<std::string>& args, int max_time_s)
{
    return run(curl_argv(args, max_time_s, false), std::chrono::seconds(max_time_s + 15));
}

std::unique_ptr<child_process> curl_async(const std::vector<std::string>& args, int max_time_s)
{
    return std::make_unique<child_process>(curl_argv(args, max_time_s, true));
}

// ---------------------------------------------------------------- raw sockets

raw_client::raw_client(std::uint16_t port, ms timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int error = 0;
    while ((fd_ = connect_loopback(port, error)) < 0) {
        if (error != EINTR || std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " + std::strerror(error));
    }
}

raw_client::~raw_client() { close(); }

void raw_client::close()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

bool raw_client::send(std::string_view data)
{
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!data.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0)
            return false;
        const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

long raw_client::read_some(ms timeout)
{
    if (closed_)
        return 0;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready <= 0)
        return -1;
    char buf[65536];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        closed_ = true;  // an orderly close or a reset: either way, gone
        return 0;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return n;
}

std::optional<http_response> raw_client::read_response(ms timeout, bool head_request)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        parser.skip(head_request);
        parser.header_limit(1024 * 1024);
        parser.body_limit(boost::none);
        std::size_t used = 0;
        for (;;) {
            boost::system::error_code ec;
            if (used < buffer_.size())
                used += parser.put(boost::asio::buffer(buffer_.data() + used, buffer_.size() - used), ec);
            else
                ec = http::error::need_more;
            if (parser.is_done())
                break;
            if (ec && ec != http::error::need_more)
                return std::nullopt;
            if (ec == http::error::need_more || used == buffer_.size()) {
                const auto n = read_some(ms(remaining_ms(deadline)));
                if (n == 0) {
                    if (!parser.got_some())
                        return std::nullopt;  // closed without a word
                    parser.put_eof(ec);
                    if (!ec && parser.is_done())
                        break;
                    return std::nullopt;
                }
                if (n < 0)
                    return std::nullopt;
            }
        }
        buffer_.erase(0, used);
        if (parser.get().result_int() >= 200)
            return to_response(parser.get());
    }
}

bool raw_client::wait_closed(ms timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto n = read_some(ms(remaining_ms(deadline)));
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
}

bool raw_client::still_open(ms probe) { return read_some(probe) != 0; }

bool connection_refused(std::uint16_t port)
{
    int error = 0;
    const int fd = connect_loopback(port, error);
    if (fd >= 0) {
        ::close(fd);
        return false;
    }
    return error == ECONNREFUSED;
}

namespace {

// A blocking connection to 127.0.0.1:port whose every send and receive gives
// up after `timeout`; throws when it cannot connect.
int connect_with_timeout(std::uint16_t port, ms timeout)
{
    int error = 0;
    const int fd = connect_loopback(port, error);
    if (fd < 0)
        throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " + std::strerror(error));
    const auto left = static_cast<long>(timeout.count());
    timeval tv{left / 1000, (left % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

// A TLS client on `fd` that verifies the server against `ca_file` (after
// `adjust` has set its context's other options); frees its SSL object and
// context and closes `fd` when it goes.
class tls_client {
public:
    tls_client(int fd, const fs::path& ca_file, const std::function<void(SSL_CTX*)>& adjust = {})
        : fd_(fd), ctx_(SSL_CTX_new(TLS_client_method()))
    {
        if (adjust)
            adjust(ctx_);
        SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
    }
    ~tls_client()
    {
        SSL_free(ssl_);  // (and any BIO it was given)
        SSL_CTX_free(ctx_);
        ::close(fd_);
    }
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    SSL* ssl() const { return ssl_; }

private:
    int fd_;
    SSL_CTX* ctx_;
    SSL* ssl_ = nullptr;
};

}  // namespace

// A loopback connection whose blocking reads and writes give up after 5 s; -1 when refused.
static int connect_with_5s_timeouts(std::uint16_t port)
{
    int error = 0;
    const int fd = connect_loopback(port, error);
    if (fd < 0)
        return -1;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

std::string tls_handshake_version(std::uint16_t port, int min_version, int max_version, const fs::path& ca_file)
{
    const int fd = connect_with_5s_timeouts(port);
    if (fd < 0)
        return {};
    const tls_client client(fd, ca_file, [&](SSL_CTX* ctx) {
        // Security level 0 lets this client offer TLS 1.1: the refusal must
        // come from the gateway, not from this side.
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(ctx, min_version);
        SSL_CTX_set_max_proto_version(ctx, max_version);
    });
    SSL* ssl = client.ssl();
    static char server_name[] = "localhost";
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, server_name);
    SSL_set1_host(ssl, "localhost");
    std::string version;
    if (SSL_connect(ssl) == 1) {
        version = SSL_get_version(ssl);
        SSL_shutdown(ssl);
    }
    return version;
}

std::string tls12_negotiated_cipher(std::uint16_t port, const fs::path& ca_file, const std::string& client_ciphers)
{
    const int fd = connect_with_5s_timeouts(port);
    if (fd < 0)
        return {};
    const tls_client client(fd, ca_file, [&](SSL_CTX* ctx) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(ctx, client_ciphers.c_str());
    });
    SSL* ssl = client.ssl();
    static char server_name[] = "localhost";
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, server_name);
    std::string cipher;
    if (SSL_connect(ssl) == 1) {
        cipher = SSL_get_cipher_name(ssl);
        SSL_shutdown(ssl);
    }
    return cipher;
}

std::string gateway_url(const gateway_process& gw, std::string_view target, std::size_t listener)
{
    return "http://127.0.0.1:" + std::to_string(gw.port(listener)) + std::string(target);
}

http_response gateway_get(const gateway_process& gw, std::string_view key, std::string_view target,
                          const std::vector<std::string>& more)
{
    // --globoff: brackets in a target (filter[name]=x) are the client's, not curl's ranges.
    std::vector<std::string> args{"--globoff", "-H", "Authorization: Bearer " + std::string(key)};
    args.insert(args.end(), more.begin(), more.end());
    args.push_back(gateway_url(gw, target));
    auto r = curl(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "curl failed: " << r.err);
    return r.response();
}

std::string tls_exchange(std::uint16_t port, const fs::path& ca_file, std::string_view data, ms timeout)
{
    int error = 0;
    const int fd = connect_loopback(port, error);
    if (fd < 0)
        throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " + std::strerror(error));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const tls_client client(fd, ca_file);
    SSL* ssl = client.ssl();
    std::string received;
    // Blocking reads, each bounded by what is left of `timeout`.
    auto set_timeout = [&] {
        const auto left = remaining_ms(deadline);
        timeval tv{left / 1000, (left % 1000) * 1000};
        if (left == 0)
            tv.tv_usec = 1000;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        return left > 0;
    };
    if (set_timeout() && SSL_connect(ssl) == 1 &&
        SSL_write(ssl, data.data(), static_cast<int>(data.size())) == static_cast<int>(data.size())) {
        char buf[16384];
        while (set_timeout()) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0)
                break;
            received.append(buf, static_cast<std::size_t>(n));
        }
    }
    return received;
}

std::string tls_exchange_in_pieces(std::uint16_t port, const fs::path& ca_file, std::string_view request,
                                   const std::vector<std::size_t>& cuts, ms pause, std::size_t expect_bytes,
                                   ms timeout)
{
    const int fd = connect_with_timeout(port, timeout);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // each piece its own segment
    const tls_client client(fd, ca_file);
    SSL* ssl = client.ssl();
    std::string received;
    if (SSL_connect(ssl) == 1) {
        // The request's records are made in memory, then sent by hand.
        BIO* records = BIO_new(BIO_s_mem());
        SSL_set0_wbio(ssl, records);
        if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size())) {
            char* bytes = nullptr;
            const long size = BIO_get_mem_data(records, &bytes);
            std::string_view wire(bytes, static_cast<std::size_t>(size));
            std::vector<std::size_t> pieces = cuts;
            pieces.push_back(wire.size());
            for (std::size_t piece : pieces) {
                const auto n = std::min(piece, wire.size());
                if (n == 0)
                    continue;
                if (::send(fd, wire.data(), n, MSG_NOSIGNAL) != static_cast<ssize_t>(n))
                    break;
                wire.remove_prefix(n);
                if (!wire.empty())
                    std::this_thread::sleep_for(pause);
            }
        }
        char buf[16384];
        while (received.size() < expect_bytes) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0)
                break;
            received.append(buf, static_cast<std::size_t>(n));
        }
    }
    return received;
}

tls_session::tls_session(std::uint16_t port, const std::vector<fs::path>& ca_files)
{
    fd_ = connect_with_5s_timeouts(port);
    if (fd_ < 0)
        return;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    auto* ctx = SSL_CTX_new(TLS_client_method());
    for (const auto& ca : ca_files)
        SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    auto* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd_);
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>("localhost"));
    ctx_ = ctx;
    ssl_ = ssl;
    connected_ = SSL_connect(ssl) == 1;
}

tls_session::~tls_session()
{
    if (ssl_)
        SSL_free(static_cast<SSL*>(ssl_));
    if (ctx_)
        SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
    if (fd_ >= 0)
        ::close(fd_);
}

std::string tls_session::peer_sha256() const
{
    if (!connected_)
        return "";
    X509* cert = SSL_get1_peer_certificate(static_cast<SSL*>(ssl_));
    if (!cert)
        return "";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), digest, &len);
    X509_free(cert);
    return hex(digest, len);
}

std::optional<http_response> tls_session::exchange(std::string_view request)
{
    if (!connected_)
        return std::nullopt;
    auto* ssl = static_cast<SSL*>(ssl_);
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size()))
        return std::nullopt;
    // One response: the head, then Content-Length bytes of body.
    for (;;) {
        const auto end = buffer_.find("\r\n\r\n");
        if (end != std::string::npos) {
            auto parsed = parse_curl_output(buffer_.substr(0, end + 4));
            if (parsed.empty())
                return std::nullopt;
            const auto length_text = parsed.front().header("Content-Length");
            const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
            if (buffer_.size() >= end + 4 + length) {
                auto r = std::move(parsed.front());
                r.body = buffer_.substr(end + 4, length);
                buffer_.erase(0, end + 4 + length);
                return r;
            }
        }
        char buf[16384];
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0)
            return std::nullopt;
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
}

renegotiation_result tls12_renegotiate(std::uint16_t port, const fs::path& ca_file, std::string_view request,
                                       ms timeout)
{
    const tls_client client(connect_with_timeout(port, timeout), ca_file,
                            [](SSL_CTX* ctx) { SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION); });
    SSL* ssl = client.ssl();
    renegotiation_result result;
    if (SSL_connect(ssl) == 1 &&
        SSL_write(ssl, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size())) {
        char buf[16384];
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0)
            result.first_answer.assign(buf, static_cast<std::size_t>(n));
        ERR_clear_error();
        result.renegotiated = SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) == 1;
        if (!result.renegotiated) {
            const char* reason = ERR_reason_error_string(ERR_peek_error());
            result.error = reason ? reason : "(no OpenSSL reason)";
        }
    } else {
        result.error = "the first handshake or request failed";
    }
    return result;
}

std::string request_text(std::string_view method, std::string_view target, std::string_view extra_headers,
                         std::string_view body)
{
    std::string r;
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n").append(extra_headers);
    if (!body.empty())
        r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    r.append("\r\n").append(body);
    return r;
}

std::uint16_t closed_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = loopback(0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw sys_error("bind");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------- checks

boost::json::object expect_problem(const http_response& r, unsigned status, std::string_view slug)
{
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.header("Content-Type") == "application/problem+json");
    boost::system::error_code ec;
    auto doc = boost::json::parse(r.body, ec);
    BOOST_TEST_INFO("body: " << r.body);
    BOOST_TEST_REQUIRE((!ec && doc.is_object()));
    auto& o = doc.as_object();
    BOOST_TEST((o["type"].is_string() && o["type"].as_string() == "urn:backup-gateway:problem:" + std::string(slug)));
    BOOST_TEST((o["title"].is_string() && !o["title"].as_string().empty()));
    BOOST_TEST((o["status"].is_number() && o["status"].to_number<unsigned>() == status));
    BOOST_TEST((o["detail"].is_string() && !o["detail"].as_string().empty()));
    BOOST_TEST((o["request_id"].is_string() && !o["request_id"].as_string().empty()));
    if (o["request_id"].is_string())
        BOOST_TEST(std::string(o["request_id"].as_string()) == r.header("X-Request-Id"));
    return o;
}

}  // namespace bgtest
