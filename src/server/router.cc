#include "server/router.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace recall::server {

namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  if (path == "/") return out;  // the root: no segments
  size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool IsVar(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Literal segments matched (more is better); -1 when the template does not match.
int MatchTemplate(const std::vector<std::string>& tmpl, const std::vector<std::string>& segments,
                  std::map<std::string, std::string>* vars) {
  if (tmpl.size() != segments.size()) return -1;
  int literals = 0;
  for (size_t idx = 0; idx < tmpl.size(); ++idx) {
    if (IsVar(tmpl[idx])) {
      (*vars)[tmpl[idx].substr(1, tmpl[idx].size() - 2)] = segments[idx];
    } else if (tmpl[idx] == segments[idx]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsSafeSegment(const std::string& segment) {
  if (segment.empty() || segment == "." || segment == ".." || segment.size() > 512) return false;
  for (unsigned char c : segment) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-')) return false;
  }
  return true;
}

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

Router::Match Router::Find(const std::string& method, const std::string& raw_path) const {
  Match match;
  if (raw_path.empty() || raw_path.front() != '/') {
    match.bad_path = true;
    return match;
  }
  std::vector<std::string> segments = Split(raw_path);
  for (const auto& segment : segments) {
    if (!IsSafeSegment(segment)) {
      match.bad_path = true;
      return match;
    }
  }
  int best = -1;
  const std::string want = method == "HEAD" ? "GET" : method;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> vars;
    int score = MatchTemplate(Split(route.path), segments, &vars);
    if (score < 0) continue;
    if (route.method != want) {
      match.path_known = true;
      continue;
    }
    if (score > best) {
      best = score;
      match.route = &route;
      match.vars = std::move(vars);
    }
  }
  return match;
}

nlohmann::json Router::OpenApi() const {
  using nlohmann::json;
  json paths = json::object();
  for (const Route& route : routes_) {
    json op = {{"summary", route.summary}, {"operationId", Lower(route.method) + route.path}};
    json params = json::array();
    for (const auto& segment : Split(route.path)) {
      if (!IsVar(segment)) continue;
      params.push_back({{"name", segment.substr(1, segment.size() - 2)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._~-]+$"}}}});
    }
    if (route.idempotent) {
      params.push_back({{"name", "Idempotency-Key"},
                        {"in", "header"},
                        {"required", false},
                        {"description", "replays the first response for the same key and body"},
                        {"schema", {{"type", "string"}, {"maxLength", 128}}}});
    }
    if (route.method == "GET" && route.summary.rfind("list", 0) == 0) {
      params.push_back({{"name", "after"}, {"in", "query"}, {"schema", {{"type", "string"}}}});
      params.push_back({{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"maximum", 500}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!route.body_type.empty()) {
      json content = json::object();
      if (route.body_type == "*") {
        content["*/*"] = {{"schema", {{"type", "string"}}}};
      } else if (route.body_type == "form-or-json") {
        content["application/x-www-form-urlencoded"] = {{"schema", {{"type", "object"}}}};
        content["application/json"] = {{"schema", {{"type", "object"}}}};
      } else {
        content[route.body_type] = {{"schema", {{"type", route.body_type == "application/json" ? "object" : "string"}}}};
      }
      op["requestBody"] = {{"required", true}, {"content", content}};
    }
    json responses = {{"200", {{"description", "OK"}}}, {"400", {{"description", "invalid input"}}}};
    switch (route.access) {
      case Access::kPublic: op["x-access"] = "public"; op["security"] = json::array(); break;
      case Access::kWebhook:
        op["x-access"] = "webhook";
        op["security"] = json::array();
        responses["403"] = {{"description", "the provider's authentication failed"}};
        break;
      case Access::kBearer:
        op["x-access"] = "bearer";
        op["security"] = json::array({{{"bearer", json::array()}}});
        responses["401"] = {{"description", "no valid bearer token"}};
        responses["403"] = {{"description", "the permission is not granted for this practice"}};
        break;
    }
    if (route.access == Access::kBearer) {
      op["x-permission"] = route.permission ? std::string(users::PermissionName(*route.permission)) : "authenticated";
      op["x-scope"] = route.scope == Scope::kPractice       ? "practice"
                      : route.scope == Scope::kInstallation ? "installation"
                                                            : "own-practices";
    }
    if (route.phi) op["x-phi"] = true;
    op["responses"] = responses;
    paths[route.path][Lower(route.method)] = op;
  }
  json roles = json::object();
  for (const auto& [role, permissions] : users::RolePermissions()) {
    json list = json::array();
    for (auto p : permissions) list.push_back(std::string(users::PermissionName(p)));
    roles[std::string(users::RoleName(role))] = list;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "Recall API"}, {"version", "1"}, {"x-role-permissions", roles}}},
          {"components", {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"paths", paths}};
}

}  // namespace recall::server
