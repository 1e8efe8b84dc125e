#include "incidents/incidents.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine/engine_testing.h"
#include "practices/practices.h"

namespace recall::incidents {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class IncidentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    p72_ = NewPractice("Maple Family Dental", 72);
    p24_ = NewPractice("Oak Street Dental", 24);
    no_baa_ = NewPractice("Birch Pediatrics", 0);
  }

  // A practice with a BAA of `hours` (0: no BAA recorded).
  std::string NewPractice(const std::string& name, int notice_hours) {
    auto p = practices::CreatePractice(*engine_, {name, "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                                  "Office <office@maple.example>", "America/Chicago", "IL"});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return "";
    if (notice_hours > 0) {
      const auto doc = engine_.dir() / ("baa-" + p->practice_id + ".pdf");
      std::ofstream(doc) << "signed BAA document (synthetic)";
      auto baa = practices::RecordBaa(*engine_, {p->practice_id, "Dana Whitlock", "2025-11-01", doc.string(),
                                                 notice_hours});
      EXPECT_TRUE(baa.ok()) << baa.status().ToString();
    }
    return p->practice_id;
  }

  const store::IncidentPracticeRow* Practice(const Incident& incident, const std::string& id) {
    for (const auto& p : incident.practices) {
      if (p.practice_id == id) return &p;
    }
    return nullptr;
  }

  TimePoint Now() { return engine_.clock().Now(); }

  engine::TestEngine engine_;
  std::string p72_, p24_, no_baa_;
};

TEST_F(IncidentsTest, DeadlinesComeFromEachPracticesBaaAndTheSixtyDayRule) {
  const TimePoint discovered = Now() - hours(2);
  auto incident = Open(*engine_, {"lost laptop with an export of practice contact lists", discovered, "high",
                                  {{p72_, 120}, {p24_, 30}, {no_baa_, 0}}});
  ASSERT_TRUE(incident.ok()) << incident.status().ToString();
  EXPECT_EQ(incident->incident.source, "manual");
  EXPECT_EQ(incident->incident.status, "open");
  EXPECT_EQ(incident->incident.discovered_at, discovered);
  ASSERT_EQ(incident->practices.size(), 3u);

  const auto* a = Practice(*incident, p72_);
  const auto* b = Practice(*incident, p24_);
  const auto* c = Practice(*incident, no_baa_);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->breach_notice_hours, 72);
  EXPECT_EQ(a->contractual_deadline, discovered + hours(72));
  EXPECT_EQ(b->breach_notice_hours, 24);
  EXPECT_EQ(b->contractual_deadline, discovered + hours(24));
  EXPECT_EQ(c->breach_notice_hours, 72) << "no BAA on file: the default 72 hours";
  EXPECT_EQ(c->contractual_deadline, discovered + hours(72));
  for (const auto* p : {a, b, c}) {
    EXPECT_EQ(p->regulatory_deadline, discovered + hours(24 * 60));
    EXPECT_EQ(DeadlineFor(*p), p->contractual_deadline);
  }
  EXPECT_EQ(a->affected, 120);
  EXPECT_EQ(engine_.CountAudit("incident.open"), 1);
}

TEST_F(IncidentsTest, TheRegulatoryDeadlineBindsWhenTheBaaAllowsSixtyDays) {
  const std::string p1440 = NewPractice("Cedar Orthodontics", 1440);
  auto incident = Open(*engine_, {"misdirected batch", std::nullopt, "medium", {{p1440, 3}}});
  ASSERT_TRUE(incident.ok()) << incident.status().ToString();
  const auto& p = incident->practices.at(0);
  EXPECT_EQ(p.regulatory_deadline, Now() + hours(24 * 60));
  EXPECT_EQ(DeadlineFor(p), p.regulatory_deadline);
  engine_.clock().Advance(hours(24 * 60));
  EXPECT_FALSE(IsOverdue(*Get(*engine_, incident->incident.incident_id), Now()));
  engine_.clock().Advance(seconds(1));
  EXPECT_TRUE(IsOverdue(*Get(*engine_, incident->incident.incident_id), Now()));
}

