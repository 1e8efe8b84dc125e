#include "templates/internal/text_util.h"

#include <unicode/uchar.h>

#include "common/text.h"

namespace recall::templates::internal {

bool DecodeUtf8(std::string_view s, size_t* pos, char32_t* cp) {
  const size_t start = *pos;
  if (start >= s.size()) return false;
  const auto lead = static_cast<unsigned char>(s[start]);
  if (lead < 0x80) {
    *cp = lead;
    *pos = start + 1;
    return true;
  }
  size_t len;
  char32_t value;
  if ((lead & 0xE0) == 0xC0) {
    len = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    value = lead & 0x07;
  } else {
    return false;
  }
  if (s.size() - start < len) return false;
  for (size_t k = 1; k < len; ++k) {
    const auto cont = static_cast<unsigned char>(s[start + k]);
    if ((cont & 0xC0) != 0x80) return false;
    value = (value << 6) | (cont & 0x3F);
  }
  if ((len == 2 && value < 0x80) || (len == 3 && value < 0x800) || (len == 4 && value < 0x10000)) {
    return false;
  }
  if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
  *cp = value;
  *pos = start + len;
  return true;
}

std::string LiteralText(const ParsedTemplate& parsed, bool strip_markup) {
  std::string out;
  for (const auto& segment : parsed.segments()) {
    if (segment.kind == ParsedTemplate::SegmentKind::kVariable) {
      out += ' ';
      continue;
    }
    if (!strip_markup) {
      out += segment.text;
      continue;
    }
    // A '<' that never closes is text, as browsers show it.
    std::string_view text = segment.text;
    size_t begin = 0;
    while (begin < text.size()) {
      const size_t open = text.find('<', begin);
      if (open == std::string_view::npos) {
        out.append(text.substr(begin));
        break;
      }
      const size_t close = text.find('>', open);
      if (close == std::string_view::npos) {
        out.append(text.substr(begin));
        break;
      }
      out.append(text.substr(begin, open - begin));
      out += ' ';
      begin = close + 1;
    }
  }
  return out;
}

std::vector<std::string> FoldedWords(std::string_view text) {
  const FoldedText folded = FoldForMatching(text);
  const std::string_view s = folded.text;
  std::vector<std::string> words;
  std::string current;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    char32_t cp = 0;
    if (!DecodeUtf8(s, &pos, &cp)) {
      pos = start + 1;
      cp = U'\uFFFD';
    }
    const auto c = static_cast<UChar32>(cp);
    const bool word_char = u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
    if (word_char) {
      current.append(s.substr(start, pos - start));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

size_t CollapsedLength(std::string_view text) {
  size_t length = 0;
  bool pending_space = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    char32_t cp = 0;
    if (!DecodeUtf8(text, &pos, &cp)) {
      pos = start + 1;
      cp = U'\uFFFD';
    }
    if (u_isUWhiteSpace(static_cast<UChar32>(cp))) {
      pending_space = length > 0;
      continue;
    }
    if (pending_space) ++length;
    pending_space = false;
    ++length;
  }
  return length;
}

}  // namespace recall::templates::internal
