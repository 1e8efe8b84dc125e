#pragma once
// SMS encoding and segment count for rendered text, as carriers bill it.
//
// A message goes out in GSM-7 (3GPP TS 23.038 default alphabet) when every
// character is in the basic table or its extension table, and in UCS-2
// otherwise (in practice UTF-16, so characters outside the BMP are sent as
// surrogate pairs).
//   GSM-7: basic characters take one septet; extension characters
//          (€ [ ] { } ~ ^ | \ and form feed) take two (ESC + code).
//          160 septets fit one message; concatenated parts carry 153.
//   UCS-2: every UTF-16 code unit counts; a surrogate pair (emoji) counts two.
//          70 units fit one message; concatenated parts carry 67.
// Concatenated parts never split a two-unit character (an escape sequence or a
// surrogate pair), so the count is made by packing characters part by part,
// not by dividing: 152 basic characters, "€" and 152 more are 306 septets,
// which division would fit in two parts of 153, but the euro cannot straddle
// the boundary, so they take three.
//
// Pure and thread-safe; no state.
#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace recall::templates {

enum class SmsEncoding { kGsm7, kUcs2 };
// "GSM-7" or "UCS-2".
std::string_view SmsEncodingName(SmsEncoding encoding);

struct SmsSegmentInfo {
  SmsEncoding encoding = SmsEncoding::kGsm7;
  size_t units = 0;     // septets (GSM-7) or UTF-16 code units (UCS-2)
  size_t segments = 0;  // 0 for empty text, 1 up to 160/70 units, then parts
};

// Classifies `utf8` and counts its segments. The GSM-7 basic table is taken
// strictly: 0x09 is "Ç" (capital) only, so "ç" forces UCS-2, as does "á".
// Fails with InvalidArgument when `utf8` is not valid UTF-8.
StatusOr<SmsSegmentInfo> AnalyzeSms(std::string_view utf8);

}  // namespace recall::templates
