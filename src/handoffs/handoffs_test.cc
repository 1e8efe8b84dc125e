#include "handoffs/handoffs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dispatch/dispatch_testing.h"
#include "dispatch/feedback.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner_testing.h"

namespace recall::handoffs {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// Synthetic patients only; 555-01xx numbers are reserved for fiction.
constexpr char kCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,E-mail Address,State,Zip,Language,Status,Provider\n"
    "SYN-1,Quintessa,Marlowe,(217) 555-0141,q@example.com,IL,62701,en,lapsed,Dr. Reyes\n"
    "SYN-2,Bartholomew,Oakhurst,(217) 555-0142,b@example.com,IL,62701,en,lapsed,Dr. Reyes\n";
constexpr char kPhone1[] = "+12175550141";
constexpr char kPhone2[] = "+12175550142";
constexpr char kOnCall[] = "+12175550199";
constexpr char kAfterHours[] =
    "Maple Family Dental is closed. If this is an emergency, call 911. We will answer during office hours.";

class HandoffsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scanner_ = scanner::SharedScannerForTest(); }

  void SetUp() override {
    ASSERT_NE(scanner_, nullptr);
    ASSERT_TRUE(engine_.status().ok());
    // The TestEngine starts at 2025-11-25T16:00Z: a Tuesday, 10:00 in Chicago.
    practice_ = *practices::AddPracticeWithBaaForTest(engine_);
    auto ids = planner::ImportForTest(engine_, practice_, kCsv, {"SYN-1", "SYN-2"});
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ids_ = *ids;
    ASSERT_TRUE(planner::AddVendorsForTest(engine_, practice_, {"sms", "email"}).ok());
  }

  std::string Inbound(const std::string& from, const std::string& body, dispatch::InboundResult* out = nullptr) {
    auto r = dispatch::HandleInboundSms(*engine_, practice_, from, body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    if (out != nullptr) *out = *r;
    return r->handoff_id;
  }

  std::vector<store::HandoffRow> All(const std::string& status = "") {
    auto page = List(*engine_, practice_, status, {"", 100});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->rows : std::vector<store::HandoffRow>{};
  }

  static inline const scanner::Scanner* scanner_ = nullptr;
  engine::TestEngine engine_;
  std::string practice_;
  std::vector<std::string> ids_;
  dispatch::TestChannels channels_;
};

TEST_F(HandoffsTest, UrgentInboundOpensAnItemWithSealedText) {
  dispatch::InboundResult result;
  const std::string id = Inbound(kPhone1, "I have severe pain since this morning", &result);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id.rfind("hof_", 0), 0u);
  auto items = All();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].category, "urgent");
  EXPECT_EQ(items[0].priority, 0);
  EXPECT_EQ(items[0].status, "open");
  EXPECT_EQ(items[0].patient_id, ids_[0]);
  EXPECT_EQ(items[0].inbound_event_id, result.event_ids.at(0));
  EXPECT_TRUE(items[0].text_enc.empty());  // List never carries the text
  EXPECT_EQ(engine_.CountAudit("handoff.open"), 1);

  auto view = Get(*engine_, practice_, id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->text, "I have severe pain since this morning");
  ASSERT_EQ(view->events.size(), 1u);
  EXPECT_EQ(view->events[0].kind, "opened");
  EXPECT_EQ(engine_.CountAudit("handoff.view"), 1);

  // Another practice never sees it.
  auto other = practices::AddPracticeWithBaaForTest(engine_, "Oak Street Dental");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(IsNotFound(Get(*engine_, *other, id).status()));
  EXPECT_TRUE(IsNotFound(Acknowledge(*engine_, *other, id)));
}

TEST_F(HandoffsTest, OnlyUrgentAndUnplacedMessagesOpenItems) {
  EXPECT_TRUE(Inbound(kPhone1, "HELP").empty());
  EXPECT_TRUE(Inbound(kPhone1, "C").empty());
  EXPECT_FALSE(Inbound(kPhone1, "Can I move my cleaning to Friday?").empty());
  EXPECT_TRUE(Inbound(kPhone1, "STOP").empty());
  // An unknown sender's urgent message still reaches a person.
  EXPECT_FALSE(Inbound("+12175550177", "my husband collapsed and is not breathing").empty());
  // A question about care goes ahead of the rest.
  EXPECT_FALSE(Inbound(kPhone1, "Can I get a refill on my prescription?").empty());
  auto items = All();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].category, "urgent");
  EXPECT_EQ(items[0].patient_id, "");
  EXPECT_EQ(items[1].category, "clinical");
  EXPECT_EQ(items[2].category, "other");
}

