// The SQLite HandoffStore (store/handoff_store.h). Shares the store's connection
// and its one mutex.
#include <algorithm>
#include <mutex>
#include <tuple>

#include "store/handoff_store.h"
#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kColumns =
    "practice_id, handoff_id, patient_id, channel, inbound_event_id, category, priority, status, assignee, "
    "text_enc, created_ms, acknowledged_ms, resolved_ms, escalated_ms";

TimePoint OptionalTime(int64_t ms) { return ms == 0 ? TimePoint() : FromMillis(ms); }

HandoffRow ReadRow(const Stmt& s) {
  HandoffRow r;
  r.practice_id = s.Text(0);
  r.handoff_id = s.Text(1);
  r.patient_id = s.Text(2);
  r.channel = s.Text(3);
  r.inbound_event_id = s.Text(4);
  r.category = s.Text(5);
  r.priority = static_cast<int>(s.Int(6));
  r.status = s.Text(7);
  r.assignee = s.Text(8);
  r.text_enc = s.IsNull(9) ? "" : s.Blob(9);
  r.created_at = FromMillis(s.Int(10));
  r.acknowledged_at = OptionalTime(s.Int(11));
  r.resolved_at = OptionalTime(s.Int(12));
  r.escalated_at = OptionalTime(s.Int(13));
  return r;
}

// The list cursor: "<priority>.<created_ms>.<handoff_id>" of the last row shown.
std::string CursorOf(const HandoffRow& r) {
  return std::to_string(r.priority) + "." + std::to_string(ToMillis(r.created_at)) + "." + r.handoff_id;
}

StatusOr<std::tuple<int64_t, int64_t, std::string>> ParseCursor(const std::string& cursor) {
  const size_t a = cursor.find('.');
  const size_t b = a == std::string::npos ? a : cursor.find('.', a + 1);
  if (b == std::string::npos) return InvalidArgumentError("malformed cursor");
  try {
    size_t used = 0;
    const int64_t priority = std::stoll(cursor.substr(0, a), &used);
    if (used != a) return InvalidArgumentError("malformed cursor");
    const int64_t ms = std::stoll(cursor.substr(a + 1, b - a - 1), &used);
    if (used != b - a - 1) return InvalidArgumentError("malformed cursor");
    return std::make_tuple(priority, ms, cursor.substr(b + 1));
  } catch (const std::exception&) {
    return InvalidArgumentError("malformed cursor");
  }
}

