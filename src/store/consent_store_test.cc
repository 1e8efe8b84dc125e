// Conformance tests for ConsentStore, parameterised over every backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "store/store.h"
#include "store/store_testing.h"

namespace recall::store {
namespace {

class ConsentStoreConformance : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    if (HasFatalFailure()) return;
    for (const char* practice : {"prc_a", "prc_b"}) {
      PracticeRow p = PracticeRowForTest(practice);
      ASSERT_TRUE(store_->practices().Create(p, {"dk_1", 1, "wrapped"}, Event("practice.create", practice)).ok());
    }
    auto imp = store_->patients().BeginImport("prc_a");
    ASSERT_TRUE(imp.ok());
    PatientRow r;
    r.practice_id = "prc_a";
    r.patient_id = "pat_1";
    r.external_index = "x1";
    r.subject = "sub_x1";
    r.external_id_enc = "enc";
    r.phone_line_type = "mobile";
    r.language = "en";
    r.status = "active";
    r.updated_at = "2025-11-25T00:00:00.000Z";
    ASSERT_TRUE((*imp)->Upsert(r).ok());
    ASSERT_TRUE((*imp)->Commit(Event("patient.import", "prc_a")).ok());
  }
  audit::AuditEvent Event(std::string action, std::string practice = "") {
    return audit::AuditEvent{TimePoint(std::chrono::seconds(1764086400)), "test", std::move(action),
                             std::move(practice), "", {}};
  }

  ConsentRecordRow Record(const std::string& id, const std::string& kind = "grant",
                          const std::string& patient = "pat_1") {
    ConsentRecordRow r;
    r.practice_id = "prc_a";
    r.consent_id = id;
    r.patient_id = patient;
    r.kind = kind;
    r.channel = kind == "grant" ? "sms" : "all";
    r.purpose = kind == "grant" ? "care" : "all";
    r.source = "intake_form";
    r.captured_at = "2025-11-25T16:00:00.000Z";
    r.captured_by = "test";
    r.contact_enc = "sealed-contact";
    r.contact_index = "ci_1";
    r.evidence_enc = "sealed-evidence";
    r.risk_acknowledged = false;
    return r;
  }

  int64_t AuditCount() {
    int64_t n = 0;
    EXPECT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord&) { return ++n, true; }).ok());
    return n;
  }

};

TEST_P(ConsentStoreConformance, AppendsInOrderAndReadsBack) {
  ConsentStore& c = store_->consent();
  ASSERT_TRUE(c.Append("prc_a", {Record("cns_1"), Record("cns_2", "revoke")}, {Event("consent.grant", "prc_a")}).ok());
  ASSERT_TRUE(c.Append("prc_a", {Record("cns_3")}, {Event("consent.grant", "prc_a")}).ok());
  auto h = c.History("prc_a", "pat_1");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].consent_id, "cns_1");
  EXPECT_EQ((*h)[1].kind, "revoke");
  EXPECT_EQ((*h)[1].channel, "all");
  EXPECT_LT((*h)[0].seq, (*h)[1].seq);
  EXPECT_LT((*h)[1].seq, (*h)[2].seq);
  EXPECT_EQ((*h)[0].contact_enc, "sealed-contact");
  EXPECT_EQ((*h)[0].ip_enc, "");
  EXPECT_EQ((*h)[0].risk_acknowledged, std::optional<bool>(false));
  EXPECT_EQ(AuditCount(), 5);  // 2 practices, 1 import, 2 consent
}

TEST_P(ConsentStoreConformance, ScopedByPractice) {
  ASSERT_TRUE(store_->consent().Append("prc_a", {Record("cns_1")}, {}).ok());
  EXPECT_TRUE(store_->consent().History("prc_b", "pat_1")->empty());
  EXPECT_TRUE(store_->consent().AddressHistory("prc_b", "ci_1")->empty());
  // A record of another practice is refused; so is a patient the practice does not have.
  EXPECT_EQ(store_->consent().Append("prc_b", {Record("cns_2")}, {}).code(), StatusCode::kInvalidArgument);
  auto other = Record("cns_3");
  other.practice_id = "prc_b";
  EXPECT_EQ(store_->consent().Append("prc_b", {other}, {}).code(), StatusCode::kNotFound);
}

