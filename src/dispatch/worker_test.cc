#include "dispatch/worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "dispatch/dispatch_testing.h"
#include "dispatch/feedback.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner_testing.h"

namespace recall::dispatch {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// Synthetic patients only; 555-01xx numbers are reserved for fiction.
constexpr char kCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,E-mail Address,State,Zip,Language,Status,Provider\n"
    "SYN-1,Quintessa,Marlowe,(217) 555-0141,,q@example.com,IL,62701,en,lapsed,Dr. Reyes\n"
    "SYN-2,Bartholomew,Oakhurst,,(217) 555-0142,b@example.com,IL,62701,en,lapsed,Dr. Reyes\n"
    "SYN-3,Ingrid,Vasquez,(217) 555-0143,,,IL,62701,en,lapsed,Dr. Reyes\n"
    "SYN-4,Tobias,Lindqvist,(217) 555-0144,,,IL,62701,en,lapsed,Oncology Associates\n"
    "SYN-5,Rosalind,Fairweather,(217) 555-0145,,r@example.com,IL,62701,en,active,Dr. Reyes\n";

constexpr char kSmsEn[] =
    "Hi {{first_name}}, {{practice_name}} misses you. {{provider_name}} has openings. Call {{practice_phone}}. "
    "Reply STOP to opt out.";

class WorkerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scanner_ = scanner::SharedScannerForTest(); }

  void SetUp() override {
    ASSERT_NE(scanner_, nullptr);
    ASSERT_TRUE(engine_.status().ok());
    // 16:00Z is 10:00 in Chicago: inside every window.
    practice_ = *practices::AddPracticeWithBaaForTest(engine_);
    auto ids = planner::ImportForTest(engine_, practice_, kCsv, {"SYN-1", "SYN-2", "SYN-3", "SYN-4", "SYN-5"});
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ids_ = *ids;
    for (int i : {0, 2, 3}) ASSERT_TRUE(planner::GrantForTest(engine_, practice_, ids_[i], consent::Channel::kSms).ok());
    ASSERT_TRUE(planner::AddVendorsForTest(engine_, practice_, {"sms", "email"}).ok());
    ASSERT_TRUE(campaigns::AddTemplate(*engine_, *scanner_, {practice_, "sms-en", "sms", 1, "outreach", "en", "", kSmsEn})
                    .ok());
    ASSERT_TRUE(practices::UpdateSettings(*engine_, practice_,
                                          R"({"public_base_url":"https://outreach.example","max_attempts":3})")
                    .ok());
    options_.worker_id = "w-test";
    options_.sleep = [this](std::chrono::nanoseconds d) {
      slept_ += d;
      engine_.clock().Advance(d);
    };
  }

  std::string StartCampaign() {
    auto id = planner::ApprovedCampaignForTest(engine_, planner::SmsCampaignForTest(practice_, "sms-en"), *scanner_);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(planner::StartCampaign(*engine_, practice_, *id).ok());
    return *id;
  }

  Worker MakeWorker() { return Worker(*engine_, *scanner_, channels_, options_); }

  store::OutboxRow RowFor(const std::string& campaign, const std::string& patient) {
    auto plan = engine_->store().runs().PlanFor(practice_, campaign, patient);
    EXPECT_TRUE(plan.ok() && !plan->empty());
    auto row = engine_->store().outbox().Get(practice_, plan->front().message_id);
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? *row : store::OutboxRow{};
  }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  std::string practice_;
  std::vector<std::string> ids_;
  TestChannels channels_;
  WorkerOptions options_;
  std::chrono::nanoseconds slept_{0};
};
const scanner::Scanner* WorkerTest::scanner_ = nullptr;

