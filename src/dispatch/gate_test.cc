#include "dispatch/gate.h"
#include "dispatch/feedback.h"
#include "scanner/scanner_testing.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "campaigns/campaigns.h"
#include "consent/consent.h"
#include "engine/engine_testing.h"
#include "patients/patients.h"
#include "practices/practices_testing.h"
#include "vendors/vendors.h"

namespace recall::dispatch {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

// Synthetic patients only; 555-01xx numbers are reserved for fiction.
constexpr char kPatientsCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,Phone,E-mail Address,State,Zip\n"
    "SYN-201,Quintessa,Marlowe,(217) 555-0142,,,quintessa@example.com,IL,62701\n"
    "SYN-202,Bartholomew,Oakhurst,(305) 555-0147,,,,FL,33101\n"
    "SYN-203,Ingrid,Vasquez,,(217) 555-0145,,,IL,62701\n"
    "SYN-204,Tobias,Lindqvist,,,(217) 555-0146,,IL,62701\n";
// Every contact above, for the audit leak check.
const char* const kContacts[] = {"2175550142", "555-0142", "3055550147", "555-0147", "2175550145", "555-0145",
                                 "2175550146", "555-0146", "quintessa@example.com", "Quintessa", "Marlowe"};

constexpr char kSmsEn[] =
    "Hi {{first_name}}, it has been a while since your last visit to {{practice_name}}. Book online or call "
    "{{practice_phone}}. Reply STOP to opt out.";

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

class GateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scanner_ = scanner::SharedScannerForTest();
    ASSERT_NE(scanner_, nullptr) << "the scanner could not be built";
  }

  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    // The clock starts at 2025-11-25T16:00:00Z: 10:00 in Chicago, the practice's zone.
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    doc_ = engine_.dir() / "vendor-baa.pdf";
    std::ofstream(doc_) << "signed vendor BAA document (synthetic)";

    std::istringstream in(kPatientsCsv);
    auto report = patients::ImportCsv(*engine_, practice_, in, {});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->imported, 4) << (report->rejected.empty() ? "" : report->rejected[0].reason);
    il_ = PatientId("SYN-201");
    fl_ = PatientId("SYN-202");
    landline_ = PatientId("SYN-203");
    unknown_line_ = PatientId("SYN-204");

    for (const std::string& patient : {il_, fl_}) Grant(patient, consent::Channel::kSms);

    auto vendor = vendors::AddVendor(*engine_, {practice_, "Example SMS Gateway", "sms", "", "2025-10-01",
                                                doc_.string()});
    ASSERT_TRUE(vendor.ok()) << vendor.status().ToString();
    sms_vendor_ = vendor->vendor_id;

    ASSERT_TRUE(campaigns::AddTemplate(*engine_, *scanner_,
                                       {practice_, "reengage-sms-en", "sms", 1, "outreach", "en", "", kSmsEn})
                    .ok());
    campaigns::CampaignInput c;
    c.practice_id = practice_;
    c.name = "Lapsed patients, winter";
    c.kind = "re-engagement";
    c.purpose = "outreach";
    c.steps = {*campaigns::ParseStepSpec("sms:0:reengage-sms-en")};
    c.start = "2025-12-01T09:00";
    c.window = "09:00-17:00";
    auto created = campaigns::CreateCampaign(*engine_, c);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    campaign_ = created->campaign_id;
    auto submitted = campaigns::Submit(*engine_, *scanner_, practice_, campaign_);
    ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
    auto approver = engine::Engine::Open({engine_.dir().string(), "", "cli:dana", &engine_.clock(), nullptr});
    ASSERT_TRUE(approver.ok()) << approver.status().ToString();
    auto approved = campaigns::Approve(**approver, practice_, campaign_,
                                       {"Dana Whitlock", "Office Manager",
                                        "I approve these messages, word for word, to be sent on behalf of Maple "
                                        "Family Dental.",
                                        ""});
    ASSERT_TRUE(approved.ok()) << approved.status().ToString();
    ASSERT_TRUE(campaigns::Advance(*engine_, practice_, campaign_, campaigns::kScheduled).ok());
  }

  std::string PatientId(const std::string& external_id) {
    auto keys = engine_->KeysFor(practice_);
    EXPECT_TRUE(keys.ok());
    auto row = engine_->store().patients().GetByExternalIndex(practice_, (*keys)->BlindIndex("external_id", external_id));
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? row->patient_id : "";
  }

  std::string Subject(const std::string& patient_id) { return engine_->store().patients().Get(practice_, patient_id)->subject; }

  void Grant(const std::string& patient, consent::Channel channel) {
    consent::GrantRequest req;
    req.practice_id = practice_;
    req.patient = patient;
    req.channel = channel;
    req.purpose = consent::Purpose::kOutreach;
    req.source = consent::Source::kIntakeForm;
    req.evidence = "signed intake form, front desk";
    auto id = consent::ConsentVault(*engine_).Record(req);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }

  GateRequest Request(const std::string& patient, const std::string& channel = "sms") {
    GateRequest r;
    r.practice_id = practice_;
    r.campaign_id = campaign_;
    r.patient_id = patient;
    r.channel = channel;
    r.purpose = "outreach";
    r.subject = "recall_due";
    return r;
  }

  // Runs the gate and checks that exactly one "dispatch.gate" record was
  // appended, for the patient's pseudonym, carrying verdict and reason and no
  // contact or name.
  GateDecision Check(const GateRequest& request, const SendWindow& window = SendWindow{},
                     const CapPolicy& caps = CapPolicy{}) {
    std::vector<audit::AuditRecord> before = Audit();
    auto decision = Gate(*engine_).Check(request, window, caps);
    EXPECT_TRUE(decision.ok()) << decision.status().ToString();
    std::vector<audit::AuditRecord> after = Audit();
    EXPECT_EQ(after.size(), before.size() + 1);
    if (!decision.ok() || after.size() != before.size() + 1) return GateDecision{};
    const audit::AuditRecord& r = after.back();
    EXPECT_EQ(r.action, "dispatch.gate");
    EXPECT_EQ(r.practice_id, practice_);
    EXPECT_EQ(r.subject, Subject(request.patient_id));
    EXPECT_NE(r.details_json.find("\"reason\":\"" + decision->reason + "\""), std::string::npos) << r.details_json;
    EXPECT_NE(r.details_json.find("\"verdict\":\"" + std::string(GateVerdictName(decision->verdict)) + "\""),
              std::string::npos)
        << r.details_json;
    EXPECT_NE(r.details_json.find(campaign_), std::string::npos) << r.details_json;
    for (const char* contact : kContacts) {
      EXPECT_EQ(r.details_json.find(contact), std::string::npos) << contact << " in " << r.details_json;
      EXPECT_EQ(r.subject.find(contact), std::string::npos);
    }
    last_details_ = r.details_json;
    return *decision;
  }

  std::vector<audit::AuditRecord> Audit() {
    std::vector<audit::AuditRecord> out;
    EXPECT_TRUE(engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) {
      out.push_back(r);
      return true;
    }).ok());
    return out;
  }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  fs::path doc_;
  std::string practice_, campaign_, sms_vendor_;
  std::string il_, fl_, landline_, unknown_line_;
  std::string last_details_;
};