TEST_F(IncidentsTest, OverdueFlipsWithTheClockAndANotificationClearsItForThatPractice) {
  auto opened = Open(*engine_, {"credential stuffing against the API", std::nullopt, "high", {{p24_, 10}, {p72_, 5}}});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const std::string id = opened->incident.incident_id;

  auto counts = CountOpen(*engine_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->open, 1);
  EXPECT_EQ(counts->overdue, 0);

  engine_.clock().Advance(hours(24));
  EXPECT_FALSE(IsOverdue(*Get(*engine_, id), Now())) << "due at the deadline, not yet late";
  engine_.clock().Advance(minutes(1));
  auto late = Get(*engine_, id);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(OverduePractices(*late, Now()), std::vector<std::string>{p24_});
  EXPECT_EQ(CountOpen(*engine_)->overdue, 1);
  EXPECT_EQ(Overdue(*engine_, Now())->size(), 1u);
  EXPECT_EQ(List(*engine_, {false, true})->size(), 1u);

  auto notified = RecordNotification(*engine_, id, {p24_, "privacy officer", "email", std::nullopt});
  ASSERT_TRUE(notified.ok()) << notified.status().ToString();
  EXPECT_TRUE(Notified(*notified, p24_));
  EXPECT_FALSE(IsOverdue(*notified, Now()));
  EXPECT_EQ(CountOpen(*engine_)->overdue, 0);
  EXPECT_TRUE(List(*engine_, {false, true})->empty());

  // The 72-hour practice is still owed its notice.
  engine_.clock().Advance(hours(48));
  EXPECT_EQ(OverduePractices(*Get(*engine_, id), Now()), std::vector<std::string>{p72_});
  ASSERT_TRUE(RecordNotification(*engine_, id, {p72_, "practice administrator", "phone", std::nullopt}).ok());
  EXPECT_FALSE(IsOverdue(*Get(*engine_, id), Now()));
  EXPECT_EQ(engine_.CountAudit("incident.notify"), 2);

  auto json = ToJson(*Get(*engine_, id), Now(), true);
  EXPECT_EQ(json["practices"].size(), 2u);
  EXPECT_EQ(json["notifications"].size(), 2u);
  EXPECT_EQ(json["overdue"], false);
  EXPECT_EQ(json["updates"].size(), 3u);  // opened, notified, notified
}

