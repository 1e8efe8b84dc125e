#pragma once
// Engine: the context every command and request runs in. It owns the Store,
// the master keyring and the practice key cache, and carries the injected Clock
// and Random and the acting principal. Domain folders (practices/, patients/,
// consent/, ...) take an Engine& and never open stores or keys themselves.
//
// Data directory layout (docs/data-dir.md):
//   <data>/recall.db (+ -wal, -shm)   the embedded store
//   <data>/keys/master.key            master key file (0600) unless RECALL_MASTER_KEY_FILE
//   <data>/keys/signing.key           Ed25519 signing key file (0600): audit checkpoints
//
// Thread-safety: an Engine may be shared across threads; the key cache is
// guarded by mu_.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "crypto/signing.h"
#include "store/store.h"

namespace recall::engine {

struct EngineOptions {
  std::string data_dir;         // required
  std::string master_key_file;  // "" -> $RECALL_MASTER_KEY_FILE, else <data>/keys/master.key
  std::string actor;            // who acts, e.g. "cli:alice"; required
  Clock* clock = nullptr;       // not owned; nullptr -> system clock
  Random* random = nullptr;     // not owned; nullptr -> OpenSSL CSPRNG
  // The audit log is signed every this many records (<= 0:
  // $RECALL_AUDIT_CHECKPOINT_EVERY, else 1000).
  int64_t audit_checkpoint_every = 0;
};

class Engine {
 public:
  // Creates the data directory (0700), the master key file, the signing key
  // file and the store. Idempotent: existing key files and store are kept.
  static Status Init(const EngineOptions& options);
  // Opens an initialised data directory and installs the audit checkpoint
  // signer on the store. A data directory initialised before signing keys
  // existed gets its signing key here. FailedPrecondition when `recall init`
  // has not been run; errors of Store, MasterKeyring and SigningKeyring otherwise.
  static StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  store::Store& store() { return *store_; }
  // The master keyring, for installation-level secrets (e.g. users' TOTP
  // secrets). Never copy key material out of it.
  const crypto::MasterKeyring& master_keys() const { return *master_; }
  // Re-reads the master key file (after `recall keys rotate` changed it); every
  // view of this engine sees the result. The keyring also reloads by itself
  // when it meets a version it lacks (crypto/keyring.h). Errors as
  // MasterKeyring::Load; on error the keys in memory are kept.
  Status ReloadMasterKeys() { return master_->Reload(); }
  // The master key file this engine loaded.
  const std::string& master_key_file() const { return master_->path(); }
  Clock& clock() { return *clock_; }
  Random& random() { return *random_; }
  const std::string& actor() const { return actor_; }
  const std::string& data_dir() const { return data_dir_; }

  // The practice's derived keys (crypto::PracticeKeys::Derive over its live
  // root key and its newest live field key, if any), unwrapped once and
  // cached. Every call compares the cached key ids with the live ones in the
  // store (one small indexed query), so a rotation by this or another process
  // (a purge) is seen at once. NotFound when the practice has no live root key
  // (unknown practice, or offboarded and shredded).
  StatusOr<std::shared_ptr<const crypto::PracticeKeys>> KeysFor(const std::string& practice_id);
  // A fresh random data key for `practice_id` (a root key at creation, or a
  // field key), wrapped under the current master key.
  StatusOr<crypto::WrappedKey> NewDataKey(const std::string& practice_id);
  // Drops the practice's cached keys (after a purge rotated or destroyed them).
  void ForgetKeys(const std::string& practice_id);

  // The installation's signing keys (every version; current() signs).
  const crypto::SigningKeyring& signing_keys() const { return *signing_; }
  // The time-based checkpoint: signs the audit chain head unless a checkpoint
  // covers it already (then nullopt). NotFound when the log is empty. The
  // long-running worker and server call it every M seconds.
  StatusOr<std::optional<audit::Checkpoint>> CheckpointAudit();

  // A view of this engine acting as `actor` (e.g. a server request's
  // "user:<login>"): it shares the store, keys, key cache, clock and random,
  // so it is cheap (no I/O). This engine must outlive the view.
  std::unique_ptr<Engine> WithActor(std::string actor);

  // An audit event stamped with now() and this engine's actor.
  audit::AuditEvent Event(std::string action, std::string practice_id = "", std::string subject = "",
                          audit::Details details = {}) const;

 private:
  Engine() = default;
  static std::string KeyFilePath(const EngineOptions& options);
  static std::string SigningKeyFilePath(const EngineOptions& options);

  std::string data_dir_;
  std::string actor_;
  std::unique_ptr<Clock> owned_clock_;
  std::unique_ptr<Random> owned_random_;
  Clock* clock_ = nullptr;
  Random* random_ = nullptr;
  // Shared with WithActor views.
  std::shared_ptr<crypto::MasterKeyring> master_;
  std::shared_ptr<crypto::SigningKeyring> signing_;
  std::shared_ptr<store::Store> store_;
  Engine* root_ = nullptr;  // a view's engine, whose key cache it uses; null for an opened engine
  std::mutex mu_;
  struct CachedKeys {
    std::string root_key_id, field_key_id;  // field "" when derived from the root (legacy practice)
    std::shared_ptr<const crypto::PracticeKeys> keys;
  };
  std::map<std::string, CachedKeys> keys_;  // GUARDED_BY(mu_)
};

}  // namespace recall::engine
