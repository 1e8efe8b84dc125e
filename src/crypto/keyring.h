#pragma once
// Key hierarchy (see docs/key-wrapping.md):
//
//   master key (file, 0600, versioned)  --wraps-->  practice data key (random 32 bytes)
//   practice field data key --HKDF--> field key (AES-256-GCM of PHI fields)
//   practice root data key  --HKDF--> field key (only when the practice has no field data key)
//                           --> index key     (HMAC-SHA256 blind indexes for lookups)
//                           --> pseudonym key (HMAC-SHA256 audit subject ids)
//                           --> token key     (HMAC-SHA256 signed links: unsubscribe, confirm)
//
// Destroying a practice's wrapped data key makes every copy of its ciphertext
// unreadable (crypto-shredding). Key bytes live in KeyMaterial: page-locked where
// the OS allows, excluded from core dumps, wiped on destruction. They are never
// logged, printed or put in error messages.
//
// Thread-safety: PracticeKeys is immutable after creation and safe to share
// across threads; MasterKeyring reloads its file under its own lock (below).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace recall::crypto {

// 32 bytes of key in memory that is mlock'ed and MADV_DONTDUMP where possible.
class KeyMaterial {
 public:
  static StatusOr<std::unique_ptr<KeyMaterial>> FromBytes(std::string_view bytes);
  ~KeyMaterial();
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;
  std::string_view bytes() const { return {reinterpret_cast<const char*>(page_), size_}; }

 private:
  KeyMaterial(void* page, size_t size) : page_(page), size_(size) {}
  void* page_;
  size_t size_;
};

// A wrapped (encrypted) practice data key as the store keeps it.
struct WrappedKey {
  std::string key_id;         // "dk_..." opaque
  uint32_t master_version;    // which master key wraps it
  std::string wrapped;        // Seal(master, dek, aad = "recall-dek-v1|" + practice_id + "|" + key_id)
};

// Creates a versioned key file ("<header>v1 <hex of key_bytes random bytes>\n")
// at `path`, mode 0600, in a 0700 directory, fsynced; the bytes are wiped
// from memory. AlreadyExists when the file exists; Internal on I/O failure.
// `what` names the file in errors ("master key", "signing key"). Shared by
// the master and signing keyrings.
Status CreateVersionedKeyFile(const std::string& path, std::string_view header, size_t key_bytes,
                              std::string_view what, Random& random);

// The master keyring: every version of the master key file (docs/key-wrapping.md).
//
// Rotation (`recall keys rotate`, lifecycle/keys.h) adds a version to the file
// and later retires versions nothing refers to, possibly while another process
// (`recall serve`) holds a keyring loaded from the same file. So a keyring
// remembers its file and reloads it: Unwrap/OpenInstallationSecret reload once
// when they meet a version they lack, and Wrap/SealInstallationSecret reload
// first when the file changed on disk (it is always replaced by rename), so new
// wraps use the newest version and never one the file has retired.
//
// Thread-safety: every method may be called from several threads; a reload
// swaps an immutable snapshot under mu_, and callers keep using the snapshot
// they started with.
class MasterKeyring {
 public:
  MasterKeyring(const MasterKeyring&) = delete;
  MasterKeyring& operator=(const MasterKeyring&) = delete;
  ~MasterKeyring();

  // Creates a new key file with one fresh version (mode 0600, parent dir 0700).
  // AlreadyExists when the file exists.
  static Status CreateFile(const std::string& path, Random& random);
  // Loads the file. FailedPrecondition when missing or readable by group/others;
  // InvalidArgument when malformed.
  static StatusOr<std::unique_ptr<MasterKeyring>> Load(const std::string& path);

  // Appends a fresh version (the highest + 1) to the existing key file and
  // returns it. Atomic: the new file is written to a temporary (0600) in the
  // same directory, fsynced and renamed over the old one. Errors as Load;
  // Internal on I/O failure.
  static StatusOr<uint32_t> AddVersionToFile(const std::string& path, Random& random);
  // Rewrites the key file without the versions in `retire` (atomically, as
  // AddVersionToFile) and returns those it removed. FailedPrecondition when
  // `retire` holds the current (highest) version. Errors as Load.
  static StatusOr<std::vector<uint32_t>> RetireVersionsInFile(const std::string& path,
                                                              const std::set<uint32_t>& retire);
  // The version a sealed installation secret ("v<N>:<hex>") names.
  // InvalidArgument when malformed.
  static StatusOr<uint32_t> SealedSecretVersion(std::string_view sealed);

