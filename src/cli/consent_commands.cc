#include "cli/cli.h"

namespace recall::cli {

void RegisterConsentCommands(CLI::App& app, Context& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace recall::cli
