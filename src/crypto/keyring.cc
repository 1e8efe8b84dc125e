#include "crypto/keyring.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/text.h"
#include "crypto/crypto.h"

namespace recall::crypto {

StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::FromBytes(std::string_view bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (bytes.size() > page) return InvalidArgumentError("key material too large");
  void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return InternalError("could not allocate key memory");
  // Best effort: a container may forbid mlock; the key is still excluded from dumps.
  (void)mlock(p, page);
  (void)madvise(p, page, MADV_DONTDUMP);
  std::memcpy(p, bytes.data(), bytes.size());
  return std::unique_ptr<KeyMaterial>(new KeyMaterial(p, bytes.size()));
}

KeyMaterial::~KeyMaterial() {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  OPENSSL_cleanse(page_, page);
  munlock(page_, page);
  munmap(page_, page);
}

namespace {
constexpr std::string_view kFileHeader = "# Recall master key file. Keep it secret: mode 0600, never in backups with the data.\n";

std::string WrapAad(std::string_view practice_id, std::string_view key_id) {
  std::string aad = "recall-dek-v1|";
  aad += practice_id;
  aad += '|';
  aad += key_id;
  return aad;
}
}  // namespace

Status CreateVersionedKeyFile(const std::string& path, std::string_view header, size_t key_bytes,
                              std::string_view what, Random& random) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return InternalError("cannot create key directory");
    ::chmod(parent.c_str(), 0700);
  }
  ASSIGN_OR_RETURN(std::string key, random.Bytes(key_bytes));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    OPENSSL_cleanse(key.data(), key.size());
    if (errno == EEXIST) return AlreadyExistsError(std::string(what) + " file already exists");
    return InternalError("cannot create " + std::string(what) + " file");
  }
  std::string body(header);
  body += "v1 " + HexEncode(key) + "\n";
  OPENSSL_cleanse(key.data(), key.size());
  const ssize_t n = ::write(fd, body.data(), body.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(body.data(), body.size());
  if (n != static_cast<ssize_t>(body.size()) || !synced) return InternalError("cannot write " + std::string(what) + " file");
  return OkStatus();
}

Status MasterKeyring::CreateFile(const std::string& path, Random& random) {
  return CreateVersionedKeyFile(path, kFileHeader, kKeySize, "master key", random);
}

StatusOr<std::unique_ptr<MasterKeyring>> MasterKeyring::Load(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    return FailedPreconditionError("no master key file; run `recall init` or set RECALL_MASTER_KEY_FILE");
  }
  if ((st.st_mode & 077) != 0) {
    return FailedPreconditionError("master key file is readable by group or others; chmod 600 it");
  }
  std::ifstream in(path);
  if (!in) return FailedPreconditionError("cannot read master key file");
  auto ring = std::unique_ptr<MasterKeyring>(new MasterKeyring());
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = TrimAscii(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t sp = l.find(' ');
    if (l[0] != 'v' || sp == std::string_view::npos) return InvalidArgumentError("malformed master key file");
    uint32_t version = 0;
    for (char c : l.substr(1, sp - 1)) {
      if (c < '0' || c > '9') return InvalidArgumentError("malformed master key version");
      version = version * 10 + static_cast<uint32_t>(c - '0');
    }
    auto raw = HexDecode(TrimAscii(l.substr(sp + 1)));
    if (!raw.ok() || raw->size() != kKeySize) return InvalidArgumentError("malformed master key");
    ASSIGN_OR_RETURN(auto material, KeyMaterial::FromBytes(*raw));
    OPENSSL_cleanse(raw->data(), raw->size());
    ring->versions_[version] = std::move(material);
    ring->current_ = std::max(ring->current_, version);
  }
  OPENSSL_cleanse(line.data(), line.size());
  if (ring->versions_.empty()) return InvalidArgumentError("master key file holds no key");
  return ring;
}

StatusOr<WrappedKey> MasterKeyring::Wrap(std::string_view practice_id, std::string_view key_id, std::string_view dek,
                                         Random& random) const {
  const auto& master = versions_.at(current_);
  ASSIGN_OR_RETURN(std::string sealed, Seal(master->bytes(), dek, WrapAad(practice_id, key_id), random));
  return WrappedKey{std::string(key_id), current_, std::move(sealed)};
}

StatusOr<std::unique_ptr<KeyMaterial>> MasterKeyring::Unwrap(std::string_view practice_id,
                                                             const WrappedKey& wrapped) const {
  auto it = versions_.find(wrapped.master_version);
  if (it == versions_.end()) return NotFoundError("master key version is not in the key file");
  auto dek = Open(it->second->bytes(), wrapped.wrapped, WrapAad(practice_id, wrapped.key_id));
  if (!dek.ok()) return dek.status().WithContext("data key " + wrapped.key_id);
  auto material = KeyMaterial::FromBytes(*dek);
  OPENSSL_cleanse(dek->data(), dek->size());
  return material;
}

