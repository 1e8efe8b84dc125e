#include "common/redact.h"

#include <gtest/gtest.h>

namespace recall {
namespace {

TEST(RedactTest, Masks) {
  EXPECT_EQ(MaskName("John"), "J***");
  EXPECT_EQ(MaskName("\xC3\x89lise"), "\xC3\x89***");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskPhone("+15555554321"), "+1 ***-***-4321");
  EXPECT_EQ(MaskPhone("+442071838750"), "+** ***8750");
  EXPECT_EQ(MaskEmail("jane.doe@example.com"), "j***@e***.com");
  EXPECT_EQ(MaskEmail("broken"), "***");
}

}  // namespace
}  // namespace recall
