#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>

namespace recall::crypto {

namespace {
struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const uint8_t* U8(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// OpenSSL 3 looks algorithms up by name on every implicit use (EVP_aes_256_gcm(),
// HMAC()); fetching once and reusing a per-thread context removes that cost
// from the per-field hot path.
const EVP_CIPHER* Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}
// A per-thread GCM context for one direction that keeps its key schedule:
// consecutive operations under the same key (every field of an import) only
// set a fresh nonce instead of re-expanding the key.
class KeyedCtx {
 public:
  KeyedCtx() : ctx_(EVP_CIPHER_CTX_new()) {}
  ~KeyedCtx() { OPENSSL_cleanse(key_, sizeof(key_)); }
  // Initialises for encryption (or decryption) under key with nonce.
  bool Init(bool encrypt, std::string_view key, const uint8_t* nonce) {
    if (ctx_ == nullptr) return false;
    const bool same = keyed_ && key.size() == sizeof(key_) && CRYPTO_memcmp(key_, key.data(), sizeof(key_)) == 0;
    const EVP_CIPHER* cipher = same ? nullptr : Gcm();
    const uint8_t* k = same ? nullptr : U8(key);
    const int rc = encrypt ? EVP_EncryptInit_ex2(ctx_.get(), cipher, k, nonce, nullptr)
                           : EVP_DecryptInit_ex2(ctx_.get(), cipher, k, nonce, nullptr);
    keyed_ = rc == 1 && key.size() == sizeof(key_);
    if (keyed_ && !same) std::copy(key.begin(), key.end(), reinterpret_cast<char*>(key_));
    return rc == 1;
  }
  EVP_CIPHER_CTX* get() const { return ctx_.get(); }

 private:
  CipherCtx ctx_;
  uint8_t key_[32] = {};
  bool keyed_ = false;
};
KeyedCtx& ThreadSealCtx() {
  thread_local KeyedCtx ctx;
  return ctx;
}
KeyedCtx& ThreadOpenCtx() {
  thread_local KeyedCtx ctx;
  return ctx;
}
}  // namespace

std::string Sha256(std::string_view data) {
  // Fetched once (EVP_sha256() fetches the provider's implementation on every
  // call) and one context per thread: the audit chain hashes every record.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  std::string out(kDigestSize, '\0');
  unsigned int len = 0;
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len) != 1) {
    // Not expected with the default provider; the one-shot path as before.
    EVP_Digest(data.data(), data.size(), reinterpret_cast<uint8_t*>(out.data()), &len, EVP_sha256(), nullptr);
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  HmacKey k(key);
  return k.Mac(data);
}

HmacKey::HmacKey(std::string_view key) {
  ctx_ = EVP_MAC_CTX_new(HmacAlgorithm());
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (ctx_ != nullptr && EVP_MAC_init(ctx_, U8(key), key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

HmacKey::~HmacKey() { EVP_MAC_CTX_free(ctx_); }

std::string HmacKey::Mac(std::string_view data) const {
  std::string out(kDigestSize, '\0');
  EVP_MAC_CTX* c = ctx_ != nullptr ? EVP_MAC_CTX_dup(ctx_) : nullptr;
  size_t len = 0;
  if (c == nullptr || EVP_MAC_update(c, U8(data), data.size()) != 1 ||
      EVP_MAC_final(c, reinterpret_cast<uint8_t*>(out.data()), &len, out.size()) != 1) {
    // Only on allocation failure; an all-zero MAC never verifies against a real one.
    std::fill(out.begin(), out.end(), '\0');
  }
  EVP_MAC_CTX_free(c);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

StatusOr<std::string> HkdfSha256(std::string_view ikm, std::string_view info, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return InternalError("HKDF unavailable");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return InternalError("HKDF context allocation failed");
  OSSL_PARAM params[4];
  char digest[] = "SHA256";
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size());
  params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size());
  params[3] = OSSL_PARAM_construct_end();
  std::string out(out_len, '\0');
  const int rc = EVP_KDF_derive(ctx, reinterpret_cast<uint8_t*>(out.data()), out_len, params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) return InternalError("HKDF derivation failed");
  return out;
}

StatusOr<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view aad, Random& random) {
  if (key.size() != kKeySize) return InvalidArgumentError("AES-256-GCM needs a 32-byte key");
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  RETURN_IF_ERROR(random.Fill(o, kNonceSize));
  KeyedCtx& keyed = ThreadSealCtx();
  EVP_CIPHER_CTX* ctx = keyed.get();
  int len = 0;
  if (!keyed.Init(true, key, o) ||
      (!aad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, U8(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx, o + kNonceSize, &len, U8(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, o + kNonceSize + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, o + kNonceSize + plaintext.size()) != 1) {
    return InternalError("AES-256-GCM seal failed");
  }
  return out;
}

StatusOr<std::string> Open(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kKeySize) return InvalidArgumentError("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kNonceSize + kTagSize) return DataLossError("ciphertext too short");
  const size_t ct_len = sealed.size() - kNonceSize - kTagSize;
  std::string out(ct_len, '\0');
  const uint8_t* s = U8(sealed);
  KeyedCtx& keyed = ThreadOpenCtx();
  EVP_CIPHER_CTX* ctx = keyed.get();
  int len = 0;
  if (!keyed.Init(false, key, s) ||
      (!aad.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, U8(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx, reinterpret_cast<uint8_t*>(out.data()), &len, s + kNonceSize,
                        static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, const_cast<uint8_t*>(s + kNonceSize + ct_len)) != 1) {
    return InternalError("AES-256-GCM open failed");
  }
  if (EVP_DecryptFinal_ex(ctx, reinterpret_cast<uint8_t*>(out.data()) + len, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return DataLossError("ciphertext failed authentication");
  }
  return out;
}

}  // namespace recall::crypto
