#pragma once
// Request metrics in the Prometheus text format (version 0.0.4).
//
// Labels are the route's *template* ("/v1/practices/{practice}/patients"),
// the method and the status code: never a concrete path, so no practice,
// patient or message id ever reaches a metric. Counts and latencies only.
//
// Thread-safe (one mutex; a request records once).
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace recall::server {

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   0.5,   1,    2.5,   5};

  void Observe(const std::string& route, const std::string& method, int status, std::chrono::nanoseconds latency);
  // An inbound opt-out (STOP) from its arrival to its revocation committed
  // (recall_inbound_opt_out_commit_seconds): the compliance-critical latency.
  void ObserveOptOutCommit(std::chrono::nanoseconds latency);
  // Gauges read from the store when /metrics is scraped; a value < 0 is
  // unknown and left out of the text.
  struct Gauges {
    int64_t outbox_due = -1;         // outbox messages due now (all practices)
    int64_t incidents_open = -1;     // open security incidents (docs/incidents.md)
    int64_t incidents_overdue = -1;  // open incidents with a practice past its notice deadline, not notified
  };
  // The exposition text.
  std::string Render(const Gauges& gauges) const;
  // As Render({outbox_due}).
  std::string Render(int64_t outbox_due) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, Histogram> latency_;       // GUARDED_BY(mu_)
  Histogram opt_out_commit_;                                               // GUARDED_BY(mu_)
};

}  // namespace recall::server
