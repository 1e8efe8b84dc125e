#include "crypto/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

namespace recall::crypto {
namespace {

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("recall-keyring-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "keys" / "master.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
  SecureRandom rnd_;
};

TEST_F(KeyringTest, CreateLoadWrapUnwrap) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(MasterKeyring::CreateFile(path_, rnd_).code(), StatusCode::kAlreadyExists);

  auto ring = MasterKeyring::Load(path_);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  std::string dek(32, 'd');
  auto wrapped = (*ring)->Wrap("prc_1", "dk_1", dek, rnd_);
  ASSERT_TRUE(wrapped.ok());
  auto back = (*ring)->Unwrap("prc_1", *wrapped);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->bytes(), dek);
  // A wrapped key cannot be moved to another practice.
  EXPECT_EQ((*ring)->Unwrap("prc_2", *wrapped).status().code(), StatusCode::kDataLoss);
}

TEST_F(KeyringTest, RefusesLoosePermissions) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  ::chmod(path_.c_str(), 0644);
  EXPECT_EQ(MasterKeyring::Load(path_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(KeyringTest, MissingFileIsFailedPrecondition) {
  EXPECT_EQ(MasterKeyring::Load(path_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(KeyringTest, AddVersionAndRetire) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  auto added = MasterKeyring::AddVersionToFile(path_, rnd_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 2u);
  auto ring = MasterKeyring::Load(path_);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ((*ring)->versions(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ((*ring)->current_version(), 2u);
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The current version cannot go; others can.
  EXPECT_EQ(MasterKeyring::RetireVersionsInFile(path_, {2}).status().code(), StatusCode::kFailedPrecondition);
  auto removed = MasterKeyring::RetireVersionsInFile(path_, {1, 7});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<uint32_t>{1});
  ASSERT_TRUE((*ring)->Reload().ok());
  EXPECT_EQ((*ring)->versions(), std::vector<uint32_t>{2});
  // No temporaries are left beside the file.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "keys")) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(KeyringTest, ReloadsWhenAnotherProcessRotated) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  auto server = MasterKeyring::Load(path_);  // loaded before the rotation
  ASSERT_TRUE(server.ok());
  const std::string dek(32, 'd');
  auto old_wrap = (*server)->Wrap("prc_1", "dk_1", dek, rnd_);
  auto old_secret = (*server)->SealInstallationSecret("totp", "user.totp|usr_1", "seed", rnd_);
  ASSERT_TRUE(old_wrap.ok() && old_secret.ok());

  ASSERT_TRUE(MasterKeyring::AddVersionToFile(path_, rnd_).ok());
  auto cli = MasterKeyring::Load(path_);
  ASSERT_TRUE(cli.ok());
  auto new_wrap = (*cli)->Rewrap("prc_1", *old_wrap, rnd_);
  ASSERT_TRUE(new_wrap.ok());
  EXPECT_EQ(new_wrap->master_version, 2u);
  EXPECT_EQ(new_wrap->key_id, "dk_1");
  auto new_secret = (*cli)->ResealInstallationSecret("totp", "user.totp|usr_1", *old_secret, rnd_);
  ASSERT_TRUE(new_secret.ok());
  EXPECT_EQ(new_secret->substr(0, 3), "v2:");
  ASSERT_TRUE(MasterKeyring::RetireVersionsInFile(path_, {1}).ok());

  // The server meets v2 for the first time: it reloads once and opens it.
  auto back = (*server)->Unwrap("prc_1", *new_wrap);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->bytes(), dek);
  auto seed = (*server)->OpenInstallationSecret("totp", "user.totp|usr_1", *new_secret);
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(*seed, "seed");
  // Retired: v1 is gone after the reload, and new wraps use v2.
  EXPECT_EQ((*server)->Unwrap("prc_1", *old_wrap).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*server)->Wrap("prc_2", "dk_2", dek, rnd_)->master_version, 2u);
  // A version no file ever held stays NotFound.
  WrappedKey bogus = *new_wrap;
  bogus.master_version = 9;
  EXPECT_EQ((*server)->Unwrap("prc_1", bogus).status().code(), StatusCode::kNotFound);
}

TEST_F(KeyringTest, WrapFollowsAReplacedFile) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  auto ring = MasterKeyring::Load(path_);
  ASSERT_TRUE(ring.ok());
  ASSERT_TRUE(MasterKeyring::AddVersionToFile(path_, rnd_).ok());
  auto wrapped = (*ring)->Wrap("prc_1", "dk_1", std::string(32, 'd'), rnd_);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->master_version, 2u);
  auto sealed = (*ring)->SealInstallationSecret("totp", "ctx", "x", rnd_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->substr(0, 3), "v2:");
}

TEST_F(KeyringTest, ConcurrentUseDuringReloads) {
  ASSERT_TRUE(MasterKeyring::CreateFile(path_, rnd_).ok());
  auto ring = MasterKeyring::Load(path_);
  ASSERT_TRUE(ring.ok());
  const std::string dek(32, 'd');
  auto wrapped = (*ring)->Wrap("prc_1", "dk_1", dek, rnd_);
  ASSERT_TRUE(wrapped.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < 4; ++thread_idx) {
    threads.emplace_back([&] {
      SecureRandom rnd;
      for (int iter = 0; iter < 200; ++iter) {
        auto back = (*ring)->Unwrap("prc_1", *wrapped);
        if (!back.ok() || (*back)->bytes() != dek) ++failures;
        if (!(*ring)->Wrap("prc_1", "dk_x", dek, rnd).ok()) ++failures;
      }
    });
  }
  for (int iter = 0; iter < 20; ++iter) {
    if (!(*ring)->Reload().ok()) ++failures;
  }
  ASSERT_TRUE(MasterKeyring::AddVersionToFile(path_, rnd_).ok());
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(KeyringTest, PracticeKeysAreSeparated) {
  auto dek = KeyMaterial::FromBytes(std::string(32, 'd'));
  ASSERT_TRUE(dek.ok());
  auto a = PracticeKeys::Derive("prc_a", **dek);
  auto b = PracticeKeys::Derive("prc_b", **dek);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->BlindIndex("phone", "+15555550100"), (*b)->BlindIndex("phone", "+15555550100"));
  EXPECT_EQ((*a)->BlindIndex("phone", "+15555550100"), (*a)->BlindIndex("phone", "+15555550100"));
  EXPECT_NE((*a)->BlindIndex("phone", "x"), (*a)->BlindIndex("email", "x"));
  EXPECT_EQ((*a)->Pseudonym("MRN1").substr(0, 4), "sub_");
  EXPECT_EQ((*a)->Pseudonym("MRN1").size(), 36u);
  auto sealed = (*a)->EncryptField("Jane", "patient.first_name|pat_1", rnd_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*(*a)->DecryptField(*sealed, "patient.first_name|pat_1"), "Jane");
  EXPECT_FALSE((*b)->DecryptField(*sealed, "patient.first_name|pat_1").ok());
}

}  // namespace
}  // namespace recall::crypto
