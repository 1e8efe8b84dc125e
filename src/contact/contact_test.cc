#include "contact/contact.h"

#include <gtest/gtest.h>

namespace recall::contact {
namespace {

TEST(PhoneTest, ParsesUsFormats) {
  for (const char* text : {"(217) 555-0143", "217-555-0143", "217.555.0143", "+1 217 555 0143", "2175550143",
                           "1-217-555-0143"}) {
    auto p = ParsePhone(text);
    ASSERT_TRUE(p.ok()) << text;
    EXPECT_EQ(p->e164, "+12175550143");
  }
}

TEST(PhoneTest, RejectsInvalid) {
  for (const char* text : {"", "555-0143", "abc", "(000) 000-0000", "123"}) {
    EXPECT_FALSE(ParsePhone(text).ok()) << text;
  }
}

TEST(PhoneTest, ErrorsDoNotEchoTheNumber) {
  auto p = ParsePhone("555-0143");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message().find("0143"), std::string::npos);
}

TEST(EmailTest, NormalizesAndRejects) {
  EXPECT_EQ(*NormalizeEmail(" Jane.Doe@Example.COM "), "jane.doe@example.com");
  for (const char* text : {"", "jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@c.com",
                           "jane@exa..mple.com"}) {
    EXPECT_FALSE(NormalizeEmail(text).ok()) << text;
  }
}

TEST(StateTest, CodesAndNames) {
  EXPECT_EQ(*NormalizeUsState("il"), "IL");
  EXPECT_EQ(*NormalizeUsState("New York"), "NY");
  EXPECT_FALSE(NormalizeUsState("ZZ").ok());
}

TEST(TimeZoneTest, Validates) {
  EXPECT_TRUE(ValidateTimeZone("America/Chicago").ok());
  EXPECT_FALSE(ValidateTimeZone("Mars/Olympus").ok());
}

TEST(DateTest, UsFormats) {
  EXPECT_EQ(*ParseUsDate("2024-03-05"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("03/05/2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("3/5/2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("3/5/24"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("12/31/99"), "1999-12-31");
  EXPECT_EQ(*ParseUsDate("03-05-2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("20240305"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("Mar 5, 2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("March 5 2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("5-Mar-2024"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("03/05/2024 10:30 AM"), "2024-03-05");
  EXPECT_EQ(*ParseUsDate("2024-03-05T10:30:00"), "2024-03-05");
  for (const char* bad : {"", "02/30/2024", "13/01/2024", "yesterday", "2024-3", "1/2/3/4", "00/00/0000"}) {
    EXPECT_FALSE(ParseUsDate(bad).ok()) << bad;
  }
}

TEST(PostalTest, Zip) {
  EXPECT_EQ(*NormalizeUsPostalCode("62701-1234"), "62701");
  EXPECT_EQ(*NormalizeUsPostalCode("2134"), "02134");
  EXPECT_FALSE(NormalizeUsPostalCode("ABCDE").ok());
}

}  // namespace
}  // namespace recall::contact

namespace recall::contact {
namespace {

// The exchange cache must give the same verdicts as libphonenumber itself.
TEST(PhoneTest, ExchangeCacheAgreesWithLibphonenumber) {
  const char* numbers[] = {"(217) 555-0143", "(217) 555-9999", "(999) 555-0143", "(217) 155-0143", "(800) 555-0100",
                           "(416) 555-0143", "+1 (416) 555-0101", "(217) 555-0143", "(999) 555-0100"};
  for (int pass = 0; pass < 2; ++pass) {  // second pass answers from the cache
    for (const char* n : numbers) {
      auto p = ParsePhone(n);
      const std::string num(n);
      const bool expect_valid = num.find("(999)") == std::string::npos && num.find(") 155") == std::string::npos;
      EXPECT_EQ(p.ok(), expect_valid) << n << " pass " << pass;
    }
  }
  EXPECT_EQ(ParsePhone("+1 (416) 555-0101")->e164, "+14165550101");
  EXPECT_FALSE(ParsePhone("+44 217 555 0143").ok() && ParsePhone("+44 217 555 0143")->e164.rfind("+1", 0) == 0);
}

}  // namespace
}  // namespace recall::contact
