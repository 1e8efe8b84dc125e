// Segment definitions: parsing, canonical JSON (hashed for approval) and the
// simple matcher preview uses.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "campaigns/campaigns.h"
#include "common/text.h"
#include "contact/contact.h"

namespace recall::campaigns {

namespace {

using nlohmann::json;

// A string or an array of strings -> the strings. InvalidArgument otherwise.
StatusOr<std::vector<std::string>> Strings(const json& value, std::string_view key) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const json& item : value) {
      if (!item.is_string()) return InvalidArgumentError("segment: " + std::string(key) + " takes strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    return InvalidArgumentError("segment: " + std::string(key) + " takes a string or an array of strings");
  }
  if (out.empty()) return InvalidArgumentError("segment: " + std::string(key) + " is an empty list");
  return out;
}

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

StatusOr<std::string> Date(const json& value, std::string_view key) {
  if (!value.is_string()) return InvalidArgumentError("segment: " + std::string(key) + " takes YYYY-MM-DD");
  const std::string text = value.get<std::string>();
  auto date = contact::ParseUsDate(text);
  if (!date.ok() || *date != text) return InvalidArgumentError("segment: " + std::string(key) + " takes YYYY-MM-DD");
  return text;
}

std::string PrimarySubtag(std::string_view tag) { return AsciiLower(tag.substr(0, tag.find('-'))); }

}  // namespace

StatusOr<Segment> ParseSegment(std::string_view text) {
  const json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgumentError("segment must be a JSON object");
  Segment s;
  for (const auto& [key, value] : doc.items()) {
    if (key == "status") {
      ASSIGN_OR_RETURN(s.status, Strings(value, key));
      for (const auto& st : s.status) {
        if (st != "active" && st != "inactive" && st != "lapsed") {
          return InvalidArgumentError("segment: status is active, inactive or lapsed");
        }
      }
      SortUnique(&s.status);
    } else if (key == "language") {
      ASSIGN_OR_RETURN(auto tags, Strings(value, key));
      for (const auto& tag : tags) {
        auto normalized = templates::NormalizeLanguageTag(tag);
        if (!normalized.ok()) return normalized.status().WithContext("segment: language");
        s.language.push_back(*normalized);
      }
      SortUnique(&s.language);
    } else if (key == "provider") {
      ASSIGN_OR_RETURN(auto names, Strings(value, key));
      for (const auto& name : names) {
        const std::string_view trimmed = TrimAscii(name);
        if (trimmed.empty() || trimmed.size() > 200) return InvalidArgumentError("segment: provider names are 1-200 bytes");
        s.provider.emplace_back(trimmed);
      }
      SortUnique(&s.provider);
    } else if (key == "has_channel") {
      ASSIGN_OR_RETURN(s.has_channel, Strings(value, key));
      for (const auto& ch : s.has_channel) {
        if (ch != "sms" && ch != "email" && ch != "phone") {
          return InvalidArgumentError("segment: has_channel is sms, email or phone");
        }
      }
      SortUnique(&s.has_channel);
    } else if (key == "last_visit_before") {
      ASSIGN_OR_RETURN(s.last_visit_before, Date(value, key));
    } else if (key == "last_visit_after") {
      ASSIGN_OR_RETURN(s.last_visit_after, Date(value, key));
    } else {
      // Only minimum-necessary fields can select patients.
      return InvalidArgumentError("segment: unknown key '" + key +
                                  "' (allowed: status, language, provider, has_channel, last_visit_before, "
                                  "last_visit_after)");
    }
  }
  return s;
}

std::string CanonicalSegment(const Segment& s) {
  json doc = json::object();  // std::map underneath: keys come out sorted bytewise
  if (!s.status.empty()) doc["status"] = s.status;
  if (!s.language.empty()) doc["language"] = s.language;
  if (!s.provider.empty()) doc["provider"] = s.provider;
  if (!s.last_visit_before.empty()) doc["last_visit_before"] = s.last_visit_before;
  if (!s.last_visit_after.empty()) doc["last_visit_after"] = s.last_visit_after;
  if (!s.has_channel.empty()) doc["has_channel"] = s.has_channel;
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

bool SegmentMatches(const Segment& s, const store::PatientRow& p) {
  if (!s.status.empty() && std::find(s.status.begin(), s.status.end(), p.status) == s.status.end()) return false;
  if (!s.language.empty()) {
    const bool any = std::any_of(s.language.begin(), s.language.end(), [&](const std::string& tag) {
      if (tag.find('-') == std::string::npos) return PrimarySubtag(p.language) == AsciiLower(tag);
      return AsciiLower(p.language) == AsciiLower(tag);
    });
    if (!any) return false;
  }
  if (!s.provider.empty()) {
    const std::string provider = AsciiLower(TrimAscii(p.provider_name));
    const bool any = std::any_of(s.provider.begin(), s.provider.end(),
                                 [&](const std::string& name) { return AsciiLower(name) == provider; });
    if (!any) return false;
  }
  if (!s.has_channel.empty()) {
    // A contact that could carry the channel: a mobile line for SMS, any phone
    // for calls, an address for email. Consent is the planner's and the gate's.
    const bool any = std::any_of(s.has_channel.begin(), s.has_channel.end(), [&](const std::string& ch) {
      if (ch == "email") return !p.email_index.empty();
      if (ch == "sms") return !p.phone_index.empty() && p.phone_line_type == "mobile";
      return !p.phone_index.empty();
    });
    if (!any) return false;
  }
  if (!s.last_visit_before.empty() && (p.last_visit.empty() || !(p.last_visit < s.last_visit_before))) return false;
  if (!s.last_visit_after.empty() && (p.last_visit.empty() || !(p.last_visit > s.last_visit_after))) return false;
  return true;
}

}  // namespace recall::campaigns
