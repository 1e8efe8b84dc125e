#include "campaigns/campaigns.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "scanner/scanner_testing.h"
#include "campaigns/preview.h"
#include "crypto/crypto.h"
#include "engine/engine_testing.h"
#include "practices/practices_testing.h"
#include "patients/patients.h"
#include "practices/practices.h"

namespace recall::campaigns {
namespace {

namespace fs = std::filesystem;

// Synthetic patients only. 555-01xx numbers are reserved for fiction.
constexpr char kPatientsCsv[] =
    "Pt. ID,Patient First Name,LAST NAME,Cell Phone,E-mail Address,Last Appt Date,Preferred Language,Status,"
    "Provider,State\n"
    "SYN-101,Quintessa,Marlowe,(217) 555-0142,quintessa@example.com,2024-03-05,English,lapsed,Dr. Payne,IL\n"
    "SYN-102,Bartholomew,Oakhurst,(217) 555-0143,,2024-01-15,Spanish,lapsed,Dr. Burns,IL\n"
    "SYN-103,Zo\xC3\xAB,Fairweather,(217) 555-0144,,2023-11-20,English,lapsed,Dr. Payne,IL\n"
    "SYN-104,Ingrid,Vasquez,(217) 555-0145,,2025-10-01,English,active,Dr. Payne,IL\n"
    "SYN-105,Tobias,Lindqvist,(217) 555-0146,,2024-02-02,English,lapsed,\"Dr. Lee, Oncology\",IL\n";

const char kSmsEn[] =
    "Hi {{first_name}}, it has been a while since your last visit to {{practice_name}}. Book online or call "
    "{{practice_phone}}. Reply STOP to opt out.";
const char kSmsEs[] =
    "Hola {{first_name}}, hace tiempo que no nos visita en {{practice_name}}. Llame al {{practice_phone}}. "
    "Responda PARAR para no recibir mensajes.";
const char kSmsFollowUp[] = "{{practice_name}}: we still have openings this month. Call {{practice_phone}}.";

StepInput Step(std::string channel, int64_t delay_hours, std::vector<std::string> templates,
               std::vector<std::string> fallback = {}, std::string condition = store::kStepAlways) {
  return {std::move(channel), delay_hours, std::move(templates), std::move(fallback), std::move(condition)};
}

class CampaignsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scanner_ = scanner::SharedScannerForTest();
    ASSERT_NE(scanner_, nullptr) << "the scanner could not be built";
  }

  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    std::istringstream in(kPatientsCsv);
    auto report = patients::ImportCsv(*engine_, practice_, in, {});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->imported, 5);
  }

  std::string NewPractice(const std::string& name) {
    auto p = practices::CreatePractice(*engine_, {name, "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                                  name + " <office@maple.example>", "America/Chicago", "IL"});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? p->practice_id : "";
  }

  StatusOr<AuthoringResult> Add(const std::string& name, const std::string& channel, int tier,
                                const std::string& body, const std::string& language = "en",
                                const std::string& subject = "", const std::string& purpose = "outreach",
                                const std::string& practice = "") {
    return AddTemplate(*engine_, *scanner_,
                       {practice.empty() ? practice_ : practice, name, channel, tier, purpose, language, subject, body});
  }

  // A two-step re-engagement campaign (English and Spanish SMS, then an SMS follow-up).
  store::CampaignRow MakeCampaign() {
    EXPECT_TRUE(Add("reengage-sms-en", "sms", 1, kSmsEn).ok());
    EXPECT_TRUE(Add("reengage-sms-es", "sms", 1, kSmsEs, "es").ok());
    EXPECT_TRUE(Add("followup-sms-en", "sms", 1, kSmsFollowUp).ok());
    EXPECT_TRUE(Add("followup-sms-es", "sms", 1,
                    "{{practice_name}}: tenemos citas disponibles este mes. Llame al {{practice_phone}}.", "es")
                    .ok());
    CampaignInput in;
    in.practice_id = practice_;
    in.name = "Lapsed patients, winter";
    in.kind = "re-engagement";
    in.purpose = "outreach";
    in.segment_json = R"({"status":"lapsed","last_visit_before":"2025-01-01"})";
    in.steps = {Step("sms", 0, {"reengage-sms-en", "reengage-sms-es"}),
                Step("sms", 72, {"followup-sms-en", "followup-sms-es"})};
    in.start = "2025-12-01T09:00";
    in.window = "09:00-17:00";
    auto c = CreateCampaign(*engine_, in);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : store::CampaignRow{};
  }

  // An engine for the practice's approver, over the same data directory.
  std::unique_ptr<engine::Engine> ApproverEngine(const std::string& actor = "cli:dana") {
    auto e = engine::Engine::Open({engine_.dir().string(), "", actor, &engine_.clock(), nullptr});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(e).value() : nullptr;
  }

  Signoff DanaSignoff() {
    return {"Dana Whitlock", "Office Manager",
            "I approve these messages, word for word, to be sent on behalf of Maple Family Dental.", ""};
  }

  int64_t AuditCount(const std::string& action) { return engine_.CountAudit(action); }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  std::string practice_;
};

const scanner::Scanner* CampaignsTest::scanner_ = nullptr;

bool HasFinding(const std::vector<LintFinding>& findings, std::string_view code_or_category) {
  for (const auto& f : findings) {
    if (f.code == code_or_category || f.category == code_or_category) return true;
  }
  return false;
}

// --- templates ---------------------------------------------------------------

TEST_F(CampaignsTest, AdministrativeTemplatePassesIncludingMedicalLookingSurnames) {
  auto r = Add("reminder-sms", "sms", 1,
               "Hi {{first_name}}, Dr. Burns and Dr. Payne have openings next week at {{practice_name}}. Call "
               "{{practice_phone}}. Reply STOP to opt out.",
               "en", "", "care");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row.version, 1);
  EXPECT_TRUE(r->findings.empty());
  EXPECT_EQ(AuditCount("template.add"), 1);
}

