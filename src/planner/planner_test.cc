#include "planner/planner.h"

#include <gtest/gtest.h>

#include <chrono>

#include "planner/planner_testing.h"
#include "planner/schedule.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner_testing.h"

namespace recall::planner {
namespace {

using std::chrono::hours;

// Synthetic patients only; 555-01xx numbers are reserved for fiction.
constexpr char kCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,E-mail Address,State,Zip,Language,Status\n"
    "SYN-1,Quintessa,Marlowe,(217) 555-0141,,q@example.com,IL,62701,en,lapsed\n"
    "SYN-2,Bartholomew,Oakhurst,,(217) 555-0142,b@example.com,IL,62701,en,lapsed\n"
    "SYN-3,Ingrid,Vasquez,(217) 555-0143,,,IL,62701,en,lapsed\n"
    "SYN-4,Tobias,Lindqvist,(217) 555-0144,,,IL,62701,en,lapsed\n"
    "SYN-5,Rosalind,Fairweather,(217) 555-0145,,,IL,62701,es-MX,lapsed\n"
    "SYN-6,Cornelius,Ashdown,(217) 555-0146,,,IL,62701,en,active\n";

constexpr char kSmsEn[] =
    "Hi {{first_name}}, {{practice_name}} misses you. Call {{practice_phone}} to book. Reply STOP to opt out.";

class PlannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scanner_ = scanner::SharedScannerForTest(); }

  void SetUp() override {
    ASSERT_NE(scanner_, nullptr);
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    auto ids = ImportForTest(engine_, practice_, kCsv, {"SYN-1", "SYN-2", "SYN-3", "SYN-4", "SYN-5", "SYN-6"});
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ids_ = *ids;
    for (int i : {0, 1, 3, 4, 5}) ASSERT_TRUE(GrantForTest(engine_, practice_, ids_[i], consent::Channel::kSms).ok());
    // SYN-4 revokes by a verbal request.
    consent::RevokeRequest revoke;
    revoke.practice_id = practice_;
    revoke.patient = ids_[3];
    revoke.evidence = "patient asked on the phone not to be contacted (synthetic)";
    ASSERT_TRUE(consent::ConsentVault(*engine_).Revoke(revoke).ok());
    ASSERT_TRUE(AddVendorsForTest(engine_, practice_, {"sms", "email"}).ok());
    ASSERT_TRUE(campaigns::AddTemplate(*engine_, *scanner_, {practice_, "sms-en", "sms", 1, "outreach", "en", "", kSmsEn})
                    .ok());
  }

  std::string Campaign(const std::string& start = "2025-12-01T09:00") {
    auto id = ApprovedCampaignForTest(engine_, SmsCampaignForTest(practice_, "sms-en", start), *scanner_);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  std::map<std::string, store::PlanEntryRow> Entries(const std::string& campaign, int step) {
    std::map<std::string, store::PlanEntryRow> out;
    auto list = engine_->store().runs().ListPlan(practice_, campaign, step, "");
    EXPECT_TRUE(list.ok());
    for (auto& e : *list) out[e.patient_id] = e;
    return out;
  }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  std::string practice_;
  std::vector<std::string> ids_;
};
const scanner::Scanner* PlannerTest::scanner_ = nullptr;

TEST_F(PlannerTest, StartSchedulesStepsInThePracticesZone) {
  const std::string campaign = Campaign("2025-12-01T09:00");
  auto run = StartCampaign(*engine_, practice_, campaign);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->state, "scheduled");
  ASSERT_EQ(run->step_due_ms.size(), 1u);
  // 09:00 in Chicago on 1 December is 15:00Z.
  EXPECT_EQ(run->step_due_ms[0], std::chrono::duration_cast<std::chrono::milliseconds>(
                                     ParseRfc3339("2025-12-01T15:00:00Z")->time_since_epoch())
                                     .count());
  // Starting again changes nothing.
  auto again = StartCampaign(*engine_, practice_, campaign);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->step_due_ms, run->step_due_ms);
  EXPECT_EQ(engine_.CountAudit("campaign.start"), 1);
}