const scanner::Scanner* GateTest::scanner_ = nullptr;

TEST_F(GateTest, SendsAtTenLocal) {
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kSend);
  EXPECT_EQ(d.reason, "ok");
  EXPECT_EQ(d.contact_kind, "phone_mobile");
  EXPECT_EQ(d.not_before, engine_.clock().Now());
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 1);
}

TEST_F(GateTest, DefersAtNineThirtyPmLocalToEightAmNextDay) {
  engine_.clock().Set(At("2025-11-26T03:30:00Z"));  // 21:30 on the 25th in Chicago
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kDefer);
  EXPECT_EQ(d.reason, "quiet_hours_federal");
  EXPECT_EQ(d.not_before, At("2025-11-26T14:00:00Z"));  // 08:00 on the 26th in Chicago
  EXPECT_NE(last_details_.find("\"not_before\":\"2025-11-26T14:00:00.000Z\""), std::string::npos) << last_details_;
}

TEST_F(GateTest, FloridaRecipientDeferredAtEightThirtyPm) {
  engine_.clock().Set(At("2025-11-26T01:30:00Z"));  // 20:30 in Miami, 19:30 in Chicago
  GateDecision fl = Check(Request(fl_));
  EXPECT_EQ(fl.verdict, GateVerdict::kDefer);
  EXPECT_EQ(fl.reason, "quiet_hours_state");
  EXPECT_EQ(fl.not_before, At("2025-11-26T13:00:00Z"));  // 08:00 in Miami
  // The same instant is fine for the Illinois patient.
  EXPECT_EQ(Check(Request(il_)).verdict, GateVerdict::kSend);
}