TEST_F(HandoffsTest, QueueIsUrgentFirstThenOldestAndPaginates) {
  const std::string other1 = Inbound(kPhone1, "Do you take new insurance plans?");
  engine_.clock().Advance(minutes(1));
  const std::string urgent = Inbound(kPhone2, "severe bleeding after my extraction");
  engine_.clock().Advance(minutes(1));
  const std::string other2 = Inbound(kPhone2, "What time do you open on Saturday?");
  auto clinical = Open(*engine_, {practice_, ids_[0], "", "sms", "", "clinical", "question about a prescription"});
  ASSERT_TRUE(clinical.ok()) << clinical.status().ToString();
  auto items = All();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].handoff_id, urgent);
  EXPECT_EQ(items[1].handoff_id, *clinical);
  EXPECT_EQ(items[2].handoff_id, other1);
  EXPECT_EQ(items[3].handoff_id, other2);

  std::vector<std::string> walked;
  store::PageRequest page{"", 1};
  for (int n = 0; n < 10; ++n) {
    auto p = List(*engine_, practice_, "", page);
    ASSERT_TRUE(p.ok());
    for (const auto& r : p->rows) walked.push_back(r.handoff_id);
    if (p->next.empty()) break;
    page.after = p->next;
  }
  EXPECT_EQ(walked, (std::vector<std::string>{urgent, *clinical, other1, other2}));
  EXPECT_TRUE(IsInvalidArgument(List(*engine_, practice_, "", {"garbage", 10}).status()));
  EXPECT_TRUE(IsInvalidArgument(List(*engine_, practice_, "closed", {"", 10}).status()));
}

TEST_F(HandoffsTest, TransitionsAreCheckedAndAudited) {
  const std::string id = Inbound(kPhone1, "Can I move my cleaning to Friday?");
  EXPECT_TRUE(Assign(*engine_, practice_, id, "usr_nobody").code() == StatusCode::kNotFound);
  ASSERT_TRUE(Acknowledge(*engine_, practice_, id).ok());
  EXPECT_TRUE(IsFailedPrecondition(Acknowledge(*engine_, practice_, id)));
  EXPECT_EQ(All("acknowledged").size(), 1u);
  ASSERT_TRUE(Resolve(*engine_, practice_, id).ok());
  EXPECT_TRUE(IsFailedPrecondition(Resolve(*engine_, practice_, id)));
  EXPECT_TRUE(IsFailedPrecondition(Acknowledge(*engine_, practice_, id)));
  EXPECT_TRUE(IsFailedPrecondition(Assign(*engine_, practice_, id, "")));
  EXPECT_EQ(All("resolved").size(), 1u);
  EXPECT_EQ(All("open").size(), 0u);
  EXPECT_EQ(engine_.CountAudit("handoff.acknowledge"), 1);
  EXPECT_EQ(engine_.CountAudit("handoff.resolve"), 1);
  auto events = engine_->store().handoffs().Events(practice_, id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].kind, "acknowledged");
  EXPECT_EQ((*events)[2].kind, "resolved");
  // open -> resolved directly is allowed (answered by phone).
  const std::string second = Inbound(kPhone2, "What time do you open on Saturday?");
  EXPECT_TRUE(Resolve(*engine_, practice_, second).ok());
}

