#pragma once
// The HTTP transport behind `recall serve`: a small request/response interface
// over cpp-httplib (Debian's libcpp-httplib-dev). Only http.cc includes
// <httplib.h>, so the rest of the server (and the build) never sees it.
//
// The transport owns the listening socket and a fixed pool of connection
// threads. Every request, whatever its method and path, goes to the one
// HttpHandler (the Router decides); the transport itself answers only what it
// refuses before a handler could: 413 for a body over max_body_bytes (over
// max_stream_body_bytes for a streaming route, see BodyStream), 414 for an
// over-long URI, 400 for a malformed request line or headers, and closes
// connections that send nothing for read_timeout (slowloris). Bodies of those
// answers are fixed JSON and never echo the request.
//
// Thread-safety: the handler is called concurrently from the pool's threads.
// Stop() may be called from any thread (not from a signal handler); Serve()
// then returns after in-flight requests finish.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace recall::server {

// A request body read as it arrives, for the routes that declare a streaming
// body (HttpServerOptions::streams_body; the CSV import). The transport
// bounds it by max_stream_body_bytes instead of max_body_bytes and accepts
// Content-Length and chunked transfer encoding alike. Whatever a handler
// leaves unread is read and discarded after it answers (so the connection
// stays in step).
//
// Thread-safety: Read may be called from another thread than the handler's,
// as long as the handler waits for it (one reader at a time).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Calls `chunk` with each piece of the body in order until the body ends
  // (OK) or `chunk` returns false (Cancelled: OK, finished() stays false).
  // ResourceExhausted above the limit; InvalidArgument for a body that breaks
  // off or a malformed chunked encoding. Call at most once.
  virtual Status Read(const std::function<bool(std::string_view)>& chunk) = 0;
  // True once the whole body was read.
  virtual bool finished() const = 0;
  // Bytes read so far.
  virtual size_t bytes() const = 0;
};

struct HttpRequest {
  std::string method;      // "GET", "POST", ...
  std::string path;        // percent-decoded, without the query
  std::string raw_target;  // the request target as sent
  std::string query;       // the raw query string, without '?'
  std::multimap<std::string, std::string> params;           // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;               // empty when body_stream is set
  BodyStream* body_stream = nullptr;  // streaming routes only; owned by the transport
  std::string remote_addr;
  bool tls = false;
  // When the request had been read (headers and body, before any handling):
  // the "arrival" of latency figures such as the opt-out commit time.
  std::chrono::steady_clock::time_point received{};

  // The first value of header `lower_name`, "" when absent.
  std::string Header(std::string_view lower_name) const;
  // The first value of query parameter `name`, "" when absent.
  std::string Param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free port, see HttpServer::port()
  std::string tls_cert, tls_key;  // both set: HTTPS (TLS 1.2+), else plain HTTP
  size_t max_body_bytes = 8 << 20;
  // Requests for which streams_body(method, raw path) is true get their body
  // as an HttpRequest::body_stream, bounded by max_stream_body_bytes (decided
  // before any of the body is read). Unset: no request streams.
  std::function<bool(const std::string& method, const std::string& raw_path)> streams_body;
  size_t max_stream_body_bytes = size_t{1} << 30;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  int threads = 16;
};

class HttpServer {
 public:
  // Binds the socket (so port() is known before Serve). InvalidArgument for an
  // unusable TLS certificate or key; Unavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options, HttpHandler handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // Accepts connections until Stop(). Internal when the accept loop fails.
  virtual Status Serve() = 0;
  virtual void Stop() = 0;
};

}  // namespace recall::server
