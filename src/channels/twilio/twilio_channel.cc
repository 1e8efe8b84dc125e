#include "channels/twilio/twilio_channel.h"

#include "channels/http_request.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/kannel/kannel_callbacks.h"
#include "common/text.h"

namespace recall::channels {
namespace {

// A Messages or Calls answer is a few KiB of JSON; anything longer is cut.
constexpr size_t kMaxResponseBytes = 64 * 1024;
// The provider's documented limits.
constexpr size_t kMaxSmsChars = 1600;
constexpr size_t kMaxTwimlBytes = 4000;

bool IsHttpUrl(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

// Code points, for the SMS length limit (the input is valid UTF-8).
size_t CountCodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most C0 controls; a script has no use for them.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string WithMessageId(const std::string& url, const std::string& message_id) {
  return url + (url.find('?') == std::string::npos ? '?' : '&') + "msg=" + UrlEncode(message_id);
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

bool IsHardBounceCode(int code) {
  // 21211 invalid 'To' number; 21217 phone number does not appear valid
  // (calls); 21614 'To' is not a mobile number (cannot receive SMS).
  return code == 21211 || code == 21217 || code == 21614;
}

class TwilioChannel final : public Channel {
 public:
  explicit TwilioChannel(TwilioConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "twilio"; }

  StatusOr<Receipt> Send(const OutboundMessage& message) override {
    RETURN_IF_ERROR(CheckMessageId(message.message_id).WithContext("twilio"));
    const std::string& id = message.message_id;
    const bool voice = message.channel == "voice";
    if (message.channel != "sms" && !voice) {
      return InvalidArgumentError("twilio for " + id + ": channel must be sms or voice");
    }
    const std::string what = std::string("twilio ") + (voice ? "voice" : "sms") + " for " + id;
    if (message.to.empty()) return InvalidArgumentError(what + ": no recipient");

    std::vector<std::pair<std::string, std::string>> form;
    form.emplace_back("To", message.to);
    if (voice) {
      if (config_.from_number.empty()) return InvalidArgumentError(what + ": no sender number for calls");
      form.emplace_back("From", config_.from_number);
      if (!config_.voice_twiml_url.empty()) {
        form.emplace_back("Url", WithMessageId(config_.voice_twiml_url, id));
      } else {
        ASSIGN_OR_RETURN(std::string twiml, BuildVoiceTwiml(config_, message));
        form.emplace_back("Twiml", std::move(twiml));
      }
    } else {
      if (message.text_body.empty()) return InvalidArgumentError(what + ": empty text body");
      if (!IsValidUtf8(message.text_body)) return InvalidArgumentError(what + ": text body is not UTF-8");
      if (CountCodePoints(message.text_body) > kMaxSmsChars) {
        return InvalidArgumentError(what + ": text body over 1600 characters");
      }
      if (!config_.from_number.empty()) {
        form.emplace_back("From", config_.from_number);
      } else {
        form.emplace_back("MessagingServiceSid", config_.messaging_service_sid);
      }
      form.emplace_back("Body", message.text_body);
    }
    if (!config_.status_callback_url.empty()) {
      form.emplace_back("StatusCallback", WithMessageId(config_.status_callback_url, id));
    }
    std::string post_body;
    for (const auto& [key, value] : form) {
      if (!post_body.empty()) post_body += '&';
      post_body += UrlEncode(key) + "=" + UrlEncode(value);
    }
    const std::string url = config_.api_base + "/2010-04-01/Accounts/" + config_.account_sid +
                            (voice ? "/Calls.json" : "/Messages.json");

    CurlHandle curl(curl_easy_init());
    if (!curl) return InternalError(what + ": curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Accept: application/json"));
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, config_.account_sid.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config_.auth_token.c_str());
    ASSIGN_OR_RETURN(HttpResponse response,
                     PerformHttp(h, {config_.connect_timeout, config_.request_timeout, kMaxResponseBytes}, what));
    Receipt receipt;
    RETURN_IF_ERROR(InterpretTwilioResponse(response.status, response.body, what, &receipt));
    return receipt;
  }

 private:
  const TwilioConfig config_;
};

// The sid and status are echoed into receipts; keep them to short tokens.
bool IsToken(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

}  // namespace

StatusOr<std::string> BuildVoiceTwiml(const TwilioConfig& config, const OutboundMessage& message) {
  const std::string what = "twilio voice for " + message.message_id;
  std::string twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
  if (message.audio_path.starts_with("https://")) {
    twiml += "<Play>" + XmlEscape(message.audio_path) + "</Play>";
  } else {
    if (message.text_body.empty()) return InvalidArgumentError(what + ": no script (text body) and no audio URL");
    if (!IsValidUtf8(message.text_body)) return InvalidArgumentError(what + ": text body is not UTF-8");
    twiml += "<Say";
    if (!config.say_voice.empty()) twiml += " voice=\"" + XmlEscape(config.say_voice) + "\"";
    if (!config.say_language.empty()) twiml += " language=\"" + XmlEscape(config.say_language) + "\"";
    twiml += ">" + XmlEscape(message.text_body) + "</Say>";
  }
  twiml += "</Response>";
  if (twiml.size() > kMaxTwimlBytes) return InvalidArgumentError(what + ": TwiML over 4000 bytes");
  return twiml;
}

Status InterpretTwilioResponse(long http_code, std::string_view body, std::string_view what, Receipt* receipt) {
  const std::string prefix = std::string(what) + ": HTTP " + std::to_string(http_code);
  // Only the numeric error code and sid/status tokens are read from the body;
  // the provider's "message" text quotes the phone number and is never used.
  int code = 0;
  std::string sid;
  std::string status;
  try {
    const nlohmann::json json = nlohmann::json::parse(body);
    if (json.is_object()) {
      if (auto it = json.find("code"); it != json.end() && it->is_number_integer()) code = it->get<int>();
      if (auto it = json.find("sid"); it != json.end() && it->is_string()) sid = it->get<std::string>();
      if (auto it = json.find("status"); it != json.end() && it->is_string()) status = it->get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    // Not JSON (a proxy's HTML error page, a cut body): decided by HTTP code.
  }
  if (http_code >= 200 && http_code < 300) {
    if (!IsToken(sid, 64)) {
      return FailedPreconditionError(prefix + " without a sid (accepted or not is unknown; not retried)");
    }
    if (receipt != nullptr) {
      receipt->provider_id = sid;
      receipt->detail = IsToken(status, 32) ? "status=" + status : "";
    }
    return OkStatus();
  }
  const std::string with_code = code != 0 ? prefix + " code " + std::to_string(code) : prefix;
  if (http_code == 429 || http_code >= 500) return UnavailableError(with_code);
  if (http_code == 401 || http_code == 403) return FailedPreconditionError(with_code + " (credentials rejected)");
  if (IsHardBounceCode(code)) return FailedPreconditionError(with_code + " (" + std::string(kHardBounceMarker) + ")");
  if (code == 21610) return FailedPreconditionError(with_code + " (recipient unsubscribed)");
  if (http_code == 404) return FailedPreconditionError(with_code + " (account or resource not found)");
  return FailedPreconditionError(with_code + " (request refused)");
}

StatusOr<std::unique_ptr<Channel>> NewTwilioChannel(TwilioConfig config) {
  if (!config.api_base.starts_with("https://") && !IsLoopbackHttp(config.api_base)) {
    return InvalidArgumentError("twilio: api_base must be https:// (http:// only for loopback)");
  }
  while (config.api_base.ends_with('/')) config.api_base.pop_back();
  if (config.account_sid.empty() || !std::all_of(config.account_sid.begin(), config.account_sid.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      })) {
    return InvalidArgumentError("twilio: account_sid must be letters and digits");
  }
  if (config.auth_token.empty()) return InvalidArgumentError("twilio: auth_token is required");
  if (config.from_number.empty() && config.messaging_service_sid.empty()) {
    return InvalidArgumentError("twilio: from_number or messaging_service_sid is required");
  }
  for (const std::string* url : {&config.status_callback_url, &config.voice_twiml_url}) {
    if (!url->empty() && !IsHttpUrl(*url)) return InvalidArgumentError("twilio: callback URLs must be http(s)://");
  }
  if (config.connect_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return InvalidArgumentError("twilio: timeouts must be positive");
  }
  static std::once_flag curl_once;
  static CURLcode curl_init = CURLE_OK;
  std::call_once(curl_once, [] { curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init != CURLE_OK) return InternalError("twilio: curl_global_init failed");
  return std::unique_ptr<Channel>(std::make_unique<TwilioChannel>(std::move(config)));
}

}  // namespace recall::channels
