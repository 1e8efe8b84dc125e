#include "channels/rvm/rvm_callbacks.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/channel.h"
#include "channels/kannel/kannel_callbacks.h"
#include "channels/rvm/rvm_channel.h"
#include "common/text.h"

namespace recall::channels {
namespace {

constexpr std::string_view kWhat = "rvm callback";
constexpr int kMaxJsonDepth = 4;

// The fields the parser reads; others are ignored.
constexpr std::string_view kFields[] = {"client_ref", "msg", "status", "id", "error_code"};

bool IsWanted(std::string_view key) {
  return std::find(std::begin(kFields), std::end(kFields), key) != std::end(kFields);
}

bool IsToken(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
           c == '.';
  });
}

using Fields = std::map<std::string, std::string, std::less<>>;

Status Put(Fields& fields, std::string key, std::string value, std::string_view where) {
  const std::string name = key;
  if (!fields.emplace(std::move(key), std::move(value)).second) {
    return InvalidArgumentError(std::string(kWhat) + ": repeated field '" + name + "' in " + std::string(where));
  }
  return OkStatus();
}

// Decodes a form (or query string), keeping the wanted fields only.
Status ParseForm(std::string_view form, std::string_view where, Fields& fields) {
  size_t pos = 0;
  while (pos <= form.size()) {
    size_t amp = form.find('&', pos);
    if (amp == std::string_view::npos) amp = form.size();
    const std::string_view pair = form.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = FormUrlDecode(pair.substr(0, eq));
    if (!key.ok()) return InvalidArgumentError(std::string(kWhat) + ": malformed key in " + std::string(where));
    if (!IsWanted(*key)) continue;
    auto value = FormUrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value.ok() || !IsValidUtf8(*value)) {
      return InvalidArgumentError(std::string(kWhat) + ": malformed field '" + *key + "'");
    }
    RETURN_IF_ERROR(Put(fields, std::move(*key), std::move(*value), where));
  }
  return OkStatus();
}

// Nesting depth of a JSON text, counted over brackets outside strings; used to
// refuse deep documents before building them.
int JsonDepth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Status ParseJson(std::string_view body, Fields& fields) {
  if (JsonDepth(body) > kMaxJsonDepth) return InvalidArgumentError(std::string(kWhat) + ": JSON nested too deep");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError(std::string(kWhat) + ": malformed JSON body");
  }
  if (!json.is_object()) return InvalidArgumentError(std::string(kWhat) + ": JSON body is not an object");
  for (const auto& [key, value] : json.items()) {
    if (!IsWanted(key)) continue;
    if (value.is_string()) {
      RETURN_IF_ERROR(Put(fields, key, value.get<std::string>(), "body"));
    } else if (key == "error_code" && value.is_number_integer()) {
      RETURN_IF_ERROR(Put(fields, key, std::to_string(value.get<int64_t>()), "body"));
    } else if (value.is_null() && (key == "error_code" || key == "id")) {
      continue;  // an explicit "no code" / "no id"
    } else {
      return InvalidArgumentError(std::string(kWhat) + ": field '" + key + "' is not a string");
    }
  }
  return OkStatus();
}

std::optional<RvmDropStatus> StatusFromName(std::string_view name) {
  if (name == "queued") return RvmDropStatus::kQueued;
  if (name == "delivered") return RvmDropStatus::kDelivered;
  if (name == "failed") return RvmDropStatus::kFailed;
  if (name == "undeliverable") return RvmDropStatus::kUndeliverable;
  return std::nullopt;
}

}  // namespace

std::string_view RvmDropStatusName(RvmDropStatus status) {
  switch (status) {
    case RvmDropStatus::kQueued: return "queued";
    case RvmDropStatus::kDelivered: return "delivered";
    case RvmDropStatus::kFailed: return "failed";
    case RvmDropStatus::kUndeliverable: return "undeliverable";
  }
  return "queued";
}

StatusOr<RvmDeliveryReport> ParseRvmStatusCallback(std::string_view url_query, std::string_view content_type,
                                                   std::string_view body) {
  if (url_query.size() > kMaxRvmCallbackBytes || body.size() > kMaxRvmCallbackBytes ||
      content_type.size() > 256) {
    return InvalidArgumentError(std::string(kWhat) + ": input too long");
  }
  Fields query;
  RETURN_IF_ERROR(ParseForm(url_query, "query", query));
  Fields fields;
  const std::string type = AsciiLower(TrimAscii(content_type));
  const std::string_view trimmed = TrimAscii(body);
  if (type.starts_with("application/json") || trimmed.starts_with('{')) {
    RETURN_IF_ERROR(ParseJson(body, fields));
  } else {
    RETURN_IF_ERROR(ParseForm(body, "body", fields));
  }

  // The message id: client_ref or msg in the body, msg in the URL; every one
  // given must agree (a mismatch means a forged or mis-routed callback).
  std::string message_id;
  for (const auto* source : {&fields, &query}) {
    for (std::string_view key : {"client_ref", "msg"}) {
      auto it = source->find(key);
      if (it == source->end()) continue;
      if (!CheckMessageId(it->second).ok()) {
        return InvalidArgumentError(std::string(kWhat) + ": field '" + std::string(key) + "' is not a message id");
      }
      if (message_id.empty()) {
        message_id = it->second;
      } else if (message_id != it->second) {
        return InvalidArgumentError(std::string(kWhat) + ": message ids in the URL and body differ");
      }
    }
  }
  if (message_id.empty()) return InvalidArgumentError(std::string(kWhat) + ": missing field 'client_ref'");

  RvmDeliveryReport report;
  report.message_id = std::move(message_id);
  auto status = fields.find("status");
  if (status == fields.end()) return InvalidArgumentError(std::string(kWhat) + ": missing field 'status'");
  auto parsed = StatusFromName(status->second);
  if (!parsed) return InvalidArgumentError(std::string(kWhat) + ": unknown 'status'");
  report.status = *parsed;
  if (auto it = fields.find("id"); it != fields.end() && !it->second.empty()) {
    if (!IsToken(it->second, 128)) return InvalidArgumentError(std::string(kWhat) + ": malformed field 'id'");
    report.provider_id = it->second;
  }
  if (auto it = fields.find("error_code"); it != fields.end() && !it->second.empty()) {
    if (!IsToken(it->second, 64)) return InvalidArgumentError(std::string(kWhat) + ": malformed field 'error_code'");
    report.error_code = it->second;
  }
  report.hard_bounce = report.status == RvmDropStatus::kUndeliverable ||
                       (report.status != RvmDropStatus::kDelivered && report.error_code &&
                        (*report.error_code == kRvmInvalidNumberCode || *report.error_code == kRvmLandlineCode));
  return report;
}

}  // namespace recall::channels
