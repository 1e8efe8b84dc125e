#pragma once
// LifecycleStore: the end of PHI's life (docs/lifecycle.md). Purging a
// campaign's recipients or a whole practice, data-key rotation (field keys
// re-encrypted, master-key re-wrap) and destruction (crypto-shredding).
// See store/store.h for the rules every sub-store keeps.
//
// No cryptography happens here: a purge that rotates the practice's field key
// receives the new wrapped key and a callback that turns each old ciphertext
// into a new one (src/lifecycle/ supplies both). Consent records are
// append-only evidence; a purge transaction alone may delete or re-encrypt
// them (it holds a row in purge_in_progress while it runs).
//
// Thread-safety: as Store (writes serialised by the backend).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"

namespace recall::store {

// --- Purge and crypto-shredding (lifecycle/purge.h) ---------------------------

inline constexpr char kKeyPurposeRoot[] = "root";    // index, pseudonym and token keys; the practice's life
inline constexpr char kKeyPurposeField[] = "field";  // PHI field encryption; rotated by a purge

struct DataKeyRow {
  std::string practice_id;
  crypto::WrappedKey key;
  std::string purpose;     // kKeyPurposeRoot | kKeyPurposeField
  std::string created_at;  // RFC 3339
};

// One sealed PHI field handed to a re-encryption callback.
struct SealedField {
  std::string table;    // "patients" | "consent_records" | "handoffs"
  std::string field;    // the column without "_enc": "first_name", "contact", "text", ...
  std::string row_key;  // patients: the external_index (hex); consent_records: consent_id; handoffs: handoff_id
  std::string sealed;   // never empty
};

// Old ciphertext -> new ciphertext (same plaintext, same context, new key).
using ReencryptFn = std::function<StatusOr<std::string>(const SealedField&)>;

struct PurgeRequest {
  std::string purge_id;     // "prg_...", unique
  std::string practice_id;
  std::string campaign_id;  // PurgeCampaign only
  // Counts-only reports taken before anything is deleted (campaign id -> JSON);
  // kept in campaign_report_snapshots.
  std::map<std::string, std::string> report_snapshots;
  // PurgeCampaign: the field key that the live rows move to (purpose 'field')
  // and the callback that re-encrypts them. `expected_field_key_id` is the
  // field key the callback decrypts with ("" for a legacy practice deriving it
  // from the root): when another process rotated it meanwhile, nothing changes
  // (Unavailable: retry).
  crypto::WrappedKey new_field_key;
  std::string expected_field_key_id;
  ReencryptFn reencrypt;
  TimePoint now;
};

struct PurgeOutcome {
  std::map<std::string, int64_t> counts;       // rows deleted per kind ("patients", "consent_records", ...)
  int64_t recipients = 0;                      // campaign: patients the campaign reached or considered
  int64_t retained = 0;                        // campaign: of those, kept for another active campaign
  int64_t reencrypted_fields = 0;
  std::vector<std::string> destroyed_key_ids;  // wrapped bytes overwritten, destroyed_at set
  audit::AuditRecord record;                   // the purge's audit record
};

struct CompactOutcome {
  bool vacuumed = false;
  bool wal_truncated = false;  // false when another connection held the WAL (a reader)
};

class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;

  // The practice's live (not destroyed) data keys with their purpose, newest
  // first. Empty for an unknown or offboarded practice.
  virtual StatusOr<std::vector<DataKeyRow>> LiveDataKeys(const std::string& practice_id) = 0;
  // When the practice was offboarded, or nullopt. NotFound for an unknown practice.
  virtual StatusOr<std::optional<std::string>> OffboardedAt(const std::string& practice_id) = 0;
  // Outbox message ids of the campaign ("" = every campaign of the practice),
  // for deleting the files written for them.
  virtual StatusOr<std::vector<std::string>> MessageIds(const std::string& practice_id,
                                                        const std::string& campaign_id) = 0;

