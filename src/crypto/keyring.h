#pragma once
// Key hierarchy (see docs/key-wrapping.md):
//
//   master key (file, 0600, versioned)  --wraps-->  practice data key (random 32 bytes)
//   practice data key --HKDF--> field key     (AES-256-GCM of PHI fields)
//                           --> index key     (HMAC-SHA256 blind indexes for lookups)
//                           --> pseudonym key (HMAC-SHA256 audit subject ids)
//                           --> token key     (HMAC-SHA256 signed links: unsubscribe, confirm)
//
// Destroying a practice's wrapped data key makes every copy of its ciphertext
// unreadable (crypto-shredding). Key bytes live in KeyMaterial: page-locked where
// the OS allows, excluded from core dumps, wiped on destruction. They are never
// logged, printed or put in error messages.
//
// Thread-safety: MasterKeyring and PracticeKeys are immutable after creation and
// safe to share across threads.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

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

class MasterKeyring {
 public:
  // Creates a new key file with one fresh version (mode 0600, parent dir 0700).
  // AlreadyExists when the file exists.
  static Status CreateFile(const std::string& path, Random& random);
  // Loads the file. FailedPrecondition when missing or readable by group/others;
  // InvalidArgument when malformed.
  static StatusOr<std::unique_ptr<MasterKeyring>> Load(const std::string& path);

  uint32_t current_version() const { return current_; }

  // Wraps / unwraps a practice data key under the current (or recorded) version.
  StatusOr<WrappedKey> Wrap(std::string_view practice_id, std::string_view key_id, std::string_view dek,
                            Random& random) const;
  // DataLoss when the wrap fails authentication; NotFound for a retired version.
  StatusOr<std::unique_ptr<KeyMaterial>> Unwrap(std::string_view practice_id, const WrappedKey& wrapped) const;

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

 private:
  std::map<uint32_t, std::unique_ptr<KeyMaterial>> versions_;
  uint32_t current_ = 0;
};

// The keys derived from one practice's data key.
class PracticeKeys {
 public:
  static StatusOr<std::shared_ptr<const PracticeKeys>> Derive(std::string_view practice_id, const KeyMaterial& dek);

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
