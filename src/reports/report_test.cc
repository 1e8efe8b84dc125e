#include "reports/report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "dispatch/dispatch_testing.h"
#include "dispatch/feedback.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner_testing.h"

namespace recall::reports {
namespace {

// Synthetic patients only; 555-01xx numbers are reserved for fiction.
constexpr char kCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,State,Zip,Status,Last Visit\n"
    "SYN-1,Quintessa,Marlowe,(217) 555-0141,,IL,62701,lapsed,2024-01-10\n"
    "SYN-2,Bartholomew,Oakhurst,(217) 555-0142,,IL,62701,lapsed,2024-02-11\n"
    "SYN-3,Ingrid,Vasquez,(217) 555-0143,,IL,62701,lapsed,2024-03-12\n"
    "SYN-4,Tobias,Lindqvist,,(217) 555-0144,IL,62701,lapsed,2024-04-13\n";

constexpr char kSmsEn[] =
    "Hi {{first_name}}, {{practice_name}} misses you. Call {{practice_phone}} to book. Reply STOP to opt out.";

TEST(ReportTest, CountsWhatTheCampaignDidAndItsReactivations) {
  const scanner::Scanner* scanner = scanner::SharedScannerForTest();
  ASSERT_NE(scanner, nullptr);
  engine::TestEngine engine;
  ASSERT_TRUE(engine.status().ok());
  const std::string practice = *practices::AddPracticeWithBaaForTest(engine);
  auto ids = planner::ImportForTest(engine, practice, kCsv, {"SYN-1", "SYN-2", "SYN-3", "SYN-4"});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  for (int i : {0, 1, 2}) ASSERT_TRUE(planner::GrantForTest(engine, practice, (*ids)[i], consent::Channel::kSms).ok());
  ASSERT_TRUE(planner::AddVendorsForTest(engine, practice, {"sms"}).ok());
  ASSERT_TRUE(practices::UpdateSettings(*engine, practice, R"({"average_visit_value":185.5})").ok());
  ASSERT_TRUE(
      campaigns::AddTemplate(*engine, *scanner, {practice, "sms-en", "sms", 1, "outreach", "en", "", kSmsEn}).ok());
  campaigns::CampaignInput c = planner::SmsCampaignForTest(practice, "sms-en");
  c.kind = "recall";
  c.segment_json = "{}";
  auto campaign = planner::ApprovedCampaignForTest(engine, c, *scanner);
  ASSERT_TRUE(campaign.ok()) << campaign.status().ToString();
  ASSERT_TRUE(planner::StartCampaign(*engine, practice, *campaign).ok());

  dispatch::TestChannels channels;
  dispatch::WorkerOptions options;
  options.sleep = [&](std::chrono::nanoseconds d) { engine.clock().Advance(d); };
  dispatch::Worker worker(*engine, *scanner, channels, options);
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  ASSERT_EQ(channels.sms.sent().size(), 3u);

  // SYN-1's phone reports delivery; SYN-2 replies STOP; SYN-3 writes free text.
  auto plan = engine->store().runs().PlanFor(practice, *campaign, (*ids)[0]);
  ASSERT_TRUE(plan.ok() && plan->size() == 1);
  ASSERT_TRUE(dispatch::RecordDeliveryReport(*engine, {practice, plan->front().message_id, "delivered", ""}).ok());
  ASSERT_TRUE(dispatch::HandleInboundSms(*engine, practice, "+12175550142", "STOP").ok());
  ASSERT_TRUE(dispatch::HandleInboundSms(*engine, practice, "+12175550143", "Can I come on Tuesday?").ok());

  // A week later the practice's export shows SYN-1 came back.
  engine.clock().Advance(std::chrono::hours(24 * 7));
  std::istringstream later(
      "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,State,Zip,Status,Last Visit\n"
      "SYN-1,Quintessa,Marlowe,(217) 555-0141,,IL,62701,active,2025-11-30\n");
  ASSERT_TRUE(patients::ImportCsv(*engine, practice, later, {}).ok());

  auto report = BuildReport(*engine, practice, *campaign);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->targeted, 4);
  EXPECT_EQ(report->planned, 3);
  EXPECT_EQ(report->skipped["no_channel"], 1);  // SYN-4: landline only
  EXPECT_EQ(report->sent, 3);
  EXPECT_EQ(report->delivered, 1);
  EXPECT_EQ(report->opt_outs, 1);
  EXPECT_EQ(report->replies, 2);
  EXPECT_EQ(report->handoffs, 1);
  EXPECT_EQ(report->reactivated, 1);
  EXPECT_EQ(report->roi_estimate_cents, 18550);
  const nlohmann::json j = ReportJson(*report);
  EXPECT_EQ(j["roi_estimate"], "185.50");
  EXPECT_EQ(j["steps"][0]["channels"]["sms"], 3);
  EXPECT_EQ(j["state"], "completed");
}

}  // namespace
}  // namespace recall::reports
