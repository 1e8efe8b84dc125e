#include "dispatch/recipient_time_zone.h"

#include <algorithm>

#include "contact/contact.h"

namespace recall::dispatch {
namespace {

// "+1NPANXXXXXX" -> NPA, or -1.
int AreaCodeOf(std::string_view e164) {
  if (e164.size() != 12 || e164.substr(0, 2) != "+1")
    return -1;
  for (char c : e164.substr(2)) {
    if (c < '0' || c > '9')
      return -1;
  }
  return (e164[2] - '0') * 100 + (e164[3] - '0') * 10 + (e164[4] - '0');
}

// The stricter of two states' rules: a state with rules beats one without; of
// two with rules, the narrower window, then the lower limit.
bool StricterThan(const ZoneTables &tables, const std::string &a,
                  const std::string &b) {
  const StateRules *ra = tables.RulesFor(a);
  const StateRules *rb = tables.RulesFor(b);
  if (ra == nullptr)
    return false;
  if (rb == nullptr)
    return true;
  const int width_a = ra->window.end_minute - ra->window.start_minute;
  const int width_b = rb->window.end_minute - rb->window.start_minute;
  if (width_a != width_b)
    return width_a < width_b;
  return ra->same_subject_per_24h < rb->same_subject_per_24h;
}

std::vector<std::string> Intersect(const std::vector<std::string> &a,
                                   const std::vector<std::string> &b) {
  std::vector<std::string> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(out));
  return out;
}

} // namespace

std::string_view ZoneSourceName(ZoneSource source) {
  switch (source) {
  case ZoneSource::kPostalCode:
    return "postal_code";
  case ZoneSource::kState:
    return "state";
  case ZoneSource::kAreaCode:
    return "area_code";
  case ZoneSource::kPractice:
    return "practice";
  }
  return "practice";
}

StatusOr<RecipientZones> RecipientTimeZones(const RecipientLocation &loc,
                                            const ZoneTables &tables) {
  RETURN_IF_ERROR(contact::ValidateTimeZone(loc.practice_timezone)
                      .WithContext("practice time zone"));

  std::string address_state;
  if (!loc.state.empty()) {
    StatusOr<std::string> normalized = contact::NormalizeUsState(loc.state);
    if (normalized.ok() && tables.state_zones.count(*normalized) != 0)
      address_state = *normalized;
  }
  const Zip3Range *zip3 = nullptr;
  if (!loc.postal_code.empty()) {
    StatusOr<std::string> zip = contact::NormalizeUsPostalCode(loc.postal_code);
    if (zip.ok())
      zip3 = tables.FindZip3(std::stoi(zip->substr(0, 3)));
  }
  const AreaCodeEntry *area = nullptr;
  if (const int code = AreaCodeOf(loc.phone_e164); code >= 0) {
    const auto it = tables.area_codes.find(code);
    if (it != tables.area_codes.end())
      area = &it->second;
  }

  RecipientZones result;
  if (zip3 != nullptr) {
    result.zones = zip3->zones;
    result.source = ZoneSource::kPostalCode;
  } else if (!address_state.empty()) {
    result.zones = tables.state_zones.at(address_state);
    result.source = ZoneSource::kState;
    if (result.zones.size() > 1 && area != nullptr &&
        area->state == address_state) {
      std::vector<std::string> narrowed = Intersect(result.zones, area->zones);
      if (!narrowed.empty())
        result.zones = std::move(narrowed);
    }
  } else if (area != nullptr) {
    result.zones = area->zones;
    result.source = ZoneSource::kAreaCode;
  } else {
    result.zones = {loc.practice_timezone};
    result.source = ZoneSource::kPractice;
  }

  // Candidates in order of precedence; the strictest wins, ties to the first.
  const std::string *const candidates[] = {
      &address_state, zip3 != nullptr ? &zip3->state : nullptr,
      area != nullptr ? &area->state : nullptr};
  for (const std::string *state : candidates) {
    if (state == nullptr || state->empty())
      continue;
    if (result.rules_state.empty() ||
        StricterThan(tables, *state, result.rules_state))
      result.rules_state = *state;
  }
  return result;
}

StatusOr<RecipientZones> RecipientTimeZones(const RecipientLocation &loc) {
  StatusOr<const ZoneTables *> tables = DefaultZoneTables();
  if (!tables.ok())
    return FailedPreconditionError("time-zone tables: " +
                                   tables.status().ToString());
  return RecipientTimeZones(loc, **tables);
}

StatusOr<std::string> RecipientTimeZone(const RecipientLocation &loc) {
  ASSIGN_OR_RETURN(RecipientZones zones, RecipientTimeZones(loc));
  return zones.zones.front();
}

} // namespace recall::dispatch
