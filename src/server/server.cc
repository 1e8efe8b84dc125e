#include "server/server.h"

#include <arpa/inet.h>

#include <algorithm>
#include <mutex>

#include "common/text.h"
#include "crypto/crypto.h"
#include "store/idempotency_store.h"
#include "incidents/incidents.h"
#include "common/random.h"
#include "server/body_stream.h"
#include "server/console.h"
#include "server/handlers.h"
#include "server/http.h"
#include "server/metrics.h"
#include "users/users.h"

namespace recall::server {

using nlohmann::json;

// --- helpers (handlers.h) ----------------------------------------------------

namespace internal {

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return res;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  json err = {{"code", code}};
  if (!message.empty()) err["message"] = message;
  return JsonResponse(status, {{"error", err}});
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse StatusResponse(const Status& status) {
  const int http = HttpStatusFor(status.code());
  std::string code;
  switch (status.code()) {
    case StatusCode::kInvalidArgument: code = "invalid_argument"; break;
    case StatusCode::kUnauthenticated: code = "unauthenticated"; break;
    case StatusCode::kPermissionDenied: code = "permission_denied"; break;
    case StatusCode::kNotFound: code = "not_found"; break;
    case StatusCode::kAlreadyExists: code = "already_exists"; break;
    case StatusCode::kFailedPrecondition: code = "failed_precondition"; break;
    case StatusCode::kResourceExhausted: code = "resource_exhausted"; break;
    case StatusCode::kUnavailable: code = "unavailable"; break;
    default: code = "internal"; break;
  }
  // Domain messages carry ids, field names and line numbers only (docs/errors.md);
  // internal ones may name files, so they stay in the server.
  if (http >= 500 && http != 503) return ErrorResponse(http, code);
  std::string message = status.message();
  for (char& c : message) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return ErrorResponse(http, code, message);
}

HttpResponse BodyReadError(const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted) return ErrorResponse(413, "payload_too_large");
  return ErrorResponse(400, "bad_request", "the request body did not arrive whole");
}

StatusOr<json> JsonBody(const HttpRequest& request) {
  if (!IsValidUtf8(request.body)) return InvalidArgumentError("the body is not valid UTF-8");
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return InvalidArgumentError("the body is not valid JSON");
  if (!body.is_object()) return InvalidArgumentError("the body must be a JSON object");
  return body;
}

StatusOr<std::string> StringField(const json& body, const char* key, bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return InvalidArgumentError(std::string("missing field ") + key);
    return std::string();
  }
  if (!it->is_string()) return InvalidArgumentError(std::string("field ") + key + " must be a string");
  return it->get<std::string>();
}

int PageLimit(const HttpRequest& request) {
  const std::string text = request.Param("limit");
  if (text.empty() || text.size() > 4) return 100;
  int limit = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 100;
    limit = limit * 10 + (c - '0');
  }
  return std::clamp(limit, 1, 500);
}

json Paginate(const std::vector<json>& rows, const std::string& id_key, const HttpRequest& request) {
  const std::string after = request.Param("after");
  const int limit = PageLimit(request);
  json items = json::array();
  std::string next;
  for (const json& row : rows) {
    const std::string id = row.value(id_key, "");
    if (!after.empty() && id <= after) continue;
    if (static_cast<int>(items.size()) == limit) {
      next = items.back().value(id_key, "");
      break;
    }
    items.push_back(row);
  }
  return {{"items", items}, {"next", next.empty() ? json(nullptr) : json(next)}};
}

}  // namespace internal

using internal::ErrorResponse;
using internal::JsonResponse;
using internal::StatusResponse;

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr addr{};
  if (::inet_pton(AF_INET, host.c_str(), &addr) == 1) return (ntohl(addr.s_addr) >> 24) == 127;
  return false;
}

// --- Idempotency-Key ---------------------------------------------------------

namespace {

// A pending record older than this belongs to a request that died with its
// server: the next retry runs again.
constexpr std::chrono::minutes kIdempotencyLease{10};
constexpr std::chrono::minutes kIdempotencySweepEvery{10};

std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  return AsciiLower(TrimAscii(type));
}

