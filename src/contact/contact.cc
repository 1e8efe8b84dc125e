#include "contact/contact.h"

#include <date/date.h>
#include <date/tz.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <cctype>
#include <exception>

#include "common/text.h"

namespace recall::contact {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::string_view LineTypeName(LineType t) {
  switch (t) {
    case LineType::kMobile: return "mobile";
    case LineType::kLandline: return "landline";
    case LineType::kUnknown: break;
  }
  return "unknown";
}

namespace {

// NANP numbers written with digits and punctuation only: their ten digits, or "".
std::string NanpDigits(std::string_view t) {
  std::string digits;
  for (char c : t) {
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c != ' ' && c != '(' && c != ')' && c != '-' && c != '.' && c != '+') return "";
  }
  if (digits.size() == 11 && digits[0] == '1') digits.erase(0, 1);
  if (digits.size() != 10) return "";
  if (t.find('+') != std::string_view::npos && !(TrimAscii(t)[0] == '+' && TrimAscii(t).substr(1, 1) == "1")) return "";
  return digits;
}

// libphonenumber's NANP metadata decides validity from the area code and the
// exchange (NPA-NXX): the subscriber digits are free. So the verdict for one
// NPA-NXX holds for every number in it, and an import, whose numbers cluster in
// a few local exchanges, asks libphonenumber once per exchange instead of once
// per row (its regex matching dominated import time).
class NanpExchangeCache {
 public:
  std::optional<bool> Get(uint32_t npa_nxx) {
    std::shared_lock lock(mu_);
    auto it = valid_.find(npa_nxx);
    if (it == valid_.end()) return std::nullopt;
    return it->second;
  }
  void Put(uint32_t npa_nxx, bool valid) {
    std::unique_lock lock(mu_);
    if (valid_.size() < 1'000'000) valid_.emplace(npa_nxx, valid);  // 800,000 NANP exchanges at most
  }

 private:
  std::shared_mutex mu_;
  std::unordered_map<uint32_t, bool> valid_;  // GUARDED_BY(mu_)
};

NanpExchangeCache& ExchangeCache() {
  static NanpExchangeCache cache;
  return cache;
}

}  // namespace

StatusOr<Phone> ParsePhone(std::string_view text, std::string_view default_region) {
  std::string_view t = TrimAscii(text);
  if (t.empty()) return InvalidArgumentError("phone is empty");
  if (t.size() > 64) return InvalidArgumentError("phone is too long");
  const bool nanp_region = default_region == "US" || default_region == "CA";
  const std::string digits = nanp_region ? NanpDigits(t) : std::string();
  uint32_t npa_nxx = 0;
  if (!digits.empty()) {
    npa_nxx = static_cast<uint32_t>(std::stoul(digits.substr(0, 6)));
    if (auto valid = ExchangeCache().Get(npa_nxx); valid.has_value()) {
      if (!*valid) return InvalidArgumentError("phone is not a valid number");
      return Phone{"+1" + digits, LineType::kUnknown};
    }
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(std::string(t), std::string(default_region), &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return InvalidArgumentError("phone cannot be parsed");
  }
  if (!digits.empty()) {
    // The exchange's verdict, learned once (see NanpExchangeCache).
    const bool valid = number.country_code() == 1 && util->IsValidNumber(number);
    ExchangeCache().Put(npa_nxx, valid);
    if (!valid) return InvalidArgumentError("phone is not a valid number");
    Phone out;
    util->Format(number, PhoneNumberUtil::E164, &out.e164);
    return out;
  }
  Phone out;
  // Fast path: most numbers belong to the default region, and checking one
  // region is far cheaper than IsValidNumber's search over every region that
  // shares the country code (NANP has 25).
  if (util->IsValidNumberForRegion(number, std::string(default_region))) {
    util->Format(number, PhoneNumberUtil::E164, &out.e164);
    // NANP numbers are FIXED_LINE_OR_MOBILE by pattern: nothing more to learn.
    if (number.country_code() == 1) return out;
  } else if (util->IsValidNumber(number)) {
    util->Format(number, PhoneNumberUtil::E164, &out.e164);
  } else {
    return InvalidArgumentError("phone is not a valid number");
  }
  switch (util->GetNumberType(number)) {
    case PhoneNumberUtil::MOBILE: out.line_type = LineType::kMobile; break;
    case PhoneNumberUtil::FIXED_LINE: out.line_type = LineType::kLandline; break;
    default: out.line_type = LineType::kUnknown; break;
  }
  return out;
}

StatusOr<std::string> NormalizeEmail(std::string_view text) {
  std::string e = AsciiLower(TrimAscii(text));
  if (e.empty()) return InvalidArgumentError("email is empty");
  if (e.size() > 254) return InvalidArgumentError("email is too long");
  const size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) {
    return InvalidArgumentError("email must have exactly one '@'");
  }
  if (at > 64) return InvalidArgumentError("email local part is too long");
  const std::string_view domain = std::string_view(e).substr(at + 1);
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) {
    return InvalidArgumentError("email domain is not a dotted name");
  }
  if (domain.find("..") != std::string_view::npos || domain.front() == '-' || domain.front() == '.') {
    return InvalidArgumentError("email domain is malformed");
  }
  for (char c : e) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"' || c == '(' ||
        c == ')' || c == '[' || c == ']' || c == '\\') {
      return InvalidArgumentError("email contains a character that is not allowed");
    }
  }
  for (char c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || static_cast<unsigned char>(c) >= 0x80)) {
      return InvalidArgumentError("email domain contains a character that is not allowed");
    }
  }
  return e;
}

