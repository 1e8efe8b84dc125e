#pragma once
// Quiet hours: may a message go out now, and if not, when?
//
// Three daily windows, all in the RECIPIENT's local wall-clock time, must all
// contain the send instant:
//   1. federal:  08:00-21:00 (47 CFR 64.1200(c)(1));
//   2. state:    08:00-20:00 in FL, OK and MD (data/timezones/state_rules.tsv);
//   3. practice: the practice's own send window. It is read in the patient's
//      local time too ("we text between 09:00 and 18:00" is a promise about
//      the patient's day, and a Chicago practice's 09:00 must not wake a
//      patient in Los Angeles at 07:00). A practice that wants its own office
//      hours in its own zone schedules campaigns accordingly.
// Windows are half-open, [start, end): 21:00:00 itself is too late. When the
// recipient has several candidate zones (recipient_time_zone.h) the instant
// must be allowed in every one of them.
//
// A failed check defers the message, it never drops it: next_allowed is the
// earliest instant >= now at which every window holds in every zone. It is
// computed exactly from the tz database, so DST days work: on a spring-forward
// day the 02:00-03:00 hour does not exist, on a fall-back day 01:00-02:00
// happens twice, and a window boundary that falls in such an hour is handled
// (a missing boundary opens at the transition).
//
// Pure and deterministic: `now` comes from the caller's injected Clock.
// Thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "dispatch/zone_tables.h"

namespace recall::dispatch {

inline constexpr std::string_view kReasonQuietHoursFederal =
    "quiet_hours_federal";
inline constexpr std::string_view kReasonQuietHoursState = "quiet_hours_state";
inline constexpr std::string_view kReasonPracticeWindow = "practice_window";

struct SendDecision {
  bool allowed = false;
  // "" when allowed; else the first rule that fails at `now`, in the order
  // federal, state, practice (a 22:00 send in Florida is
  // "quiet_hours_federal").
  std::string reason;
  // The candidate zone in which that rule fails ("" when allowed). A zone name
  // is not PHI and may go into the audit record.
  std::string zone;
  // == now when allowed; else the earliest instant > now when all rules pass in
  // all zones. Never before now.
  TimePoint next_allowed;
};

// `candidate_zones`: from RecipientTimeZones(); `state`: its rules_state ("" or
// a state without stricter rules means federal only); `practice_window`: the
// practice's window (SendWindow{} = no restriction of its own).
// InvalidArgument when `candidate_zones` is empty or names an unknown zone;
// FailedPrecondition when the tables cannot be loaded, or when the windows
// never overlap across the candidate zones within 8 days (e.g. a practice
// window of 08:00-09:00 for zones 6 hours apart): the message cannot be sent
// by these rules and a human must look.
StatusOr<SendDecision>
CheckSendTime(TimePoint now, const std::vector<std::string> &candidate_zones,
              const std::string &state, const SendWindow &practice_window);
StatusOr<SendDecision>
CheckSendTime(TimePoint now, const std::vector<std::string> &candidate_zones,
              const std::string &state, const SendWindow &practice_window,
              const ZoneTables &tables);

} // namespace recall::dispatch
