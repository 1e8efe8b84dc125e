#pragma once
// One HTTP request through libcurl, shared by the HTTP-speaking channels
// (Kannel's sendsms, the Twilio-compatible API): the common transfer options,
// a bounded response body, and one mapping of transport failures to Status.
//
//   Unavailable         refused, reset, timed out, DNS, nothing received: the
//                       request may or may not have arrived; a retry with the
//                       same message id is reconciled through the callbacks.
//   FailedPrecondition  a configuration problem (bad URL or scheme, TLS trust).
//
// Messages carry `what` (an opaque id) and curl's failure class only, never the
// URL, credentials or body. Thread-compatible: one handle per call.
#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::channels {

struct CurlHandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlHandleDeleter>;

struct HttpResponse {
  long status = 0;
  std::string body;  // at most max_body_bytes
};

struct HttpTransferOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
  size_t max_body_bytes = 4096;
};

// "http://127.0.0.1...", "http://localhost..." or "http://[::1]...": the only
// plain-HTTP URLs a channel accepts (credentials travel in every request).
bool IsLoopbackHttp(std::string_view url);
// "+" and 8..15 digits.
bool IsE164(std::string_view number);

// Sets the common options (no signals, timeouts, http/https only, no
// redirects, body capture) on `handle`, whose URL, method, auth and request
// body the caller has set, and performs the transfer.
StatusOr<HttpResponse> PerformHttp(CURL* handle, const HttpTransferOptions& options, std::string_view what);

}  // namespace recall::channels
