#pragma once
// Test-only stand-in for an RVM provider, implementing the provider contract
// Recall defines in docs/channels.md ("RVM provider contract") on 127.0.0.1,
// port 0. Real RVM vendors are cloud APIs that cannot be reached from the build
// and test environment; this server follows the documented contract only:
//   * POST /v1/drops, multipart/form-data, Authorization: Bearer <key>;
//   * a missing or wrong bearer token: 401 {"error": {"code": "unauthorized"}};
//   * another path: 404 {"error": {"code": "not_found"}};
//   * a missing to / from / client_ref / audio part: 422 code "missing_field";
//     an audio part that is not audio/wav starting with "RIFF": 422 code
//     "invalid_audio";
//   * a number registered with SetErrorForNumber: that HTTP status and code;
//   * FailNextWith(status, body): the next request gets that answer;
//   * otherwise 201 {"id": "drp_<n>", "status": "queued"}; then, when the drop
//     had a callback_url on 127.0.0.1, it POSTs one form-encoded callback
//     there: client_ref, id, status=delivered.
// It serves one connection at a time on one thread; accessors are thread-safe.
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "channels/twilio/testing/twilio_standin.h"
#include "common/text.h"

namespace recall::channels::testing {

struct MultipartPart {
  std::string name;
  std::string filename;      // "" for a plain field
  std::string content_type;  // "" when absent
  std::string data;
};

// Splits a multipart/form-data body; nullopt when it is malformed.
inline std::optional<std::vector<MultipartPart>> ParseMultipart(const std::string& content_type,
                                                                const std::string& body) {
  const size_t b = content_type.find("boundary=");
  if (content_type.rfind("multipart/form-data", 0) != 0 || b == std::string::npos) return std::nullopt;
  std::string boundary = content_type.substr(b + 9);
  if (!boundary.empty() && boundary.front() == '"') boundary = boundary.substr(1, boundary.find('"', 1) - 1);
  const std::string delimiter = "--" + boundary;
  std::vector<MultipartPart> parts;
  size_t pos = body.find(delimiter);
  if (pos == std::string::npos) return std::nullopt;
  while (true) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) return parts;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return std::nullopt;
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) return std::nullopt;
    const size_t next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string::npos) return std::nullopt;
    MultipartPart part;
    const std::string head = body.substr(pos, head_end - pos);
    size_t line_start = 0;
    while (line_start <= head.size()) {
      size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string::npos) line_end = head.size();
      const std::string line = head.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      std::string lower = line;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto quoted = [&line](const std::string& key) -> std::string {
        const size_t k = line.find(key + "=\"");
        if (k == std::string::npos) return "";
        const size_t start = k + key.size() + 2;
        return line.substr(start, line.find('"', start) - start);
      };
      if (lower.rfind("content-disposition:", 0) == 0) {
        part.name = quoted("name");
        part.filename = quoted("filename");
      } else if (lower.rfind("content-type:", 0) == 0) {
        part.content_type = std::string(TrimAscii(line.substr(13)));
      }
    }
    part.data = body.substr(head_end + 4, next - head_end - 4);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

class RvmStandIn final : public LoopbackServer {
 public:
  struct Drop {
    std::map<std::string, std::string> fields;  // to, from, client_ref, callback_url
    MultipartPart audio;
    std::string authorization;
    std::string id;
  };

  explicit RvmStandIn(std::string api_key) : api_key_(std::move(api_key)) { Start(); }
  ~RvmStandIn() override { Stop(); }

  void SetErrorForNumber(const std::string& e164, int http_status, const std::string& code) {
    std::lock_guard<std::mutex> lock(mu_);
    number_errors_[e164] = {http_status, code};
  }
  void FailNextWith(int http_status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = std::make_pair(http_status, std::move(body));
  }
  std::vector<Drop> Drops() const {
    std::lock_guard<std::mutex> lock(mu_);
    return drops_;
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  static std::string Error(const std::string& code) {
    return "{\"error\": {\"code\": \"" + code + "\", \"message\": \"refused\"}}";
  }

  void Handle(int fd, const HttpRequestData& request) override {
    auto [status, body, callback] = Answer(request);
    WriteAll(fd, HttpResponse(status, body));
    ::close(fd);
    if (!callback.first.empty()) PostFormToLoopback(callback.first, callback.second, "");
  }

  std::tuple<int, std::string, std::pair<std::string, std::string>> Answer(const HttpRequestData& request) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    if (fail_next_) {
      auto answer = std::move(*fail_next_);
      fail_next_.reset();
      return {answer.first, answer.second, {}};
    }
    if (request.method != "POST" || request.path != "/v1/drops") return {404, Error("not_found"), {}};
    auto auth = request.headers.find("authorization");
    if (auth == request.headers.end() || auth->second != "Bearer " + api_key_) {
      return {401, Error("unauthorized"), {}};
    }
    auto type = request.headers.find("content-type");
    auto parts = ParseMultipart(type == request.headers.end() ? "" : type->second, request.body);
    if (!parts) return {400, Error("malformed_request"), {}};
    Drop drop;
    drop.authorization = auth->second;
    bool has_audio = false;
    for (auto& part : *parts) {
      if (part.name == "audio") {
        drop.audio = part;
        has_audio = true;
      } else {
        drop.fields[part.name] = part.data;
      }
    }
    for (const char* field : {"to", "from", "client_ref"}) {
      if (drop.fields[field].empty()) return {422, Error("missing_field"), {}};
    }
    if (!has_audio) return {422, Error("missing_field"), {}};
    if (drop.audio.content_type != "audio/wav" || drop.audio.data.rfind("RIFF", 0) != 0) {
      return {422, Error("invalid_audio"), {}};
    }
    if (auto it = number_errors_.find(drop.fields["to"]); it != number_errors_.end()) {
      return {it->second.first, Error(it->second.second), {}};
    }
    drop.id = "drp_" + std::to_string(drops_.size() + 1);
    drops_.push_back(drop);
    std::pair<std::string, std::string> callback;
    if (!drop.fields["callback_url"].empty()) {
      callback = {drop.fields["callback_url"],
                  "client_ref=" + UrlEncode(drop.fields["client_ref"]) + "&id=" + drop.id + "&status=delivered"};
    }
    return {201, "{\"id\": \"" + drop.id + "\", \"status\": \"queued\"}", callback};
  }

  const std::string api_key_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> number_errors_;  // GUARDED_BY(mu_)
  std::optional<std::pair<int, std::string>> fail_next_;              // GUARDED_BY(mu_)
  std::vector<Drop> drops_;                                           // GUARDED_BY(mu_)
  int requests_ = 0;                                                  // GUARDED_BY(mu_)
};

}  // namespace recall::channels::testing
