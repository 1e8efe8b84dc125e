// Conformance tests for IncidentStore, parameterised over every backend.
#include <gtest/gtest.h>

#include "store/incident_store.h"
#include "store/store.h"
#include "store/store_testing.h"

namespace recall::store {
namespace {

using std::chrono::hours;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1764086400));  // 2025-11-25T16:00:00Z

class IncidentStoreConformance : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    if (HasFatalFailure()) return;
    for (const char* practice : {"prc_a", "prc_b"}) {
      ASSERT_TRUE(store_->practices()
                      .Create(PracticeRowForTest(practice), {"dk_1", 1, "wrapped"}, Event("practice.create", practice))
                      .ok());
    }
  }
  audit::AuditEvent Event(std::string action, std::string practice = "", std::string actor = "test",
                          TimePoint at = kT0) {
    return audit::AuditEvent{at, std::move(actor), std::move(action), std::move(practice), "", {}};
  }
  IncidentRow Row(const std::string& id, const std::string& key = "") {
    IncidentRow r;
    r.incident_id = id;
    r.source = key.empty() ? "manual" : "audit_chain";
    r.severity = "medium";
    r.status = "open";
    r.discovered_at = kT0 - hours(1);
    r.opened_at = kT0;
    r.description = "synthetic incident";
    r.dedupe_key = key;
    r.opened_by = "test";
    return r;
  }
  IncidentPracticeRow Practice(const std::string& id, const std::string& practice, int64_t affected) {
    return {id, practice, affected, 24, kT0 + hours(23), kT0 + hours(24 * 60 - 1), kT0};
  }
  IncidentUpdateRow Update(const std::string& kind) { return {"", 0, kT0, "test", kind, "note"}; }
  int64_t AuditCount() {
    int64_t n = 0;
    EXPECT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord&) { return ++n > 0; }).ok());
    return n;
  }
  IncidentStore& incidents() { return store_->incidents(); }
};

