#include "channels/rvm/rvm_channel.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "channels/http_request.h"
#include "channels/kannel/kannel_callbacks.h"

namespace recall::channels {
namespace {

// A drop answer is a few hundred bytes of JSON; anything longer is cut.
constexpr size_t kMaxResponseBytes = 64 * 1024;


// Provider ids, statuses and error codes are echoed into receipts and errors;
// only short tokens are.
bool IsToken(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string WithMessageId(const std::string& url, const std::string& message_id) {
  return url + (url.find('?') == std::string::npos ? '?' : '&') + "msg=" + UrlEncode(message_id);
}

struct MimeDeleter {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// Reads the WAV; the path is not echoed (it may name the practice's folders).
StatusOr<std::string> ReadAudio(const std::string& path, size_t max_bytes, const std::string& what) {
  if (path.empty()) return InvalidArgumentError(what + ": no audio file");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return InvalidArgumentError(what + ": audio file missing");
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(what + ": audio file is not a regular file");
  if (st.st_size == 0) return InvalidArgumentError(what + ": audio file is empty");
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
    return InvalidArgumentError(what + ": audio file over " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(what + ": audio file unreadable");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The file may have changed between stat and read.
  if (data.empty()) return InvalidArgumentError(what + ": audio file is empty");
  if (data.size() > max_bytes) {
    return InvalidArgumentError(what + ": audio file over " + std::to_string(max_bytes) + " bytes");
  }
  return data;
}

Status AddField(curl_mime* mime, const char* name, const std::string& value) {
  curl_mimepart* part = curl_mime_addpart(mime);
  if (part == nullptr || curl_mime_name(part, name) != CURLE_OK ||
      curl_mime_data(part, value.data(), value.size()) != CURLE_OK) {
    return InternalError(std::string("rvm: cannot build form field ") + name);
  }
  return OkStatus();
}

class RvmChannel final : public Channel {
 public:
  explicit RvmChannel(RvmConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "rvm"; }

  StatusOr<Receipt> Send(const OutboundMessage& message) override {
    RETURN_IF_ERROR(CheckMessageId(message.message_id).WithContext("rvm"));
    const std::string& id = message.message_id;
    const std::string what = "rvm for " + id;
    if (message.channel != "rvm") return InvalidArgumentError(what + ": channel must be rvm");
    if (!IsE164(message.to)) return InvalidArgumentError(what + ": recipient is not an E.164 number");
    ASSIGN_OR_RETURN(std::string audio, ReadAudio(message.audio_path, config_.max_audio_bytes, what));

    CurlHandle curl(curl_easy_init());
    if (!curl) return InternalError(what + ": curl_easy_init failed");
    CURL* h = curl.get();
    std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(h));
    if (!mime) return InternalError(what + ": curl_mime_init failed");
    RETURN_IF_ERROR(AddField(mime.get(), "to", message.to));
    RETURN_IF_ERROR(AddField(mime.get(), "from", config_.from_number));
    RETURN_IF_ERROR(AddField(mime.get(), "client_ref", id));
    if (!config_.status_callback_url.empty()) {
      RETURN_IF_ERROR(AddField(mime.get(), "callback_url", WithMessageId(config_.status_callback_url, id)));
    }
    curl_mimepart* part = curl_mime_addpart(mime.get());
    const std::string filename = id + ".wav";
    if (part == nullptr || curl_mime_name(part, "audio") != CURLE_OK ||
        curl_mime_data(part, audio.data(), audio.size()) != CURLE_OK ||
        curl_mime_filename(part, filename.c_str()) != CURLE_OK || curl_mime_type(part, "audio/wav") != CURLE_OK) {
      return InternalError(what + ": cannot build the audio part");
    }

    const std::string auth = "Authorization: Bearer " + config_.api_key;
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Accept: application/json"));
    // No "Expect: 100-continue" round trip before the upload.
    curl_slist* list = headers ? curl_slist_append(headers.get(), "Expect:") : nullptr;
    list = list ? curl_slist_append(list, auth.c_str()) : nullptr;
    if (list == nullptr) return InternalError(what + ": cannot build headers");
    const std::string url = config_.api_base + "/v1/drops";
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime.get());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    ASSIGN_OR_RETURN(HttpResponse response,
                     PerformHttp(h, {config_.connect_timeout, config_.request_timeout, kMaxResponseBytes}, what));
    Receipt receipt;
    RETURN_IF_ERROR(InterpretRvmResponse(response.status, response.body, what, &receipt));
    return receipt;
  }

 private:
  const RvmConfig config_;
};

}  // namespace

Status InterpretRvmResponse(long http_code, std::string_view body, std::string_view what, Receipt* receipt) {
  const std::string prefix = std::string(what) + ": HTTP " + std::to_string(http_code);
  // Only the id, status and error code are read; the provider's error message
  // may quote the number and is never used.
  bool parsed = false;
  std::string drop_id, status, code;
  try {
    const nlohmann::json json = nlohmann::json::parse(body);
    if (json.is_object()) {
      parsed = true;
      if (auto it = json.find("id"); it != json.end() && it->is_string()) drop_id = it->get<std::string>();
      if (auto it = json.find("status"); it != json.end() && it->is_string()) status = it->get<std::string>();
      if (auto it = json.find("error"); it != json.end()) {
        if (it->is_object()) {
          if (auto c = it->find("code"); c != it->end() && c->is_string()) code = c->get<std::string>();
        } else if (it->is_string()) {
          code = it->get<std::string>();
        }
      }
    }
  } catch (const nlohmann::json::exception&) {
    // Not JSON (a proxy's error page, a cut body): decided below.
  }
  if (http_code >= 200 && http_code < 300) {
    if (!parsed || !IsToken(drop_id, 128)) {
      return UnavailableError(prefix + " without a drop id (it may have been accepted; the message id reconciles it)");
    }
    if (receipt != nullptr) {
      receipt->provider_id = drop_id;
      receipt->detail = IsToken(status, 32) ? "status=" + status : "";
    }
    return OkStatus();
  }
  const std::string with_code = IsToken(code, 64) ? prefix + " code " + code : prefix;
  if (http_code == 408 || http_code == 429 || http_code >= 500) return UnavailableError(with_code);
  if (http_code == 401 || http_code == 403) {
    return FailedPreconditionError(with_code + " (configuration: credentials rejected)");
  }
  if ((http_code == 400 || http_code == 404 || http_code == 422) &&
      (code == kRvmInvalidNumberCode || code == kRvmLandlineCode)) {
    return FailedPreconditionError(with_code + " (" + std::string(kHardBounceMarker) + ")");
  }
  return FailedPreconditionError(with_code + " (request refused)");
}

StatusOr<std::unique_ptr<Channel>> NewRvmChannel(RvmConfig config) {
  if (!config.api_base.starts_with("https://") && !IsLoopbackHttp(config.api_base)) {
    return InvalidArgumentError("rvm: api_base must be https:// (http:// only for loopback)");
  }
  while (config.api_base.ends_with('/')) config.api_base.pop_back();
  if (config.api_key.empty()) return InvalidArgumentError("rvm: api_key is required");
  if (!IsE164(config.from_number)) return InvalidArgumentError("rvm: from_number must be an E.164 number");
  if (!config.status_callback_url.empty() && !config.status_callback_url.starts_with("http://") &&
      !config.status_callback_url.starts_with("https://")) {
    return InvalidArgumentError("rvm: status_callback_url must be http(s)://");
  }
  if (config.max_audio_bytes == 0) return InvalidArgumentError("rvm: max_audio_bytes must be positive");
  if (config.connect_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return InvalidArgumentError("rvm: timeouts must be positive");
  }
  static std::once_flag curl_once;
  static CURLcode curl_init = CURLE_OK;
  std::call_once(curl_once, [] { curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init != CURLE_OK) return InternalError("rvm: curl_global_init failed");
  return std::unique_ptr<Channel>(std::make_unique<RvmChannel>(std::move(config)));
}

}  // namespace recall::channels
