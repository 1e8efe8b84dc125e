#include "channels/lookup/line_type_lookup.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "channels/http_request.h"
#include "channels/kannel/kannel_callbacks.h"

namespace recall::channels {
namespace {

constexpr size_t kMaxResponseBytes = 64 * 1024;


struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

class TwilioLookup final : public LineTypeLookup {
 public:
  explicit TwilioLookup(TwilioLookupConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "twilio_lookup"; }

  StatusOr<std::string> Lookup(const std::string& e164) override {
    if (!IsE164(e164)) return InvalidArgumentError("line type lookup: the number is not E.164");
    const std::string url =
        config_.api_base + "/v2/PhoneNumbers/" + UrlEncode(e164) + "?Fields=line_type_intelligence";
    CurlHandle curl(curl_easy_init());
    if (!curl) return InternalError("line type lookup: curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Accept: application/json"));
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, config_.account_sid.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config_.auth_token.c_str());
    ASSIGN_OR_RETURN(HttpResponse response, PerformHttp(h, {config_.connect_timeout, config_.request_timeout,
                                                            kMaxResponseBytes},
                                                        "line type lookup"));
    return InterpretLookupResponse(response.status, response.body);
  }

 private:
  const TwilioLookupConfig config_;
};

}  // namespace

std::string_view MapLineTypeIntelligence(std::string_view provider_type) {
  if (provider_type == "mobile") return "mobile";
  if (provider_type == "landline") return "landline";
  return "unknown";
}

StatusOr<std::string> InterpretLookupResponse(long http_code, std::string_view body) {
  const std::string prefix = "line type lookup: HTTP " + std::to_string(http_code);
  if (http_code == 200) {
    // Only line_type_intelligence.type is read; the body echoes the number.
    try {
      const nlohmann::json json = nlohmann::json::parse(body);
      if (!json.is_object()) return UnavailableError(prefix + " with a body that is not a JSON object");
      auto lti = json.find("line_type_intelligence");
      if (lti == json.end() || lti->is_null()) return std::string("unknown");
      if (!lti->is_object()) return UnavailableError(prefix + " with a malformed line_type_intelligence");
      auto type = lti->find("type");
      if (type == lti->end() || type->is_null()) return std::string("unknown");
      if (!type->is_string()) return UnavailableError(prefix + " with a malformed line_type_intelligence.type");
      return std::string(MapLineTypeIntelligence(type->get<std::string>()));
    } catch (const nlohmann::json::exception&) {
      return UnavailableError(prefix + " with a body that is not JSON");
    }
  }
  if (http_code == 404) return NotFoundError("line type lookup: number not found");
  if (http_code == 408 || http_code == 429 || http_code >= 500) return UnavailableError(prefix);
  if (http_code == 401 || http_code == 403) {
    return FailedPreconditionError(prefix + " (configuration: credentials rejected)");
  }
  if (http_code == 400) return InvalidArgumentError(prefix + " (the number was refused as malformed)");
  return FailedPreconditionError(prefix + " (request refused)");
}

StatusOr<std::unique_ptr<LineTypeLookup>> NewTwilioLookup(TwilioLookupConfig config) {
  if (!config.api_base.starts_with("https://") && !IsLoopbackHttp(config.api_base)) {
    return InvalidArgumentError("twilio_lookup: api_base must be https:// (http:// only for loopback)");
  }
  while (config.api_base.ends_with('/')) config.api_base.pop_back();
  if (config.account_sid.empty() || !std::all_of(config.account_sid.begin(), config.account_sid.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      })) {
    return InvalidArgumentError("twilio_lookup: account_sid must be letters and digits");
  }
  if (config.auth_token.empty()) return InvalidArgumentError("twilio_lookup: auth_token is required");
  if (config.connect_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return InvalidArgumentError("twilio_lookup: timeouts must be positive");
  }
  static std::once_flag curl_once;
  static CURLcode curl_init = CURLE_OK;
  std::call_once(curl_once, [] { curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init != CURLE_OK) return InternalError("twilio_lookup: curl_global_init failed");
  return std::unique_ptr<LineTypeLookup>(std::make_unique<TwilioLookup>(std::move(config)));
}

}  // namespace recall::channels
