#include "channels/kannel/kannel_channel.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "channels/http_request.h"
#include "channels/kannel/kannel_callbacks.h"
#include "templates/sms_encoding.h"

namespace recall::channels {
namespace {

// smsbox answers with one short line; anything longer is cut.
constexpr size_t kMaxResponseBytes = 4096;

bool IsHttpUrl(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

class KannelChannel final : public Channel {
 public:
  explicit KannelChannel(KannelConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "kannel"; }

  StatusOr<Receipt> Send(const OutboundMessage& message) override {
    ASSIGN_OR_RETURN(const std::string url, BuildSendsmsUrl(config_, message));
    CurlHandle curl(curl_easy_init());
    if (!curl) return InternalError("kannel sendsms for " + message.message_id + ": curl_easy_init failed");
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    ASSIGN_OR_RETURN(HttpResponse response,
                     PerformHttp(h, {config_.connect_timeout, config_.request_timeout, kMaxResponseBytes},
                                 "kannel sendsms for " + message.message_id));
    Receipt receipt;
    RETURN_IF_ERROR(InterpretSendsmsResponse(response.status, response.body, message.message_id, &receipt.detail));
    receipt.provider_id = message.message_id;
    return receipt;
  }

 private:
  const KannelConfig config_;
};

}  // namespace

StatusOr<std::string> BuildSendsmsUrl(const KannelConfig& config, const OutboundMessage& message) {
  RETURN_IF_ERROR(CheckMessageId(message.message_id).WithContext("kannel sendsms"));
  const std::string& id = message.message_id;
  if (!message.channel.empty() && message.channel != "sms") {
    return InvalidArgumentError("kannel sendsms for " + id + ": not an sms message");
  }
  if (message.to.empty()) return InvalidArgumentError("kannel sendsms for " + id + ": no recipient");
  if (message.text_body.empty()) return InvalidArgumentError("kannel sendsms for " + id + ": empty text body");
  auto info = templates::AnalyzeSms(message.text_body);
  if (!info.ok()) return InvalidArgumentError("kannel sendsms for " + id + ": text body is not UTF-8");
  const bool ucs2 = info->encoding == templates::SmsEncoding::kUcs2;
  const std::string& from = message.from_address.empty() ? config.from : message.from_address;

  // The dlr-url travels URL-encoded as a whole, so Kannel's own placeholders
  // (%d, %F, %T) arrive at smsbox as %25d etc. and smsbox decodes them back
  // before expanding them when the report comes in.
  std::string dlr_url = config.dlr_url_base;
  dlr_url += dlr_url.find('?') == std::string::npos ? '?' : '&';
  dlr_url += "msg=" + UrlEncode(id) + "&status=%d&smsc_id=%F&time=%T";

  std::string url = config.sendsms_url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "username=" + UrlEncode(config.username);
  url += "&password=" + UrlEncode(config.password);
  url += "&from=" + UrlEncode(from);
  url += "&to=" + UrlEncode(message.to);
  url += "&text=" + UrlEncode(message.text_body);
  url += "&charset=UTF-8";
  url += ucs2 ? "&coding=2" : "&coding=0";
  if (!config.smsc_id.empty()) url += "&smsc=" + UrlEncode(config.smsc_id);
  url += "&dlr-mask=" + std::to_string(config.dlr_mask);
  url += "&dlr-url=" + UrlEncode(dlr_url);
  return url;
}

Status InterpretSendsmsResponse(long http_code, std::string_view body, std::string_view message_id,
                                std::string* detail) {
  const std::string prefix = "kannel sendsms for " + std::string(message_id) + ": HTTP " + std::to_string(http_code);
  if (http_code >= 200 && http_code < 300) {
    // "0: Accepted for delivery" or "3: Queued for later delivery": both mean
    // Kannel owns the message now.
    if (detail != nullptr) {
      detail->clear();
      for (char c : body) {
        if (c == '\r' || c == '\n' || detail->size() >= 100) break;
        if (c >= 0x20 && c < 0x7F) detail->push_back(c);
      }
    }
    return OkStatus();
  }
  if (http_code == 400) return InvalidArgumentError(prefix + " (request rejected)");
  if (http_code == 401 || http_code == 403) return FailedPreconditionError(prefix + " (credentials rejected)");
  if (http_code == 429 || http_code >= 500) return UnavailableError(prefix);
  return FailedPreconditionError(prefix + " (unexpected answer)");
}

StatusOr<std::unique_ptr<Channel>> NewKannelChannel(KannelConfig config) {
  if (!IsHttpUrl(config.sendsms_url)) return InvalidArgumentError("kannel: sendsms_url must be http(s)://");
  if (!IsHttpUrl(config.dlr_url_base)) return InvalidArgumentError("kannel: dlr_url_base must be http(s)://");
  if (config.username.empty() || config.password.empty()) {
    return InvalidArgumentError("kannel: username and password are required");
  }
  if (config.from.empty()) return InvalidArgumentError("kannel: sender number is required");
  if (config.dlr_mask < 1 || config.dlr_mask > 31) return InvalidArgumentError("kannel: dlr_mask must be 1..31");
  if (config.connect_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return InvalidArgumentError("kannel: timeouts must be positive");
  }
  static std::once_flag curl_once;
  static CURLcode curl_init = CURLE_OK;
  std::call_once(curl_once, [] { curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init != CURLE_OK) return InternalError("kannel: curl_global_init failed");
  return std::unique_ptr<Channel>(std::make_unique<KannelChannel>(std::move(config)));
}

}  // namespace recall::channels
