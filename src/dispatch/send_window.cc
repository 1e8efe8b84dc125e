#include "dispatch/send_window.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>

namespace recall::dispatch {
namespace {

using std::chrono::seconds;
using Seconds = date::sys_seconds;

// How far ahead next_allowed is searched. Windows recur daily, so two days
// suffice for any satisfiable set; eight leave room for odd zone sets.
constexpr int kSearchDays = 8;

struct Rule {
  std::string_view reason;
  SendWindow window;
};

int SecondOfDay(const date::time_zone *zone, Seconds t) {
  const date::local_seconds local = zone->to_local(t);
  return static_cast<int>((local - date::floor<date::days>(local)).count());
}

bool Inside(const SendWindow &window, int second_of_day) {
  return window.start_minute * 60 <= second_of_day &&
         second_of_day < window.end_minute * 60;
}

// The first rule violated at `t` in any zone, or nullptr when all pass.
const Rule *FirstViolation(const std::vector<Rule> &rules,
                           const std::vector<const date::time_zone *> &zones,
                           Seconds t, const date::time_zone **failing_zone) {
  for (const Rule &rule : rules) {
    for (const date::time_zone *zone : zones) {
      if (!Inside(rule.window, SecondOfDay(zone, t))) {
        if (failing_zone != nullptr)
          *failing_zone = zone;
        return &rule;
      }
    }
  }
  return nullptr;
}

// Every instant in [from, to) at which some rule's verdict can change in
// `zone`: each occurrence of a window boundary in local time (none, one or two
// per local day) and each UTC-offset transition.
void AddChangePoints(const date::time_zone *zone,
                     const std::vector<Rule> &rules, Seconds from, Seconds to,
                     std::vector<Seconds> *points) {
  const date::local_days first_day =
      date::floor<date::days>(zone->to_local(from)) - date::days{1};
  const date::local_days last_day =
      date::floor<date::days>(zone->to_local(to)) + date::days{1};
  for (date::local_days day = first_day; day <= last_day;
       day += date::days{1}) {
    for (const Rule &rule : rules) {
      for (int minute : {rule.window.start_minute, rule.window.end_minute}) {
        const date::local_seconds local = day + std::chrono::minutes{minute};
        const date::local_info info = zone->get_info(local);
        switch (info.result) {
        case date::local_info::unique:
          points->push_back(
              Seconds{local.time_since_epoch() - info.first.offset});
          break;
        case date::local_info::nonexistent:
          points->push_back(info.first.end); // the boundary falls in the gap
          break;
        case date::local_info::ambiguous:
          points->push_back(
              Seconds{local.time_since_epoch() - info.first.offset});
          points->push_back(
              Seconds{local.time_since_epoch() - info.second.offset});
          break;
        }
      }
    }
  }
  for (Seconds t = from; t < to;) {
    const date::sys_info info = zone->get_info(t);
    if (info.end >= to || info.end <= t)
      break;
    points->push_back(info.end);
    t = info.end;
  }
}

} // namespace

StatusOr<SendDecision>
CheckSendTime(TimePoint now, const std::vector<std::string> &candidate_zones,
              const std::string &state, const SendWindow &practice_window,
              const ZoneTables &tables) {
  if (candidate_zones.empty())
    return InvalidArgumentError("no candidate time zone");
  std::vector<const date::time_zone *> zones;
  for (const std::string &name : candidate_zones) {
    try {
      zones.push_back(date::locate_zone(name));
    } catch (const std::exception &) {
      return InvalidArgumentError("not an IANA time zone: " +
                                  name.substr(0, 64));
    }
  }
  if (practice_window.start_minute < 0 ||
      practice_window.end_minute > 24 * 60 ||
      practice_window.start_minute >= practice_window.end_minute) {
    return InvalidArgumentError(
        "practice send window is empty or out of range");
  }

  std::vector<Rule> rules = {{kReasonQuietHoursFederal, kFederalWindow}};
  if (const StateRules *state_rules = tables.RulesFor(state);
      state_rules != nullptr) {
    rules.push_back({kReasonQuietHoursState, state_rules->window});
  }
  rules.push_back({kReasonPracticeWindow, practice_window});

  // Sub-second parts of `now` do not change a verdict (windows are whole
  // minutes).
  const Seconds now_s = date::floor<seconds>(now);
  SendDecision decision;
  const date::time_zone *failing_zone = nullptr;
  const Rule *failed = FirstViolation(rules, zones, now_s, &failing_zone);
  if (failed == nullptr) {
    decision.allowed = true;
    decision.next_allowed = now;
    return decision;
  }
  decision.reason = std::string(failed->reason);
  decision.zone = std::string(failing_zone->name());

  // The verdict is constant between change points (windows are half-open and
  // local time is right-continuous), so the earliest allowed instant after now
  // is the first change point at which every rule passes.
  const Seconds horizon = now_s + date::days{kSearchDays};
  std::vector<Seconds> points;
  for (const date::time_zone *zone : zones)
    AddChangePoints(zone, rules, now_s, horizon, &points);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  for (const Seconds point : points) {
    if (point <= now_s || point > horizon)
      continue;
    if (FirstViolation(rules, zones, point, nullptr) == nullptr) {
      decision.next_allowed = std::max<TimePoint>(point, now);
      return decision;
    }
  }
  return FailedPreconditionError(
      "the send windows never overlap across the recipient's candidate zones");
}

StatusOr<SendDecision>
CheckSendTime(TimePoint now, const std::vector<std::string> &candidate_zones,
              const std::string &state, const SendWindow &practice_window) {
  StatusOr<const ZoneTables *> tables = DefaultZoneTables();
  if (!tables.ok())
    return FailedPreconditionError("time-zone tables: " +
                                   tables.status().ToString());
  return CheckSendTime(now, candidate_zones, state, practice_window, **tables);
}

} // namespace recall::dispatch
