#pragma once
// Test-only stand-in for a Twilio-Lookup-v2-compatible API on 127.0.0.1,
// port 0. The real cloud API cannot be reached from the build and test
// environment; this server follows the public contract only:
//   * GET /v2/PhoneNumbers/{url-encoded E.164}?Fields=line_type_intelligence,
//     HTTP basic auth AccountSid:AuthToken (401 code 20003 otherwise);
//   * a number registered with SetType: 200 with
//     {"phone_number": ..., "line_type_intelligence": {"type": <type>, ...}}
//     (a registered "null" gives "type": null);
//   * any other number: 404 {"code": 20404, ...};
//   * FailNextWith(status, body): the next request gets that answer.
// One connection at a time on one thread; accessors are thread-safe.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "channels/kannel/kannel_callbacks.h"
#include "channels/twilio/testing/twilio_standin.h"

namespace recall::channels::testing {

class LookupStandIn final : public LoopbackServer {
 public:
  LookupStandIn(std::string account_sid, std::string auth_token)
      : account_sid_(std::move(account_sid)), auth_token_(std::move(auth_token)) {
    Start();
  }
  ~LookupStandIn() override { Stop(); }

  void SetType(const std::string& e164, const std::string& type) {
    std::lock_guard<std::mutex> lock(mu_);
    types_[e164] = type;
  }
  void FailNextWith(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = std::make_pair(status, std::move(body));
  }
  // The decoded numbers asked for, in order.
  std::vector<std::string> Asked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }
  std::vector<HttpRequestData> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Handle(int fd, const HttpRequestData& request) override {
    auto [status, body] = Answer(request);
    WriteAll(fd, HttpResponse(status, body));
    ::close(fd);
  }

  std::pair<int, std::string> Answer(const HttpRequestData& request) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (fail_next_) {
      auto answer = std::move(*fail_next_);
      fail_next_.reset();
      return answer;
    }
    const std::string expected_auth = "Basic " + Base64Encode(account_sid_ + ":" + auth_token_);
    auto auth = request.headers.find("authorization");
    if (auth == request.headers.end() || auth->second != expected_auth) {
      return {401, R"({"code": 20003, "message": "Authenticate", "status": 401})"};
    }
    constexpr std::string_view kPrefix = "/v2/PhoneNumbers/";
    if (request.method != "GET" || request.path.rfind(kPrefix, 0) != 0) {
      return {404, R"({"code": 20404, "status": 404})"};
    }
    auto number = FormUrlDecode(request.path.substr(kPrefix.size()));
    if (!number.ok()) return {400, R"({"code": 20001, "status": 400})"};
    asked_.push_back(*number);
    auto it = types_.find(*number);
    if (it == types_.end()) return {404, R"({"code": 20404, "message": "not found", "status": 404})"};
    const std::string type = it->second == "null" ? "null" : "\"" + it->second + "\"";
    return {200, R"({"phone_number": ")" + *number + R"(", "valid": true, "line_type_intelligence": {"type": )" +
                     type + R"(, "carrier_name": "Synthetic Wireless", "error_code": null}})"};
  }

  static std::string Base64Encode(const std::string& in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t idx = 0;
    for (; idx + 2 < in.size(); idx += 3) {
      const unsigned v = (static_cast<unsigned char>(in[idx]) << 16) | (static_cast<unsigned char>(in[idx + 1]) << 8) |
                         static_cast<unsigned char>(in[idx + 2]);
      for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
    }
    if (idx + 1 == in.size()) {
      const unsigned v = static_cast<unsigned char>(in[idx]) << 16;
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += "==";
    } else if (idx + 2 == in.size()) {
      const unsigned v = (static_cast<unsigned char>(in[idx]) << 16) | (static_cast<unsigned char>(in[idx + 1]) << 8);
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += kAlphabet[(v >> 6) & 63];
      out += '=';
    }
    return out;
  }

  const std::string account_sid_, auth_token_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> types_;              // GUARDED_BY(mu_)
  std::optional<std::pair<int, std::string>> fail_next_;  // GUARDED_BY(mu_)
  std::vector<std::string> asked_;                        // GUARDED_BY(mu_)
  std::vector<HttpRequestData> requests_;                 // GUARDED_BY(mu_)
};

}  // namespace recall::channels::testing