TEST_F(WorkerTest, SendsTheApprovedWordsToConsentingPatientsOnly) {
  const std::string campaign = StartCampaign();
  Worker worker = MakeWorker();
  auto stats = worker.RunUntilIdle();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  // SYN-1 and SYN-3 get the SMS; SYN-2 has a landline and no SMS consent;
  // SYN-4's provider name fails the found-phone test on the rendered message.
  auto sent = channels_.sms.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to.substr(0, 9), "+12175550");
  EXPECT_NE(sent[0].text_body.find("Maple Family Dental misses you"), std::string::npos);
  EXPECT_EQ(sent[0].text_body.find("{{"), std::string::npos);
  EXPECT_EQ(stats->sent, 2);
  EXPECT_EQ(stats->cancelled, 1);
  EXPECT_EQ(RowFor(campaign, ids_[3]).state, "cancelled");
  EXPECT_EQ(RowFor(campaign, ids_[3]).last_reason, "scanner_block");
  EXPECT_EQ(engine_.CountAudit("incident.open"), 1);  // the scanner_after_approval incident (docs/incidents.md)
  EXPECT_EQ(RowFor(campaign, ids_[0]).state, "sent");
  EXPECT_EQ(RowFor(campaign, ids_[0]).provider_id, "prov-" + RowFor(campaign, ids_[0]).message_id);
  EXPECT_EQ(engine_.CountAudit("dispatch.sent"), 2);
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 3);
  // Every message final, every step planned: the campaign completes.
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(practice_, campaign)->state, "completed");
  // Nothing in the audit log names a patient.
  ASSERT_TRUE(engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) {
    const std::string text = audit::CanonicalEncoding(r);
    for (const char* phi : {"Quintessa", "Ingrid", "555-014", "5550141", "q@example.com"}) {
      EXPECT_EQ(text.find(phi), std::string::npos) << r.action;
    }
    return true;
  }).ok());
}

TEST_F(WorkerTest, QuietHoursDeferAndTheMessageGoesOutInTheMorning) {
  engine_.clock().Set(*ParseRfc3339("2025-11-26T04:00:00Z"));  // 22:00 in Chicago
  const std::string campaign = StartCampaign();
  Worker worker = MakeWorker();
  auto stats = worker.RunUntilIdle();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->sent, 0);
  EXPECT_GE(stats->deferred, 2);
  const auto row = RowFor(campaign, ids_[0]);
  EXPECT_EQ(row.state, "queued");
  EXPECT_EQ(row.last_reason, "quiet_hours_federal");
  engine_.clock().Set(row.not_before);
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(RowFor(campaign, ids_[0]).state, "sent");
  EXPECT_EQ(RowFor(campaign, ids_[0]).defers, 1);
}

TEST_F(WorkerTest, AStopAfterPlanningCancelsAtTheMomentOfSending) {
  const std::string campaign = StartCampaign();
  ASSERT_TRUE(planner::PlanDueSteps(*engine_).ok());
  auto stop = HandleInboundSms(*engine_, practice_, "+12175550141", "STOP");
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_EQ(stop->event_ids.size(), 1u);
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(RowFor(campaign, ids_[0]).state, "cancelled");
  EXPECT_EQ(RowFor(campaign, ids_[0]).last_reason, "consent_revoked");
  for (const auto& m : channels_.sms.sent()) EXPECT_NE(m.to, "+12175550141");
}

TEST_F(WorkerTest, TransientFailuresBackOffThenFailForGood) {
  const std::string campaign = StartCampaign();
  channels_.sms.FailWith(UnavailableError("smsbox refused the connection"));
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  auto row = RowFor(campaign, ids_[0]);
  EXPECT_EQ(row.state, "queued");
  EXPECT_EQ(row.last_reason, "transient");
  // First retry after 15-30 s (equal jitter over 30 s).
  const auto wait = row.not_before - engine_->clock().Now();
  EXPECT_GE(wait, std::chrono::seconds(15));
  EXPECT_LE(wait, std::chrono::seconds(30));
  for (int i = 0; i < 4; ++i) {
    engine_.clock().Advance(hours(2));
    ASSERT_TRUE(worker.RunUntilIdle().ok());
  }
  row = RowFor(campaign, ids_[0]);
  EXPECT_EQ(row.state, "failed");
  EXPECT_EQ(row.last_reason, "retries_exhausted");
  EXPECT_EQ(row.attempts, 3);
}

