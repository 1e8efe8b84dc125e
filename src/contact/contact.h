#pragma once
// Contact validation: phones (libphonenumber), email addresses, US states,
// IANA time zones, and calendar dates in the formats US exports use.
// Pure functions; thread-safe. Error messages never quote the value.
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::contact {

enum class LineType { kUnknown, kMobile, kLandline };
std::string_view LineTypeName(LineType t);  // "unknown" | "mobile" | "landline"

struct Phone {
  std::string e164;
  // What libphonenumber can tell from the number alone. US/CA numbers are
  // FIXED_LINE_OR_MOBILE, i.e. kUnknown: the export's column or a carrier
  // lookup must say which.
  LineType line_type = LineType::kUnknown;
};

// Parses and validates a phone number, with `default_region` (ISO 3166 alpha-2,
// e.g. "US") for numbers without a country code. InvalidArgument when it is not
// a valid number.
StatusOr<Phone> ParsePhone(std::string_view text, std::string_view default_region = "US");

// Lower-cases and checks the syntax (RFC 5321 lengths, one '@', a dotted
// domain, no spaces or control characters). InvalidArgument otherwise.
StatusOr<std::string> NormalizeEmail(std::string_view text);

// "IL", "il", "Illinois" -> "IL" (50 states, DC and territories). InvalidArgument otherwise.
StatusOr<std::string> NormalizeUsState(std::string_view text);

// OK when `tz` names a zone in the system tz database. InvalidArgument otherwise.
Status ValidateTimeZone(std::string_view tz);

// Dates as US exports write them -> "YYYY-MM-DD":
//   2024-03-05, 2024/03/05, 03/05/2024, 3/5/2024, 03-05-2024, 3/5/24 (pivot 70),
//   20240305, Mar 5 2024, March 5, 2024, 5-Mar-2024, and any of these followed by a time.
// InvalidArgument for anything else or an impossible date.
StatusOr<std::string> ParseUsDate(std::string_view text);

// Syntax check of a 5-digit or ZIP+4 US postal code -> 5 digits. InvalidArgument otherwise.
StatusOr<std::string> NormalizeUsPostalCode(std::string_view text);

}  // namespace recall::contact