TEST_F(GateTest, PracticeWindowIsReadInRecipientTime) {
  GateDecision d = Check(Request(il_), SendWindow{11 * 60, 17 * 60});  // 10:00 local
  EXPECT_EQ(d.verdict, GateVerdict::kDefer);
  EXPECT_EQ(d.reason, "practice_window");
  EXPECT_EQ(d.not_before, At("2025-11-25T17:00:00Z"));
}

TEST_F(GateTest, StopAfterPlanningCancels) {
  EXPECT_EQ(Check(Request(il_)).verdict, GateVerdict::kSend);  // planned and cleared earlier
  auto stop = HandleInboundSms(*engine_, practice_, "+12175550142", "STOP");
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  engine_.clock().Advance(std::chrono::minutes(5));
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "consent_revoked");
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), 2);
}

TEST_F(GateTest, NoConsentForChannelCancels) {
  GateDecision d = Check(Request(il_, "email"));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.contact_kind, "email");
  EXPECT_EQ(d.reason, "no_consent");  // SMS consent does not extend to email
}

TEST_F(GateTest, EditedTemplateCancelsAsNotApproved) {
  std::string edited = kSmsEn;
  edited[edited.find("visit")] = 'V';
  auto edit = campaigns::EditTemplate(*engine_, *scanner_, practice_, "reengage-sms-en", std::nullopt, edited);
  ASSERT_TRUE(edit.ok()) << edit.status().ToString();
  ASSERT_EQ(edit->reverted_campaigns, std::vector<std::string>{campaign_});
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "not_approved");
  EXPECT_NE(last_details_.find("\"campaign_state\":\"draft\""), std::string::npos) << last_details_;
}

TEST_F(GateTest, TamperedTemplateCancelsAsHashMismatch) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((engine_.dir() / "recall.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(db,
                              "DROP TRIGGER templates_no_update;"
                              "UPDATE templates SET body = replace(body, 'Book online', 'Book 0nline');",
                              nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "hash_mismatch");
}

