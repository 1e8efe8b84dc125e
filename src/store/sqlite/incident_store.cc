// The SQLite IncidentStore (store/incident_store.h). Shares the store's connection
// and its one mutex.
#include <mutex>

#include "store/incident_store.h"
#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kIncidentColumns =
    "incident_id, source, severity, status, discovered_at_ms, opened_at_ms, closed_at_ms, description, resolution, "
    "dedupe_key, opened_by, trigger_count";

IncidentRow ReadIncident(const Stmt& s) {
  IncidentRow r;
  r.incident_id = s.Text(0);
  r.source = s.Text(1);
  r.severity = s.Text(2);
  r.status = s.Text(3);
  r.discovered_at = FromMillis(s.Int(4));
  r.opened_at = FromMillis(s.Int(5));
  if (!s.IsNull(6)) r.closed_at = FromMillis(s.Int(6));
  r.description = s.Text(7);
  r.resolution = s.Text(8);
  r.dedupe_key = s.Text(9);
  r.opened_by = s.Text(10);
  r.trigger_count = s.Int(11);
  return r;
}

class SqliteIncidentStore final : public IncidentStore {
 public:
  SqliteIncidentStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Create(const IncidentRow& row, const std::vector<IncidentPracticeRow>& practices,
                const IncidentUpdateRow& update, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    if (!row.dedupe_key.empty()) {
      ASSIGN_OR_RETURN(auto open, FindOpenLocked(row.dedupe_key));
      if (open) return AlreadyExistsError("incident " + open->incident_id + " is open for the same trigger");
    }
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO incidents (incident_id, source, severity, status, "
                                            "discovered_at_ms, opened_at_ms, description, dedupe_key, opened_by, "
                                            "trigger_count) VALUES (?,?,?,'open',?,?,?,?,?,?)"));
    ins.Bind(1, row.incident_id).Bind(2, row.source).Bind(3, row.severity);
    ins.Bind(4, ToMillis(row.discovered_at)).Bind(5, ToMillis(row.opened_at)).Bind(6, row.description);
    ins.Bind(7, row.dedupe_key).Bind(8, row.opened_by).Bind(9, row.trigger_count);
    RETURN_IF_ERROR(ins.Run());
    for (const auto& p : practices) RETURN_IF_ERROR(UpsertPracticeLocked(row.incident_id, p, AffectedMerge::kSet));
    RETURN_IF_ERROR(AppendUpdateLocked(row.incident_id, update));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<IncidentDetail> Get(const std::string& incident_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetLocked(incident_id);
  }

