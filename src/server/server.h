#pragma once
// `recall serve`: the HTTP API, the provider webhooks and the patients' links,
// over one route table (router.h) and one gate.
//
// The gate, for every request: refuses a path no route may see (400), an
// unknown route (404/405), a header with control bytes (400), a body of the
// wrong content type (415); then by the route's Access: a bearer route
// authenticates `Authorization: Bearer <token>` (users::Authenticate; 401),
// takes the practice from the {practice} path variable and calls
// users::Authorize (403), audits PHI routes ("api.phi_access", ids only), and
// runs the handler on an Engine view whose actor is principal.actor() (so a
// campaign's author can never approve it); webhook routes check their
// provider's credential themselves (webhooks.cc). POSTs that create or send
// honour `Idempotency-Key`, persisted in the store (store/idempotency_store.h):
// the first response, sealed under the practice's field key, is replayed for
// the same key and body until idempotency_ttl, also after a restart; 422 for
// the same key with another body; 409 while the first is still running.
//
// Transport security: HTTPS (TLS 1.2+, HSTS) when a certificate and key are
// given; plain HTTP only on a loopback address unless allow_plain_non_loopback.
//
// Ownership and thread-safety: the Server borrows the Engine (which must
// outlive it); requests run concurrently on the transport's threads.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "scanner/scanner.h"
#include "server/router.h"

namespace recall::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: a free port (Server::port())
  std::string tls_cert, tls_key;    // both: HTTPS
  bool allow_plain_non_loopback = false;
  size_t max_body_bytes = 8 << 20;  // 413 above
  // The bound on a streaming route's body (the CSV import), 413 above.
  size_t max_import_bytes = size_t{512} << 20;
  // How long the first response to an Idempotency-Key is replayed.
  std::chrono::hours idempotency_ttl{24};
  std::chrono::seconds read_timeout{10};
  bool run_worker = true;           // the CLI runs dispatch::Worker beside the server
  // One thread per connection: more keep-alive clients than threads wait for
  // one to close (the 5 s keep-alive timeout), so keep it above the expected
  // fan-in (Kannel's smsbox, the provider's callback pool, consoles).
  int threads = 64;
  // Serve the web console from this folder instead of the embedded copy
  // (developing the console; console.h). "": embedded.
  std::string console_dir;

  // Webhook credentials (docs/server.md). Empty: that webhook answers 404.
  std::string kannel_secret;        // the path secret of /v1/webhooks/kannel/<secret>/...
  // Sources allowed to call the Kannel webhooks besides loopback (exact IPs).
  std::vector<std::string> kannel_allow_from;
  std::string twilio_auth_token;    // X-Twilio-Signature key
  std::string rvm_secret;           // the path secret of /v1/webhooks/rvm/<secret>/status
  // The externally visible base URL ("https://recall.example"), for the
  // Twilio signature; "": the request's scheme and Host header.
  std::string public_url;
};

// Lazily compiled clinical-content scanner (about a second to build).
using ScannerSource = std::function<StatusOr<const scanner::Scanner*>()>;

class Server {
 public:
  // Validates the options and binds. InvalidArgument for a plain-HTTP
  // non-loopback address without allow_plain_non_loopback, or half a TLS
  // pair; errors of HttpServer::Create otherwise.
  static StatusOr<std::unique_ptr<Server>> Create(engine::Engine& engine, ScannerSource scanner,
                                                  const ServerOptions& options);
  ~Server();

  int port() const;
  std::string url() const;  // e.g. "http://127.0.0.1:8080"
  // Serves until Stop(); in-flight requests finish first.
  Status Serve();
  void Stop();

  const Router& router() const;

  // Handles one request (the transport calls this; exposed for tests).
  HttpResponse Handle(const HttpRequest& request);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace recall::server
