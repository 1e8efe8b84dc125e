// The one translation unit that includes cpp-httplib (see http.h).
#include "server/http.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

#include <httplib.h>

namespace recall::server {

std::string HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

std::string HttpRequest::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Fixed bodies for what the transport refuses itself: never the request's bytes.
std::string TransportErrorBody(int status) {
  const char* code = "bad_request";
  switch (status) {
    case 404: code = "not_found"; break;
    case 405: code = "method_not_allowed"; break;
    case 408: code = "request_timeout"; break;
    case 413: code = "payload_too_large"; break;
    case 414: code = "uri_too_long"; break;
    case 415: code = "unsupported_media_type"; break;
    case 416: code = "range_not_satisfiable"; break;
    case 500: code = "internal"; break;
    case 503: code = "unavailable"; break;
    default: break;
  }
  return std::string("{\"error\":{\"code\":\"") + code + "\"}}";
}

// The body of a streaming route, read through httplib's ContentReader.
class HttplibBodyStream final : public BodyStream {
 public:
  HttplibBodyStream(const httplib::ContentReader& reader, size_t limit) : reader_(reader), limit_(limit) {}

  Status Read(const std::function<bool(std::string_view)>& chunk) override {
    if (used_) return FailedPreconditionError("the body was read already");
    used_ = true;
    bool over = false, cancelled = false;
    const bool ok = reader_([&](const char* data, size_t size) {
      if (bytes_ + size > limit_) {
        over = true;
        return false;
      }
      bytes_ += size;
      if (!chunk(std::string_view(data, size))) {
        cancelled = true;
        return false;
      }
      return true;
    });
    if (over) return ResourceExhaustedError("the body is over the upload limit");
    if (cancelled) return OkStatus();
    if (!ok) return InvalidArgumentError("the body broke off or its chunked encoding is malformed");
    finished_ = true;
    return OkStatus();
  }
  bool finished() const override { return finished_; }
  size_t bytes() const override { return bytes_; }
  bool used() const { return used_; }

  // Reads and discards what a handler left unread (bounded by the limit), so
  // that the next request on the connection starts where it should.
  void Drain() {
    if (finished_) return;
    if (used_) return;  // a cancelled Read: part of a chunk is gone, the connection cannot be resynchronised
    (void)Read([](std::string_view) { return true; });
  }

 private:
  const httplib::ContentReader& reader_;
  const size_t limit_;
  size_t bytes_ = 0;
  bool used_ = false;
  bool finished_ = false;
};

void Dispatch(const HttpHandler& handler, const httplib::Request& req, httplib::Response& res,
              const std::string* body = nullptr, BodyStream* stream = nullptr) {
  HttpRequest in;
  in.received = std::chrono::steady_clock::now();
  in.method = req.method;
  in.path = req.path;
  in.raw_target = req.target;
  if (auto q = req.target.find('?'); q != std::string::npos) in.query = req.target.substr(q + 1);
  for (const auto& [k, v] : req.params) in.params.emplace(k, v);
  in.headers.reserve(req.headers.size());
  for (const auto& [k, v] : req.headers) in.headers.emplace_back(Lower(k), v);
  in.body = body != nullptr ? *body : req.body;
  in.body_stream = stream;
  in.remote_addr = req.remote_addr;
  in.tls = req.ssl != nullptr;
  HttpResponse out = handler(in);
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  res.set_content(out.body, out.content_type);
}

class HttplibServer final : public HttpServer {
 public:
  HttplibServer(std::unique_ptr<httplib::Server> server, int port) : server_(std::move(server)), port_(port) {}
  ~HttplibServer() override { Stop(); }

  int port() const override { return port_; }

  Status Serve() override {
    if (!server_->listen_after_bind()) return InternalError("the HTTP accept loop failed");
    return OkStatus();
  }

