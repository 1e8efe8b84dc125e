#include "server/metrics.h"

#include <sstream>

namespace recall::server {

namespace {
// Label values are route templates and methods (ours), escaped anyway.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

void Metrics::Observe(const std::string& route, const std::string& method, int status,
                      std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[{route, method}];
  for (size_t idx = 0; idx < kBuckets.size(); ++idx) {
    if (seconds <= kBuckets[idx]) ++h.buckets[idx];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::ObserveOptOutCommit(std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t idx = 0; idx < kBuckets.size(); ++idx) {
    if (seconds <= kBuckets[idx]) ++opt_out_commit_.buckets[idx];
  }
  ++opt_out_commit_.count;
  opt_out_commit_.sum += seconds;
}

std::string Metrics::Render(int64_t outbox_due) const {
  Gauges gauges;
  gauges.outbox_due = outbox_due;
  return Render(gauges);
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mu_);
  out << "# HELP recall_http_requests_total HTTP requests by route template, method and status.\n"
      << "# TYPE recall_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out << "recall_http_requests_total{route=\"" << Escape(route) << "\",method=\"" << Escape(method)
        << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP recall_http_request_duration_seconds Request latency by route template and method.\n"
      << "# TYPE recall_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const std::string labels = "route=\"" + Escape(key.first) + "\",method=\"" + Escape(key.second) + "\"";
    for (size_t idx = 0; idx < kBuckets.size(); ++idx) {
      out << "recall_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBuckets[idx] << "\"} "
          << h.buckets[idx] << "\n";
    }
    out << "recall_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n"
        << "recall_http_request_duration_seconds_sum{" << labels << "} " << h.sum << "\n"
        << "recall_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
  }
  out << "# HELP recall_inbound_opt_out_commit_seconds Inbound SMS opt-outs: arrival to revocation committed.\n"
      << "# TYPE recall_inbound_opt_out_commit_seconds histogram\n";
  for (size_t idx = 0; idx < kBuckets.size(); ++idx) {
    out << "recall_inbound_opt_out_commit_seconds_bucket{le=\"" << kBuckets[idx] << "\"} "
        << opt_out_commit_.buckets[idx] << "\n";
  }
  out << "recall_inbound_opt_out_commit_seconds_bucket{le=\"+Inf\"} " << opt_out_commit_.count << "\n"
      << "recall_inbound_opt_out_commit_seconds_sum " << opt_out_commit_.sum << "\n"
      << "recall_inbound_opt_out_commit_seconds_count " << opt_out_commit_.count << "\n";
  auto gauge = [&out](const char* name, const char* help, int64_t value) {
    if (value < 0) return;
    out << "# HELP " << name << " " << help << "\n"
        << "# TYPE " << name << " gauge\n"
        << name << " " << value << "\n";
  };
  gauge("recall_outbox_due", "Outbox messages due now (all practices).", gauges.outbox_due);
  gauge("recall_incidents_open", "Open security incidents.", gauges.incidents_open);
  gauge("recall_incidents_overdue",
        "Open security incidents with an affected practice past its notice deadline and not notified.",
        gauges.incidents_overdue);
  return out.str();
}

}  // namespace recall::server
