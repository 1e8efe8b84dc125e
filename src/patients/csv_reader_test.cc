#include "patients/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace recall::patients {
namespace {

struct Rec {
  std::vector<std::string> fields;
  int64_t line;
};

StatusOr<std::vector<Rec>> ReadAll(const std::string& text, CsvLimits limits = {}) {
  std::istringstream in(text);
  CsvReader r(in, limits);
  std::vector<Rec> out;
  std::vector<std::string> f;
  int64_t line = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, r.Next(f, line));
    if (!more) break;
    out.push_back({f, line});
  }
  return out;
}

TEST(CsvReaderTest, QuotesNewlinesCrlfBom) {
  auto recs = ReadAll("\xEF\xBB\xBFid,name\r\n1,\"Doe, Jane\"\r\n2,\"multi\r\nline\"\r\n3,\"say \"\"hi\"\"\"\r\n");
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  ASSERT_EQ(recs->size(), 4u);
  EXPECT_EQ((*recs)[0].fields[0], "id");  // BOM stripped
  EXPECT_EQ((*recs)[1].fields[1], "Doe, Jane");
  EXPECT_EQ((*recs)[2].fields[1], "multi\r\nline");
  EXPECT_EQ((*recs)[3].fields[1], "say \"hi\"");
  EXPECT_EQ((*recs)[1].line, 2);
  EXPECT_EQ((*recs)[2].line, 3);
  EXPECT_EQ((*recs)[3].line, 5);  // the embedded newline took line 4
}

TEST(CsvReaderTest, LfOnlyAndBlankLinesAndNoFinalNewline) {
  auto recs = ReadAll("a,b\n\n1,2\n3,4");
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[1].line, 3);
  EXPECT_EQ((*recs)[2].line, 4);
  EXPECT_EQ((*recs)[2].fields[1], "4");
}

TEST(CsvReaderTest, MalformedQuotesAreErrorsWithLine) {
  auto recs = ReadAll("a,b\n1,2\n3,\"unterminated\n");
  ASSERT_FALSE(recs.ok());
  EXPECT_EQ(recs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(recs.status().message().find("line 3"), std::string::npos) << recs.status().message();

  auto stray = ReadAll("a,b\n1,x\"y\"z\n");
  EXPECT_FALSE(stray.ok());
}

TEST(CsvReaderTest, FieldLimit) {
  CsvLimits limits;
  limits.max_field_bytes = 10;
  auto recs = ReadAll("a,b\n1,\"" + std::string(100, 'x') + "\"\n", limits);
  EXPECT_FALSE(recs.ok());
}

TEST(CsvReaderTest, EmptyInput) {
  auto recs = ReadAll("");
  ASSERT_TRUE(recs.ok());
  EXPECT_TRUE(recs->empty());
}

}  // namespace
}  // namespace recall::patients
