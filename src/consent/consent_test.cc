#include "consent/consent.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/engine_testing.h"
#include "practices/practices_testing.h"
#include "practices/practices.h"

namespace recall::consent {
namespace {

// An inbound SMS with no consent request pending.
InboundSms Sms(std::string practice, std::string from, std::string body) {
  InboundSms m;
  m.practice_id = std::move(practice);
  m.from = std::move(from);
  m.body = std::move(body);
  return m;
}

namespace fs = std::filesystem;

// Synthetic data only.
constexpr char kPhone[] = "+12175550142";
constexpr char kNewPhone[] = "+12175550143";
constexpr char kEmail[] = "pat.one@example.com";

GrantRequest MakeGrant(std::string practice, std::string patient, Channel channel, Purpose purpose, Source source,
                       std::string evidence) {
  GrantRequest req;
  req.practice_id = std::move(practice);
  req.patient = std::move(patient);
  req.channel = channel;
  req.purpose = purpose;
  req.source = source;
  req.evidence = std::move(evidence);
  return req;
}

class ConsentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    Import("P1,Ana,Quill,(217) 555-0142,pat.one@example.com,,\n"
           "P2,Ben,Rook,(217) 555-0150,,,\n");
    patient_ = engine_->store().patients().GetByExternalIndex(practice_, Keys().BlindIndex("external_id", "P1"))
                   ->patient_id;
    ASSERT_FALSE(patient_.empty());
  }

  const crypto::PracticeKeys& Keys() { return **engine_->KeysFor(practice_); }

  ImportedConsentReport Import(const std::string& rows) {
    std::istringstream in("patient_id,first_name,last_name,mobile_phone,email,sms_consent,email_consent\n" + rows);
    std::vector<patients::ImportedConsent> consents;
    auto r = patients::ImportCsv(*engine_, practice_, in, {}, &consents);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    auto applied = vault().ApplyImported(practice_, consents);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return applied.ok() ? *applied : ImportedConsentReport{};
  }

  ConsentVault vault() { return ConsentVault(*engine_); }

  std::string Grant(Channel channel, Purpose purpose, Source source = Source::kIntakeForm, std::string contact = "") {
    GrantRequest req;
    req.practice_id = practice_;
    req.patient = patient_;
    req.channel = channel;
    req.purpose = purpose;
    req.source = source;
    req.evidence = "signed intake form, front desk";
    req.contact = std::move(contact);
    auto id = vault().Record(req);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  ConsentView Show(const std::string& patient = "") {
    auto v = vault().Show(practice_, patient.empty() ? patient_ : patient);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : ConsentView{};
  }

  Block CheckNow(Channel c, Purpose p, std::string contact = "") {
    auto d = vault().Check(practice_, patient_, c, p, contact, engine_->clock().Now());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->block : Block::kNoConsent;
  }

  InboundOutcome Inbound(const std::string& body, const std::string& from = kPhone) {
    auto out = vault().HandleInboundSms(Sms(practice_, from, body));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : InboundOutcome{};
  }

  size_t HistorySize(const std::string& patient = "") {
    return engine_->store().consent().History(practice_, patient.empty() ? patient_ : patient)->size();
  }

  std::vector<audit::AuditRecord> AuditLog() {
    std::vector<audit::AuditRecord> out;
    EXPECT_TRUE(engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) {
      out.push_back(r);
      return true;
    }).ok());
    return out;
  }

  void ExpectAllRevoked(const ConsentView& v) {
    for (Channel c : kAllChannels) {
      for (Purpose p : kAllPurposes) {
        EXPECT_EQ(v.cell(c, p).state, State::kRevoked) << ChannelName(c) << "/" << PurposeName(p);
        EXPECT_EQ(v.cell(c, p).block, Block::kRevoked);
      }
    }
  }

  engine::TestEngine engine_;
  std::string practice_;
  std::string patient_;
};

TEST_F(ConsentTest, NamesRoundTrip) {
  for (Channel c : kAllChannels) EXPECT_EQ(*ParseChannel(ChannelName(c)), c);
  for (Purpose p : kAllPurposes) EXPECT_EQ(*ParsePurpose(PurposeName(p)), p);
  EXPECT_EQ(ParseChannel("fax").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePurpose("marketing").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSource("rumour").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseSource("consent_confirmation"), Source::kConsentConfirmation);
}