namespace {
struct StateName {
  const char* code;
  const char* name;
};
constexpr std::array<StateName, 56> kStates = {{
    {"AL", "alabama"}, {"AK", "alaska"}, {"AZ", "arizona"}, {"AR", "arkansas"}, {"CA", "california"},
    {"CO", "colorado"}, {"CT", "connecticut"}, {"DE", "delaware"}, {"FL", "florida"}, {"GA", "georgia"},
    {"HI", "hawaii"}, {"ID", "idaho"}, {"IL", "illinois"}, {"IN", "indiana"}, {"IA", "iowa"},
    {"KS", "kansas"}, {"KY", "kentucky"}, {"LA", "louisiana"}, {"ME", "maine"}, {"MD", "maryland"},
    {"MA", "massachusetts"}, {"MI", "michigan"}, {"MN", "minnesota"}, {"MS", "mississippi"}, {"MO", "missouri"},
    {"MT", "montana"}, {"NE", "nebraska"}, {"NV", "nevada"}, {"NH", "new hampshire"}, {"NJ", "new jersey"},
    {"NM", "new mexico"}, {"NY", "new york"}, {"NC", "north carolina"}, {"ND", "north dakota"}, {"OH", "ohio"},
    {"OK", "oklahoma"}, {"OR", "oregon"}, {"PA", "pennsylvania"}, {"RI", "rhode island"}, {"SC", "south carolina"},
    {"SD", "south dakota"}, {"TN", "tennessee"}, {"TX", "texas"}, {"UT", "utah"}, {"VT", "vermont"},
    {"VA", "virginia"}, {"WA", "washington"}, {"WV", "west virginia"}, {"WI", "wisconsin"}, {"WY", "wyoming"},
    {"DC", "district of columbia"}, {"PR", "puerto rico"}, {"GU", "guam"}, {"VI", "virgin islands"},
    {"AS", "american samoa"}, {"MP", "northern mariana islands"},
}};
}  // namespace

StatusOr<std::string> NormalizeUsState(std::string_view text) {
  const std::string t = AsciiLower(TrimAscii(text));
  for (const auto& s : kStates) {
    if (t == AsciiLower(s.code) || t == s.name) return std::string(s.code);
  }
  return InvalidArgumentError("not a US state or territory");
}

Status ValidateTimeZone(std::string_view tz) {
  if (tz.empty()) return InvalidArgumentError("time zone is empty");
  try {
    (void)date::locate_zone(tz);
  } catch (const std::exception&) {
    return InvalidArgumentError("not an IANA time zone: " + std::string(tz.substr(0, 64)));
  }
  return OkStatus();
}

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