TEST_F(HandoffsTest, EscalatesOnceWithoutPhiAfterTheAckTime) {
  ASSERT_TRUE(practices::UpdateSettings(
                  *engine_, practice_,
                  std::string(R"({"handoff_ack_minutes":15,"oncall":{"channel":"sms","address":")") + kOnCall + "\"}}")
                  .ok());
  const std::string urgent = Inbound(kPhone1, "I have severe pain since this morning");
  const std::string acked = Inbound(kPhone2, "severe bleeding after my extraction");
  ASSERT_TRUE(Acknowledge(*engine_, practice_, acked).ok());
  Inbound(kPhone2, "Do you take new insurance plans?");  // "other" never escalates

  auto sweep = [&] {
    auto s = EscalateOverdue(*engine_, channels_, engine_.clock().Now());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : dispatch::EscalationStats{};
  };
  EXPECT_EQ(sweep().sent, 0);
  engine_.clock().Advance(minutes(14));
  EXPECT_EQ(sweep().sent, 0);
  EXPECT_EQ(channels_.sms.calls(), 0);
  engine_.clock().Advance(minutes(2));
  EXPECT_EQ(sweep().sent, 1);
  EXPECT_EQ(sweep().sent, 0);  // recorded once: no repeat
  engine_.clock().Advance(hours(2));
  EXPECT_EQ(sweep().sent, 0);
  auto sent = channels_.sms.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kOnCall);
  EXPECT_NE(sent[0].text_body.find(urgent), std::string::npos);
  for (const char* phi : {"severe", "pain", "Quintessa", "Marlowe", "555-0141", "5550141", ids_[0].c_str()}) {
    EXPECT_EQ(sent[0].text_body.find(phi), std::string::npos) << phi;
    EXPECT_EQ(sent[0].subject.find(phi), std::string::npos) << phi;
  }
  EXPECT_EQ(engine_.CountAudit("handoff.escalate"), 1);
  auto item = engine_->store().handoffs().Get(practice_, urgent);
  ASSERT_TRUE(item.ok());
  EXPECT_NE(item->escalated_at, TimePoint());
}

TEST_F(HandoffsTest, NoOnCallContactMeansNothingSentAndStillDue) {
  Inbound(kPhone1, "I have severe pain since this morning");
  engine_.clock().Advance(minutes(20));
  auto s = EscalateOverdue(*engine_, channels_, engine_.clock().Now());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->due, 1);
  EXPECT_EQ(s->unconfigured, 1);
  EXPECT_EQ(s->sent, 0);
  EXPECT_EQ(channels_.sms.calls(), 0);
}

TEST_F(HandoffsTest, WorkerTickRunsTheSweep) {
  ASSERT_TRUE(practices::UpdateSettings(*engine_, practice_,
                                        std::string(R"({"oncall":{"channel":"sms","address":")") + kOnCall + "\"}}")
                  .ok());
  Inbound(kPhone1, "I have severe pain since this morning");
  engine_.clock().Advance(minutes(16));
  dispatch::WorkerOptions options;
  options.worker_id = "w-test";
  options.sleep = [this](std::chrono::nanoseconds d) { engine_.clock().Advance(d); };
  dispatch::Worker worker(*engine_, *scanner_, channels_, options);
  ASSERT_TRUE(worker.Tick().ok());
  ASSERT_TRUE(worker.Tick().ok());
  EXPECT_EQ(channels_.sms.sent().size(), 1u);
}

TEST_F(HandoffsTest, AfterHoursReplyOutsideTheScheduleOnly) {
  ASSERT_TRUE(SetAfterHoursReply(*engine_, *scanner_, practice_, kAfterHours).ok());
  ASSERT_TRUE(practices::UpdateSettings(*engine_, practice_,
                                        R"({"office_hours_schedule":"Mon-Fri 08:00-17:00; Sat 09:00-12:00"})")
                  .ok());
  dispatch::InboundResult in_hours;
  Inbound(kPhone1, "Can I move my cleaning to Friday?", &in_hours);  // Tue 10:00 Chicago
  EXPECT_FALSE(in_hours.outcome.reply.has_value());

  engine_.clock().Advance(hours(10));  // Tue 20:00 Chicago
  dispatch::InboundResult after;
  Inbound(kPhone1, "Can I move my cleaning to Friday?", &after);
  ASSERT_TRUE(after.outcome.reply.has_value());
  EXPECT_EQ(*after.outcome.reply, kAfterHours);
  dispatch::InboundResult urgent;
  Inbound(kPhone2, "I have severe pain since this morning", &urgent);
  ASSERT_TRUE(urgent.outcome.reply.has_value());
  EXPECT_EQ(*urgent.outcome.reply, kAfterHours);

  // CTIA replies take precedence; messages that open no item get none.
  dispatch::InboundResult help;
  Inbound(kPhone1, "HELP", &help);
  ASSERT_TRUE(help.outcome.reply.has_value());
  EXPECT_NE(*help.outcome.reply, kAfterHours);

  // An opted-out patient gets no after-hours reply.
  Inbound(kPhone1, "STOP");
  dispatch::InboundResult opted_out;
  Inbound(kPhone1, "Can I move my cleaning to Friday?", &opted_out);
  EXPECT_FALSE(opted_out.outcome.reply.has_value());
}

