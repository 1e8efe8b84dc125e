// vendor commands: the per-practice vendor / subprocessor registry.
#include "cli/cli.h"
#include "vendors/vendors.h"

namespace recall::cli {

using nlohmann::json;

void RegisterVendorCommands(CLI::App& app, Context& ctx) {
  auto* vendor = app.add_subcommand("vendor", "vendors and subprocessors that touch a practice's PHI");
  vendor->require_subcommand(1);

  auto in = std::make_shared<vendors::NewVendor>();
  auto* add = vendor->add_subcommand("add", "register a vendor for a practice");
  add->add_option("--practice", in->practice_id, "practice id")->required();
  add->add_option("--name", in->name, "vendor name")->required();
  add->add_option("--channel", in->channel, "email, sms, voice, rvm, portal or hosting")->required();
  add->add_option("--kind", in->kind, "channel_provider or subprocessor (default: subprocessor for hosting, "
                                      "channel_provider otherwise)");
  add->add_option("--baa-signed-on", in->baa_signed_on, "the vendor's BAA date, YYYY-MM-DD (with --baa-document)");
  add->add_option("--baa-document", in->baa_document_path, "the signed vendor BAA (its SHA-256 is recorded)");
  add->callback(Command(ctx, [&ctx, in]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto v, vendors::AddVendor(*engine, *in));
    ctx.Emit({{"vendor_id", v.vendor_id}});
    return OkStatus();
  }));

  auto* baa = vendor->add_subcommand("baa", "vendor Business Associate Agreements");
  baa->require_subcommand(1);
  auto b = std::make_shared<vendors::NewVendorBaa>();
  auto* record = baa->add_subcommand("record", "record a vendor's signed BAA");
  record->add_option("--practice", b->practice_id, "practice id")->required();
  record->add_option("--vendor", b->vendor_id, "vendor id")->required();
  record->add_option("--signed-on", b->signed_on, "YYYY-MM-DD")->required();
  record->add_option("--document", b->document_path, "the signed document (its SHA-256 is recorded)")->required();
  record->callback(Command(ctx, [&ctx, b]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto v, vendors::RecordVendorBaa(*engine, *b));
    ctx.Emit({{"vendor_id", v.vendor_id},
              {"practice_id", v.practice_id},
              {"baa_signed_on", v.baa_signed_on},
              {"document_sha256", v.baa_document_sha256}});
    return OkStatus();
  }));

  auto practice = std::make_shared<std::string>();
  auto* list = vendor->add_subcommand("list", "every vendor that touches the practice's PHI, with its BAA date");
  list->add_option("--practice", *practice, "practice id")->required();
  list->callback(Command(ctx, [&ctx, practice]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto rows, vendors::ListVendors(*engine, *practice));
    json out = json::array();
    for (const auto& v : rows) {
      out.push_back({{"vendor_id", v.vendor_id},
                     {"name", v.name},
                     {"channel", v.channel},
                     {"kind", v.kind},
                     {"baa_signed_on", v.baa_signed_on.empty() ? json(nullptr) : json(v.baa_signed_on)},
                     {"active", v.active}});
    }
    ctx.Emit({{"vendors", out}});
    return OkStatus();
  }));

  struct DeactivateArgs {
    std::string practice, vendor;
  };
  auto d = std::make_shared<DeactivateArgs>();
  auto* deactivate = vendor->add_subcommand("deactivate", "retire a vendor (it no longer satisfies the BAA gate)");
  deactivate->add_option("--practice", d->practice, "practice id")->required();
  deactivate->add_option("--vendor", d->vendor, "vendor id")->required();
  deactivate->callback(Command(ctx, [&ctx, d]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(vendors::DeactivateVendor(*engine, d->practice, d->vendor));
    ctx.Emit({{"vendor_id", d->vendor}, {"active", false}});
    return OkStatus();
  }));
}

}  // namespace recall::cli