int MonthFromName(std::string_view s) {
  static constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() < 3) return 0;
  const std::string lower = AsciiLower(s);
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (lower.compare(0, 3, kMonths[i]) == 0) return static_cast<int>(i) + 1;
  }
  return 0;
}

StatusOr<std::string> Ymd(int y, int m, int d) {
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}};
  if (y < 1900 || y > 2200 || !ymd.ok()) return InvalidArgumentError("not a calendar date");
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

}  // namespace

StatusOr<std::string> ParseUsDate(std::string_view text) {
  std::string_view t = TrimAscii(text);
  // Drop a trailing time ("03/05/2024 10:30 AM", "2024-03-05T10:30:00").
  if (size_t cut = t.find_first_of(" T"); cut != std::string_view::npos && cut >= 6) {
    std::string_view head = t.substr(0, cut);
    if (head.find_first_of("/-") != std::string_view::npos || AllDigits(head)) t = head;
  }
  if (t.size() == 8 && AllDigits(t)) return Ymd(ToInt(t.substr(0, 4)), ToInt(t.substr(4, 2)), ToInt(t.substr(6, 2)));
  // Split on / - . , and spaces.
  std::string_view parts[4];
  int n = 0;
  size_t i = 0;
  while (i < t.size() && n < 4) {
    while (i < t.size() && (t[i] == '/' || t[i] == '-' || t[i] == '.' || t[i] == ',' || t[i] == ' ')) ++i;
    size_t j = i;
    while (j < t.size() && !(t[j] == '/' || t[j] == '-' || t[j] == '.' || t[j] == ',' || t[j] == ' ')) ++j;
    if (j > i) parts[n++] = t.substr(i, j - i);
    i = j;
  }
  if (n != 3 || i < t.size()) return InvalidArgumentError("not a recognised date format");
  auto year = [](std::string_view y) -> int {
    if (y.size() == 4) return ToInt(y);
    if (y.size() == 2) {
      const int v = ToInt(y);
      return v < 70 ? 2000 + v : 1900 + v;
    }
    return -1;
  };
  if (AllDigits(parts[0]) && AllDigits(parts[1]) && AllDigits(parts[2])) {
    if (parts[0].size() == 4) return Ymd(ToInt(parts[0]), ToInt(parts[1]), ToInt(parts[2]));  // Y-M-D
    if (parts[0].size() <= 2 && parts[1].size() <= 2) {                                       // M/D/Y (US)
      const int y = year(parts[2]);
      if (y < 0) return InvalidArgumentError("not a recognised date format");
      return Ymd(y, ToInt(parts[0]), ToInt(parts[1]));
    }
    return InvalidArgumentError("not a recognised date format");
  }
  // "Mar 5 2024" / "March 5, 2024"
  if (int m = MonthFromName(parts[0]); m > 0 && AllDigits(parts[1]) && AllDigits(parts[2])) {
    const int y = year(parts[2]);
    if (y > 0 && parts[1].size() <= 2) return Ymd(y, m, ToInt(parts[1]));
  }
  // "5-Mar-2024"
  if (int m = MonthFromName(parts[1]); m > 0 && AllDigits(parts[0]) && AllDigits(parts[2])) {
    const int y = year(parts[2]);
    if (y > 0 && parts[0].size() <= 2) return Ymd(y, m, ToInt(parts[0]));
  }
  return InvalidArgumentError("not a recognised date format");
}

StatusOr<std::string> NormalizeUsPostalCode(std::string_view text) {
  std::string_view t = TrimAscii(text);
  if (t.size() == 10 && t[5] == '-') t = t.substr(0, 5);
  if (t.size() == 9 && AllDigits(t)) t = t.substr(0, 5);
  if (t.size() == 4 && AllDigits(t)) return "0" + std::string(t);  // spreadsheets drop the leading zero
  if (t.size() != 5 || !AllDigits(t)) return InvalidArgumentError("not a US postal code");
  return std::string(t);
}

}  // namespace recall::contact
