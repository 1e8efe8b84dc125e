#pragma once
// A practice's own dispatch settings: its send window, frequency caps, what to
// do when no approved template speaks a patient's language, the links and
// addresses its messages carry, and the average visit value its ROI estimate
// uses. Stored as one JSON object per practice (store: PracticeStore
// Get/PutSettings); absent keys take the defaults below. Not PHI.
//
// JSON keys (all optional; any other key is InvalidArgument):
//   "send_window":        "HH:MM-HH:MM" in the recipient's local time, inside
//                         the law's windows; "" = the law's windows only
//   "cap_per_day":        0..10   (default 1; FCC healthcare exemption)
//   "cap_per_week":       0..50   (default 3)
//   "language_policy":    "default" (send the default_language variant) or
//                         "skip" (skip the patient, list them for a staff call)
//   "default_language":   BCP-47 (default "en")
//   "average_visit_value": dollars, e.g. 185.50 (default 0: no ROI estimate)
//   "public_base_url":    "https://..." where Recall's links resolve
//                         (unsubscribe, consent confirmation); "" = none
//   "unsubscribe_mailto": an addr-spec for List-Unsubscribe mailto; "" = none
//   "reply_to":           an addr-spec; "" = the practice's From address
//   "office_hours":       free text for {{office_hours}}, e.g. "Mon-Fri 8-5"
//   "portal_url":         "https://..." for {{portal_link}}; "" = none
//   "max_attempts":       1..20 transient-failure attempts per message (default 8)
// The human hand-off queue (docs/handoffs.md):
//   "after_hours_reply":  the approved text a patient gets when writing outside
//                         office hours; literal (no {{variables}}), at most 320
//                         bytes; "" = none. Not settable through UpdateSettings:
//                         handoffs::SetAfterHoursReply scans it and audits its hash.
//   "office_hours_schedule": "Mon-Fri 08:00-17:00; Sat 09:00-12:00" in the
//                         practice's time zone (days Sun..Sat, ranges "Mon-Fri" or
//                         lists "Mon,Wed"; 24:00 allowed as an end); "" = none
//                         (then no after-hours reply is sent)
//   "handoff_ack_minutes": 1..1440 minutes an urgent hand-off may stay
//                         unacknowledged before it escalates (default 15)
//   "oncall":             {"channel": "sms"|"email", "address": E.164 or
//                         addr-spec}: the staff on-call contact escalations go
//                         to (never a patient); {"channel":"","address":""} = none
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace recall::practices {

struct PracticeSettings {
  std::string send_window;
  int cap_per_day = 1;
  int cap_per_week = 3;
  std::string language_policy = "default";
  std::string default_language = "en";
  int64_t average_visit_value_cents = 0;
  std::string public_base_url;
  std::string unsubscribe_mailto;
  std::string reply_to;
  std::string office_hours;
  std::string portal_url;
  int max_attempts = 8;
  std::string after_hours_reply;
  std::string office_hours_schedule;
  int handoff_ack_minutes = 15;
  std::string oncall_channel;  // "sms" | "email" | ""
  std::string oncall_address;  // E.164 or addr-spec; "" when none
};

// One span of the office-hours schedule: a weekday (0 = Sunday .. 6 =
// Saturday) and minutes of the local day, [start, end).
struct OfficeSpan {
  int weekday = 0;
  int start_minute = 0;
  int end_minute = 0;
};
// Parses "Mon-Fri 08:00-17:00; Sat 09:00-12:00" ("" -> no spans).
// InvalidArgument naming the problem (never quoting more than a day name).
StatusOr<std::vector<OfficeSpan>> ParseOfficeHoursSchedule(std::string_view schedule);

// Parses and validates; InvalidArgument naming the key.
StatusOr<PracticeSettings> ParseSettings(std::string_view json);
// Canonical JSON (every key, sorted).
std::string SettingsJson(const PracticeSettings& settings);

// The stored settings (defaults when none). NotFound for an unknown practice.
StatusOr<PracticeSettings> GetSettings(engine::Engine& engine, const std::string& practice_id);
// Merges `patch_json` (a JSON object with some of the keys) into the stored
// settings, validates the result and stores it. Audited ("practice.settings",
// details: the keys changed). Returns the new settings.
StatusOr<PracticeSettings> UpdateSettings(engine::Engine& engine, const std::string& practice_id,
                                          std::string_view patch_json);

}  // namespace recall::practices
