// The SQLite RunStore (store/run_store.h): step runs, plan entries, inbound
// events and invalid contacts. Shares the store's connection and its one mutex.
// Times are INTEGER milliseconds since the Unix epoch.
#include <sqlite3.h>

#include <mutex>

#include "store/run_store.h"
#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

Status RequirePractice(Db* db, const std::string& practice_id) {
  ASSIGN_OR_RETURN(Stmt q, db->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
  q.Bind(1, practice_id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return NotFoundError("no practice " + practice_id);
  return OkStatus();
}

StepRunRow ReadStepRun(const Stmt& s) {
  StepRunRow r;
  r.practice_id = s.Text(0);
  r.campaign_id = s.Text(1);
  r.step = static_cast<int>(s.Int(2));
  r.due_at = FromMillis(s.Int(3));
  r.planned = !s.IsNull(4);
  if (r.planned) r.planned_at = FromMillis(s.Int(4));
  r.entries = s.Int(5);
  return r;
}
constexpr std::string_view kStepRunColumns = "practice_id, campaign_id, step, due_at_ms, planned_at_ms, entries";

PlanEntryRow ReadPlan(const Stmt& s) {
  PlanEntryRow r;
  r.practice_id = s.Text(0);
  r.campaign_id = s.Text(1);
  r.step = static_cast<int>(s.Int(2));
  r.patient_id = s.Text(3);
  r.decision = s.Text(4);
  r.reason = s.Text(5);
  r.channel = s.Text(6);
  r.language = s.Text(7);
  r.message_id = s.Text(8);
  r.planned_at = FromMillis(s.Int(9));
  return r;
}
constexpr std::string_view kPlanColumns =
    "practice_id, campaign_id, step, patient_id, decision, reason, channel, language, message_id, planned_at_ms";

InboundEventRow ReadInbound(const Stmt& s) {
  InboundEventRow r;
  r.practice_id = s.Text(0);
  r.event_id = s.Text(1);
  r.patient_id = s.Text(2);
  r.channel = s.Text(3);
  r.kind = s.Text(4);
  r.campaign_id = s.Text(5);
  r.message_id = s.Text(6);
  r.received_at = FromMillis(s.Int(7));
  return r;
}
constexpr std::string_view kInboundColumns =
    "practice_id, event_id, patient_id, channel, kind, campaign_id, message_id, received_at_ms";

class SqliteRunStore final : public RunStore {
 public:
  SqliteRunStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status StartRun(const std::vector<StepRunRow>& steps, const audit::AuditEvent& event) override {
    for (size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].practice_id != event.practice_id || steps[i].step != static_cast<int>(i) ||
          steps[i].campaign_id != steps[0].campaign_id) {
        return InvalidArgumentError("step runs must be one campaign's steps in order");
      }
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePractice(db_, event.practice_id));
    if (steps.empty()) return InvalidArgumentError("a run needs at least one step");
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM step_runs WHERE practice_id = ? AND campaign_id = ?"));
    q.Bind(1, event.practice_id).Bind(2, steps[0].campaign_id);
    ASSIGN_OR_RETURN(bool exists, q.Step());
    if (exists) return OkStatus();
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO step_runs (practice_id, campaign_id, step, due_at_ms) "
                                            "VALUES (?,?,?,?)"));
    for (const StepRunRow& r : steps) {
      ins.Bind(1, r.practice_id).Bind(2, r.campaign_id).Bind(3, int64_t{r.step}).Bind(4, ToMillis(r.due_at));
      Status s = ins.Run();
      ins.Reset();
      RETURN_IF_ERROR(s);
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<StepRunRow>> StepRuns(const std::string& practice_id, const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kStepRunColumns) +
                                          " FROM step_runs WHERE practice_id = ? AND campaign_id = ? ORDER BY step"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    return Collect<StepRunRow>(s, ReadStepRun);
  }

  StatusOr<std::vector<StepRunRow>> DueSteps(TimePoint now, int limit) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kStepRunColumns) +
                                          " FROM step_runs r WHERE planned_at_ms IS NULL AND due_at_ms <= ? AND "
                                          "EXISTS (SELECT 1 FROM campaigns c WHERE c.practice_id = r.practice_id "
                                          "AND c.campaign_id = r.campaign_id AND c.state IN ('scheduled', 'running')) "
                                          "ORDER BY due_at_ms, practice_id, campaign_id, step LIMIT ?"));
    s.Bind(1, ToMillis(now)).Bind(2, int64_t{limit});
    return Collect<StepRunRow>(s, ReadStepRun);
  }

  Status MarkStepPlanned(const std::string& practice_id, const std::string& campaign_id, int step, TimePoint at,
                         const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE step_runs SET planned_at_ms = ?, entries = (SELECT count(*) FROM "
                                           "plan_entries p WHERE p.practice_id = ?2 AND p.campaign_id = ?3 AND "
                                           "p.step = ?4) WHERE practice_id = ?2 AND campaign_id = ?3 AND step = ?4 "
                                           "AND planned_at_ms IS NULL"));
    up.Bind(1, ToMillis(at)).Bind(2, practice_id).Bind(3, campaign_id).Bind(4, int64_t{step});
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db_->raw()) == 0) {
      ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM step_runs WHERE practice_id = ? AND campaign_id = ? AND "
                                            "step = ?"));
      q.Bind(1, practice_id).Bind(2, campaign_id).Bind(3, int64_t{step});
      ASSIGN_OR_RETURN(bool exists, q.Step());
      if (!exists) return NotFoundError("no step run " + std::to_string(step) + " of campaign " + campaign_id);
      return OkStatus();  // already planned
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<int64_t> CommitPlan(const std::vector<PlanEntryRow>& entries, const std::vector<OutboxRow>& rows,
                               const audit::AuditEvent& event) override {
    for (const PlanEntryRow& e : entries) {
      if (e.practice_id != event.practice_id) return InvalidArgumentError("plan entry belongs to another practice");
    }
    for (const OutboxRow& r : rows) {
      if (r.practice_id != event.practice_id) return InvalidArgumentError("outbox row belongs to another practice");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePractice(db_, event.practice_id));
    const int64_t now_ms = ToMillis(event.time);
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO plan_entries (") + std::string(kPlanColumns) +
                                            ") VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
    int64_t entries_inserted = 0;
    for (const PlanEntryRow& e : entries) {
      ins.BindUnowned(1, e.practice_id).BindUnowned(2, e.campaign_id).Bind(3, int64_t{e.step});
      ins.BindUnowned(4, e.patient_id).BindUnowned(5, e.decision).BindUnowned(6, e.reason);
      ins.BindUnowned(7, e.channel).BindUnowned(8, e.language).BindUnowned(9, e.message_id);
      ins.Bind(10, ToMillis(e.planned_at));
      Status s = ins.Run();
      ins.Reset();
      RETURN_IF_ERROR(s);
      entries_inserted += sqlite3_changes(db_->raw());
    }
    ASSIGN_OR_RETURN(Stmt out, PrepareOutboxInsert(db_));
    int64_t messages_inserted = 0;
    for (const OutboxRow& r : rows) {
      ASSIGN_OR_RETURN(bool inserted, InsertOutboxLocked(db_, out, r, now_ms));
      messages_inserted += inserted ? 1 : 0;
    }
    audit::AuditEvent e = event;
    e.details["entries_inserted"] = entries_inserted;
    e.details["messages_inserted"] = messages_inserted;
    RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    RETURN_IF_ERROR(txn.Commit());
    return entries_inserted;
  }

  StatusOr<std::vector<PlanEntryRow>> PlanFor(const std::string& practice_id, const std::string& campaign_id,
                                              const std::string& patient_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPlanColumns) +
                                          " FROM plan_entries WHERE practice_id = ? AND campaign_id = ? AND "
                                          "patient_id = ? ORDER BY step"));
    s.Bind(1, practice_id).Bind(2, campaign_id).Bind(3, patient_id);
    return Collect<PlanEntryRow>(s, ReadPlan);
  }

  StatusOr<std::vector<PlanEntryRow>> ListPlan(const std::string& practice_id, const std::string& campaign_id,
                                               int step, const std::string& decision) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPlanColumns) +
                                          " FROM plan_entries WHERE practice_id = ? AND campaign_id = ? AND "
                                          "step = ? AND (? = '' OR decision = ?5) ORDER BY patient_id"));
    s.Bind(1, practice_id).Bind(2, campaign_id).Bind(3, int64_t{step}).Bind(4, decision).Bind(5, decision);
    return Collect<PlanEntryRow>(s, ReadPlan);
  }

  StatusOr<RunCounts> Counts(const std::string& practice_id, const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    RunCounts c;
    ASSIGN_OR_RETURN(Stmt p, db_->Prepare("SELECT step, decision, reason, channel, count(*) FROM plan_entries WHERE "
                                          "practice_id = ? AND campaign_id = ? GROUP BY step, decision, reason, "
                                          "channel"));
    p.Bind(1, practice_id).Bind(2, campaign_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, p.Step());
      if (!row) break;
      const int step = static_cast<int>(p.Int(0));
      const std::string decision = p.Text(1);
      const int64_t n = p.Int(4);
      if (decision == kPlanPlanned) {
        c.planned += n;
        c.per_step[step]["planned"] += n;
        c.channels_per_step[step][p.Text(3)] += n;
      } else if (decision == kPlanCallList) {
        c.call_list += n;
        c.per_step[step]["call_list:" + p.Text(2)] += n;
      } else {
        c.skipped_by_reason[p.Text(2)] += n;
        c.per_step[step]["skipped:" + p.Text(2)] += n;
      }
    }
    ASSIGN_OR_RETURN(Stmt i, db_->Prepare("SELECT kind, received_at_ms / 3600000, count(*) FROM inbound_events "
                                          "WHERE practice_id = ? AND campaign_id = ? GROUP BY 1, 2"));
    i.Bind(1, practice_id).Bind(2, campaign_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, i.Step());
      if (!row) break;
      c.inbound_by_kind[i.Text(0)] += i.Int(2);
      c.inbound_by_hour[i.Int(1)][i.Text(0)] += i.Int(2);
    }
    ASSIGN_OR_RETURN(Stmt o, db_->Prepare("SELECT coalesce(sum(delivery = 'delivered'), 0), "
                                          "coalesce(sum(delivery IN ('undeliverable', 'failed')), 0), "
                                          "coalesce(sum(defers > 0), 0) FROM outbox WHERE practice_id = ? AND "
                                          "campaign_id = ?"));
    o.Bind(1, practice_id).Bind(2, campaign_id);
    ASSIGN_OR_RETURN(bool row, o.Step());
    if (row) {
      c.delivered = o.Int(0);
      c.undeliverable = o.Int(1);
      c.deferred = o.Int(2);
    }
    return c;
  }

  Status RecordInbound(const InboundEventRow& row, const audit::AuditEvent& event) override {
    if (row.practice_id != event.practice_id) return InvalidArgumentError("inbound event belongs to another practice");
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePractice(db_, row.practice_id));
    RETURN_IF_ERROR(InsertInboundLocked(db_, row));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<InboundEventRow>> InboundSince(const std::string& practice_id, const std::string& patient_id,
                                                      TimePoint since) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kInboundColumns) +
                                          " FROM inbound_events WHERE practice_id = ? AND patient_id = ? AND "
                                          "received_at_ms >= ? ORDER BY received_at_ms, event_id"));
    s.Bind(1, practice_id).Bind(2, patient_id).Bind(3, ToMillis(since));
    return Collect<InboundEventRow>(s, ReadInbound);
  }

  StatusOr<std::vector<std::string>> RespondersSince(const std::string& practice_id, TimePoint since) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT DISTINCT patient_id FROM inbound_events WHERE practice_id = ? AND "
                                          "patient_id <> '' AND received_at_ms >= ? ORDER BY patient_id"));
    s.Bind(1, practice_id).Bind(2, ToMillis(since));
    return Collect<std::string>(s, [](const Stmt& st) { return st.Text(0); });
  }

  Status MarkContactInvalid(const InvalidContactRow& row, const audit::AuditEvent& event) override {
    if (row.practice_id != event.practice_id) return InvalidArgumentError("contact belongs to another practice");
    if (row.contact_index.empty()) return InvalidArgumentError("an invalid contact needs its blind index");
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePractice(db_, row.practice_id));
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO invalid_contacts (practice_id, patient_id, channel, "
                                            "contact_index, reason, message_id, marked_at_ms) VALUES "
                                            "(?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
    ins.Bind(1, row.practice_id).Bind(2, row.patient_id).Bind(3, row.channel);
    BindIndex(ins, 4, row.contact_index);
    ins.Bind(5, row.reason).Bind(6, row.message_id).Bind(7, ToMillis(row.marked_at));
    RETURN_IF_ERROR(ins.Run());
    if (sqlite3_changes(db_->raw()) == 0) return OkStatus();  // already known
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<bool> IsContactInvalid(const std::string& practice_id, const std::string& patient_id,
                                  const std::string& channel, const std::string& contact_index) override {
    if (contact_index.empty()) return false;
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT 1 FROM invalid_contacts WHERE practice_id = ? AND patient_id = ? "
                                          "AND channel = ? AND contact_index = ?"));
    s.Bind(1, practice_id).Bind(2, patient_id).Bind(3, channel);
    BindIndex(s, 4, contact_index);
    return s.Step();
  }

  StatusOr<std::vector<InvalidContactRow>> InvalidContacts(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT practice_id, patient_id, channel, contact_index, reason, message_id, "
                                          "marked_at_ms FROM invalid_contacts WHERE practice_id = ? "
                                          "ORDER BY patient_id, channel"));
    s.Bind(1, practice_id);
    return Collect<InvalidContactRow>(s, [](const Stmt& st) {
      return InvalidContactRow{st.Text(0), st.Text(1),   st.Text(2),
                               ReadIndex(st, 3), st.Text(4), st.Text(5),
                               FromMillis(st.Int(6))};
    });
  }

 private:
  template <typename Row, typename Read>
  static StatusOr<std::vector<Row>> Collect(Stmt& s, Read read) {
    std::vector<Row> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(read(s));
    }
    return out;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

Status RequirePracticeLocked(Db* db, const std::string& practice_id) { return RequirePractice(db, practice_id); }

Status InsertInboundLocked(Db* db, const InboundEventRow& row) {
  ASSIGN_OR_RETURN(Stmt ins, db->Prepare(std::string("INSERT INTO inbound_events (") + std::string(kInboundColumns) +
                                         ") VALUES (?,?,?,?,?,?,?,?)"));
  ins.Bind(1, row.practice_id).Bind(2, row.event_id).Bind(3, row.patient_id).Bind(4, row.channel);
  ins.Bind(5, row.kind).Bind(6, row.campaign_id).Bind(7, row.message_id).Bind(8, ToMillis(row.received_at));
  Status s = ins.Run();
  if (!s.ok() && s.code() == StatusCode::kAlreadyExists) return AlreadyExistsError("inbound event " + row.event_id);
  return s;
}

std::unique_ptr<RunStore> NewSqliteRunStore(Db* db, std::mutex* mu) { return std::make_unique<SqliteRunStore>(db, mu); }

}  // namespace recall::store::sqlite
