#include "practices/settings.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "contact/contact.h"

namespace recall::practices {

namespace {

using nlohmann::json;

bool IsHttpsUrl(const std::string& url) {
  return url.empty() || ((url.starts_with("https://") || url.starts_with("http://127.0.0.1") ||
                          url.starts_with("http://localhost")) &&
                         url.find_first_of(" \t\r\n\"<>") == std::string::npos && url.size() <= 512);
}

// "HH:MM-HH:MM" inside 08:00-21:00 with start < end.
Status CheckWindow(const std::string& w) {
  if (w.empty()) return OkStatus();
  auto minutes = [](std::string_view hhmm) -> int {
    if (hhmm.size() != 5 || hhmm[2] != ':') return -1;
    for (int i : {0, 1, 3, 4}) {
      if (hhmm[i] < '0' || hhmm[i] > '9') return -1;
    }
    const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0'), m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
  };
  const size_t dash = w.find('-');
  if (dash == std::string::npos) return InvalidArgumentError("settings: send_window must be HH:MM-HH:MM");
  const int start = minutes(std::string_view(w).substr(0, dash)), end = minutes(std::string_view(w).substr(dash + 1));
  if (start < 0 || end < 0 || start >= end) return InvalidArgumentError("settings: send_window must be HH:MM-HH:MM");
  if (start < 8 * 60 || end > 21 * 60) {
    return InvalidArgumentError("settings: send_window must lie within 08:00-21:00 (TCPA calling hours)");
  }
  return OkStatus();
}

int HhMm(std::string_view hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return -1;
  for (int i : {0, 1, 3, 4}) {
    if (hhmm[i] < '0' || hhmm[i] > '9') return -1;
  }
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0'), m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

int Weekday(std::string_view name) {
  static constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (int d = 0; d < 7; ++d) {
    if (lower == kDays[d]) return d;
  }
  return -1;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

Status Apply(const json& obj, PracticeSettings* s) {
  if (!obj.is_object()) return InvalidArgumentError("settings must be a JSON object");
  for (const auto& [key, value] : obj.items()) {
    auto text = [&](std::string* out, size_t max) -> Status {
      if (!value.is_string()) return InvalidArgumentError("settings: " + key + " takes a string");
      *out = value.get<std::string>();
      if (out->size() > max) return InvalidArgumentError("settings: " + key + " is too long");
      return OkStatus();
    };
    auto integer = [&](int* out, int lo, int hi) -> Status {
      if (!value.is_number_integer()) return InvalidArgumentError("settings: " + key + " takes an integer");
      const int64_t v = value.get<int64_t>();
      if (v < lo || v > hi) {
        return InvalidArgumentError("settings: " + key + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      *out = static_cast<int>(v);
      return OkStatus();
    };
    if (key == "send_window") {
      RETURN_IF_ERROR(text(&s->send_window, 11));
      RETURN_IF_ERROR(CheckWindow(s->send_window));
    } else if (key == "cap_per_day") {
      RETURN_IF_ERROR(integer(&s->cap_per_day, 0, 10));
    } else if (key == "cap_per_week") {
      RETURN_IF_ERROR(integer(&s->cap_per_week, 0, 50));
    } else if (key == "language_policy") {
      RETURN_IF_ERROR(text(&s->language_policy, 16));
      if (s->language_policy != "default" && s->language_policy != "skip") {
        return InvalidArgumentError("settings: language_policy is default or skip");
      }
    } else if (key == "default_language") {
      RETURN_IF_ERROR(text(&s->default_language, 35));
      if (s->default_language.empty()) return InvalidArgumentError("settings: default_language is empty");
    } else if (key == "average_visit_value") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1e6) {
        return InvalidArgumentError("settings: average_visit_value takes dollars, 0..1000000");
      }
      s->average_visit_value_cents = std::llround(value.get<double>() * 100.0);
    } else if (key == "public_base_url" || key == "portal_url") {
      std::string* out = key == "portal_url" ? &s->portal_url : &s->public_base_url;
      RETURN_IF_ERROR(text(out, 512));
      while (!out->empty() && out->back() == '/') out->pop_back();
      if (!IsHttpsUrl(*out)) return InvalidArgumentError("settings: " + key + " must be an https:// URL");
    } else if (key == "unsubscribe_mailto" || key == "reply_to") {
      std::string* out = key == "reply_to" ? &s->reply_to : &s->unsubscribe_mailto;
      RETURN_IF_ERROR(text(out, 254));
      if (!out->empty()) {
        auto email = contact::NormalizeEmail(*out);
        if (!email.ok()) return InvalidArgumentError("settings: " + key + " must be an email address");
        *out = *email;
      }
    } else if (key == "office_hours") {
      RETURN_IF_ERROR(text(&s->office_hours, 120));
    } else if (key == "max_attempts") {
      RETURN_IF_ERROR(integer(&s->max_attempts, 1, 20));
    } else if (key == "after_hours_reply") {
      RETURN_IF_ERROR(text(&s->after_hours_reply, 320));
      if (s->after_hours_reply.find("{{") != std::string::npos || s->after_hours_reply.find("}}") != std::string::npos) {
        return InvalidArgumentError("settings: after_hours_reply takes no variables");
      }
    } else if (key == "office_hours_schedule") {
      RETURN_IF_ERROR(text(&s->office_hours_schedule, 200));
      RETURN_IF_ERROR(ParseOfficeHoursSchedule(s->office_hours_schedule).status());
    } else if (key == "handoff_ack_minutes") {
      RETURN_IF_ERROR(integer(&s->handoff_ack_minutes, 1, 1440));
    } else if (key == "oncall") {
      if (!value.is_object() || !value.contains("channel") || !value.contains("address") || value.size() != 2 ||
          !value["channel"].is_string() || !value["address"].is_string()) {
        return InvalidArgumentError("settings: oncall takes {\"channel\": ..., \"address\": ...}");
      }
      const std::string channel = value["channel"].get<std::string>();
      const std::string address = value["address"].get<std::string>();
      if (channel.empty() && address.empty()) {
        s->oncall_channel.clear();
        s->oncall_address.clear();
      } else if (channel == "sms") {
        auto phone = contact::ParsePhone(address);
        if (!phone.ok()) return InvalidArgumentError("settings: oncall address must be a phone number for sms");
        s->oncall_channel = channel;
        s->oncall_address = phone->e164;
      } else if (channel == "email") {
        auto email = contact::NormalizeEmail(address);
        if (!email.ok()) return InvalidArgumentError("settings: oncall address must be an email address");
        s->oncall_channel = channel;
        s->oncall_address = *email;
      } else {
        return InvalidArgumentError("settings: oncall channel is sms or email");
      }
    } else {
      return InvalidArgumentError("settings: unknown key " + key);
    }
  }
  return OkStatus();
}

StatusOr<json> ParseObject(std::string_view text) {
  json obj = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded() || !obj.is_object()) return InvalidArgumentError("settings must be a JSON object");
  return obj;
}

}  // namespace

StatusOr<std::vector<OfficeSpan>> ParseOfficeHoursSchedule(std::string_view schedule) {
  std::vector<OfficeSpan> spans;
  auto bad = [](const std::string& why) { return InvalidArgumentError("settings: office_hours_schedule: " + why); };
  while (!Trim(schedule).empty()) {
    const size_t semi = schedule.find(';');
    std::string_view part = Trim(schedule.substr(0, semi));
    schedule = semi == std::string_view::npos ? std::string_view() : schedule.substr(semi + 1);
    if (part.empty()) continue;
    const size_t space = part.find(' ');
    if (space == std::string_view::npos) return bad("each part is \"Days HH:MM-HH:MM\"");
    std::string_view days = Trim(part.substr(0, space)), hours = Trim(part.substr(space + 1));
    const size_t dash = hours.find('-');
    if (dash == std::string_view::npos) return bad("hours are HH:MM-HH:MM");
    const int start = HhMm(Trim(hours.substr(0, dash))), end = HhMm(Trim(hours.substr(dash + 1)));
    if (start < 0 || end < 0 || start >= end) return bad("hours are HH:MM-HH:MM with start before end");
    std::vector<int> weekdays;
    while (!days.empty()) {
      const size_t comma = days.find(',');
      std::string_view item = Trim(days.substr(0, comma));
      days = comma == std::string_view::npos ? std::string_view() : days.substr(comma + 1);
      const size_t range = item.find('-');
      const int first = Weekday(Trim(item.substr(0, range)));
      const int last = range == std::string_view::npos ? first : Weekday(Trim(item.substr(range + 1)));
      if (first < 0 || last < 0) return bad("days are Sun, Mon, Tue, Wed, Thu, Fri, Sat");
      for (int d = first;; d = (d + 1) % 7) {  // "Sat-Sun" wraps
        weekdays.push_back(d);
        if (d == last) break;
      }
    }
    if (weekdays.empty()) return bad("each part names its days");
    for (int d : weekdays) spans.push_back({d, start, end});
  }
  return spans;
}

StatusOr<PracticeSettings> ParseSettings(std::string_view text) {
  ASSIGN_OR_RETURN(json obj, ParseObject(text));
  PracticeSettings s;
  RETURN_IF_ERROR(Apply(obj, &s));
  return s;
}

std::string SettingsJson(const PracticeSettings& s) {
  json out = {{"send_window", s.send_window},
              {"cap_per_day", s.cap_per_day},
              {"cap_per_week", s.cap_per_week},
              {"language_policy", s.language_policy},
              {"default_language", s.default_language},
              {"average_visit_value", static_cast<double>(s.average_visit_value_cents) / 100.0},
              {"public_base_url", s.public_base_url},
              {"unsubscribe_mailto", s.unsubscribe_mailto},
              {"reply_to", s.reply_to},
              {"office_hours", s.office_hours},
              {"portal_url", s.portal_url},
              {"max_attempts", s.max_attempts},
              {"after_hours_reply", s.after_hours_reply},
              {"office_hours_schedule", s.office_hours_schedule},
              {"handoff_ack_minutes", s.handoff_ack_minutes},
              {"oncall", {{"channel", s.oncall_channel}, {"address", s.oncall_address}}}};
  return out.dump();  // nlohmann::json objects are key-sorted
}

StatusOr<PracticeSettings> GetSettings(engine::Engine& engine, const std::string& practice_id) {
  ASSIGN_OR_RETURN(std::string stored, engine.store().practices().GetSettings(practice_id));
  return ParseSettings(stored);
}

StatusOr<PracticeSettings> UpdateSettings(engine::Engine& engine, const std::string& practice_id,
                                          std::string_view patch_json) {
  ASSIGN_OR_RETURN(PracticeSettings settings, GetSettings(engine, practice_id));
  ASSIGN_OR_RETURN(json patch, ParseObject(patch_json));
  // A settings object read back and PUT whole carries the current reply: fine.
  if (patch.contains("after_hours_reply") &&
      (!patch["after_hours_reply"].is_string() || patch["after_hours_reply"].get<std::string>() != settings.after_hours_reply)) {
    return InvalidArgumentError(
        "settings: after_hours_reply is set with `recall handoff after-hours` (it is scanned and audited)");
  }
  RETURN_IF_ERROR(Apply(patch, &settings));
  std::string keys;
  for (const auto& [key, value] : patch.items()) keys += (keys.empty() ? "" : ",") + key;
  RETURN_IF_ERROR(engine.store().practices().PutSettings(
      practice_id, SettingsJson(settings), engine.Event("practice.settings", practice_id, practice_id, {{"keys", keys}})));
  return settings;
}

}  // namespace recall::practices
