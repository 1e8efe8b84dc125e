#include "lifecycle/purge.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "audit/audit.h"
#include "lifecycle/certificate.h"
#include "patients/patients.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "scanner/scanner_testing.h"
#include "store/lifecycle_store.h"

namespace recall::lifecycle {
namespace {

namespace fs = std::filesystem;

// Synthetic patients only; 555-01xx numbers are reserved for fiction. Campaign
// A (lapsed) reaches SYN-1 and SYN-2; campaign B (Spanish speakers) reaches
// SYN-1 and SYN-3 and is still running when A is purged, so only SYN-2 goes.
constexpr char kCsv[] =
    "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,E-mail Address,State,Zip,Language,Status\n"
    "SYN-1,Quintessa,Marlowe,(217) 555-0141,,quintessa.m@example.com,IL,62701,es,lapsed\n"
    "SYN-2,Zebediah,Thornquist,(217) 555-0172,,zebediah.t@example.com,IL,62701,en,lapsed\n"
    "SYN-3,Ingrid,Vasquez,(217) 555-0143,,,IL,62701,es,active\n"
    "SYN-4,Tobias,Lindqvist,(217) 555-0144,,,IL,62701,en,active\n";

constexpr char kSmsEn[] =
    "Hi {{first_name}}, {{practice_name}} misses you. Call {{practice_phone}} to book. Reply STOP to opt out.";
constexpr char kSmsEs[] =
    "Hola {{first_name}}, {{practice_name}} le extraña. Llame al {{practice_phone}}. Responda STOP para salir.";

// Every byte of every file under `dir`.
std::string AllBytes(const fs::path& dir) {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

bool ChainVerifies(engine::Engine& engine) {
  audit::ChainVerifier verifier;
  Status scanned = engine.store().audit().Scan(1, [&](const audit::AuditRecord& r) { return verifier.Feed(r); });
  return scanned.ok() && verifier.ok() && verifier.records() > 0;
}

class PurgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scanner_ = scanner::SharedScannerForTest(); }

  void SetUp() override {
    ASSERT_NE(scanner_, nullptr);
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
  }

  // A practice with the patients above, SMS consent for all, vendors and templates.
  void Populate(const std::string& practice) {
    practice_ = practice;
    auto ids = planner::ImportForTest(engine_, practice_, kCsv, {"SYN-1", "SYN-2", "SYN-3", "SYN-4"});
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ids_ = *ids;
    for (const auto& id : ids_) ASSERT_TRUE(planner::GrantForTest(engine_, practice_, id, consent::Channel::kSms).ok());
    ASSERT_TRUE(planner::AddVendorsForTest(engine_, practice_, {"sms"}).ok());
    ASSERT_TRUE(
        campaigns::AddTemplate(*engine_, *scanner_, {practice_, "sms-en", "sms", 1, "outreach", "en", "", kSmsEn}).ok());
    ASSERT_TRUE(
        campaigns::AddTemplate(*engine_, *scanner_, {practice_, "sms-es", "sms", 1, "outreach", "es", "", kSmsEs}).ok());
  }

