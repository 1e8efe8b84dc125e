#pragma once
// Where is the patient? The time zone(s) a message's quiet hours are judged in.
//
// Quiet hours are the recipient's local time, not the practice's. The zone is
// decided, most specific first, by:
//   1. the postal code, when its ZIP3 prefix lies in a state that spans zones
//      (data/timezones/zip3.tsv);
//   2. the state (data/timezones/states.tsv) - a ZIP of a single-zone state is
//      decided here. When the state spans zones and the phone's area code
//      belongs to the same state, the area code narrows it;
//   3. the NANP area code of the phone (data/timezones/area_codes.tsv);
//   4. the practice's own zone.
// Malformed or unknown pieces (a 4-digit postal code, "XX", a non-NANP phone)
// are skipped, never fatal: the next source decides.
//
// Several candidate zones: when the best source straddles a zone line (a
// state such as Tennessee with no finer information, a ZIP3 such as 324 in
// the Florida panhandle), every zone it touches is returned. The send-time
// check (send_window.h) then requires a time to be allowed in ALL of them,
// which is the strictest reading: the earliest-ending evening and the
// latest-starting morning win. We would rather send an hour late than wake
// someone.
//
// Pure functions over the shared tables (zone_tables.h); thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dispatch/zone_tables.h"

namespace recall::dispatch {

struct RecipientLocation {
  std::string postal_code;       // 5 digits (ZIP+4 accepted) or ""
  std::string state;             // "FL", "florida", ... or ""
  std::string phone_e164;        // "+18505550123" or ""
  std::string practice_timezone; // IANA name; required
};

enum class ZoneSource { kPostalCode, kState, kAreaCode, kPractice };
// "postal_code" | "state" | "area_code" | "practice" (for the audit record).
std::string_view ZoneSourceName(ZoneSource source);

struct RecipientZones {
  std::vector<std::string> zones; // sorted, unique, never empty
  ZoneSource source = ZoneSource::kPractice;
  // The state whose send rules apply, "" when no state is known. Of the states
  // the address, the ZIP3 and the area code name, the one with the strictest
  // rules (state_rules.tsv) wins - a Florida area code is presumed to be a
  // Florida resident, as Fla. Stat. 501.059 does - else the address's state,
  // else the ZIP3's, else the area code's.
  std::string rules_state;
};

// The candidate zones for a recipient. InvalidArgument when the practice zone
// is not an IANA zone (it is the fallback and must always be usable);
// FailedPrecondition when the tables cannot be loaded.
StatusOr<RecipientZones> RecipientTimeZones(const RecipientLocation &loc);
StatusOr<RecipientZones> RecipientTimeZones(const RecipientLocation &loc,
                                            const ZoneTables &tables);

// The recipient's zone for display (e.g. "send at 08:00 recipient time"): the
// first candidate of RecipientTimeZones(). Never use it alone for quiet hours
// when the recipient may span zones; pass all candidates to CheckSendTime().
StatusOr<std::string> RecipientTimeZone(const RecipientLocation &loc);

} // namespace recall::dispatch