TEST_F(HandoffsTest, OfficeHoursFollowThePracticeZoneAcrossDst) {
  const std::string schedule = "Sun 08:00-09:00";
  auto at = [](const char* rfc3339) { return *ParseRfc3339(rfc3339); };
  auto within = [&](const char* t) {
    auto r = dispatch::WithinOfficeHours(schedule, "America/Chicago", at(t));
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() && **r;
  };
  // 2026-03-08: DST begins in the US at 02:00; Chicago is UTC-5 from then.
  EXPECT_TRUE(within("2026-03-08T13:30:00Z"));   // 08:30 CDT
  EXPECT_FALSE(within("2026-03-08T14:30:00Z"));  // 09:30 CDT
  // A week before, standard time (UTC-6): 13:30Z is 07:30, closed.
  EXPECT_FALSE(within("2026-03-01T13:30:00Z"));
  EXPECT_TRUE(within("2026-03-01T14:30:00Z"));
  // 2026-11-01: DST ends at 02:00; back to UTC-6.
  EXPECT_TRUE(within("2026-11-01T14:30:00Z"));
  EXPECT_FALSE(within("2026-11-01T13:30:00Z"));
  auto none = dispatch::WithinOfficeHours("", "America/Chicago", at("2026-03-08T13:30:00Z"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(IsInvalidArgument(dispatch::WithinOfficeHours(schedule, "Mars/Olympus", at("2026-03-08T13:30:00Z")).status()));
}

TEST_F(HandoffsTest, ScheduleAndSettingsAreValidated) {
  auto spans = practices::ParseOfficeHoursSchedule("Mon-Fri 08:00-17:00; Sat 09:00-12:00");
  ASSERT_TRUE(spans.ok());
  EXPECT_EQ(spans->size(), 6u);
  for (const char* bad : {"Mon-Fri", "Funday 08:00-17:00", "Mon 17:00-08:00", "Mon 8-5", "Mon 08:00-25:00"}) {
    EXPECT_TRUE(IsInvalidArgument(practices::ParseOfficeHoursSchedule(bad).status())) << bad;
  }
  EXPECT_TRUE(IsInvalidArgument(practices::UpdateSettings(*engine_, practice_, R"({"after_hours_reply":"hi"})").status()));
  EXPECT_TRUE(IsInvalidArgument(practices::UpdateSettings(*engine_, practice_, R"({"handoff_ack_minutes":0})").status()));
  EXPECT_TRUE(IsInvalidArgument(
      practices::UpdateSettings(*engine_, practice_, R"({"oncall":{"channel":"sms","address":"nope"}})").status()));
  EXPECT_TRUE(IsInvalidArgument(
      practices::UpdateSettings(*engine_, practice_, R"({"oncall":{"channel":"fax","address":"+12175550199"}})")
          .status()));
  // The after-hours reply: literal, and the scanner finds nothing in it.
  EXPECT_TRUE(IsInvalidArgument(SetAfterHoursReply(*engine_, *scanner_, practice_, "Hi {{first_name}}").status()));
  EXPECT_TRUE(IsFailedPrecondition(
      SetAfterHoursReply(*engine_, *scanner_, practice_, "We are closed. For HIV test results call tomorrow.").status()));
  auto sha = SetAfterHoursReply(*engine_, *scanner_, practice_, kAfterHours);
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(sha->size(), 64u);
  EXPECT_EQ(engine_.CountAudit("handoff.after_hours_reply"), 1);
  // The settings read back and PUT whole are accepted (the reply unchanged).
  auto settings = practices::GetSettings(*engine_, practice_);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->after_hours_reply, kAfterHours);
  EXPECT_TRUE(practices::UpdateSettings(*engine_, practice_, practices::SettingsJson(*settings)).ok());
}

TEST_F(HandoffsTest, ReplyGoesThroughTheScannerAndNeverAfterAnOptOut) {
  const std::string id = Inbound(kPhone1, "Can I move my cleaning to Friday?");
  auto blocked = Reply(*engine_, *scanner_, channels_, practice_, id, "Your HIV test results are in, call us.");
  ASSERT_FALSE(blocked.ok());
  EXPECT_TRUE(IsFailedPrecondition(blocked.status()));
  EXPECT_NE(blocked.status().message().find("scanner"), std::string::npos);
  EXPECT_EQ(blocked.status().message().find("HIV"), std::string::npos);  // categories, never the text
  EXPECT_EQ(channels_.sms.calls(), 0);
  // The dispatch gate decided it, in reply mode, and audited the decision.
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 1);

  EXPECT_TRUE(IsInvalidArgument(Reply(*engine_, *scanner_, channels_, practice_, id, "").status()));
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 1);  // bad input never reaches the gate
  auto sent = Reply(*engine_, *scanner_, channels_, practice_, id, "Friday at 10:00 works. See you then.");
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_EQ(channels_.sms.sent().size(), 1u);
  EXPECT_EQ(channels_.sms.sent()[0].to, kPhone1);
  EXPECT_EQ(channels_.sms.sent()[0].message_id, sent->message_id);
  auto row = engine_->store().handoffs().Get(practice_, id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->status, "acknowledged");  // a reply acknowledges
  auto events = engine_->store().handoffs().Events(practice_, id);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().kind, "replied");
  EXPECT_EQ(events->back().ref, sent->message_id);
  EXPECT_EQ(engine_.CountAudit("handoff.reply"), 1);
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 2);

  // After STOP: never.
  Inbound(kPhone1, "STOP");
  auto refused = Reply(*engine_, *scanner_, channels_, practice_, id, "Friday at 10:00 works. See you then.");
  EXPECT_TRUE(IsFailedPrecondition(refused.status())) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("consent_revoked"), std::string::npos) << refused.status().ToString();
  EXPECT_EQ(channels_.sms.sent().size(), 1u);
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 3);

  // Nothing after resolve, and nothing without a patient.
  ASSERT_TRUE(Resolve(*engine_, practice_, id).ok());
  EXPECT_TRUE(IsFailedPrecondition(Reply(*engine_, *scanner_, channels_, practice_, id, "ok").status()));
  const std::string stranger = Inbound("+12175550177", "Do you take new insurance plans?");
  EXPECT_TRUE(IsFailedPrecondition(Reply(*engine_, *scanner_, channels_, practice_, stranger, "Yes we do.").status()));
}

TEST_F(HandoffsTest, ReplyNeedsTheVendorBaa) {
  engine::TestEngine fresh;
  auto practice = practices::AddPracticeWithBaaForTest(fresh);
  ASSERT_TRUE(practice.ok());
  ASSERT_TRUE(planner::ImportForTest(fresh, *practice, kCsv, {"SYN-1", "SYN-2"}).ok());
  auto in = dispatch::HandleInboundSms(*fresh, *practice, kPhone1, "Can I move my cleaning to Friday?");
  ASSERT_TRUE(in.ok());
  auto r = Reply(*fresh, *scanner_, channels_, *practice, in->handoff_id, "Friday works.");
  EXPECT_TRUE(IsFailedPrecondition(r.status())) << r.status().ToString();
  EXPECT_EQ(channels_.sms.calls(), 0);
}

TEST_F(HandoffsTest, TextIsNeverInTheDatabaseInClear) {
  const std::string marker = "zebracorn toothache behind my molar";
  const std::string id = Inbound(kPhone1, marker);
  ASSERT_FALSE(id.empty());
  auto view = Get(*engine_, practice_, id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->text, marker);
  engine_.Close();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(engine_.dir())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    EXPECT_EQ(bytes.str().find("zebracorn"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace recall::handoffs
