// Logging: JSON lines. Operational messages go to standard error; the access
// log (one line per request) to its configured sink. Never pass a secret.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace bg::log {

enum class level { info, warn, error };

// {"time":"…","level":"warn","msg":"…", ...fields}
void write(level lvl, std::string_view msg, boost::json::object fields = {});
inline void info(std::string_view msg, boost::json::object f = {}) { write(level::info, msg, std::move(f)); }
inline void warn(std::string_view msg, boost::json::object f = {}) { write(level::warn, msg, std::move(f)); }
inline void error(std::string_view msg, boost::json::object f = {}) { write(level::error, msg, std::move(f)); }

// RFC 3339 UTC time with milliseconds.
std::string now_rfc3339();
// `t` as RFC 3339 UTC time to the second ("2026-12-07T08:34:41Z").
std::string rfc3339(std::chrono::system_clock::time_point t);

// The access log: lines are whole (one write under a lock). On standard
// output each line goes out as it is written (line-buffered, even on a pipe:
// `kubectl logs` and journald see it at once); to a file lines are buffered
// and the server flushes every second (a follower sees a line within a
// second) and on shutdown. reopen() (SIGUSR1) opens the file's path again,
// for logrotate. Writing is a side effect shared by every thread: the
// methods are const on the shared runtime.
class access_sink {
public:
    // "-": standard output; "off": nothing; else a file opened for append (throws if it cannot be).
    explicit access_sink(const std::string& path);
    ~access_sink();
    access_sink(const access_sink&) = delete;
    access_sink& operator=(const access_sink&) = delete;

    bool enabled() const { return enabled_; }
    // A file, whose lines wait in a buffer for flush(); standard output
    // writes each as it comes.
    bool buffered() const { return owned_; }
    void write_line(std::string_view json_line) const;
    void flush() const;
    // A file's path opened again (the old file flushed and closed) and true;
    // false, the old file kept, when it cannot be opened (logged). Standard
    // output and "off": nothing to do (true).
    bool reopen() const;

private:
    const std::string path_;
    bool enabled_ = false;
    bool owned_ = false;
    mutable std::FILE* file_ = nullptr;  // under mutex_
    mutable std::mutex mutex_;
};

}  // namespace bg::log
