#include "templates/sms_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace recall::templates {
namespace {

SmsSegmentInfo Analyze(const std::string& text) {
  auto info = AnalyzeSms(text);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : SmsSegmentInfo{};
}

std::string Repeat(const std::string& unit, size_t count) {
  std::string out;
  for (size_t idx = 0; idx < count; ++idx) out += unit;
  return out;
}

TEST(SmsEncodingTest, EmptyTextHasNoSegments) {
  const auto info = Analyze("");
  EXPECT_EQ(info.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(info.units, 0u);
  EXPECT_EQ(info.segments, 0u);
}

TEST(SmsEncodingTest, Names) {
  EXPECT_EQ(SmsEncodingName(SmsEncoding::kGsm7), "GSM-7");
  EXPECT_EQ(SmsEncodingName(SmsEncoding::kUcs2), "UCS-2");
}

TEST(SmsEncodingTest, Gsm7SingleAndConcatenatedBoundaries) {
  EXPECT_EQ(Analyze(Repeat("a", 160)).segments, 1u);
  const auto over = Analyze(Repeat("a", 161));
  EXPECT_EQ(over.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(over.units, 161u);
  EXPECT_EQ(over.segments, 2u);
  EXPECT_EQ(Analyze(Repeat("a", 306)).segments, 2u);
  EXPECT_EQ(Analyze(Repeat("a", 307)).segments, 3u);
  EXPECT_EQ(Analyze(Repeat("a", 459)).segments, 3u);
  EXPECT_EQ(Analyze(Repeat("a", 460)).segments, 4u);
}

TEST(SmsEncodingTest, ExtensionCharactersTakeTwoSeptets) {
  for (const std::string ext : {"€", "[", "]", "{", "}", "~", "^", "|", "\\", "\f"}) {
    const auto info = Analyze(ext);
    EXPECT_EQ(info.encoding, SmsEncoding::kGsm7) << ext;
    EXPECT_EQ(info.units, 2u) << ext;
  }
  EXPECT_EQ(Analyze(Repeat("a", 158) + "€").segments, 1u);  // 160 septets
  const auto spill = Analyze(Repeat("a", 159) + "€");       // 161 septets
  EXPECT_EQ(spill.units, 161u);
  EXPECT_EQ(spill.segments, 2u);
  EXPECT_EQ(Analyze(Repeat("[", 80)).segments, 1u);
  EXPECT_EQ(Analyze(Repeat("[", 81)).segments, 2u);
}

TEST(SmsEncodingTest, EscapeSequenceNeverStraddlesParts) {
  // 306 septets: division says two parts, but the euro cannot be split.
  const auto info = Analyze(Repeat("a", 152) + "€" + Repeat("a", 152));
  EXPECT_EQ(info.units, 306u);
  EXPECT_EQ(info.segments, 3u);
  // Moved one character earlier, it fits.
  EXPECT_EQ(Analyze(Repeat("a", 151) + "€" + Repeat("a", 153)).segments, 2u);
}

TEST(SmsEncodingTest, BasicTableIncludesAccentedAndGreekLetters) {
  const std::string basic =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const auto info = Analyze(basic);
  EXPECT_EQ(info.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(info.units, 127u);  // 128 code points minus ESC
  EXPECT_EQ(info.segments, 1u);
}

TEST(SmsEncodingTest, SpanishEnyeIsGsmButAcuteAIsNot) {
  const auto manana = Analyze("Mañana");
  EXPECT_EQ(manana.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(manana.units, 6u);
  const auto esta = Analyze("Su cita está confirmada");
  EXPECT_EQ(esta.encoding, SmsEncoding::kUcs2);
  EXPECT_EQ(esta.units, 23u);
}

TEST(SmsEncodingTest, CharactersOutsideTheTableForceUcs2) {
  for (const std::string text :
       {"á", "ç", "í", "ó", "ú", "Á", "`", "\t", "ê", "Ω€ą", "“quoted”", "—"}) {
    EXPECT_EQ(Analyze(text).encoding, SmsEncoding::kUcs2) << text;
  }
  EXPECT_EQ(Analyze("Ç").encoding, SmsEncoding::kGsm7);
}

TEST(SmsEncodingTest, Ucs2BoundariesAndSurrogatePairs) {
  EXPECT_EQ(Analyze(Repeat("á", 70)).segments, 1u);
  EXPECT_EQ(Analyze(Repeat("á", 71)).segments, 2u);
  EXPECT_EQ(Analyze(Repeat("á", 134)).segments, 2u);
  EXPECT_EQ(Analyze(Repeat("á", 135)).segments, 3u);

  const auto emoji = Analyze("See you soon 😀");
  EXPECT_EQ(emoji.encoding, SmsEncoding::kUcs2);
  EXPECT_EQ(emoji.units, 15u);  // 13 + a surrogate pair
  EXPECT_EQ(emoji.segments, 1u);

  EXPECT_EQ(Analyze(Repeat("😀", 35)).segments, 1u);  // 70 units
  EXPECT_EQ(Analyze(Repeat("😀", 36)).segments, 2u);
  // 134 units: division says two parts, but the pair cannot be split.
  const auto straddle = Analyze(Repeat("á", 66) + "😀" + Repeat("á", 66));
  EXPECT_EQ(straddle.units, 134u);
  EXPECT_EQ(straddle.segments, 3u);
}

TEST(SmsEncodingTest, RealisticReminders) {
  const std::string english =
      "Hi Ana, this is Maple Street Family Medicine reminding you of your appointment on "
      "Tue Mar 4 at 3:30 PM. Call (555) 010-2000 to reschedule. Reply STOP to opt out.";
  const auto en = Analyze(english);
  EXPECT_EQ(en.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(en.units, english.size());
  EXPECT_EQ(en.segments, 2u);

  const auto es = Analyze("Hola Ana, le recordamos su cita del martes a las 3:30. Responda PARAR.");
  EXPECT_EQ(es.encoding, SmsEncoding::kGsm7);
  EXPECT_EQ(es.segments, 1u);
}

TEST(SmsEncodingTest, InvalidUtf8IsRefused) {
  const auto info = AnalyzeSms("ok \xC3");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace recall::templates
