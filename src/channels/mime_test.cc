#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/smtp/mime_builder.h"
#include "channels/testing/messages.h"
#include "channels/testing/smtp_sink.h"

namespace recall::channels {
namespace {

using testing::SampleEmail;
using testing::SpanishEmail;

TimePoint TestDate() { return *ParseRfc3339("2026-11-25T18:06:06Z"); }

std::string BuildOrDie(const OutboundMessage& m) {
  auto built = MimeBuilder::Build(m, TestDate());
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  return built.ok() ? *built : "";
}

// The header block, unfolded, for exact header checks.
std::string HeaderBlock(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

nlohmann::json ParseWithPython(const std::string& message) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/m.eml";
  testing::WriteFileOrDie(path, message);
  const auto result = testing::RunCommand(testing::PythonTool("mime_dump.py") + " " + path);
  EXPECT_EQ(result.exit_code, 0);
  return nlohmann::json::parse(result.output);
}

TEST(MimeBuilderTest, WritesTheHeadersInOrder) {
  const std::string headers = HeaderBlock(BuildOrDie(SampleEmail()));
  EXPECT_EQ(headers,
            "Date: Wed, 25 Nov 2026 18:06:06 +0000\r\n"
            "From: \"Maple Dental\" <office@mapledental.example>\r\n"
            "Reply-To: frontdesk@mapledental.example\r\n"
            "To: jane.roe@patients.example\r\n"
            "Subject: Time for your checkup\r\n"
            "Message-ID: <msg_0001@mapledental.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "List-Unsubscribe: <https://recall.example/u/tok_abc123>,\r\n"
            " <mailto:unsubscribe@recall.example?subject=tok_abc123>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            "Content-Type: multipart/alternative;\r\n"
            " boundary=\"" +
                headers.substr(headers.find("=_recall_"), 33) + "\"\r\n");
}

TEST(MimeBuilderTest, IsDeterministicSoResendsAreRecognisable) {
  EXPECT_EQ(BuildOrDie(SampleEmail("msg_same")), BuildOrDie(SampleEmail("msg_same")));
  EXPECT_NE(BuildOrDie(SampleEmail("msg_a")), BuildOrDie(SampleEmail("msg_b")));
}

TEST(MimeBuilderTest, AnIndependentParserSeesBothPartsDecoded) {
  const OutboundMessage m = SampleEmail();
  const nlohmann::json parsed = ParseWithPython(BuildOrDie(m));
  EXPECT_EQ(parsed["defects"], 0);
  EXPECT_EQ(parsed["headers"]["Subject"], m.subject);
  EXPECT_EQ(parsed["from_name"], "Maple Dental");
  EXPECT_EQ(parsed["from_address"], m.from_address);
  ASSERT_EQ(parsed["parts"].size(), 2u);
  EXPECT_EQ(parsed["parts"][0]["type"], "text/plain");
  EXPECT_EQ(parsed["parts"][0]["charset"], "utf-8");
  EXPECT_EQ(parsed["parts"][0]["cte"], "quoted-printable");
  // Quoted-printable carries CRLF; the parser hands back LF line endings.
  EXPECT_EQ(parsed["parts"][0]["content"].get<std::string>(), m.text_body);
  EXPECT_EQ(parsed["parts"][1]["type"], "text/html");
  EXPECT_EQ(parsed["parts"][1]["content"].get<std::string>(), m.html_body + "\n");
}

TEST(MimeBuilderTest, EncodesNonAsciiNamesAndSubjects) {
  const OutboundMessage m = SpanishEmail();
  const std::string message = BuildOrDie(m);
  const std::string headers = HeaderBlock(message);
  EXPECT_NE(headers.find("From: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(headers.find("Subject: =?UTF-8?B?"), std::string::npos);
  for (unsigned char c : headers) ASSERT_LT(c, 0x80) << "headers must be 7-bit";
  size_t line_start = 0;
  while (line_start < headers.size()) {
    const size_t eol = headers.find("\r\n", line_start);
    EXPECT_LE(eol - line_start, 78u) << headers.substr(line_start, eol - line_start);
    line_start = eol + 2;
  }
  const nlohmann::json parsed = ParseWithPython(message);
  EXPECT_EQ(parsed["defects"], 0);
  EXPECT_EQ(parsed["headers"]["Subject"], m.subject);
  EXPECT_EQ(parsed["from_name"], m.from_name);
  EXPECT_EQ(parsed["parts"][0]["content"].get<std::string>(),
            m.text_body + "\n" + std::string(testing::kPracticeAddress) + "\n");
}

TEST(MimeBuilderTest, RefusesHeaderInjection) {
  struct Case {
    const char* field;
    void (*mutate)(OutboundMessage&);
  };
  const Case cases[] = {
      {"subject", [](OutboundMessage& m) { m.subject = "Hi\r\nBcc: victim@evil.example"; }},
      {"subject", [](OutboundMessage& m) { m.subject = "Hi\nBcc: victim@evil.example"; }},
      {"from_name", [](OutboundMessage& m) { m.from_name = "Maple\r\nBcc: victim@evil.example"; }},
      {"to", [](OutboundMessage& m) { m.to = "jane@patients.example\r\nBcc: victim@evil.example"; }},
      {"reply_to", [](OutboundMessage& m) { m.reply_to = "a@b.example>\r\nX: y"; }},
      {"from_address", [](OutboundMessage& m) { m.from_address = "Maple <office@mapledental.example>"; }},
      {"unsubscribe_url", [](OutboundMessage& m) { m.unsubscribe_url = "https://x.example/\r\nBcc: v@e.example"; }},
      {"unsubscribe_url", [](OutboundMessage& m) { m.unsubscribe_url = "http://not-https.example/u"; }},
      {"unsubscribe_mailto", [](OutboundMessage& m) { m.unsubscribe_mailto = "https://wrong-scheme.example"; }},
      {"message_id", [](OutboundMessage& m) { m.message_id = "msg_1>\r\nBcc: v@e.example"; }},
      {"postal_address", [](OutboundMessage& m) { m.postal_address = ""; }},
      {"subject", [](OutboundMessage& m) { m.subject = std::string("bad \xff utf8"); }},
  };
  for (const Case& c : cases) {
    OutboundMessage m = SampleEmail();
    c.mutate(m);
    const auto built = MimeBuilder::Build(m, TestDate());
    ASSERT_FALSE(built.ok()) << c.field;
    EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_NE(built.status().message().find(c.field), std::string::npos) << built.status().ToString();
    // Never echo the value (it may be PHI, and it is attacker-controlled).
    EXPECT_EQ(built.status().message().find("evil.example"), std::string::npos);
    EXPECT_EQ(built.status().message().find("patients.example"), std::string::npos);
  }
}

TEST(MimeBuilderTest, OneClickNeedsTheHttpsUrl) {
  OutboundMessage m = SampleEmail();
  m.unsubscribe_url.clear();
  std::string headers = HeaderBlock(BuildOrDie(m));
  EXPECT_NE(headers.find("List-Unsubscribe: <mailto:unsubscribe@recall.example?subject=tok_abc123>\r\n"),
            std::string::npos);
  EXPECT_EQ(headers.find("List-Unsubscribe-Post"), std::string::npos);

  m = SampleEmail();
  m.unsubscribe_mailto.clear();
  headers = HeaderBlock(BuildOrDie(m));
  EXPECT_NE(headers.find("List-Unsubscribe: <https://recall.example/u/tok_abc123>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);

  m.unsubscribe_url.clear();
  EXPECT_EQ(HeaderBlock(BuildOrDie(m)).find("List-Unsubscribe"), std::string::npos);
}

TEST(MimeBuilderTest, AppendsThePostalAddressOnlyWhenMissing) {
  OutboundMessage m = SampleEmail();
  std::string message = BuildOrDie(m);
  size_t count = 0;
  for (size_t pos = message.find("100 Maple Ave"); pos != std::string::npos;
       pos = message.find("100 Maple Ave", pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u);  // once per part, as the caller rendered it

  m.text_body = "No address here.";
  m.html_body = "<html><BODY><p>No address here.</p></BODY></html>";
  m.postal_address = "1 Elm St & Co, Springfield";
  const nlohmann::json parsed = ParseWithPython(BuildOrDie(m));
  EXPECT_EQ(parsed["parts"][0]["content"].get<std::string>(), "No address here.\n\n1 Elm St & Co, Springfield\n");
  EXPECT_EQ(parsed["parts"][1]["content"].get<std::string>(),
            "<html><BODY><p>No address here.</p><p>1 Elm St &amp; Co, Springfield</p>\n</BODY></html>\n");
}

TEST(MimeBuilderTest, TextOnlyWhenThereIsNoHtml) {
  OutboundMessage m = SampleEmail();
  m.html_body.clear();
  const std::string message = BuildOrDie(m);
  EXPECT_NE(HeaderBlock(message).find("Content-Type: text/plain; charset=UTF-8\r\n"
                                      "Content-Transfer-Encoding: quoted-printable\r\n"),
            std::string::npos);
  const nlohmann::json parsed = ParseWithPython(message);
  ASSERT_EQ(parsed["parts"].size(), 1u);
  EXPECT_EQ(parsed["parts"][0]["content"].get<std::string>(), m.text_body);
}

TEST(QuotedPrintableTest, EscapesAndSoftBreaks) {
  EXPECT_EQ(QuotedPrintableEncode("a=b"), "a=3Db\r\n");
  EXPECT_EQ(QuotedPrintableEncode("año"), "a=C3=B1o\r\n");
  EXPECT_EQ(QuotedPrintableEncode("trailing \nnext\t"), "trailing=20\r\nnext=09\r\n");
  EXPECT_EQ(QuotedPrintableEncode(".\n.x"), "=2E\r\n=2Ex\r\n");
  EXPECT_EQ(QuotedPrintableEncode("a\r\nb\rc\n"), "a\r\nb\r\nc\r\n");
  const std::string encoded = QuotedPrintableEncode(std::string(200, 'x') + "ñ" + std::string(100, 'y'));
  size_t line_start = 0;
  while (line_start < encoded.size()) {
    const size_t eol = encoded.find("\r\n", line_start);
    EXPECT_LE(eol - line_start, 76u);
    line_start = eol + 2;
  }
}

TEST(MimeHelpersTest, Base64AndDatesAndAddresses) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(FormatRfc5322Date(*ParseRfc3339("2027-01-03T00:00:09Z")), "Sun, 03 Jan 2027 00:00:09 +0000");
  EXPECT_TRUE(IsPlainAddress("o'brien+tag@mail.example.org"));
  EXPECT_FALSE(IsPlainAddress("no-at.example"));
  EXPECT_FALSE(IsPlainAddress("a@localhost"));
  EXPECT_FALSE(IsPlainAddress("a b@x.example"));
  EXPECT_FALSE(IsPlainAddress("a@x.example>"));
  EXPECT_FALSE(IsPlainAddress("josé@x.example"));
  EXPECT_FALSE(IsPlainAddress(".a@x.example"));
}

}  // namespace
}  // namespace recall::channels
