// Conformance tests for OutboxStore, parameterised over every backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.h"
#include "store/store_testing.h"

namespace recall::store {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = TimePoint(seconds(1764086400));  // 2025-11-25T16:00:00Z

class OutboxStoreConformance : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    if (HasFatalFailure()) return;
    for (const char* practice : {"prc_a", "prc_b"}) {
      PracticeRow p = PracticeRowForTest(practice);
      ASSERT_TRUE(store_->practices().Create(p, {"dk_1", 1, "wrapped"}, Event("practice.create", practice)).ok());
    }
  }
  audit::AuditEvent Event(std::string action, std::string practice = "prc_a", TimePoint at = kT0) {
    return audit::AuditEvent{at, "system:worker", std::move(action), std::move(practice), "", {}};
  }

  OutboxRow Row(const std::string& id, const std::string& patient, int step = 0, const std::string& practice = "prc_a",
                TimePoint not_before = kT0) {
    OutboxRow r;
    r.message_id = id;
    r.practice_id = practice;
    r.campaign_id = "cmp_1";
    r.step = step;
    r.patient_id = patient;
    r.channel = "sms";
    r.purpose = "care";
    r.not_before = not_before;
    return r;
  }

  void Enqueue(std::vector<OutboxRow> rows, const std::string& practice = "prc_a") {
    auto res = store_->outbox().Enqueue(rows, Event("outbox.enqueue", practice));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }

  std::vector<OutboxRow> Claim(TimePoint now, const std::string& worker, int limit = 10) {
    auto got = store_->outbox().Claim(now, now + minutes(5), worker, limit);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<OutboxRow>{};
  }

  int64_t CountAudit(const std::string& action) {
    int64_t n = 0;
    EXPECT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord& r) {
      if (r.action == action) ++n;
      return true;
    }).ok());
    return n;
  }

};

