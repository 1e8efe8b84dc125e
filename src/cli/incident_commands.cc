// `recall` commands: incident open|update|close|list|show (docs/cli.md,
// docs/incidents.md).
#include "cli/cli.h"
#include "incidents/incidents.h"

namespace recall::cli {

using nlohmann::json;

namespace {

// --practice and --affected come in pairs, in order.
StatusOr<std::vector<incidents::AffectedPractice>> Pairs(const std::vector<std::string>& practices,
                                                         const std::vector<int64_t>& affected) {
  if (practices.size() != affected.size()) {
    return InvalidArgumentError("give one --affected N after each --practice ID");
  }
  std::vector<incidents::AffectedPractice> out;
  for (size_t idx = 0; idx < practices.size(); ++idx) out.push_back({practices[idx], affected[idx]});
  return out;
}

StatusOr<std::optional<TimePoint>> OptionalTime(const std::string& text, std::string_view option) {
  if (text.empty()) return std::optional<TimePoint>();
  auto t = ParseRfc3339(text);
  if (!t.ok()) return InvalidArgumentError(std::string(option) + " must be YYYY-MM-DDTHH:MM:SSZ");
  return std::optional<TimePoint>(*t);
}

}  // namespace

void RegisterIncidentCommands(CLI::App& app, Context& ctx) {
  auto* incident = app.add_subcommand("incident", "security incidents: deadlines and notifications (no PHI)");
  incident->require_subcommand(1);

  struct OpenArgs {
    std::string description, discovered_at, severity = "medium";
    std::vector<std::string> practices;
    std::vector<int64_t> affected;
  };
  auto o = std::make_shared<OpenArgs>();
  auto* open = incident->add_subcommand("open", "open an incident (audited)");
  open->add_option("--description", o->description, "what happened, without PHI")->required();
  open->add_option("--discovered-at", o->discovered_at, "when it was discovered, RFC 3339 UTC (default: now)");
  open->add_option("--severity", o->severity, "low, medium (default), high or critical");
  open->add_option("--practice", o->practices, "an affected practice id (repeatable, each with --affected)");
  open->add_option("--affected", o->affected, "individuals affected in the preceding --practice (0: unknown)");
  open->callback(Command(ctx, [&ctx, o]() -> Status {
    incidents::NewIncident in;
    in.description = o->description;
    in.severity = o->severity;
    ASSIGN_OR_RETURN(in.discovered_at, OptionalTime(o->discovered_at, "--discovered-at"));
    ASSIGN_OR_RETURN(in.practices, Pairs(o->practices, o->affected));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto incident, incidents::Open(*engine, in));
    ctx.Emit(incidents::ToJson(incident, engine->clock().Now(), false));
    return OkStatus();
  }));

  struct UpdateArgs {
    std::string incident, description, severity, notified, recipient, channel, notified_at;
    std::vector<std::string> practices;
    std::vector<int64_t> affected;
  };
  auto u = std::make_shared<UpdateArgs>();
  auto* update = incident->add_subcommand("update", "change an open incident, add practices, record a notification");
  update->add_option("--incident", u->incident, "incident id")->required();
  update->add_option("--description", u->description, "new description, without PHI");
  update->add_option("--severity", u->severity, "low, medium, high or critical");
  update->add_option("--practice", u->practices, "add an affected practice or set its count (with --affected)");
  update->add_option("--affected", u->affected, "individuals affected in the preceding --practice");
  update->add_option("--notified", u->notified, "record that this practice was notified");
  update->add_option("--recipient", u->recipient, "who was notified: a role, e.g. 'privacy officer' (with --notified)");
  update->add_option("--channel", u->channel, "email, phone, letter, portal, in_person or other (with --notified)");
  update->add_option("--notified-at", u->notified_at, "when, RFC 3339 UTC (default: now)");
  update->callback(Command(ctx, [&ctx, u]() -> Status {
    incidents::UpdateRequest request;
    if (!u->description.empty()) request.edit.description = u->description;
    if (!u->severity.empty()) request.edit.severity = u->severity;
    ASSIGN_OR_RETURN(request.practices, Pairs(u->practices, u->affected));
    if (!u->notified.empty()) {
      incidents::Notification n;
      n.practice_id = u->notified;
      n.recipient = u->recipient;
      n.channel = u->channel;
      ASSIGN_OR_RETURN(n.notified_at, OptionalTime(u->notified_at, "--notified-at"));
      request.notification = n;
    } else if (!u->recipient.empty() || !u->channel.empty() || !u->notified_at.empty()) {
      return InvalidArgumentError("--recipient, --channel and --notified-at go with --notified PRACTICE");
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto incident, incidents::ApplyUpdate(*engine, u->incident, request));
    ctx.Emit(incidents::ToJson(incident, engine->clock().Now(), false));
    return OkStatus();
  }));

  struct CloseArgs {
    std::string incident, resolution;
  };
  auto c = std::make_shared<CloseArgs>();
  auto* close = incident->add_subcommand("close", "close an incident with its resolution (audited)");
  close->add_option("--incident", c->incident, "incident id")->required();
  close->add_option("--resolution", c->resolution, "how it was resolved, without PHI")->required();
  close->callback(Command(ctx, [&ctx, c]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto incident, incidents::Close(*engine, c->incident, c->resolution));
    ctx.Emit(incidents::ToJson(incident, engine->clock().Now(), false));
    return OkStatus();
  }));

  auto l = std::make_shared<incidents::ListOptions>();
  auto* list = incident->add_subcommand("list", "incidents, newest first, with deadlines and overdue flags");
  list->add_flag("--open", l->open_only, "only open incidents");
  list->add_flag("--overdue", l->overdue_only, "only open incidents with a practice past its deadline, not notified");
  list->callback(Command(ctx, [&ctx, l]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto rows, incidents::List(*engine, *l));
    const TimePoint now = engine->clock().Now();
    json out = json::array();
    int64_t overdue = 0;
    for (const auto& incident : rows) {
      if (incidents::IsOverdue(incident, now)) ++overdue;
      out.push_back(incidents::ToJson(incident, now, false));
    }
    ctx.Emit({{"incidents", out}, {"overdue", overdue}});
    return OkStatus();
  }));

  auto s = std::make_shared<std::string>();
  auto* show = incident->add_subcommand("show", "one incident with its notifications and update history");
  show->add_option("--incident", *s, "incident id")->required();
  show->callback(Command(ctx, [&ctx, s]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto incident, incidents::Get(*engine, *s));
    ctx.Emit(incidents::ToJson(incident, engine->clock().Now(), true));
    return OkStatus();
  }));
}

}  // namespace recall::cli