TEST_F(ConsentTest, CareConsentDoesNotExtendToOutreach) {
  Grant(Channel::kSms, Purpose::kCare);
  auto v = Show();
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kCare).block, Block::kAllowed);
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kOutreach).state, State::kNone);
  EXPECT_EQ(v.cell(Channel::kEmail, Purpose::kCare).state, State::kNone);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kOutreach), Block::kNoConsent);
  ASSERT_EQ(v.history.size(), 1u);
  EXPECT_EQ(v.history[0].source, "intake_form");
  EXPECT_EQ(v.history[0].contact_masked, "+1 ***-***-0142");
  EXPECT_EQ(v.history[0].captured_by, "test:runner");
}

TEST_F(ConsentTest, RecordKeepsEvidenceEncrypted) {
  GrantRequest req{practice_, patient_, Channel::kEmail, Purpose::kOutreach, Source::kWebForm,
                   "web form checkbox, campaign spring", "", "192.0.2.7", "Mozilla/5.0 (synthetic)", "", true};
  auto id = vault().Record(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto history = *engine_->store().consent().History(practice_, patient_);
  ASSERT_EQ(history.size(), 1u);
  const auto& r = history[0];
  EXPECT_EQ(r.contact_index, Keys().BlindIndex("email", kEmail));
  EXPECT_EQ(r.risk_acknowledged, std::optional<bool>(true));
  for (const std::string& sealed : {r.contact_enc, r.ip_enc, r.user_agent_enc, r.evidence_enc}) {
    ASSERT_FALSE(sealed.empty());
    EXPECT_EQ(sealed.find("example.com"), std::string::npos);
    EXPECT_EQ(sealed.find("192.0.2.7"), std::string::npos);
    EXPECT_EQ(sealed.find("checkbox"), std::string::npos);
  }
  // Bound to its row: the contact's ciphertext does not open as another record's.
  EXPECT_EQ(*Keys().DecryptField(r.contact_enc, "consent.contact|" + practice_ + "|" + r.consent_id), kEmail);
  EXPECT_FALSE(Keys().DecryptField(r.contact_enc, "consent.contact|" + practice_ + "|cns_other").ok());

  // Nothing of it in the database file.
  engine_.Close();
  for (const char* name : {"recall.db", "recall.db-wal"}) {
    std::ifstream f(engine_.dir() / name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("checkbox"), std::string::npos) << name;
    EXPECT_EQ(bytes.find("192.0.2.7"), std::string::npos) << name;
    EXPECT_EQ(bytes.find("Mozilla"), std::string::npos) << name;
  }
}

TEST_F(ConsentTest, RecordValidatesInput) {
  GrantRequest req = MakeGrant(practice_, patient_, Channel::kSms, Purpose::kCare, Source::kStaffVerbal, "  ");
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);  // empty evidence
  req.evidence = "verbal at front desk";
  req.ip = "not-an-ip";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.ip = "";
  req.contact = "not a phone";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.contact = "";
  req.evidence = std::string(5000, 'x');
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.evidence = "bad \xff utf8";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.evidence = "ok";
  req.source = Source::kEmailUnsubscribe;
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.source = Source::kStaffVerbal;
  req.patient = "pat_00000000000000000000";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kNotFound);
  req.patient = patient_;
  req.practice_id = "prc_00000000000000000000";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(HistorySize(), 0u);

  // Patient P2 has no email: an email grant needs the address it applies to.
  auto p2 = engine_->store().patients().GetByExternalIndex(practice_, Keys().BlindIndex("external_id", "P2"));
  GrantRequest email = MakeGrant(practice_, "P2", Channel::kEmail, Purpose::kCare, Source::kStaffVerbal, "verbal");
  EXPECT_EQ(vault().Record(email).status().code(), StatusCode::kFailedPrecondition);
  email.contact = "ben.rook@example.com";
  EXPECT_TRUE(vault().Record(email).ok());
  EXPECT_EQ(HistorySize(p2->patient_id), 1u);
}

