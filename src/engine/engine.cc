#include "engine/engine.h"

#include <sys/stat.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>

#include "crypto/crypto.h"
#include "store/lifecycle_store.h"

namespace recall::engine {

namespace fs = std::filesystem;

namespace {
// Creates the signing key file unless it exists; another process creating it
// at the same moment is not an error.
Status EnsureSigningKey(const std::string& path, Random& random) {
  if (fs::exists(path)) return OkStatus();
  Status created = crypto::SigningKeyring::CreateFile(path, random);
  if (created.code() == StatusCode::kAlreadyExists) return OkStatus();
  return created;
}
}  // namespace

std::string Engine::KeyFilePath(const EngineOptions& options) {
  if (!options.master_key_file.empty()) return options.master_key_file;
  if (const char* env = std::getenv("RECALL_MASTER_KEY_FILE"); env != nullptr && *env != '\0') return env;
  return (fs::path(options.data_dir) / "keys" / "master.key").string();
}

std::string Engine::SigningKeyFilePath(const EngineOptions& options) {
  return (fs::path(options.data_dir) / "keys" / "signing.key").string();
}

Status Engine::Init(const EngineOptions& options) {
  if (options.data_dir.empty()) return InvalidArgumentError("no data directory given");
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return InternalError("cannot create data directory");
  ::chmod(options.data_dir.c_str(), 0700);
  SecureRandom secure;
  Random* random = options.random != nullptr ? options.random : &secure;
  const std::string key_file = KeyFilePath(options);
  if (!fs::exists(key_file)) RETURN_IF_ERROR(crypto::MasterKeyring::CreateFile(key_file, *random));
  ASSIGN_OR_RETURN(auto ring, crypto::MasterKeyring::Load(key_file));
  const std::string signing_file = SigningKeyFilePath(options);
  RETURN_IF_ERROR(EnsureSigningKey(signing_file, *random));
  ASSIGN_OR_RETURN(auto signing, crypto::SigningKeyring::Load(signing_file));
  ASSIGN_OR_RETURN(auto store, store::OpenSqliteStore({(fs::path(options.data_dir) / "recall.db").string()}));
  return OkStatus();
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.data_dir.empty()) return InvalidArgumentError("no data directory given");
  if (options.actor.empty()) return InvalidArgumentError("no actor given");
  const fs::path db_path = fs::path(options.data_dir) / "recall.db";
  if (!fs::exists(db_path)) {
    return FailedPreconditionError("data directory is not initialised; run `recall init` first");
  }
  auto engine = std::unique_ptr<Engine>(new Engine());
  engine->data_dir_ = options.data_dir;
  engine->actor_ = options.actor;
  if (options.clock != nullptr) {
    engine->clock_ = options.clock;
  } else {
    engine->owned_clock_ = std::make_unique<SystemClock>();
    engine->clock_ = engine->owned_clock_.get();
  }
  if (options.random != nullptr) {
    engine->random_ = options.random;
  } else {
    engine->owned_random_ = std::make_unique<SecureRandom>();
    engine->random_ = engine->owned_random_.get();
  }
  ASSIGN_OR_RETURN(engine->master_, crypto::MasterKeyring::Load(KeyFilePath(options)));
  const std::string signing_file = SigningKeyFilePath(options);
  RETURN_IF_ERROR(EnsureSigningKey(signing_file, *engine->random_));
  ASSIGN_OR_RETURN(engine->signing_, crypto::SigningKeyring::Load(signing_file));
  ASSIGN_OR_RETURN(engine->store_, store::OpenSqliteStore({db_path.string()}));
  int64_t every = options.audit_checkpoint_every;
  if (const char* env = std::getenv("RECALL_AUDIT_CHECKPOINT_EVERY"); every <= 0 && env != nullptr) {
    every = std::strtoll(env, nullptr, 10);  // <= 0 or junk: the default
  }
  engine->store_->audit().SetCheckpointSigner(engine->signing_->current(), every);
  return engine;
}

std::unique_ptr<Engine> Engine::WithActor(std::string actor) {
  auto view = std::unique_ptr<Engine>(new Engine());
  view->data_dir_ = data_dir_;
  view->actor_ = std::move(actor);
  view->clock_ = clock_;
  view->random_ = random_;
  view->master_ = master_;
  view->signing_ = signing_;
  view->store_ = store_;
  view->root_ = root_ != nullptr ? root_ : this;
  return view;
}

StatusOr<std::shared_ptr<const crypto::PracticeKeys>> Engine::KeysFor(const std::string& practice_id) {
  if (root_ != nullptr) return root_->KeysFor(practice_id);
  // The live ids decide whether the cache is still right: a purge in this or
  // another process may have rotated the field key or destroyed every key.
  ASSIGN_OR_RETURN(auto live, store_->lifecycle().LiveDataKeys(practice_id));
  const store::DataKeyRow* root = nullptr;
  const store::DataKeyRow* field = nullptr;
  for (const auto& k : live) {  // newest first
    if (k.purpose == store::kKeyPurposeRoot && root == nullptr) root = &k;
    if (k.purpose == store::kKeyPurposeField && field == nullptr) field = &k;
  }
  if (root == nullptr) {
    ForgetKeys(practice_id);
    return NotFoundError("no live data key for practice " + practice_id);
  }
  const std::string field_id = field != nullptr ? field->key.key_id : "";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = keys_.find(practice_id);
        it != keys_.end() && it->second.root_key_id == root->key.key_id && it->second.field_key_id == field_id) {
      return it->second.keys;
    }
  }
  ASSIGN_OR_RETURN(auto root_dek, master_->Unwrap(practice_id, root->key));
  std::unique_ptr<crypto::KeyMaterial> field_dek;
  if (field != nullptr) {
    ASSIGN_OR_RETURN(field_dek, master_->Unwrap(practice_id, field->key));
  }
  ASSIGN_OR_RETURN(auto keys, crypto::PracticeKeys::Derive(practice_id, *root_dek, field_dek.get()));
  std::lock_guard<std::mutex> lock(mu_);
  keys_[practice_id] = CachedKeys{root->key.key_id, field_id, keys};
  return keys;
}

void Engine::ForgetKeys(const std::string& practice_id) {
  if (root_ != nullptr) return root_->ForgetKeys(practice_id);
  std::lock_guard<std::mutex> lock(mu_);
  keys_.erase(practice_id);
}

StatusOr<crypto::WrappedKey> Engine::NewDataKey(const std::string& practice_id) {
  ASSIGN_OR_RETURN(std::string key_id, random_->NewId("dk"));
  ASSIGN_OR_RETURN(std::string dek, random_->Bytes(crypto::kKeySize));
  auto wrapped = master_->Wrap(practice_id, key_id, dek, *random_);
  std::fill(dek.begin(), dek.end(), '\0');
  return wrapped;
}

StatusOr<std::optional<audit::Checkpoint>> Engine::CheckpointAudit() {
  return store_->audit().CheckpointHead(clock_->Now());
}

audit::AuditEvent Engine::Event(std::string action, std::string practice_id, std::string subject,
                                audit::Details details) const {
  return audit::AuditEvent{clock_->Now(), actor_, std::move(action), std::move(practice_id), std::move(subject),
                           std::move(details)};
}

}  // namespace recall::engine
