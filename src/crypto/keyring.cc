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

// --- MasterKeyring -------------------------------------------------------------------

struct MasterKeyring::Snapshot {
  std::map<uint32_t, std::unique_ptr<KeyMaterial>> versions;
  uint32_t current = 0;
  // The file it was read from, to notice a replacement (always by rename).
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  off_t size = 0;
};

namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Reads the whole key file after the permission checks. Errors as Load.
StatusOr<std::string> ReadMasterKeyFile(const std::string& path, struct stat* st) {
  if (::stat(path.c_str(), st) != 0) {
    return FailedPreconditionError("no master key file; run `recall init` or set RECALL_MASTER_KEY_FILE");
  }
  if ((st->st_mode & 077) != 0) {
    return FailedPreconditionError("master key file is readable by group or others; chmod 600 it");
  }
  // read(2) into one buffer sized up front: no stream buffer or reallocation
  // leaves a copy of the keys behind; the caller wipes `text`.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FailedPreconditionError("cannot read master key file");
  std::string text(static_cast<size_t>(st->st_size) + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got == text.size()) {  // the file grew after stat: not a file rotation writes
    OPENSSL_cleanse(text.data(), text.size());
    return FailedPreconditionError("master key file changed while it was read; try again");
  }
  text.resize(got);
  return text;
}

// "v<N> <hex>" -> N; the line must already be trimmed and not a comment.
StatusOr<uint32_t> LineVersion(std::string_view line) {
  const size_t sp = line.find(' ');
  if (line.empty() || line[0] != 'v' || sp == std::string_view::npos || sp < 2) {
    return InvalidArgumentError("malformed master key file");
  }
  uint32_t version = 0;
  for (char c : line.substr(1, sp - 1)) {
    if (c < '0' || c > '9' || version > 100000000) return InvalidArgumentError("malformed master key version");
    version = version * 10 + static_cast<uint32_t>(c - '0');
  }
  if (version == 0) return InvalidArgumentError("malformed master key version");
  return version;
}

// Splits the file into lines (without their '\n').
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// Writes `body` to a temporary beside `path` (0600), fsyncs it, renames it over
// `path` and fsyncs the directory. `body` is the caller's to wipe.
Status ReplaceKeyFile(const std::string& path, std::string_view body) {
  const std::filesystem::path target(path);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crashed run of this process id
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("cannot create the new master key file");
  size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(fd, body.data() + written, body.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != body.size() || !synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return InternalError("cannot write the new master key file");
  }
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

}  // namespace

MasterKeyring::~MasterKeyring() = default;

Status MasterKeyring::CreateFile(const std::string& path, Random& random) {
  return CreateVersionedKeyFile(path, kFileHeader, kKeySize, "master key", random);
}

StatusOr<std::unique_ptr<MasterKeyring>> MasterKeyring::Load(const std::string& path) {
  auto ring = std::unique_ptr<MasterKeyring>(new MasterKeyring());
  ring->path_ = path;
  std::lock_guard<std::mutex> lock(ring->mu_);
  RETURN_IF_ERROR(ring->ReloadLocked());
  return ring;
}

Status MasterKeyring::ReloadLocked() const {
  struct stat st{};
  ASSIGN_OR_RETURN(std::string text, ReadMasterKeyFile(path_, &st));
  auto snap = std::make_shared<Snapshot>();
  Status status = OkStatus();
  for (std::string_view raw_line : Lines(text)) {
    std::string_view l = TrimAscii(raw_line);
    if (l.empty() || l[0] == '#') continue;
    auto version = LineVersion(l);
    if (!version.ok()) {
      status = version.status();
      break;
    }
    auto raw = HexDecode(TrimAscii(l.substr(l.find(' ') + 1)));
    if (!raw.ok() || raw->size() != kKeySize) {
      if (raw.ok()) OPENSSL_cleanse(raw->data(), raw->size());
      status = InvalidArgumentError("malformed master key");
      break;
    }
    auto material = KeyMaterial::FromBytes(*raw);
    OPENSSL_cleanse(raw->data(), raw->size());
    if (!material.ok()) {
      status = material.status();
      break;
    }
    snap->versions[*version] = std::move(material).value();
    snap->current = std::max(snap->current, *version);
  }
  OPENSSL_cleanse(text.data(), text.size());
  RETURN_IF_ERROR(status);
  if (snap->versions.empty()) return InvalidArgumentError("master key file holds no key");
  snap->dev = st.st_dev;
  snap->ino = st.st_ino;
  snap->mtime_ns = MtimeNs(st);
  snap->size = st.st_size;
  snapshot_ = std::move(snap);
  return OkStatus();
}

Status MasterKeyring::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReloadLocked();
}