TEST_F(GateTest, LandlineNeverGetsSms) {
  GateDecision d = Check(Request(landline_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "landline_no_sms");
  EXPECT_EQ(d.contact_kind, "phone_landline");
}

TEST_F(GateTest, UnknownLineTypeGetsNoSms) {
  GateDecision d = Check(Request(unknown_line_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "line_type_unknown");
}

TEST_F(GateTest, MissingContactAndHardBounceCancel) {
  GateDecision none = Check(Request(fl_, "email"));
  EXPECT_EQ(none.verdict, GateVerdict::kCancel);
  EXPECT_EQ(none.reason, "no_contact");
  GateRequest bounced = Request(il_);
  bounced.contact_hard_bounced = true;
  GateDecision d = Check(bounced);
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "hard_bounce");
}

TEST_F(GateTest, NoVendorBaaCancels) {
  ASSERT_TRUE(vendors::DeactivateVendor(*engine_, practice_, sms_vendor_).ok());
  GateDecision d = Check(Request(il_));
  EXPECT_EQ(d.verdict, GateVerdict::kCancel);
  EXPECT_EQ(d.reason, "no_vendor_baa");
}

TEST_F(GateTest, DailyCapDefersAcrossCampaigns) {
  GateRequest r = Request(il_);
  const TimePoint sent = engine_.clock().Now() - hours(2);
  r.recent_sends = {{sent, "sms", "appointment_reminder", "cmp_other"}};
  GateDecision d = Check(r);
  EXPECT_EQ(d.verdict, GateVerdict::kDefer);
  EXPECT_EQ(d.reason, "cap_daily");
  EXPECT_EQ(d.not_before, sent + hours(24));
  // An email sent earlier does not count against the SMS cap.
  r.recent_sends = {{sent, "email", "appointment_reminder", "cmp_other"}};
  EXPECT_EQ(Check(r).verdict, GateVerdict::kSend);
}

TEST_F(GateTest, PurposeMustBeTheCampaignsAndErrorsAreNotAudited) {
  GateRequest r = Request(il_);
  r.purpose = "care";
  const int64_t before = engine_.CountAudit("dispatch.gate");
  EXPECT_EQ(Gate(*engine_).Check(r, SendWindow{}, CapPolicy{}).status().code(), StatusCode::kInvalidArgument);
  r = Request("pat_missing");
  EXPECT_EQ(Gate(*engine_).Check(r, SendWindow{}, CapPolicy{}).status().code(), StatusCode::kNotFound);
  r = Request(il_, "fax");
  EXPECT_EQ(Gate(*engine_).Check(r, SendWindow{}, CapPolicy{}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_.CountAudit("dispatch.gate"), before);
}

// Reply mode: a staff answer to a hand-off passes the same gate (gate.h).
TEST_F(GateTest, ReplyModeScansTheTextAndHonoursOptOutsButNotWindowsOrGrants) {
  auto reply = [&](const std::string& patient, const std::string& text) {
    ReplyRequest r;
    r.practice_id = practice_;
    r.handoff_id = "hof_test";
    r.patient_id = patient;
    r.text = text;
    const int64_t before = engine_.CountAudit("dispatch.gate");
    auto d = Gate(*engine_).CheckReply(r, *scanner_);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(engine_.CountAudit("dispatch.gate"), before + 1) << "one record per decision";
    return d.ok() ? *d : GateDecision{};
  };
  // Clinical words are refused, naming the categories and never the text.
  GateDecision blocked = reply(il_, "Your HIV results are in.");
  EXPECT_EQ(blocked.verdict, GateVerdict::kCancel);
  EXPECT_EQ(blocked.reason, "scanner_block");
  ASSERT_FALSE(blocked.findings.empty());
  EXPECT_TRUE(blocked.address.empty());
  std::vector<audit::AuditRecord> records = Audit();
  EXPECT_NE(records.back().details_json.find("\"mode\":\"reply\""), std::string::npos) << records.back().details_json;
  EXPECT_EQ(records.back().details_json.find("HIV"), std::string::npos) << records.back().details_json;

  // No prior grant needed (the patient wrote first), an unknown line type may be
  // answered, and quiet hours do not apply: 23:00 in Chicago.
  engine_.clock().Advance(hours(13));
  GateDecision ok = reply(unknown_line_, "Friday at 10:00 works. See you then.");
  EXPECT_EQ(ok.verdict, GateVerdict::kSend) << ok.reason;
  EXPECT_EQ(ok.address.rfind("+1", 0), 0u);
  // A landline is not texted; an opt-out always wins.
  EXPECT_EQ(reply(landline_, "Friday works.").reason, "landline_no_sms");
  ASSERT_TRUE(HandleInboundSms(*engine_, practice_, "+12175550142", "STOP").ok());
  GateDecision revoked = reply(il_, "Friday works.");
  EXPECT_EQ(revoked.verdict, GateVerdict::kCancel);
  EXPECT_EQ(revoked.reason, "consent_revoked");
  // And the vendor BAA.
  ASSERT_TRUE(vendors::DeactivateVendor(*engine_, practice_, sms_vendor_).ok());
  EXPECT_EQ(reply(unknown_line_, "Friday works.").reason, "no_vendor_baa");
}

}  // namespace
}  // namespace recall::dispatch