TEST_P(OutboxStoreConformance, EnqueueIsIdempotentPerCampaignStepPatient) {
  auto first = store_->outbox().Enqueue({Row("msg_1", "pat_1"), Row("msg_2", "pat_2")}, Event("outbox.enqueue"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->inserted, 2);
  EXPECT_EQ(first->already_present, 0);
  // The planner runs again: fresh message ids, same (campaign, step, patient).
  auto again = store_->outbox().Enqueue({Row("msg_3", "pat_1"), Row("msg_4", "pat_2"), Row("msg_5", "pat_1", 1)},
                                        Event("outbox.enqueue"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->inserted, 1);
  EXPECT_EQ(again->already_present, 2);
  EXPECT_EQ(store_->outbox().Get("prc_a", "msg_3").status().code(), StatusCode::kNotFound);
  auto kept = store_->outbox().Get("prc_a", "msg_1");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->state, kOutboxQueued);
  EXPECT_EQ(kept->attempts, 0);
  EXPECT_EQ(kept->created_at, kT0);
  EXPECT_EQ(store_->outbox().CountByState("prc_a", "cmp_1")->queued, 3);
  EXPECT_EQ(CountAudit("outbox.enqueue"), 2);
}

TEST_P(OutboxStoreConformance, EnqueueValidates) {
  EXPECT_EQ(store_->outbox().Enqueue({Row("msg_1", "pat_1", 0, "prc_b")}, Event("outbox.enqueue")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->outbox().Enqueue({Row("bad id", "pat_1")}, Event("outbox.enqueue")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->outbox()
                .Enqueue({Row("msg_1", "pat_1", 0, "prc_zz")}, Event("outbox.enqueue", "prc_zz"))
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->outbox().CountByState("prc_a", "cmp_1")->queued, 0);
}

TEST_P(OutboxStoreConformance, ClaimLeasesOnlyDueRowsOnce) {
  Enqueue({Row("msg_1", "pat_1"), Row("msg_2", "pat_2", 0, "prc_a", kT0 + minutes(10))});
  auto a = Claim(kT0, "w_a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].message_id, "msg_1");
  EXPECT_EQ(a[0].state, kOutboxLeased);
  EXPECT_EQ(a[0].attempts, 1);
  EXPECT_EQ(a[0].worker_id, "w_a");
  EXPECT_EQ(a[0].lease_until, kT0 + minutes(5));
  // Held by w_a until its lease expires; msg_2 is not due yet.
  EXPECT_TRUE(Claim(kT0 + minutes(1), "w_b").empty());
  EXPECT_EQ(store_->outbox().CountByState("prc_a", "cmp_1")->leased, 1);
  auto later = Claim(kT0 + minutes(4), "w_b");
  EXPECT_TRUE(later.empty());
  // At 10 min msg_2 is due and msg_1's lease has expired (w_a "crashed").
  auto b = Claim(kT0 + minutes(10), "w_b");
  ASSERT_EQ(b.size(), 2u);
  std::set<std::string> ids{b[0].message_id, b[1].message_id};
  EXPECT_EQ(ids, (std::set<std::string>{"msg_1", "msg_2"}));
  for (const OutboxRow& r : b) {
    EXPECT_EQ(r.worker_id, "w_b");
    if (r.message_id == "msg_1") {
      EXPECT_EQ(r.attempts, 2);  // the same message id, a second attempt
    }
  }
}

TEST_P(OutboxStoreConformance, ClaimRespectsLimitAndValidates) {
  Enqueue({Row("msg_1", "pat_1"), Row("msg_2", "pat_2"), Row("msg_3", "pat_3")});
  EXPECT_EQ(Claim(kT0, "w_a", 2).size(), 2u);
  EXPECT_EQ(Claim(kT0, "w_b", 2).size(), 1u);
  EXPECT_EQ(store_->outbox().Claim(kT0, kT0, "w", 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->outbox().Claim(kT0, kT0 + seconds(1), "w", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->outbox().Claim(kT0, kT0 + seconds(1), "", 1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(OutboxStoreConformance, ConcurrentClaimsNeverShareARow) {
  std::vector<OutboxRow> rows;
  for (int i = 0; i < 200; ++i) rows.push_back(Row("msg_" + std::to_string(i), "pat_" + std::to_string(i)));
  Enqueue(rows);
  std::vector<std::vector<std::string>> claimed(4);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (;;) {
        auto got = store_->outbox().Claim(kT0, kT0 + minutes(5), "w_" + std::to_string(w), 7);
        if (!got.ok() || got->empty()) return;
        for (const OutboxRow& r : *got) claimed[w].push_back(r.message_id);
      }
    });
  }
  for (auto& t : workers) t.join();
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& ids : claimed) {
    total += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, 200u);
  EXPECT_EQ(all.size(), 200u);
}

TEST_P(OutboxStoreConformance, TransitionsAreFencedAndAudited) {
  Enqueue({Row("msg_1", "pat_1"), Row("msg_2", "pat_2"), Row("msg_3", "pat_3"), Row("msg_4", "pat_4")});
  auto rows = Claim(kT0, "w_a");
  ASSERT_EQ(rows.size(), 4u);
  auto find = [&](const std::string& id) {
    return *std::find_if(rows.begin(), rows.end(), [&](const OutboxRow& r) { return r.message_id == id; });
  };
  const TimePoint t1 = kT0 + seconds(30);
  ASSERT_TRUE(store_->outbox().MarkSent(LeaseOf(find("msg_1")), "msg_1.txt", Event("outbox.sent", "prc_a", t1)).ok());
  ASSERT_TRUE(store_->outbox()
                  .MarkRetry(LeaseOf(find("msg_2")), kT0 + minutes(2), "unavailable", Event("outbox.retry"))
                  .ok());
  ASSERT_TRUE(store_->outbox().MarkFailed(LeaseOf(find("msg_3")), "permanent_failure", Event("outbox.failed")).ok());
  ASSERT_TRUE(store_->outbox().MarkCancelled(LeaseOf(find("msg_4")), "no_consent", Event("outbox.cancel")).ok());

  auto sent = store_->outbox().Get("prc_a", "msg_1");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->state, kOutboxSent);
  EXPECT_EQ(sent->provider_id, "msg_1.txt");
  EXPECT_EQ(sent->sent_at, t1);
  EXPECT_EQ(sent->lease_until, TimePoint());
  auto retry = store_->outbox().Get("prc_a", "msg_2");
  EXPECT_EQ(retry->state, kOutboxQueued);
  EXPECT_EQ(retry->not_before, kT0 + minutes(2));
  EXPECT_EQ(retry->last_reason, "unavailable");
  EXPECT_EQ(store_->outbox().Get("prc_a", "msg_3")->last_reason, "permanent_failure");
  OutboxCounts counts = *store_->outbox().CountByState("prc_a", "cmp_1");
  EXPECT_EQ(counts.sent, 1);
  EXPECT_EQ(counts.queued, 1);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(counts.cancelled, 1);
  EXPECT_EQ(counts.leased, 0);

  // Final rows and lost leases refuse further changes.
  EXPECT_EQ(store_->outbox().MarkRetry(LeaseOf(find("msg_1")), kT0, "x", Event("outbox.retry")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->outbox().MarkSent(LeaseOf(find("msg_3")), "p", Event("outbox.sent")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->outbox().MarkSent({"prc_a", "msg_missing", "w_a", 1}, "p", Event("outbox.sent")).code(),
            StatusCode::kNotFound);

  // Each transition wrote one audit record with the store's details.
  EXPECT_EQ(CountAudit("outbox.sent"), 1);
  EXPECT_EQ(CountAudit("outbox.retry"), 1);
  EXPECT_EQ(CountAudit("outbox.failed"), 1);
  EXPECT_EQ(CountAudit("outbox.cancel"), 1);
  bool saw = false;
  ASSERT_TRUE(store_->audit().Scan(1, [&](const audit::AuditRecord& r) {
    if (r.action == "outbox.retry") {
      saw = true;
      EXPECT_NE(r.details_json.find("\"message_id\":\"msg_2\""), std::string::npos) << r.details_json;
      EXPECT_NE(r.details_json.find("\"reason\":\"unavailable\""), std::string::npos) << r.details_json;
      EXPECT_NE(r.details_json.find("\"state\":\"queued\""), std::string::npos) << r.details_json;
      EXPECT_NE(r.details_json.find("\"attempts\":1"), std::string::npos) << r.details_json;
    }
    return true;
  }).ok());
  EXPECT_TRUE(saw);
}

TEST_P(OutboxStoreConformance, StaleWorkerCannotOverwriteNewerOutcome) {
  Enqueue({Row("msg_1", "pat_1")});
  auto a = Claim(kT0, "w_a");
  ASSERT_EQ(a.size(), 1u);
  // w_a stalls past its lease; w_b re-claims and sends.
  auto b = Claim(kT0 + minutes(6), "w_b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].message_id, "msg_1");
  ASSERT_TRUE(store_->outbox().MarkSent(LeaseOf(b[0]), "p2", Event("outbox.sent")).ok());
  EXPECT_EQ(store_->outbox().MarkRetry(LeaseOf(a[0]), kT0, "unavailable", Event("outbox.retry")).code(),
            StatusCode::kFailedPrecondition);
  // The same worker re-claiming its own expired lease also fences the older attempt.
  Enqueue({Row("msg_2", "pat_2")});
  auto first = Claim(kT0 + minutes(7), "w_c");
  ASSERT_EQ(first.size(), 1u);
  auto second = Claim(kT0 + minutes(13), "w_c");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(store_->outbox().MarkFailed(LeaseOf(first[0]), "x", Event("outbox.failed")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->outbox().MarkFailed(LeaseOf(second[0]), "x", Event("outbox.failed")).ok());
  EXPECT_EQ(store_->outbox().Get("prc_a", "msg_1")->state, kOutboxSent);
}

TEST_P(OutboxStoreConformance, DeferRequeuesUntilNotBefore) {
  Enqueue({Row("msg_1", "pat_1")});
  auto a = Claim(kT0, "w_a");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(store_->outbox().Defer(LeaseOf(a[0]), kT0 + minutes(60), "quiet_hours_federal",
                                     Event("outbox.defer")).ok());
  EXPECT_TRUE(Claim(kT0 + minutes(59), "w_a").empty());
  auto again = Claim(kT0 + minutes(60), "w_a");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2);
  EXPECT_EQ(again[0].last_reason, "quiet_hours_federal");
}

TEST_P(OutboxStoreConformance, PhiLookingReasonIsRefusedAndNothingChanges) {
  Enqueue({Row("msg_1", "pat_1")});
  auto a = Claim(kT0, "w_a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(store_->outbox().MarkFailed(LeaseOf(a[0]), "550 no such user jane@example.com",
                                        Event("outbox.failed")).code(),
            StatusCode::kInvalidArgument);
  auto row = store_->outbox().Get("prc_a", "msg_1");
  EXPECT_EQ(row->state, kOutboxLeased);
  EXPECT_EQ(row->last_reason, "");
  EXPECT_EQ(CountAudit("outbox.failed"), 0);
}

TEST_P(OutboxStoreConformance, PracticeScoping) {
  Enqueue({Row("msg_1", "pat_1")});
  Enqueue({Row("msg_1", "pat_1", 0, "prc_b")}, "prc_b");  // ids are unique per practice
  EXPECT_TRUE(store_->outbox().Get("prc_b", "msg_1").ok());
  auto rows = Claim(kT0, "w_a");
  ASSERT_EQ(rows.size(), 2u);
  const OutboxRow& a = rows[0].practice_id == "prc_a" ? rows[0] : rows[1];
  const OutboxRow& b = rows[0].practice_id == "prc_a" ? rows[1] : rows[0];
  OutboxLease wrong = LeaseOf(a);
  wrong.practice_id = "prc_c";
  EXPECT_EQ(store_->outbox().MarkSent(wrong, "p", Event("outbox.sent")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->outbox().MarkSent(LeaseOf(a), "p", Event("outbox.sent")).ok());
  EXPECT_EQ(store_->outbox().Get("prc_b", "msg_1")->state, kOutboxLeased);
  EXPECT_EQ(store_->outbox().CountByState("prc_b", "cmp_1")->sent, 0);
  EXPECT_EQ(store_->outbox().CountByState("prc_a", "cmp_1")->sent, 1);
  EXPECT_TRUE(store_->outbox().RecentSends("prc_b", "pat_1", kT0)->empty());
  EXPECT_EQ(store_->outbox().RecentSends("prc_a", "pat_1", kT0)->size(), 1u);
  (void)b;
}

TEST_P(OutboxStoreConformance, RecentSendsForFrequencyCaps) {
  Enqueue({Row("msg_1", "pat_1", 0), Row("msg_2", "pat_1", 1), Row("msg_3", "pat_2", 0)});
  auto rows = Claim(kT0, "w_a");
  ASSERT_EQ(rows.size(), 3u);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_TRUE(store_->outbox()
                    .MarkSent(LeaseOf(rows[i]), "p", Event("outbox.sent", "prc_a", kT0 + minutes(10 * (i + 1))))
                    .ok());
  }
  auto sends = store_->outbox().RecentSends("prc_a", "pat_1", kT0);
  ASSERT_TRUE(sends.ok());
  ASSERT_EQ(sends->size(), 2u);
  EXPECT_LE((*sends)[0].sent_at, (*sends)[1].sent_at);
  EXPECT_EQ((*sends)[0].channel, "sms");
  EXPECT_EQ((*sends)[0].campaign_id, "cmp_1");
  EXPECT_EQ(store_->outbox().RecentSends("prc_a", "pat_1", kT0 + minutes(25))->size(),
            (*sends)[1].sent_at >= kT0 + minutes(25) ? 1u : 0u);
  EXPECT_TRUE(store_->outbox().RecentSends("prc_a", "pat_1", kT0 + minutes(40))->empty());
}

TEST_P(OutboxStoreConformance, RowsSurviveReopenAndHoldNoPhi) {
  Enqueue({Row("msg_1", "pat_1")});
  ASSERT_EQ(Claim(kT0, "w_a").size(), 1u);
  // A "kill -9": the store is dropped with the lease held; the row survives.
  store_.reset();
  auto reopened = GetParam().open(dir_);
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(reopened).value();
  EXPECT_EQ(store_->outbox().Get("prc_a", "msg_1")->state, kOutboxLeased);
  auto again = Claim(kT0 + minutes(5), "w_b");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id, "msg_1");
  // The row's text fields are ids and codes only.
  const OutboxRow& r = again[0];
  for (const std::string& field : {r.message_id, r.practice_id, r.campaign_id, r.patient_id, r.channel, r.purpose,
                                   r.state, r.worker_id, r.provider_id, r.last_reason}) {
    EXPECT_EQ(field.find('@'), std::string::npos) << field;
    EXPECT_EQ(field.find('+'), std::string::npos) << field;
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, OutboxStoreConformance, ::testing::ValuesIn(Backends()), BackendName);

}  // namespace
}  // namespace recall::store
