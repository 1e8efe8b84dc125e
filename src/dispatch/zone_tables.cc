#include "dispatch/zone_tables.h"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/text.h"

namespace recall::dispatch {
namespace {

std::vector<std::string> SplitOn(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(sep, begin);
    parts.emplace_back(TrimAscii(
        text.substr(begin, end == std::string_view::npos ? end : end - begin)));
    if (end == std::string_view::npos)
      break;
    begin = end + 1;
  }
  return parts;
}

bool ParseInt(std::string_view text, int digits, int *out) {
  if (static_cast<int>(text.size()) != digits)
    return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

// "HH:MM" -> minutes after midnight, 00:00..24:00.
bool ParseClock(std::string_view text, int *minutes) {
  int hours = 0;
  int mins = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !ParseInt(text.substr(0, 2), 2, &hours) ||
      !ParseInt(text.substr(3, 2), 2, &mins) || mins > 59 || hours > 24 ||
      (hours == 24 && mins != 0)) {
    return false;
  }
  *minutes = hours * 60 + mins;
  return true;
}

bool ValidState(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
         s[1] <= 'Z';
}

// Reads `dir/name`; calls `row(fields, where)` for every non-comment line.
template <typename RowFn>
Status ForEachRow(const std::string &dir, const std::string &name,
                  size_t columns, RowFn row) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path);
  if (!in)
    return NotFoundError("cannot read time-zone table " + path);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string_view trimmed = TrimAscii(line);
    if (trimmed.empty() || trimmed.front() == '#')
      continue;
    std::vector<std::string> fields = SplitOn(trimmed, '\t');
    const std::string where = name + ":" + std::to_string(line_no);
    if (fields.size() != columns) {
      return InvalidArgumentError(where + ": expected " +
                                  std::to_string(columns) +
                                  " tab-separated fields");
    }
    RETURN_IF_ERROR(row(fields, where));
  }
  return OkStatus();
}

StatusOr<std::vector<std::string>> ParseZones(const std::string &field,
                                              const std::string &where) {
  std::vector<std::string> zones = SplitOn(field, ',');
  for (const std::string &zone : zones) {
    try {
      (void)date::locate_zone(zone);
    } catch (const std::exception &) {
      return InvalidArgumentError(
          where + ": not an IANA time zone: " + zone.substr(0, 64));
    }
  }
  std::sort(zones.begin(), zones.end());
  zones.erase(std::unique(zones.begin(), zones.end()), zones.end());
  return zones;
}

} // namespace

StatusOr<SendWindow> SendWindow::Parse(std::string_view text) {
  std::string normalized(TrimAscii(text));
  // Accept an en dash (U+2013) as people write it in prose.
  if (const size_t pos = normalized.find("\xE2\x80\x93");
      pos != std::string::npos)
    normalized.replace(pos, 3, "-");
  const std::vector<std::string> parts = SplitOn(normalized, '-');
  SendWindow window;
  if (parts.size() != 2 || !ParseClock(parts[0], &window.start_minute) ||
      !ParseClock(parts[1], &window.end_minute)) {
    return InvalidArgumentError("send window must look like HH:MM-HH:MM");
  }
  if (window.start_minute >= window.end_minute) {
    return InvalidArgumentError(
        "send window must start before it ends (no windows across midnight)");
  }
  return window;
}

std::string SendWindow::ToString() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", start_minute / 60,
                start_minute % 60, end_minute / 60, end_minute % 60);
  return buf;
}

const StateRules *ZoneTables::RulesFor(const std::string &state) const {
  const auto it = state_rules.find(state);
  return it == state_rules.end() ? nullptr : &it->second;
}

const Zip3Range *ZoneTables::FindZip3(int prefix) const {
  auto it = std::upper_bound(
      zip3.begin(), zip3.end(), prefix,
      [](int p, const Zip3Range &range) { return p < range.first; });
  if (it == zip3.begin())
    return nullptr;
  --it;
  return prefix <= it->last ? &*it : nullptr;
}

