#include "crypto/signing.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "common/text.h"
#include "crypto/crypto.h"

namespace recall::crypto {

namespace {

constexpr std::string_view kFileHeader =
    "# Recall signing key file (Ed25519 seeds). Keep it secret: mode 0600, never in backups with the data.\n";

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string SigningKeyId(std::string_view public_key) { return HexEncode(Sha256(public_key)).substr(0, 16); }

Status VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != kEd25519PublicKeySize) return InvalidArgumentError("public key is not 32 bytes");
  if (signature.size() != kEd25519SignatureSize) return InvalidArgumentError("signature is not 64 bytes");
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size()));
  if (!key) return InvalidArgumentError("public key is not a valid Ed25519 key");
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return InternalError("cannot initialise Ed25519 verification");
  }
  if (EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message), message.size()) != 1) {
    return DataLossError("signature does not verify");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<SigningKey>> SigningKey::FromSeed(std::string_view seed, uint32_t version) {
  if (seed.size() != kEd25519SeedSize) return InvalidArgumentError("signing key seed is not 32 bytes");
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()));
  if (!pkey) return InternalError("cannot load Ed25519 key");
  std::string pub(kEd25519PublicKeySize, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return InternalError("cannot derive Ed25519 public key");
  }
  auto key = std::unique_ptr<SigningKey>(new SigningKey());
  ASSIGN_OR_RETURN(key->seed_, KeyMaterial::FromBytes(seed));
  key->key_id_ = SigningKeyId(pub);
  key->public_key_ = std::move(pub);
  key->version_ = version;
  return key;
}

StatusOr<std::unique_ptr<SigningKey>> SigningKey::Generate(Random& random) {
  ASSIGN_OR_RETURN(std::string seed, random.Bytes(kEd25519SeedSize));
  auto key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

StatusOr<std::string> SigningKey::Sign(std::string_view message) const {
  const std::string_view seed = seed_->bytes();
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()));
  if (!pkey) return InternalError("cannot load Ed25519 key");
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return InternalError("cannot initialise Ed25519 signing");
  }
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return InternalError("Ed25519 signing failed");
  }
  return sig;
}

Status SigningKeyring::CreateFile(const std::string& path, Random& random) {
  return CreateVersionedKeyFile(path, kFileHeader, kEd25519SeedSize, "signing key", random);
}

StatusOr<std::unique_ptr<SigningKeyring>> SigningKeyring::Load(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return FailedPreconditionError("no signing key file; run `recall init`");
  if ((st.st_mode & 077) != 0) {
    return FailedPreconditionError("signing key file is readable by group or others; chmod 600 it");
  }
  std::ifstream in(path);
  if (!in) return FailedPreconditionError("cannot read signing key file");
  auto ring = std::unique_ptr<SigningKeyring>(new SigningKeyring());
  std::string line;
  Status status = OkStatus();
  while (status.ok() && std::getline(in, line)) {
    std::string_view l = TrimAscii(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t sp = l.find(' ');
    if (l[0] != 'v' || sp == std::string_view::npos || sp == 1 || sp > 10) {
      status = InvalidArgumentError("malformed signing key file");
      break;
    }
    uint32_t version = 0;
    for (char c : l.substr(1, sp - 1)) {
      if (c < '0' || c > '9') status = InvalidArgumentError("malformed signing key version");
      version = version * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!status.ok()) break;
    auto seed = HexDecode(TrimAscii(l.substr(sp + 1)));
    if (!seed.ok() || seed->size() != kEd25519SeedSize) {
      status = InvalidArgumentError("malformed signing key");
      break;
    }
    auto key = SigningKey::FromSeed(*seed, version);
    OPENSSL_cleanse(seed->data(), seed->size());
    if (!key.ok()) {
      status = key.status();
      break;
    }
    ring->versions_[version] = std::shared_ptr<const SigningKey>(std::move(key).value());
    ring->current_ = std::max(ring->current_, version);
  }
  OPENSSL_cleanse(line.data(), line.size());
  RETURN_IF_ERROR(status);
  if (ring->versions_.empty()) return InvalidArgumentError("signing key file holds no key");
  return ring;
}

StatusOr<std::string> SigningKeyring::PublicKey(std::string_view key_id) const {
  for (const auto& [version, key] : versions_) {
    if (key->key_id() == key_id) return key->public_key();
  }
  return NotFoundError("unknown signing key id " + std::string(key_id));
}

std::map<std::string, std::string> SigningKeyring::KnownKeys() const {
  std::map<std::string, std::string> out;
  for (const auto& [version, key] : versions_) out[key->key_id()] = key->public_key();
  return out;
}

}  // namespace recall::crypto