  StatusOr<std::optional<IncidentRow>> FindOpen(const std::string& dedupe_key) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return FindOpenLocked(dedupe_key);
  }

  StatusOr<std::vector<IncidentDetail>> List(const IncidentFilter& filter) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT incident_id FROM incidents") +
                                          (filter.open_only ? " WHERE status = 'open'" : "") +
                                          " ORDER BY opened_at_ms DESC, incident_id DESC"));
    std::vector<std::string> ids;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.Text(0));
    }
    std::vector<IncidentDetail> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
      ASSIGN_OR_RETURN(auto detail, GetLocked(id));
      out.push_back(std::move(detail));
    }
    return out;
  }

  Status Update(const std::string& incident_id, const IncidentChange& change, const IncidentUpdateRow& update,
                const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequireOpenLocked(incident_id));
    if (change.description) RETURN_IF_ERROR(SetColumnLocked(incident_id, "description", *change.description));
    if (change.severity) RETURN_IF_ERROR(SetColumnLocked(incident_id, "severity", *change.severity));
    if (change.triggered) {
      ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE incidents SET trigger_count = trigger_count + 1 "
                                             "WHERE incident_id = ?"));
      up.Bind(1, incident_id);
      RETURN_IF_ERROR(up.Run());
    }
    for (const auto& p : change.practices) RETURN_IF_ERROR(UpsertPracticeLocked(incident_id, p, change.merge));
    RETURN_IF_ERROR(AppendUpdateLocked(incident_id, update));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status RecordNotification(const IncidentNotificationRow& row, const IncidentUpdateRow& update,
                            const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequireOpenLocked(row.incident_id));
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM incident_practices WHERE incident_id = ? AND practice_id = ?"));
    q.Bind(1, row.incident_id).Bind(2, row.practice_id);
    ASSIGN_OR_RETURN(bool listed, q.Step());
    if (!listed) return NotFoundError("practice " + row.practice_id + " is not affected by incident " + row.incident_id);
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO incident_notifications (incident_id, practice_id, recipient, "
                                            "channel, notified_at_ms, recorded_by, recorded_at_ms) "
                                            "VALUES (?,?,?,?,?,?,?)"));
    ins.Bind(1, row.incident_id).Bind(2, row.practice_id).Bind(3, row.recipient).Bind(4, row.channel);
    ins.Bind(5, ToMillis(row.notified_at)).Bind(6, row.recorded_by).Bind(7, ToMillis(row.recorded_at));
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(AppendUpdateLocked(row.incident_id, update));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status Close(const std::string& incident_id, const std::string& resolution, TimePoint closed_at,
               const IncidentUpdateRow& update, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequireOpenLocked(incident_id));
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE incidents SET status = 'closed', resolution = ?, closed_at_ms = ? "
                                           "WHERE incident_id = ?"));
    up.Bind(1, resolution).Bind(2, ToMillis(closed_at)).Bind(3, incident_id);
    RETURN_IF_ERROR(up.Run());
    RETURN_IF_ERROR(AppendUpdateLocked(incident_id, update));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<int64_t> CountAudit(const std::string& actor, const std::string& action, const std::string& practice_id,
                               TimePoint since) override {
    if (action != "patient.reveal" && action != "audit.export") {
      return InvalidArgumentError("only patient.reveal and audit.export are counted by actor");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    // audit_log.time is fixed-width RFC 3339 UTC: text order is time order. The
    // first term repeats the partial index's WHERE (migration 14) word for word.
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT COUNT(*) FROM audit_log INDEXED BY "
                                                      "audit_log_sensitive_by_actor WHERE action IN "
                                                      "('patient.reveal', 'audit.export') AND actor = ? AND "
                                                      "action = ? AND time >= ?") +
                                          (practice_id.empty() ? "" : " AND practice_id = ?")));
    s.Bind(1, actor).Bind(2, action).Bind(3, FormatRfc3339Millis(since));
    if (!practice_id.empty()) s.Bind(4, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }

 private:
  StatusOr<std::optional<IncidentRow>> FindOpenLocked(const std::string& dedupe_key) {
    if (dedupe_key.empty()) return std::optional<IncidentRow>();
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kIncidentColumns) +
                                          " FROM incidents WHERE dedupe_key = ? AND status = 'open'"));
    s.Bind(1, dedupe_key);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<IncidentRow>();
    return std::optional<IncidentRow>(ReadIncident(s));
  }

  StatusOr<IncidentRow> GetRowLocked(const std::string& incident_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kIncidentColumns) +
                                          " FROM incidents WHERE incident_id = ?"));
    s.Bind(1, incident_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no incident " + incident_id);
    return ReadIncident(s);
  }

  Status RequireOpenLocked(const std::string& incident_id) {
    ASSIGN_OR_RETURN(IncidentRow row, GetRowLocked(incident_id));
    if (row.status != "open") return FailedPreconditionError("incident " + incident_id + " is closed");
    return OkStatus();
  }

  // `column` is one of ours, never input.
  Status SetColumnLocked(const std::string& incident_id, const char* column, const std::string& value) {
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare(std::string("UPDATE incidents SET ") + column + " = ? WHERE incident_id = ?"));
    up.Bind(1, value).Bind(2, incident_id);
    return up.Run();
  }

  Status UpsertPracticeLocked(const std::string& incident_id, const IncidentPracticeRow& p, AffectedMerge merge) {
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    exists.Bind(1, p.practice_id);
    ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFoundError("no practice " + p.practice_id);
    // A practice already listed keeps its deadlines (they run from discovery,
    // under the BAA in force when it was added); only its count changes.
    const char* merged = merge == AffectedMerge::kAdd   ? "affected + excluded.affected"
                         : merge == AffectedMerge::kMax ? "MAX(affected, excluded.affected)"
                                                        : "excluded.affected";
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO incident_practices (incident_id, practice_id, "
                                                        "affected, breach_notice_hours, contractual_deadline_ms, "
                                                        "regulatory_deadline_ms, added_at_ms) VALUES (?,?,?,?,?,?,?) "
                                                        "ON CONFLICT (incident_id, practice_id) DO UPDATE SET "
                                                        "affected = ") +
                                            merged));
    ins.Bind(1, incident_id).Bind(2, p.practice_id).Bind(3, p.affected).Bind(4, int64_t{p.breach_notice_hours});
    ins.Bind(5, ToMillis(p.contractual_deadline)).Bind(6, ToMillis(p.regulatory_deadline)).Bind(7, ToMillis(p.added_at));
    return ins.Run();
  }

  Status AppendUpdateLocked(const std::string& incident_id, const IncidentUpdateRow& u) {
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO incident_updates (incident_id, seq, at_ms, actor, kind, note) "
                                            "SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM incident_updates "
                                            "WHERE incident_id = ?"));
    ins.Bind(1, incident_id).Bind(2, ToMillis(u.at)).Bind(3, u.actor).Bind(4, u.kind).Bind(5, u.note);
    ins.Bind(6, incident_id);
    return ins.Run();
  }

  StatusOr<IncidentDetail> GetLocked(const std::string& incident_id) {
    IncidentDetail d;
    ASSIGN_OR_RETURN(d.incident, GetRowLocked(incident_id));
    ASSIGN_OR_RETURN(Stmt p, db_->Prepare("SELECT practice_id, affected, breach_notice_hours, contractual_deadline_ms, "
                                          "regulatory_deadline_ms, added_at_ms FROM incident_practices "
                                          "WHERE incident_id = ? ORDER BY rowid"));
    p.Bind(1, incident_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, p.Step());
      if (!row) break;
      d.practices.push_back({incident_id, p.Text(0), p.Int(1), static_cast<int>(p.Int(2)), FromMillis(p.Int(3)),
                             FromMillis(p.Int(4)), FromMillis(p.Int(5))});
    }
    ASSIGN_OR_RETURN(Stmt n, db_->Prepare("SELECT practice_id, recipient, channel, notified_at_ms, recorded_by, "
                                          "recorded_at_ms FROM incident_notifications WHERE incident_id = ? "
                                          "ORDER BY seq"));
    n.Bind(1, incident_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, n.Step());
      if (!row) break;
      d.notifications.push_back({incident_id, n.Text(0), n.Text(1), n.Text(2), FromMillis(n.Int(3)), n.Text(4),
                                 FromMillis(n.Int(5))});
    }
    ASSIGN_OR_RETURN(Stmt u, db_->Prepare("SELECT seq, at_ms, actor, kind, note FROM incident_updates "
                                          "WHERE incident_id = ? ORDER BY seq"));
    u.Bind(1, incident_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, u.Step());
      if (!row) break;
      d.updates.push_back({incident_id, u.Int(0), FromMillis(u.Int(1)), u.Text(2), u.Text(3), u.Text(4)});
    }
    return d;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<IncidentStore> NewSqliteIncidentStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteIncidentStore>(db, mu);
}

}  // namespace recall::store::sqlite
