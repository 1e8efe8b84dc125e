#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace recall::crypto {
namespace {

TEST(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacKnownAnswer) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, SealOpenRoundTripAndTamper) {
  SecureRandom rnd;
  std::string key(32, 'k');
  auto sealed = Seal(key, "+15555550100", "patient.phone|pat_1", rnd);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("+15555550100"), std::string::npos);
  EXPECT_EQ(*Open(key, *sealed, "patient.phone|pat_1"), "+15555550100");
  // Wrong context (moved to another row) fails authentication.
  EXPECT_EQ(Open(key, *sealed, "patient.phone|pat_2").status().code(), StatusCode::kDataLoss);
  std::string bad = *sealed;
  bad[14] ^= 1;
  EXPECT_EQ(Open(key, bad, "patient.phone|pat_1").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Open(std::string(32, 'x'), *sealed, "patient.phone|pat_1").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(Seal("short", "x", "", rnd).ok());
}

TEST(CryptoTest, HkdfDiffersByInfo) {
  auto a = HkdfSha256(std::string(32, 'm'), "a", 32);
  auto b = HkdfSha256(std::string(32, 'm'), "b", 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->size(), 32u);
}

}  // namespace
}  // namespace recall::crypto
