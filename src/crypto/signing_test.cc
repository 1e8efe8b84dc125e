#include "crypto/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "crypto/crypto.h"

namespace recall::crypto {
namespace {

// RFC 8032 section 7.1, test 2: one-byte message.
constexpr char kSeedHex[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr char kPublicHex[] = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr char kSignatureHex[] =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

TEST(SigningTest, MatchesRfc8032Vector) {
  auto seed = HexDecode(kSeedHex);
  ASSERT_TRUE(seed.ok());
  auto key = SigningKey::FromSeed(*seed);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode((*key)->public_key()), kPublicHex);
  EXPECT_EQ((*key)->key_id(), HexEncode(Sha256((*key)->public_key())).substr(0, 16));
  auto sig = (*key)->Sign(std::string(1, '\x72'));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), kSignatureHex);
}

TEST(SigningTest, VerifyAcceptsGoodAndRefusesChanged) {
  SecureRandom rnd;
  auto key = SigningKey::Generate(rnd);
  ASSERT_TRUE(key.ok());
  auto sig = (*key)->Sign("the chain head");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifySignature((*key)->public_key(), "the chain head", *sig).ok());
  EXPECT_EQ(VerifySignature((*key)->public_key(), "the chain heaD", *sig).code(), StatusCode::kDataLoss);
  std::string bad = *sig;
  bad[10] ^= 1;
  EXPECT_EQ(VerifySignature((*key)->public_key(), "the chain head", bad).code(), StatusCode::kDataLoss);
  EXPECT_EQ(VerifySignature((*key)->public_key(), "x", "short").code(), StatusCode::kInvalidArgument);
  auto other = SigningKey::Generate(rnd);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifySignature((*other)->public_key(), "the chain head", *sig).code(), StatusCode::kDataLoss);
}

class SigningKeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("recall-signing-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "keys" / "signing.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
  SecureRandom rnd_;
};

TEST_F(SigningKeyringTest, CreateLoadAndVersions) {
  ASSERT_TRUE(SigningKeyring::CreateFile(path_, rnd_).ok());
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(SigningKeyring::CreateFile(path_, rnd_).code(), StatusCode::kAlreadyExists);
  auto ring = SigningKeyring::Load(path_);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  const auto first = (*ring)->current();
  EXPECT_EQ(first->version(), 1u);
  // A second version becomes current; the first stays known.
  std::ofstream(path_, std::ios::app) << "v2 " << kSeedHex << "\n";
  ring = SigningKeyring::Load(path_);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ((*ring)->current()->version(), 2u);
  EXPECT_EQ(HexEncode((*ring)->current()->public_key()), kPublicHex);
  EXPECT_EQ((*ring)->KnownKeys().size(), 2u);
  auto pub = (*ring)->PublicKey(first->key_id());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, first->public_key());
  EXPECT_EQ((*ring)->PublicKey("0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST_F(SigningKeyringTest, RefusesLooseModeAndMalformed) {
  EXPECT_EQ(SigningKeyring::Load(path_).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(SigningKeyring::CreateFile(path_, rnd_).ok());
  ::chmod(path_.c_str(), 0644);
  EXPECT_EQ(SigningKeyring::Load(path_).status().code(), StatusCode::kFailedPrecondition);
  ::chmod(path_.c_str(), 0600);
  std::ofstream(path_, std::ios::app) << "v3 nothex\n";
  auto bad = SigningKeyring::Load(path_);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("nothex"), std::string::npos);
}

}  // namespace
}  // namespace recall::crypto
