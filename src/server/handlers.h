#pragma once
// Internal to src/server/: response helpers shared by the route files, and
// the functions that add each family of routes to the table.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/server.h"

namespace recall::server::internal {

struct Deps {
  engine::Engine& engine;  // the server's engine (actor "system:http"); requests use views of it
  ScannerSource scanner;
  const ServerOptions& options;
  Metrics* metrics = nullptr;  // the server's; outlives the routes
};

HttpResponse JsonResponse(int status, const nlohmann::json& body);
// {"error":{"code":..., "message":...}}; the message never quotes input.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message = "");
// A domain Status as an HTTP error: InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, AlreadyExists / FailedPrecondition 409,
// ResourceExhausted 429, Unavailable 503, DataLoss / Internal 500 (message hidden).
HttpResponse StatusResponse(const Status& status);
int HttpStatusFor(StatusCode code);
// A streamed body that did not arrive whole (BodyStream / BodyPipe status):
// 413 over the limit, else 400.
HttpResponse BodyReadError(const Status& status);

// The request's JSON object body. InvalidArgument for invalid UTF-8, malformed
// JSON, or a value that is not an object (messages never quote the body).
StatusOr<nlohmann::json> JsonBody(const HttpRequest& request);
// A string field of `body`; "" when absent; InvalidArgument when not a string.
StatusOr<std::string> StringField(const nlohmann::json& body, const char* key, bool required = false);

// Cursor pagination over rows already sorted by `id_key`: ?after=<id>&limit=N (1..500, default 100).
nlohmann::json Paginate(const std::vector<nlohmann::json>& rows, const std::string& id_key, const HttpRequest& request);
int PageLimit(const HttpRequest& request);

void AddApiRoutes(Router& router, const Deps& deps);      // api_routes.cc
void AddWebhookRoutes(Router& router, const Deps& deps);  // webhook_routes.cc
void AddHandoffRoutes(Router& router, const Deps& deps);  // handoff_routes.cc

}  // namespace recall::server::internal
