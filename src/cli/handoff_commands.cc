// `recall` commands: handoff list|show|assign|ack|reply|resolve|escalate|after-hours
// (docs/cli.md "Hand-offs", docs/handoffs.md).
#include <filesystem>

#include "channels/config.h"
#include "cli/cli.h"
#include "dispatch/channel_source.h"
#include "handoffs/handoffs.h"

namespace recall::cli {

namespace {

using nlohmann::json;


// The transports of --channels FILE, else <data>/channels.json.
StatusOr<std::unique_ptr<dispatch::RegistryChannelSource>> Channels(engine::Engine& engine, const std::string& file) {
  const std::string path =
      file.empty() ? (std::filesystem::path(engine.data_dir()) / "channels.json").string() : file;
  auto registry = channels::LoadChannelConfig(path, engine.clock());
  if (!registry.ok()) {
    if (registry.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError("no channel configuration at " + path + " (see docs/channels.md; --channels FILE)");
    }
    return registry.status();
  }
  return std::make_unique<dispatch::RegistryChannelSource>(std::move(registry).value());
}

struct ItemArgs {
  std::string practice, handoff;
};

void AddItemOptions(CLI::App* cmd, ItemArgs* a) {
  cmd->add_option("--practice", a->practice, "practice id")->required();
  cmd->add_option("--handoff", a->handoff, "hand-off id (hof_...)")->required();
}

}  // namespace

void RegisterHandoffCommands(CLI::App& app, Context& ctx) {
  auto* handoff = app.add_subcommand("handoff", "the human hand-off queue: urgent and unplaced inbound messages");
  handoff->require_subcommand(1);

  struct ListArgs {
    std::string practice, status, after;
    int limit = 100;
  };
  auto la = std::make_shared<ListArgs>();
  auto* list = handoff->add_subcommand("list", "the queue, urgent first then oldest (no message text)");
  list->add_option("--practice", la->practice, "practice id")->required();
  list->add_option("--status", la->status, "open, acknowledged or resolved (default: all)");
  list->add_option("--after", la->after, "cursor from the previous page");
  list->add_option("--limit", la->limit, "items per page (1..1000)")->check(CLI::Range(1, 1000));
  list->callback(Command(ctx, [&ctx, la]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto page, handoffs::List(*engine, la->practice, la->status, {la->after, la->limit}));
    json items = json::array();
    for (const auto& r : page.rows) items.push_back(handoffs::ItemJson(r));
    ctx.Emit({{"items", items}, {"next", page.next.empty() ? json(nullptr) : json(page.next)}});
    return OkStatus();
  }));

  auto sa = std::make_shared<ItemArgs>();
  auto* show = handoff->add_subcommand("show", "one hand-off with the patient's message and its history (audited)");
  AddItemOptions(show, sa.get());
  show->callback(Command(ctx, [&ctx, sa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto view, handoffs::Get(*engine, sa->practice, sa->handoff));
    json out = handoffs::ItemJson(view.row);
    out["text"] = view.text;
    out["events"] = handoffs::EventsJson(view.events);
    ctx.Emit(out);
    return OkStatus();
  }));

  struct AssignArgs {
    ItemArgs item;
    std::string to;
    bool unassign = false;
  };
  auto aa = std::make_shared<AssignArgs>();
  auto* assign = handoff->add_subcommand("assign", "assign a hand-off to a user of the practice");
  AddItemOptions(assign, &aa->item);
  auto* to = assign->add_option("--to", aa->to, "the user's login or id (usr_...)");
  auto* unassign = assign->add_flag("--unassign", aa->unassign, "clear the assignee");
  to->excludes(unassign);
  assign->callback(Command(ctx, [&ctx, aa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    if (aa->to.empty() && !aa->unassign) return InvalidArgumentError("assign needs --to or --unassign");
    std::string user_id;
    if (!aa->unassign) {
      if (aa->to.rfind("usr_", 0) == 0) {
        user_id = aa->to;
      } else {
        auto user = engine->store().users().GetByLogin(aa->to);
        if (!user.ok()) return NotFoundError("no such user in practice " + aa->item.practice);
        user_id = user->user_id;
      }
    }
    RETURN_IF_ERROR(handoffs::Assign(*engine, aa->item.practice, aa->item.handoff, user_id));
    ASSIGN_OR_RETURN(auto row, engine->store().handoffs().Get(aa->item.practice, aa->item.handoff));
    ctx.Emit(handoffs::ItemJson(row));
    return OkStatus();
  }));

  auto ka = std::make_shared<ItemArgs>();
  auto* ack = handoff->add_subcommand("ack", "acknowledge an open hand-off (stops its escalation timer)");
  AddItemOptions(ack, ka.get());
  ack->callback(Command(ctx, [&ctx, ka]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(handoffs::Acknowledge(*engine, ka->practice, ka->handoff));
    ASSIGN_OR_RETURN(auto row, engine->store().handoffs().Get(ka->practice, ka->handoff));
    ctx.Emit(handoffs::ItemJson(row));
    return OkStatus();
  }));

  auto ra = std::make_shared<ItemArgs>();
  auto* resolve = handoff->add_subcommand("resolve", "resolve a hand-off");
  AddItemOptions(resolve, ra.get());
  resolve->callback(Command(ctx, [&ctx, ra]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(handoffs::Resolve(*engine, ra->practice, ra->handoff));
    ASSIGN_OR_RETURN(auto row, engine->store().handoffs().Get(ra->practice, ra->handoff));
    ctx.Emit(handoffs::ItemJson(row));
    return OkStatus();
  }));

  struct ReplyArgs {
    ItemArgs item;
    std::string text, channels;
  };
  auto pa = std::make_shared<ReplyArgs>();
  auto* reply = handoff->add_subcommand("reply", "reply to the patient by SMS (scanned; never after an opt-out)");
  AddItemOptions(reply, &pa->item);
  reply->add_option("--text", pa->text, "the reply (literal text)")->required();
  reply->add_option("--channels", pa->channels, "channel configuration (default: <data>/channels.json)");
  reply->callback(Command(ctx, [&ctx, pa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    ASSIGN_OR_RETURN(auto source, Channels(*engine, pa->channels));
    ASSIGN_OR_RETURN(auto sent, handoffs::Reply(*engine, *scanner, *source, pa->item.practice, pa->item.handoff,
                                                pa->text));
    ASSIGN_OR_RETURN(auto row, engine->store().handoffs().Get(pa->item.practice, pa->item.handoff));
    json out = handoffs::ItemJson(row);
    out["message_id"] = sent.message_id;
    ctx.Emit(out);
    return OkStatus();
  }));

  auto channels_file = std::make_shared<std::string>();
  auto* escalate = handoff->add_subcommand(
      "escalate", "run the escalation sweep once (the worker runs it on every tick)");
  escalate->add_option("--channels", *channels_file, "channel configuration (default: <data>/channels.json)");
  escalate->callback(Command(ctx, [&ctx, channels_file]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto source, Channels(*engine, *channels_file));
    ASSIGN_OR_RETURN(auto stats, handoffs::EscalateOverdue(*engine, *source, engine->clock().Now()));
    ctx.Emit({{"due", stats.due}, {"sent", stats.sent}, {"unconfigured", stats.unconfigured}, {"failed", stats.failed}});
    return OkStatus();
  }));

  struct AfterHoursArgs {
    std::string practice, text;
    bool clear = false;
  };
  auto ha = std::make_shared<AfterHoursArgs>();
  auto* after_hours = handoff->add_subcommand(
      "after-hours", "set the practice's after-hours reply (literal, scanned; audited with its SHA-256)");
  after_hours->add_option("--practice", ha->practice, "practice id")->required();
  auto* text = after_hours->add_option("--text", ha->text, "e.g. \"If this is an emergency, call 911. ...\"");
  auto* clear = after_hours->add_flag("--clear", ha->clear, "remove the after-hours reply");
  text->excludes(clear);
  after_hours->callback(Command(ctx, [&ctx, ha]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    if (ha->text.empty() && !ha->clear) return InvalidArgumentError("after-hours needs --text or --clear");
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    ASSIGN_OR_RETURN(std::string sha, handoffs::SetAfterHoursReply(*engine, *scanner, ha->practice, ha->text));
    ctx.Emit({{"practice_id", ha->practice}, {"sha256", sha}});
    return OkStatus();
  }));
}

}  // namespace recall::cli