bool HasControlBytes(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

// --- the server --------------------------------------------------------------

struct Server::Impl {
  Impl(engine::Engine& e, ScannerSource s, ServerOptions o)
      : engine(e), options(std::move(o)), deps{engine, std::move(s), options, &metrics} {}

  engine::Engine& engine;
  ServerOptions options;
  internal::Deps deps;
  Router router;
  Metrics metrics;
  std::mutex sweep_mu;
  TimePoint last_sweep{};  // GUARDED_BY(sweep_mu)
  std::unique_ptr<HttpServer> http;

  HttpResponse Gate(const HttpRequest& req, std::string* label);
  HttpResponse RunBearer(const Route& route, RequestContext& ctx);
  HttpResponse RunIdempotent(const Route& route, RequestContext& ctx, const std::string& key);
  void MaybeSweepIdempotency(TimePoint now);
  StatusOr<std::string> SealResponse(const store::IdempotencyRecord& record, const std::string& body);
  StatusOr<std::string> OpenResponse(const store::IdempotencyRecord& record);
};

HttpResponse Server::Impl::Gate(const HttpRequest& req, std::string* label) {
  static const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  if (std::none_of(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return req.method == m; })) {
    return ErrorResponse(405, "method_not_allowed");
  }
  for (const auto& [name, value] : req.headers) {
    if (HasControlBytes(name) || HasControlBytes(value)) return ErrorResponse(400, "bad_header");
  }
  std::string raw_path = req.raw_target.substr(0, req.raw_target.find('?'));
  if (raw_path == "/console/") raw_path = "/console/index.html";  // the console's entry (console.h)
  if (raw_path.size() > 2048) return ErrorResponse(414, "uri_too_long");
  Router::Match match = router.Find(req.method, raw_path);
  if (match.bad_path) return ErrorResponse(400, "bad_path");
  if (match.route == nullptr) {
    return match.path_known ? ErrorResponse(405, "method_not_allowed") : ErrorResponse(404, "not_found");
  }
  const Route& route = *match.route;
  *label = route.path;

  // The body's type.
  // A streamed body's size is unknown here: its headers say whether there is one.
  const std::string length = req.Header("content-length");
  const bool streamed_body =
      req.body_stream != nullptr && (!req.Header("transfer-encoding").empty() || (!length.empty() && length != "0"));
  if (streamed_body || !req.body.empty() || !req.Header("content-type").empty()) {
    const std::string type = MediaType(req.Header("content-type"));
    bool ok = false;
    if (route.body_type.empty()) {
      ok = req.body.empty();
    } else if (route.body_type == "*") {
      ok = true;
    } else if (route.body_type == "form-or-json") {
      ok = type == "application/json" || type == "application/x-www-form-urlencoded";
    } else {
      ok = type == route.body_type;
    }
    if (!ok) return ErrorResponse(415, "unsupported_media_type");
    if ((type == "application/json" || type == "application/x-www-form-urlencoded") && !IsValidUtf8(req.body)) {
      return ErrorResponse(400, "invalid_utf8");
    }
  }

  RequestContext ctx{req, std::move(match.vars), nullptr, nullptr, ""};
  try {
    if (route.access == Access::kBearer) return RunBearer(route, ctx);
    auto view = engine.WithActor(route.public_actor);
    ctx.engine = view.get();
    return route.handler(ctx);
  } catch (const nlohmann::json::exception&) {
    return ErrorResponse(400, "invalid_field");
  } catch (const std::exception&) {
    return ErrorResponse(500, "internal");
  }
}

