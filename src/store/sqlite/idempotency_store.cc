// The SQLite IdempotencyStore (store/idempotency_store.h). Shares the store's
// connection and its one mutex. Times are INTEGER milliseconds since the Unix
// epoch; table idempotency_keys (migration 13).
#include <mutex>

#include "store/idempotency_store.h"
#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kColumns =
    "record_id, practice_id, principal, route, scope_hash, body_hash, done, status, content_type, response_sealed, "
    "created_at_ms, expires_at_ms";

IdempotencyRecord Read(const Stmt& s) {
  IdempotencyRecord r;
  r.record_id = s.Text(0);
  r.practice_id = s.Text(1);
  r.principal = s.Text(2);
  r.route = s.Text(3);
  r.scope_hash = s.Text(4);
  r.body_hash = s.Text(5);
  r.done = s.Int(6) != 0;
  r.status = static_cast<int>(s.Int(7));
  r.content_type = s.Text(8);
  r.response_sealed = s.Blob(9);
  r.created_at = FromMillis(s.Int(10));
  r.expires_at = FromMillis(s.Int(11));
  return r;
}

class SqliteIdempotencyStore final : public IdempotencyStore {
 public:
  SqliteIdempotencyStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  StatusOr<IdempotencyBegin> Begin(const IdempotencyRecord& record, TimePoint now, std::chrono::milliseconds lease,
                                   IdempotencyRecord* existing) override {
    if (record.scope_hash.empty() || record.record_id.empty()) {
      return InvalidArgumentError("an idempotency record needs a scope and an id");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare(std::string("SELECT ") + std::string(kColumns) +
                                          " FROM idempotency_keys WHERE practice_id = ? AND scope_hash = ?"));
    q.Bind(1, record.practice_id).Bind(2, record.scope_hash);
    ASSIGN_OR_RETURN(bool found, q.Step());
    if (found) {
      IdempotencyRecord have = Read(q);
      const bool live = have.done ? have.expires_at > now : have.created_at + lease > now;
      if (live) {
        if (existing != nullptr) *existing = std::move(have);
        return have.done ? IdempotencyBegin::kDone : IdempotencyBegin::kInFlight;
      }
      ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM idempotency_keys WHERE practice_id = ? AND record_id = ?"));
      del.Bind(1, have.practice_id).Bind(2, have.record_id);
      RETURN_IF_ERROR(del.Run());
    }
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO idempotency_keys (") + std::string(kColumns) +
                                            ") VALUES (?,?,?,?,?,?,0,0,'',NULL,?,?)"));
    ins.Bind(1, record.record_id).Bind(2, record.practice_id).Bind(3, record.principal).Bind(4, record.route);
    ins.Bind(5, record.scope_hash).Bind(6, record.body_hash).Bind(7, ToMillis(now)).Bind(8, ToMillis(record.expires_at));
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(txn.Commit());
    return IdempotencyBegin::kStarted;
  }

  Status Complete(const std::string& practice_id, const std::string& record_id, const std::string& body_hash,
                  int status, const std::string& content_type, const std::string& response_sealed) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE idempotency_keys SET done = 1, body_hash = ?, status = ?, "
                                           "content_type = ?, response_sealed = ? "
                                           "WHERE practice_id = ? AND record_id = ? AND done = 0"));
    up.Bind(1, body_hash).Bind(2, int64_t{status}).Bind(3, content_type).BindBlob(4, response_sealed);
    up.Bind(5, practice_id).Bind(6, record_id);
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFoundError("idempotency record " + record_id + " is gone");
    return OkStatus();
  }

  Status Abandon(const std::string& practice_id, const std::string& record_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM idempotency_keys WHERE practice_id = ? AND record_id = ? "
                                            "AND done = 0"));
    del.Bind(1, practice_id).Bind(2, record_id);
    return del.Run();
  }

  StatusOr<int64_t> Sweep(TimePoint now, std::chrono::milliseconds lease, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM idempotency_keys WHERE expires_at_ms <= ? "
                                            "OR (done = 0 AND created_at_ms <= ?)"));
    del.Bind(1, ToMillis(now)).Bind(2, ToMillis(now) - lease.count());
    RETURN_IF_ERROR(del.Run());
    const int64_t deleted = sqlite3_changes(db_->raw());
    if (deleted == 0) return int64_t{0};  // nothing changed: no audit record, the transaction rolls back
    audit::AuditEvent e = event;
    e.details["deleted"] = deleted;
    RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    RETURN_IF_ERROR(txn.Commit());
    return deleted;
  }

  StatusOr<int64_t> Count(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT COUNT(*) FROM idempotency_keys WHERE practice_id = ?"));
    q.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : int64_t{0};
  }

 private:
  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<IdempotencyStore> NewSqliteIdempotencyStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteIdempotencyStore>(db, mu);
}

}  // namespace recall::store::sqlite
