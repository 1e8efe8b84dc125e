#include "cli/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace recall::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted: return 1;
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 3;
  }
  return 3;
}

namespace {
// Test-only (docs/cli.md): RECALL_TEST_CLOCK=<RFC 3339 instant> makes the
// engine's clock start at that instant and advance with real time, so that
// end-to-end tests do not depend on the wall clock. Unset: the system clock.
StatusOr<Clock*> TestClockOrNull() {
  static std::unique_ptr<OffsetClock> clock;  // outlives the engine
  const char* text = std::getenv("RECALL_TEST_CLOCK");
  if (text == nullptr || *text == '\0') return static_cast<Clock*>(nullptr);
  if (!clock) {
    auto start = ParseRfc3339(text);
    if (!start.ok()) return InvalidArgumentError("RECALL_TEST_CLOCK: " + start.status().message());
    clock = std::make_unique<OffsetClock>(*start);
  }
  return static_cast<Clock*>(clock.get());
}
}  // namespace

StatusOr<engine::Engine*> Context::Engine() {
  if (!engine_) {
    ASSIGN_OR_RETURN(Clock* clock, TestClockOrNull());
    ASSIGN_OR_RETURN(engine_, engine::Engine::Open({data_dir, "", actor_, clock, nullptr}));
  }
  return engine_.get();
}

void Context::Emit(const nlohmann::json& out) {
  std::cout << (json ? out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                     : out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
            << "\n";
}

void Context::Finish(const Status& status) {
  if (status.ok()) return;
  // One line; messages carry ids, field names and line numbers, never PHI.
  std::string msg = status.message();
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "recall: error: " << msg << "\n";
  exit_code_ = ExitCodeFor(status);
}

namespace {
std::string DefaultActor() {
  if (const char* a = std::getenv("RECALL_ACTOR"); a != nullptr && *a != '\0') return std::string("cli:") + a;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(::geteuid());
}
}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Recall: HIPAA-compliant patient outreach engine"};
  app.require_subcommand(1);
  Context ctx;
  const char* env_data = std::getenv("RECALL_DATA");
  ctx.data_dir = env_data != nullptr && *env_data != '\0' ? env_data : "./recall-data";
  ctx.set_actor(DefaultActor());
  app.add_option("--data", ctx.data_dir, "data directory (default $RECALL_DATA, else ./recall-data)");
  app.add_flag("--json", ctx.json, "machine-readable JSON on stdout");

  RegisterInitCommand(app, ctx);
  RegisterPracticeCommands(app, ctx);
  RegisterPatientCommands(app, ctx);
  RegisterAuditCommands(app, ctx);
  RegisterSynthCommands(app, ctx);
  RegisterConsentCommands(app, ctx);
  RegisterCampaignCommands(app, ctx);
  RegisterVendorCommands(app, ctx);
  RegisterUserCommands(app, ctx);
  RegisterLookupCommands(app, ctx);  // after RegisterPatientCommands: adds to `patient`
  RegisterDispatchCommands(app, ctx);  // after campaign, consent and practice: adds to them
  RegisterServeCommands(app, ctx);
  RegisterLifecycleCommands(app, ctx);
  RegisterIncidentCommands(app, ctx);
  RegisterHandoffCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    // Third-party code (CLI11, JSON) throws; it stops here.
    std::cerr << "recall: internal error: " << e.what() << "\n";
    return 3;
  }
  return ctx.exit_code();
}

}  // namespace recall::cli