TEST_P(IncidentStoreConformance, CreateGetListRoundTrip) {
  const int64_t before = AuditCount();
  ASSERT_TRUE(incidents()
                  .Create(Row("inc_1"), {Practice("inc_1", "prc_a", 12)}, Update("opened"), Event("incident.open"))
                  .ok());
  EXPECT_EQ(AuditCount(), before + 1);
  auto d = incidents().Get("inc_1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->incident.status, "open");
  EXPECT_EQ(d->incident.discovered_at, kT0 - hours(1));
  EXPECT_FALSE(d->incident.closed_at.has_value());
  ASSERT_EQ(d->practices.size(), 1u);
  EXPECT_EQ(d->practices[0].affected, 12);
  EXPECT_EQ(d->practices[0].breach_notice_hours, 24);
  EXPECT_EQ(d->practices[0].contractual_deadline, kT0 + hours(23));
  ASSERT_EQ(d->updates.size(), 1u);
  EXPECT_EQ(d->updates[0].seq, 1);
  EXPECT_EQ(incidents().Get("inc_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(incidents().Create(Row("inc_1"), {}, Update("opened"), Event("incident.open")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(incidents().List({})->size(), 1u);
}

TEST_P(IncidentStoreConformance, AFailedCreateWritesNothing) {
  const int64_t before = AuditCount();
  EXPECT_EQ(incidents()
                .Create(Row("inc_1"), {Practice("inc_1", "prc_unknown", 1)}, Update("opened"), Event("incident.open"))
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(incidents().Get("inc_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AuditCount(), before);
}

TEST_P(IncidentStoreConformance, OneOpenIncidentPerDedupeKey) {
  ASSERT_TRUE(incidents().Create(Row("inc_1", "audit_chain"), {}, Update("opened"), Event("incident.open")).ok());
  auto found = incidents().FindOpen("audit_chain");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->incident_id, "inc_1");
  EXPECT_EQ(incidents().Create(Row("inc_2", "audit_chain"), {}, Update("opened"), Event("incident.open")).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(incidents().Close("inc_1", "resolved", kT0 + hours(2), Update("closed"), Event("incident.close")).ok());
  EXPECT_FALSE(incidents().FindOpen("audit_chain")->has_value());
  EXPECT_TRUE(incidents().Create(Row("inc_2", "audit_chain"), {}, Update("opened"), Event("incident.open")).ok());
  EXPECT_FALSE(incidents().FindOpen("")->has_value());
  EXPECT_EQ(incidents().List({true})->size(), 1u);
  EXPECT_EQ(incidents().List({false})->size(), 2u);
}

TEST_P(IncidentStoreConformance, UpdateMergesCountsAndKeepsDeadlines) {
  ASSERT_TRUE(incidents()
                  .Create(Row("inc_1"), {Practice("inc_1", "prc_a", 5)}, Update("opened"), Event("incident.open"))
                  .ok());
  IncidentChange change;
  change.severity = "high";
  change.description = "rewritten";
  change.triggered = true;
  IncidentPracticeRow again = Practice("inc_1", "prc_a", 3);
  again.contractual_deadline = kT0 + hours(1000);  // ignored: the listed practice keeps its deadlines
  change.practices = {again, Practice("inc_1", "prc_b", 7)};
  change.merge = AffectedMerge::kAdd;
  ASSERT_TRUE(incidents().Update("inc_1", change, Update("triggered"), Event("incident.trigger")).ok());
  auto d = incidents().Get("inc_1");
  EXPECT_EQ(d->incident.severity, "high");
  EXPECT_EQ(d->incident.description, "rewritten");
  EXPECT_EQ(d->incident.trigger_count, 1);
  ASSERT_EQ(d->practices.size(), 2u);
  EXPECT_EQ(d->practices[0].affected, 8);
  EXPECT_EQ(d->practices[0].contractual_deadline, kT0 + hours(23));
  EXPECT_EQ(d->practices[1].affected, 7);

  IncidentChange max;
  max.merge = AffectedMerge::kMax;
  max.practices = {Practice("inc_1", "prc_a", 6), Practice("inc_1", "prc_b", 9)};
  ASSERT_TRUE(incidents().Update("inc_1", max, Update("triggered"), Event("incident.trigger")).ok());
  d = incidents().Get("inc_1");
  EXPECT_EQ(d->practices[0].affected, 8);
  EXPECT_EQ(d->practices[1].affected, 9);

  IncidentChange set;
  set.practices = {Practice("inc_1", "prc_a", 1)};
  ASSERT_TRUE(incidents().Update("inc_1", set, Update("practice"), Event("incident.practice")).ok());
  d = incidents().Get("inc_1");
  EXPECT_EQ(d->practices[0].affected, 1);
  ASSERT_EQ(d->updates.size(), 4u);
  EXPECT_EQ(d->updates[3].seq, 4);

  IncidentChange unknown;
  unknown.practices = {Practice("inc_1", "prc_zzz", 1)};
  EXPECT_EQ(incidents().Update("inc_1", unknown, Update("practice"), Event("incident.practice")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(incidents().Get("inc_1")->updates.size(), 4u) << "rolled back";
  EXPECT_EQ(incidents().Update("inc_zzz", set, Update("practice"), Event("incident.practice")).code(),
            StatusCode::kNotFound);
}

TEST_P(IncidentStoreConformance, NotificationsOnlyForListedPracticesOfOpenIncidents) {
  ASSERT_TRUE(incidents()
                  .Create(Row("inc_1"), {Practice("inc_1", "prc_a", 5)}, Update("opened"), Event("incident.open"))
                  .ok());
  IncidentNotificationRow n{"inc_1", "prc_a", "privacy officer", "email", kT0 + hours(2), "test", kT0 + hours(2)};
  ASSERT_TRUE(incidents().RecordNotification(n, Update("notified"), Event("incident.notify", "prc_a")).ok());
  IncidentNotificationRow other = n;
  other.practice_id = "prc_b";
  EXPECT_EQ(incidents().RecordNotification(other, Update("notified"), Event("incident.notify", "prc_b")).code(),
            StatusCode::kNotFound);
  auto d = incidents().Get("inc_1");
  ASSERT_EQ(d->notifications.size(), 1u);
  EXPECT_EQ(d->notifications[0].recipient, "privacy officer");
  EXPECT_EQ(d->notifications[0].notified_at, kT0 + hours(2));

  ASSERT_TRUE(incidents().Close("inc_1", "done", kT0 + hours(3), Update("closed"), Event("incident.close")).ok());
  d = incidents().Get("inc_1");
  EXPECT_EQ(d->incident.status, "closed");
  EXPECT_EQ(d->incident.resolution, "done");
  EXPECT_EQ(d->incident.closed_at, kT0 + hours(3));
  EXPECT_EQ(incidents().RecordNotification(n, Update("notified"), Event("incident.notify", "prc_a")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(incidents().Close("inc_1", "again", kT0, Update("closed"), Event("incident.close")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(incidents().Update("inc_1", {}, Update("updated"), Event("incident.update")).code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(IncidentStoreConformance, CountAuditByActorActionPracticeAndTime) {
  ASSERT_TRUE(store_->audit().Append(Event("patient.reveal", "prc_a", "user:amy", kT0)).ok());
  ASSERT_TRUE(store_->audit().Append(Event("patient.reveal", "prc_b", "user:amy", kT0 + hours(1))).ok());
  ASSERT_TRUE(store_->audit().Append(Event("patient.reveal", "prc_a", "user:bob", kT0 + hours(1))).ok());
  ASSERT_TRUE(store_->audit().Append(Event("audit.export", "prc_a", "user:amy", kT0 + hours(1))).ok());
  EXPECT_EQ(*incidents().CountAudit("user:amy", "patient.reveal", "", kT0), 2);
  EXPECT_EQ(*incidents().CountAudit("user:amy", "patient.reveal", "", kT0 + hours(1)), 1);
  EXPECT_EQ(*incidents().CountAudit("user:amy", "patient.reveal", "prc_a", kT0), 1);
  EXPECT_EQ(*incidents().CountAudit("user:amy", "audit.export", "", kT0), 1);
  EXPECT_EQ(*incidents().CountAudit("user:bob", "patient.reveal", "prc_b", kT0), 0);
  EXPECT_EQ(*incidents().CountAudit("user:cat", "patient.reveal", "", kT0 - hours(100)), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, IncidentStoreConformance, ::testing::ValuesIn(Backends()), BackendName);

}  // namespace
}  // namespace recall::store