TEST_P(ConsentStoreConformance, AppendIsAllOrNothing) {
  const int64_t audits = AuditCount();
  EXPECT_EQ(store_->consent()
                .Append("prc_a", {Record("cns_1"), Record("cns_2", "grant", "pat_missing")},
                        {Event("consent.grant", "prc_a")})
                .code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store_->consent().History("prc_a", "pat_1")->empty());
  EXPECT_EQ(AuditCount(), audits);
  // A PHI-looking audit detail rolls the records back too.
  auto bad = Event("consent.grant", "prc_a");
  bad.details["note"] = std::string("call 2175550142");
  EXPECT_EQ(store_->consent().Append("prc_a", {Record("cns_1")}, {bad}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->consent().History("prc_a", "pat_1")->empty());
  // Duplicate ids collide.
  ASSERT_TRUE(store_->consent().Append("prc_a", {Record("cns_1")}, {}).ok());
  EXPECT_EQ(store_->consent().Append("prc_a", {Record("cns_1")}, {}).code(), StatusCode::kAlreadyExists);
}

TEST_P(ConsentStoreConformance, AddressHistoryHoldsOnlyAddressLevelRecords) {
  auto address = Record("cns_addr", "revoke", "");
  ASSERT_TRUE(store_->consent().Append("prc_a", {Record("cns_1"), address}, {}).ok());
  auto a = store_->consent().AddressHistory("prc_a", "ci_1");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].consent_id, "cns_addr");
  EXPECT_EQ(store_->consent().History("prc_a", "pat_1")->size(), 1u);
  EXPECT_TRUE(store_->consent().History("prc_a", "")->empty());
}

TEST_P(ConsentStoreConformance, LanguageVersions) {
  ConsentStore& c = store_->consent();
  EXPECT_FALSE(c.CurrentLanguage("prc_a", "sms")->has_value());
  ConsentLanguageRow v1{"prc_a", "clv_1", "sms", "I consent (v1)", std::string(64, 'a'), "2025-11-25T00:00:00.000Z",
                        "test"};
  ConsentLanguageRow v2{"prc_a", "clv_2", "sms", "I consent (v2)", std::string(64, 'b'), "2025-11-26T00:00:00.000Z",
                        "test"};
  ASSERT_TRUE(c.AddLanguage(v1, Event("consent.language_add", "prc_a")).ok());
  ASSERT_TRUE(c.AddLanguage(v2, Event("consent.language_add", "prc_a")).ok());
  EXPECT_EQ((*c.CurrentLanguage("prc_a", "sms"))->version_id, "clv_2");
  EXPECT_FALSE(c.CurrentLanguage("prc_a", "email")->has_value());
  EXPECT_FALSE(c.CurrentLanguage("prc_b", "sms")->has_value());
  EXPECT_EQ(c.GetLanguage("prc_a", "clv_1")->text, "I consent (v1)");
  EXPECT_EQ(c.GetLanguage("prc_b", "clv_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.AddLanguage(v1, Event("consent.language_add", "prc_a")).code(), StatusCode::kAlreadyExists);
}

TEST_P(ConsentStoreConformance, ReassignedNumbersKeepTheLatestDate) {
  ConsentStore& c = store_->consent();
  const std::string at = "2025-11-25T00:00:00.000Z";
  ASSERT_TRUE(c.ImportReassigned("prc_a", {{"prc_a", "ph_1", "2025-06-01", at}}, Event("reassigned.import", "prc_a")).ok());
  ASSERT_TRUE(c.ImportReassigned("prc_a", {{"prc_a", "ph_1", "2024-01-01", at}, {"prc_a", "ph_2", "2025-01-01", at}},
                                 Event("reassigned.import", "prc_a"))
                  .ok());
  EXPECT_EQ(**c.DisconnectedOn("prc_a", "ph_1"), "2025-06-01");
  EXPECT_EQ(**c.DisconnectedOn("prc_a", "ph_2"), "2025-01-01");
  EXPECT_FALSE(c.DisconnectedOn("prc_b", "ph_1")->has_value());
  EXPECT_EQ(c.ImportReassigned("prc_b", {{"prc_a", "ph_3", "2025-01-01", at}}, Event("reassigned.import", "prc_b"))
                .code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsentStoreConformance, ::testing::ValuesIn(Backends()), BackendName);

}  // namespace
}  // namespace recall::store