TEST_F(ConsentTest, RevocationPropagatesToEveryChannelAndPurpose) {
  Grant(Channel::kSms, Purpose::kCare);
  Grant(Channel::kEmail, Purpose::kOutreach);
  Grant(Channel::kPortal, Purpose::kCare);
  RevokeRequest req{practice_, patient_, Source::kStaffVerbal, "patient called: do not contact me", {}, {}};
  const auto start = std::chrono::steady_clock::now();
  auto id = vault().Revoke(req);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_LT(took, std::chrono::milliseconds(500));
  ExpectAllRevoked(Show());
  auto d = vault().Check(practice_, patient_, Channel::kEmail, Purpose::kOutreach, "", engine_->clock().Now());
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->allowed());
  EXPECT_EQ(d->consent_id, *id);
  Status s = d->ToStatus(patient_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message().find("0142"), std::string::npos);

  // Staff verbal revocations need their evidence.
  req.evidence = "";
  EXPECT_EQ(vault().Revoke(req).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ConsentTest, NarrowRevocationLeavesOtherCells) {
  Grant(Channel::kSms, Purpose::kCare);
  Grant(Channel::kSms, Purpose::kOutreach);
  ASSERT_TRUE(vault().Revoke({practice_, patient_, Source::kWebForm, "", Channel::kSms, Purpose::kOutreach}).ok());
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kOutreach), Block::kRevoked);
}

TEST_F(ConsentTest, NewGrantAfterRevocationCounts) {
  Grant(Channel::kSms, Purpose::kCare);
  ASSERT_TRUE(vault().Revoke({practice_, patient_, Source::kStaffVerbal, "verbal", {}, {}}).ok());
  engine_.clock().Advance(std::chrono::hours(24));
  Grant(Channel::kSms, Purpose::kCare, Source::kIntakeForm);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  EXPECT_EQ(CheckNow(Channel::kEmail, Purpose::kCare), Block::kRevoked);
}

TEST_F(ConsentTest, InboundStopRevokesEverythingAndReplies) {
  Grant(Channel::kSms, Purpose::kCare);
  Grant(Channel::kEmail, Purpose::kCare);
  Grant(Channel::kVoice, Purpose::kOutreach);
  auto out = Inbound("Stop");
  EXPECT_EQ(out.classification.intent, inbound::Intent::kOptOut);
  EXPECT_TRUE(out.patient_found);
  EXPECT_EQ(out.patient_ids, std::vector<std::string>{patient_});
  ASSERT_TRUE(out.reply.has_value());
  EXPECT_NE(out.reply->find("Maple Family Dental"), std::string::npos);
  EXPECT_NE(out.reply->find("unsubscribed"), std::string::npos);
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "consent.revoked_all"), out.effects.end());
  ExpectAllRevoked(Show());
  for (Channel c : kAllChannels) EXPECT_EQ(CheckNow(c, Purpose::kCare), Block::kRevoked);

  // Audited: a consent.revoke and an inbound.sms record, neither with the body or the number.
  int revokes = 0, inbound = 0;
  for (const auto& r : AuditLog()) {
    if (r.action == "consent.revoke") ++revokes;
    if (r.action == "inbound.sms") {
      ++inbound;
      EXPECT_EQ(r.subject, engine_->store().patients().Get(practice_, patient_)->subject);
      EXPECT_NE(r.details_json.find("\"intent\":\"opt_out\""), std::string::npos);
    }
    EXPECT_EQ(r.details_json.find("Stop"), std::string::npos);
    EXPECT_EQ(r.details_json.find("0142"), std::string::npos);
  }
  EXPECT_EQ(revokes, 1);
  EXPECT_EQ(inbound, 1);
}

TEST_F(ConsentTest, UrgentOptOutIsBothRevokedAndHandedOff) {
  Grant(Channel::kSms, Purpose::kCare);
  auto out = Inbound("STOP I have chest pain");
  EXPECT_EQ(out.classification.intent, inbound::Intent::kUrgent);
  EXPECT_TRUE(out.classification.opt_out);
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "handoff.urgent"), out.effects.end());
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "consent.revoked_all"), out.effects.end());
  ExpectAllRevoked(Show());
}

TEST_F(ConsentTest, NotAnOptOutChangesNothing) {
  Grant(Channel::kSms, Purpose::kCare);
  for (const char* body : {"Can I stop by tomorrow?", "the end of the month works",
                           "I need to cancel my appointment", "Thanks! See you then"}) {
    SCOPED_TRACE(body);
    auto out = Inbound(body);
    EXPECT_FALSE(out.classification.opt_out);
    EXPECT_FALSE(out.reply.has_value());
    EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "inbox"), out.effects.end());
  }
  EXPECT_EQ(HistorySize(), 1u);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
}

