#include "lifecycle/keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <set>
#include <string>

#include "engine/engine.h"
#include "store/lifecycle_store.h"

namespace recall::lifecycle {
namespace {

constexpr int kRewrapAttempts = 3;

// An exclusive advisory lock on "<key file>.lock" for one rotation.
class RotationLock {
 public:
  static StatusOr<std::unique_ptr<RotationLock>> Acquire(const std::string& key_file) {
    const std::string path = key_file + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return InternalError("cannot open the key rotation lock file");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return UnavailableError("another key rotation is running");
    }
    return std::unique_ptr<RotationLock>(new RotationLock(fd));
  }
  ~RotationLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  RotationLock(const RotationLock&) = delete;
  RotationLock& operator=(const RotationLock&) = delete;

 private:
  explicit RotationLock(int fd) : fd_(fd) {}
  int fd_;
};

std::string JoinVersions(const std::vector<uint32_t>& versions) {
  std::string out;
  for (uint32_t v : versions) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

// The sealing context of each kind of installation secret, as its owner seals
// it: users/users.cc (TotpContext) and server/server.cc (SealResponse).
StatusOr<std::string> SealingContext(const store::LifecycleStore::SealedSecret& secret) {
  if (secret.kind == store::LifecycleStore::kSealedTotp) return "user.totp|" + secret.owner_id;
  if (secret.kind == store::LifecycleStore::kSealedIdempotency) return secret.owner_id;
  return InternalError("unknown sealed secret kind");
}

Status RewrapEverything(engine::Engine& engine, uint32_t old_version, RotateResult& result) {
  const crypto::MasterKeyring& ring = engine.master_keys();
  const uint32_t target = ring.current_version();
  store::LifecycleStore& store = engine.store().lifecycle();
  Status last = OkStatus();
  for (int attempt = 0; attempt < kRewrapAttempts; ++attempt) {
    ASSIGN_OR_RETURN(auto keys, store.ListLiveDataKeys());
    ASSIGN_OR_RETURN(auto secrets, store.ListSealedSecrets());
    std::vector<store::LifecycleStore::KeyRewrap> rewraps;
    for (const auto& k : keys) {
      if (k.key.master_version == target) continue;
      auto rewrapped = ring.Rewrap(k.practice_id, k.key, engine.random());
      if (!rewrapped.ok()) return rewrapped.status().WithContext("practice " + k.practice_id);
      crypto::WrappedKey wrapped = std::move(rewrapped).value();
      if (wrapped.master_version != target) return UnavailableError("the master key file changed during the rotation");
      rewraps.push_back({k.practice_id, k.key.master_version, std::move(wrapped)});
    }
    std::vector<store::LifecycleStore::SecretReseal> reseals;
    for (const auto& sec : secrets) {
      ASSIGN_OR_RETURN(uint32_t version, crypto::MasterKeyring::SealedSecretVersion(sec.sealed));
      if (version == target) continue;
      ASSIGN_OR_RETURN(std::string context, SealingContext(sec));
      ASSIGN_OR_RETURN(std::string resealed,
                       ring.ResealInstallationSecret(sec.kind, context, sec.sealed, engine.random()));
      reseals.push_back({sec.kind, sec.owner_id, sec.sealed, std::move(resealed)});
    }
    audit::Details details = {{"old_version", int64_t{old_version}},
                              {"new_version", int64_t{target}},
                              {"keys_rewrapped", static_cast<int64_t>(rewraps.size())},
                              {"secrets_resealed", static_cast<int64_t>(reseals.size())}};
    last = store.RewrapKeys(rewraps, reseals, engine.Event("keys.master_rotated", "", "", details));
    if (last.ok()) {
      result.keys_rewrapped = static_cast<int64_t>(rewraps.size());
      result.secrets_resealed = static_cast<int64_t>(reseals.size());
      return OkStatus();
    }
    if (last.code() != StatusCode::kUnavailable) return last;
  }
  return last;
}

StatusOr<std::vector<uint32_t>> RetireLocked(engine::Engine& engine) {
  RETURN_IF_ERROR(engine.ReloadMasterKeys());
  const crypto::MasterKeyring& ring = engine.master_keys();
  ASSIGN_OR_RETURN(auto references, engine.store().lifecycle().MasterVersionReferences());
  const std::vector<uint32_t> held = ring.versions();
  const std::set<uint32_t> held_set(held.begin(), held.end());
  for (const auto& [version, count] : references) {
    // A row refers to a version the file no longer holds: never make it worse.
    if (held_set.count(version) == 0) {
      return DataLossError(std::to_string(count) + " keys or secrets refer to master key version " +
                           std::to_string(version) + ", which the key file does not hold");
    }
  }
  std::set<uint32_t> retire;
  for (uint32_t version : held) {
    if (version != ring.current_version() && references.count(version) == 0) retire.insert(version);
  }
  if (retire.empty()) return std::vector<uint32_t>{};
  ASSIGN_OR_RETURN(auto removed, crypto::MasterKeyring::RetireVersionsInFile(engine.master_key_file(), retire));
  RETURN_IF_ERROR(engine.ReloadMasterKeys());
  if (!removed.empty()) {
    audit::Details details = {{"versions_retired", JoinVersions(removed)},
                              {"count", static_cast<int64_t>(removed.size())},
                              {"current_version", int64_t{engine.master_keys().current_version()}}};
    RETURN_IF_ERROR(engine.store().audit().Append(engine.Event("keys.master_retired", "", "", details)).status());
  }
  return removed;
}

}  // namespace

StatusOr<RotateResult> RotateMasterKey(engine::Engine& engine, const RotateOptions& options) {
  const std::string& key_file = engine.master_key_file();
  ASSIGN_OR_RETURN(auto lock, RotationLock::Acquire(key_file));
  RETURN_IF_ERROR(engine.ReloadMasterKeys());
  RotateResult result;
  result.old_version = engine.master_keys().current_version();
  ASSIGN_OR_RETURN(result.new_version, crypto::MasterKeyring::AddVersionToFile(key_file, engine.random()));
  RETURN_IF_ERROR(engine.ReloadMasterKeys());
  if (engine.master_keys().current_version() != result.new_version) {
    return InternalError("the master key file did not take the new version");
  }
  RETURN_IF_ERROR(RewrapEverything(engine, result.old_version, result));
  if (options.stop_before_retire_for_test) return result;
  ASSIGN_OR_RETURN(result.versions_retired, RetireLocked(engine));
  return result;
}

StatusOr<std::vector<uint32_t>> RetireUnreferencedMasterVersions(engine::Engine& engine) {
  ASSIGN_OR_RETURN(auto lock, RotationLock::Acquire(engine.master_key_file()));
  return RetireLocked(engine);
}

}  // namespace recall::lifecycle
