#pragma once
// Test-only HTTP servers for the Twilio channel.
//
// TwilioStandIn implements the documented contract of a Twilio-compatible
// REST API (2010-04-01 Messages.json and Calls.json) on 127.0.0.1, port 0. It
// exists because the real cloud API cannot be reached from the build and test
// environment; it follows the public contract, not the provider's code:
//   * POST /2010-04-01/Accounts/{AccountSid}/Messages.json | Calls.json,
//     form-encoded, HTTP basic auth AccountSid:AuthToken;
//   * a wrong account in the path: 404 {"code": 20404, ...}; bad credentials:
//     401 {"code": 20003, ...};
//   * missing To: 400 code 21604; Messages without From/MessagingServiceSid:
//     21603; without Body: 21602; Calls without From: 21213; without Url/Twiml:
//     21205;
//   * a number registered with SetErrorForNumber: 400 with that code;
//   * FailNextWith(n): the next request gets HTTP n (500, 429, ...);
//   * otherwise 201 with {"sid": "SM<32 hex>" | "CA<32 hex>", "status":
//     "queued", ...}; then, when the request had a StatusCallback, it POSTs
//     one status callback there (MessageStatus=delivered, or
//     CallStatus=completed) signed with X-Twilio-Signature.
// WebhookRecorder stands in for Recall's webhook endpoint: it records method,
// path, query, headers and body of every request and answers 200.
//
// Both serve one connection at a time on one thread and close it after
// answering; accessors are thread-safe; destructors stop and join.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "channels/kannel/kannel_callbacks.h"
#include "channels/smtp/mime_builder.h"
#include "channels/twilio/twilio_callbacks.h"
#include "channels/twilio/twilio_signature.h"

namespace recall::channels::testing {

struct HttpRequestData {
  std::string method;
  std::string path;   // no query
  std::string query;  // raw, without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Reads one request (headers up to 64 KiB, a Content-Length body up to 1 MiB).
inline bool ReadHttpRequest(int fd, const std::atomic<bool>& stop, HttpRequestData* out) {
  std::string data;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  size_t head_end = std::string::npos;
  size_t want = 0;
  while (!stop && std::chrono::steady_clock::now() < deadline) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::string head = data.substr(0, head_end);
        size_t pos = head.find("\r\n");
        const std::string line = head.substr(0, pos);
        const size_t sp1 = line.find(' ');
        const size_t sp2 = line.rfind(' ');
        if (sp1 == std::string::npos || sp2 == sp1) return false;
        out->method = line.substr(0, sp1);
        const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const size_t q = target.find('?');
        out->path = target.substr(0, q);
        if (q != std::string::npos) out->query = target.substr(q + 1);
        while (pos != std::string::npos && pos < head.size()) {
          const size_t next = head.find("\r\n", pos + 2);
          const std::string header = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
          pos = next;
          const size_t colon = header.find(':');
          if (colon == std::string::npos) continue;
          std::string name = header.substr(0, colon);
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          size_t vstart = colon + 1;
          while (vstart < header.size() && header[vstart] == ' ') ++vstart;
          out->headers[name] = header.substr(vstart);
        }
        auto cl = out->headers.find("content-length");
        want = cl == out->headers.end() ? 0 : std::stoul(cl->second);
        if (want > (1u << 20)) return false;
      } else if (data.size() > 65536) {
        return false;
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + want) {
      out->body = data.substr(head_end + 4, want);
      return true;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  return false;
}

inline void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Binds 127.0.0.1:0 and listens; returns the fd (or -1) and sets *port.
inline int ListenOnLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A one-thread server loop shared by both servers below.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  virtual ~LoopbackServer() { Stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return port_ != 0; }
  int port() const { return port_; }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