TEST_F(WorkerTest, AHardBounceInvalidatesTheContactForThatChannel) {
  const std::string campaign = StartCampaign();
  channels_.sms.FailWith(FailedPreconditionError(std::string(channels::kHardBounceMarker)));
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(RowFor(campaign, ids_[0]).state, "failed");
  EXPECT_EQ(RowFor(campaign, ids_[0]).last_reason, "hard_bounce");
  const auto patient = engine_->store().patients().Get(practice_, ids_[0]);
  EXPECT_TRUE(*engine_->store().runs().IsContactInvalid(practice_, ids_[0], "sms", patient->phone_index));
  EXPECT_FALSE(*engine_->store().runs().IsContactInvalid(practice_, ids_[0], "email", patient->email_index));
}

TEST_F(WorkerTest, DeliveryReportsUpdateStateAndUndeliverableNumbersAreMarked) {
  const std::string campaign = StartCampaign();
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  const auto first = RowFor(campaign, ids_[0]);
  const auto second = RowFor(campaign, ids_[2]);
  ASSERT_TRUE(RecordDeliveryReport(*engine_, {practice_, first.message_id, "pending", ""}).ok());
  ASSERT_TRUE(RecordDeliveryReport(*engine_, {practice_, first.message_id, "delivered", ""}).ok());
  ASSERT_TRUE(RecordDeliveryReport(*engine_, {practice_, second.message_id, "undeliverable", "smsc_reject"}).ok());
  EXPECT_EQ(RowFor(campaign, ids_[0]).delivery, "delivered");
  EXPECT_EQ(RowFor(campaign, ids_[2]).delivery, "undeliverable");
  const auto patient = engine_->store().patients().Get(practice_, ids_[2]);
  EXPECT_TRUE(*engine_->store().runs().IsContactInvalid(practice_, ids_[2], "sms", patient->phone_index));
  EXPECT_EQ(RecordDeliveryReport(*engine_, {practice_, "msg_nosuchmessage", "delivered", ""}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(RecordDeliveryReport(*engine_, {practice_, first.message_id, "exploded", ""}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordDeliveryReport(*engine_, {practice_, first.message_id, "failed", "call +1 217 555 0141"}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(WorkerTest, ADeliveryReportAfterAnAmbiguousFailurePreventsTheResend) {
  const std::string campaign = StartCampaign();
  channels_.sms.FailWith(UnavailableError("smsbox timed out"));  // it may have gone out anyway
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  const auto row = RowFor(campaign, ids_[0]);
  ASSERT_EQ(row.state, "queued");
  // ... and it had: the carrier's report arrives for the queued message.
  ASSERT_TRUE(RecordDeliveryReport(*engine_, {practice_, row.message_id, "delivered", ""}).ok());
  channels_.sms.FailWith(OkStatus());
  const int calls = channels_.sms.calls();
  engine_.clock().Advance(hours(1));
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(RowFor(campaign, ids_[0]).state, "sent");
  EXPECT_EQ(RowFor(campaign, ids_[0]).delivery, "delivered");
  // Only the other patient's retry reached the channel.
  EXPECT_EQ(channels_.sms.calls(), calls + 1);
}

TEST_F(WorkerTest, TheSendersRateLimitSpacesMessages) {
  channels_.sms_rate = RateLimit{1.0, 1};  // a long code: one message a second
  StartCampaign();
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(channels_.sms.sent().size(), 2u);
  EXPECT_GE(slept_, std::chrono::milliseconds(999));
}

TEST_F(WorkerTest, APausedCampaignHoldsItsMessages) {
  const std::string campaign = StartCampaign();
  ASSERT_TRUE(planner::PlanDueSteps(*engine_).ok());
  ASSERT_TRUE(planner::PauseCampaign(*engine_, practice_, campaign).ok());
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(channels_.sms.calls(), 0);
  ASSERT_TRUE(planner::ResumeCampaign(*engine_, practice_, campaign).ok());
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  EXPECT_EQ(channels_.sms.sent().size(), 2u);
}

TEST_F(WorkerTest, AYesToAConsentRequestRecordsSmsConsent) {
  // A consent confirmation email to patients with an email address and no SMS
  // consent; a YES by SMS, or a click on the signed link, records the consent.
  constexpr char kEmail[] =
      "<p>Hi {{first_name}}, {{practice_name}} can text you reminders. <a href=\"{{consent_link}}\">Yes, text "
      "me</a>. Call {{practice_phone}}. {{practice_address}} <a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";
  for (int i : {1, 4}) {
    ASSERT_TRUE(planner::GrantForTest(engine_, practice_, ids_[i], consent::Channel::kEmail, consent::Purpose::kCare).ok());
  }
  auto tpl = campaigns::AddTemplate(*engine_, *scanner_,
                                    {practice_, "confirm-email-en", "email", 1, "care", "en",
                                     "{{practice_name}}: may we text you?", kEmail});
  ASSERT_TRUE(tpl.ok()) << tpl.status().ToString();
  campaigns::CampaignInput c;
  c.practice_id = practice_;
  c.name = "Text consent";
  c.kind = "consent_confirmation";
  c.purpose = "care";
  campaigns::StepInput step;
  step.channel = "email";
  step.templates = {"confirm-email-en"};
  c.steps = {step};
  c.start = "2025-11-20T09:00";
  c.window = "08:00-20:00";
  auto id = planner::ApprovedCampaignForTest(engine_, c, *scanner_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(planner::StartCampaign(*engine_, practice_, *id).ok());
  Worker worker = MakeWorker();
  ASSERT_TRUE(worker.RunUntilIdle().ok());
  auto emails = channels_.email.sent();
  ASSERT_EQ(emails.size(), 2u);  // SYN-2 and SYN-5; SYN-1 has no email consent
  EXPECT_NE(emails[0].html_body.find("https://outreach.example/c/c1."), std::string::npos);
  EXPECT_EQ(emails[0].unsubscribe_url.rfind("https://outreach.example/u/u1.", 0), 0u);
  EXPECT_EQ(emails[0].from_address, "office@maple.example");
  EXPECT_NE(emails[0].text_body.find("Yes, text me"), std::string::npos);
  EXPECT_EQ(emails[0].text_body.find("<a"), std::string::npos);
  // The link, clicked by SYN-2, whose only phone is a landline: nothing to consent for.
  for (const auto& email : emails) {
    const std::string& html = email.html_body;
    const size_t at = html.find("/c/") + 3;
    const std::string token = html.substr(at, html.find('"', at) - at);
    if (token.find(ids_[1]) == std::string::npos) continue;
    EXPECT_EQ(HandleConsentConfirmation(*engine_, token, "203.0.113.7", "synthetic-agent").status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(HandleConsentConfirmation(*engine_, token + "0", "", "").status().code(), StatusCode::kUnauthenticated);
  }
  // SYN-5 answers YES by text.
  auto yes = HandleInboundSms(*engine_, practice_, "+12175550145", "YES");
  ASSERT_TRUE(yes.ok()) << yes.status().ToString();
  EXPECT_EQ(yes->campaign_id, *id);
  auto check = consent::ConsentVault(*engine_).Check(practice_, ids_[4], consent::Channel::kSms,
                                                      consent::Purpose::kCare, "", engine_->clock().Now());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->allowed());
  auto counts = engine_->store().runs().Counts(practice_, *id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->inbound_by_kind["confirm"], 1);
}

}  // namespace
}  // namespace recall::dispatch
