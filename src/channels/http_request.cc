#include "channels/http_request.h"

#include <algorithm>

namespace recall::channels {

namespace {
struct BodySink {
  std::string* body;
  size_t limit;
};

size_t CollectBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * nmemb;
  if (sink->body->size() < sink->limit) sink->body->append(data, std::min(n, sink->limit - sink->body->size()));
  return n;
}
}  // namespace

StatusOr<HttpResponse> PerformHttp(CURL* h, const HttpTransferOptions& options, std::string_view what) {
  HttpResponse response;
  BodySink sink{&response.body, options.max_body_bytes};
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    // curl_easy_strerror names the failure class only ("Couldn't connect to server").
    const std::string failure = std::string(what) + ": " + curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_PEER_FAILED_VERIFICATION:
        return FailedPreconditionError(failure);
      default:
        return UnavailableError(failure);
    }
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

bool IsLoopbackHttp(std::string_view url) {
  for (std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    if (url.starts_with(host) && (url.size() == host.size() || url[host.size()] == ':' || url[host.size()] == '/')) {
      return true;
    }
  }
  return false;
}

bool IsE164(std::string_view number) {
  if (number.size() < 9 || number.size() > 16 || number[0] != '+') return false;
  return std::all_of(number.begin() + 1, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace recall::channels
