#pragma once
// The web console's static files (web/console/, docs/console.md), served by
// the engine itself so that no page references another origin.
//
// The files are embedded into the binary at build time
// (cmake/embed_console.cmake); `recall serve --console-dir DIR` serves DIR
// instead, for developing the console without rebuilding. Routes (all GET,
// public: the files hold no data, every datum comes from the authenticated
// API): "/" redirects to "/console/", "/console/" is index.html, and
// "/console/<file>" and "/console/<dir>/<file>" are the assets.
//
// Every console response carries kConsoleCsp: scripts, styles, images, audio
// and API calls from this origin only; no inline script or style; no framing.
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace recall::server {

inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct EmbeddedFile {
  std::string_view path;   // relative to web/console/, "/"-separated
  std::string_view bytes;
};

// The files embedded at build time (generated source), sorted by path.
const std::vector<EmbeddedFile>& EmbeddedConsoleFiles();

// "text/html; charset=utf-8" for .html, and so on; "" for a type the console
// does not serve (such a file answers 404).
std::string_view ConsoleContentType(std::string_view path);

// One console file: from `dir` when it is not empty (a path already checked
// by the router: safe segments only), else the embedded copy. NotFound.
StatusOr<std::string> ReadConsoleFile(const std::string& dir, const std::string& path);

}  // namespace recall::server
