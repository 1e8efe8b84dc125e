// /v1 routes of the human hand-off queue (docs/handoffs.md): the inbox the
// web console works (urgent first, assign, acknowledge, reply through the
// scanner and the gate's always-on checks, resolve). Every route needs
// users::Permission::kHandoffWork on the practice in the path, except the
// after-hours reply (kPracticeAdmin). Reading an item reveals its text: that
// route is a PHI route (audited by the gate) and Get audits "handoff.view".
#include <filesystem>

#include "channels/config.h"
#include "dispatch/channel_source.h"
#include "handoffs/handoffs.h"
#include "server/handlers.h"

namespace recall::server::internal {

namespace {

using nlohmann::json;
using users::Permission;

Route HandoffRoute(std::string method, std::string path, Permission permission, std::string summary, bool phi,
                   bool idempotent, RouteHandler handler) {
  Route r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.access = Access::kBearer;
  r.permission = permission;
  r.scope = Scope::kPractice;
  r.summary = std::move(summary);
  if (r.method == "POST" || r.method == "PUT") r.body_type = "application/json";
  r.phi = phi;
  r.idempotent = idempotent;
  r.handler = std::move(handler);
  return r;
}


// The current item, as every change answers.
HttpResponse ItemResponse(RequestContext& ctx) {
  auto row = ctx.engine->store().handoffs().Get(ctx.practice_id, ctx.vars["handoff"]);
  if (!row.ok()) return StatusResponse(row.status());
  return JsonResponse(200, handoffs::ItemJson(*row));
}

}  // namespace

void AddHandoffRoutes(Router& router, const Deps& deps) {
  const std::string base = "/v1/practices/{practice}/handoffs";
  const std::string item = base + "/{handoff}";

  router.Add(HandoffRoute(
      "GET", base, Permission::kHandoffWork,
      "the hand-off queue, urgent first then oldest (?status=open|acknowledged|resolved, cursor pagination); no text",
      false, false, [](RequestContext& ctx) {
        store::PageRequest page;
        page.after = ctx.http.Param("after");
        page.limit = PageLimit(ctx.http);
        auto out = handoffs::List(*ctx.engine, ctx.practice_id, ctx.http.Param("status"), page);
        if (!out.ok()) return StatusResponse(out.status());
        json items = json::array();
        for (const auto& r : out->rows) items.push_back(handoffs::ItemJson(r));
        return JsonResponse(200, {{"items", items}, {"next", out->next.empty() ? json(nullptr) : json(out->next)}});
      }));

  router.Add(HandoffRoute("GET", item, Permission::kHandoffWork,
                          "one hand-off with the patient's message text and its history (audited)", true, false,
                          [](RequestContext& ctx) {
                            auto view = handoffs::Get(*ctx.engine, ctx.practice_id, ctx.vars["handoff"]);
                            if (!view.ok()) return StatusResponse(view.status());
                            json out = handoffs::ItemJson(view->row);
                            out["text"] = view->text;
                            out["events"] = handoffs::EventsJson(view->events);
                            return JsonResponse(200, out);
                          }));

  router.Add(HandoffRoute(
      "POST", item + "/assign", Permission::kHandoffWork,
      "assign to a user of the practice ({\"assignee\": \"usr_...\"}; absent: the caller; null: unassign)", false,
      false, [](RequestContext& ctx) {
        std::string assignee = ctx.principal->user_id;
        if (!ctx.http.body.empty()) {
          auto body = JsonBody(ctx.http);
          if (!body.ok()) return ErrorResponse(400, "bad_request", body.status().message());
          if (body->contains("assignee")) {
            const json& v = (*body)["assignee"];
            if (v.is_null()) {
              assignee.clear();
            } else if (v.is_string()) {
              assignee = v.get<std::string>();
            } else {
              return ErrorResponse(400, "bad_request", "assignee takes a user id or null");
            }
          }
        }
        Status s = handoffs::Assign(*ctx.engine, ctx.practice_id, ctx.vars["handoff"], assignee);
        if (!s.ok()) return StatusResponse(s);
        return ItemResponse(ctx);
      }));

  router.Add(HandoffRoute("POST", item + "/acknowledge", Permission::kHandoffWork,
                          "acknowledge an open hand-off (stops its escalation timer)", false, false,
                          [](RequestContext& ctx) {
                            Status s = handoffs::Acknowledge(*ctx.engine, ctx.practice_id, ctx.vars["handoff"]);
                            if (!s.ok()) return StatusResponse(s);
                            return ItemResponse(ctx);
                          }));

  router.Add(HandoffRoute("POST", item + "/resolve", Permission::kHandoffWork, "resolve a hand-off", false, false,
                          [](RequestContext& ctx) {
                            Status s = handoffs::Resolve(*ctx.engine, ctx.practice_id, ctx.vars["handoff"]);
                            if (!s.ok()) return StatusResponse(s);
                            return ItemResponse(ctx);
                          }));

  router.Add(HandoffRoute(
      "POST", item + "/reply", Permission::kHandoffWork,
      "reply to the patient by SMS ({\"text\": ...}): scanned, never to an opted-out patient, vendor BAA required; "
      "honours Idempotency-Key",
      true, true, [&deps](RequestContext& ctx) {
        auto body = JsonBody(ctx.http);
        if (!body.ok()) return ErrorResponse(400, "bad_request", body.status().message());
        auto text = StringField(*body, "text", true);
        if (!text.ok()) return ErrorResponse(400, "bad_request", text.status().message());
        auto scanner = deps.scanner();
        if (!scanner.ok()) return StatusResponse(scanner.status());
        // The transports of <data>/channels.json, as the worker sends through.
        const std::string path = (std::filesystem::path(ctx.engine->data_dir()) / "channels.json").string();
        auto registry = channels::LoadChannelConfig(path, ctx.engine->clock());
        if (!registry.ok()) {
          if (registry.status().code() == StatusCode::kNotFound) {
            return ErrorResponse(409, "failed_precondition", "no channel configuration (docs/channels.md)");
          }
          return StatusResponse(registry.status());
        }
        dispatch::RegistryChannelSource source(std::move(registry).value());
        auto sent = handoffs::Reply(*ctx.engine, **scanner, source, ctx.practice_id, ctx.vars["handoff"], *text);
        if (!sent.ok()) return StatusResponse(sent.status());
        auto row = ctx.engine->store().handoffs().Get(ctx.practice_id, ctx.vars["handoff"]);
        if (!row.ok()) return StatusResponse(row.status());
        json out = handoffs::ItemJson(*row);
        out["message_id"] = sent->message_id;
        return JsonResponse(200, out);
      }));

  router.Add(HandoffRoute(
      "PUT", base + "/after-hours-reply", Permission::kPracticeAdmin,
      "set the after-hours reply ({\"text\": ...}; literal, scanned, audited with its SHA-256; \"\" clears it)",
      false, false, [&deps](RequestContext& ctx) {
        auto body = JsonBody(ctx.http);
        if (!body.ok()) return ErrorResponse(400, "bad_request", body.status().message());
        if (!body->contains("text") || !(*body)["text"].is_string()) {
          return ErrorResponse(400, "bad_request", "text is required");
        }
        auto scanner = deps.scanner();
        if (!scanner.ok()) return StatusResponse(scanner.status());
        auto sha = handoffs::SetAfterHoursReply(*ctx.engine, **scanner, ctx.practice_id,
                                                (*body)["text"].get<std::string>());
        if (!sha.ok()) return StatusResponse(sha.status());
        return JsonResponse(200, {{"sha256", *sha}});
      }));
}

}  // namespace recall::server::internal