namespace {
StatusOr<std::string> InstallationKey(const KeyMaterial& master, std::string_view purpose) {
  return HkdfSha256(master.bytes(), "recall installation secret v1|" + std::string(purpose), kKeySize);
}
}  // namespace

StatusOr<std::string> MasterKeyring::SealInstallationSecret(std::string_view purpose, std::string_view context,
                                                            std::string_view plaintext, Random& random) const {
  ASSIGN_OR_RETURN(std::string key, InstallationKey(*versions_.at(current_), purpose));
  auto sealed = Seal(key, plaintext, context, random);
  OPENSSL_cleanse(key.data(), key.size());
  if (!sealed.ok()) return sealed.status();
  return "v" + std::to_string(current_) + ":" + HexEncode(*sealed);
}

StatusOr<std::string> MasterKeyring::OpenInstallationSecret(std::string_view purpose, std::string_view context,
                                                            std::string_view sealed) const {
  const size_t colon = sealed.find(':');
  if (sealed.size() < 3 || sealed[0] != 'v' || colon == std::string_view::npos || colon < 2) {
    return InvalidArgumentError("malformed sealed secret");
  }
  uint32_t version = 0;
  for (char c : sealed.substr(1, colon - 1)) {
    if (c < '0' || c > '9' || version > 100000000) return InvalidArgumentError("malformed sealed secret");
    version = version * 10 + static_cast<uint32_t>(c - '0');
  }
  auto it = versions_.find(version);
  if (it == versions_.end()) return NotFoundError("master key version is not in the key file");
  auto raw = HexDecode(sealed.substr(colon + 1));
  if (!raw.ok()) return InvalidArgumentError("malformed sealed secret");
  ASSIGN_OR_RETURN(std::string key, InstallationKey(*it->second, purpose));
  auto plain = Open(key, *raw, context);
  OPENSSL_cleanse(key.data(), key.size());
  return plain;
}

StatusOr<std::shared_ptr<const PracticeKeys>> PracticeKeys::Derive(std::string_view practice_id,
                                                                   const KeyMaterial& dek) {
  auto keys = std::shared_ptr<PracticeKeys>(new PracticeKeys());
  keys->practice_id_ = std::string(practice_id);
  auto derive = [&](std::string_view label) -> StatusOr<std::unique_ptr<KeyMaterial>> {
    std::string info = std::string(label) + "|" + std::string(practice_id);
    ASSIGN_OR_RETURN(std::string k, HkdfSha256(dek.bytes(), info, kKeySize));
    auto m = KeyMaterial::FromBytes(k);
    OPENSSL_cleanse(k.data(), k.size());
    return m;
  };
  ASSIGN_OR_RETURN(keys->field_key_, derive("recall field encryption v1"));
  ASSIGN_OR_RETURN(keys->index_key_, derive("recall blind index v1"));
  ASSIGN_OR_RETURN(keys->pseudonym_key_, derive("recall audit pseudonym v1"));
  ASSIGN_OR_RETURN(keys->token_key_, derive("recall signed token v1"));
  keys->index_mac_ = std::make_unique<HmacKey>(keys->index_key_->bytes());
  keys->pseudonym_mac_ = std::make_unique<HmacKey>(keys->pseudonym_key_->bytes());
  keys->token_mac_ = std::make_unique<HmacKey>(keys->token_key_->bytes());
  return std::shared_ptr<const PracticeKeys>(std::move(keys));
}

StatusOr<std::string> PracticeKeys::EncryptField(std::string_view plaintext, std::string_view context,
                                                 Random& random) const {
  return Seal(field_key_->bytes(), plaintext, context, random);
}

StatusOr<std::string> PracticeKeys::DecryptField(std::string_view sealed, std::string_view context) const {
  return Open(field_key_->bytes(), sealed, context);
}

std::string PracticeKeys::BlindIndex(std::string_view kind, std::string_view normalized) const {
  std::string msg(kind);
  msg += '\0';
  msg += normalized;
  return HexEncode(index_mac_->Mac(msg).substr(0, 16));
}

std::string PracticeKeys::Pseudonym(std::string_view practice_patient_id) const {
  return "sub_" + HexEncode(pseudonym_mac_->Mac(practice_patient_id).substr(0, 16));
}

std::string PracticeKeys::SignToken(std::string_view message) const {
  return token_mac_->Mac(message);
}

}  // namespace recall::crypto
