// `recall` commands: campaign purge, practice offboard, certificate verify, keys rotate (docs/cli.md).
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/cli.h"

#include "lifecycle/certificate.h"
#include "lifecycle/keys.h"
#include "lifecycle/purge.h"

namespace recall::cli {

// --- certificate verify, keys rotate (issue 8 items 2 and 4) ---------------------------

namespace {

void RegisterCertificateCommands(CLI::App& app, Context& ctx) {
  auto* certificate = app.add_subcommand("certificate", "deletion certificates");
  certificate->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* verify = certificate->add_subcommand(
      "verify", "check a deletion certificate's signature, signing key and audit record; exit 1 when not ok");
  verify->add_option("FILE", *file, "the certificate (deletion-certificate.json)")->required();
  verify->callback([&ctx, file] {
    std::ifstream in(*file, std::ios::binary);
    if (!in) return ctx.Finish(InvalidArgumentError("cannot open the certificate file"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return ctx.Finish(InvalidArgumentError("cannot read the certificate file"));
    auto engine = ctx.Engine();
    if (!engine.ok()) return ctx.Finish(engine.status());
    auto result = lifecycle::Verify(**engine, text);
    if (!result.ok()) return ctx.Finish(result.status());
    nlohmann::json out = {{"ok", result->ok},
                          {"signature_valid", result->signature_valid},
                          {"key_known", result->key_known},
                          {"audit_record_found", result->audit_record_found},
                          {"reason", result->reason}};
    if (ctx.json) {
      ctx.Emit(out);
    } else if (result->ok) {
      std::cout << "certificate ok: signature valid, signing key known, audit record found\n";
    } else {
      std::cout << "certificate NOT ok: " << result->reason << "\n";
    }
    if (!result->ok) ctx.FinishWithExit(1);
  });
}

void RegisterKeysCommands(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "key management");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "new master key version; re-wrap every data key and re-seal installation secrets under it; retire "
                "versions nothing uses (safe while `recall serve` runs; audited)");
  rotate->callback(Command(ctx, [&ctx]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto result, lifecycle::RotateMasterKey(*engine));
    ctx.Emit({{"old_version", result.old_version},
              {"new_version", result.new_version},
              {"keys_rewrapped", result.keys_rewrapped},
              {"secrets_resealed", result.secrets_resealed},
              {"versions_retired", result.versions_retired}});
    return OkStatus();
  }));
}

}  // namespace

// --- end of certificate verify, keys rotate ------------------------------------------

// --- campaign purge, practice offboard (issue 8 item 1) ----------------------------------

namespace {

nlohmann::json PurgeJson(const lifecycle::PurgeResult& r) {
  nlohmann::json out = {{"practice_id", r.practice_id},
                        {"scope", r.scope},
                        {"counts", r.counts},
                        {"crypto_shredded", r.crypto_shredded},
                        {"destroyed_key_ids", r.destroyed_key_ids},
                        {"master_key_version", r.master_key_version},
                        {"master_versions_retired", r.master_versions_retired},
                        {"reencrypted_fields", r.reencrypted_fields},
                        {"compacted", r.compacted},
                        {"certificate_id", r.certificate_id},
                        {"certificate_json", r.certificate_json},
                        {"certificate_pdf", r.certificate_pdf},
                        {"audit_seq", r.audit_seq},
                        {"audit_hash", r.audit_hash}};
  if (r.scope == lifecycle::kScopeCampaign) {
    out["campaign_id"] = r.campaign_id;
    out["recipients"] = r.recipients;
    out["retained"] = r.retained;
  }
  return out;
}

void RegisterPurgeCommands(CLI::App& app, Context& ctx) {
  struct PurgeArgs {
    std::string practice, campaign, out;
  };
  auto pa = std::make_shared<PurgeArgs>();
  auto* purge = app.get_subcommand("campaign")->add_subcommand(
      "purge", "delete the PHI of the campaign's recipients no other active campaign needs, shred the old field "
               "key, compact; writes DIR/deletion-certificate.json and .pdf (audited)");
  purge->add_option("--campaign", pa->campaign, "campaign id")->required();
  purge->add_option("--practice", pa->practice, "practice id (default: the campaign's)");
  purge->add_option("--out", pa->out, "directory for the deletion certificate")->required();
  purge->callback(Command(ctx, [&ctx, pa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto result, lifecycle::PurgeCampaign(*engine, pa->practice, pa->campaign, pa->out));
    ctx.Emit(PurgeJson(result));
    return OkStatus();
  }));

  struct OffboardArgs {
    std::string practice, out;
  };
  auto oa = std::make_shared<OffboardArgs>();
  auto* offboard = app.get_subcommand("practice")->add_subcommand(
      "offboard", "delete every PHI row and file of the practice, destroy its data keys, revoke its users, "
                  "compact; writes DIR/deletion-certificate.json and .pdf (audited; irreversible)");
  offboard->add_option("--practice", oa->practice, "practice id")->required();
  offboard->add_option("--out", oa->out, "directory for the deletion certificate")->required();
  offboard->callback(Command(ctx, [&ctx, oa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto result, lifecycle::OffboardPractice(*engine, oa->practice, oa->out));
    ctx.Emit(PurgeJson(result));
    return OkStatus();
  }));
}

}  // namespace

// --- end of campaign purge, practice offboard ---------------------------------------------

void RegisterLifecycleCommands(CLI::App& app, Context& ctx) {
  RegisterPurgeCommands(app, ctx);
  RegisterCertificateCommands(app, ctx);
  RegisterKeysCommands(app, ctx);
}

}  // namespace recall::cli
