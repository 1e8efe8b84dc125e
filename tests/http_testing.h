#pragma once
// End-to-end HTTP helper for the tests that call `recall serve` (libcurl).
// Call curl_global_init once per process before the first request.
#include <curl/curl.h>

#include <string>
#include <vector>

namespace recall::testing {

struct HttpResult {
  long status = 0;  // 0: no response (connection refused or closed)
  std::string body;
  std::string headers;
};

inline size_t CollectHttp(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request. POST and PUT send `body` with the Content-Type among `headers`,
// or none at all (never curl's default form type). `path_as_is`: send "../"
// and "./" segments unchanged (traversal tests).
inline HttpResult Http(const std::string& method, const std::string& url, const std::string& body = "",
                       const std::vector<std::string>& headers = {}, bool path_as_is = false) {
  HttpResult r;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (path_as_is) curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_slist* list = nullptr;
  bool has_type = false;
  for (const auto& h : headers) {
    list = curl_slist_append(list, h.c_str());
    if (h.rfind("Content-Type", 0) == 0) has_type = true;
  }
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    if (!has_type) list = curl_slist_append(list, "Content-Type:");  // no default form type
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectHttp);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHttp);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

}  // namespace recall::testing
