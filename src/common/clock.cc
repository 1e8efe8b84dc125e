#include "common/clock.h"

#include <date/date.h>

#include <sstream>

namespace recall {

std::string FormatRfc3339Millis(TimePoint t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  return date::format("%FT%TZ", ms);
}

StatusOr<TimePoint> ParseRfc3339(std::string_view text) {
  std::istringstream in{std::string(text)};
  date::sys_time<std::chrono::milliseconds> tp;
  in >> date::parse("%FT%TZ", tp);
  if (in.fail()) return InvalidArgumentError("timestamp is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)");
  return TimePoint(tp);
}

}  // namespace recall
