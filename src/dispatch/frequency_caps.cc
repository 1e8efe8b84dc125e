#include "dispatch/frequency_caps.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

namespace recall::dispatch {
namespace {

using Hours = std::chrono::hours;

// When fewer than `limit` of the matching sends fall in (t - window, t], or
// nullopt when that already holds at `now`.
std::optional<TimePoint>
ReleaseTime(TimePoint now, const std::vector<SendRecord> &recent, Hours window,
            int limit, const std::function<bool(const SendRecord &)> &matches) {
  if (limit <= 0)
    return std::nullopt;
  std::vector<TimePoint> in_window;
  for (const SendRecord &record : recent) {
    if (matches(record) && record.sent_at > now - window)
      in_window.push_back(record.sent_at);
  }
  if (static_cast<int>(in_window.size()) < limit)
    return std::nullopt;
  std::sort(in_window.begin(), in_window.end());
  // Once the oldest (count - limit + 1) sends have left the window, count <
  // limit.
  const TimePoint release =
      in_window[in_window.size() - static_cast<size_t>(limit)] + window;
  return std::max(release, now);
}

} // namespace

StatusOr<CapDecision>
CheckCaps(TimePoint now, const std::vector<SendRecord> &recent,
          const std::string &channel, const std::string &subject,
          const std::string &state, const CapPolicy &policy,
          const ZoneTables &tables) {
  const auto same_channel = [&](const SendRecord &r) {
    return r.channel == channel;
  };
  const auto same_subject = [&](const SendRecord &r) {
    return r.subject == subject;
  };
  struct Check {
    std::string_view reason;
    std::optional<TimePoint> release;
  };
  std::vector<Check> checks = {
      {kReasonCapDaily,
       ReleaseTime(now, recent, Hours{24}, policy.per_day, same_channel)},
      {kReasonCapWeekly,
       ReleaseTime(now, recent, Hours{24 * 7}, policy.per_week, same_channel)},
  };
  if (const StateRules *rules = tables.RulesFor(state); rules != nullptr) {
    checks.push_back({kReasonStateSubject24h,
                      ReleaseTime(now, recent, Hours{24},
                                  rules->same_subject_per_24h, same_subject)});
  }

  CapDecision decision;
  decision.allowed = true;
  decision.next_allowed = now;
  for (const Check &check : checks) {
    if (!check.release.has_value())
      continue;
    if (decision.allowed || *check.release > decision.next_allowed) {
      decision.allowed = false;
      decision.reason = std::string(check.reason);
      decision.next_allowed = *check.release;
    }
  }
  return decision;
}

StatusOr<CapDecision>
CheckCaps(TimePoint now, const std::vector<SendRecord> &recent,
          const std::string &channel, const std::string &subject,
          const std::string &state, const CapPolicy &policy) {
  StatusOr<const ZoneTables *> tables = DefaultZoneTables();
  if (!tables.ok())
    return FailedPreconditionError("time-zone tables: " +
                                   tables.status().ToString());
  return CheckCaps(now, recent, channel, subject, state, policy, **tables);
}

} // namespace recall::dispatch
