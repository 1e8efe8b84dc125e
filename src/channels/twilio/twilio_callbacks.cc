#include "channels/twilio/twilio_callbacks.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "channels/channel.h"
#include "channels/kannel/kannel_callbacks.h"
#include "common/text.h"

namespace recall::channels {
namespace {

constexpr std::array<std::pair<TwilioStatus, std::string_view>, 16> kStatusNames = {{
    {TwilioStatus::kAccepted, "accepted"},      {TwilioStatus::kScheduled, "scheduled"},
    {TwilioStatus::kQueued, "queued"},          {TwilioStatus::kSending, "sending"},
    {TwilioStatus::kSent, "sent"},              {TwilioStatus::kDelivered, "delivered"},
    {TwilioStatus::kUndelivered, "undelivered"}, {TwilioStatus::kFailed, "failed"},
    {TwilioStatus::kRead, "read"},              {TwilioStatus::kCanceled, "canceled"},
    {TwilioStatus::kInitiated, "initiated"},    {TwilioStatus::kRinging, "ringing"},
    {TwilioStatus::kInProgress, "in-progress"}, {TwilioStatus::kCompleted, "completed"},
    {TwilioStatus::kBusy, "busy"},              {TwilioStatus::kNoAnswer, "no-answer"},
}};

bool IsMessageStatus(TwilioStatus s) {
  switch (s) {
    case TwilioStatus::kInitiated:
    case TwilioStatus::kRinging:
    case TwilioStatus::kInProgress:
    case TwilioStatus::kCompleted:
    case TwilioStatus::kBusy:
    case TwilioStatus::kNoAnswer:
      return false;
    default:
      return true;
  }
}

bool IsCallStatus(TwilioStatus s) {
  switch (s) {
    case TwilioStatus::kQueued:
    case TwilioStatus::kFailed:
    case TwilioStatus::kCanceled:
    case TwilioStatus::kInitiated:
    case TwilioStatus::kRinging:
    case TwilioStatus::kInProgress:
    case TwilioStatus::kCompleted:
    case TwilioStatus::kBusy:
    case TwilioStatus::kNoAnswer:
      return true;
    default:
      return false;
  }
}

bool IsAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "SM0123...", "CA...": two letters, then 1..64 alphanumerics.
bool IsProviderSid(std::string_view sid) {
  if (sid.size() < 3 || sid.size() > 66) return false;
  if (!(sid[0] >= 'A' && sid[0] <= 'Z') || !(sid[1] >= 'A' && sid[1] <= 'Z')) return false;
  for (char c : sid) {
    if (!IsAlnum(c)) return false;
  }
  return true;
}

bool IsE164(std::string_view number) {
  if (number.size() < 9 || number.size() > 16 || number[0] != '+') return false;
  for (size_t idx = 1; idx < number.size(); ++idx) {
    if (number[idx] < '0' || number[idx] > '9') return false;
  }
  return true;
}

// The single value of each key in `wanted`; a repeated wanted key is refused
// (a second MessageSid or msg would let whoever reaches the webhook smuggle a
// value past a check made on the first).
StatusOr<std::map<std::string, std::string, std::less<>>> Pick(const FormParams& params,
                                                                std::initializer_list<std::string_view> wanted,
                                                                std::string_view what) {
  std::map<std::string, std::string, std::less<>> fields;
  for (const auto& [key, value] : params) {
    bool is_wanted = false;
    for (std::string_view w : wanted) is_wanted = is_wanted || key == w;
    if (!is_wanted) continue;
    if (!fields.emplace(key, value).second) {
      return InvalidArgumentError(std::string(what) + ": repeated field '" + key + "'");
    }
  }
  return fields;
}

}  // namespace

StatusOr<FormParams> ParseTwilioForm(std::string_view form) {
  if (form.size() > kMaxTwilioCallbackBytes) return InvalidArgumentError("twilio form: input too long");
  FormParams params;
  size_t pos = 0;
  while (pos <= form.size()) {
    size_t amp = form.find('&', pos);
    if (amp == std::string_view::npos) amp = form.size();
    const std::string_view pair = form.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = FormUrlDecode(pair.substr(0, eq));
    if (!key.ok() || !IsValidUtf8(*key)) return InvalidArgumentError("twilio form: malformed key");
    auto value = FormUrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    // Keys are echoed only when they are plain ASCII names; values never.
    const bool printable_key = key->size() <= 64 && std::all_of(key->begin(), key->end(), IsAlnum);
    const std::string field = printable_key ? "field '" + *key + "'" : std::string("a field");
    if (!value.ok()) return InvalidArgumentError("twilio form: malformed escape in " + field);
    if (!IsValidUtf8(*value)) return InvalidArgumentError("twilio form: " + field + " is not UTF-8");
    params.emplace_back(std::move(*key), std::move(*value));
  }
  return params;
}

std::string_view TwilioStatusName(TwilioStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "unknown";
}

bool IsFinalTwilioStatus(TwilioStatus status) {
  switch (status) {
    case TwilioStatus::kDelivered:
    case TwilioStatus::kUndelivered:
    case TwilioStatus::kFailed:
    case TwilioStatus::kRead:
    case TwilioStatus::kCanceled:
    case TwilioStatus::kCompleted:
    case TwilioStatus::kBusy:
    case TwilioStatus::kNoAnswer:
      return true;
    default:
      return false;
  }
}

StatusOr<TwilioStatusCallback> ParseTwilioStatusCallback(std::string_view url_query, std::string_view body) {
  constexpr std::string_view kWhat = "twilio status callback";
  ASSIGN_OR_RETURN(const FormParams query_params, ParseTwilioForm(url_query));
  ASSIGN_OR_RETURN(const FormParams body_params, ParseTwilioForm(body));
  ASSIGN_OR_RETURN(auto query, Pick(query_params, {"msg"}, kWhat));
  ASSIGN_OR_RETURN(auto fields,
                   Pick(body_params, {"MessageSid", "MessageStatus", "CallSid", "CallStatus", "ErrorCode"}, kWhat));

  TwilioStatusCallback out;
  auto msg = query.find("msg");
  if (msg == query.end()) return InvalidArgumentError(std::string(kWhat) + ": no 'msg' in the URL");
  if (!CheckMessageId(msg->second).ok()) return InvalidArgumentError(std::string(kWhat) + ": malformed 'msg'");
  out.message_id = msg->second;

  const auto message_sid = fields.find("MessageSid");
  const auto call_sid = fields.find("CallSid");
  if ((message_sid == fields.end()) == (call_sid == fields.end())) {
    return InvalidArgumentError(std::string(kWhat) + ": need exactly one of 'MessageSid' and 'CallSid'");
  }
  out.is_call = call_sid != fields.end();
  const std::string_view sid_key = out.is_call ? "CallSid" : "MessageSid";
  const std::string_view status_key = out.is_call ? "CallStatus" : "MessageStatus";
  out.provider_sid = out.is_call ? call_sid->second : message_sid->second;
  if (!IsProviderSid(out.provider_sid)) {
    return InvalidArgumentError(std::string(kWhat) + ": malformed '" + std::string(sid_key) + "'");
  }
  const auto status = fields.find(status_key);
  if (status == fields.end()) {
    return InvalidArgumentError(std::string(kWhat) + ": no '" + std::string(status_key) + "'");
  }
  bool known = false;
  for (const auto& [s, name] : kStatusNames) {
    if (name == status->second && (out.is_call ? IsCallStatus(s) : IsMessageStatus(s))) {
      out.status = s;
      known = true;
    }
  }
  if (!known) return InvalidArgumentError(std::string(kWhat) + ": unknown '" + std::string(status_key) + "'");

  const auto error_code = fields.find("ErrorCode");
  if (error_code != fields.end() && !error_code->second.empty()) {
    const std::string& text = error_code->second;
    int code = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc() || end != text.data() + text.size() || text.size() > 6 || code < 0) {
      return InvalidArgumentError(std::string(kWhat) + ": malformed 'ErrorCode'");
    }
    out.error_code = code;
  }
  return out;
}

