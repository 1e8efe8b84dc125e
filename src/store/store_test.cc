// Conformance tests for Store, parameterised over every backend (SQLite now;
// PostgreSQL joins the list when it arrives).
#include "store/store.h"
#include "store/store_testing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

namespace recall::store {
namespace {

class StoreConformance : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    if (HasFatalFailure()) return;
  }
  audit::AuditEvent Event(std::string action, std::string practice = "") {
    return audit::AuditEvent{TimePoint(std::chrono::seconds(1764000000)), "test", std::move(action),
                             std::move(practice), "", {}};
  }

  void AddPractice(const std::string& id) {
    PracticeRow p{id, "Maple Family Dental", "1 Main St, Springfield, IL 62701", "+12175550100",
                  "office@maple.example", "America/Chicago", "IL", "2026-11-25T00:00:00.000Z"};
    ASSERT_TRUE(store_->practices().Create(p, {"dk_1", 1, "wrapped"}, Event("practice.create", id)).ok());
  }

  PatientRow Patient(const std::string& practice, const std::string& id, const std::string& ext) {
    PatientRow r;
    r.practice_id = practice;
    r.patient_id = id;
    r.external_index = ext;
    r.subject = "sub_" + ext;
    r.external_id_enc = "enc-ext";
    r.first_name_enc = "enc-first";
    r.phone_index = "ph-" + ext;
    r.phone_line_type = "mobile";
    r.language = "en";
    r.status = "lapsed";
    r.updated_at = "2026-11-25T00:00:00.000Z";
    return r;
  }

};

TEST_P(StoreConformance, PracticesAndBaa) {
  AddPractice("prc_a");
  auto got = store_->practices().Get("prc_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->timezone, "America/Chicago");
  EXPECT_EQ(store_->practices().Get("prc_zz").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->practices().LatestBaa("prc_a")->has_value());
  BaaRow baa{"prc_a", "baa_1", "Dr. Rivera", "2026-11-01", std::string(64, 'a'), 72, "2026-11-25T00:00:00.000Z"};
  ASSERT_TRUE(store_->practices().RecordBaa(baa, Event("baa.record", "prc_a")).ok());
  EXPECT_EQ((*store_->practices().LatestBaa("prc_a"))->signed_by, "Dr. Rivera");
  baa.practice_id = "prc_missing";
  EXPECT_EQ(store_->practices().RecordBaa(baa, Event("baa.record")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->practices().DataKeys("prc_a")->size(), 1u);
}

TEST_P(StoreConformance, ImportUpsertsAndIsScopedByPractice) {
  AddPractice("prc_a");
  AddPractice("prc_b");
  {
    auto imp = store_->patients().BeginImport("prc_a");
    ASSERT_TRUE(imp.ok());
    EXPECT_EQ(*(*imp)->Upsert(Patient("prc_a", "pat_1", "x1")), UpsertOutcome::kInserted);
    EXPECT_EQ(*(*imp)->Upsert(Patient("prc_a", "pat_2", "x2")), UpsertOutcome::kInserted);
    EXPECT_FALSE((*imp)->Upsert(Patient("prc_b", "pat_3", "x3")).ok());
    ASSERT_TRUE((*imp)->Commit(Event("patient.import", "prc_a")).ok());
  }
  {
    auto imp = store_->patients().BeginImport("prc_a");
    auto again = Patient("prc_a", "pat_new", "x1");
    again.status = "active";
    EXPECT_EQ(*(*imp)->Upsert(again), UpsertOutcome::kUpdated);
    ASSERT_TRUE((*imp)->Commit(Event("patient.import", "prc_a")).ok());
  }
  EXPECT_EQ(*store_->patients().Count("prc_a"), 2);
  EXPECT_EQ(*store_->patients().Count("prc_b"), 0);
  auto p1 = store_->patients().Get("prc_a", "pat_1");
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->status, "active");
  // Another practice cannot read it, even knowing the id.
  EXPECT_EQ(store_->patients().Get("prc_b", "pat_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->patients().FindByPhoneIndex("prc_a", "ph-x2")->size(), 1u);
  EXPECT_TRUE(store_->patients().FindByPhoneIndex("prc_b", "ph-x2")->empty());
}

TEST_P(StoreConformance, UncommittedImportRollsBack) {
  AddPractice("prc_a");
  {
    auto imp = store_->patients().BeginImport("prc_a");
    ASSERT_TRUE((*imp)->Upsert(Patient("prc_a", "pat_1", "x1")).ok());
  }
  EXPECT_EQ(*store_->patients().Count("prc_a"), 0);
  int64_t audits = 0;
  ASSERT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord&) { return ++audits, true; }).ok());
  EXPECT_EQ(audits, 1);  // only practice.create
}

