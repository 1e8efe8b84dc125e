// patient lookup-line-types: fills in unknown phone line types with the
// carrier lookup configured in channels.json.
#include <filesystem>

#include "channels/config.h"
#include "channels/lookup/line_types.h"
#include "cli/cli.h"

namespace recall::cli {

namespace {

// The `patient` command family (core_commands.cc); created here when absent so
// registration order cannot break the CLI.
CLI::App* PatientCommand(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "patient"; });
  if (!found.empty()) return found.front();
  auto* patient = app.add_subcommand("patient", "patient contacts (masked unless revealed)");
  patient->require_subcommand(1);
  return patient;
}

}  // namespace

void RegisterLookupCommands(CLI::App& app, Context& ctx) {
  struct Args {
    std::string practice, channels;
    int limit = 100;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = PatientCommand(app)->add_subcommand(
      "lookup-line-types",
      "look up the line type (mobile, landline) of phones still 'unknown' with the configured carrier lookup");
  cmd->add_option("--practice", a->practice, "practice id")->required();
  cmd->add_option("--limit", a->limit, "at most this many lookups (default 100; each may be billed)");
  cmd->add_option("--channels", a->channels, "channel configuration (default <data>/channels.json)");
  cmd->callback(Command(ctx, [&ctx, a]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    const std::string path =
        a->channels.empty() ? (std::filesystem::path(ctx.data_dir) / "channels.json").string() : a->channels;
    ASSIGN_OR_RETURN(auto registry, channels::LoadChannelConfig(path, engine->clock()));
    auto lookup = registry->LookupFor(a->practice);
    if (!lookup.ok()) {
      return FailedPreconditionError("no carrier lookup (channel \"lookup\") is configured for practice " +
                                     a->practice + " in the channel configuration");
    }
    ASSIGN_OR_RETURN(auto report, channels::RefreshLineTypes(*engine, **lookup, a->practice, a->limit));
    ctx.Emit({{"looked_up", report.looked_up},
              {"mobile", report.mobile},
              {"landline", report.landline},
              {"unknown", report.unknown}});
    return OkStatus();
  }));
}

}  // namespace recall::cli
