#pragma once
// The `recall` command line. Contract (other tools rely on it; see docs/cli.md):
//   global --data DIR (default $RECALL_DATA, else ./recall-data) and --json
//   (machine output on stdout); errors as one line on stderr;
//   exit 0 ok, 1 refused or invalid input, 2 usage, 3 internal or I/O failure.
//
// Each command family lives in its own file (practice_commands.cc, ...) and
// registers itself on the app through a Register*Commands function; commands
// report their outcome through Context::Finish, so every command gets the same
// error formatting and exit codes.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "engine/engine.h"
#include "scanner/scanner.h"

namespace recall::cli {

class Context {
 public:
  std::string data_dir;
  bool json = false;

  // Opens the engine on first use. Errors as Engine::Open.
  StatusOr<engine::Engine*> Engine();
  const std::string& actor() const { return actor_; }
  void set_actor(std::string actor) { actor_ = std::move(actor); }

  // Prints `out` (compact with --json, indented otherwise) and records success.
  void Emit(const nlohmann::json& out);
  // Records the command's outcome; a non-OK status is printed once, on stderr.
  void Finish(const Status& status);
  // Like Finish, but the command itself decides the exit code (e.g. audit verify).
  void FinishWithExit(int code) { exit_code_ = code; }

  int exit_code() const { return exit_code_; }

 private:
  std::string actor_;
  std::unique_ptr<engine::Engine> engine_;
  int exit_code_ = 0;
};

// One clinical-content scanner per process (campaign_commands.cc): Create()
// compiles the vocabulary, about a second with the system medical dictionary.
StatusOr<const scanner::Scanner*> SharedScanner();

// Maps a status code to the CLI's exit code (0, 1 or 3).
int ExitCodeFor(const Status& status);

// Runs `fn` and finishes the context with its status: the common body of every command.
inline std::function<void()> Command(Context& ctx, std::function<Status()> fn) {
  return [&ctx, fn = std::move(fn)] { ctx.Finish(fn()); };
}

void RegisterInitCommand(CLI::App& app, Context& ctx);
void RegisterPracticeCommands(CLI::App& app, Context& ctx);
void RegisterPatientCommands(CLI::App& app, Context& ctx);
void RegisterAuditCommands(CLI::App& app, Context& ctx);
void RegisterSynthCommands(CLI::App& app, Context& ctx);
void RegisterConsentCommands(CLI::App& app, Context& ctx);   // consent_commands.cc: consent, classify, inbound
void RegisterCampaignCommands(CLI::App& app, Context& ctx);  // campaign_commands.cc: lint, template, campaign
void RegisterVendorCommands(CLI::App& app, Context& ctx);    // vendor_commands.cc: vendor
void RegisterUserCommands(CLI::App& app, Context& ctx);      // user_commands.cc: user
void RegisterLookupCommands(CLI::App& app, Context& ctx);
// dispatch_commands.cc: campaign start|pause|resume|report|call-list, worker,
// delivery, consent confirm, practice settings (after the families it extends).
void RegisterDispatchCommands(CLI::App& app, Context& ctx);    // lookup_commands.cc: patient lookup-line-types
void RegisterServeCommands(CLI::App& app, Context& ctx);       // serve_commands.cc: serve (HTTP API + worker)
// After campaign and practice: adds to them.
void RegisterLifecycleCommands(CLI::App& app, Context& ctx);   // lifecycle_commands.cc: campaign purge, practice offboard, certificate, keys
void RegisterIncidentCommands(CLI::App& app, Context& ctx);    // incident_commands.cc: incident
void RegisterHandoffCommands(CLI::App& app, Context& ctx);     // handoff_commands.cc: handoff

// Entry point for apps/main.cc.
int Run(int argc, char** argv);

}  // namespace recall::cli