TEST_F(ConsentTest, StartRestoresOnlyTheChannelItCameIn) {
  Grant(Channel::kSms, Purpose::kCare);
  Grant(Channel::kEmail, Purpose::kCare);
  Inbound("STOP");
  engine_.clock().Advance(std::chrono::minutes(5));
  auto out = Inbound("START");
  EXPECT_EQ(out.classification.intent, inbound::Intent::kOptIn);
  ASSERT_TRUE(out.reply.has_value());
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "consent.restored:sms"), out.effects.end());
  auto v = Show();
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kCare).block, Block::kAllowed);
  // Never granted before: a keyword does not create it.
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kOutreach).state, State::kRevoked);
  EXPECT_EQ(v.cell(Channel::kEmail, Purpose::kCare).state, State::kRevoked);
  EXPECT_EQ(v.cell(Channel::kVoice, Purpose::kCare).state, State::kRevoked);
  EXPECT_EQ(v.history.back().source, "keyword_reply");

  // UNSTOP after a second STOP restores again; a second START restores nothing new.
  Inbound("stop");
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kRevoked);
  Inbound("UNSTOP");
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  const size_t before = HistorySize();
  auto again = Inbound("START");
  EXPECT_EQ(HistorySize(), before);
  EXPECT_NE(std::find(again.effects.begin(), again.effects.end(), "consent.nothing_to_restore"), again.effects.end());
}

TEST_F(ConsentTest, ResubscribeThroughTheVault) {
  Grant(Channel::kEmail, Purpose::kOutreach);
  ASSERT_TRUE(vault().Revoke({practice_, patient_, Source::kEmailUnsubscribe, "", {}, {}}).ok());
  auto ids = vault().Resubscribe(practice_, patient_, Channel::kEmail, Source::kWebForm, "");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 1u);
  EXPECT_EQ(CheckNow(Channel::kEmail, Purpose::kOutreach), Block::kAllowed);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kOutreach), Block::kRevoked);
}

TEST_F(ConsentTest, ConsentDoesNotCarryToANewNumber) {
  Grant(Channel::kSms, Purpose::kCare);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  // The practice's next export has a new mobile number for P1.
  Import("P1,Ana,Quill,(217) 555-0143,pat.one@example.com,,\n");
  auto v = Show();
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kCare).state, State::kGranted);
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kCare).block, Block::kContactChanged);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kContactChanged);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare, kNewPhone), Block::kContactChanged);
  // Consent given for the new number counts.
  Grant(Channel::kSms, Purpose::kCare, Source::kConsentConfirmation, kNewPhone);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  // A START from the old number restores nothing for the new one.
  Inbound("STOP", kNewPhone);
  auto out = Inbound("START", kPhone);
  EXPECT_FALSE(out.patient_found);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kRevoked);
}

TEST_F(ConsentTest, ReassignedNumberVoidsEarlierConsent) {
  Grant(Channel::kSms, Purpose::kCare);  // 2025-11-25
  Grant(Channel::kVoice, Purpose::kCare);
  Grant(Channel::kEmail, Purpose::kCare);
  std::istringstream list(
      "phone_number,date_provided,result\n"
      "(217) 555-0142,2025-12-01,Yes\n"
      "(217) 555-0150,2025-12-01,No\n"
      "(217) 555-0160,2025-12-01,No Data\n"
      "not-a-number,2025-12-01,Yes\n"
      "(217) 555-0170,someday,Yes\n");
  auto report = vault().ImportReassigned(practice_, list);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->imported, 1);
  EXPECT_EQ(report->skipped, 2);
  ASSERT_EQ(report->rejected.size(), 2u);
  EXPECT_EQ(report->rejected[0].line, 5);
  EXPECT_EQ(report->rejected[0].reason, "invalid phone number");
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kNumberReassigned);
  EXPECT_EQ(CheckNow(Channel::kVoice, Purpose::kCare), Block::kNumberReassigned);
  EXPECT_EQ(CheckNow(Channel::kEmail, Purpose::kCare), Block::kAllowed);  // email unaffected
  EXPECT_EQ(Show().cell(Channel::kSms, Purpose::kCare).block, Block::kNumberReassigned);

  // Consent captured after the disconnect (from the number's new holder) counts.
  engine_.clock().Advance(std::chrono::hours(24 * 10));
  Grant(Channel::kSms, Purpose::kCare, Source::kConsentConfirmation);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);

  // A malformed file changes nothing.
  std::istringstream bad("who,when\nx,y\n");
  EXPECT_EQ(vault().ImportReassigned(practice_, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ConsentTest, ReassignedListInDisconnectDateShape) {
  Grant(Channel::kSms, Purpose::kCare);
  std::istringstream list("number,disconnect_date\n+12175550142,11/25/2025\n");
  ASSERT_TRUE(vault().ImportReassigned(practice_, list).ok());
  // Consent given on the disconnect date itself does not count (conservative).
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kNumberReassigned);
}

