#pragma once
// Store: Recall's persistence, spoken in the domain's words (practices, patients,
// audit, consent, templates, campaigns, vendors, outbox), never in SQL. No SQL or
// backend type leaks out of src/store/.
//
// Invariants every backend keeps:
//   - Every row that belongs to a practice carries its practice id, and every
//     read and write is scoped by it: a call for practice A never sees B's rows.
//   - A change and the audit record that describes it commit together, in one
//     transaction (methods that change data take the AuditEvent to append).
//   - The audit log is append-only; the store assigns sequence numbers and
//     chains hashes (audit::SealRecord) under its write lock.
//
// Backends: sqlite/ (embedded, default). The interface is shaped so that a
// PostgreSQL backend can implement it without touching callers.
//
// Thread-safety: a Store and its sub-stores may be used from several threads;
// writes are serialised by the backend.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "crypto/signing.h"
#include "store/campaign_store.h"
#include "store/consent_store.h"
#include "store/outbox_store.h"
#include "store/records.h"
#include "store/run_store.h"
#include "store/user_store.h"
#include "store/vendor_store.h"

namespace recall::store {

// Sub-stores whose headers callers include themselves (so that a change to one
// does not rebuild every user of the Store).
class LifecycleStore;    // store/lifecycle_store.h: purge, data-key rotation
class IncidentStore;     // store/incident_store.h: security incidents and deadlines
class HandoffStore;      // store/handoff_store.h: the human hand-off queue
class IdempotencyStore;  // store/idempotency_store.h: API Idempotency-Key records

class PracticeStore {
 public:
  virtual ~PracticeStore() = default;
  // Creates the practice and stores its first wrapped data keys: `key`, the
  // root key, and `field_key` (purpose 'field', docs/key-wrapping.md) unless
  // its key_id is empty. AlreadyExists.
  virtual Status Create(const PracticeRow& practice, const crypto::WrappedKey& key, const audit::AuditEvent& event,
                        const crypto::WrappedKey& field_key = {}) = 0;
  // NotFound.
  virtual StatusOr<PracticeRow> Get(const std::string& practice_id) = 0;
  virtual StatusOr<std::vector<PracticeRow>> List() = 0;
  // NotFound when the practice does not exist.
  virtual Status RecordBaa(const BaaRow& baa, const audit::AuditEvent& event) = 0;
  // The most recently recorded BAA, or nullopt.
  virtual StatusOr<std::optional<BaaRow>> LatestBaa(const std::string& practice_id) = 0;
  // The practice's settings as a JSON object (practices/settings.h gives it
  // its shape); "{}" when none were ever stored. NotFound for an unknown practice.
  virtual StatusOr<std::string> GetSettings(const std::string& practice_id) = 0;
  // Replaces the settings. NotFound for an unknown practice. Audited.
  virtual Status PutSettings(const std::string& practice_id, const std::string& settings_json,
                             const audit::AuditEvent& event) = 0;
  // The practice's live (not destroyed) wrapped data keys, newest first.
  virtual StatusOr<std::vector<crypto::WrappedKey>> DataKeys(const std::string& practice_id) = 0;
};

// One import: a single transaction. Destroying it without Commit rolls back, so
// a malformed file leaves the store unchanged.
class PatientImport {
 public:
  virtual ~PatientImport() = default;
  // Inserts, or updates the row with the same (practice, external_index). The
  // row's patient_id is used only when inserting.
  virtual StatusOr<UpsertOutcome> Upsert(const PatientRow& row) = 0;
  // Appends `event` to the audit log and commits everything.
  virtual Status Commit(const audit::AuditEvent& event) = 0;
};

class PatientStore {
 public:
  virtual ~PatientStore() = default;
  // Starts an import for one practice. Unavailable when another write is open.
  virtual StatusOr<std::unique_ptr<PatientImport>> BeginImport(const std::string& practice_id) = 0;
  // Ordered by patient_id; cursor-paginated.
  virtual StatusOr<Page<PatientRow>> List(const std::string& practice_id, const PageRequest& page) = 0;
  // NotFound.
  virtual StatusOr<PatientRow> Get(const std::string& practice_id, const std::string& patient_id) = 0;
  virtual StatusOr<PatientRow> GetByExternalIndex(const std::string& practice_id, const std::string& index) = 0;
  virtual StatusOr<std::vector<PatientRow>> FindByPhoneIndex(const std::string& practice_id, const std::string& index) = 0;
  virtual StatusOr<int64_t> Count(const std::string& practice_id) = 0;
  // Calls `visit` for every patient of the practice in patient_id order, until
  // it returns false (the planner's single pass). The store lock is held for
  // the whole scan: `visit` must not call back into the store.
  virtual Status Scan(const std::string& practice_id, const std::function<bool(const PatientRow&)>& visit) = 0;
  // Records the phone's line type ("mobile" | "landline" | "unknown") as a
  // carrier lookup reported it. NotFound; InvalidArgument for another value.
  // Audited.
  virtual Status SetLineType(const std::string& practice_id, const std::string& patient_id,
                             const std::string& line_type, const audit::AuditEvent& event) = 0;
};

// The audit log and its signed checkpoints (docs/audit-format.md). Every
// append, through this interface or inside another sub-store's transaction,
// signs a checkpoint in the same transaction when the new seq is a multiple of
// the installed signer's interval.
class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Seals and appends one record (its own transaction). InvalidArgument when the
  // event carries PHI-looking details.
  virtual StatusOr<audit::AuditRecord> Append(const audit::AuditEvent& event) = 0;
  // Seals and appends `events` in order in one transaction; returns the last
  // record's seq (the head's when `events` is empty). All or nothing:
  // InvalidArgument when any event carries PHI-looking details.
  virtual StatusOr<int64_t> AppendBatch(const std::vector<audit::AuditEvent>& events) = 0;
  // Calls `visit` for every record with seq >= from_seq in order, until it returns false.
  virtual Status Scan(int64_t from_seq, const std::function<bool(const audit::AuditRecord&)>& visit) = 0;

