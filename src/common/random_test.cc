#include "common/random.h"

#include <gtest/gtest.h>

namespace recall {
namespace {

TEST(RandomTest, SeededIsDeterministic) {
  SeededRandom a(7), b(7);
  EXPECT_EQ(*a.Bytes(16), *b.Bytes(16));
  EXPECT_EQ(*a.NewId("prc"), *b.NewId("prc"));
}

TEST(RandomTest, IdsHavePrefixAndDiffer) {
  SecureRandom r;
  std::string a = *r.NewId("pat"), b = *r.NewId("pat");
  EXPECT_EQ(a.substr(0, 4), "pat_");
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
}

TEST(RandomTest, Hex) {
  EXPECT_EQ(HexEncode("\x01\xff"), "01ff");
  EXPECT_EQ(*HexDecode("01FF"), "\x01\xff");
  EXPECT_FALSE(HexDecode("0g").ok());
}

}  // namespace
}  // namespace recall