HttpResponse Server::Impl::RunBearer(const Route& route, RequestContext& ctx) {
  const HttpRequest& req = ctx.http;
  HttpResponse unauthenticated = ErrorResponse(401, "unauthenticated", "a valid bearer token is required");
  unauthenticated.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"recall\"");
  const std::string authorization = req.Header("authorization");
  if (authorization.size() < 8 || AsciiLower(authorization.substr(0, 7)) != "bearer ") return unauthenticated;
  const std::string token(TrimAscii(std::string_view(authorization).substr(7)));
  if (token.empty() || token.size() > 512) return unauthenticated;
  auto principal = users::Authenticate(engine, token);
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) return unauthenticated;
    return StatusResponse(principal.status());
  }
  ctx.principal = &*principal;
  if (route.scope == Scope::kPractice) ctx.practice_id = ctx.vars["practice"];
  auto view = engine.WithActor(principal->actor());
  ctx.engine = view.get();
  if (route.permission && route.scope != Scope::kOwnPractices) {
    Status allowed = users::Authorize(*principal, ctx.practice_id, *route.permission);
    if (!allowed.ok()) {
      if (route.phi) {
        // A refused PHI access is itself worth the record (ids and the route template only).
        (void)engine.store().audit().Append(view->Event(
            "api.access_denied", "", "", {{"route", route.path}, {"method", route.method},
                                          {"permission", std::string(users::PermissionName(*route.permission))}}));
      }
      return ErrorResponse(403, "permission_denied", allowed.message());
    }
  }
  if (route.phi) {
    auto appended = engine.store().audit().Append(
        view->Event("api.phi_access", ctx.practice_id, "", {{"route", route.path}, {"method", route.method}}));
    if (!appended.ok()) return StatusResponse(appended.status());  // no PHI without its audit record
  }

  const std::string key = req.Header("idempotency-key");
  if (!route.idempotent || key.empty()) return route.handler(ctx);
  if (key.size() > 128 || HasControlBytes(key)) return ErrorResponse(400, "bad_idempotency_key");
  return RunIdempotent(route, ctx, key);
}

void Server::Impl::MaybeSweepIdempotency(TimePoint now) {
  {
    std::lock_guard<std::mutex> lock(sweep_mu);
    if (now - last_sweep < kIdempotencySweepEvery && now >= last_sweep) return;
    last_sweep = now;
  }
  // Best effort: a failed sweep is retried at the next interval.
  (void)engine.store().idempotency().Sweep(now, kIdempotencyLease, engine.Event("idempotency.sweep"));
}

StatusOr<std::string> Server::Impl::SealResponse(const store::IdempotencyRecord& record, const std::string& body) {
  if (record.practice_id.empty()) {
    return engine.master_keys().SealInstallationSecret("idempotency", record.record_id, body, engine.random());
  }
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(record.practice_id));
  return keys->EncryptField(body, "idempotency|" + record.record_id, engine.random());
}

StatusOr<std::string> Server::Impl::OpenResponse(const store::IdempotencyRecord& record) {
  if (record.practice_id.empty()) {
    return engine.master_keys().OpenInstallationSecret("idempotency", record.record_id, record.response_sealed);
  }
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(record.practice_id));
  return keys->DecryptField(record.response_sealed, "idempotency|" + record.record_id);
}