StatusOr<ZoneTables> LoadZoneTables(const std::string &dir) {
  ZoneTables tables;
  RETURN_IF_ERROR(ForEachRow(
      dir, "states.tsv", 2,
      [&](const std::vector<std::string> &f, const std::string &where) {
        if (!ValidState(f[0]))
          return InvalidArgumentError(where + ": not a two-letter state code");
        ASSIGN_OR_RETURN(auto zones, ParseZones(f[1], where));
        if (!tables.state_zones.emplace(f[0], std::move(zones)).second) {
          return InvalidArgumentError(where + ": duplicate state");
        }
        return OkStatus();
      }));
  const auto known_state = [&](const std::string &state,
                               const std::string &where) {
    return tables.state_zones.count(state) != 0
               ? OkStatus()
               : InvalidArgumentError(where + ": state not in states.tsv");
  };
  RETURN_IF_ERROR(ForEachRow(
      dir, "zip3.tsv", 4,
      [&](const std::vector<std::string> &f, const std::string &where) {
        Zip3Range range;
        if (!ParseInt(f[0], 3, &range.first) ||
            !ParseInt(f[1], 3, &range.last) || range.first > range.last) {
          return InvalidArgumentError(where + ": bad ZIP3 range");
        }
        RETURN_IF_ERROR(known_state(f[2], where));
        range.state = f[2];
        ASSIGN_OR_RETURN(range.zones, ParseZones(f[3], where));
        tables.zip3.push_back(std::move(range));
        return OkStatus();
      }));
  std::sort(
      tables.zip3.begin(), tables.zip3.end(),
      [](const Zip3Range &a, const Zip3Range &b) { return a.first < b.first; });
  for (size_t idx = 1; idx < tables.zip3.size(); ++idx) {
    if (tables.zip3[idx].first <= tables.zip3[idx - 1].last) {
      return InvalidArgumentError("zip3.tsv: overlapping ranges at " +
                                  std::to_string(tables.zip3[idx].first));
    }
  }
  RETURN_IF_ERROR(ForEachRow(
      dir, "area_codes.tsv", 3,
      [&](const std::vector<std::string> &f, const std::string &where) {
        int code = 0;
        if (!ParseInt(f[0], 3, &code) || code < 200)
          return InvalidArgumentError(where + ": bad area code");
        RETURN_IF_ERROR(known_state(f[1], where));
        AreaCodeEntry entry{f[1], {}};
        ASSIGN_OR_RETURN(entry.zones, ParseZones(f[2], where));
        if (!tables.area_codes.emplace(code, std::move(entry)).second) {
          return InvalidArgumentError(where + ": duplicate area code");
        }
        return OkStatus();
      }));
  RETURN_IF_ERROR(ForEachRow(
      dir, "state_rules.tsv", 4,
      [&](const std::vector<std::string> &f, const std::string &where) {
        RETURN_IF_ERROR(known_state(f[0], where));
        StateRules rules;
        ASSIGN_OR_RETURN(rules.window, SendWindow::Parse(f[1] + "-" + f[2]));
        if (!ParseInt(f[3], static_cast<int>(f[3].size()),
                      &rules.same_subject_per_24h) ||
            f[3].empty() || f[3].size() > 3) {
          return InvalidArgumentError(where + ": bad same-subject limit");
        }
        if (!tables.state_rules.emplace(f[0], rules).second)
          return InvalidArgumentError(where + ": duplicate state");
        return OkStatus();
      }));
  return tables;
}

std::string DefaultDataDir() {
  const char *env = std::getenv("RECALL_DATA_FILES");
  if (env != nullptr && *env != '\0')
    return std::string(env) + "/timezones";
#ifdef RECALL_TIMEZONES_SOURCE_DATA_DIR
  std::error_code ec;
  if (std::filesystem::is_directory(RECALL_TIMEZONES_SOURCE_DATA_DIR, ec))
    return RECALL_TIMEZONES_SOURCE_DATA_DIR;
#endif
  return "/usr/share/recall/timezones";
}

StatusOr<const ZoneTables *> DefaultZoneTables() {
  // A function-local static is initialised exactly once, thread-safely.
  static const StatusOr<ZoneTables> *const loaded =
      new StatusOr<ZoneTables>(LoadZoneTables(DefaultDataDir()));
  if (!loaded->ok())
    return loaded->status();
  return &loaded->value();
}

} // namespace recall::dispatch
