#include "cli/cli.h"

namespace recall::cli {

void RegisterCampaignCommands(CLI::App& app, Context& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace recall::cli