TEST_F(CampaignsTest, ClinicalTemplateIsRefusedOnTiersOneAndTwo) {
  auto r = Add("hiv-sms", "sms", 1,
               "Hi {{first_name}}, your HIV test results are ready at {{practice_name}}. Reply STOP to opt out.");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("sensitive_service"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("[24,32) 'HIV test'"), std::string::npos) << r.status().message();  // the span

  auto refill = Add("refill-email", "email", 1,
                    "<p>Time to refill your metformin. {{practice_name}}, {{practice_address}}. "
                    "<a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>",
                    "en", "A note from {{practice_name}}");
  ASSERT_FALSE(refill.ok());
  EXPECT_NE(refill.status().message().find("medication"), std::string::npos);
  EXPECT_EQ(AuditCount("template.add"), 0);
}

TEST_F(CampaignsTest, TierPolicy) {
  // Tier 3 is portal only.
  auto sms = Add("result-sms", "sms", 3, "{{practice_name}}: your A1C of 9.2 is high. Reply STOP to opt out.");
  ASSERT_FALSE(sms.ok());
  EXPECT_EQ(sms.status().code(), StatusCode::kPermissionDenied);
  auto portal = Add("result-portal", "portal", 3, "Your A1C of 9.2 is high; Dr. Payne would like to discuss it.",
                    "en", "", "care");
  ASSERT_TRUE(portal.ok()) << portal.status().ToString();
  EXPECT_TRUE(HasFinding(portal->findings, "lab_result"));
  for (const auto& f : portal->findings) EXPECT_EQ(f.severity, "warn");
  // Tier 2 is the notice and nothing more.
  auto notice = Add("notice-sms", "sms", 2,
                    "{{practice_name}}: you have a new secure message in your patient portal: {{portal_link}} "
                    "Reply STOP to opt out.",
                    "en", "", "care");
  EXPECT_TRUE(notice.ok()) << notice.status().ToString();
  auto content = Add("notice-provider", "sms", 2,
                     "{{practice_name}}: {{provider_name}} left you a message in the portal on {{appointment_date}}.",
                     "en", "", "care");
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CampaignsTest, RequiredElementsAreWarningsAtAuthoring) {
  auto sms = Add("no-optout", "sms", 1, "{{practice_name}}: we have openings next week. Call {{practice_phone}}.");
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_TRUE(HasFinding(sms->findings, "sms_missing_opt_out"));

  auto email = Add("no-address", "email", 1, "<p>{{practice_name}} has openings next week.</p>", "en",
                   "Openings at {{practice_name}}");
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_TRUE(HasFinding(email->findings, "email_missing_postal_address"));
  EXPECT_TRUE(HasFinding(email->findings, "email_missing_unsubscribe_link"));

  auto fake_reply = Add("fake-reply", "email", 1,
                        "<p>{{practice_name}}, {{practice_address}}. <a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>",
                        "en", "Re: your appointment");
  ASSERT_FALSE(fake_reply.ok());
  EXPECT_NE(fake_reply.status().message().find("deceptive_subject"), std::string::npos);

  auto voice = Add("voice-no-callback", "voice", 1, "Hello, this is {{practice_name}} with a reminder.");
  ASSERT_TRUE(voice.ok());
  EXPECT_TRUE(HasFinding(voice->findings, "voice_missing_callback_number"));
}

TEST_F(CampaignsTest, UnknownVariableIsAnAuthoringErrorWithPosition) {
  auto r = Add("bad-var", "sms", 1, "{{practice_name}}: hi\n{{first_name}}, about your {{diagnosis}}.");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
}

TEST_F(CampaignsTest, PracticeNameIsScannedAsARenderedValue) {
  const std::string hiv = NewPractice("Downtown HIV Clinic");
  auto r = Add("hiv-practice", "sms", 1, "Hi {{first_name}}, {{practice_name}} has openings. Reply STOP to opt out.",
               "en", "", "outreach", hiv);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("value:practice_name sensitive_service"), std::string::npos)
      << r.status().message();
}

TEST_F(CampaignsTest, EditingCreatesANewVersion) {
  auto first = Add("edit-me", "sms", 1, kSmsEn);
  ASSERT_TRUE(first.ok());
  auto second = EditTemplate(*engine_, *scanner_, practice_, "edit-me", std::nullopt,
                             std::string(kSmsEn) + " Msg & data rates may apply.");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->row.version, 2);
  EXPECT_EQ(second->row.template_id, first->row.template_id);
  auto v1 = engine_->store().campaigns().GetTemplate(practice_, first->row.template_id, 1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->body, kSmsEn);
  auto clinical = EditTemplate(*engine_, *scanner_, practice_, "edit-me", std::nullopt,
                               "{{practice_name}}: time to refill your Zoloft. Reply STOP to opt out.");
  EXPECT_FALSE(clinical.ok());
}

// --- segments ----------------------------------------------------------------