  // Campaign purge, one transaction: the recipients (patients with a plan
  // entry or an outbox message in the campaign) that no other active campaign
  // needs (state scheduled, running or paused, and either an unsent message
  // for the patient, or a plan entry for the patient while a step is still
  // unplanned) lose their patient row, consent records (and address-level
  // records of their contacts no kept patient shares), inbound events,
  // invalid contacts and hand-off items; the campaign loses its outbox rows
  // and plan entries, its report snapshot is kept and it becomes "purged".
  // Then every remaining sealed field of the practice is re-encrypted under
  // `new_field_key`, which is stored, and the old field keys are destroyed.
  // `event` gains the counts in its details; the outcome carries the record.
  // NotFound for an unknown practice or campaign; FailedPrecondition when the
  // campaign is purged already, still scheduled or running (pause it first),
  // or the practice is offboarded; Unavailable when the field key changed.
  virtual StatusOr<PurgeOutcome> PurgeCampaign(const PurgeRequest& request, const audit::AuditEvent& event) = 0;

  // Practice offboarding, one transaction: every PHI row of the practice
  // (patients, consent records and wording, reassigned numbers, outbox, plan
  // entries, inbound events, invalid contacts, hand-offs, idempotency records)
  // is deleted, every campaign becomes "purged", every data key (root and
  // field) is destroyed, user memberships are revoked and the practice is
  // marked offboarded. The practice row, its BAA and settings stay (no PHI).
  // NotFound; FailedPrecondition when offboarded already.
  virtual StatusOr<PurgeOutcome> OffboardPractice(const PurgeRequest& request, const audit::AuditEvent& event) = 0;

  // VACUUM, then PRAGMA wal_checkpoint(TRUNCATE): no freed page or WAL frame
  // keeps the bytes of deleted rows (secure_delete zeroes freed cells). Not in
  // a transaction.
  virtual StatusOr<CompactOutcome> Compact() = 0;

  // A purged campaign's report snapshot (JSON), or nullopt.
  virtual StatusOr<std::optional<std::string>> ReportSnapshot(const std::string& practice_id,
                                                              const std::string& campaign_id) = 0;

  // --- Master-key rotation (lifecycle/keys.h: `recall keys rotate`) ---------
  // (This block belongs to the key-rotation work; sqlite/key_rotation.cc.)
  // Every live (not destroyed) wrapped data key of every practice, whatever
  // its purpose, and every sealed installation secret ("v<N>:<hex>"): users'
  // TOTP seeds and the installation-level routes' idempotency responses.
  // Installation-wide on purpose: the master key wraps them all.
  struct PracticeDataKey {
    std::string practice_id;
    crypto::WrappedKey key;
  };
  struct SealedSecret {
    std::string kind;      // kSealedTotp | kSealedIdempotency: the sealing purpose
    std::string owner_id;  // the sealing context's id: user id or idempotency record id
    std::string sealed;
  };
  static constexpr char kSealedTotp[] = "totp";                // users.totp_secret_sealed
  static constexpr char kSealedIdempotency[] = "idempotency";  // idempotency_keys.response_sealed, practice ''
  // One replacement, applied only while the row still holds what was listed.
  struct KeyRewrap {
    std::string practice_id;
    uint32_t old_master_version = 0;
    crypto::WrappedKey key;  // same key_id; the new master_version and wrap
  };
  struct SecretReseal {
    std::string kind;
    std::string owner_id;
    std::string old_sealed;
    std::string new_sealed;
  };
  // Live data keys, ordered by practice and key id.
  virtual StatusOr<std::vector<PracticeDataKey>> ListLiveDataKeys() = 0;
  // Every sealed installation secret, ordered by kind and owner id.
  virtual StatusOr<std::vector<SealedSecret>> ListSealedSecrets() = 0;
  // Writes every replacement and appends `event`, in one transaction. All or
  // nothing: Unavailable (list again and retry) when a row changed since it
  // was listed (a key destroyed, a TOTP re-enrolled, a record swept);
  // InvalidArgument for PHI in the event or an unknown kind.
  virtual Status RewrapKeys(const std::vector<KeyRewrap>& keys, const std::vector<SecretReseal>& secrets,
                            const audit::AuditEvent& event) = 0;
  // Master key version -> how many live data keys and sealed secrets use it.
  // A version absent here may be retired from the key file. DataLoss for a
  // malformed sealed secret.
  virtual StatusOr<std::map<uint32_t, int64_t>> MasterVersionReferences() = 0;
  // --- end of master-key rotation -------------------------------------------
};

}  // namespace recall::store