std::shared_ptr<const MasterKeyring::Snapshot> MasterKeyring::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

StatusOr<std::shared_ptr<const MasterKeyring::Snapshot>> MasterKeyring::WithVersion(uint32_t version) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_->versions.count(version) == 0) {
    // Another process may have rotated the master key: read the file once.
    RETURN_IF_ERROR(ReloadLocked());
    if (snapshot_->versions.count(version) == 0) return NotFoundError("master key version is not in the key file");
  }
  return snapshot_;
}

StatusOr<std::shared_ptr<const MasterKeyring::Snapshot>> MasterKeyring::Fresh() const {
  std::lock_guard<std::mutex> lock(mu_);
  struct stat st{};
  if (::stat(path_.c_str(), &st) == 0 &&
      (st.st_dev != snapshot_->dev || st.st_ino != snapshot_->ino || MtimeNs(st) != snapshot_->mtime_ns ||
       st.st_size != snapshot_->size)) {
    RETURN_IF_ERROR(ReloadLocked());
  }
  return snapshot_;
}

uint32_t MasterKeyring::current_version() const { return Current()->current; }

std::vector<uint32_t> MasterKeyring::versions() const {
  std::vector<uint32_t> out;
  for (const auto& [version, key] : Current()->versions) out.push_back(version);
  return out;
}

StatusOr<uint32_t> MasterKeyring::AddVersionToFile(const std::string& path, Random& random) {
  // Validates the file and finds the highest version.
  ASSIGN_OR_RETURN(auto ring, Load(path));
  const uint32_t next = ring->current_version() + 1;
  ring.reset();
  struct stat st{};
  ASSIGN_OR_RETURN(std::string text, ReadMasterKeyFile(path, &st));
  auto key = random.Bytes(kKeySize);
  if (!key.ok()) {
    OPENSSL_cleanse(text.data(), text.size());
    return key.status();
  }
  std::string hex = HexEncode(*key);
  OPENSSL_cleanse(key->data(), key->size());
  // One buffer, sized before anything is appended (no reallocated copies).
  std::string body;
  body.reserve(text.size() + hex.size() + 32);
  body.append(text);
  if (!body.empty() && body.back() != '\n') body += '\n';
  body += 'v';
  body += std::to_string(next);
  body += ' ';
  body += hex;
  body += '\n';
  OPENSSL_cleanse(hex.data(), hex.size());
  OPENSSL_cleanse(text.data(), text.size());
  text.swap(body);
  Status written = ReplaceKeyFile(path, text);
  OPENSSL_cleanse(text.data(), text.size());
  RETURN_IF_ERROR(written);
  return next;
}

StatusOr<std::vector<uint32_t>> MasterKeyring::RetireVersionsInFile(const std::string& path,
                                                                   const std::set<uint32_t>& retire) {
  ASSIGN_OR_RETURN(auto ring, Load(path));
  if (retire.count(ring->current_version()) != 0) {
    return FailedPreconditionError("the current master key version cannot be retired");
  }
  ring.reset();
  struct stat st{};
  ASSIGN_OR_RETURN(std::string text, ReadMasterKeyFile(path, &st));
  std::string body;
  body.reserve(text.size());  // no reallocated copies of the kept keys
  std::vector<uint32_t> removed;
  for (std::string_view raw_line : Lines(text)) {
    std::string_view l = TrimAscii(raw_line);
    if (!l.empty() && l[0] != '#') {
      auto version = LineVersion(l);
      if (version.ok() && retire.count(*version) != 0) {
        removed.push_back(*version);
        continue;
      }
    }
    body += raw_line;
    body += '\n';
  }
  OPENSSL_cleanse(text.data(), text.size());
  Status written = removed.empty() ? OkStatus() : ReplaceKeyFile(path, body);
  OPENSSL_cleanse(body.data(), body.size());
  RETURN_IF_ERROR(written);
  return removed;
}

StatusOr<uint32_t> MasterKeyring::SealedSecretVersion(std::string_view sealed) {
  const size_t colon = sealed.find(':');
  if (sealed.size() < 3 || sealed[0] != 'v' || colon == std::string_view::npos || colon < 2) {
    return InvalidArgumentError("malformed sealed secret");
  }
  uint32_t version = 0;
  for (char c : sealed.substr(1, colon - 1)) {
    if (c < '0' || c > '9' || version > 100000000) return InvalidArgumentError("malformed sealed secret");
    version = version * 10 + static_cast<uint32_t>(c - '0');
  }
  return version;
}

