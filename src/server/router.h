#pragma once
// The route table: one list of routes that both dispatches requests and
// generates the OpenAPI document, so the two cannot drift apart.
//
// A route is a method, a path template ("/v1/practices/{practice}/patients"),
// how the caller is authenticated (Access), the users::Permission it needs and
// where the practice comes from (Scope), and its handler. The Server's gate
// (server.cc) authenticates, authorises against the practice in the path,
// audits PHI access, and only then calls the handler.
//
// Path matching works on the raw (undecoded) path: every segment must be
// [A-Za-z0-9._~-]+ and neither "." nor ".." (so "%2e%2e", "%2f" and empty
// segments never reach a handler); literal segments win over variables.
//
// Thread-safety: build the table once, then Find and OpenApi are const.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/engine.h"
#include "server/http.h"
#include "users/users.h"

namespace recall::server {

enum class Access {
  kPublic,   // no credentials (health, OpenAPI, login, unsubscribe and consent links)
  kBearer,   // Authorization: Bearer <session or API token> + Authorize
  kWebhook,  // a provider's own authentication, checked by the handler (secret path, signature)
};

enum class Scope {
  kPractice,      // the practice is the {practice} path variable
  kInstallation,  // installation-wide: Authorize(principal, "", permission), admins only
  kOwnPractices,  // any authenticated principal; the handler shows only practices
                  // where the principal holds the permission
};

struct RequestContext {
  const HttpRequest& http;
  std::map<std::string, std::string> vars;   // path variables
  const users::Principal* principal = nullptr;  // kBearer routes
  engine::Engine* engine = nullptr;  // acting as the principal (or the route's public actor)
  std::string practice_id;           // kPractice routes
};

using RouteHandler = std::function<HttpResponse(RequestContext&)>;

struct Route {
  std::string method;  // "GET" | "POST" | "PUT" | "DELETE"
  std::string path;    // template; variables in braces
  Access access = Access::kBearer;
  std::optional<users::Permission> permission;  // kBearer: nullopt = any authenticated principal
  Scope scope = Scope::kPractice;
  std::string summary;
  // Request body: "" (none), "application/json", "text/csv",
  // "application/x-www-form-urlencoded", "form-or-json" or "*" (any, ignored).
  // Anything else is 415.
  std::string body_type;
  bool phi = false;         // lists, shows or reveals PHI: every call is audited
  bool idempotent = false;  // a POST that creates or sends: honours Idempotency-Key
  std::string public_actor = "system:http";  // the actor of kPublic / kWebhook calls
  RouteHandler handler;
  // The body arrives as HttpRequest::body_stream, bounded by
  // ServerOptions::max_import_bytes instead of max_body_bytes (the CSV import).
  bool streams_body = false;
};

class Router {
 public:
  void Add(Route route);
  const std::vector<Route>& routes() const { return routes_; }

  struct Match {
    const Route* route = nullptr;  // null: see bad_path / path_known
    std::map<std::string, std::string> vars;
    bool bad_path = false;    // a segment that no route may see (traversal, escapes)
    bool path_known = false;  // the path matches a route of another method (405)
  };
  Match Find(const std::string& method, const std::string& raw_path) const;

  // The OpenAPI 3.0 document of every route (x-permission, x-access per
  // operation; x-role-permissions: the users::RolePermissions table).
  nlohmann::json OpenApi() const;

 private:
  std::vector<Route> routes_;
};

// True for a path segment a route may see: [A-Za-z0-9._~-]+, not "." or "..".
bool IsSafeSegment(const std::string& segment);

}  // namespace recall::server
