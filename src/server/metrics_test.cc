#include "server/metrics.h"

#include <gtest/gtest.h>

namespace recall::server {
namespace {

TEST(MetricsTest, GaugesAppearWhenKnown) {
  Metrics m;
  Metrics::Gauges g;
  g.outbox_due = 4;
  g.incidents_open = 2;
  g.incidents_overdue = 1;
  const std::string text = m.Render(g);
  EXPECT_NE(text.find("# TYPE recall_incidents_open gauge\nrecall_incidents_open 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE recall_incidents_overdue gauge\nrecall_incidents_overdue 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nrecall_outbox_due 4\n"), std::string::npos);
}

TEST(MetricsTest, UnknownGaugesAreLeftOut) {
  Metrics m;
  m.Observe("/healthz", "GET", 200, std::chrono::milliseconds(2));
  const std::string text = m.Render(Metrics::Gauges{});
  EXPECT_EQ(text.find("recall_incidents_"), std::string::npos);
  EXPECT_EQ(text.find("recall_outbox_due"), std::string::npos);
  EXPECT_NE(text.find("recall_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(Metrics().Render(int64_t{3}).find("\nrecall_outbox_due 3\n"), std::string::npos);
}

TEST(MetricsTest, OptOutCommitHistogram) {
  Metrics m;
  m.ObserveOptOutCommit(std::chrono::milliseconds(3));
  m.ObserveOptOutCommit(std::chrono::milliseconds(40));
  m.ObserveOptOutCommit(std::chrono::milliseconds(70));
  const std::string text = m.Render(Metrics::Gauges{});
  EXPECT_NE(text.find("# TYPE recall_inbound_opt_out_commit_seconds histogram\n"), std::string::npos) << text;
  EXPECT_NE(text.find("recall_inbound_opt_out_commit_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("recall_inbound_opt_out_commit_seconds_bucket{le=\"0.05\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("recall_inbound_opt_out_commit_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("recall_inbound_opt_out_commit_seconds_count 3\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace recall::server