 protected:
  void Start() {
    listen_fd_ = ListenOnLoopback(&port_);
    if (listen_fd_ >= 0) thread_ = std::thread([this] { Serve(); });
  }
  // Subclass destructors call Stop() first, so Handle() never runs on a
  // partly destroyed object.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
  }
  // Answers one request on `fd`; runs on the server thread.
  virtual void Handle(int fd, const HttpRequestData& request) = 0;

  std::atomic<bool> stop_{false};

 private:
  void Serve() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      HttpRequestData request;
      if (ReadHttpRequest(fd, stop_, &request)) {
        Handle(fd, request);
      } else {
        ::close(fd);
      }
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

inline std::string HttpResponse(int code, const std::string& body) {
  const char* reason = code == 200 ? "OK" : code == 201 ? "Created" : "Error";
  return "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

class WebhookRecorder final : public LoopbackServer {
 public:
  WebhookRecorder() { Start(); }
  ~WebhookRecorder() override { Stop(); }

  std::vector<HttpRequestData> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Blocks until `count` requests have arrived or `timeout` passes.
  bool WaitForCount(size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  void Handle(int fd, const HttpRequestData& request) override {
    WriteAll(fd, HttpResponse(200, ""));
    ::close(fd);
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<HttpRequestData> requests_;  // GUARDED_BY(mu_)
};

// POSTs a form body to an "http://127.0.0.1:PORT/..." URL; true on any answer.
inline bool PostFormToLoopback(const std::string& url, const std::string& body, const std::string& extra_headers) {
  constexpr std::string_view kPrefix = "http://127.0.0.1:";
  if (url.rfind(kPrefix, 0) != 0) return false;
  const size_t slash = url.find('/', kPrefix.size());
  const int port = std::stoi(url.substr(kPrefix.size(), slash - kPrefix.size()));
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return false;
  }
  WriteAll(fd, "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                   "\r\nContent-Type: application/x-www-form-urlencoded\r\n" + extra_headers +
                   "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  char buf[256];
  pollfd pfd{fd, POLLIN, 0};
  const bool answered = ::poll(&pfd, 1, 5000) > 0 && ::read(fd, buf, sizeof(buf)) > 0;
  ::close(fd);
  return answered;
}

class TwilioStandIn final : public LoopbackServer {
 public:
  struct Received {
    std::string resource;  // "Messages" or "Calls"
    HttpRequestData request;
    FormParams params;
    int answered = 0;  // the HTTP status it answered with
    std::string sid;   // "" unless answered 201
  };

  TwilioStandIn(std::string account_sid, std::string auth_token)
      : account_sid_(std::move(account_sid)), auth_token_(std::move(auth_token)) {
    Start();
  }
  ~TwilioStandIn() override { Stop(); }

  void SetErrorForNumber(const std::string& to, int twilio_code) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_[to] = twilio_code;
  }
  void FailNextWith(int http_status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = http_status;
  }
  std::vector<Received> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  // Status callbacks POSTed so far (whether or not the target answered).
  int callbacks_sent() const { return callbacks_sent_; }

  // The value of the first parameter named `key` ("" when absent).
  static std::string Param(const FormParams& params, const std::string& key) {
    for (const auto& [k, v] : params) {
      if (k == key) return v;
    }
    return "";
  }

 private:
  static std::string Error(int code, int status) {
    return "{\"code\": " + std::to_string(code) + ", \"message\": \"error " + std::to_string(code) +
           "\", \"more_info\": \"https://www.twilio.com/docs/errors/" + std::to_string(code) +
           "\", \"status\": " + std::to_string(status) + "}";
  }

  void Handle(int fd, const HttpRequestData& request) override {
    Received rec;
    rec.request = request;
    const std::string prefix = "/2010-04-01/Accounts/";
    std::string account;
    if (request.path.rfind(prefix, 0) == 0) {
      const size_t slash = request.path.find('/', prefix.size());
      account = request.path.substr(prefix.size(), slash - prefix.size());
      if (slash != std::string::npos) {
        const std::string rest = request.path.substr(slash);
        if (rest == "/Messages.json") rec.resource = "Messages";
        if (rest == "/Calls.json") rec.resource = "Calls";
      }
    }
    auto params = ParseTwilioForm(request.body);
    if (params.ok()) rec.params = *params;
    const auto auth = request.headers.find("authorization");
    const bool auth_ok =
        auth != request.headers.end() && auth->second == "Basic " + Base64Encode(account_sid_ + ":" + auth_token_);

    int fail_next = 0;
    int configured_error = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fail_next = fail_next_;
      fail_next_ = 0;
      auto it = errors_.find(Param(rec.params, "To"));
      if (it != errors_.end()) configured_error = it->second;
    }
    const bool messages = rec.resource == "Messages";
    std::string body;
    int status = 201;
    if (fail_next != 0) {
      status = fail_next;
      body = Error(fail_next == 429 ? 20429 : 20500, status);
    } else if (!auth_ok) {
      status = 401;
      body = Error(20003, status);
    } else if (request.method != "POST" || rec.resource.empty() || account != account_sid_) {
      status = 404;
      body = Error(20404, status);
    } else if (!params.ok()) {
      status = 400;
      body = Error(21600, status);
    } else if (Param(rec.params, "To").empty()) {
      status = 400;
      body = Error(21604, status);
    } else if (messages && Param(rec.params, "From").empty() && Param(rec.params, "MessagingServiceSid").empty()) {
      status = 400;
      body = Error(21603, status);
    } else if (messages && Param(rec.params, "Body").empty()) {
      status = 400;
      body = Error(21602, status);
    } else if (!messages && Param(rec.params, "From").empty()) {
      status = 400;
      body = Error(21213, status);
    } else if (!messages && Param(rec.params, "Url").empty() && Param(rec.params, "Twiml").empty()) {
      status = 400;
      body = Error(21205, status);
    } else if (configured_error != 0) {
      status = 400;
      body = Error(configured_error, status);
    } else {
      char hex[40];
      std::snprintf(hex, sizeof(hex), "%032x", ++next_sid_);
      rec.sid = (messages ? "SM" : "CA") + std::string(hex);
      body = "{\"sid\": \"" + rec.sid + "\", \"account_sid\": \"" + account_sid_ +
             "\", \"status\": \"queued\", \"api_version\": \"2010-04-01\", \"error_code\": null}";
    }
    rec.answered = status;
    const std::string callback = Param(rec.params, "StatusCallback");
    const std::string sid = rec.sid;
    // Record before answering: the client may read Requests() as soon as it has the answer.
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(std::move(rec));
    }
    WriteAll(fd, HttpResponse(status, body));
    ::close(fd);
    if (status != 201 || callback.empty()) return;
    FormParams cb = {{"AccountSid", account_sid_}, {"ApiVersion", "2010-04-01"}};
    if (messages) {
      cb.emplace_back("MessageSid", sid);
      cb.emplace_back("MessageStatus", "delivered");
    } else {
      cb.emplace_back("CallSid", sid);
      cb.emplace_back("CallStatus", "completed");
    }
    std::string form;
    for (const auto& [k, v] : cb) form += (form.empty() ? "" : "&") + UrlEncode(k) + "=" + UrlEncode(v);
    const std::string signature = TwilioSignature(auth_token_, callback, cb);
    PostFormToLoopback(callback, form, "X-Twilio-Signature: " + signature + "\r\n");
    ++callbacks_sent_;
  }

  const std::string account_sid_;
  const std::string auth_token_;
  mutable std::mutex mu_;
  std::map<std::string, int> errors_;  // GUARDED_BY(mu_)
  int fail_next_ = 0;                  // GUARDED_BY(mu_)
  std::vector<Received> received_;     // GUARDED_BY(mu_)
  unsigned next_sid_ = 0;              // server thread only
  std::atomic<int> callbacks_sent_{0};
};

}  // namespace recall::channels::testing
