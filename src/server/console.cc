#include "server/console.h"

#include <fstream>
#include <sstream>

namespace recall::server {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view ConsoleContentType(std::string_view path) {
  if (EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(path, ".js") || EndsWith(path, ".mjs")) return "text/javascript; charset=utf-8";
  if (EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(path, ".svg")) return "image/svg+xml";
  if (EndsWith(path, ".png")) return "image/png";
  if (EndsWith(path, ".ico")) return "image/x-icon";
  if (EndsWith(path, ".json")) return "application/json";
  if (EndsWith(path, ".txt")) return "text/plain; charset=utf-8";
  return "";
}

StatusOr<std::string> ReadConsoleFile(const std::string& dir, const std::string& path) {
  if (ConsoleContentType(path).empty()) return NotFoundError("no console file " + path);
  if (!dir.empty()) {
    std::ifstream in(dir + "/" + path, std::ios::binary);
    if (!in) return NotFoundError("no console file " + path);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  for (const EmbeddedFile& f : EmbeddedConsoleFiles()) {
    if (f.path == path) return std::string(f.bytes);
  }
  return NotFoundError("no console file " + path);
}

}  // namespace recall::server