TEST_F(ConsentTest, PracticeImportRecordsAttestedConsent) {
  auto report = Import("P3,Cal,Moss,(217) 555-0144,cal.moss@example.com,Y,N\n");
  EXPECT_EQ(report.granted, 1);
  EXPECT_EQ(report.revoked, 1);
  const std::string p3 =
      engine_->store().patients().GetByExternalIndex(practice_, Keys().BlindIndex("external_id", "P3"))->patient_id;
  auto v = Show(p3);
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kCare).block, Block::kAllowed);
  EXPECT_EQ(v.cell(Channel::kSms, Purpose::kOutreach).state, State::kNone);  // care only
  EXPECT_EQ(v.cell(Channel::kEmail, Purpose::kCare).state, State::kRevoked);
  ASSERT_EQ(v.history.size(), 2u);
  EXPECT_EQ(v.history[0].source, "practice_import");

  // Re-importing the same file changes nothing.
  report = Import("P3,Cal,Moss,(217) 555-0144,cal.moss@example.com,Y,N\n");
  EXPECT_EQ(report.granted, 0);
  EXPECT_EQ(report.unchanged, 2);
  EXPECT_EQ(HistorySize(p3), 2u);

  // A STOP is never overridden by a stale export's "yes".
  Inbound("STOP", "+12175550144");
  report = Import("P3,Cal,Moss,(217) 555-0144,cal.moss@example.com,yes,\n");
  EXPECT_EQ(report.skipped_revoked, 1);
  EXPECT_EQ(Show(p3).cell(Channel::kSms, Purpose::kCare).state, State::kRevoked);
}

TEST_F(ConsentTest, ConsentLanguageIsVersioned) {
  EXPECT_FALSE(vault().CurrentLanguage(practice_, Channel::kSms)->has_value());
  const std::string v1_text =
      "I consent to receive appointment reminders, health information, and practice communications via text "
      "message from this practice. I understand I may opt out at any time.";
  auto v1 = vault().AddLanguage(practice_, Channel::kSms, v1_text);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->sha256.size(), 64u);
  const std::string first = Grant(Channel::kSms, Purpose::kCare);
  engine_.clock().Advance(std::chrono::hours(1));
  auto v2 = vault().AddLanguage(practice_, Channel::kSms, v1_text + " Msg & data rates may apply.");
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(v1->sha256, v2->sha256);
  EXPECT_EQ((*vault().CurrentLanguage(practice_, Channel::kSms))->version_id, v2->version_id);
  const std::string second = Grant(Channel::kSms, Purpose::kOutreach);
  auto v = Show();
  ASSERT_EQ(v.history.size(), 2u);
  EXPECT_EQ(v.history[0].language_version, v1->version_id);
  EXPECT_EQ(v.history[0].language_sha256, v1->sha256);
  EXPECT_EQ(v.history[1].language_version, v2->version_id);

  // An explicit older version is kept; another channel's version is refused.
  GrantRequest req = MakeGrant(practice_, patient_, Channel::kSms, Purpose::kCare, Source::kIntakeForm, "paper form v1");
  req.language_version = v1->version_id;
  ASSERT_TRUE(vault().Record(req).ok());
  EXPECT_EQ(Show().history.back().language_version, v1->version_id);
  req.channel = Channel::kEmail;
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kInvalidArgument);
  req.language_version = "clv_00000000000000000000";
  EXPECT_EQ(vault().Record(req).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vault().AddLanguage(practice_, Channel::kSms, "").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ConsentTest, UnsubscribeTokenRevokesEverything) {
  Grant(Channel::kEmail, Purpose::kOutreach);
  Grant(Channel::kSms, Purpose::kCare);
  auto token = vault().UnsubscribeToken(practice_, patient_);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->rfind("u1." + practice_ + "." + patient_ + ".", 0), 0u);
  EXPECT_EQ(*vault().UnsubscribeToken(practice_, "P1"), *token);  // deterministic per recipient

  // Forged or damaged tokens are refused and change nothing.
  std::string forged = *token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (const std::string& bad : {forged, std::string(""), std::string("u1.x.y.z"), std::string(1000, 'a'),
                                 "u1." + practice_ + ".pat_00000000000000000000." + token->substr(token->rfind('.') + 1),
                                 std::string("u1.prc_00000000000000000000.") + patient_ + ".00"}) {
    EXPECT_EQ(vault().Unsubscribe(bad).status().code(), StatusCode::kUnauthenticated) << bad;
  }
  EXPECT_EQ(HistorySize(), 2u);

  auto patient = vault().Unsubscribe(*token);
  ASSERT_TRUE(patient.ok()) << patient.status().ToString();
  EXPECT_EQ(*patient, patient_);
  auto v = Show();
  ExpectAllRevoked(v);
  EXPECT_EQ(v.history.back().source, "email_unsubscribe");
  EXPECT_TRUE(vault().Unsubscribe(*token).ok());  // a second click is harmless
}