StatusOr<TwilioInboundMessage> ParseTwilioInboundMessage(std::string_view body) {
  constexpr std::string_view kWhat = "twilio inbound message";
  ASSIGN_OR_RETURN(const FormParams params, ParseTwilioForm(body));
  ASSIGN_OR_RETURN(auto fields, Pick(params, {"From", "To", "Body", "MessageSid"}, kWhat));
  TwilioInboundMessage out;
  const auto from = fields.find("From");
  if (from == fields.end() || !IsE164(from->second)) {
    return InvalidArgumentError(std::string(kWhat) + ": 'From' missing or not E.164");
  }
  const auto to = fields.find("To");
  if (to == fields.end() || to->second.empty() || to->second.size() > 32) {
    return InvalidArgumentError(std::string(kWhat) + ": 'To' missing or malformed");
  }
  const auto text = fields.find("Body");
  if (text == fields.end()) return InvalidArgumentError(std::string(kWhat) + ": no 'Body'");
  const auto sid = fields.find("MessageSid");
  if (sid == fields.end() || !IsProviderSid(sid->second)) {
    return InvalidArgumentError(std::string(kWhat) + ": 'MessageSid' missing or malformed");
  }
  out.from = from->second;
  out.to = to->second;
  out.body = text->second;
  out.message_sid = sid->second;
  return out;
}

}  // namespace recall::channels