// The record's scope is (principal, practice, method + path as sent, key),
// hashed: the key is the client's and the path may name a patient. A
// buffered body's hash is known before the handler runs; a streamed one's
// only after it has been read (so a replay reads the retry's body first).
HttpResponse Server::Impl::RunIdempotent(const Route& route, RequestContext& ctx, const std::string& key) {
  const HttpRequest& req = ctx.http;
  store::IdempotencyStore& records = engine.store().idempotency();
  const TimePoint now = engine.clock().Now();
  MaybeSweepIdempotency(now);

  store::IdempotencyRecord record;
  auto id = engine.random().NewId("idk_");
  if (!id.ok()) return StatusResponse(id.status());
  record.record_id = *id;
  record.practice_id = ctx.practice_id;
  record.principal = ctx.principal->user_id;
  record.route = route.method + " " + route.path;
  const std::string raw_path = req.raw_target.substr(0, req.raw_target.find('?'));
  record.scope_hash = HexEncode(crypto::Sha256(record.principal + "\n" + record.practice_id + "\n" + route.method +
                                               " " + raw_path + "\n" + key));
  if (req.body_stream == nullptr) record.body_hash = HexEncode(crypto::Sha256(req.body));
  record.expires_at = now + options.idempotency_ttl;

  store::IdempotencyRecord existing;
  auto begun = records.Begin(record, now, kIdempotencyLease, &existing);
  if (!begun.ok()) return StatusResponse(begun.status());
  if (*begun == store::IdempotencyBegin::kInFlight) {
    return ErrorResponse(409, "idempotency_key_in_flight", "the first request with this key is still running");
  }
  if (*begun == store::IdempotencyBegin::kDone) {
    std::string body_hash = record.body_hash;
    if (req.body_stream != nullptr) {
      internal::HashingBodyStream hashed(*req.body_stream);
      Status read = hashed.ReadRest();
      if (!read.ok()) return internal::BodyReadError(read);
      body_hash = hashed.HexDigest();
    }
    if (body_hash != existing.body_hash) {
      return ErrorResponse(422, "idempotency_key_reused", "the key was used with another body");
    }
    auto body = OpenResponse(existing);
    if (!body.ok()) return StatusResponse(body.status());
    HttpResponse replay;
    replay.status = existing.status;
    replay.content_type = existing.content_type;
    replay.body = std::move(body).value();
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    return replay;
  }

  HttpResponse res;
  std::string body_hash = record.body_hash;
  try {
    if (req.body_stream != nullptr) {
      internal::HashingBodyStream hashed(*req.body_stream);
      HttpRequest hashed_request = req;
      hashed_request.body_stream = &hashed;
      RequestContext inner{hashed_request, ctx.vars, ctx.principal, ctx.engine, ctx.practice_id};
      res = route.handler(inner);
      // A handler that stopped early (a malformed CSV) still answered for the whole body.
      body_hash = hashed.ReadRest().ok() ? hashed.HexDigest() : "";
    } else {
      res = route.handler(ctx);
    }
  } catch (...) {
    (void)records.Abandon(record.practice_id, record.record_id);
    throw;
  }
  // A 5xx is no answer: the client may retry. So is a body we could not hash.
  if (res.status >= 500 || body_hash.empty()) {
    (void)records.Abandon(record.practice_id, record.record_id);
    return res;
  }
  auto sealed = SealResponse(record, res.body);
  Status kept = sealed.ok() ? records.Complete(record.practice_id, record.record_id, body_hash, res.status,
                                               res.content_type, *sealed)
                            : sealed.status();
  // The answer stands even when it could not be kept; a retry then runs again.
  if (!kept.ok()) (void)records.Abandon(record.practice_id, record.record_id);
  return res;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

StatusOr<std::unique_ptr<Server>> Server::Create(engine::Engine& engine, ScannerSource scanner,
                                                 const ServerOptions& options) {
  const bool tls = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls && (options.tls_cert.empty() || options.tls_key.empty())) {
    return InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!tls && !options.allow_plain_non_loopback && !IsLoopbackHost(options.host)) {
    return InvalidArgumentError("plain HTTP is served on loopback addresses only; give --tls-cert and --tls-key");
  }
  if (options.port < 0 || options.port > 65535) return InvalidArgumentError("port out of range");
  auto impl = std::make_unique<Impl>(engine, std::move(scanner), options);
  Impl* raw = impl.get();

  // System routes.
  raw->router.Add({"GET", "/healthz", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "liveness: the process is up", "", false, false, "system:http",
                   [](RequestContext&) { return JsonResponse(200, {{"status", "ok"}}); }});
  raw->router.Add({"GET", "/readyz", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "readiness: the store answers", "", false, false, "system:http", [raw](RequestContext&) {
                     auto due = raw->engine.store().outbox().CountDue(raw->engine.clock().Now());
                     if (!due.ok()) return ErrorResponse(503, "store_unavailable");
                     return JsonResponse(200, {{"status", "ready"}});
                   }});
  raw->router.Add({"GET", "/metrics", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "Prometheus metrics: request counts, latencies, outbox due (no ids, no PHI)", "", false, false,
                   "system:http", [raw](RequestContext&) {
                     auto due = raw->engine.store().outbox().CountDue(raw->engine.clock().Now());
                     auto incidents = incidents::CountOpen(raw->engine);
                     Metrics::Gauges gauges;
                     gauges.outbox_due = due.ok() ? *due : -1;
                     gauges.incidents_open = incidents.ok() ? incidents->open : -1;
                     gauges.incidents_overdue = incidents.ok() ? incidents->overdue : -1;
                     HttpResponse res;
                     res.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     res.body = raw->metrics.Render(gauges);
                     return res;
                   }});
  raw->router.Add({"GET", "/v1/openapi.json", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "this document", "", false, false, "system:http",
                   [raw](RequestContext&) { return JsonResponse(200, raw->router.OpenApi()); }});
  // The web console's static files (console.h): "/" and "/console" lead to
  // "/console/", whose trailing empty segment Gate maps to index.html.
  auto redirect = [](RequestContext&) {
    HttpResponse res;
    res.status = 302;
    res.content_type = "text/plain; charset=utf-8";
    res.body = "/console/\n";
    res.headers.emplace_back("Location", "/console/");
    return res;
  };
  raw->router.Add({"GET", "/", Access::kPublic, std::nullopt, Scope::kInstallation, "the web console (redirect)", "",
                   false, false, "system:http", redirect});
  raw->router.Add({"GET", "/console", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "the web console (redirect)", "", false, false, "system:http", redirect});
  auto asset = [raw](RequestContext& ctx) {
    std::string path = ctx.vars["asset"];
    if (ctx.vars.count("dir")) path = ctx.vars["dir"] + "/" + path;
    auto bytes = ReadConsoleFile(raw->options.console_dir, path);
    if (!bytes.ok()) return ErrorResponse(404, "not_found", "no such console file");
    HttpResponse res;
    res.content_type = std::string(ConsoleContentType(path));
    res.body = std::move(bytes).value();
    res.headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
    return res;
  };
  raw->router.Add({"GET", "/console/{asset}", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "a web console file (index.html for /console/)", "", false, false, "system:http", asset});
  raw->router.Add({"GET", "/console/{dir}/{asset}", Access::kPublic, std::nullopt, Scope::kInstallation,
                   "a web console file in a folder", "", false, false, "system:http", asset});
  internal::AddApiRoutes(raw->router, raw->deps);
  internal::AddWebhookRoutes(raw->router, raw->deps);
  internal::AddHandoffRoutes(raw->router, raw->deps);

  HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.tls_cert = options.tls_cert;
  http.tls_key = options.tls_key;
  http.max_body_bytes = options.max_body_bytes;
  http.max_stream_body_bytes = options.max_import_bytes;
  http.streams_body = [raw](const std::string& method, const std::string& raw_path) {
    const Router::Match match = raw->router.Find(method, raw_path);
    return match.route != nullptr && match.route->streams_body;
  };
  http.read_timeout = options.read_timeout;
  http.threads = options.threads;
  auto server = std::unique_ptr<Server>(new Server(std::move(impl)));
  Server* self = server.get();
  ASSIGN_OR_RETURN(raw->http, HttpServer::Create(http, [self](const HttpRequest& req) { return self->Handle(req); }));
  return server;
}

HttpResponse Server::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string label = "unmatched";
  HttpResponse res = impl_->Gate(request, &label);
  res.headers.emplace_back("Cache-Control", "no-store");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("X-Frame-Options", "DENY");
  // The console's files carry their own (console.h); everything else may load nothing.
  if (std::none_of(res.headers.begin(), res.headers.end(),
                   [](const auto& h) { return h.first == "Content-Security-Policy"; })) {
    res.headers.emplace_back("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  }
  if (request.tls) res.headers.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  impl_->metrics.Observe(label, request.method, res.status, std::chrono::steady_clock::now() - start);
  return res;
}

int Server::port() const { return impl_->http->port(); }

std::string Server::url() const {
  const bool tls = !impl_->options.tls_cert.empty();
  std::string host = impl_->options.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port());
}

Status Server::Serve() { return impl_->http->Serve(); }

void Server::Stop() {
  if (impl_ && impl_->http) impl_->http->Stop();
}

const Router& Server::router() const { return impl_->router; }

}  // namespace recall::server
