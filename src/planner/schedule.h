#pragma once
// Practice-local schedule times -> instants (private to src/planner/).
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace recall::planner {

// "YYYY-MM-DDTHH:MM" in IANA zone `timezone` -> the instant. A local time
// that a DST change skips or repeats resolves to the earlier instant.
// InvalidArgument for a malformed time or an unknown zone.
StatusOr<TimePoint> LocalToInstant(std::string_view local, const std::string& timezone);

}  // namespace recall::planner