TEST_F(ConsentTest, FhirExportOneResourcePerRecord) {
  Grant(Channel::kSms, Purpose::kCare);
  Grant(Channel::kEmail, Purpose::kOutreach);
  Inbound("STOP");
  auto fhir = vault().ExportFhir(practice_, patient_);
  ASSERT_TRUE(fhir.ok()) << fhir.status().ToString();
  ASSERT_EQ(fhir->size(), 3u);
  for (const auto& r : *fhir) {
    EXPECT_EQ(r["resourceType"], "Consent");
    EXPECT_EQ(r["patient"]["reference"], "Patient/" + patient_);
    EXPECT_TRUE(r.contains("scope"));
    EXPECT_TRUE(r.contains("category"));
    EXPECT_TRUE(r.contains("policyRule"));
    EXPECT_EQ(r.dump().find("0142"), std::string::npos);
    EXPECT_EQ(r.dump().find("example.com"), std::string::npos);
  }
  EXPECT_EQ((*fhir)[0]["provision"]["type"], "permit");
  EXPECT_EQ((*fhir)[0]["status"], "inactive");  // superseded by the STOP
  EXPECT_EQ((*fhir)[0]["provision"]["purpose"][0]["code"], "TREAT");
  EXPECT_EQ((*fhir)[1]["provision"]["purpose"][0]["code"], "HMARKT");
  EXPECT_EQ((*fhir)[2]["provision"]["type"], "deny");
  EXPECT_EQ((*fhir)[2]["status"], "active");
  EXPECT_EQ((*fhir)[2]["provision"]["code"].size(), 5u);  // every channel
  EXPECT_EQ((*fhir)[2]["policyRule"]["coding"][0]["code"], "OPTOUT");
}

TEST_F(ConsentTest, StopFromUnknownNumberSuppressesTheNumber) {
  auto out = Inbound("STOP", "+12175550188");
  EXPECT_FALSE(out.patient_found);
  EXPECT_TRUE(out.reply.has_value());  // CTIA: always confirm
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "address.suppressed"), out.effects.end());
  // Staff later record consent for that number.
  Grant(Channel::kSms, Purpose::kCare, Source::kStaffVerbal, "+12175550188");
  // The grant is newer than the suppression, so it counts for that number
  // (but not for the patient's number on file, which it was not given for).
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare, "+12175550188"), Block::kAllowed);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kContactChanged);

  // A grant older than the suppression is blocked.
  const std::string p2 =
      engine_->store().patients().GetByExternalIndex(practice_, Keys().BlindIndex("external_id", "P2"))->patient_id;
  GrantRequest req = MakeGrant(practice_, p2, Channel::kSms, Purpose::kCare, Source::kIntakeForm, "intake");
  ASSERT_TRUE(vault().Record(req).ok());
  Inbound("STOP", "+12175550199");  // unrelated number: no effect on P2
  EXPECT_EQ((*vault().Check(practice_, p2, Channel::kSms, Purpose::kCare, "", engine_->clock().Now())).block,
            Block::kAllowed);
}

