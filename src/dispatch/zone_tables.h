#pragma once
// The send-time policy's reference data: which IANA zones a state, a ZIP3
// prefix or a NANP area code covers, and which states have stricter send
// windows and same-subject limits than the federal rules.
//
// The tables are data files in data/timezones/ (format and sources in its
// README.md). LoadZoneTables() parses and validates a folder;
// DefaultZoneTables() loads DefaultDataDir() once per process and shares the
// result.
//
// Thread-safety: a ZoneTables is immutable once loaded; DefaultZoneTables() is
// safe to call from any thread (the first call loads, later calls return the
// same object or the same error).
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace recall::dispatch {

// A daily window in local wall-clock time, [start, end): minutes after
// midnight, 0 <= start < end <= 24*60. The end instant itself is outside.
struct SendWindow {
  int start_minute = 0;
  int end_minute = 24 * 60;

  // "08:30-17:00" (also "08:30–17:00" with an en dash). "24:00" is allowed as
  // an end. InvalidArgument when malformed or start >= end (windows that
  // cross midnight are not supported).
  static StatusOr<SendWindow> Parse(std::string_view text);
  // "08:30-17:00".
  std::string ToString() const;

  bool Contains(int minute_of_day) const {
    return start_minute <= minute_of_day && minute_of_day < end_minute;
  }
  friend bool operator==(const SendWindow &, const SendWindow &) = default;
};

// 47 CFR 64.1200(c)(1): 08:00-21:00 local time at the recipient.
inline constexpr SendWindow kFederalWindow{8 * 60, 21 * 60};

// A state whose law is stricter than the federal rules (FL, OK, MD).
struct StateRules {
  SendWindow window; // e.g. 08:00-20:00
  int same_subject_per_24h =
      0; // at most this many sends on one subject in a rolling 24 h
};

struct Zip3Range {
  int first = 0; // inclusive ZIP3 prefixes, 0..999
  int last = 0;
  std::string state;
  std::vector<std::string> zones;
};

struct AreaCodeEntry {
  std::string state;
  std::vector<std::string> zones;
};

struct ZoneTables {
  std::map<std::string, std::vector<std::string>>
      state_zones;                         // "FL" -> {New_York, Chicago}
  std::vector<Zip3Range> zip3;             // sorted by first, non-overlapping
  std::map<int, AreaCodeEntry> area_codes; // 850 -> {FL, ...}
  std::map<std::string, StateRules> state_rules; // only the stricter states

  // nullptr when the state has no stricter rules (or is unknown).
  const StateRules *RulesFor(const std::string &state) const;
  // nullptr when no range covers the prefix (single-zone states are not
  // listed).
  const Zip3Range *FindZip3(int prefix) const;
};

// Reads states.tsv, zip3.tsv, area_codes.tsv and state_rules.tsv from `dir`.
// Checks every zone name against the system tz database, every ZIP3/area-code
// state against states.tsv, and that ZIP3 ranges do not overlap.
// NotFound when a file is missing; InvalidArgument (with file and line) when a
// line is malformed.
StatusOr<ZoneTables> LoadZoneTables(const std::string &dir);

// Locates data/timezones: $RECALL_DATA_FILES/timezones when that variable is
// set, else <source dir>/data/timezones when that folder exists (baked in at
// compile time), else /usr/share/recall/timezones.
std::string DefaultDataDir();

// LoadZoneTables(DefaultDataDir()), loaded on first use and shared. The error
// of a failed load is returned to every caller (the process must be fixed and
// restarted: the gate defers everything rather than guess).
StatusOr<const ZoneTables *> DefaultZoneTables();

} // namespace recall::dispatch
