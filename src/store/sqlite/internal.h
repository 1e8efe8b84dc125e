#pragma once
// Shared by the SQLite sub-stores; private to src/store/sqlite/.
#include <memory>
#include <mutex>

#include "audit/audit.h"
#include "store/sqlite/db.h"
#include "store/store.h"

namespace recall::store::sqlite {

// Appends one audit record inside the caller's open transaction (the caller
// holds the store mutex and has begun a Txn).
StatusOr<audit::AuditRecord> AppendAuditLocked(Db* db, const audit::AuditEvent& event);

// Sub-store factories; each lives in its own file. All share one connection
// and one mutex (the store's only lock).
std::unique_ptr<ConsentStore> NewSqliteConsentStore(Db* db, std::mutex* mu);    // consent_store.cc
std::unique_ptr<CampaignStore> NewSqliteCampaignStore(Db* db, std::mutex* mu);  // campaign_store.cc
std::unique_ptr<VendorStore> NewSqliteVendorStore(Db* db, std::mutex* mu);      // vendor_store.cc
std::unique_ptr<OutboxStore> NewSqliteOutboxStore(Db* db, std::mutex* mu);      // outbox_store.cc
std::unique_ptr<RunStore> NewSqliteRunStore(Db* db, std::mutex* mu);            // run_store.cc

// Inserts one outbox row as queued unless its (practice, campaign, step,
// patient) or message id exists; true when inserted. `insert` comes from
// PrepareOutboxInsert; the caller holds the lock and a transaction
// (outbox_store.cc).
StatusOr<Stmt> PrepareOutboxInsert(Db* db);
StatusOr<bool> InsertOutboxLocked(Db* db, Stmt& insert, const OutboxRow& row, int64_t now_ms);
// Milliseconds since the Unix epoch, and back (outbox_store.cc).
int64_t ToMillis(TimePoint t);
TimePoint FromMillis(int64_t ms);
// Blind indexes cross the interface as hex and are stored as raw bytes
// (sqlite_store.cc).
void BindIndex(Stmt& s, int idx, std::string_view v);
std::string ReadIndex(const Stmt& s, int col);

}  // namespace recall::store::sqlite
