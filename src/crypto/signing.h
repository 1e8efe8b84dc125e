#pragma once
// The installation's Ed25519 signing key (OpenSSL EVP): it signs audit
// checkpoints (docs/audit-format.md) and, later, deletion certificates.
//
//   <data>/keys/signing.key (0600, directory 0700): "v<N> <64 hex seed>" lines,
//   the highest N is current; every version's public key stays known, so
//   signatures made before a rotation still verify.
//
// The private key (the 32-byte Ed25519 seed) lives only in KeyMaterial
// (mlock'ed where allowed, MADV_DONTDUMP, wiped on release); Sign() builds the
// OpenSSL key object for one signature and frees it (OpenSSL wipes it). Key ids
// and public keys may be printed; seeds never appear in logs, errors or exports.
//
// Thread-safety: SigningKey and SigningKeyring are immutable after creation and
// safe to share across threads.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "crypto/keyring.h"

namespace recall::crypto {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// "First 16 hex digits of SHA-256 of the raw 32-byte public key."
std::string SigningKeyId(std::string_view public_key);

// Checks an Ed25519 signature (raw 64 bytes) over `message` with a raw 32-byte
// public key. OK when it verifies; DataLoss when it does not; InvalidArgument
// when the key or signature has the wrong size or the key is not a valid point.
Status VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature);

class SigningKey {
 public:
  // From a 32-byte Ed25519 seed. InvalidArgument on a wrong size; Internal on
  // an OpenSSL failure.
  static StatusOr<std::unique_ptr<SigningKey>> FromSeed(std::string_view seed, uint32_t version = 1);
  // A fresh key (tests, benchmarks). Unavailable when the CSPRNG fails.
  static StatusOr<std::unique_ptr<SigningKey>> Generate(Random& random);

  // Raw 64-byte Ed25519 signature over `message`. Internal on an OpenSSL failure.
  StatusOr<std::string> Sign(std::string_view message) const;

  const std::string& public_key() const { return public_key_; }  // raw 32 bytes
  const std::string& key_id() const { return key_id_; }          // 16 hex
  uint32_t version() const { return version_; }

 private:
  SigningKey() = default;
  std::unique_ptr<KeyMaterial> seed_;
  std::string public_key_;
  std::string key_id_;
  uint32_t version_ = 0;
};

class SigningKeyring {
 public:
  // Creates the key file with one fresh version (mode 0600, parent dir 0700).
  // AlreadyExists when the file exists.
  static Status CreateFile(const std::string& path, Random& random);
  // Loads the file. FailedPrecondition when missing or readable by group or
  // others; InvalidArgument when malformed.
  static StatusOr<std::unique_ptr<SigningKeyring>> Load(const std::string& path);

  // The current (highest) version: the key new signatures are made with.
  std::shared_ptr<const SigningKey> current() const { return versions_.at(current_); }
  // The raw public key of a key this installation holds (any version), by key
  // id; NotFound for a key id it does not know.
  StatusOr<std::string> PublicKey(std::string_view key_id) const;
  // key id -> raw public key, every version.
  std::map<std::string, std::string> KnownKeys() const;

 private:
  std::map<uint32_t, std::shared_ptr<const SigningKey>> versions_;
  uint32_t current_ = 0;
};

}  // namespace recall::crypto