  // Re-reads the file this keyring was loaded from and swaps it in. Errors as
  // Load; on error the keyring keeps what it had.
  Status Reload();

  uint32_t current_version() const;
  // Every version held, ascending.
  std::vector<uint32_t> versions() const;
  const std::string& path() const { return path_; }

  // Wraps / unwraps a practice data key under the current (or recorded) version.
  StatusOr<WrappedKey> Wrap(std::string_view practice_id, std::string_view key_id, std::string_view dek,
                            Random& random) const;
  // DataLoss when the wrap fails authentication; NotFound for a retired version.
  StatusOr<std::unique_ptr<KeyMaterial>> Unwrap(std::string_view practice_id, const WrappedKey& wrapped) const;
  // Unwraps `wrapped` and wraps the same data key under the current version
  // (same key id); the data key stays in KeyMaterial. Errors as Unwrap/Wrap.
  StatusOr<WrappedKey> Rewrap(std::string_view practice_id, const WrappedKey& wrapped, Random& random) const;

  // Installation-level secrets that belong to no practice (a user's TOTP
  // seed): AES-256-GCM under HKDF(master vN, "recall installation secret v1|"
  // + purpose), with `context` (e.g. the user id) as associated data. The
  // result is "v<N>:<hex>" so it still opens after the master key rotates.
  StatusOr<std::string> SealInstallationSecret(std::string_view purpose, std::string_view context,
                                               std::string_view plaintext, Random& random) const;
  // DataLoss when it fails authentication; NotFound for a retired version;
  // InvalidArgument when malformed.
  StatusOr<std::string> OpenInstallationSecret(std::string_view purpose, std::string_view context,
                                               std::string_view sealed) const;
  // Opens `sealed` and seals the plaintext again under the current version;
  // the plaintext is wiped. Errors as Open/SealInstallationSecret.
  StatusOr<std::string> ResealInstallationSecret(std::string_view purpose, std::string_view context,
                                                 std::string_view sealed, Random& random) const;

 private:
  struct Snapshot;
  MasterKeyring() = default;
  std::shared_ptr<const Snapshot> Current() const;
  // The snapshot holding `version`, reloading the file once when the current
  // one lacks it. NotFound for a version the file does not hold.
  StatusOr<std::shared_ptr<const Snapshot>> WithVersion(uint32_t version) const;
  // The current snapshot, reloaded first when the file changed on disk.
  StatusOr<std::shared_ptr<const Snapshot>> Fresh() const;
  Status ReloadLocked() const;

  std::string path_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Snapshot> snapshot_;  // GUARDED_BY(mu_)
};

// The keys derived from one practice's data keys (docs/key-wrapping.md).
//
// The practice's root data key derives the index, pseudonym and token keys:
// they live as long as the practice (blind indexes, audit pseudonyms and links
// already sent keep working). PHI fields are encrypted under a separate field
// key: HKDF of the practice's newest live *field* data key when it has one
// (every practice created since migration 10), else HKDF of the root key (a
// legacy practice). Destroying a field data key after re-encrypting the live
// rows under a new one crypto-shreds every copy of the old ciphertext.
class PracticeKeys {
 public:
  // `field` null: the field key is derived from `root` (legacy practices).
  static StatusOr<std::shared_ptr<const PracticeKeys>> Derive(std::string_view practice_id, const KeyMaterial& root,
                                                              const KeyMaterial* field = nullptr);

  // AES-256-GCM of one PHI field. `context` binds the ciphertext to its place
  // (e.g. "patient.phone|pat_123") so it cannot be moved to another row.
  StatusOr<std::string> EncryptField(std::string_view plaintext, std::string_view context, Random& random) const;
  // DataLoss when the field fails authentication.
  StatusOr<std::string> DecryptField(std::string_view sealed, std::string_view context) const;
  // Deterministic lookup token for an already-normalised value: 32 hex chars.
  std::string BlindIndex(std::string_view kind, std::string_view normalized) const;
  // Pseudonymous subject id for the audit log: "sub_" + 32 hex chars.
  std::string Pseudonym(std::string_view practice_patient_id) const;
  // HMAC-SHA256 for signed links (raw 32 bytes).
  std::string SignToken(std::string_view message) const;

  const std::string& practice_id() const { return practice_id_; }

 private:
  std::string practice_id_;
  std::unique_ptr<KeyMaterial> field_key_, index_key_, pseudonym_key_, token_key_;
  // Prepared MAC contexts for the hot paths (import, inbound lookups).
  std::unique_ptr<HmacKey> index_mac_, pseudonym_mac_, token_mac_;
};

}  // namespace recall::crypto
