#include "lifecycle/keys.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/keyring.h"
#include "engine/engine_testing.h"
#include "practices/practices_testing.h"
#include "store/lifecycle_store.h"
#include "users/users.h"

namespace recall::lifecycle {
namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The hex keys in the master key file, by version.
std::map<uint32_t, std::string> FileKeys(const std::string& path) {
  std::map<uint32_t, std::string> out;
  std::istringstream in(ReadAll(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != 'v') continue;
    const size_t sp = line.find(' ');
    out[static_cast<uint32_t>(std::stoul(line.substr(1, sp - 1)))] = line.substr(sp + 1);
  }
  return out;
}

std::set<uint32_t> Versions(const std::map<uint32_t, std::string>& keys) {
  std::set<uint32_t> out;
  for (const auto& [v, k] : keys) out.insert(v);
  return out;
}

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    auto keys = engine_->KeysFor(practice_);
    ASSERT_TRUE(keys.ok());
    auto sealed = (*keys)->EncryptField("+12175550123", "patient.phone|pat_1", engine_->random());
    ASSERT_TRUE(sealed.ok());
    sealed_field_ = *sealed;
    ASSERT_TRUE(users::AddUser(*engine_, {"alice", "Alice", "correct horse battery", false}).ok());
    auto enrollment = users::EnrollTotp(*engine_, "alice");
    ASSERT_TRUE(enrollment.ok()) << enrollment.status().ToString();
    totp_secret_ = enrollment->secret_base32;
    key_file_ = engine_->master_key_file();
  }

  int64_t LiveKeys() {
    auto keys = engine_->store().lifecycle().ListLiveDataKeys();
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? static_cast<int64_t>(keys->size()) : -1;
  }

  // A fresh engine on the same directory: what another process sees.
  std::unique_ptr<engine::Engine> Reopen() {
    engine::EngineOptions o{engine_.dir().string(), "", "test:other", &engine_.clock(), nullptr};
    auto e = engine::Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(e).value() : nullptr;
  }

  void ExpectDataAndTotpWork(engine::Engine& engine) {
    auto keys = engine.KeysFor(practice_);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    auto plain = (*keys)->DecryptField(sealed_field_, "patient.phone|pat_1");
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(*plain, "+12175550123");
    auto code = users::TotpCodeForTest(totp_secret_, engine_.clock().Now());
    ASSERT_TRUE(code.ok());
    auto session = users::Login(engine, {"alice", "correct horse battery", *code});
    EXPECT_TRUE(session.ok()) << session.status().ToString();
  }

  engine::TestEngine engine_;
  std::string practice_;
  std::string sealed_field_;
  std::string totp_secret_;
  std::string key_file_;
};

TEST_F(KeysTest, RotateTwiceRetiresOldVersionsAndDataStillDecrypts) {
  const int64_t live_keys = LiveKeys();  // the practice's root and field keys
  ASSERT_GE(live_keys, 1);
  auto first = RotateMasterKey(*engine_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->old_version, 1u);
  EXPECT_EQ(first->new_version, 2u);
  EXPECT_EQ(first->keys_rewrapped, live_keys);
  EXPECT_EQ(first->secrets_resealed, 1);
  EXPECT_EQ(first->versions_retired, std::vector<uint32_t>{1});
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{2}));

  auto second = RotateMasterKey(*engine_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->old_version, 2u);
  EXPECT_EQ(second->new_version, 3u);
  EXPECT_EQ(second->versions_retired, std::vector<uint32_t>{2});
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{3}));
  EXPECT_EQ(engine_->master_keys().current_version(), 3u);

  // The file stays private.
  struct stat st{};
  ASSERT_EQ(::stat(key_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Every live key and secret now names version 3.
  auto refs = engine_->store().lifecycle().MasterVersionReferences();
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(*refs, (std::map<uint32_t, int64_t>{{3, live_keys + 1}}));  // + the TOTP secret
  EXPECT_EQ(engine_.CountAudit("keys.master_rotated"), 2);
  EXPECT_EQ(engine_.CountAudit("keys.master_retired"), 2);

  ExpectDataAndTotpWork(*engine_);
  auto other = Reopen();
  ASSERT_NE(other, nullptr);
  ExpectDataAndTotpWork(*other);
}

TEST_F(KeysTest, AnEngineLoadedBeforeTheRotationReloadsTheFile) {
  // Like `recall serve`: loaded at v1, nothing cached for a second practice.
  auto server = Reopen();
  ASSERT_NE(server, nullptr);
  auto second = practices::AddPracticeWithBaaForTest(engine_, "Oak Dental");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(RotateMasterKey(*engine_).ok());
  // The server's keyring lacks v2 and no longer needs v1: it reloads on the miss.
  EXPECT_EQ(server->master_keys().current_version(), 1u);
  EXPECT_TRUE(server->KeysFor(*second).ok());
  ExpectDataAndTotpWork(*server);
  EXPECT_EQ(server->master_keys().current_version(), 2u);
  // A practice it creates now is wrapped under v2, not the retired v1.
  auto wrapped = server->NewDataKey("prc_new");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->master_version, 2u);
}

