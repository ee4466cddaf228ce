#include "gateway/log.hpp"

#include <boost/json/serialize.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace bg::log {

namespace {

// "2026-12-07T08:34:41" into `buf`; its length.
std::size_t seconds_of(std::chrono::system_clock::time_point t, char (&buf)[40])
{
    const auto secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
}

}  // namespace

std::string now_rfc3339()
{
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    char buf[40];
    const auto n = seconds_of(now, buf);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}

std::string rfc3339(std::chrono::system_clock::time_point t)
{
    char buf[40];
    const auto n = seconds_of(t, buf);
    return std::string(buf, n) + 'Z';
}

void write(level lvl, std::string_view msg, boost::json::object fields)
{
    static std::mutex mutex;
    boost::json::object line;
    line["time"] = now_rfc3339();
    line["level"] = lvl == level::info ? "info" : lvl == level::warn ? "warn" : "error";
    line["msg"] = msg;
    for (auto& kv : fields)
        line[kv.key()] = std::move(kv.value());
    auto text = boost::json::serialize(line);
    text += '\n';
    std::lock_guard lock(mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
}

access_sink::access_sink(const std::string& path) : path_(path)
{
    if (path == "off")
        return;
    enabled_ = true;
    if (path == "-" || path.empty()) {
        file_ = stdout;
        // Before anything is written to it: a line at a time, terminal or not.
        std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
        return;
    }
    file_ = std::fopen(path.c_str(), "a");
    if (!file_)
        throw std::runtime_error("cannot open access log '" + path + "': " + std::strerror(errno));
    owned_ = true;
}

access_sink::~access_sink()
{
    flush();
    if (owned_)
        std::fclose(file_);
}

void access_sink::write_line(std::string_view json_line) const
{
    if (!enabled_)
        return;
    std::lock_guard lock(mutex_);
    std::fwrite(json_line.data(), 1, json_line.size(), file_);
    std::fputc('\n', file_);
}

void access_sink::flush() const
{
    if (!enabled_)
        return;
    std::lock_guard lock(mutex_);
    std::fflush(file_);
}

bool access_sink::reopen() const
{
    if (!owned_)
        return true;
    std::FILE* next = std::fopen(path_.c_str(), "a");
    if (!next) {
        write(level::error, "cannot reopen the access log: lines go on to the file open before",
              {{"path", path_}, {"error", std::strerror(errno)}});
        return false;
    }
    std::FILE* old = nullptr;
    {
        std::lock_guard lock(mutex_);
        old = file_;
        file_ = next;
    }
    std::fclose(old);  // flushes what it held (no thread writes to it any more)
    return true;
}

}  // namespace bg::log