  // Campaign A: lapsed, planned, then paused. Campaign B: Spanish, planned, running.
  void RunCampaigns() {
    auto a = planner::ApprovedCampaignForTest(engine_, planner::SmsCampaignForTest(practice_, "sms-en", "2025-11-20T09:00"),
                                              *scanner_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    campaign_a_ = *a;
    auto b_input = planner::SmsCampaignForTest(practice_, "sms-es", "2025-11-20T09:00");
    b_input.name = "Spanish speakers";
    b_input.segment_json = R"({"language":"es"})";
    auto b = planner::ApprovedCampaignForTest(engine_, b_input, *scanner_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    campaign_b_ = *b;
    for (const auto& c : {campaign_a_, campaign_b_}) {
      ASSERT_TRUE(planner::StartCampaign(*engine_, practice_, c).ok());
      auto planned = planner::PlanStep(*engine_, practice_, c, 0);
      ASSERT_TRUE(planned.ok()) << planned.status().ToString();
    }
    ASSERT_TRUE(planner::PauseCampaign(*engine_, practice_, campaign_a_).ok());
  }

  std::string FirstName(const std::string& patient) {
    auto view = patients::Reveal(*engine_, practice_, patient, "purge test: check the data");
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? view->first_name : "";
  }

  std::string Out() { return (engine_.dir() / "certificate").string(); }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  std::string practice_, campaign_a_, campaign_b_;
  std::vector<std::string> ids_;
};
const scanner::Scanner* PurgeTest::scanner_ = nullptr;

TEST_F(PurgeTest, NewPracticesGetASeparateFieldKey) {
  auto practice = practices::AddPracticeWithBaaForTest(engine_);
  ASSERT_TRUE(practice.ok());
  auto keys = engine_->store().lifecycle().LiveDataKeys(*practice);
  ASSERT_TRUE(keys.ok());
  std::multiset<std::string> purposes;
  for (const auto& k : *keys) purposes.insert(k.purpose);
  EXPECT_EQ(purposes, (std::multiset<std::string>{"field", "root"}));
}

TEST_F(PurgeTest, CampaignPurgeDeletesUnneededRecipientsAndShredsTheOldFieldKey) {
  auto practice = practices::AddPracticeWithBaaForTest(engine_);
  ASSERT_TRUE(practice.ok());
  Populate(*practice);
  RunCampaigns();
  auto before_keys = engine_->store().lifecycle().LiveDataKeys(practice_);
  ASSERT_TRUE(before_keys.ok());
  std::string old_field_id, old_field_wrapped;
  for (const auto& k : *before_keys) {
    if (k.purpose == "field") old_field_id = k.key.key_id, old_field_wrapped = k.key.wrapped;
  }
  ASSERT_FALSE(old_field_id.empty());
  auto purged_row = engine_->store().patients().Get(practice_, ids_[1]);
  ASSERT_TRUE(purged_row.ok());
  // A second engine (another process, e.g. `recall serve`) holding the old keys in its cache.
  auto other = engine::Engine::Open({engine_.dir().string(), "", "test:other", &engine_.clock(), nullptr});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->KeysFor(practice_).ok());
  // The search below can find what it looks for: the ciphertext and the wrapped key are on disk now.
  {
    const std::string bytes = AllBytes(engine_.dir());
    ASSERT_NE(bytes.find(purged_row->first_name_enc), std::string::npos);
    ASSERT_NE(bytes.find(old_field_wrapped), std::string::npos);
  }

  auto result = PurgeCampaign(*engine_, "", campaign_a_, Out());  // the practice is looked up
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->practice_id, practice_);
  EXPECT_EQ(result->recipients, 2);
  EXPECT_EQ(result->retained, 1);  // SYN-1: campaign B still has a queued message for them
  EXPECT_EQ(result->counts.at("patients"), 1);
  EXPECT_EQ(result->counts.at("consent_records"), 1);
  EXPECT_GE(result->counts.at("plan_entries"), 2);
  EXPECT_TRUE(result->crypto_shredded);
  EXPECT_EQ(result->destroyed_key_ids, std::vector<std::string>{old_field_id});
  EXPECT_TRUE(result->compacted);
  EXPECT_GT(result->reencrypted_fields, 0);
  EXPECT_TRUE(fs::exists(result->certificate_json));
  EXPECT_TRUE(fs::exists(result->certificate_pdf));

  EXPECT_TRUE(IsNotFound(engine_->store().patients().Get(practice_, ids_[1]).status()));
  EXPECT_EQ(engine_->store().campaigns().GetCampaign(practice_, campaign_a_)->state, "purged");
  EXPECT_TRUE(engine_->store().lifecycle().ReportSnapshot(practice_, campaign_a_)->has_value());
  // The others reveal correctly under the new field key, in both engines.
  EXPECT_EQ(FirstName(ids_[0]), "Quintessa");
  EXPECT_EQ(FirstName(ids_[2]), "Ingrid");
  EXPECT_EQ(FirstName(ids_[3]), "Tobias");
  auto via_other = patients::Reveal(**other, practice_, ids_[0], "purge test: other process");
  ASSERT_TRUE(via_other.ok()) << via_other.status().ToString();
  EXPECT_EQ(via_other->first_name, "Quintessa");
  EXPECT_TRUE(ChainVerifies(*engine_));
  EXPECT_EQ(engine_.CountAudit("campaign.purge"), 1);

  // Once purged, a campaign cannot be purged again; nothing changes.
  auto again = PurgeCampaign(*engine_, practice_, campaign_a_, Out());
  EXPECT_TRUE(IsFailedPrecondition(again.status())) << again.status().ToString();
  EXPECT_EQ(engine_.CountAudit("campaign.purge"), 1);

