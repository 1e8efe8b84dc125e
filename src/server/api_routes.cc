// The /v1 API: practices, vendors, patients, consent, templates, campaigns,
// audit, auth. Every route declares its Permission; the gate (server.cc) has
// authenticated and authorised the caller for the practice in the path before
// a handler runs, and ctx.engine acts as the caller.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/export.h"
#include "common/text.h"
#include "campaigns/campaign_json.h"
#include "campaigns/campaigns.h"
#include "campaigns/lint.h"
#include "campaigns/preview.h"
#include "consent/consent.h"
#include "consent/consent_json.h"
#include "incidents/incidents.h"
#include "patients/patients.h"
#include "planner/planner.h"
#include "practices/practices.h"
#include "practices/settings.h"
#include "reports/report.h"
#include "server/body_stream.h"
#include "server/handlers.h"
#include "store/user_store.h"
#include "vendors/vendors.h"

namespace recall::server::internal {

namespace {

using nlohmann::json;
using users::Permission;

#define BODY_OR_400(var)                                                        \
  auto var##_or = JsonBody(ctx.http);                                           \
  if (!var##_or.ok()) return ErrorResponse(400, "bad_request", var##_or.status().message()); \
  const json& var = *var##_or

#define FIELD_OR_400(var, body, key, required)                                  \
  auto var##_or = StringField(body, key, required);                             \
  if (!var##_or.ok()) return ErrorResponse(400, "bad_request", var##_or.status().message()); \
  const std::string var = *var##_or

Route Api(std::string method, std::string path, std::optional<Permission> permission, std::string summary,
          RouteHandler handler) {
  Route r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.access = Access::kBearer;
  r.permission = permission;
  r.scope = r.path.find("{practice}") != std::string::npos ? Scope::kPractice : Scope::kInstallation;
  r.summary = std::move(summary);
  if (r.method == "POST" || r.method == "PUT") r.body_type = "application/json";
  r.handler = std::move(handler);
  return r;
}
Route Phi(Route r) {
  r.phi = true;
  return r;
}
Route Idempotent(Route r) {
  r.idempotent = true;
  return r;
}

json PracticeJson(const store::PracticeRow& p) {
  return {{"practice_id", p.practice_id}, {"name", p.name},         {"address", p.address},
          {"phone", p.phone},             {"email_from", p.email_from}, {"timezone", p.timezone},
          {"state", p.state},             {"created_at", p.created_at}};
}

json VendorJson(const store::VendorRow& v) {
  return {{"vendor_id", v.vendor_id}, {"name", v.name},     {"channel", v.channel},
          {"kind", v.kind},           {"baa_signed_on", v.baa_signed_on.empty() ? json(nullptr) : json(v.baa_signed_on)},
          {"active", v.active},       {"created_at", v.created_at}};
}

json PatientJson(const patients::PatientView& p) {
  json out = {{"patient_id", p.patient_id}, {"subject", p.subject},   {"first_name", p.first_name},
              {"last_name", p.last_name},   {"email", p.email},       {"phone", p.phone},
              {"phone_line_type", p.phone_line_type}, {"language", p.language}, {"last_visit", p.last_visit},
              {"status", p.status},         {"provider_name", p.provider_name}, {"state", p.state}};
  if (!p.external_id.empty()) out["external_id"] = p.external_id;
  if (!p.postal_code.empty()) out["postal_code"] = p.postal_code;
  return out;
}

json TemplateJson(const store::TemplateRow& t) {
  return {{"template_id", t.template_id}, {"version", t.version}, {"name", t.name},       {"channel", t.channel},
          {"tier", t.tier},               {"purpose", t.purpose}, {"language", t.language}, {"subject", t.subject},
          {"body", t.body},               {"author", t.author},   {"created_at", t.created_at}};
}

using campaigns::CampaignJson;

json FindingsJson(const std::vector<campaigns::LintFinding>& findings) {
  json out = json::array();
  for (const auto& f : findings) {
    out.push_back({{"category", f.category}, {"severity", f.severity}, {"code", f.code}, {"message", f.message},
                   {"field", f.field}, {"start", f.start}, {"end", f.end}});
  }
  return out;
}

// A document sent inline (base64) for a BAA: written to a private temp file,
// whose SHA-256 the domain records; the file is removed after.
class TempDocument {
 public:
  static StatusOr<std::unique_ptr<TempDocument>> FromBase64(const std::string& b64) {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    int val = 0, bits = -8;
    for (char c : b64) {
      if (c == '=' || c == '\n' || c == '\r') continue;
      auto pos = kAlphabet.find(c);
      if (pos == std::string::npos) return InvalidArgumentError("field document_base64 is not base64");
      val = (val << 6) + static_cast<int>(pos);
      bits += 6;
      if (bits >= 0) {
        bytes.push_back(static_cast<char>((val >> bits) & 0xFF));
        bits -= 8;
      }
    }
    if (bytes.empty()) return InvalidArgumentError("field document_base64 is empty");
    char path[] = "/tmp/recall-doc-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) return InternalError("cannot create a temporary file");
    ::close(fd);
    std::ofstream(path, std::ios::binary) << bytes;
    return std::unique_ptr<TempDocument>(new TempDocument(path));
  }
  ~TempDocument() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  explicit TempDocument(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// An export bound, as `recall audit export` takes it: a date (the whole day,
// UTC) or an RFC 3339 UTC time; `end` bounds are exclusive. "" is open.
StatusOr<std::string> ExportBound(const std::string& value, bool end) {
  using std::chrono::hours, std::chrono::milliseconds;
  if (value.empty()) return std::string(end ? "~" : "");
  if (value.size() == 10) {
    auto day = ParseRfc3339(value + "T00:00:00Z");
    if (!day.ok()) return InvalidArgumentError("from/to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    return FormatRfc3339Millis(end ? *day + hours(24) : *day);
  }
  auto t = ParseRfc3339(value);
  if (!t.ok()) return InvalidArgumentError("from/to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  return FormatRfc3339Millis(end ? *t + milliseconds(1) : *t);
}

// GET .../audit/export?from=&to=&format=jsonl|fhir&after=<seq>&limit=N: one
// page of the audit records with from <= time < to (of `practice`, or all
// when ""), as JSON Lines or as a FHIR R4 Bundle of AuditEvents (what
// `recall audit export` writes). Pages hold up to `limit` records (1..5000,
// default 1000); the next page's cursor is the X-Next-After header (absent on
// the last page) and a Link rel="next". Audited as "audit.export" per page.
HttpResponse AuditExport(RequestContext& ctx, const std::string& practice) {
  const HttpRequest& req = ctx.http;
  auto from = ExportBound(req.Param("from"), false);
  auto to = ExportBound(req.Param("to"), true);
  if (!from.ok()) return StatusResponse(from.status());
  if (!to.ok()) return StatusResponse(to.status());
  if (*to <= *from) return ErrorResponse(400, "bad_request", "to is before from");
  const std::string format = req.Param("format").empty() ? "jsonl" : req.Param("format");
  if (format != "jsonl" && format != "fhir") return ErrorResponse(400, "bad_request", "format must be jsonl or fhir");
  int64_t after = 0;
  if (const std::string a = req.Param("after"); !a.empty()) {
    if (a.size() > 18 || a.find_first_not_of("0123456789") != std::string::npos) {
      return ErrorResponse(400, "bad_request", "after must be a sequence number");
    }
    after = std::stoll(a);
  }
  int64_t limit = 1000;
  if (const std::string l = req.Param("limit"); !l.empty()) {
    if (l.size() > 4 || l.find_first_not_of("0123456789") != std::string::npos) {
      return ErrorResponse(400, "bad_request", "limit must be a number 1..5000");
    }
    limit = std::clamp<int64_t>(std::stoll(l), 1, 5000);
  }
  const bool fhir = format == "fhir";
  std::string body = fhir ? audit::FhirBundlePrefix() : "";
  int64_t count = 0, last = 0;
  bool more = false;
  Status scanned = ctx.engine->store().audit().Scan(after + 1, [&](const audit::AuditRecord& r) {
    if (r.time < *from || r.time >= *to) return true;
    if (!practice.empty() && r.practice_id != practice) return true;
    if (count == limit) {
      more = true;
      return false;
    }
    if (fhir) {
      if (count > 0) body += ",\n";
      body += audit::FhirBundleEntry(r);
    } else {
      body += audit::RecordToJson(r).dump(-1, ' ', false, json::error_handler_t::replace);
      body += "\n";
    }
    ++count;
    last = r.seq;
    return true;
  });
  if (!scanned.ok()) return StatusResponse(scanned);
  if (fhir) body += audit::FhirBundleSuffix();
  audit::Details details = {{"count", count}, {"from", *from}, {"to", *to}, {"format", format}, {"after", after}};
  auto appended = ctx.engine->store().audit().Append(ctx.engine->Event("audit.export", practice, "", details));
  if (!appended.ok()) return StatusResponse(appended.status());  // no export without its record
  (void)incidents::OnSensitiveAccess(*ctx.engine, practice, incidents::AccessKind::kExport);
  HttpResponse res;
  res.status = 200;
  res.content_type = fhir ? "application/fhir+json" : "application/x-ndjson";
  res.body = std::move(body);
  res.headers.emplace_back("X-Record-Count", std::to_string(count));
  if (more) {
    std::string next = req.path + "?format=" + format + "&after=" + std::to_string(last) + "&limit=" +
                       std::to_string(limit);
    if (!req.Param("from").empty()) next += "&from=" + req.Param("from");
    if (!req.Param("to").empty()) next += "&to=" + req.Param("to");
    res.headers.emplace_back("X-Next-After", std::to_string(last));
    res.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
  }
  return res;
}

}  // namespace

void AddApiRoutes(Router& router, const Deps& deps) {
  ScannerSource scanner = deps.scanner;

  // --- auth ----------------------------------------------------------------
  {
    Route login;
    login.method = "POST";
    login.path = "/v1/auth/login";
    login.access = Access::kPublic;
    login.scope = Scope::kInstallation;
    login.summary = "log in with login, password and TOTP code: a session token";
    login.body_type = "application/json";
    login.public_actor = "system:http";
    login.handler = [](RequestContext& ctx) {
      BODY_OR_400(body);
      FIELD_OR_400(name, body, "login", true);
      FIELD_OR_400(password, body, "password", true);
      FIELD_OR_400(totp, body, "totp", false);
      auto session = users::Login(*ctx.engine, {name, password, totp});
      if (!session.ok()) {
        if (session.status().code() == StatusCode::kUnauthenticated) {
          return ErrorResponse(401, "unauthenticated", "wrong credentials");
        }
        return StatusResponse(session.status());
      }
      return JsonResponse(200, {{"token", session->token},
                                {"user_id", session->user_id},
                                {"expires_at", FormatRfc3339Millis(session->expires_at)}});
    };
    router.Add(std::move(login));
  }
  router.Add(Api("POST", "/v1/auth/logout", std::nullopt, "end the session of the bearer token", [](RequestContext& ctx) {
    const std::string auth = ctx.http.Header("authorization");
    Status s = users::Logout(*ctx.engine, TrimAscii(std::string_view(auth).substr(7)));
    if (!s.ok()) return StatusResponse(s);
    return JsonResponse(200, {{"logged_out", true}});
  }));

  router.Add(Api("GET", "/v1/auth/me", std::nullopt,
                 "the caller: login, roles per practice and the permissions they give (for the console)",
                 [](RequestContext& ctx) {
                   const users::Principal& p = *ctx.principal;
                   json roles = json::array();
                   json permissions = json::object();
                   for (const auto& [practice_id, set] : p.roles) {
                     for (users::Role role : set) {
                       roles.push_back({{"practice_id", practice_id}, {"role", std::string(users::RoleName(role))}});
                     }
                     json names = json::array();
                     for (const auto& [role, perms] : users::RolePermissions()) {
                       (void)role;
                       for (Permission perm : perms) {
                         const std::string name(users::PermissionName(perm));
                         if (std::find(names.begin(), names.end(), name) != names.end()) continue;
                         if (users::Authorize(p, practice_id, perm).ok()) names.push_back(name);
                       }
                     }
                     std::sort(names.begin(), names.end());
                     permissions[practice_id] = names;
                   }
                   auto row = ctx.engine->store().users().Get(p.user_id);
                   if (!row.ok()) return StatusResponse(row.status());
                   return JsonResponse(200, {{"user_id", p.user_id},
                                             {"login", p.login},
                                             {"display_name", row->display_name},
                                             {"admin", p.admin},
                                             {"via_token", p.via_token},
                                             {"roles", roles},
                                             {"permissions", permissions}});
                 }));

  // --- practices -------------------------------------------------------------
  {
    Route list = Api("GET", "/v1/practices", Permission::kPracticeRead, "list the practices the caller may read",
                     [](RequestContext& ctx) {
                       auto rows = practices::ListPractices(*ctx.engine);
                       if (!rows.ok()) return StatusResponse(rows.status());
                       std::vector<json> out;
                       for (const auto& p : *rows) {
                         if (users::Authorize(*ctx.principal, p.practice_id, Permission::kPracticeRead).ok()) {
                           out.push_back(PracticeJson(p));
                         }
                       }
                       std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
                         return a["practice_id"].get<std::string>() < b["practice_id"].get<std::string>();
                       });
                       return JsonResponse(200, Paginate(out, "practice_id", ctx.http));
                     });
    list.scope = Scope::kOwnPractices;
    router.Add(std::move(list));
  }
  router.Add(Idempotent(Api("POST", "/v1/practices", Permission::kPracticeAdmin, "create a practice (admin)",
                            [](RequestContext& ctx) {
                              BODY_OR_400(body);
                              practices::NewPractice p;
                              p.name = body.value("name", "");
                              p.address = body.value("address", "");
                              p.phone = body.value("phone", "");
                              p.email_from = body.value("email_from", "");
                              p.timezone = body.value("timezone", "");
                              p.state = body.value("state", "");
                              auto row = practices::CreatePractice(*ctx.engine, p);
                              if (!row.ok()) return StatusResponse(row.status());
                              return JsonResponse(201, PracticeJson(*row));
                            })));
  router.Add(Api("GET", "/v1/practices/{practice}", Permission::kPracticeRead, "get a practice", [](RequestContext& ctx) {
    auto row = ctx.engine->store().practices().Get(ctx.practice_id);
    if (!row.ok()) return StatusResponse(row.status());
    json out = PracticeJson(*row);
    auto baa = ctx.engine->store().practices().LatestBaa(ctx.practice_id);
    if (baa.ok() && baa->has_value()) {
      out["baa"] = {{"baa_id", (*baa)->baa_id}, {"signed_by", (*baa)->signed_by}, {"signed_on", (*baa)->signed_on},
                    {"document_sha256", (*baa)->document_sha256}, {"breach_notice_hours", (*baa)->breach_notice_hours}};
    } else {
      out["baa"] = nullptr;
    }
    return JsonResponse(200, out);
  }));
  router.Add(Api("GET", "/v1/practices/{practice}/settings", Permission::kPracticeRead, "get the dispatch settings",
                 [](RequestContext& ctx) {
                   auto s = practices::GetSettings(*ctx.engine, ctx.practice_id);
                   if (!s.ok()) return StatusResponse(s.status());
                   return JsonResponse(200, json::parse(practices::SettingsJson(*s)));
                 }));
  router.Add(Api("PUT", "/v1/practices/{practice}/settings", Permission::kPracticeAdmin,
                 "change some dispatch settings (a JSON object of the keys to change)", [](RequestContext& ctx) {
                   BODY_OR_400(body);
                   auto s = practices::UpdateSettings(*ctx.engine, ctx.practice_id, body.dump());
                   if (!s.ok()) return StatusResponse(s.status());
                   return JsonResponse(200, json::parse(practices::SettingsJson(*s)));
                 }));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/baa", Permission::kPracticeAdmin,
      "record the practice's BAA (signed_by, signed_on, document_base64, breach_notice_hours)", [](RequestContext& ctx) {
        BODY_OR_400(body);
        FIELD_OR_400(signed_by, body, "signed_by", true);
        FIELD_OR_400(signed_on, body, "signed_on", true);
        FIELD_OR_400(document, body, "document_base64", true);
        auto doc = TempDocument::FromBase64(document);
        if (!doc.ok()) return StatusResponse(doc.status());
        practices::NewBaa baa{ctx.practice_id, signed_by, signed_on, (*doc)->path(), body.value("breach_notice_hours", 72)};
        auto row = practices::RecordBaa(*ctx.engine, baa);
        if (!row.ok()) return StatusResponse(row.status());
        return JsonResponse(201, {{"baa_id", row->baa_id}, {"signed_on", row->signed_on},
                                  {"document_sha256", row->document_sha256}});
      })));

  // --- vendors ---------------------------------------------------------------
  router.Add(Api("GET", "/v1/practices/{practice}/vendors", Permission::kPracticeRead, "list the practice's vendors",
                 [](RequestContext& ctx) {
                   auto rows = vendors::ListVendors(*ctx.engine, ctx.practice_id);
                   if (!rows.ok()) return StatusResponse(rows.status());
                   std::vector<json> out;
                   for (const auto& v : *rows) out.push_back(VendorJson(v));
                   std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
                     return a["vendor_id"].get<std::string>() < b["vendor_id"].get<std::string>();
                   });
                   return JsonResponse(200, Paginate(out, "vendor_id", ctx.http));
                 }));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/vendors", Permission::kPracticeAdmin,
      "add a vendor (name, channel, kind, baa_signed_on + baa_document_base64)", [](RequestContext& ctx) {
        BODY_OR_400(body);
        vendors::NewVendor v;
        v.practice_id = ctx.practice_id;
        v.name = body.value("name", "");
        v.channel = body.value("channel", "");
        v.kind = body.value("kind", "");
        v.baa_signed_on = body.value("baa_signed_on", "");
        std::unique_ptr<TempDocument> doc;
        if (const std::string b64 = body.value("baa_document_base64", ""); !b64.empty()) {
          auto d = TempDocument::FromBase64(b64);
          if (!d.ok()) return StatusResponse(d.status());
          doc = std::move(d).value();
          v.baa_document_path = doc->path();
        }
        auto row = vendors::AddVendor(*ctx.engine, v);
        if (!row.ok()) return StatusResponse(row.status());
        return JsonResponse(201, VendorJson(*row));
      })));

  // --- patients --------------------------------------------------------------
  router.Add(Phi(Api("GET", "/v1/practices/{practice}/patients", Permission::kPatientReadMasked,
                     "list patients, masked (cursor pagination)", [](RequestContext& ctx) {
                       auto page = patients::ListMasked(*ctx.engine, ctx.practice_id, ctx.http.Param("after"),
                                                        PageLimit(ctx.http));
                       if (!page.ok()) return StatusResponse(page.status());
                       json items = json::array();
                       for (const auto& p : page->patients) items.push_back(PatientJson(p));
                       return JsonResponse(200, {{"items", items},
                                                 {"next", page->next.empty() ? json(nullptr) : json(page->next)}});
                     })));
  router.Add(Phi(Api("GET", "/v1/practices/{practice}/patients/{patient}", Permission::kPatientReadMasked,
                     "get one patient, masked", [](RequestContext& ctx) {
                       auto p = patients::ShowMasked(*ctx.engine, ctx.practice_id, ctx.vars["patient"]);
                       if (!p.ok()) return StatusResponse(p.status());
                       return JsonResponse(200, PatientJson(*p));
                     })));
  router.Add(Phi(Api("POST", "/v1/practices/{practice}/patients/{patient}/reveal", Permission::kPatientReveal,
                     "reveal one patient's contact, with a reason (audited)", [](RequestContext& ctx) {
                       BODY_OR_400(body);
                       FIELD_OR_400(reason, body, "reason", true);
                       auto p = patients::Reveal(*ctx.engine, ctx.practice_id, ctx.vars["patient"], reason);
                       if (!p.ok()) return StatusResponse(p.status());
                       return JsonResponse(200, PatientJson(*p));
                     })));
  {
    Route import = Idempotent(Api(
        "POST", "/v1/practices/{practice}/patients/import", Permission::kPatientImport,
        "import a CSV export (the body, streamed: Content-Length or chunked; one transaction)",
        [](RequestContext& ctx) {
          // The BAA gate before a byte of the body is read.
          Status baa = practices::RequireBaa(*ctx.engine, ctx.practice_id);
          if (!baa.ok()) return StatusResponse(baa);
          std::vector<patients::ImportedConsent> consents;
          StatusOr<patients::ImportReport> report = InternalError("no body");
          if (ctx.http.body_stream != nullptr) {
            // The importer reads the upload as it arrives (a bounded pipe, no
            // spill file); a body that breaks off makes the stream bad, so the
            // import rolls back rather than commit a truncated file.
            BodyPipe pipe(*ctx.http.body_stream);
            report = patients::ImportCsv(*ctx.engine, ctx.practice_id, pipe.stream(), {}, &consents);
            Status body = pipe.Close();
            if (!body.ok()) return BodyReadError(body);
          } else {
            std::istringstream in(ctx.http.body);
            report = patients::ImportCsv(*ctx.engine, ctx.practice_id, in, {}, &consents);
          }
          if (!report.ok()) return StatusResponse(report.status());
          json rejected = json::array();
          for (const auto& r : report->rejected) {
            if (rejected.size() >= 1000) break;
            rejected.push_back({{"line", r.line}, {"reason", r.reason}});
          }
          json out = {{"imported", report->imported}, {"updated", report->updated},
                      {"rejected_total", report->rejected_total}, {"rejected", rejected},
                      {"dropped_columns", report->dropped_columns}};
          if (!consents.empty()) {
            consent::ConsentVault vault(*ctx.engine);
            auto applied = vault.ApplyImported(ctx.practice_id, consents);
            if (!applied.ok()) return StatusResponse(applied.status());
            out["consent_columns_applied"] = consents.size();
          }
          return JsonResponse(200, out);
        }));
    import.body_type = "text/csv";
    import.phi = true;
    import.streams_body = true;
    router.Add(std::move(import));
  }

  // --- consent ---------------------------------------------------------------
  router.Add(Phi(Api("GET", "/v1/practices/{practice}/patients/{patient}/consent", Permission::kConsentRead,
                     "consent state per channel and purpose, and its evidence history", [](RequestContext& ctx) {
                       consent::ConsentVault vault(*ctx.engine);
                       auto view = vault.Show(ctx.practice_id, ctx.vars["patient"]);
                       if (!view.ok()) return StatusResponse(view.status());
                       // The CLI's shape (channels, invalidated, history: the evidence
                       // trail, no evidence text, contacts masked) and the cells list.
                       json out = consent::ViewJson(*view);
                       json cells = json::array();
                       for (consent::Channel c : {consent::Channel::kSms, consent::Channel::kEmail,
                                                  consent::Channel::kVoice, consent::Channel::kRvm}) {
                         for (consent::Purpose p : {consent::Purpose::kCare, consent::Purpose::kOutreach}) {
                           const auto& cell = view->cell(c, p);
                           cells.push_back({{"channel", std::string(consent::ChannelName(c))},
                                            {"purpose", std::string(consent::PurposeName(p))},
                                            {"state", std::string(consent::StateName(cell.state))},
                                            {"effective", std::string(consent::BlockName(cell.block))}});
                         }
                       }
                       out["patient_id"] = ctx.vars["patient"];
                       out["cells"] = cells;
                       return JsonResponse(200, out);
                     })));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/patients/{patient}/consent", Permission::kConsentWrite,
      "record consent (channel, purpose, source, evidence)", [](RequestContext& ctx) {
        BODY_OR_400(body);
        consent::GrantRequest g;
        g.practice_id = ctx.practice_id;
        g.patient = ctx.vars["patient"];
        auto channel = consent::ParseChannel(body.value("channel", "sms"));
        auto purpose = consent::ParsePurpose(body.value("purpose", "care"));
        auto source = consent::ParseSource(body.value("source", "staff_verbal"));
        if (!channel.ok()) return StatusResponse(channel.status());
        if (!purpose.ok()) return StatusResponse(purpose.status());
        if (!source.ok()) return StatusResponse(source.status());
        g.channel = *channel;
        g.purpose = *purpose;
        g.source = *source;
        g.evidence = body.value("evidence", "");
        if (body.contains("risk_acknowledged")) g.risk_acknowledged = body.at("risk_acknowledged").get<bool>();
        consent::ConsentVault vault(*ctx.engine);
        auto id = vault.Record(g);
        if (!id.ok()) return StatusResponse(id.status());
        return JsonResponse(201, {{"consent_id", *id}});
      })));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/patients/{patient}/consent/revoke", Permission::kConsentWrite,
      "revoke consent (every channel unless channel/purpose narrow it; evidence)", [](RequestContext& ctx) {
        BODY_OR_400(body);
        consent::RevokeRequest r;
        r.practice_id = ctx.practice_id;
        r.patient = ctx.vars["patient"];
        auto source = consent::ParseSource(body.value("source", "staff_verbal"));
        if (!source.ok()) return StatusResponse(source.status());
        r.source = *source;
        r.evidence = body.value("evidence", "");
        if (body.contains("channel")) {
          auto c = consent::ParseChannel(body.at("channel").get<std::string>());
          if (!c.ok()) return StatusResponse(c.status());
          r.channel = *c;
        }
        if (body.contains("purpose")) {
          auto p = consent::ParsePurpose(body.at("purpose").get<std::string>());
          if (!p.ok()) return StatusResponse(p.status());
          r.purpose = *p;
        }
        consent::ConsentVault vault(*ctx.engine);
        auto id = vault.Revoke(r);
        if (!id.ok()) return StatusResponse(id.status());
        return JsonResponse(201, {{"consent_id", *id}});
      })));

  router.Add(Api("GET", "/v1/practices/{practice}/consent/wording", Permission::kPracticeRead,
                 "the practice's consent wording versions, newest first (current: the first per channel)",
                 [](RequestContext& ctx) {
                   auto rows = ctx.engine->store().consent().ListLanguages(ctx.practice_id);
                   if (!rows.ok()) return StatusResponse(rows.status());
                   std::set<std::string> seen;
                   std::vector<json> items;
                   for (const auto& row : *rows) {
                     json j = consent::LanguageJson(row);
                     j["current"] = seen.insert(row.channel).second;
                     items.push_back(std::move(j));
                   }
                   return JsonResponse(200, {{"items", items}, {"next", nullptr}});
                 }));
  router.Add(Api("GET", "/v1/practices/{practice}/users", Permission::kHandoffWork,
                 "the practice's users (id, login, name, roles here): whom a hand-off can be assigned to",
                 [](RequestContext& ctx) {
                   auto users = users::ListUsers(*ctx.engine);
                   if (!users.ok()) return StatusResponse(users.status());
                   std::vector<json> items;
                   for (const auto& u : *users) {
                     auto it = u.roles.find(ctx.practice_id);
                     if (it == u.roles.end() || it->second.empty()) continue;
                     json roles = json::array();
                     for (users::Role r : it->second) roles.push_back(std::string(users::RoleName(r)));
                     items.push_back({{"user_id", u.user_id},
                                      {"login", u.login},
                                      {"display_name", u.display_name},
                                      {"roles", roles}});
                   }
                   std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
                     return a["login"].get<std::string>() < b["login"].get<std::string>();
                   });
                   return JsonResponse(200, Paginate(items, "login", ctx.http));
                 }));

  // --- templates and lint ----------------------------------------------------
  router.Add(Api("GET", "/v1/practices/{practice}/templates", Permission::kCampaignRead, "list templates (latest versions)",
                 [](RequestContext& ctx) {
                   auto rows = ctx.engine->store().campaigns().ListTemplates(ctx.practice_id);
                   if (!rows.ok()) return StatusResponse(rows.status());
                   std::vector<json> out;
                   for (const auto& t : *rows) out.push_back(TemplateJson(t));
                   std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
                     return a["template_id"].get<std::string>() < b["template_id"].get<std::string>();
                   });
                   return JsonResponse(200, Paginate(out, "template_id", ctx.http));
                 }));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/templates", Permission::kTemplateWrite,
      "add a template (name, channel, tier, purpose, language, subject, body); scanned", [scanner](RequestContext& ctx) {
        BODY_OR_400(body);
        auto sc = scanner();
        if (!sc.ok()) return StatusResponse(sc.status());
        campaigns::TemplateInput t;
        t.practice_id = ctx.practice_id;
        t.name = body.value("name", "");
        t.channel = body.value("channel", "");
        t.tier = body.value("tier", 1);
        t.purpose = body.value("purpose", "");
        t.language = body.value("language", "en");
        t.subject = body.value("subject", "");
        t.body = body.value("body", "");
        auto result = campaigns::AddTemplate(*ctx.engine, **sc, t);
        if (!result.ok()) return StatusResponse(result.status());
        json out = TemplateJson(result->row);
        out["findings"] = FindingsJson(result->findings);
        return JsonResponse(201, out);
      })));
  router.Add(Api("GET", "/v1/practices/{practice}/templates/{template}", Permission::kCampaignRead,
                 "one template (latest version, or ?version=N) with its text", [](RequestContext& ctx) {
                   int64_t version = 0;
                   const std::string v = ctx.http.Param("version");
                   if (!v.empty()) {
                     if (v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
                       return ErrorResponse(400, "bad_request", "version must be a number");
                     }
                     version = std::stoll(v);
                   }
                   auto row = ctx.engine->store().campaigns().GetTemplate(ctx.practice_id, ctx.vars["template"], version);
                   if (!row.ok()) return StatusResponse(row.status());
                   return JsonResponse(200, TemplateJson(*row));
                 }));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/templates/{template}/versions", Permission::kTemplateWrite,
      "store the next version of a template (body, subject); scanned; campaigns using it return to draft. "
      "Refused text: 422 with the findings",
      [scanner](RequestContext& ctx) {
        BODY_OR_400(body);
        auto sc = scanner();
        if (!sc.ok()) return StatusResponse(sc.status());
        std::optional<std::string> subject, text;
        if (body.contains("subject")) {
          if (!body["subject"].is_string()) return ErrorResponse(400, "bad_request", "subject must be a string");
          subject = body["subject"].get<std::string>();
        }
        if (body.contains("body")) {
          if (!body["body"].is_string()) return ErrorResponse(400, "bad_request", "body must be a string");
          text = body["body"].get<std::string>();
        }
        if (!subject && !text) return ErrorResponse(400, "bad_request", "give body and/or subject");
        auto current = ctx.engine->store().campaigns().GetTemplate(ctx.practice_id, ctx.vars["template"], 0);
        if (!current.ok()) return StatusResponse(current.status());
        auto result = campaigns::EditTemplate(*ctx.engine, **sc, ctx.practice_id, ctx.vars["template"], subject, text);
        if (!result.ok()) {
          if (result.status().code() != StatusCode::kInvalidArgument) return StatusResponse(result.status());
          // Refused: the findings, with offsets into the text, for the editor.
          campaigns::LintOptions options;
          auto channel = templates::ParseChannel(current->channel);
          if (channel.ok()) options.channel = *channel;
          if (current->tier >= 1 && current->tier <= 3) options.tier = static_cast<templates::Tier>(current->tier);
          options.subject = subject.value_or(current->subject);
          auto report = campaigns::Lint(**sc, text.value_or(current->body), options);
          json out = {{"error", {{"code", "unprocessable"}, {"message", result.status().message()}}},
                      {"findings", FindingsJson(report.findings)}};
          return JsonResponse(422, out);
        }
        json out = TemplateJson(result->row);
        out["findings"] = FindingsJson(result->findings);
        out["reverted_campaigns"] = result->reverted_campaigns;
        return JsonResponse(200, out);
      })));
  router.Add(Api("POST", "/v1/practices/{practice}/lint", Permission::kTemplateWrite,
                 "lint a text (text, channel, tier, subject): scanner findings", [scanner](RequestContext& ctx) {
                   BODY_OR_400(body);
                   FIELD_OR_400(text, body, "text", true);
                   auto sc = scanner();
                   if (!sc.ok()) return StatusResponse(sc.status());
                   campaigns::LintOptions options;
                   if (body.contains("channel")) {
                     auto c = templates::ParseChannel(body.at("channel").get<std::string>());
                     if (!c.ok()) return StatusResponse(c.status());
                     options.channel = *c;
                   }
                   if (body.contains("tier")) {
                     auto t = templates::TierFromNumber(body.at("tier").get<int>());
                     if (!t.ok()) return StatusResponse(t.status());
                     options.tier = *t;
                   }
                   options.subject = body.value("subject", "");
                   auto report = campaigns::Lint(**sc, text, options);
                   return JsonResponse(200, {{"verdict", report.verdict}, {"findings", FindingsJson(report.findings)}});
                 }));

  // --- campaigns -------------------------------------------------------------
  const std::string campaign = "/v1/practices/{practice}/campaigns/{campaign}";
  router.Add(Api("GET", "/v1/practices/{practice}/campaigns", Permission::kCampaignRead, "list campaigns",
                 [](RequestContext& ctx) {
                   auto rows = ctx.engine->store().campaigns().ListCampaigns(ctx.practice_id);
                   if (!rows.ok()) return StatusResponse(rows.status());
                   std::vector<json> out;
                   for (const auto& c : *rows) out.push_back(CampaignJson(c));
                   std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
                     return a["campaign_id"].get<std::string>() < b["campaign_id"].get<std::string>();
                   });
                   return JsonResponse(200, Paginate(out, "campaign_id", ctx.http));
                 }));
  router.Add(Idempotent(Api(
      "POST", "/v1/practices/{practice}/campaigns", Permission::kCampaignDraft,
      "create a draft (name, kind, purpose, segment, steps: [\"sms:tpl-a\", ...], start, window)",
      [](RequestContext& ctx) {
        BODY_OR_400(body);
        campaigns::CampaignInput in;
        in.practice_id = ctx.practice_id;
        in.name = body.value("name", "");
        in.kind = body.value("kind", "");
        in.purpose = body.value("purpose", "");
        if (body.contains("segment")) in.segment_json = body.at("segment").dump();
        for (const auto& spec : body.value("steps", json::array())) {
          auto step = campaigns::ParseStepSpec(spec.get<std::string>());
          if (!step.ok()) return StatusResponse(step.status());
          in.steps.push_back(*step);
        }
        in.start = body.value("start", "");
        in.window = body.value("window", "");
        auto row = campaigns::CreateCampaign(*ctx.engine, in);
        if (!row.ok()) return StatusResponse(row.status());
        return JsonResponse(201, CampaignJson(*row));
      })));
  router.Add(Api("GET", campaign, Permission::kCampaignRead, "get a campaign", [](RequestContext& ctx) {
    auto row = ctx.engine->store().campaigns().GetCampaign(ctx.practice_id, ctx.vars["campaign"]);
    if (!row.ok()) return StatusResponse(row.status());
    auto detail = campaigns::CampaignDetailJson(*ctx.engine, *row);
    if (!detail.ok()) return StatusResponse(detail.status());
    return JsonResponse(200, *detail);
  }));
  router.Add(Idempotent(Api("POST", campaign + "/submit", Permission::kCampaignDraft, "submit a draft for approval",
                            [scanner](RequestContext& ctx) {
                              auto sc = scanner();
                              if (!sc.ok()) return StatusResponse(sc.status());
                              auto r = campaigns::Submit(*ctx.engine, **sc, ctx.practice_id, ctx.vars["campaign"]);
                              if (!r.ok()) return StatusResponse(r.status());
                              json out = CampaignJson(r->campaign);
                              out["content_sha256"] = r->content_sha256;
                              out["warnings"] = FindingsJson(r->warnings);
                              return JsonResponse(200, out);
                            })));
  router.Add(Phi(Api("POST", campaign + "/preview", Permission::kCampaignRead,
                     "render sample messages, masked, with scanner findings (sample)", [scanner](RequestContext& ctx) {
                       BODY_OR_400(body);
                       auto sc = scanner();
                       if (!sc.ok()) return StatusResponse(sc.status());
                       campaigns::PreviewOptions options;
                       options.sample = body.value("sample", 3);
                       options.every_variant = body.value("every_variant", false);
                       auto r = campaigns::Preview(*ctx.engine, **sc, ctx.practice_id, ctx.vars["campaign"], options);
                       if (!r.ok()) return StatusResponse(r.status());
                       auto practice = ctx.engine->store().practices().Get(ctx.practice_id);
                       if (!practice.ok()) return StatusResponse(practice.status());
                       json messages = json::array();
                       for (const auto& m : r->messages) {
                         json j = {{"step", m.step},
                                   {"channel", m.channel},
                                   {"language", m.language},
                                   {"template_id", m.template_id},
                                   {"template_version", m.template_version},
                                   {"recipient", m.recipient},
                                   {"first_name_masked", m.first_name_masked},
                                   {"language_fallback", m.language_fallback},
                                   {"subject", m.subject},
                                   {"body", m.body},
                                   {"verdict", m.verdict},
                                   {"findings", FindingsJson(m.findings)}};
                         if (m.channel == "sms") {
                           j["segments"] = {{"count", m.sms_segments}, {"encoding", m.sms_encoding},
                                            {"units", m.sms_units}};
                         }
                         if (m.channel == "voice" || m.channel == "rvm") {
                           // The script spoken (espeak-ng), for the approval page's player.
                           j["audio"] = "/v1/practices/" + ctx.practice_id + "/campaigns/" + r->campaign_id +
                                        "/audio?step=" + std::to_string(m.step) + "&channel=" + m.channel +
                                        "&language=" + m.language;
                         }
                         messages.push_back(std::move(j));
                       }
                       // Messages go out under the practice's own identity.
                       json sender = {{"name", practice->name},
                                      {"email_from", practice->email_from},
                                      {"phone", practice->phone},
                                      {"address", practice->address}};
                       return JsonResponse(200, {{"campaign_id", r->campaign_id}, {"state", r->state},
                                                 {"content_sha256", r->content_sha256}, {"matched", r->matched},
                                                 {"verdict", r->verdict}, {"sender", sender},
                                                 {"messages", messages}});
                     })));
  router.Add(Phi(Api(
      "GET", campaign + "/audio", Permission::kCampaignRead,
      "a voice or ringless-voicemail variant spoken for one masked sample recipient (step, channel, language): "
      "audio/wav",
      [scanner](RequestContext& ctx) {
        const std::string step_text = ctx.http.Param("step");
        const std::string language = ctx.http.Param("language");
        const std::string channel = ctx.http.Param("channel");
        if (step_text.empty() || step_text.size() > 3 || step_text.find_first_not_of("0123456789") != std::string::npos) {
          return ErrorResponse(400, "bad_request", "step must be a step number");
        }
        const int step = std::stoi(step_text);
        auto sc = scanner();
        if (!sc.ok()) return StatusResponse(sc.status());
        std::error_code tmp_ec;
        std::string tmpl = (std::filesystem::temp_directory_path(tmp_ec) / "recall-audio-XXXXXX").string();
        if (tmp_ec || mkdtemp(tmpl.data()) == nullptr) {
          return ErrorResponse(500, "internal", "no temporary directory");
        }
        const std::filesystem::path dir(tmpl);
        campaigns::PreviewOptions options;
        options.sample = 1;
        options.every_variant = true;
        options.out_dir = dir.string();
        auto r = campaigns::Preview(*ctx.engine, **sc, ctx.practice_id, ctx.vars["campaign"], options);
        HttpResponse res = ErrorResponse(404, "not_found", "no spoken step with that number and language");
        if (!r.ok()) {
          res = StatusResponse(r.status());
        } else {
          for (const auto& m : r->messages) {
            if (m.step != step || m.wav_path.empty() || (!language.empty() && m.language != language) ||
                (!channel.empty() && m.channel != channel)) {
              continue;
            }
            std::ifstream in(m.wav_path, std::ios::binary);
            std::ostringstream bytes;
            bytes << in.rdbuf();
            if (!in && !in.eof()) break;
            res = HttpResponse{};
            res.content_type = "audio/wav";
            res.body = bytes.str();
            break;
          }
        }
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);  // the WAVs are PHI-adjacent (a masked name): never left behind
        return res;
      })));
  router.Add(Idempotent(Api(
      "POST", campaign + "/approve", Permission::kCampaignApprove,
      "sign off a submitted campaign (name, title, statement, expected_sha256); never by its author",
      [](RequestContext& ctx) {
        BODY_OR_400(body);
        campaigns::Signoff s;
        s.name = body.value("name", "");
        s.title = body.value("title", "");
        s.statement = body.value("statement", "");
        s.expected_sha256 = body.value("expected_sha256", "");
        auto r = campaigns::Approve(*ctx.engine, ctx.practice_id, ctx.vars["campaign"], s);
        if (!r.ok()) return StatusResponse(r.status());
        return JsonResponse(200, {{"campaign_id", ctx.vars["campaign"]}, {"state", "approved"}});
      })));
  router.Add(Idempotent(Api("POST", campaign + "/start", Permission::kCampaignRun,
                            "start an approved campaign (the worker sends)", [](RequestContext& ctx) {
                              auto run = planner::StartCampaign(*ctx.engine, ctx.practice_id, ctx.vars["campaign"]);
                              if (!run.ok()) return StatusResponse(run.status());
                              return JsonResponse(200, {{"campaign_id", run->campaign_id}, {"state", run->state}});
                            })));
  router.Add(Api("POST", campaign + "/pause", Permission::kCampaignRun, "pause a campaign (its queue is held)",
                 [](RequestContext& ctx) {
                   Status s = planner::PauseCampaign(*ctx.engine, ctx.practice_id, ctx.vars["campaign"]);
                   if (!s.ok()) return StatusResponse(s);
                   return JsonResponse(200, {{"campaign_id", ctx.vars["campaign"]}, {"state", planner::kPaused}});
                 }));
  router.Add(Api("POST", campaign + "/resume", Permission::kCampaignRun, "resume a paused campaign",
                 [](RequestContext& ctx) {
                   Status s = planner::ResumeCampaign(*ctx.engine, ctx.practice_id, ctx.vars["campaign"]);
                   if (!s.ok()) return StatusResponse(s);
                   auto row = ctx.engine->store().campaigns().GetCampaign(ctx.practice_id, ctx.vars["campaign"]);
                   if (!row.ok()) return StatusResponse(row.status());
                   return JsonResponse(200, {{"campaign_id", row->campaign_id}, {"state", row->state}});
                 }));
  router.Add(Api("GET", campaign + "/report", Permission::kCampaignRead, "what the campaign did, in counts",
                 [](RequestContext& ctx) {
                   auto r = reports::BuildReport(*ctx.engine, ctx.practice_id, ctx.vars["campaign"]);
                   if (!r.ok()) return StatusResponse(r.status());
                   return JsonResponse(200, reports::ReportJson(*r));
                 }));

  // --- audit -----------------------------------------------------------------
  router.Add(Api("GET", "/v1/practices/{practice}/audit/verify", Permission::kAuditRead,
                 "verify the whole audit chain and its signed checkpoints (counts only)", [](RequestContext& ctx) {
                   auto checkpoints = ctx.engine->store().audit().Checkpoints(1);
                   if (!checkpoints.ok()) return StatusResponse(checkpoints.status());
                   audit::LogVerifier v(std::move(checkpoints).value(), ctx.engine->signing_keys().KnownKeys());
                   Status s = ctx.engine->store().audit().Scan(1, [&](const audit::AuditRecord& r) { return v.Feed(r); });
                   if (!s.ok()) return StatusResponse(s);
                   v.Finish();
                   const auto& chain = v.chain();
                   if (!v.ok()) {
                     (void)incidents::OnAuditVerifyFailure(
                         *ctx.engine, !chain.ok() ? "chain broken at record " + std::to_string(*chain.first_bad_seq())
                                                  : "bad checkpoint at record " +
                                                        std::to_string(*v.first_bad_checkpoint()));
                   }
                   auto opt = [](std::optional<int64_t> x) { return x ? json(*x) : json(nullptr); };
                   return JsonResponse(200, {{"ok", v.ok()},
                                             {"records", chain.records()},
                                             {"first_bad_seq", opt(chain.first_bad_seq())},
                                             {"checkpoints", v.checkpoints()},
                                             {"checkpoints_verified", v.checkpoints_verified()},
                                             {"first_bad_checkpoint", opt(v.first_bad_checkpoint())}});
                 }));
  router.Add(Api("GET", "/v1/practices/{practice}/audit/records", Permission::kAuditRead,
                 "list the practice's audit records (after=<seq>, limit; filters from, to (YYYY-MM-DD, inclusive), "
                 "action (exact, or a prefix ending in '.'), actor (exact))",
                 [](RequestContext& ctx) {
                   int64_t after = 0;
                   const std::string a = ctx.http.Param("after");
                   if (!a.empty()) {
                     if (a.size() > 18 || a.find_first_not_of("0123456789") != std::string::npos) {
                       return ErrorResponse(400, "bad_request", "after must be a sequence number");
                     }
                     after = std::stoll(a);
                   }
                   const std::string from = ctx.http.Param("from"), to = ctx.http.Param("to");
                   const std::string action = ctx.http.Param("action"), actor = ctx.http.Param("actor");
                   for (const std::string* day : {&from, &to}) {
                     if (!day->empty() && !ParseRfc3339(*day + "T00:00:00Z").ok()) {
                       return ErrorResponse(400, "bad_request", "from and to are dates, YYYY-MM-DD");
                     }
                   }
                   if (action.size() > 100 || actor.size() > 200) {
                     return ErrorResponse(400, "bad_request", "action or actor too long");
                   }
                   auto matches = [&](const audit::AuditRecord& r) {
                     const std::string day = r.time.substr(0, 10);
                     if (!from.empty() && day < from) return false;
                     if (!to.empty() && day > to) return false;
                     if (!actor.empty() && r.actor != actor) return false;
                     if (!action.empty()) {
                       if (action.back() == '.' ? !r.action.starts_with(action) : r.action != action) return false;
                     }
                     return true;
                   };
                   const int limit = PageLimit(ctx.http);
                   json items = json::array();
                   int64_t last = 0;
                   bool more = false;
                   Status s = ctx.engine->store().audit().Scan(after + 1, [&](const audit::AuditRecord& r) {
                     if (r.practice_id != ctx.practice_id || !matches(r)) return true;
                     if (static_cast<int>(items.size()) == limit) {
                       more = true;
                       return false;
                     }
                     items.push_back(audit::RecordToJson(r));
                     last = r.seq;
                     return true;
                   });
                   if (!s.ok()) return StatusResponse(s);
                   (void)ctx.engine->store().audit().Append(ctx.engine->Event(
                       "audit.export", ctx.practice_id, "", {{"records", static_cast<int64_t>(items.size())}}));
                   (void)incidents::OnSensitiveAccess(*ctx.engine, ctx.practice_id, incidents::AccessKind::kExport);
                   return JsonResponse(200, {{"items", items}, {"next", more ? json(std::to_string(last)) : json(nullptr)}});
                 }));
  router.Add(Api("GET", "/v1/practices/{practice}/audit/export", Permission::kAuditRead,
                 "export the practice's audit records (from, to, format=jsonl|fhir: a FHIR R4 AuditEvent Bundle; "
                 "after, limit; next page in X-Next-After)",
                 [](RequestContext& ctx) { return AuditExport(ctx, ctx.practice_id); }));
  router.Add(Api("GET", "/v1/audit/export", Permission::kAuditRead,
                 "export the whole audit log (installation admins; from, to, format=jsonl|fhir, after, limit)",
                 [](RequestContext& ctx) { return AuditExport(ctx, ""); }));
}

}  // namespace recall::server::internal
