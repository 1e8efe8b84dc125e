#pragma once
// Primitive cryptography over OpenSSL's EVP API: hashing, HMAC, HKDF and
// AES-256-GCM. Stateless free functions; thread-safe. Nothing here logs, and no
// error message carries key or plaintext bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"

struct evp_mac_ctx_st;  // OpenSSL EVP_MAC_CTX

namespace recall::crypto {

inline constexpr size_t kKeySize = 32;     // AES-256 / HMAC-SHA256 keys
inline constexpr size_t kNonceSize = 12;   // GCM nonce
inline constexpr size_t kTagSize = 16;     // GCM tag
inline constexpr size_t kDigestSize = 32;  // SHA-256

// Raw 32-byte digests.
std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
// An HMAC-SHA256 key prepared once (OpenSSL MAC context); Mac() is const and
// safe to call from several threads (each call works on a duplicate context).
class HmacKey {
 public:
  explicit HmacKey(std::string_view key);
  ~HmacKey();
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;
  std::string Mac(std::string_view data) const;  // raw 32 bytes

 private:
  ::evp_mac_ctx_st* ctx_ = nullptr;
};

// Constant-time comparison.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// HKDF-SHA256 (RFC 5869) with an empty salt. Internal on OpenSSL failure.
StatusOr<std::string> HkdfSha256(std::string_view ikm, std::string_view info, size_t out_len);

// AES-256-GCM. The sealed form is: nonce(12) || ciphertext || tag(16).
// Seal: Unavailable when the CSPRNG fails, InvalidArgument on a bad key size.
StatusOr<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view aad, Random& random);
// Open: DataLoss when the tag does not verify (wrong key, wrong AAD, tampering).
StatusOr<std::string> Open(std::string_view key, std::string_view sealed, std::string_view aad);

}  // namespace recall::crypto
