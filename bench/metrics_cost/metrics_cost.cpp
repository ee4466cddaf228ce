// bench/metrics-cost: what recording one request costs the request path, with
// the gateway's per-thread shards (gateway/observed.hpp) and with Debian's
// prometheus-cpp (1.0), the well-kept library issue 18 asked us to weigh.
// Both record what a request records: a duration in a histogram with the
// same bounds, and a count for its client. THREADS threads record into one
// backend's series (as the workers do into a busy backend's), side by side,
// several rounds each; the output is CPU-independent enough to compare as a
// ratio on the same machine in the same run (ns per request, median of rounds).
#include "gateway/observed.hpp"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

template <class Record>
double ns_per_request(unsigned threads, std::size_t per_thread, Record record)
{
    std::vector<std::thread> pool;
    const auto start = clock_type::now();
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            bg::set_thread_shard(t);
            for (std::size_t i = 0; i < per_thread; ++i)
                record(std::chrono::microseconds(500 + (i * 7919) % 40'000));  // 0.5 to 40 ms
        });
    for (auto& th : pool)
        th.join();
    const auto ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    // Per request per thread: the wall time each thread spent on one.
    return ns / static_cast<double>(per_thread);
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv)
{
    const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
    const std::size_t per_thread = argc > 2 ? static_cast<std::size_t>(std::atoll(argv[2])) : 2'000'000;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;

    bg::backend_observations ours;
    bg::client_observations client;

    auto registry = std::make_shared<prometheus::Registry>();
    prometheus::Histogram::BucketBoundaries bounds(bg::duration_bounds_s.begin(), bg::duration_bounds_s.end());
    auto& histogram = prometheus::BuildHistogram()
                          .Name("gateway_backend_request_duration_seconds")
                          .Help("Requests to the backend.")
                          .Register(*registry)
                          .Add({{"backend", "cpm"}}, bounds);
    auto& counter = prometheus::BuildCounter()
                        .Name("gateway_client_requests_total")
                        .Help("Requests made with the client's key.")
                        .Register(*registry)
                        .Add({{"client", "ops"}});

    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {  // interleaved: both see the same machine
        a.push_back(ns_per_request(threads, per_thread, [&](std::chrono::microseconds d) {
            ours.record(d, false, 1);
            client.requests.add();
        }));
        b.push_back(ns_per_request(threads, per_thread, [&](std::chrono::microseconds d) {
            histogram.Observe(static_cast<double>(d.count()) / 1e6);
            counter.Increment();
        }));
    }
    const double ours_ns = median(a), theirs_ns = median(b);
    std::printf("{\"threads\":%u,\"requests_per_thread\":%zu,\"rounds\":%d,"
                "\"observed_ns_per_request\":%.1f,\"prometheus_cpp_ns_per_request\":%.1f,\"ratio\":%.2f}\n",
                threads, per_thread, rounds, ours_ns, theirs_ns, theirs_ns / ours_ns);
    // Both saw every request.
    const auto totals = ours.cumulative();
    const auto expected = static_cast<std::uint64_t>(threads) * per_thread * static_cast<std::uint64_t>(rounds);
    if (totals.count != expected || client.requests.value() != expected ||
        static_cast<std::uint64_t>(counter.Value()) != expected) {
        std::fprintf(stderr, "metrics_cost: a count was lost\n");
        return 1;
    }
    return 0;
}
