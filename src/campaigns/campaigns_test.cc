#include "campaigns/campaigns.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
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
    in.steps = {{"sms", 0, {"reengage-sms-en", "reengage-sms-es"}}, {"sms", 72, {"followup-sms-en", "followup-sms-es"}}};
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
  in.steps = {{"sms", 0, {"no-optout-en"}}};
  in.start = "2025-12-01T09:00";
  in.window = "09:00-17:00";
  auto bad = CreateCampaign(*engine_, in);
  ASSERT_TRUE(bad.ok());
  auto refused = Submit(*engine_, *scanner_, practice_, bad->campaign_id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("sms_missing_opt_out"), std::string::npos) << refused.status().message();

  in.steps = {{"sms", 0, {"first-en"}}, {"sms", 48, {"no-optout-en"}}};
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
  in.steps = {{"sms", 0, {"care-en"}}, {"sms", 24, {"outreach-es"}}};
  auto c = CreateCampaign(*engine_, in);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto refused = Submit(*engine_, *scanner_, practice_, c->campaign_id);
  ASSERT_FALSE(refused.ok());
  const std::string msg = refused.status().message();
  EXPECT_NE(msg.find("template purpose is care"), std::string::npos) << msg;
  EXPECT_NE(msg.find("other languages"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no schedule start"), std::string::npos) << msg;

  // A step's templates must be for the step's channel.
  in.steps = {{"email", 0, {"outreach-es"}}};
  EXPECT_EQ(CreateCampaign(*engine_, in).status().code(), StatusCode::kInvalidArgument);
  // Unknown template.
  in.steps = {{"sms", 0, {"nope"}}};
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
  EXPECT_TRUE(encoding->starts_with("recall-campaign-approval-v1\npractice_id=" +
                                    std::to_string(practice_.size()) + ":" + practice_ + "\n"));
  EXPECT_NE(encoding->find("segment=54:{\"last_visit_before\":\"2025-01-01\",\"status\":[\"lapsed\"]}\n"),
            std::string::npos)
      << *encoding;
  EXPECT_NE(encoding->find("schedule_window=11:09:00-17:00\nsteps=1:2\nstep=1:1\nchannel=3:sms\ndelay_hours=1:0\n"
                           "variants=1:2\nlanguage=2:en\n"),
            std::string::npos);
  EXPECT_NE(encoding->find("recall-template-v1\nchannel=3:sms\n"), std::string::npos);
  EXPECT_EQ(*ContentHash(*engine_, c), HexEncode(crypto::Sha256(*encoding)));
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
  in.steps = {{"sms", 0, {"provider-sms"}}};
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
  in.steps = {{"voice", 0, {"voice-en", "voice-es"}}};
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
