#include "templates/sms_encoding.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "templates/internal/text_util.h"

namespace recall::templates {
namespace {

// 3GPP TS 23.038 section 6.2.1, default alphabet. ASCII members: every
// printable ASCII character except ` [ \ ] ^ { | } ~ (five of which are in the
// extension table), plus LF and CR. ('$' sits at 0x02 and '¤' at 0x24: both are
// members, only their codes differ from ASCII.)
constexpr char32_t kBasicNonAscii[] = {
    U'£', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'Ø', U'ø', U'Å', U'å', U'Δ',
    U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'Æ', U'æ', U'ß', U'É',
    U'¤', U'¡', U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à',
};
// Extension table (each sent as ESC + code, two septets).
constexpr char32_t kExtension[] = {U'\f', U'^', U'{', U'}', U'\\', U'[', U'~', U']', U'|', U'€'};

constexpr size_t kGsmSingle = 160;
constexpr size_t kGsmPart = 153;
constexpr size_t kUcsSingle = 70;
constexpr size_t kUcsPart = 67;

// Septets for `cp` in GSM-7, or 0 when it is not representable.
size_t GsmSeptets(char32_t cp) {
  if (std::find(std::begin(kExtension), std::end(kExtension), cp) != std::end(kExtension)) return 2;
  if (cp == '\n' || cp == '\r') return 1;
  if (cp >= 0x20 && cp < 0x7F) return cp == '`' ? 0 : 1;
  if (std::find(std::begin(kBasicNonAscii), std::end(kBasicNonAscii), cp) !=
      std::end(kBasicNonAscii)) {
    return 1;
  }
  return 0;
}

// Packs characters of `widths` units each into parts of `part` units without
// splitting a character.
size_t PackedParts(const std::vector<uint8_t>& widths, size_t part) {
  size_t parts = 1;
  size_t used = 0;
  for (uint8_t width : widths) {
    if (used + width > part) {
      ++parts;
      used = 0;
    }
    used += width;
  }
  return parts;
}

}  // namespace

std::string_view SmsEncodingName(SmsEncoding encoding) {
  return encoding == SmsEncoding::kGsm7 ? "GSM-7" : "UCS-2";
}

StatusOr<SmsSegmentInfo> AnalyzeSms(std::string_view utf8) {
  std::vector<uint8_t> gsm_widths;
  std::vector<uint8_t> utf16_widths;
  bool gsm = true;
  size_t pos = 0;
  while (pos < utf8.size()) {
    char32_t cp = 0;
    if (!internal::DecodeUtf8(utf8, &pos, &cp)) {
      return InvalidArgumentError("SMS text is not valid UTF-8 at byte " + std::to_string(pos));
    }
    utf16_widths.push_back(cp > 0xFFFF ? 2 : 1);
    if (gsm) {
      const size_t septets = GsmSeptets(cp);
      if (septets == 0) {
        gsm = false;
      } else {
        gsm_widths.push_back(static_cast<uint8_t>(septets));
      }
    }
  }

  SmsSegmentInfo info;
  const auto& widths = gsm ? gsm_widths : utf16_widths;
  info.encoding = gsm ? SmsEncoding::kGsm7 : SmsEncoding::kUcs2;
  for (uint8_t width : widths) info.units += width;
  const size_t single = gsm ? kGsmSingle : kUcsSingle;
  const size_t part = gsm ? kGsmPart : kUcsPart;
  if (info.units == 0) {
    info.segments = 0;
  } else if (info.units <= single) {
    info.segments = 1;
  } else {
    info.segments = PackedParts(widths, part);
  }
  return info;
}

}  // namespace recall::templates