TEST_P(StoreConformance, Pagination) {
  AddPractice("prc_a");
  auto imp = store_->patients().BeginImport("prc_a");
  for (int i = 0; i < 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "pat_%03d", i);
    ASSERT_TRUE((*imp)->Upsert(Patient("prc_a", id, "x" + std::to_string(i))).ok());
  }
  ASSERT_TRUE((*imp)->Commit(Event("patient.import", "prc_a")).ok());
  PageRequest req{"", 10};
  int seen = 0, pages = 0;
  for (;;) {
    auto page = store_->patients().List("prc_a", req);
    ASSERT_TRUE(page.ok());
    seen += static_cast<int>(page->rows.size());
    ++pages;
    if (page->next.empty()) break;
    req.after = page->next;
  }
  EXPECT_EQ(seen, 25);
  EXPECT_EQ(pages, 3);
}

TEST_P(StoreConformance, AuditChainsAndRefusesPhi) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->audit().Append(Event("test.event")).ok());
  auto bad = Event("patient.reveal");
  bad.details["reason"] = std::string("patient jane@example.com asked");
  EXPECT_EQ(store_->audit().Append(bad).status().code(), StatusCode::kInvalidArgument);
  audit::ChainVerifier v;
  ASSERT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord& r) { return v.Feed(r); }).ok());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.records(), 5);
}

// Users are installation-wide; memberships need a real practice; credentials
// are looked up by hash; a change without its audit record never commits.
TEST_P(StoreConformance, UsersMembershipsAndCredentials) {
  AddPractice("prc_a");
  const TimePoint t0(std::chrono::seconds(1764000000));
  UserRow u;
  u.user_id = "usr_1";
  u.login = "alice";
  u.display_name = "Alice";
  u.password_hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA";
  u.created_at = t0;
  UserStore& users = store_->users();
  ASSERT_TRUE(users.Create(u, Event("user.add")).ok());
  u.user_id = "usr_2";
  EXPECT_EQ(users.Create(u, Event("user.add")).code(), StatusCode::kAlreadyExists);  // login taken
  EXPECT_EQ(users.GetByLogin("alice")->user_id, "usr_1");
  EXPECT_EQ(users.Get("usr_2").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(users.Grant({"usr_1", "prc_zz", "staff", t0}, Event("user.grant")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(users.Grant({"usr_1", "prc_a", "staff", t0}, Event("user.grant", "prc_a")).ok());
  ASSERT_TRUE(users.Grant({"usr_1", "prc_a", "staff", t0}, Event("user.grant", "prc_a")).ok());
  ASSERT_EQ(users.Memberships("usr_1")->size(), 1u);
  EXPECT_EQ(users.Revoke("usr_1", "prc_a", "auditor", Event("user.revoke")).code(), StatusCode::kNotFound);

  for (int i = 0; i < 2; ++i) {
    auto locked = users.RecordLoginFailure("usr_1", 2, t0 + std::chrono::minutes(15), Event("user.login_failed"),
                                           Event("user.locked"));
    ASSERT_TRUE(locked.ok());
    EXPECT_EQ(*locked, i == 1);
  }
  EXPECT_EQ(users.Get("usr_1")->locked_until, t0 + std::chrono::minutes(15));
  EXPECT_EQ(users.Get("usr_1")->failed_logins, 0);

  CredentialRow c{"ses_1", "usr_1", std::string(64, 'b'), kCredentialSession, "", "", t0, t0 + std::chrono::hours(12),
                  false, TimePoint()};
  ASSERT_TRUE(users.RecordLoginSuccess(c, Event("user.login")).ok());
  EXPECT_EQ(users.Get("usr_1")->locked_until, TimePoint());
  EXPECT_EQ(users.CredentialByHash(std::string(64, 'b'))->token_id, "ses_1");
  c.token_id = "tok_2";
  EXPECT_EQ(users.CreateCredential(c, Event("user.token_created")).code(), StatusCode::kAlreadyExists);  // same hash
  ASSERT_TRUE(users.RevokeCredential("ses_1", t0, Event("user.logout")).ok());
  EXPECT_TRUE(users.Credential("ses_1")->revoked);
  EXPECT_EQ(users.RevokeCredential("tok_zz", t0, Event("user.logout")).code(), StatusCode::kNotFound);

  // A PHI-looking audit detail rolls the change back.
  audit::AuditEvent bad = Event("user.totp_enrolled");
  bad.details["note"] = std::string("call +1 217 555 0100");
  EXPECT_FALSE(users.SetTotpSecret("usr_1", "v1:00", bad).ok());
  EXPECT_EQ(users.Get("usr_1")->totp_secret_sealed, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(Backends()), BackendName);

}  // namespace
}  // namespace recall::store