  // While both engines still hold the database open (no close-time
  // checkpoint has cleaned the WAL) and after they closed.
  for (bool open : {true, false}) {
    if (!open) {
      other->reset();
      engine_.Close();
    }
    const std::string bytes = AllBytes(engine_.dir());
    EXPECT_EQ(bytes.find(purged_row->first_name_enc), std::string::npos) << "ciphertext of a purged row survived";
    EXPECT_EQ(bytes.find(purged_row->phone_enc), std::string::npos);
    EXPECT_EQ(bytes.find(old_field_wrapped), std::string::npos) << "the destroyed field key's wrapped bytes survived";
  }
}

TEST_F(PurgeTest, RefusedPurgesChangeNothing) {
  auto practice = practices::AddPracticeWithBaaForTest(engine_);
  ASSERT_TRUE(practice.ok());
  Populate(*practice);
  RunCampaigns();
  auto head = [&] {
    int64_t seq = 0;
    EXPECT_TRUE(engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) { return (seq = r.seq), true; }).ok());
    return seq;
  };
  const int64_t before = head();
  EXPECT_TRUE(IsNotFound(PurgeCampaign(*engine_, practice_, "cmp_unknown", Out()).status()));
  EXPECT_TRUE(IsNotFound(PurgeCampaign(*engine_, "", "cmp_unknown", Out()).status()));
  // Campaign B is running: pause it first.
  EXPECT_TRUE(IsFailedPrecondition(PurgeCampaign(*engine_, practice_, campaign_b_, Out()).status()));
  EXPECT_EQ(head(), before);
  EXPECT_FALSE(fs::exists(Out()));
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 4);
}

TEST_F(PurgeTest, LegacyPracticeIsMovedToAFieldKeyButNotShredded) {
  // A practice as created before field keys existed: one root key only.
  store::PracticeRow p{"", "Old Oak Dental", "2 Elm St, Springfield, IL 62701", "+12175550100",
                       "office@oldoak.example", "America/Chicago", "IL", "2025-01-01T00:00:00.000Z"};
  p.practice_id = *engine_->random().NewId("prc");
  auto root = engine_->NewDataKey(p.practice_id);
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(engine_->store().practices().Create(p, *root, engine_->Event("practice.create", p.practice_id)).ok());
  const auto doc = engine_.dir() / "legacy-baa.pdf";
  std::ofstream(doc) << "signed BAA document (synthetic)";
  ASSERT_TRUE(practices::RecordBaa(*engine_, {p.practice_id, "Dana Whitlock", "2025-11-01", doc.string(), 72}).ok());
  Populate(p.practice_id);
  RunCampaigns();

  auto result = PurgeCampaign(*engine_, practice_, campaign_a_, Out());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->crypto_shredded);
  EXPECT_TRUE(result->destroyed_key_ids.empty());
  EXPECT_EQ(FirstName(ids_[0]), "Quintessa");
  auto keys = engine_->store().lifecycle().LiveDataKeys(practice_);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);  // root + the new field key: the next purge shreds
  auto cert = FromJson([&] {
    std::ifstream in(result->certificate_json);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }());
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_FALSE(cert->crypto_shredded);
  EXPECT_EQ(cert->audit_seq, result->audit_seq);
}

TEST_F(PurgeTest, OffboardDestroysEverythingAndRefusesTheRest) {
  auto practice = practices::AddPracticeWithBaaForTest(engine_);
  ASSERT_TRUE(practice.ok());
  Populate(*practice);
  RunCampaigns();
  auto row = engine_->store().patients().Get(practice_, ids_[0]);
  ASSERT_TRUE(row.ok());

  auto result = OffboardPractice(*engine_, practice_, Out());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->counts.at("patients"), 4);
  EXPECT_TRUE(result->crypto_shredded);
  EXPECT_EQ(result->destroyed_key_ids.size(), 2u);
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 0);
  EXPECT_TRUE(IsNotFound(engine_->KeysFor(practice_).status()));
  EXPECT_TRUE(IsFailedPrecondition(practices::RequireBaa(*engine_, practice_)));
  EXPECT_TRUE(IsFailedPrecondition(OffboardPractice(*engine_, practice_, Out()).status()));
  EXPECT_TRUE(ChainVerifies(*engine_));

  engine_.Close();
  const std::string bytes = AllBytes(engine_.dir());
  EXPECT_EQ(bytes.find(row->first_name_enc), std::string::npos);
  EXPECT_EQ(bytes.find(row->email_enc), std::string::npos);
}

}  // namespace
}  // namespace recall::lifecycle