  // Installs the key that signs checkpoints every `every_n` records (<= 0:
  // audit::kDefaultCheckpointEvery); nullptr removes it. Engine::Open does this.
  virtual void SetCheckpointSigner(std::shared_ptr<const crypto::SigningKey> key, int64_t every_n) = 0;
  // Signs the current head unless a checkpoint already covers it (then
  // nullopt): the time-based checkpoint. FailedPrecondition without a signer;
  // NotFound when the log is empty.
  virtual StatusOr<std::optional<audit::Checkpoint>> CheckpointHead(TimePoint now) = 0;
  // The checkpoints with seq >= from_seq, in seq order.
  virtual StatusOr<std::vector<audit::Checkpoint>> Checkpoints(int64_t from_seq) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual PracticeStore& practices() = 0;
  virtual PatientStore& patients() = 0;
  virtual AuditStore& audit() = 0;
  virtual ConsentStore& consent() = 0;      // store/consent_store.h
  virtual CampaignStore& campaigns() = 0;   // store/campaign_store.h
  virtual VendorStore& vendors() = 0;       // store/vendor_store.h
  virtual OutboxStore& outbox() = 0;        // store/outbox_store.h
  virtual RunStore& runs() = 0;             // store/run_store.h
  virtual UserStore& users() = 0;           // store/user_store.h
  virtual LifecycleStore& lifecycle() = 0;      // store/lifecycle_store.h
  virtual IncidentStore& incidents() = 0;       // store/incident_store.h
  virtual HandoffStore& handoffs() = 0;         // store/handoff_store.h
  virtual IdempotencyStore& idempotency() = 0;  // store/idempotency_store.h
};

struct StoreOptions {
  std::string path;  // sqlite: the database file, e.g. <data>/recall.db
};

// Opens (creating if needed) the embedded store and applies pending migrations.
// Unavailable when the database is locked; DataLoss when it is corrupt.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options);

}  // namespace recall::store
