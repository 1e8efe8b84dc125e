#include "planner/schedule.h"

#include <date/tz.h>

#include <exception>
#include <sstream>

namespace recall::planner {

StatusOr<TimePoint> LocalToInstant(std::string_view local, const std::string& timezone) {
  try {
    std::istringstream in{std::string(local)};
    date::local_time<std::chrono::minutes> when;
    in >> date::parse("%Y-%m-%dT%H:%M", when);
    if (in.fail()) return InvalidArgumentError("a schedule time is YYYY-MM-DDTHH:MM");
    const date::time_zone* zone = date::locate_zone(timezone);
    return std::chrono::time_point_cast<TimePoint::duration>(zone->to_sys(when, date::choose::earliest));
  } catch (const std::exception&) {
    return InvalidArgumentError("unknown time zone for the practice's schedule");
  }
}

}  // namespace recall::planner
