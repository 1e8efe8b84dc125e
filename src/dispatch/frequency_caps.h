#pragma once
// Frequency caps: how many messages a patient may receive, across campaigns.
//
// Three rolling-window caps, all counted over this patient's past sends:
//   cap_daily          at most policy.per_day sends on this channel in any
//                      rolling 24 hours;
//   cap_weekly         at most policy.per_week sends on this channel in any
//                      rolling 7 days;
//   state_subject_24h  in FL, OK and MD (data/timezones/state_rules.tsv), at
//                      most 3 sends on the same subject in any rolling 24
//                      hours, counted across ALL channels (the statutes count
//                      calls and texts alike).
// Defaults fit the FCC's healthcare exemption for calls and texts (In re
// Rules and Regulations Implementing the TCPA, 30 FCC Rcd 7961 (2015),
// para. 147: one message per day, three per week).
//
// A send at time s counts in the window (now - W, now]: it stops counting at
// exactly s + W. Sends dated after `now` (clock skew between workers) count.
// A capped message is deferred, never dropped: next_allowed is when every cap
// passes again assuming nothing else is sent meanwhile; since caps only relax
// as time passes, it is the latest of the individual caps' release times.
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

inline constexpr std::string_view kReasonCapDaily = "cap_daily";
inline constexpr std::string_view kReasonCapWeekly = "cap_weekly";
inline constexpr std::string_view kReasonStateSubject24h = "state_subject_24h";

// One past send to this patient (from the outbox; any campaign).
struct SendRecord {
  TimePoint sent_at;
  std::string channel;     // "sms", "email", "voice", ...
  std::string subject;     // the campaign's subject ("appointment_reminder",
                           // "recall_due", ...)
  std::string campaign_id; // cmp_...; informational
};

// Per-channel caps; a value <= 0 disables that cap.
struct CapPolicy {
  int per_day = 1;  // default 1 per rolling 24 h per channel
  int per_week = 3; // default 3 per rolling 7 days per channel
};

struct CapDecision {
  bool allowed = false;
  // "" when allowed; else the cap that holds the message longest (ties in the
  // order cap_daily, cap_weekly, state_subject_24h).
  std::string reason;
  // == now when allowed; else > now.
  TimePoint next_allowed;
};

// `state`: RecipientZones::rules_state. FailedPrecondition when the tables
// cannot be loaded.
StatusOr<CapDecision>
CheckCaps(TimePoint now, const std::vector<SendRecord> &recent,
          const std::string &channel, const std::string &subject,
          const std::string &state, const CapPolicy &policy);
StatusOr<CapDecision>
CheckCaps(TimePoint now, const std::vector<SendRecord> &recent,
          const std::string &channel, const std::string &subject,
          const std::string &state, const CapPolicy &policy,
          const ZoneTables &tables);

} // namespace recall::dispatch