TEST_F(IncidentsTest, AClosedIncidentIsNeverOverdueAndTakesNoChanges) {
  auto opened = Open(*engine_, {"phishing email clicked by staff", std::nullopt, "low", {{p24_, 0}}});
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->incident.incident_id;
  engine_.clock().Advance(hours(30));
  EXPECT_TRUE(IsOverdue(*Get(*engine_, id), Now()));
  auto closed = Close(*engine_, id, "no PHI accessed; credentials rotated");
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->incident.status, "closed");
  EXPECT_FALSE(IsOverdue(*closed, Now()));
  EXPECT_EQ(CountOpen(*engine_)->open, 0);
  EXPECT_EQ(Close(*engine_, id, "again").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Update(*engine_, id, {std::string("new"), std::nullopt}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(RecordNotification(*engine_, id, {p24_, "privacy officer", "email", std::nullopt}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(List(*engine_, {true, false})->size(), 0u);
  EXPECT_EQ(List(*engine_, {false, false})->size(), 1u);
}

TEST_F(IncidentsTest, PhiInAnyTextFieldIsRefusedAndNothingChanges) {
  const std::vector<std::string> refused = {"patient at (217) 555-0142 called about a letter",
                                            "reply came from jane.doe@example.com", "two\nlines",
                                            std::string(kMaxDescription + 1, 'x'), "   "};
  for (const auto& bad : refused) {
    auto s = Open(*engine_, {bad, std::nullopt, "medium", {{p72_, 1}}});
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.status().message().find("555"), std::string::npos) << "the error repeats no PHI";
  }
  EXPECT_TRUE(List(*engine_)->empty());
  EXPECT_EQ(engine_.CountAudit("incident.open"), 0);

  auto opened = Open(*engine_, {"stolen badge", std::nullopt, "medium", {{p72_, 1}}});
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->incident.incident_id;
  // One bad part of an update refuses all of it.
  UpdateRequest request;
  request.edit.description = "stolen badge, found";
  request.practices = {{p24_, 2}};
  request.notification = Notification{p72_, "call 217 555 0100 back", "phone", std::nullopt};
  EXPECT_EQ(ApplyUpdate(*engine_, id, request).status().code(), StatusCode::kInvalidArgument);
  auto unchanged = Get(*engine_, id);
  EXPECT_EQ(unchanged->incident.description, "stolen badge");
  EXPECT_EQ(unchanged->practices.size(), 1u);
  EXPECT_TRUE(unchanged->notifications.empty());
  EXPECT_EQ(Close(*engine_, id, "mailed to someone@example.org").status().code(), StatusCode::kInvalidArgument);

  // Bad enums, future times, unknown practices.
  EXPECT_EQ(Open(*engine_, {"x", std::nullopt, "urgent", {}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(*engine_, {"x", Now() + hours(1), "low", {}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(*engine_, {"x", std::nullopt, "low", {{"prc_nope", 1}}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Open(*engine_, {"x", std::nullopt, "low", {{p72_, -1}}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(*engine_, {"x", std::nullopt, "low", {{p72_, 1}, {p72_, 2}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordNotification(*engine_, id, {p24_, "privacy officer", "email", std::nullopt}).status().code(),
            StatusCode::kNotFound)
      << "a practice the incident does not list";
  EXPECT_EQ(RecordNotification(*engine_, id, {p72_, "privacy officer", "pigeon", std::nullopt}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(List(*engine_)->size(), 1u);
}

TEST_F(IncidentsTest, UpdateAddsPracticesSetsCountsAndKeepsAHistory) {
  auto opened = Open(*engine_, {"misconfigured bucket", Now() - hours(1), "medium", {}});
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->incident.incident_id;
  UpdateRequest request;
  request.edit.severity = "critical";
  request.practices = {{p24_, 40}};
  request.notification = Notification{p24_, "privacy officer", "letter", Now() - minutes(5)};
  auto updated = ApplyUpdate(*engine_, id, request);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->incident.severity, "critical");
  ASSERT_EQ(updated->practices.size(), 1u);
  EXPECT_EQ(updated->practices[0].contractual_deadline, opened->incident.discovered_at + hours(24))
      << "deadlines run from discovery, not from when the practice was added";
  EXPECT_EQ(updated->notifications.at(0).notified_at, Now() - minutes(5));

  engine_.clock().Advance(hours(1));
  auto recount = AddPractice(*engine_, id, {p24_, 55});
  ASSERT_TRUE(recount.ok());
  EXPECT_EQ(recount->practices.at(0).affected, 55);
  EXPECT_EQ(recount->practices.at(0).contractual_deadline, opened->incident.discovered_at + hours(24));

  std::vector<std::string> kinds;
  for (const auto& u : recount->updates) kinds.push_back(u.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"opened", "updated", "practice", "notified", "practice"}));
  for (const auto& u : recount->updates) EXPECT_EQ(u.actor, "test:runner");
}

TEST_F(IncidentsTest, AnAutomaticTriggerThatFiresAgainUpdatesTheOpenIncident) {
  auto first = OnAuditVerifyFailure(*engine_, "chain broken at record 5: hash mismatch");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->fired);
  EXPECT_TRUE(first->opened);
  auto second = OnAuditVerifyFailure(*engine_, "chain broken at record 5: hash mismatch");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->opened);
  EXPECT_EQ(second->incident_id, first->incident_id);

  auto open = List(*engine_, {true, false});
  ASSERT_EQ(open->size(), 1u);
  const auto& incident = open->at(0).incident;
  EXPECT_EQ(incident.source, "audit_chain");
  EXPECT_EQ(incident.severity, "high");
  EXPECT_EQ(incident.trigger_count, 2);
  EXPECT_NE(incident.description.find("record 5"), std::string::npos);
  EXPECT_EQ(engine_.CountAudit("incident.trigger"), 1);

  // Closed, the key is free: the next failure is a new incident.
  ASSERT_TRUE(Close(*engine_, first->incident_id, "restored from backup; cause found").ok());
  auto third = OnAuditVerifyFailure(*engine_, "bad checkpoint at record 1000000");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->opened);
  EXPECT_NE(third->incident_id, first->incident_id);
  EXPECT_EQ(Get(*engine_, third->incident_id)->incident.description, "the audit log failed verification")
      << "a reason that does not pass the PHI guard is left out";
}

TEST_F(IncidentsTest, ScannerBlocksAfterApprovalCountPerCampaign) {
  auto a = OnScannerBlockAfterApproval(*engine_, p72_, "cmp_a", "msg_1");
  auto b = OnScannerBlockAfterApproval(*engine_, p72_, "cmp_a", "msg_2");
  auto c = OnScannerBlockAfterApproval(*engine_, p72_, "cmp_b", "msg_3");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status().ToString();
  EXPECT_EQ(a->incident_id, b->incident_id);
  EXPECT_NE(a->incident_id, c->incident_id);
  auto incident = Get(*engine_, a->incident_id);
  ASSERT_TRUE(incident.ok());
  EXPECT_EQ(incident->incident.source, "scanner_after_approval");
  ASSERT_EQ(incident->practices.size(), 1u);
  EXPECT_EQ(incident->practices[0].affected, 2) << "one per blocked message";
  EXPECT_EQ(incident->practices[0].breach_notice_hours, 72);
  EXPECT_EQ(incident->updates.back().note, "blocked message msg_2");

  auto unknown = OnScannerBlockAfterApproval(*engine_, "prc_gone", "cmp_a", "msg_4");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << "a failure is returned (and logged), never thrown";
}

TEST_F(IncidentsTest, RevealVolumeOpensAnIncidentPastTheThresholdInTheWindow) {
  SensitiveAccessPolicy policy;
  policy.reveal_threshold = 3;
  policy.window = minutes(60);
  auto reveal = [&](engine::Engine& e, const std::string& practice) {
    EXPECT_TRUE(e.store().audit().Append(e.Event("patient.reveal", practice, "sub_x", {{"patient", "pat_x"}})).ok());
    return OnSensitiveAccess(e, practice, AccessKind::kReveal, policy);
  };
  for (int n = 0; n < 2; ++n) {
    auto below = reveal(*engine_, p72_);
    ASSERT_TRUE(below.ok());
    EXPECT_FALSE(below->fired);
    engine_.clock().Advance(minutes(1));
  }
  EXPECT_TRUE(List(*engine_)->empty());
  auto fired = reveal(*engine_, p24_);
  ASSERT_TRUE(fired.ok()) << fired.status().ToString();
  EXPECT_TRUE(fired->fired);
  EXPECT_TRUE(fired->opened);
  auto again = reveal(*engine_, p24_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->incident_id, fired->incident_id);
  auto incident = Get(*engine_, fired->incident_id);
  EXPECT_EQ(incident->incident.source, "reveal_volume");
  EXPECT_EQ(incident->incident.opened_by, "test:runner");
  ASSERT_EQ(incident->practices.size(), 1u);
  EXPECT_EQ(incident->practices[0].practice_id, p24_);
  EXPECT_EQ(incident->practices[0].affected, 2) << "the actor's reveals in that practice";
  EXPECT_EQ(incident->incident.trigger_count, 2);

  // Another actor has a window of their own.
  auto other = engine_->WithActor("user:bob");
  for (int n = 0; n < 2; ++n) EXPECT_FALSE(reveal(*other, p72_)->fired);
  auto bob = reveal(*other, p72_);
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(bob->opened);
  EXPECT_NE(bob->incident_id, fired->incident_id);

  // The window slides: an hour later the first actor starts from zero.
  ASSERT_TRUE(Close(*engine_, fired->incident_id, "reviewed: a records request").ok());
  engine_.clock().Advance(minutes(61));
  EXPECT_FALSE(reveal(*engine_, p72_)->fired);
  EXPECT_EQ(List(*engine_, {true, false})->size(), 1u);
}

TEST_F(IncidentsTest, ExportVolumeHasItsOwnThresholdAndMayBeInstallationWide) {
  SensitiveAccessPolicy policy;
  policy.export_threshold = 2;
  ASSERT_TRUE(engine_->store().audit().Append(engine_->Event("audit.export", "", "", {{"count", int64_t{3}}})).ok());
  EXPECT_FALSE(OnSensitiveAccess(*engine_, "", AccessKind::kExport, policy)->fired);
  EXPECT_FALSE(OnSensitiveAccess(*engine_, "", AccessKind::kReveal, policy)->fired) << "reveals are counted apart";
  ASSERT_TRUE(engine_->store().audit().Append(engine_->Event("audit.export", "", "", {{"count", int64_t{3}}})).ok());
  auto fired = OnSensitiveAccess(*engine_, "", AccessKind::kExport, policy);
  ASSERT_TRUE(fired.ok());
  ASSERT_TRUE(fired->opened);
  auto incident = Get(*engine_, fired->incident_id);
  EXPECT_EQ(incident->incident.source, "export_volume");
  EXPECT_TRUE(incident->practices.empty());
}

TEST_F(IncidentsTest, PolicyDefaultsAndEnvironment) {
  SensitiveAccessPolicy defaults;
  EXPECT_EQ(defaults.reveal_threshold, 50);
  EXPECT_EQ(defaults.export_threshold, 20);
  EXPECT_EQ(defaults.window, minutes(60));
  ::setenv("RECALL_INCIDENT_REVEAL_THRESHOLD", "7", 1);
  ::setenv("RECALL_INCIDENT_WINDOW_MINUTES", "junk", 1);
  auto p = PolicyFromEnvironment();
  ::unsetenv("RECALL_INCIDENT_REVEAL_THRESHOLD");
  ::unsetenv("RECALL_INCIDENT_WINDOW_MINUTES");
  EXPECT_EQ(p.reveal_threshold, 7);
  EXPECT_EQ(p.export_threshold, 20);
  EXPECT_EQ(p.window, minutes(60));
}

}  // namespace
}  // namespace recall::incidents