TEST_F(CampaignsTest, SegmentIsMinimumNecessaryAndCanonical) {
  auto s = ParseSegment(R"({ "status": ["lapsed", "inactive", "lapsed"], "language": "ES-mx",
                             "last_visit_before": "2025-01-01" })");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(CanonicalSegment(*s),
            R"({"language":["es-MX"],"last_visit_before":"2025-01-01","status":["inactive","lapsed"]})");
  EXPECT_EQ(ParseSegment(R"({"diagnosis":"E11.9"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSegment(R"({"status":"deceased"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSegment(R"({"last_visit_before":"01/02/2025"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSegment("[1,2]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSegment("{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalSegment(*ParseSegment("{}")), "{}");

  store::PatientRow p;
  p.status = "lapsed";
  p.language = "es-MX";
  p.last_visit = "2024-06-01";
  p.provider_name = "Dr. Burns";
  EXPECT_TRUE(SegmentMatches(*s, p));
  EXPECT_TRUE(SegmentMatches(*ParseSegment(R"({"language":"es","provider":"dr. burns"})"), p));
  p.last_visit = "";
  EXPECT_FALSE(SegmentMatches(*s, p));

  // "has a usable channel": a mobile line for sms, any phone, an email address.
  auto textable = ParseSegment(R"({"has_channel":["sms","email"]})");
  ASSERT_TRUE(textable.ok());
  EXPECT_EQ(CanonicalSegment(*textable), R"({"has_channel":["email","sms"]})");
  store::PatientRow q;
  q.phone_index = "00112233445566778899aabbccddeeff";
  q.phone_line_type = "landline";
  EXPECT_FALSE(SegmentMatches(*textable, q));
  EXPECT_TRUE(SegmentMatches(*ParseSegment(R"({"has_channel":"phone"})"), q));
  q.phone_line_type = "mobile";
  EXPECT_TRUE(SegmentMatches(*textable, q));
  EXPECT_EQ(ParseSegment(R"({"has_channel":"fax"})").status().code(), StatusCode::kInvalidArgument);
}

// --- the approval workflow ---------------------------------------------------

TEST_F(CampaignsTest, ApprovedCampaignIsDispatchable) {
  store::CampaignRow c = MakeCampaign();
  EXPECT_EQ(c.state, "draft");
  EXPECT_EQ(c.author, "test:runner");
  EXPECT_EQ(CheckDispatchable(*engine_, practice_, c.campaign_id).code(), StatusCode::kFailedPrecondition);

  auto submitted = Submit(*engine_, *scanner_, practice_, c.campaign_id);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_EQ(submitted->campaign.state, "submitted");
  EXPECT_EQ(submitted->content_sha256.size(), 64u);

  auto approver = ApproverEngine();
  ASSERT_NE(approver, nullptr);
  Signoff signoff = DanaSignoff();
  signoff.expected_sha256 = submitted->content_sha256;
  auto approval = Approve(*approver, practice_, c.campaign_id, signoff);
  ASSERT_TRUE(approval.ok()) << approval.status().ToString();
  EXPECT_EQ(approval->content_sha256, submitted->content_sha256);
  EXPECT_EQ(approval->signer_name, "Dana Whitlock");
  EXPECT_EQ(approval->actor, "cli:dana");

  EXPECT_TRUE(CheckDispatchable(*engine_, practice_, c.campaign_id).ok());
  ASSERT_TRUE(Advance(*engine_, practice_, c.campaign_id, kScheduled).ok());
  ASSERT_TRUE(Advance(*engine_, practice_, c.campaign_id, kRunning).ok());
  EXPECT_TRUE(CheckDispatchable(*engine_, practice_, c.campaign_id).ok());
  EXPECT_EQ(AuditCount("campaign.approve"), 1);
  EXPECT_EQ(AuditCount("campaign.submit"), 1);
}

// The issue's acceptance test: change one character of an approved template
// and the campaign is back in draft and cannot be dispatched.
TEST_F(CampaignsTest, OneCharacterChangeReturnsApprovedCampaignToDraft) {
  store::CampaignRow c = MakeCampaign();
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  auto approver = ApproverEngine();
  ASSERT_TRUE(Approve(*approver, practice_, c.campaign_id, DanaSignoff()).ok());
  ASSERT_TRUE(Advance(*engine_, practice_, c.campaign_id, kScheduled).ok());
  ASSERT_TRUE(CheckDispatchable(*engine_, practice_, c.campaign_id).ok());

  std::string edited = kSmsEn;
  edited[edited.find("visit")] = 'V';  // one character
  auto edit = EditTemplate(*engine_, *scanner_, practice_, "reengage-sms-en", std::nullopt, edited);
  ASSERT_TRUE(edit.ok()) << edit.status().ToString();
  EXPECT_EQ(edit->reverted_campaigns, std::vector<std::string>{c.campaign_id});

  auto after = engine_->store().campaigns().GetCampaign(practice_, c.campaign_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, "draft");
  EXPECT_EQ(after->approved_hash, "");
  EXPECT_EQ(after->steps[0].variants[0].template_version, 2);  // follows the new version
  Status dispatch = CheckDispatchable(*engine_, practice_, c.campaign_id);
  EXPECT_EQ(dispatch.code(), StatusCode::kFailedPrecondition) << dispatch.ToString();
  EXPECT_EQ(Advance(*engine_, practice_, c.campaign_id, kRunning).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(AuditCount("campaign.revert_to_draft"), 1);

  // The old approval is history; a new one covers the new content.
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  ASSERT_TRUE(Approve(*approver, practice_, c.campaign_id, DanaSignoff()).ok());
  EXPECT_TRUE(CheckDispatchable(*engine_, practice_, c.campaign_id).ok());
  auto approvals = engine_->store().campaigns().ListApprovals(practice_, c.campaign_id);
  ASSERT_TRUE(approvals.ok());
  ASSERT_EQ(approvals->size(), 2u);
  EXPECT_NE((*approvals)[0].content_sha256, (*approvals)[1].content_sha256);
}

// Content changed behind the workflow's back (a hand-edited database) is
// caught by the recomputed hash even though the state still says approved.
TEST_F(CampaignsTest, TamperedTemplateIsNotDispatchable) {
  store::CampaignRow c = MakeCampaign();
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  ASSERT_TRUE(Approve(*ApproverEngine(), practice_, c.campaign_id, DanaSignoff()).ok());
  ASSERT_TRUE(CheckDispatchable(*engine_, practice_, c.campaign_id).ok());

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

  auto after = engine_->store().campaigns().GetCampaign(practice_, c.campaign_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, "approved");
  EXPECT_EQ(CheckDispatchable(*engine_, practice_, c.campaign_id).code(), StatusCode::kFailedPrecondition);
}

TEST_F(CampaignsTest, DefinitionChangesReturnToDraft) {
  store::CampaignRow c = MakeCampaign();
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  ASSERT_TRUE(Approve(*ApproverEngine(), practice_, c.campaign_id, DanaSignoff()).ok());
  const std::string approved = engine_->store().campaigns().GetCampaign(practice_, c.campaign_id)->approved_hash;

  CampaignEdit edit;
  edit.window = "10:00-17:00";
  auto edited = EditCampaign(*engine_, practice_, c.campaign_id, edit);
  ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  EXPECT_EQ(edited->state, "draft");
  EXPECT_EQ(edited->revision, c.revision + 1);
  EXPECT_EQ(CheckDispatchable(*engine_, practice_, c.campaign_id).code(), StatusCode::kFailedPrecondition);
  auto hash = ContentHash(*engine_, *edited);
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(*hash, approved);

  // A segment change counts too, even on a submitted campaign.
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  CampaignEdit segment;
  segment.segment_json = R"({"status":"lapsed"})";
  auto resegmented = EditCampaign(*engine_, practice_, c.campaign_id, segment);
  ASSERT_TRUE(resegmented.ok());
  EXPECT_EQ(resegmented->state, "draft");
  EXPECT_EQ(AuditCount("campaign.revert_to_draft"), 2);
  // The name is not content: it does not change the hash.
  CampaignEdit rename;
  rename.name = "Lapsed patients, winter (v2)";
  auto renamed = EditCampaign(*engine_, practice_, c.campaign_id, rename);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(*ContentHash(*engine_, *renamed), *ContentHash(*engine_, *resegmented));
}

TEST_F(CampaignsTest, AuthorCannotApprove) {
  store::CampaignRow c = MakeCampaign();
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c.campaign_id).ok());
  // The author's own actor.
  auto self = Approve(*engine_, practice_, c.campaign_id, DanaSignoff());
  EXPECT_EQ(self.status().code(), StatusCode::kPermissionDenied);
  // Another actor signing with the author's name.
  auto approver = ApproverEngine();
  auto named = Approve(*approver, practice_, c.campaign_id, {" RUNNER ", "Office Manager", "I approve.", ""});
  EXPECT_EQ(named.status().code(), StatusCode::kPermissionDenied);
  // A hash the approver did not see.
  Signoff stale = DanaSignoff();
  stale.expected_sha256 = std::string(64, 'a');
  EXPECT_EQ(Approve(*approver, practice_, c.campaign_id, stale).status().code(), StatusCode::kFailedPrecondition);
  // Missing statement.
  EXPECT_EQ(Approve(*approver, practice_, c.campaign_id, {"Dana Whitlock", "Office Manager", " ", ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(practice_, c.campaign_id)->state, "submitted");
  EXPECT_EQ(AuditCount("campaign.approve"), 0);
}

TEST_F(CampaignsTest, OnlySubmittedCampaignsCanBeApproved) {
  store::CampaignRow c = MakeCampaign();
  EXPECT_EQ(Approve(*ApproverEngine(), practice_, c.campaign_id, DanaSignoff()).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Advance(*engine_, practice_, c.campaign_id, kScheduled).code(), StatusCode::kFailedPrecondition);
}

TEST_F(CampaignsTest, SubmitRequiresOptOutOnTheFirstSmsOnly) {
  ASSERT_TRUE(Add("no-optout-en", "sms", 1, kSmsFollowUp).ok());
  ASSERT_TRUE(Add("first-en", "sms", 1, kSmsEn).ok());
  CampaignInput in;
  in.practice_id = practice_;
  in.name = "Recall";
  in.kind = "recall";
  in.purpose = "outreach";
  in.steps = {Step("sms", 0, {"no-optout-en"})};
  in.start = "2025-12-01T09:00";
  in.window = "09:00-17:00";
  auto bad = CreateCampaign(*engine_, in);
  ASSERT_TRUE(bad.ok());
  auto refused = Submit(*engine_, *scanner_, practice_, bad->campaign_id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("sms_missing_opt_out"), std::string::npos) << refused.status().message();

  in.steps = {Step("sms", 0, {"first-en"}), Step("sms", 48, {"no-optout-en"})};
  auto good = CreateCampaign(*engine_, in);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(Submit(*engine_, *scanner_, practice_, good->campaign_id).ok());
}

TEST_F(CampaignsTest, SubmitChecksCompletenessAndPurpose) {
  ASSERT_TRUE(Add("care-en", "sms", 1, kSmsEn, "en", "", "care").ok());
  ASSERT_TRUE(Add("outreach-es", "sms", 1, kSmsEs, "es").ok());
  CampaignInput in;
  in.practice_id = practice_;
  in.name = "Mixed";
  in.kind = "recall";
  in.purpose = "outreach";
  in.steps = {Step("sms", 0, {"care-en"}), Step("sms", 24, {"outreach-es"})};
  auto c = CreateCampaign(*engine_, in);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto refused = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  ASSERT_FALSE(refused.ok());
  const std::string msg = refused.status().message();
  EXPECT_NE(msg.find("template purpose is care"), std::string::npos) << msg;
  EXPECT_NE(msg.find("other languages"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no schedule start"), std::string::npos) << msg;

  // A step's templates must be for the step's channel.
  in.steps = {Step("email", 0, {"outreach-es"})};
  EXPECT_EQ(CreateCampaign(*engine_, in).status().code(), StatusCode::kInvalidArgument);
  // Unknown template.
  in.steps = {Step("sms", 0, {"nope"})};
  EXPECT_EQ(CreateCampaign(*engine_, in).status().code(), StatusCode::kNotFound);
  // Calling hours.
  in.steps = {};
  in.window = "07:00-17:00";
  EXPECT_EQ(CreateCampaign(*engine_, in).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CampaignsTest, CampaignsAreScopedByPractice) {
  store::CampaignRow c = MakeCampaign();
  const std::string other = NewPractice("Lakeside Pediatrics");
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(other, c.campaign_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CheckDispatchable(*engine_, other, c.campaign_id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine_->store().campaigns().ListTemplates(other)->empty());
  EXPECT_EQ(engine_->store().campaigns().ListTemplates(practice_)->size(), 4u);
}

TEST_F(CampaignsTest, ApprovalEncodingIsDocumentedFormat) {
  store::CampaignRow c = MakeCampaign();
  auto encoding = ApprovalEncoding(*engine_, c);
  ASSERT_TRUE(encoding.ok()) << encoding.status().ToString();
  EXPECT_TRUE(encoding->starts_with("recall-campaign-approval-v2\npractice_id=" +
                                    std::to_string(practice_.size()) + ":" + practice_ + "\n"));
  EXPECT_NE(encoding->find("segment=54:{\"last_visit_before\":\"2025-01-01\",\"status\":[\"lapsed\"]}\n"),
            std::string::npos)
      << *encoding;
  EXPECT_NE(encoding->find("schedule_window=11:09:00-17:00\nsteps=1:2\nstep=1:1\nchannel=3:sms\ndelay_hours=1:0\n"
                           "fallback=0:\ncondition=6:always\nvariants=1:2\nchannel=3:sms\nlanguage=2:en\n"
                           "template_id="),
            std::string::npos);
  EXPECT_NE(encoding->find("recall-template-v1\nchannel=3:sms\n"), std::string::npos);
  EXPECT_EQ(*ContentHash(*engine_, c), HexEncode(crypto::Sha256(*encoding)));
}

// --- sequences: fallback channels, conditions, call lists -------------------

const char kEmailEn[] =
    "<p>Hi {{first_name}},</p><p>It has been a while since your last visit to {{practice_name}}. Call us at "
    "{{practice_phone}}.</p><p>{{practice_name}} &middot; {{practice_address}}<br>"
    "<a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";
const char kEmailEs[] =
    "<p>Hola {{first_name}},</p><p>Hace tiempo que no nos visita en {{practice_name}}. Llame al "
    "{{practice_phone}}.</p><p>{{practice_name}} &middot; {{practice_address}}<br>"
    "<a href=\"{{unsubscribe_link}}\">Cancelar la suscripción</a></p>";
const char kRvmEn[] =
    "Hello, this is {{practice_name}} with a message for {{first_name}}. It has been a while since your last "
    "visit. Please call us back at {{callback_number}}.";

TEST(StepSpecTest, ParsesChannelsFallbacksAndConditions) {
  auto plain = ParseStepSpec("sms:0:recall-sms-en, recall-sms-es@2");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->channel, "sms");
  EXPECT_TRUE(plain->fallback.empty());
  EXPECT_EQ(plain->condition, "always");
  EXPECT_EQ(plain->templates, (std::vector<std::string>{"recall-sms-en", "recall-sms-es@2"}));

  auto fallback = ParseStepSpec("sms>email>voice:0:recall-sms-en,recall-email-en,recall-voice-en");
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(fallback->channel, "sms");
  EXPECT_EQ(fallback->fallback, (std::vector<std::string>{"email", "voice"}));
  EXPECT_EQ(fallback->templates.size(), 3u);

  auto conditional = ParseStepSpec("rvm:72:recall-rvm-en:if=no_response");
  ASSERT_TRUE(conditional.ok()) << conditional.status().ToString();
  EXPECT_EQ(conditional->delay_hours, 72);
  EXPECT_EQ(conditional->condition, "no_response");
  EXPECT_EQ(ParseStepSpec("sms:0:a:if=always")->condition, "always");

  auto call_list = ParseStepSpec("call_list:168");
  ASSERT_TRUE(call_list.ok()) << call_list.status().ToString();
  EXPECT_EQ(call_list->channel, "call_list");
  EXPECT_TRUE(call_list->templates.empty());
  auto call_list_if = ParseStepSpec("call_list:168::if=no_response");
  ASSERT_TRUE(call_list_if.ok()) << call_list_if.status().ToString();
  EXPECT_EQ(call_list_if->condition, "no_response");
  EXPECT_EQ(call_list_if->delay_hours, 168);

  const std::pair<const char*, const char*> bad[] = {
      {"sms", "a step is CHANNEL"},
      {"sms:0", "names at least one template"},
      {"sms:0:", "names at least one template"},
      {"sms:x:a", "whole hours"},
      {"sms::a", "whole hours"},
      {"fax:0:a", "must be one of email, sms, voice, rvm, call_list"},
      {"portal:0:a", "must be one of email, sms, voice, rvm, call_list"},
      {"sms>fax:0:a", "fallback channel 'fax'"},
      {"sms>call_list:0:a", "fallback channel 'call_list'"},
      {"sms>sms:0:a", "is the step's own channel"},
      {"sms>email>email:0:a", "named twice"},
      {"sms>email>voice>rvm:0:a", "at most two fallback"},
      {"sms>:0:a", "empty channel"},
      {"call_list>sms:168", "no fallback"},
      {"call_list:168:a", "takes no template"},
      {"sms:0:a:if=clicked", "must be always or no_response"},
      {"sms:0:a:no_response", "condition, if=no_response"},
      {"sms:0:a:if=no_response:x", "a step is CHANNEL"},
  };
  for (const auto& [spec, message] : bad) {
    auto parsed = ParseStepSpec(spec);
    ASSERT_FALSE(parsed.ok()) << spec;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(parsed.status().message().find(message), std::string::npos) << spec << ": " << parsed.status().message();
  }
}

class SequenceTest : public CampaignsTest {
 protected:
  void SetUp() override {
    CampaignsTest::SetUp();
    ASSERT_TRUE(Add("sms-en", "sms", 1, kSmsEn).ok());
    ASSERT_TRUE(Add("sms-es", "sms", 1, kSmsEs, "es").ok());
    ASSERT_TRUE(Add("email-en", "email", 1, kEmailEn, "en", "A note from {{practice_name}}").ok());
    ASSERT_TRUE(Add("email-es", "email", 1, kEmailEs, "es", "Un mensaje de {{practice_name}}").ok());
    ASSERT_TRUE(Add("rvm-en", "rvm", 1, kRvmEn).ok());
  }

  CampaignInput Input(std::vector<StepInput> steps) {
    CampaignInput in;
    in.practice_id = practice_;
    in.name = "Sequence";
    in.kind = "recall";
    in.purpose = "outreach";
    in.segment_json = R"({"status":"lapsed"})";
    in.steps = std::move(steps);
    in.start = "2025-12-01T09:00";
    in.window = "09:00-17:00";
    return in;
  }
};

TEST_F(SequenceTest, FallbackTemplatesResolveByChannelAndLanguage) {
  auto c = CreateCampaign(*engine_, Input({Step("sms", 0, {"email-es", "sms-en", "email-en", "sms-es"}, {"email"})}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->steps.size(), 1u);
  EXPECT_EQ(c->steps[0].fallback, std::vector<std::string>{"email"});
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& v : c->steps[0].variants) keys.emplace_back(v.channel, v.language);
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, std::string>>{
                      {"email", "en"}, {"email", "es"}, {"sms", "en"}, {"sms", "es"}}));

  auto code_and_message = [&](std::vector<StepInput> steps, const std::string& message) {
    auto r = CreateCampaign(*engine_, Input(std::move(steps)));
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << message;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  };
  // A fallback without templates.
  code_and_message({Step("sms", 0, {"sms-en"}, {"email"})}, "step 1: fallback channel email has no template");
  // A template for a channel the step does not use.
  code_and_message({Step("sms", 0, {"sms-en", "email-en", "rvm-en"}, {"email"})},
                   "is for rvm, not the step's channels sms, email");
  code_and_message({Step("sms", 0, {"email-en"}, {})}, "is for email, not the step's channel sms");
  // One template per (channel, language).
  code_and_message({Step("sms", 0, {"sms-en", "sms-en@1"})}, "two sms templates for language en");
  // call_list sends nothing.
  code_and_message({Step("sms", 0, {"sms-en"}), Step("call_list", 24, {"sms-en"})},
                   "step 2: a call_list step sends nothing");
  code_and_message({Step("call_list", 0, {}, {"sms"})}, "no fallback");
  // Conditions.
  code_and_message({Step("sms", 0, {"sms-en"}, {}, "no_response")}, "step 1: the first step cannot be");
  code_and_message({Step("sms", 0, {"sms-en"}), Step("sms", 1, {"sms-en"}, {}, "sometimes")},
                   "step 2: condition 'sometimes'");
  code_and_message({Step("portal", 0, {"sms-en"})}, "step 1: channel 'portal'");
}

TEST_F(SequenceTest, StoreRoundTripsFallbackConditionAndVariantChannel) {
  auto c = CreateCampaign(*engine_, Input({Step("sms", 0, {"sms-en", "email-en"}, {"email"}),
                                           Step("rvm", 72, {"rvm-en"}, {}, "no_response"),
                                           Step("call_list", 168, {}, {}, "no_response")}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto stored = engine_->store().campaigns().GetCampaign(practice_, c->campaign_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->steps.size(), 3u);
  EXPECT_EQ(stored->steps[0].channel, "sms");
  EXPECT_EQ(stored->steps[0].fallback, std::vector<std::string>{"email"});
  EXPECT_EQ(stored->steps[0].condition, "always");
  ASSERT_EQ(stored->steps[0].variants.size(), 2u);
  EXPECT_EQ(stored->steps[0].variants[0].channel, "email");
  EXPECT_EQ(stored->steps[0].variants[1].channel, "sms");
  EXPECT_EQ(stored->steps[1].condition, "no_response");
  EXPECT_EQ(stored->steps[1].delay_hours, 72);
  EXPECT_TRUE(stored->steps[1].fallback.empty());
  EXPECT_EQ(stored->steps[2].channel, "call_list");
  EXPECT_EQ(stored->steps[2].condition, "no_response");
  EXPECT_TRUE(stored->steps[2].variants.empty());
  EXPECT_EQ(*ContentHash(*engine_, *stored), *ContentHash(*engine_, *c));

  // English only, all the way through: submittable, and every channel previews.
  auto submitted = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  auto report = Preview(*engine_, *scanner_, practice_, c->campaign_id, {2, "", "espeak-ng"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Per recipient: step 1 on sms and on email, step 2 on rvm, nothing for the call list.
  ASSERT_EQ(report->messages.size(), 6u);
  std::map<std::string, int> by_channel;
  for (const auto& m : report->messages) {
    by_channel[std::to_string(m.step) + m.channel]++;
    EXPECT_EQ(m.language, "en");
  }
  EXPECT_EQ(by_channel, (std::map<std::string, int>{{"1email", 2}, {"1sms", 2}, {"2rvm", 2}}));
}

TEST_F(SequenceTest, EveryChannelCoversTheSameLanguages) {
  // Fallback email only in English while SMS speaks English and Spanish.
  auto c = CreateCampaign(*engine_, Input({Step("sms", 0, {"sms-en", "sms-es", "email-en"}, {"email"})}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto refused = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("step 1 email covers other languages than step 1 sms"),
            std::string::npos)
      << refused.status().message();

  // The same across steps: step 2's rvm is English only.
  auto across = CreateCampaign(
      *engine_, Input({Step("sms", 0, {"sms-en", "sms-es", "email-en", "email-es"}, {"email"}),
                       Step("rvm", 72, {"rvm-en"}, {}, "no_response")}));
  ASSERT_TRUE(across.ok()) << across.status().ToString();
  auto refused_across = Submit(*engine_, *scanner_, practice_, across->campaign_id);
  ASSERT_FALSE(refused_across.ok());
  EXPECT_NE(refused_across.status().message().find("step 2 rvm covers other languages than step 1 sms"),
            std::string::npos)
      << refused_across.status().message();

  auto good = CreateCampaign(*engine_, Input({Step("sms", 0, {"sms-en", "sms-es", "email-en", "email-es"}, {"email"}),
                                              Step("call_list", 168, {}, {}, "no_response")}));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto submitted = Submit(*engine_, *scanner_, practice_, good->campaign_id);
  EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
}

TEST_F(SequenceTest, FirstSmsTemplateSetNeedsTheOptOutEvenAsAFallback) {
  ASSERT_TRUE(Add("no-optout-en", "sms", 1, kSmsFollowUp).ok());
  auto c = CreateCampaign(*engine_, Input({Step("email", 0, {"email-en", "no-optout-en"}, {"sms"})}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto refused = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("step 1 sms (en): "), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("sms_missing_opt_out"), std::string::npos) << refused.status().message();

  // Once the first SMS set carries it, a later one need not.
  auto good = CreateCampaign(*engine_, Input({Step("email", 0, {"email-en", "sms-en"}, {"sms"}),
                                              Step("sms", 72, {"no-optout-en"}, {}, "no_response")}));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto submitted = Submit(*engine_, *scanner_, practice_, good->campaign_id);
  EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
}

TEST_F(SequenceTest, CallListOnlyCampaignIsSubmittable) {
  auto c = CreateCampaign(*engine_, Input({Step("call_list", 0, {})}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto submitted = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
  auto report = Preview(*engine_, *scanner_, practice_, c->campaign_id, {3, "", "espeak-ng"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->messages.empty());
  EXPECT_EQ(report->verdict, "ok");

  auto empty = CreateCampaign(*engine_, Input({}));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  auto refused = Submit(*engine_, *scanner_, practice_, empty->campaign_id);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("no steps"), std::string::npos) << refused.status().message();
}

TEST_F(SequenceTest, FallbackAndConditionAreApprovedContent) {
  auto c = CreateCampaign(*engine_, Input({Step("sms", 0, {"sms-en"}), Step("rvm", 72, {"rvm-en"})}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(Submit(*engine_, *scanner_, practice_, c->campaign_id).ok());
  ASSERT_TRUE(Approve(*ApproverEngine(), practice_, c->campaign_id, DanaSignoff()).ok());
  const std::string approved = engine_->store().campaigns().GetCampaign(practice_, c->campaign_id)->approved_hash;
  ASSERT_FALSE(approved.empty());

  // Adding a fallback channel is a change of content: back to draft.
  CampaignEdit add_fallback;
  add_fallback.steps = {Step("sms", 0, {"sms-en", "email-en"}, {"email"}), Step("rvm", 72, {"rvm-en"})};
  auto with_fallback = EditCampaign(*engine_, practice_, c->campaign_id, add_fallback);
  ASSERT_TRUE(with_fallback.ok()) << with_fallback.status().ToString();
  EXPECT_EQ(with_fallback->state, "draft");
  EXPECT_EQ(CheckDispatchable(*engine_, practice_, c->campaign_id).code(), StatusCode::kFailedPrecondition);
  const std::string fallback_hash = *ContentHash(*engine_, *with_fallback);
  EXPECT_NE(fallback_hash, approved);
  auto encoding = ApprovalEncoding(*engine_, *with_fallback);
  ASSERT_TRUE(encoding.ok());
  EXPECT_NE(encoding->find("delay_hours=1:0\nfallback=5:email\ncondition=6:always\nvariants=1:2\nchannel=5:email\n"
                           "language=2:en\n"),
            std::string::npos)
      << *encoding;

  // So is a condition, everything else equal.
  CampaignEdit conditional;
  conditional.steps = {Step("sms", 0, {"sms-en", "email-en"}, {"email"}),
                       Step("rvm", 72, {"rvm-en"}, {}, "no_response")};
  auto with_condition = EditCampaign(*engine_, practice_, c->campaign_id, conditional);
  ASSERT_TRUE(with_condition.ok()) << with_condition.status().ToString();
  EXPECT_NE(*ContentHash(*engine_, *with_condition), fallback_hash);
  EXPECT_NE(ApprovalEncoding(*engine_, *with_condition)->find("condition=11:no_response\n"), std::string::npos);

  // And the order of fallbacks.
  ASSERT_TRUE(Add("voice-en", "voice", 1, kRvmEn).ok());
  store::CampaignRow a = *with_condition, b = *with_condition;
  a.steps[0].fallback = {"email", "voice"};
  b.steps[0].fallback = {"voice", "email"};
  auto voice = engine_->store().campaigns().GetTemplate(practice_, "voice-en", 0);
  ASSERT_TRUE(voice.ok());
  for (store::CampaignRow* row : {&a, &b}) {
    row->steps[0].variants.push_back({"voice", "en", voice->template_id, voice->version});
  }
  EXPECT_NE(*ContentHash(*engine_, a), *ContentHash(*engine_, b));
}

TEST_F(SequenceTest, ConsentConfirmationNeedsAnEmailFirstStepWithTheConsentLink) {
  ASSERT_TRUE(Add("confirm-email-en", "email", 1,
                  "<p>Hi {{first_name}},</p><p>{{practice_name}} would like to send you appointment reminders. "
                  "Please confirm how we may reach you: <a href=\"{{consent_link}}\">confirm</a>.</p>"
                  "<p>{{practice_name}} &middot; {{practice_address}}<br>"
                  "<a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>",
                  "en", "Confirm your messages from {{practice_name}}", "care")
                  .ok());
  ASSERT_TRUE(Add("plain-email-en", "email", 1, kEmailEn, "en", "A note from {{practice_name}}", "care").ok());
  ASSERT_TRUE(Add("care-sms-en", "sms", 1, kSmsEn, "en", "", "care").ok());
  auto input = [&](std::vector<StepInput> steps) {
    CampaignInput in = Input(std::move(steps));
    in.kind = "consent_confirmation";
    in.purpose = "care";
    return in;
  };
  auto submit = [&](std::vector<StepInput> steps) {
    auto c = CreateCampaign(*engine_, input(std::move(steps)));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? Submit(*engine_, *scanner_, practice_, c->campaign_id) : StatusOr<SubmitResult>(c.status());
  };

  auto sms_first = submit({Step("sms", 0, {"care-sms-en"}), Step("email", 24, {"confirm-email-en"})});
  ASSERT_FALSE(sms_first.ok());
  EXPECT_NE(sms_first.status().message().find("first step must be email"), std::string::npos)
      << sms_first.status().message();

  auto no_link = submit({Step("email", 0, {"plain-email-en"})});
  ASSERT_FALSE(no_link.ok());
  EXPECT_NE(no_link.status().message().find("step 1 email (en): a consent_confirmation email must use "
                                            "{{consent_link}}"),
            std::string::npos)
      << no_link.status().message();

  auto good = submit({Step("email", 0, {"confirm-email-en", "care-sms-en"}, {"sms"})});
  EXPECT_TRUE(good.ok()) << good.status().ToString();
}

// --- preview -----------------------------------------------------------------

TEST_F(CampaignsTest, PreviewRendersMaskedMessagesForRealRecipients) {
  store::CampaignRow c = MakeCampaign();
  auto report = Preview(*engine_, *scanner_, practice_, c.campaign_id, {10, "", "espeak-ng"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->matched, 4);  // lapsed, last visit before 2025
  ASSERT_EQ(report->messages.size(), 8u);
  bool saw_spanish = false, saw_ucs2 = false, saw_oncology = false;
  for (const auto& m : report->messages) {
    EXPECT_EQ(m.body.find("Quintessa"), std::string::npos);
    EXPECT_EQ(m.body.find("Bartholomew"), std::string::npos);
    EXPECT_NE(m.body.find("Maple Family Dental"), std::string::npos);
    EXPECT_EQ(m.channel, "sms");
    EXPECT_GE(m.sms_segments, 1);
    if (m.language == "es") saw_spanish = true;
    if (m.step == 1 && m.first_name_masked == "Z***") {
      EXPECT_EQ(m.sms_encoding, "UCS-2");  // "Zoë": the real name decides the encoding
      saw_ucs2 = true;
    }
    if (HasFinding(m.findings, "sensitive_service")) {
      saw_oncology = true;
      EXPECT_EQ(m.verdict, "block");
    }
  }
  EXPECT_TRUE(saw_spanish);
  EXPECT_TRUE(saw_ucs2);
  EXPECT_FALSE(saw_oncology);  // provider_name is not used by these templates
  EXPECT_EQ(report->verdict, "ok");
  EXPECT_EQ(AuditCount("campaign.preview"), 1);
}

TEST_F(CampaignsTest, PreviewFindsClinicalRenderedValues) {
  ASSERT_TRUE(Add("provider-sms", "sms", 1,
                  "Hi {{first_name}}, {{provider_name}} at {{practice_name}} has openings. Reply STOP to opt out.")
                  .ok());
  CampaignInput in;
  in.practice_id = practice_;
  in.name = "Provider openings";
  in.kind = "recall";
  in.purpose = "outreach";
  in.segment_json = R"({"provider":["Dr. Lee, Oncology","Dr. Burns"]})";
  in.steps = {Step("sms", 0, {"provider-sms"})};
  auto c = CreateCampaign(*engine_, in);
  ASSERT_TRUE(c.ok());
  auto report = Preview(*engine_, *scanner_, practice_, c->campaign_id, {5, "", "espeak-ng"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->messages.size(), 2u);
  int blocked = 0;
  for (const auto& m : report->messages) {
    if (m.verdict == "block") {
      ++blocked;
      EXPECT_TRUE(HasFinding(m.findings, "sensitive_service"));
      bool on_value = false;
      for (const auto& f : m.findings) on_value |= f.field == "value:provider_name";
      EXPECT_TRUE(on_value);
    } else {
      EXPECT_NE(m.body.find("Dr. Burns"), std::string::npos);  // the surname trap passes
      EXPECT_EQ(m.verdict, "ok");
    }
  }
  EXPECT_EQ(blocked, 1);
  EXPECT_EQ(report->verdict, "block");
}

TEST_F(CampaignsTest, PreviewSpeaksVoiceScriptsToWav) {
  ASSERT_TRUE(Add("voice-en", "voice", 1,
                  "Hello {{first_name}}, this is {{practice_name}}. It has been a while since your last visit. "
                  "Please call us back at {{callback_number}}.")
                  .ok());
  ASSERT_TRUE(Add("voice-es", "voice", 1,
                  "Hola {{first_name}}, le llamamos de {{practice_name}}. Por favor llámenos al {{callback_number}}.",
                  "es")
                  .ok());
  CampaignInput in;
  in.practice_id = practice_;
  in.name = "Voice recall";
  in.kind = "recall";
  in.purpose = "outreach";
  in.segment_json = R"({"status":"lapsed"})";
  in.steps = {Step("voice", 0, {"voice-en", "voice-es"})};
  auto c = CreateCampaign(*engine_, in);
  ASSERT_TRUE(c.ok());
  const fs::path out = engine_.dir() / "preview";
  auto report = Preview(*engine_, *scanner_, practice_, c->campaign_id, {2, out.string(), "espeak-ng"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->messages.size(), 2u);
  for (const auto& m : report->messages) {
    ASSERT_FALSE(m.wav_path.empty());
    std::ifstream wav(m.wav_path, std::ios::binary);
    char magic[4] = {};
    wav.read(magic, 4);
    EXPECT_EQ(std::string(magic, 4), "RIFF") << m.wav_path;
    EXPECT_GT(fs::file_size(m.wav_path), 1000u);
  }
  // Only WAVs are left behind (the script files are removed).
  for (const auto& entry : fs::directory_iterator(out)) EXPECT_EQ(entry.path().extension(), ".wav");
}

}  // namespace
}  // namespace recall::campaigns
