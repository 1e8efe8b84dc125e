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

}  // namespace recall::store::sqlite
