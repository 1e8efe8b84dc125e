#pragma once
// Shared by the SQLite sub-stores; private to src/store/sqlite/.
#include <memory>
#include <mutex>
#include <optional>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "store/sqlite/db.h"
#include "store/store.h"

namespace recall::store::sqlite {

// Appends one audit record inside the caller's open transaction (the caller
// holds the store mutex and has begun a Txn). When a checkpoint signer is
// installed for `db` and the new seq is a multiple of its interval, the chain
// head is signed and the checkpoint written in the same transaction: no writer
// can append without it.
StatusOr<audit::AuditRecord> AppendAuditLocked(Db* db, const audit::AuditEvent& event);

// The same for many records: reads the head and prepares the statements once
// (AppendAuditLocked is one Start and one Append). Lives inside one transaction.
class AuditAppender {
 public:
  static StatusOr<AuditAppender> Start(Db* db);
  StatusOr<audit::AuditRecord> Append(const audit::AuditEvent& event);
  // Signs the current head unless a checkpoint covers it (nullopt then).
  // FailedPrecondition when no signer is installed; NotFound on an empty log.
  StatusOr<std::optional<audit::Checkpoint>> CheckpointHead(TimePoint now);
  int64_t head_seq() const { return seq_; }

 private:
  AuditAppender() = default;
  Status WriteCheckpoint(const audit::Checkpoint& checkpoint);
  Db* db_ = nullptr;
  int64_t seq_ = 0;
  std::string head_hash_;
  Stmt insert_;
  Stmt insert_checkpoint_;  // prepared on first use
  bool checkpoint_prepared_ = false;
  std::shared_ptr<const crypto::SigningKey> signer_;
  int64_t every_n_ = 0;
};

// Installs (or, with nullptr, removes) the checkpoint signer for the
// connection `db`; every_n <= 0 means audit::kDefaultCheckpointEvery.
void SetAuditSigner(Db* db, std::shared_ptr<const crypto::SigningKey> key, int64_t every_n);

// Sub-store factories; each lives in its own file. All share one connection
// and one mutex (the store's only lock).
std::unique_ptr<ConsentStore> NewSqliteConsentStore(Db* db, std::mutex* mu);    // consent_store.cc
std::unique_ptr<CampaignStore> NewSqliteCampaignStore(Db* db, std::mutex* mu);  // campaign_store.cc
std::unique_ptr<VendorStore> NewSqliteVendorStore(Db* db, std::mutex* mu);      // vendor_store.cc
std::unique_ptr<OutboxStore> NewSqliteOutboxStore(Db* db, std::mutex* mu);      // outbox_store.cc
std::unique_ptr<RunStore> NewSqliteRunStore(Db* db, std::mutex* mu);            // run_store.cc
std::unique_ptr<UserStore> NewSqliteUserStore(Db* db, std::mutex* mu);          // user_store.cc
std::unique_ptr<LifecycleStore> NewSqliteLifecycleStore(Db* db, std::mutex* mu);      // lifecycle_store.cc
std::unique_ptr<IncidentStore> NewSqliteIncidentStore(Db* db, std::mutex* mu);        // incident_store.cc
std::unique_ptr<HandoffStore> NewSqliteHandoffStore(Db* db, std::mutex* mu);          // handoff_store.cc
std::unique_ptr<IdempotencyStore> NewSqliteIdempotencyStore(Db* db, std::mutex* mu);  // idempotency_store.cc

// Inserts one outbox row as queued unless its (practice, campaign, step,
// patient) or message id exists; true when inserted. `insert` comes from
// PrepareOutboxInsert; the caller holds the lock and a transaction
// (outbox_store.cc).
StatusOr<Stmt> PrepareOutboxInsert(Db* db);
StatusOr<bool> InsertOutboxLocked(Db* db, Stmt& insert, const OutboxRow& row, int64_t now_ms);
// Inserts one inbound event inside the caller's transaction (run_store.cc).
// AlreadyExists on a duplicate event id.
Status InsertInboundLocked(Db* db, const InboundEventRow& row);
// NotFound unless the practice exists (run_store.cc).
Status RequirePracticeLocked(Db* db, const std::string& practice_id);
// Milliseconds since the Unix epoch, and back (outbox_store.cc).
int64_t ToMillis(TimePoint t);
TimePoint FromMillis(int64_t ms);
// Blind indexes cross the interface as hex and are stored as raw bytes
// (sqlite_store.cc).
void BindIndex(Stmt& s, int idx, std::string_view v);
std::string ReadIndex(const Stmt& s, int col);

}  // namespace recall::store::sqlite