class SqliteHandoffStore final : public HandoffStore {
 public:
  SqliteHandoffStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Open(const HandoffRow& r, const audit::AuditEvent& event) override {
    if (r.category != "urgent" && r.category != "clinical" && r.category != "other") {
      return InvalidArgumentError("unknown hand-off category");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    exists.Bind(1, r.practice_id);
    ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFoundError("no practice " + r.practice_id);
    ASSIGN_OR_RETURN(Stmt dup, db_->Prepare("SELECT 1 FROM handoffs WHERE practice_id = ? AND handoff_id = ?"));
    dup.Bind(1, r.practice_id).Bind(2, r.handoff_id);
    ASSIGN_OR_RETURN(bool taken, dup.Step());
    if (taken) return AlreadyExistsError("hand-off " + r.handoff_id + " exists");
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO handoffs (" + std::string(kColumns) +
                                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,0,0,0)"));
    ins.Bind(1, r.practice_id).Bind(2, r.handoff_id).Bind(3, r.patient_id).Bind(4, r.channel);
    ins.Bind(5, r.inbound_event_id).Bind(6, r.category).Bind(7, int64_t{r.priority}).Bind(8, kHandoffOpen);
    ins.Bind(9, r.assignee).BindBlob(10, r.text_enc).Bind(11, ToMillis(r.created_at));
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(AddEventLocked(r.practice_id, r.handoff_id, "opened", event.actor, "", r.created_at));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<HandoffRow> Get(const std::string& practice_id, const std::string& handoff_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetLocked(practice_id, handoff_id);
  }

  StatusOr<Page<HandoffRow>> List(const std::string& practice_id, const std::string& status,
                                  const PageRequest& page) override {
    const int limit = std::clamp(page.limit, 1, 1000);
    std::string sql = "SELECT " + std::string(kColumns) + " FROM handoffs WHERE practice_id = ?";
    if (!status.empty()) sql += " AND status = ?";
    int64_t after_priority = 0, after_ms = 0;
    std::string after_id;
    if (!page.after.empty()) {
      ASSIGN_OR_RETURN(auto cursor, ParseCursor(page.after));
      std::tie(after_priority, after_ms, after_id) = cursor;
      sql += " AND (priority, created_ms, handoff_id) > (?, ?, ?)";
    }
    sql += " ORDER BY priority, created_ms, handoff_id LIMIT ?";
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
    int idx = 1;
    s.Bind(idx++, practice_id);
    if (!status.empty()) s.Bind(idx++, status);
    if (!page.after.empty()) {
      s.Bind(idx, after_priority).Bind(idx + 1, after_ms).Bind(idx + 2, after_id);
      idx += 3;
    }
    s.Bind(idx, int64_t{limit} + 1);
    Page<HandoffRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.rows.push_back(ReadRow(s));
    }
    if (static_cast<int>(out.rows.size()) > limit) {
      out.rows.pop_back();
      out.next = CursorOf(out.rows.back());
    }
    return out;
  }

  StatusOr<std::vector<HandoffEventRow>> Events(const std::string& practice_id,
                                                const std::string& handoff_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    RETURN_IF_ERROR(GetLocked(practice_id, handoff_id).status());
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT handoff_id, seq, kind, actor, ref, at_ms FROM handoff_events "
                                          "WHERE practice_id = ? AND handoff_id = ? ORDER BY seq"));
    s.Bind(1, practice_id).Bind(2, handoff_id);
    std::vector<HandoffEventRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back({s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), FromMillis(s.Int(5))});
    }
    return out;
  }

  Status Assign(const std::string& practice_id, const std::string& handoff_id, const std::string& assignee,
                TimePoint at, const audit::AuditEvent& event) override {
    return Transition(practice_id, handoff_id, event, [&](const HandoffRow& cur) -> Status {
      if (cur.status == kHandoffResolved) return Refuse(handoff_id, "is resolved");
      ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE handoffs SET assignee = ? WHERE practice_id = ? AND handoff_id = ?"));
      up.Bind(1, assignee).Bind(2, practice_id).Bind(3, handoff_id);
      RETURN_IF_ERROR(up.Run());
      return AddEventLocked(practice_id, handoff_id, "assigned", event.actor, assignee, at);
    });
  }

  Status Acknowledge(const std::string& practice_id, const std::string& handoff_id, TimePoint at,
                     const audit::AuditEvent& event) override {
    return Transition(practice_id, handoff_id, event, [&](const HandoffRow& cur) -> Status {
      if (cur.status != kHandoffOpen) return Refuse(handoff_id, "is " + cur.status + ", not open");
      RETURN_IF_ERROR(SetStatusLocked(practice_id, handoff_id, kHandoffAcknowledged, "acknowledged_ms", at));
      return AddEventLocked(practice_id, handoff_id, "acknowledged", event.actor, "", at);
    });
  }

  Status Resolve(const std::string& practice_id, const std::string& handoff_id, TimePoint at,
                 const audit::AuditEvent& event) override {
    return Transition(practice_id, handoff_id, event, [&](const HandoffRow& cur) -> Status {
      if (cur.status == kHandoffResolved) return Refuse(handoff_id, "is resolved already");
      RETURN_IF_ERROR(SetStatusLocked(practice_id, handoff_id, kHandoffResolved, "resolved_ms", at));
      return AddEventLocked(practice_id, handoff_id, "resolved", event.actor, "", at);
    });
  }

  Status RecordReply(const std::string& practice_id, const std::string& handoff_id, const std::string& message_id,
                     TimePoint at, const audit::AuditEvent& event) override {
    return Transition(practice_id, handoff_id, event, [&](const HandoffRow& cur) -> Status {
      if (cur.status == kHandoffResolved) return Refuse(handoff_id, "is resolved");
      if (cur.status == kHandoffOpen) {
        RETURN_IF_ERROR(SetStatusLocked(practice_id, handoff_id, kHandoffAcknowledged, "acknowledged_ms", at));
        RETURN_IF_ERROR(AddEventLocked(practice_id, handoff_id, "acknowledged", event.actor, "", at));
      }
      return AddEventLocked(practice_id, handoff_id, "replied", event.actor, message_id, at);
    });
  }

  StatusOr<std::vector<HandoffRow>> DueForEscalation(TimePoint created_before) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT " + std::string(kColumns) +
                                          " FROM handoffs WHERE status = 'open' AND category = 'urgent' AND "
                                          "escalated_ms = 0 AND created_ms <= ? ORDER BY created_ms, handoff_id"));
    s.Bind(1, ToMillis(created_before));
    std::vector<HandoffRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRow(s));
    }
    return out;
  }

  Status MarkEscalated(const std::string& practice_id, const std::string& handoff_id, const std::string& message_id,
                       TimePoint at, const audit::AuditEvent& event) override {
    return Transition(practice_id, handoff_id, event, [&](const HandoffRow& cur) -> Status {
      if (cur.escalated_at != TimePoint()) return Refuse(handoff_id, "was escalated already");
      if (cur.status != kHandoffOpen) return Refuse(handoff_id, "is " + cur.status + ", not open");
      ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE handoffs SET escalated_ms = ? WHERE practice_id = ? AND "
                                             "handoff_id = ?"));
      up.Bind(1, ToMillis(at)).Bind(2, practice_id).Bind(3, handoff_id);
      RETURN_IF_ERROR(up.Run());
      return AddEventLocked(practice_id, handoff_id, "escalated", event.actor, message_id, at);
    });
  }

 private:
  static Status Refuse(const std::string& handoff_id, const std::string& why) {
    return FailedPreconditionError("hand-off " + handoff_id + " " + why);
  }

  // One checked change: reads the row, applies `change`, audits, commits.
  template <typename Fn>
  Status Transition(const std::string& practice_id, const std::string& handoff_id, const audit::AuditEvent& event,
                    Fn change) {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(HandoffRow current, GetLocked(practice_id, handoff_id));
    RETURN_IF_ERROR(change(current));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<HandoffRow> GetLocked(const std::string& practice_id, const std::string& handoff_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT " + std::string(kColumns) +
                                          " FROM handoffs WHERE practice_id = ? AND handoff_id = ?"));
    s.Bind(1, practice_id).Bind(2, handoff_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no hand-off " + handoff_id + " in practice " + practice_id);
    return ReadRow(s);
  }

  Status SetStatusLocked(const std::string& practice_id, const std::string& handoff_id, const char* status,
                         const char* time_column, TimePoint at) {
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare(std::string("UPDATE handoffs SET status = ?, ") + time_column +
                                           " = ? WHERE practice_id = ? AND handoff_id = ?"));
    up.Bind(1, status).Bind(2, ToMillis(at)).Bind(3, practice_id).Bind(4, handoff_id);
    return up.Run();
  }

  Status AddEventLocked(const std::string& practice_id, const std::string& handoff_id, const char* kind,
                        const std::string& actor, const std::string& ref, TimePoint at) {
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(
                                   "INSERT INTO handoff_events (practice_id, handoff_id, seq, kind, actor, ref, at_ms) "
                                   "SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM handoff_events "
                                   "WHERE practice_id = ? AND handoff_id = ?"));
    ins.Bind(1, practice_id).Bind(2, handoff_id).Bind(3, kind).Bind(4, actor).Bind(5, ref).Bind(6, ToMillis(at));
    ins.Bind(7, practice_id).Bind(8, handoff_id);
    return ins.Run();
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<HandoffStore> NewSqliteHandoffStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteHandoffStore>(db, mu);
}

}  // namespace recall::store::sqlite
