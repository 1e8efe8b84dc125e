#include "common/redact.h"

#include <unicode/utf8.h>

namespace recall {

namespace {
// The first code point of `s` (whole UTF-8 sequence), so masking never splits one.
std::string_view FirstCodePoint(std::string_view s) {
  if (s.empty()) return s;
  int32_t i = 0;
  UChar32 cp;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, static_cast<int32_t>(s.size()), cp);
  (void)cp;
  return s.substr(0, static_cast<size_t>(i));
}
}  // namespace

std::string MaskName(std::string_view name) {
  if (name.empty()) return "";
  return std::string(FirstCodePoint(name)) + "***";
}

std::string MaskPhone(std::string_view e164) {
  if (e164.size() < 5) return "***";
  std::string_view last4 = e164.substr(e164.size() - 4);
  if (e164.size() == 12 && e164.substr(0, 2) == "+1") return "+1 ***-***-" + std::string(last4);
  // Country code: up to 3 digits after '+'; we show only the '+' and last four.
  return "+** ***" + std::string(last4);
}

std::string MaskEmail(std::string_view email) {
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  std::string_view local = email.substr(0, at);
  std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.rfind('.');
  std::string out = std::string(FirstCodePoint(local)) + "***@";
  if (dot == std::string_view::npos || dot == 0) return out + "***";
  return out + std::string(FirstCodePoint(domain)) + "***" + std::string(domain.substr(dot));
}

}  // namespace recall
