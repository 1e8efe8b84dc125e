#include "channels/kannel/kannel_callbacks.h"

#include <charconv>
#include <map>

#include "common/text.h"

namespace recall::channels {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits a form-encoded query into decoded key/value pairs. Repeated keys are
// refused: a second `msg` or `from` would let whoever can reach the webhook
// smuggle a value past a check made on the first.
StatusOr<std::map<std::string, std::string>> ParseQuery(std::string_view query, std::string_view what) {
  if (query.size() > kMaxCallbackQueryBytes) {
    return InvalidArgumentError(std::string(what) + ": query string too long");
  }
  std::map<std::string, std::string> fields;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = FormUrlDecode(pair.substr(0, eq));
    if (!key.ok()) return InvalidArgumentError(std::string(what) + ": malformed escape in a key");
    auto value = FormUrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value.ok()) return InvalidArgumentError(std::string(what) + ": malformed escape in field '" + *key + "'");
    // Key names are ours (fixed ASCII); a non-ASCII key is just ignored below,
    // and is never echoed in an error.
    if (!fields.emplace(std::move(*key), std::move(*value)).second) {
      return InvalidArgumentError(std::string(what) + ": repeated field");
    }
  }
  return fields;
}

bool IsOpaqueId(std::string_view id) {
  // The same rule as channels::CheckMessageId (Recall's ids), and wide enough
  // for Kannel's UUIDs.
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsE164(std::string_view s) {
  if (s.size() < 9 || s.size() > 16 || s[0] != '+' || s[1] == '0') return false;
  for (size_t idx = 1; idx < s.size(); ++idx) {
    if (s[idx] < '0' || s[idx] > '9') return false;
  }
  return true;
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kDelivered: return "delivered";
    case DeliveryStatus::kFailed: return "failed";
    case DeliveryStatus::kBuffered: return "buffered";
    case DeliveryStatus::kAccepted: return "accepted";
    case DeliveryStatus::kRejected: return "rejected";
  }
  return "unknown";
}

StatusOr<std::string> FormUrlDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t idx = 0; idx < encoded.size(); ++idx) {
    const char c = encoded[idx];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (idx + 2 >= encoded.size()) {
        return InvalidArgumentError("truncated percent escape");
      }
      const int hi = HexValue(encoded[idx + 1]);
      const int lo = HexValue(encoded[idx + 2]);
      if (hi < 0 || lo < 0) return InvalidArgumentError("invalid percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      idx += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UrlEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() * 3);
  for (unsigned char c : raw) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

StatusOr<DeliveryReport> ParseDeliveryReport(std::string_view query) {
  ASSIGN_OR_RETURN(auto fields, ParseQuery(query, "delivery report"));
  DeliveryReport report;

  auto msg = fields.find("msg");
  if (msg == fields.end() || !IsOpaqueId(msg->second)) {
    return InvalidArgumentError("delivery report: missing or malformed 'msg'");
  }
  report.message_id = msg->second;

  auto status = fields.find("status");
  if (status == fields.end()) return InvalidArgumentError("delivery report: missing 'status'");
  const std::string& s = status->second;
  if (s == "1") {
    report.status = DeliveryStatus::kDelivered;
  } else if (s == "2") {
    report.status = DeliveryStatus::kFailed;
  } else if (s == "4") {
    report.status = DeliveryStatus::kBuffered;
  } else if (s == "8") {
    report.status = DeliveryStatus::kAccepted;
  } else if (s == "16") {
    report.status = DeliveryStatus::kRejected;
  } else {
    return InvalidArgumentError("delivery report: unknown 'status' for " + report.message_id);
  }

  if (auto smsc = fields.find("smsc_id"); smsc != fields.end()) {
    if (smsc->second.size() > 256 || !IsValidUtf8(smsc->second)) {
      return InvalidArgumentError("delivery report: malformed 'smsc_id' for " + report.message_id);
    }
    report.smsc_id = smsc->second;
  }

  if (auto time = fields.find("time"); time != fields.end() && !time->second.empty()) {
    long long seconds = 0;
    const std::string& t = time->second;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), seconds);
    // Bounded to years 1970..9999 so the conversion cannot overflow.
    if (ec == std::errc() && ptr == t.data() + t.size() && seconds >= 0 && seconds < 253402300800LL) {
      report.time = TimePoint(std::chrono::seconds(seconds));
    }
  }
  return report;
}

StatusOr<InboundSms> ParseInboundSms(std::string_view query) {
  ASSIGN_OR_RETURN(auto fields, ParseQuery(query, "inbound sms"));
  InboundSms sms;

  auto id = fields.find("id");
  if (id == fields.end() || !IsOpaqueId(id->second)) {
    return InvalidArgumentError("inbound sms: missing or malformed 'id'");
  }
  sms.kannel_id = id->second;

  auto from = fields.find("from");
  if (from == fields.end() || !IsE164(from->second)) {
    return InvalidArgumentError("inbound sms " + sms.kannel_id + ": missing or non-E.164 'from'");
  }
  sms.from_e164 = from->second;

  auto to = fields.find("to");
  if (to == fields.end() || to->second.empty() || to->second.size() > 32 || !IsValidUtf8(to->second)) {
    return InvalidArgumentError("inbound sms " + sms.kannel_id + ": missing or malformed 'to'");
  }
  sms.to = to->second;

  auto text = fields.find("text");
  if (text == fields.end()) return InvalidArgumentError("inbound sms " + sms.kannel_id + ": missing 'text'");
  if (!IsValidUtf8(text->second)) {
    return InvalidArgumentError("inbound sms " + sms.kannel_id + ": 'text' is not valid UTF-8");
  }
  sms.text = std::move(text->second);
  return sms;
}

}  // namespace recall::channels
