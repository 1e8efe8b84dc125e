#include "common/text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace recall {

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

uint32_t FoldedText::SourceEnd(size_t fend) const {
  if (fend == 0) return origin.empty() ? 0 : origin[0];
  const uint32_t start = origin[fend - 1];
  // The next folded byte that comes from a later source code point marks the end.
  for (size_t i = fend; i < origin.size(); ++i) {
    if (origin[i] != start) return origin[i];
  }
  return origin.back();
}

namespace {

const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* norm = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return norm;
}

}  // namespace

FoldedText FoldForMatching(std::string_view utf8) {
  FoldedText out;
  out.text.reserve(utf8.size());
  out.origin.reserve(utf8.size() + 1);
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(utf8.size());
  int32_t i = 0;
  std::string folded_cp;
  while (i < n) {
    const int32_t start = i;
    if (p[i] < 0x80) {
      uint8_t c = p[i++];
      if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + 32);
      out.text.push_back(static_cast<char>(c));
      out.origin.push_back(static_cast<uint32_t>(start));
      continue;
    }
    UChar32 cp;
    U8_NEXT(p, i, n, cp);
    if (cp < 0) cp = 0xFFFD;
    if (u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) continue;
    folded_cp.clear();
    const icu::Normalizer2* norm = NfkcCasefold();
    if (norm != nullptr) {
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString us(cp);
      icu::UnicodeString f = norm->normalize(us, status);
      if (U_SUCCESS(status)) f.toUTF8String(folded_cp);
    }
    if (folded_cp.empty() && norm == nullptr) {
      folded_cp.assign(utf8.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    }
    for (char c : folded_cp) {
      out.text.push_back(c);
      out.origin.push_back(static_cast<uint32_t>(start));
    }
  }
  out.origin.push_back(static_cast<uint32_t>(utf8.size()));
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view TrimAscii(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return s.substr(b, e - b);
}

}  // namespace recall