TEST_F(ConsentTest, AddressSuppressionBlocksOlderGrantUntilStart) {
  const std::string p2 =
      engine_->store().patients().GetByExternalIndex(practice_, Keys().BlindIndex("external_id", "P2"))->patient_id;
  GrantRequest req = MakeGrant(practice_, p2, Channel::kSms, Purpose::kCare, Source::kIntakeForm, "intake");
  ASSERT_TRUE(vault().Record(req).ok());
  // Suppress P2's number at address level directly (as a STOP from it would,
  // had the number not been on file when it arrived).
  store::ConsentRecordRow row;
  row.practice_id = practice_;
  row.consent_id = "cns_aaaaaaaaaaaaaaaaaaaa";
  row.kind = "revoke";
  row.channel = "all";
  row.purpose = "all";
  row.source = "keyword_reply";
  row.captured_at = FormatRfc3339Millis(engine_->clock().Now());
  row.captured_by = "test";
  row.contact_index = Keys().BlindIndex("phone", "+12175550150");
  ASSERT_TRUE(engine_->store().consent().Append(practice_, {row}, {}).ok());
  auto check = [&] {
    return (*vault().Check(practice_, p2, Channel::kSms, Purpose::kCare, "", engine_->clock().Now())).block;
  };
  EXPECT_EQ(check(), Block::kRevoked);
  auto out = Inbound("START", "+12175550150");
  EXPECT_NE(std::find(out.effects.begin(), out.effects.end(), "address.unsuppressed:sms"), out.effects.end());
  EXPECT_EQ(check(), Block::kAllowed);
}

TEST_F(ConsentTest, CheckHonoursTime) {
  const TimePoint before = engine_->clock().Now();
  engine_.clock().Advance(std::chrono::seconds(1));
  Grant(Channel::kSms, Purpose::kCare);
  auto d = vault().Check(practice_, patient_, Channel::kSms, Purpose::kCare, "", before);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->block, Block::kNoConsent);
  EXPECT_EQ(vault().Check(practice_, "pat_00000000000000000000", Channel::kSms, Purpose::kCare, "", before)
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_F(ConsentTest, BadInboundInputNeverCrashesOrChangesConsent) {
  Grant(Channel::kSms, Purpose::kCare);
  // Empty, 1 MB, invalid UTF-8: classified as other.
  const std::string huge(1 << 20, 'a');
  for (const std::string& body : {std::string(), huge, std::string("\xff\xfe STOP \xc3")}) {
    auto out = Inbound(body);
    EXPECT_EQ(out.classification.intent, inbound::Intent::kOther);
    EXPECT_FALSE(out.reply.has_value());
  }
  EXPECT_EQ(HistorySize(), 1u);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  // A 1 MB body that starts with STOP is still an opt-out (classified on its prefix).
  EXPECT_EQ(vault().HandleInboundSms(Sms(practice_, kPhone, "STOP" + std::string(1 << 20, ' ')))->classification.opt_out,
            true);

  EXPECT_EQ(vault().HandleInboundSms(Sms(practice_, "not a number", "STOP")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(vault().HandleInboundSms(Sms("prc_00000000000000000000", kPhone, "STOP")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(vault().HandleInboundSms(Sms("", kPhone, "STOP")).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ConsentTest, SharedNumberStopRevokesEveryPatientOnIt) {
  Import("P4,Dee,Quill,(217) 555-0142,,,\n");  // a family member with the same mobile
  auto out = Inbound("stop texting me");
  EXPECT_EQ(out.patient_ids.size(), 2u);
  for (const auto& id : out.patient_ids) ExpectAllRevoked(Show(id));
}

TEST_F(ConsentTest, PracticesAreIsolated) {
  Grant(Channel::kSms, Purpose::kCare);
  auto other = practices::CreatePractice(*engine_, {"Oak Dental", "2 Oak St, Springfield, IL 62701", "(217) 555-0101",
                                                    "Oak Dental <office@oak.example>", "America/Chicago", "IL"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(vault().Show(other->practice_id, patient_).status().code(), StatusCode::kNotFound);
  auto out = vault().HandleInboundSms(Sms(other->practice_id, kPhone, "STOP"));
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->patient_found);
  EXPECT_EQ(CheckNow(Channel::kSms, Purpose::kCare), Block::kAllowed);
  auto token = vault().UnsubscribeToken(practice_, patient_);
  std::string moved = *token;
  moved.replace(3, practice_.size(), other->practice_id);
  EXPECT_EQ(vault().Unsubscribe(moved).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace recall::consent