  void Stop() override {
    if (server_->is_running()) server_->stop();
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_;
};

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options, HttpHandler handler) {
  std::unique_ptr<httplib::Server> server;
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return InvalidArgumentError("TLS needs both a certificate and a key");
    }
    const std::string cert = options.tls_cert, key = options.tls_key;
    auto tls = std::make_unique<httplib::SSLServer>([cert, key](SSL_CTX& ctx) {
      // TLS 1.2 and later only; no renegotiation or compression.
      if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
      SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
      if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) return false;
      if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return false;
      return SSL_CTX_check_private_key(&ctx) == 1;
    });
    if (!tls->is_valid()) return InvalidArgumentError("the TLS certificate or key cannot be used");
    server = std::move(tls);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(2, options.threads);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // httplib's own bound is the larger one; each request's is enforced below
  // (the pre-routing check and the readers in BodyDispatch).
  server->set_payload_max_length(std::max(options.max_stream_body_bytes, options.max_body_bytes));
  server->set_read_timeout(options.read_timeout);
  server->set_write_timeout(options.write_timeout);
  server->set_keep_alive_timeout(5);
  server->set_keep_alive_max_count(100);
  server->set_tcp_nodelay(true);
  server->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // the router's own answer
        res.set_content(TransportErrorBody(res.status), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  // httplib answers an over-long Content-Length with 413 only after reading
  // (and discarding) the whole body; refuse it before reading anything, and
  // close the connection since the body is left unread.
  const size_t max_body = options.max_body_bytes;
  const size_t max_stream = std::max(options.max_stream_body_bytes, options.max_body_bytes);
  auto streams = std::make_shared<std::function<bool(const std::string&, const std::string&)>>(options.streams_body);
  auto limit_for = [streams, max_body, max_stream](const httplib::Request& req) {
    const std::string raw_path = req.target.substr(0, req.target.find('?'));
    return *streams && (*streams)(req.method, raw_path) ? max_stream : max_body;
  };
  server->set_pre_routing_handler([limit_for](const httplib::Request& req, httplib::Response& res) {
    const std::string length = req.get_header_value("Content-Length");
    if (length.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const size_t max_body = limit_for(req);
    int status = 0;
    if (length.find_first_not_of("0123456789") != std::string::npos) {
      status = 400;
    } else if (length.size() > 18 || std::stoull(length) > max_body) {
      status = 413;
    } else {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = status;
    res.set_header("Connection", "close");
    res.set_content(TransportErrorBody(status), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  server->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(TransportErrorBody(500), "application/json");
  });

  int port = options.port;
  if (port == 0) {
    port = server->bind_to_any_port(options.host);
    if (port <= 0) return UnavailableError("cannot bind " + options.host + " to a free port");
  } else if (!server->bind_to_port(options.host, port)) {
    return UnavailableError("cannot bind " + options.host + ":" + std::to_string(port));
  }
  // One catch-all per method: routing is the Router's (one table for the API
  // and the OpenAPI document).
  auto shared = std::make_shared<HttpHandler>(std::move(handler));
  auto dispatch = [shared](const httplib::Request& req, httplib::Response& res) { Dispatch(*shared, req, res); };
  // Methods with a body read it through a ContentReader, so that a streaming
  // route gets it as it arrives and every other route within its own bound
  // (httplib would buffer any body up to its one payload limit).
  auto body_dispatch = [shared, streams, limit_for](const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    const std::string type = Lower(req.get_header_value("Content-Type"));
    if (type.rfind("multipart/form-data", 0) == 0) {  // no route takes one; read and drop it
      (void)reader([](const httplib::MultipartFormData&) { return true; },
                   [](const char*, size_t) { return true; });
      res.status = 415;
      res.set_content(TransportErrorBody(415), "application/json");
      return;
    }
    const std::string raw_path = req.target.substr(0, req.target.find('?'));
    if (*streams && (*streams)(req.method, raw_path)) {
      HttplibBodyStream stream(reader, limit_for(req));
      Dispatch(*shared, req, res, nullptr, &stream);
      if (!stream.finished() && stream.used()) res.set_header("Connection", "close");
      stream.Drain();
      return;
    }
    const size_t limit = limit_for(req);
    std::string body;
    bool over = false;
    const bool ok = reader([&](const char* data, size_t size) {
      if (body.size() + size > limit) {
        over = true;
        return false;
      }
      body.append(data, size);
      return true;
    });
    if (!ok) {
      res.status = over ? 413 : 400;
      res.set_header("Connection", "close");
      res.set_content(TransportErrorBody(res.status), "application/json");
      return;
    }
    Dispatch(*shared, req, res, &body);
  };
  const std::string any = ".*";
  server->Get(any, dispatch);
  server->Post(any, body_dispatch);
  server->Put(any, body_dispatch);
  server->Patch(any, body_dispatch);
  server->Delete(any, body_dispatch);
  server->Options(any, dispatch);
  return std::unique_ptr<HttpServer>(std::make_unique<HttplibServer>(std::move(server), port));
}

}  // namespace recall::server