StatusOr<WrappedKey> MasterKeyring::Wrap(std::string_view practice_id, std::string_view key_id, std::string_view dek,
                                         Random& random) const {
  ASSIGN_OR_RETURN(auto snap, Fresh());
  const auto& master = snap->versions.at(snap->current);
  ASSIGN_OR_RETURN(std::string sealed, Seal(master->bytes(), dek, WrapAad(practice_id, key_id), random));
  return WrappedKey{std::string(key_id), snap->current, std::move(sealed)};
}

StatusOr<std::unique_ptr<KeyMaterial>> MasterKeyring::Unwrap(std::string_view practice_id,
                                                             const WrappedKey& wrapped) const {
  auto found = WithVersion(wrapped.master_version);
  if (!found.ok()) return found.status().WithContext("data key " + wrapped.key_id);
  const auto snap = std::move(found).value();
  const auto& master = snap->versions.at(wrapped.master_version);
  auto dek = Open(master->bytes(), wrapped.wrapped, WrapAad(practice_id, wrapped.key_id));
  if (!dek.ok()) return dek.status().WithContext("data key " + wrapped.key_id);
  auto material = KeyMaterial::FromBytes(*dek);
  OPENSSL_cleanse(dek->data(), dek->size());
  return material;
}

StatusOr<WrappedKey> MasterKeyring::Rewrap(std::string_view practice_id, const WrappedKey& wrapped,
                                           Random& random) const {
  ASSIGN_OR_RETURN(auto dek, Unwrap(practice_id, wrapped));
  return Wrap(practice_id, wrapped.key_id, dek->bytes(), random);
}

namespace {
StatusOr<std::string> InstallationKey(const KeyMaterial& master, std::string_view purpose) {
  return HkdfSha256(master.bytes(), "recall installation secret v1|" + std::string(purpose), kKeySize);
}
}  // namespace

StatusOr<std::string> MasterKeyring::SealInstallationSecret(std::string_view purpose, std::string_view context,
                                                            std::string_view plaintext, Random& random) const {
  ASSIGN_OR_RETURN(auto snap, Fresh());
  ASSIGN_OR_RETURN(std::string key, InstallationKey(*snap->versions.at(snap->current), purpose));
  auto sealed = Seal(key, plaintext, context, random);
  OPENSSL_cleanse(key.data(), key.size());
  if (!sealed.ok()) return sealed.status();
  return "v" + std::to_string(snap->current) + ":" + HexEncode(*sealed);
}

StatusOr<std::string> MasterKeyring::OpenInstallationSecret(std::string_view purpose, std::string_view context,
                                                            std::string_view sealed) const {
  ASSIGN_OR_RETURN(uint32_t version, SealedSecretVersion(sealed));
  auto raw = HexDecode(sealed.substr(sealed.find(':') + 1));
  if (!raw.ok()) return InvalidArgumentError("malformed sealed secret");
  ASSIGN_OR_RETURN(auto snap, WithVersion(version));
  ASSIGN_OR_RETURN(std::string key, InstallationKey(*snap->versions.at(version), purpose));
  auto plain = Open(key, *raw, context);
  OPENSSL_cleanse(key.data(), key.size());
  return plain;
}

StatusOr<std::string> MasterKeyring::ResealInstallationSecret(std::string_view purpose, std::string_view context,
                                                              std::string_view sealed, Random& random) const {
  ASSIGN_OR_RETURN(std::string plain, OpenInstallationSecret(purpose, context, sealed));
  auto resealed = SealInstallationSecret(purpose, context, plain, random);
  OPENSSL_cleanse(plain.data(), plain.size());
  return resealed;
}

StatusOr<std::shared_ptr<const PracticeKeys>> PracticeKeys::Derive(std::string_view practice_id,
                                                                   const KeyMaterial& root, const KeyMaterial* field) {
  auto keys = std::shared_ptr<PracticeKeys>(new PracticeKeys());
  keys->practice_id_ = std::string(practice_id);
  auto derive = [&](const KeyMaterial& dek, std::string_view label) -> StatusOr<std::unique_ptr<KeyMaterial>> {
    std::string info = std::string(label) + "|" + std::string(practice_id);
    ASSIGN_OR_RETURN(std::string k, HkdfSha256(dek.bytes(), info, kKeySize));
    auto m = KeyMaterial::FromBytes(k);
    OPENSSL_cleanse(k.data(), k.size());
    return m;
  };
  // The same label either way: a field data key is simply another input key.
  ASSIGN_OR_RETURN(keys->field_key_, derive(field != nullptr ? *field : root, "recall field encryption v1"));
  ASSIGN_OR_RETURN(keys->index_key_, derive(root, "recall blind index v1"));
  ASSIGN_OR_RETURN(keys->pseudonym_key_, derive(root, "recall audit pseudonym v1"));
  ASSIGN_OR_RETURN(keys->token_key_, derive(root, "recall signed token v1"));
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