TEST_F(PlannerTest, NothingIsPlannedBeforeTheStepIsDue) {
  const std::string campaign = Campaign("2025-12-01T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  auto none = PlanDueSteps(*engine_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  engine_.clock().Advance(hours(24 * 6));  // 2025-12-01T16:00Z
  auto due = PlanDueSteps(*engine_);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(practice_, campaign)->state, "running");
}

TEST_F(PlannerTest, EveryPatientOfTheSegmentGetsOneDecisionWithAReason) {
  const std::string campaign = Campaign("2025-11-20T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  auto result = PlanStep(*engine_, practice_, campaign, 0);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->considered, 5);  // SYN-6 is active, not in the segment
  auto entries = Entries(campaign, 0);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[ids_[0]].decision, "planned");
  EXPECT_EQ(entries[ids_[0]].channel, "sms");
  EXPECT_EQ(entries[ids_[0]].language, "en");
  EXPECT_FALSE(entries[ids_[0]].message_id.empty());
  EXPECT_EQ(entries[ids_[1]].reason, "no_channel");       // a landline never gets SMS
  EXPECT_EQ(entries[ids_[2]].reason, "no_consent");
  EXPECT_EQ(entries[ids_[3]].reason, "opted_out");
  EXPECT_EQ(entries[ids_[4]].decision, "planned");        // es-MX falls back to the default language
  EXPECT_EQ(entries[ids_[4]].language, "en");
  EXPECT_EQ(entries.count(ids_[5]), 0u);
  auto counts = engine_->store().outbox().CountByState(practice_, campaign);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 2);
  auto row = engine_->store().outbox().Get(practice_, entries[ids_[0]].message_id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->language, "en");
  EXPECT_EQ(row->purpose, "outreach");
}

