#include "crypto/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

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