TEST_F(KeysTest, CrashBetweenCommitAndFileRewriteLeavesAConsistentState) {
  // The store commit happened, the file rewrite did not: the file keeps v1.
  RotateOptions crash;
  crash.stop_before_retire_for_test = true;
  auto rotated = RotateMasterKey(*engine_, crash);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{1, 2}));
  // Another process opens the directory and reads everything.
  auto other = Reopen();
  ASSERT_NE(other, nullptr);
  ExpectDataAndTotpWork(*other);
  // The leftover is retired later, once nothing needs it.
  auto retired = RetireUnreferencedMasterVersions(*engine_);
  ASSERT_TRUE(retired.ok()) << retired.status().ToString();
  EXPECT_EQ(*retired, std::vector<uint32_t>{1});
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{2}));
  ExpectDataAndTotpWork(*other);
}

TEST_F(KeysTest, RetireKeepsVersionsThatRowsStillReferTo) {
  RotateOptions crash;
  crash.stop_before_retire_for_test = true;
  ASSERT_TRUE(RotateMasterKey(*engine_, crash).ok());  // file: v1, v2; rows: v2
  // A process that never saw v2 and never restats (simulated by a keyring
  // loaded from a copy of the old file) wraps a new practice's key under v1.
  const std::string old_copy = (engine_.dir() / "keys" / "old.key").string();
  {
    auto keys = FileKeys(key_file_);
    std::ofstream out(old_copy);
    out << "v1 " << keys[1] << "\n";
  }
  ::chmod(old_copy.c_str(), 0600);
  auto old_ring = crypto::MasterKeyring::Load(old_copy);
  ASSERT_TRUE(old_ring.ok());
  auto wrapped = (*old_ring)->Wrap("prc_late", "dk_late", std::string(32, 'k'), engine_->random());
  ASSERT_TRUE(wrapped.ok());
  ASSERT_EQ(wrapped->master_version, 1u);
  ASSERT_TRUE(engine_->store()
                  .practices()
                  .Create({"prc_late", "Late Dental", "1 Main St", "+12175550100", "office@late.example",
                           "America/Chicago", "IL", "2025-11-25T16:00:00Z"},
                          *wrapped, engine_->Event("practice.create", "prc_late"))
                  .ok());
  // v1 is still referred to: it stays.
  auto retired = RetireUnreferencedMasterVersions(*engine_);
  ASSERT_TRUE(retired.ok()) << retired.status().ToString();
  EXPECT_TRUE(retired->empty());
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{1, 2}));
  // The next rotation re-wraps it and then v1 (and v2) go.
  const int64_t live_keys = LiveKeys();
  auto again = RotateMasterKey(*engine_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->keys_rewrapped, live_keys);
  EXPECT_EQ(again->versions_retired, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{3}));
  ExpectDataAndTotpWork(*engine_);
}

TEST_F(KeysTest, KeyBytesNeverReachTheAuditLogOrResults) {
  std::vector<std::string> hex_keys;
  for (const auto& [v, k] : FileKeys(key_file_)) hex_keys.push_back(k);
  auto rotated = RotateMasterKey(*engine_);
  ASSERT_TRUE(rotated.ok());
  for (const auto& [v, k] : FileKeys(key_file_)) hex_keys.push_back(k);
  ASSERT_EQ(hex_keys.size(), 2u);
  std::string log;
  ASSERT_TRUE(engine_->store()
                  .audit()
                  .Scan(1,
                        [&](const audit::AuditRecord& r) {
                          log += r.action + r.details_json + "\n";
                          return true;
                        })
                  .ok());
  for (const auto& hex : hex_keys) {
    ASSERT_EQ(hex.size(), 64u);
    EXPECT_EQ(log.find(hex), std::string::npos);
    EXPECT_EQ(log.find(hex.substr(0, 16)), std::string::npos);
  }
}

TEST_F(KeysTest, SecondRotationAtTheSameTimeIsUnavailable) {
  const std::string lock_path = key_file_ + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto rotated = RotateMasterKey(*engine_);
  EXPECT_EQ(rotated.status().code(), StatusCode::kUnavailable);
  ::flock(fd, LOCK_UN);
  ::close(fd);
  EXPECT_EQ(Versions(FileKeys(key_file_)), (std::set<uint32_t>{1}));
}

}  // namespace
}  // namespace recall::lifecycle