TEST_F(PlannerTest, LanguagePolicySkipListsThePatientForAStaffCall) {
  ASSERT_TRUE(practices::UpdateSettings(*engine_, practice_, R"({"language_policy":"skip"})").ok());
  const std::string campaign = Campaign("2025-11-20T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  ASSERT_TRUE(PlanStep(*engine_, practice_, campaign, 0).ok());
  auto entries = Entries(campaign, 0);
  EXPECT_EQ(entries[ids_[4]].decision, "call_list");
  EXPECT_EQ(entries[ids_[4]].reason, "no_language");
}

TEST_F(PlannerTest, PlanningIsIdempotentAndResumesAfterACrash) {
  const std::string campaign = Campaign("2025-11-20T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  // A crashed planner committed one entry (with its message) and died.
  store::PlanEntryRow e{practice_, campaign, 0, ids_[0], "planned", "ok", "sms", "en", "msg_crashedplanner1",
                        engine_->clock().Now()};
  store::OutboxRow r;
  r.message_id = e.message_id;
  r.practice_id = practice_;
  r.campaign_id = campaign;
  r.patient_id = ids_[0];
  r.channel = "sms";
  r.purpose = "outreach";
  r.language = "en";
  r.not_before = engine_->clock().Now();
  ASSERT_TRUE(engine_->store().runs().CommitPlan({e}, {r}, engine_->Event("campaign.plan_batch", practice_, campaign)).ok());

  auto first = PlanStep(*engine_, practice_, campaign, 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->considered, 5);
  EXPECT_EQ(Entries(campaign, 0)[ids_[0]].message_id, "msg_crashedplanner1");
  auto second = PlanStep(*engine_, practice_, campaign, 0);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->considered, 5);
  EXPECT_EQ(engine_->store().outbox().CountByState(practice_, campaign)->queued, 2);
  EXPECT_EQ(engine_.CountAudit("campaign.plan_step"), 1);
}

TEST_F(PlannerTest, WeeklyCapAcrossCampaignsSkipsWithCapReached) {
  // Three SMS already sent to SYN-1 this week by another campaign.
  std::vector<store::OutboxRow> rows;
  for (int i = 0; i < 3; ++i) {
    store::OutboxRow r;
    r.message_id = "msg_other" + std::to_string(i);
    r.practice_id = practice_;
    r.campaign_id = "cmp_other";
    r.step = i;
    r.patient_id = ids_[0];
    r.channel = "sms";
    r.purpose = "outreach";
    r.not_before = engine_->clock().Now();
    rows.push_back(r);
  }
  ASSERT_TRUE(engine_->store().outbox().Enqueue(rows, engine_->Event("outbox.enqueue", practice_)).ok());
  auto claimed = engine_->store().outbox().Claim(engine_->clock().Now(), engine_->clock().Now() + hours(1), "w1", 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 3u);
  for (const auto& c : *claimed) {
    ASSERT_TRUE(engine_->store().outbox().MarkSent(store::LeaseOf(c), "p", engine_->Event("outbox.sent", practice_)).ok());
  }
  const std::string campaign = Campaign("2025-11-20T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  ASSERT_TRUE(PlanStep(*engine_, practice_, campaign, 0).ok());
  EXPECT_EQ(Entries(campaign, 0)[ids_[0]].reason, "cap_reached");
}

TEST_F(PlannerTest, PausedCampaignsMessagesAreNotClaimed) {
  const std::string campaign = Campaign("2025-11-20T09:00");
  ASSERT_TRUE(StartCampaign(*engine_, practice_, campaign).ok());
  ASSERT_TRUE(PlanDueSteps(*engine_).ok());
  ASSERT_EQ(engine_->store().campaigns().GetCampaign(practice_, campaign)->state, "running");
  ASSERT_TRUE(PauseCampaign(*engine_, practice_, campaign).ok());
  const TimePoint now = engine_->clock().Now();
  auto claimed = engine_->store().outbox().Claim(now, now + hours(1), "w1", 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
  EXPECT_EQ(*engine_->store().outbox().CountDue(now), 0);
  ASSERT_TRUE(ResumeCampaign(*engine_, practice_, campaign).ok());
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(practice_, campaign)->state, "running");
  claimed = engine_->store().outbox().Claim(now, now + hours(1), "w1", 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->size(), 2u);
}

TEST_F(PlannerTest, AnUnapprovedCampaignCannotStart) {
  auto created = campaigns::CreateCampaign(*engine_, SmsCampaignForTest(practice_, "sms-en"));
  ASSERT_TRUE(created.ok());
  auto started = StartCampaign(*engine_, practice_, created->campaign_id);
  EXPECT_EQ(started.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PlannerTest, ACampaignThatCouldNeverRenderCannotStart) {
  // No appointment is held (minimum necessary), and no portal URL is set.
  ASSERT_TRUE(campaigns::AddTemplate(*engine_, *scanner_,
                                     {practice_, "reminder-sms-en", "sms", 1, "outreach", "en", "",
                                      "{{practice_name}}: see you on {{appointment_date}}. Reply STOP to opt out."})
                  .ok());
  auto id = ApprovedCampaignForTest(engine_, SmsCampaignForTest(practice_, "reminder-sms-en"), *scanner_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto started = StartCampaign(*engine_, practice_, *id);
  EXPECT_EQ(started.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.status().message().find("appointment"), std::string::npos);
}

TEST(ScheduleTest, LocalTimesResolveInTheirZone) {
  EXPECT_EQ(*LocalToInstant("2025-07-01T09:00", "America/New_York"), *ParseRfc3339("2025-07-01T13:00:00Z"));
  EXPECT_EQ(*LocalToInstant("2025-01-01T09:00", "America/New_York"), *ParseRfc3339("2025-01-01T14:00:00Z"));
  EXPECT_FALSE(LocalToInstant("2025-01-01 09:00", "America/New_York").ok());
  EXPECT_FALSE(LocalToInstant("2025-01-01T09:00", "Mars/Olympus").ok());
}

}  // namespace
}  // namespace recall::planner
