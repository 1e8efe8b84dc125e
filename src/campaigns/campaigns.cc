#include "campaigns/campaigns.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <tuple>

#include "common/text.h"
#include "contact/contact.h"
#include "crypto/crypto.h"

namespace recall::campaigns {

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxStatementBytes = 4000;
constexpr int64_t kMaxDelayHours = 24 * 365;

bool HasControl(std::string_view s, bool allow_newline) {
  for (unsigned char c : s) {
    if (c == '\n' && allow_newline) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status CheckText(std::string_view value, std::string_view field, size_t max_bytes, bool allow_newline = false) {
  if (TrimAscii(value).empty()) return InvalidArgumentError(std::string(field) + " is required");
  if (value.size() > max_bytes) return InvalidArgumentError(std::string(field) + " is too long");
  if (!IsValidUtf8(value) || HasControl(value, allow_newline)) {
    return InvalidArgumentError(std::string(field) + " must be UTF-8 text without control characters");
  }
  return OkStatus();
}

Status CheckTemplateName(std::string_view name) {
  if (name.empty() || name.size() > 64) return InvalidArgumentError("template name must be 1-64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return InvalidArgumentError("template name may hold only letters, digits, '-', '_' and '.'");
  }
  if (name.starts_with("tpl_")) return InvalidArgumentError("template name may not start with 'tpl_' (ids do)");
  return OkStatus();
}

std::string Now(engine::Engine& engine) { return FormatRfc3339Millis(engine.clock().Now()); }

// "body diagnosis [24,27) 'HIV'": for the author; template text and practice
// fields are the practice's own wording, not PHI.
std::string Describe(const LintFinding& f) {
  std::string out = f.field + " " + f.category;
  if (f.end > f.start) out += " [" + std::to_string(f.start) + "," + std::to_string(f.end) + ") '" + f.match + "'";
  if (!f.code.empty() && f.code != f.category) out += " (" + f.code + ")";
  return out;
}

std::string DescribeAll(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

bool UsesPracticeName(const templates::Template& t) {
  for (std::string_view text : {std::string_view(t.body), std::string_view(t.subject)}) {
    auto parsed = templates::Parse(text);
    if (parsed.ok() && parsed->UsesVariable("practice_name")) return true;
  }
  return false;
}

// Authoring findings: the template as text plus the practice name as a value.
std::vector<LintFinding> AuthoringFindings(const scanner::Scanner& scanner, const templates::Template& t,
                                           const store::PracticeRow& practice, bool first_sms) {
  LintOptions opts;
  opts.channel = t.channel;
  opts.tier = t.tier;
  opts.subject = t.subject;
  opts.practice_name = practice.name;
  opts.first_message_of_campaign = first_sms;
  std::vector<LintFinding> findings = Lint(scanner, t.body, opts).findings;
  if (UsesPracticeName(t)) {
    auto values = ScanValues(scanner, {{"practice_name", practice.name}}, t.channel, t.tier);
    findings.insert(findings.end(), values.begin(), values.end());
  }
  return findings;
}

Status RefuseBlocking(const std::vector<LintFinding>& findings, const templates::Template& t) {
  std::vector<std::string> blocking;
  for (const auto& f : findings) {
    if (f.severity == "block") blocking.push_back(Describe(f));
  }
  if (blocking.empty()) return OkStatus();
  return InvalidArgumentError("the template fails the found phone test or a channel rule for a tier-" +
                              std::to_string(static_cast<int>(t.tier)) + " " +
                              std::string(templates::ChannelName(t.channel)) + " message: " + DescribeAll(blocking));
}

std::vector<LintFinding> NonBlocking(std::vector<LintFinding> findings) {
  std::erase_if(findings, [](const LintFinding& f) { return f.severity == "block"; });
  return findings;
}

audit::Details TemplateDetails(const store::TemplateRow& row, size_t warnings) {
  return {{"template_id", row.template_id},
          {"version", row.version},
          {"channel", row.channel},
          {"tier", row.tier},
          {"language", row.language},
          {"warnings", static_cast<int64_t>(warnings)}};
}

// --- schedule -------------------------------------------------------------

bool ParseHhMm(std::string_view s, int* minutes) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (size_t idx : {0u, 1u, 3u, 4u}) {
    if (s[idx] < '0' || s[idx] > '9') return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return false;
  *minutes = h * 60 + m;
  return true;
}

Status CheckStart(std::string_view start) {
  if (start.empty()) return OkStatus();
  int minutes = 0;
  if (start.size() != 16 || start[10] != 'T' || !ParseHhMm(start.substr(11), &minutes)) {
    return InvalidArgumentError("schedule start must be practice-local YYYY-MM-DDTHH:MM");
  }
  auto date = contact::ParseUsDate(start.substr(0, 10));
  if (!date.ok() || *date != start.substr(0, 10)) {
    return InvalidArgumentError("schedule start must be practice-local YYYY-MM-DDTHH:MM");
  }
  return OkStatus();
}

// "09:00-17:30" -> {"09:00", "17:30"}; "" -> {"", ""}.
StatusOr<std::pair<std::string, std::string>> ParseWindow(std::string_view window) {
  if (window.empty()) return std::pair<std::string, std::string>();
  int from = 0, to = 0;
  if (window.size() != 11 || window[5] != '-' || !ParseHhMm(window.substr(0, 5), &from) ||
      !ParseHhMm(window.substr(6), &to)) {
    return InvalidArgumentError("send window must be HH:MM-HH:MM");
  }
  // TCPA calling hours: 8 a.m. to 9 p.m. at the recipient's location.
  if (from >= to || from < 8 * 60 || to > 21 * 60) {
    return InvalidArgumentError("send window must lie within 08:00-21:00 (TCPA calling hours) and end after it starts");
  }
  return std::pair<std::string, std::string>(std::string(window.substr(0, 5)), std::string(window.substr(6)));
}

std::string WindowOf(const store::CampaignRow& c) {
  return c.schedule_window_start.empty() ? "" : c.schedule_window_start + "-" + c.schedule_window_end;
}

// --- steps ----------------------------------------------------------------

bool IsMessageChannel(std::string_view channel) {
  return std::find(std::begin(kMessageChannels), std::end(kMessageChannels), channel) != std::end(kMessageChannels);
}

constexpr size_t kMaxFallbacks = 2;

// The channel, fallback and condition of a step, without the store.
Status CheckStepShape(const StepInput& in) {
  if (in.channel != kCallList && !IsMessageChannel(in.channel)) {
    return InvalidArgumentError("channel '" + in.channel + "' must be one of email, sms, voice, rvm, call_list");
  }
  if (in.channel == kCallList && !in.fallback.empty()) {
    return InvalidArgumentError("a call_list step has no fallback channels");
  }
  if (in.fallback.size() > kMaxFallbacks) return InvalidArgumentError("a step has at most two fallback channels");
  for (size_t idx = 0; idx < in.fallback.size(); ++idx) {
    const std::string& f = in.fallback[idx];
    if (!IsMessageChannel(f)) {
      return InvalidArgumentError("fallback channel '" + f + "' must be one of email, sms, voice, rvm");
    }
    if (f == in.channel) return InvalidArgumentError("fallback channel " + f + " is the step's own channel");
    if (std::find(in.fallback.begin(), in.fallback.begin() + static_cast<std::ptrdiff_t>(idx), f) !=
        in.fallback.begin() + static_cast<std::ptrdiff_t>(idx)) {
      return InvalidArgumentError("fallback channel " + f + " is named twice");
    }
  }
  if (in.condition != store::kStepAlways && in.condition != store::kStepNoResponse) {
    return InvalidArgumentError("condition '" + in.condition + "' must be always or no_response");
  }
  if (in.channel == kCallList && !in.templates.empty()) {
    return InvalidArgumentError("a call_list step sends nothing and takes no template");
  }
  if (in.channel != kCallList && in.templates.empty()) return InvalidArgumentError("names no template");
  return OkStatus();
}

// The step's channel, then its fallbacks, in order of use.
std::vector<std::string> StepChannels(const store::CampaignStepRow& step) {
  std::vector<std::string> out;
  if (step.channel != kCallList) out.push_back(step.channel);
  out.insert(out.end(), step.fallback.begin(), step.fallback.end());
  return out;
}

std::string JoinChannels(const std::vector<std::string>& channels) {
  std::string out;
  for (const auto& c : channels) out += (out.empty() ? "" : ", ") + c;
  return out;
}

StatusOr<std::vector<store::CampaignStepRow>> ResolveSteps(engine::Engine& engine, const std::string& practice_id,
                                                           const std::vector<StepInput>& steps) {
  std::vector<store::CampaignStepRow> out;
  for (size_t step_idx = 0; step_idx < steps.size(); ++step_idx) {
    const StepInput& in = steps[step_idx];
    const std::string where = "step " + std::to_string(step_idx + 1) + ": ";
    if (Status shape = CheckStepShape(in); !shape.ok()) return InvalidArgumentError(where + shape.message());
    if (in.delay_hours < 0 || in.delay_hours > kMaxDelayHours) {
      return InvalidArgumentError(where + "delay must be 0-8760 hours");
    }
    if (step_idx == 0 && in.condition == store::kStepNoResponse) {
      return InvalidArgumentError(where + "the first step cannot be if=no_response: nobody has been contacted yet");
    }
    store::CampaignStepRow row;
    row.channel = in.channel;
    row.fallback = in.fallback;
    row.condition = in.condition;
    row.delay_hours = in.delay_hours;
    const std::vector<std::string> channels = StepChannels(row);
    for (const std::string& ref : in.templates) {
      std::string id = ref;
      int64_t version = 0;
      if (size_t at = ref.find('@'); at != std::string::npos) {
        id = ref.substr(0, at);
        const std::string_view v = std::string_view(ref).substr(at + 1);
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
        if (ec != std::errc() || ptr != v.data() + v.size() || version < 1) {
          return InvalidArgumentError(where + "template version must be a number >= 1 after '@'");
        }
      }
      auto t = engine.store().campaigns().GetTemplate(practice_id, id, version);
      if (!t.ok()) return t.status().WithContext(where + "template " + id);
      if (std::find(channels.begin(), channels.end(), t->channel) == channels.end()) {
        return InvalidArgumentError(where + "template " + t->template_id + " is for " + t->channel +
                                    ", not the step's " + (channels.size() == 1 ? "channel " : "channels ") +
                                    JoinChannels(channels));
      }
      for (const auto& v : row.variants) {
        if (v.channel == t->channel && v.language == t->language) {
          return InvalidArgumentError(where + "two " + t->channel + " templates for language " + t->language);
        }
      }
      row.variants.push_back({t->channel, t->language, t->template_id, t->version});
    }
    for (const std::string& channel : channels) {
      const bool covered = std::any_of(row.variants.begin(), row.variants.end(),
                                       [&](const store::StepVariantRow& v) { return v.channel == channel; });
      if (!covered) {
        return InvalidArgumentError(where + (channel == row.channel ? "channel " : "fallback channel ") + channel +
                                    " has no template");
      }
    }
    std::sort(row.variants.begin(), row.variants.end(), [](const auto& a, const auto& b) {
      return std::tie(a.channel, a.language) < std::tie(b.channel, b.language);
    });
    out.push_back(std::move(row));
  }
  return out;
}

Status CheckKindAndPurpose(std::string_view kind, std::string_view purpose) {
  static constexpr std::string_view kKinds[] = {"re-engagement", "recall", "review", "reminder",
                                                "consent_confirmation"};
  if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
    return InvalidArgumentError(
        "kind must be one of re-engagement, recall, review, reminder, consent_confirmation");
  }
  return templates::ParsePurpose(purpose).status();
}

std::string Field(std::string_view name, std::string_view value) {
  return std::string(name) + "=" + std::to_string(value.size()) + ":" + std::string(value) + "\n";
}

std::string Login(std::string_view actor) {
  const size_t colon = actor.find(':');
  return std::string(colon == std::string_view::npos ? actor : actor.substr(colon + 1));
}

// Lower-case ASCII letters and digits only: "Dana  Whitlock" == "dana.whitlock".
std::string NormalizePerson(std::string_view name) {
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u)) out.push_back(static_cast<char>(u < 0x80 ? std::tolower(u) : u));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Templates.

StatusOr<templates::Template> ToTemplate(const store::TemplateRow& row) {
  templates::Template t;
  ASSIGN_OR_RETURN(t.channel, templates::ParseChannel(row.channel));
  ASSIGN_OR_RETURN(t.tier, templates::TierFromNumber(static_cast<int>(row.tier)));
  ASSIGN_OR_RETURN(t.purpose, templates::ParsePurpose(row.purpose));
  ASSIGN_OR_RETURN(t.language, templates::NormalizeLanguageTag(row.language));
  if (row.version < 1 || row.version > UINT32_MAX) return InvalidArgumentError("template version out of range");
  t.version = static_cast<uint32_t>(row.version);
  t.subject = row.subject;
  t.body = row.body;
  return t;
}

StatusOr<AuthoringResult> AddTemplate(engine::Engine& engine, const scanner::Scanner& scanner,
                                      const TemplateInput& in) {
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(in.practice_id));
  RETURN_IF_ERROR(CheckTemplateName(in.name));
  templates::Template t;
  ASSIGN_OR_RETURN(t.channel, templates::ParseChannel(in.channel));
  ASSIGN_OR_RETURN(t.tier, templates::TierFromNumber(in.tier));
  ASSIGN_OR_RETURN(t.purpose, templates::ParsePurpose(in.purpose));
  auto language = templates::NormalizeLanguageTag(in.language);
  if (!language.ok()) return language.status().WithContext("language");
  t.language = *language;
  t.version = 1;
  t.subject = in.subject;
  t.body = in.body;
  RETURN_IF_ERROR(templates::ValidateTemplate(t));
  std::vector<LintFinding> findings = AuthoringFindings(scanner, t, practice, /*first_sms=*/true);
  RETURN_IF_ERROR(RefuseBlocking(findings, t));

  AuthoringResult result;
  store::TemplateRow& row = result.row;
  row.practice_id = in.practice_id;
  ASSIGN_OR_RETURN(row.template_id, engine.random().NewId("tpl"));
  row.version = 1;
  row.name = in.name;
  row.channel = std::string(templates::ChannelName(t.channel));
  row.tier = static_cast<int64_t>(t.tier);
  row.purpose = std::string(templates::PurposeName(t.purpose));
  row.language = t.language;
  row.subject = t.subject;
  row.body = t.body;
  row.author = engine.actor();
  row.created_at = Now(engine);
  result.findings = NonBlocking(std::move(findings));
  RETURN_IF_ERROR(engine.store().campaigns().CreateTemplate(
      row, engine.Event("template.add", row.practice_id, row.template_id, TemplateDetails(row, result.findings.size()))));
  return result;
}

StatusOr<AuthoringResult> EditTemplate(engine::Engine& engine, const scanner::Scanner& scanner,
                                       const std::string& practice_id, const std::string& template_id_or_name,
                                       std::optional<std::string> subject, std::optional<std::string> body) {
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  ASSIGN_OR_RETURN(store::TemplateRow latest,
                   engine.store().campaigns().GetTemplate(practice_id, template_id_or_name, 0));
  if (!subject.has_value() && !body.has_value()) return InvalidArgumentError("nothing to change: give a body or subject");
  ASSIGN_OR_RETURN(templates::Template t, ToTemplate(latest));
  t.version += 1;
  if (subject.has_value()) t.subject = *subject;
  if (body.has_value()) t.body = *body;
  RETURN_IF_ERROR(templates::ValidateTemplate(t));
  std::vector<LintFinding> findings = AuthoringFindings(scanner, t, practice, /*first_sms=*/true);
  RETURN_IF_ERROR(RefuseBlocking(findings, t));

  AuthoringResult result;
  result.row = latest;
  result.row.version = t.version;
  result.row.subject = t.subject;
  result.row.body = t.body;
  result.row.author = engine.actor();
  result.row.created_at = Now(engine);
  result.findings = NonBlocking(std::move(findings));
  ASSIGN_OR_RETURN(result.reverted_campaigns,
                   engine.store().campaigns().AddTemplateVersion(
                       result.row, engine.Event("template.edit", practice_id, result.row.template_id,
                                                TemplateDetails(result.row, result.findings.size()))));
  return result;
}

// ---------------------------------------------------------------------------
// Steps.

StatusOr<StepInput> ParseStepSpec(std::string_view spec) {
  static constexpr char kSyntax[] =
      "a step is CHANNEL[>FALLBACK[>FALLBACK]]:DELAY_HOURS:TEMPLATE[,TEMPLATE...][:if=no_response], e.g. "
      "sms>email:0:recall-sms-en,recall-email-en or call_list:168";
  std::vector<std::string_view> parts;
  for (std::string_view rest = spec;;) {
    const size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  if (parts.size() < 2 || parts.size() > 4) return InvalidArgumentError(std::string(kSyntax));
  StepInput step;
  // Channels: "sms>email>voice".
  std::vector<std::string> channels;
  for (std::string_view rest = parts[0];;) {
    const size_t gt = rest.find('>');
    channels.emplace_back(TrimAscii(rest.substr(0, gt)));
    if (gt == std::string_view::npos) break;
    rest = rest.substr(gt + 1);
  }
  for (const auto& c : channels) {
    if (c.empty()) return InvalidArgumentError("a step names an empty channel; " + std::string(kSyntax));
  }
  step.channel = channels.front();
  step.fallback.assign(channels.begin() + 1, channels.end());

  const std::string_view delay = TrimAscii(parts[1]);
  auto [ptr, ec] = std::from_chars(delay.data(), delay.data() + delay.size(), step.delay_hours);
  if (delay.empty() || ec != std::errc() || ptr != delay.data() + delay.size()) {
    return InvalidArgumentError("a step's delay must be whole hours, e.g. sms:72:recall-sms-en");
  }
  if (parts.size() >= 3) {
    for (std::string_view rest = parts[2];;) {
      const size_t comma = rest.find(',');
      const std::string_view ref = TrimAscii(rest.substr(0, comma));
      if (!ref.empty()) step.templates.emplace_back(ref);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  if (parts.size() == 4) {
    const std::string_view condition = TrimAscii(parts[3]);
    if (!condition.starts_with("if=")) {
      return InvalidArgumentError("a step's fourth part is a condition, if=no_response or if=always");
    }
    step.condition = std::string(condition.substr(3));
  }
  if (step.channel != kCallList && step.templates.empty()) {
    return InvalidArgumentError("a " + step.channel + " step names at least one template; " + kSyntax);
  }
  RETURN_IF_ERROR(CheckStepShape(step));
  return step;
}

// ---------------------------------------------------------------------------
// Campaigns.

StatusOr<store::CampaignRow> CreateCampaign(engine::Engine& engine, const CampaignInput& in) {
  RETURN_IF_ERROR(engine.store().practices().Get(in.practice_id).status());
  RETURN_IF_ERROR(CheckText(in.name, "campaign name", kMaxNameBytes));
  RETURN_IF_ERROR(CheckKindAndPurpose(in.kind, in.purpose));
  ASSIGN_OR_RETURN(Segment segment, ParseSegment(in.segment_json));
  RETURN_IF_ERROR(CheckStart(in.start));
  ASSIGN_OR_RETURN(auto window, ParseWindow(in.window));
  store::CampaignRow row;
  row.practice_id = in.practice_id;
  ASSIGN_OR_RETURN(row.steps, ResolveSteps(engine, in.practice_id, in.steps));
  ASSIGN_OR_RETURN(row.campaign_id, engine.random().NewId("cmp"));
  row.name = std::string(TrimAscii(in.name));
  row.kind = in.kind;
  row.purpose = in.purpose;
  row.segment_json = CanonicalSegment(segment);
  row.schedule_start = in.start;
  row.schedule_window_start = window.first;
  row.schedule_window_end = window.second;
  row.state = std::string(kDraft);
  row.author = engine.actor();
  row.revision = 1;
  row.created_at = row.updated_at = Now(engine);
  RETURN_IF_ERROR(engine.store().campaigns().CreateCampaign(
      row, engine.Event("campaign.create", row.practice_id, row.campaign_id,
                        {{"kind", row.kind},
                         {"purpose", row.purpose},
                         {"steps", static_cast<int64_t>(row.steps.size())}})));
  return row;
}

StatusOr<store::CampaignRow> EditCampaign(engine::Engine& engine, const std::string& practice_id,
                                          const std::string& campaign_id, const CampaignEdit& edit) {
  ASSIGN_OR_RETURN(store::CampaignRow row, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  const std::string from_state = row.state;
  const int64_t revision = row.revision;
  if (edit.name.has_value()) {
    RETURN_IF_ERROR(CheckText(*edit.name, "campaign name", kMaxNameBytes));
    row.name = std::string(TrimAscii(*edit.name));
  }
  if (edit.segment_json.has_value()) {
    ASSIGN_OR_RETURN(Segment segment, ParseSegment(*edit.segment_json));
    row.segment_json = CanonicalSegment(segment);
  }
  if (edit.start.has_value()) {
    RETURN_IF_ERROR(CheckStart(*edit.start));
    row.schedule_start = *edit.start;
  }
  if (edit.window.has_value()) {
    ASSIGN_OR_RETURN(auto window, ParseWindow(*edit.window));
    row.schedule_window_start = window.first;
    row.schedule_window_end = window.second;
  }
  if (edit.steps.has_value()) {
    ASSIGN_OR_RETURN(row.steps, ResolveSteps(engine, practice_id, *edit.steps));
  }
  row.updated_at = Now(engine);
  const bool reverts = from_state != kDraft;
  audit::Details details = {{"revision", revision + 1}};
  if (reverts) {
    details["from_state"] = from_state;
    details["reason"] = std::string("definition_changed");
  }
  return engine.store().campaigns().UpdateCampaign(
      row, revision,
      engine.Event(reverts ? "campaign.revert_to_draft" : "campaign.edit", practice_id, campaign_id, details));
}

StatusOr<std::string> ApprovalEncoding(engine::Engine& engine, const store::CampaignRow& c) {
  std::string out = "recall-campaign-approval-v2\n";
  out += Field("practice_id", c.practice_id);
  out += Field("campaign_id", c.campaign_id);
  out += Field("kind", c.kind);
  out += Field("purpose", c.purpose);
  out += Field("segment", c.segment_json);
  out += Field("schedule_start", c.schedule_start);
  out += Field("schedule_window", WindowOf(c));
  out += Field("steps", std::to_string(c.steps.size()));
  for (size_t step_idx = 0; step_idx < c.steps.size(); ++step_idx) {
    const store::CampaignStepRow& step = c.steps[step_idx];
    out += Field("step", std::to_string(step_idx + 1));
    out += Field("channel", step.channel);
    out += Field("delay_hours", std::to_string(step.delay_hours));
    // Channel names hold no comma, so the joined list is unambiguous.
    std::string fallback;
    for (const std::string& f : step.fallback) fallback += (fallback.empty() ? "" : ",") + f;
    out += Field("fallback", fallback);
    out += Field("condition", step.condition);
    out += Field("variants", std::to_string(step.variants.size()));
    for (const store::StepVariantRow& v : step.variants) {
      ASSIGN_OR_RETURN(store::TemplateRow row,
                       engine.store().campaigns().GetTemplate(c.practice_id, v.template_id, v.template_version));
      if (row.template_id != v.template_id || row.version != v.template_version) {
        return NotFoundError("template " + v.template_id + " version " + std::to_string(v.template_version));
      }
      ASSIGN_OR_RETURN(templates::Template t, ToTemplate(row));
      ASSIGN_OR_RETURN(std::string canonical, templates::SerializeCanonical(t));
      out += Field("channel", v.channel);
      out += Field("language", v.language);
      out += Field("template_id", v.template_id);
      out += Field("template", canonical);
    }
  }
  return out;
}

StatusOr<std::string> ContentHash(engine::Engine& engine, const store::CampaignRow& campaign) {
  ASSIGN_OR_RETURN(std::string encoding, ApprovalEncoding(engine, campaign));
  return HexEncode(crypto::Sha256(encoding));
}

StatusOr<SubmitResult> Submit(engine::Engine& engine, const scanner::Scanner& scanner, const std::string& practice_id,
                              const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  ASSIGN_OR_RETURN(store::CampaignRow c, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (c.state != kDraft) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + c.state + "; only a draft can be submitted");
  }
  SubmitResult result;
  std::vector<std::string> problems;
  if (c.steps.empty()) problems.push_back("no steps");
  if (c.schedule_start.empty()) problems.push_back("no schedule start (--start)");
  if (c.schedule_window_start.empty()) problems.push_back("no send window (--window)");
  // Every message channel of every step covers the same languages as the
  // first one: a patient is never left without a message in their language.
  std::optional<std::set<std::string>> first_languages;
  std::string first_where;
  bool sms_seen = false;
  const bool consent_confirmation = c.kind == "consent_confirmation";
  if (consent_confirmation && (c.steps.empty() || c.steps[0].channel != "email")) {
    problems.push_back("a consent_confirmation campaign's first step must be email (with {{consent_link}})");
  }
  for (size_t step_idx = 0; step_idx < c.steps.size(); ++step_idx) {
    const store::CampaignStepRow& step = c.steps[step_idx];
    const std::string where = "step " + std::to_string(step_idx + 1);
    const std::vector<std::string> channels = StepChannels(step);
    if (step.channel == kCallList && !step.variants.empty()) {
      problems.push_back(where + " is a call_list with templates");
    }
    if (step.channel != kCallList && !IsMessageChannel(step.channel)) {
      problems.push_back(where + " has channel " + step.channel + ", not a message channel or call_list");
    }
    for (const std::string& channel : channels) {
      const std::string at_channel = where + " " + channel;
      std::set<std::string> languages;
      for (const auto& v : step.variants) {
        if (v.channel == channel) languages.insert(v.language);
      }
      if (languages.empty()) {
        problems.push_back(at_channel + " has no template");
      } else if (!first_languages.has_value()) {
        first_languages = languages;
        first_where = at_channel;
      } else if (languages != *first_languages) {
        problems.push_back(at_channel + " covers other languages than " + first_where);
      }
    }
    // The first SMS template set of the campaign carries the opt-out, whether
    // it is a step's channel or a fallback.
    std::string first_sms_channel;
    if (!sms_seen && std::find(channels.begin(), channels.end(), "sms") != channels.end()) {
      first_sms_channel = "sms";
      sms_seen = true;
    }
    for (const auto& v : step.variants) {
      const std::string at = where + " " + v.channel + " (" + v.language + ")";
      if (std::find(channels.begin(), channels.end(), v.channel) == channels.end()) {
        problems.push_back(at + ": not one of the step's channels");
      }
      auto row = engine.store().campaigns().GetTemplate(practice_id, v.template_id, v.template_version);
      if (!row.ok()) {
        problems.push_back(at + ": template missing");
        continue;
      }
      auto t = ToTemplate(*row);
      if (!t.ok()) {
        problems.push_back(at + ": " + t.status().message());
        continue;
      }
      if (row->channel != v.channel) problems.push_back(at + ": template is for " + row->channel);
      if (row->purpose != c.purpose) problems.push_back(at + ": template purpose is " + row->purpose);
      if (Status valid = templates::ValidateTemplate(*t); !valid.ok()) {
        problems.push_back(at + ": " + valid.message());
        continue;
      }
      if (consent_confirmation && step_idx == 0 && v.channel == "email") {
        auto body = templates::Parse(t->body);
        if (!body.ok() || !body->UsesVariable("consent_link")) {
          problems.push_back(at + ": a consent_confirmation email must use {{consent_link}}");
        }
      }
      const bool first_sms = v.channel == first_sms_channel;
      for (const LintFinding& f : AuthoringFindings(scanner, *t, practice, first_sms)) {
        // At submit the position of each message is known, so a missing
        // required element is no longer advice.
        const bool element = f.category == "required_element" || f.category == "length";
        if (f.severity == "block" || element) {
          problems.push_back(at + ": " + Describe(f));
        } else {
          LintFinding w = f;
          w.field = at + " " + f.field;
          result.warnings.push_back(std::move(w));
        }
      }
    }
  }
  if (!problems.empty()) {
    return FailedPreconditionError("campaign " + campaign_id + " is not ready to submit: " + DescribeAll(problems));
  }
  ASSIGN_OR_RETURN(result.content_sha256, ContentHash(engine, c));
  RETURN_IF_ERROR(engine.store().campaigns().SetState(
      practice_id, campaign_id, std::string(kDraft), std::string(kSubmitted), c.revision,
      engine.Event("campaign.submit", practice_id, campaign_id,
                   {{"content_sha256", result.content_sha256}, {"revision", c.revision}})));
  ASSIGN_OR_RETURN(result.campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  return result;
}

StatusOr<store::ApprovalRow> Approve(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& campaign_id, const Signoff& signoff) {
  RETURN_IF_ERROR(CheckText(signoff.name, "signer name (--by)", kMaxNameBytes));
  RETURN_IF_ERROR(CheckText(signoff.title, "signer title (--title)", kMaxNameBytes));
  RETURN_IF_ERROR(CheckText(signoff.statement, "signed statement (--statement)", kMaxStatementBytes, true));
  ASSIGN_OR_RETURN(store::CampaignRow c, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (c.state != kSubmitted) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + c.state +
                                   "; only a submitted campaign can be approved");
  }
  // The business associate drafts, the practice approves: never the same person.
  if (engine.actor() == c.author) {
    return PermissionDeniedError("the campaign's author cannot record its approval; the practice's approver must");
  }
  const std::string signer = NormalizePerson(signoff.name);
  if (signer.empty() || signer == NormalizePerson(Login(c.author))) {
    return PermissionDeniedError("the signer is the campaign's author; approval must come from another person");
  }
  ASSIGN_OR_RETURN(std::string hash, ContentHash(engine, c));
  if (!signoff.expected_sha256.empty() && !crypto::ConstantTimeEquals(AsciiLower(signoff.expected_sha256), hash)) {
    return FailedPreconditionError("the campaign's content hash is not the one given; preview it again");
  }
  store::ApprovalRow row;
  row.practice_id = practice_id;
  row.campaign_id = campaign_id;
  ASSIGN_OR_RETURN(row.approval_id, engine.random().NewId("apr"));
  row.revision = c.revision;
  row.signer_name = std::string(TrimAscii(signoff.name));
  row.signer_title = std::string(TrimAscii(signoff.title));
  row.statement = signoff.statement;
  row.content_sha256 = hash;
  row.actor = engine.actor();
  row.approved_at = Now(engine);
  RETURN_IF_ERROR(engine.store().campaigns().RecordApproval(
      row, engine.Event("campaign.approve", practice_id, campaign_id,
                        {{"approval_id", row.approval_id},
                         {"content_sha256", hash},
                         {"revision", row.revision},
                         {"statement_sha256", HexEncode(crypto::Sha256(row.statement))}})));
  return row;
}

Status CheckDispatchable(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::CampaignRow c, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (c.state != kApproved && c.state != kScheduled && c.state != kRunning) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + c.state + ", not approved");
  }
  if (c.approved_hash.empty()) return FailedPreconditionError("campaign " + campaign_id + " has no approved hash");
  ASSIGN_OR_RETURN(auto approvals, engine.store().campaigns().ListApprovals(practice_id, campaign_id));
  const bool signed_off = std::any_of(approvals.begin(), approvals.end(), [&](const store::ApprovalRow& a) {
    return a.revision == c.revision && a.content_sha256 == c.approved_hash;
  });
  if (!signed_off) {
    return FailedPreconditionError("campaign " + campaign_id + " has no written approval of its approved hash");
  }
  auto hash = ContentHash(engine, c);
  if (!hash.ok()) {
    return FailedPreconditionError("campaign " + campaign_id + " content cannot be recomputed: " +
                                   hash.status().message());
  }
  if (!crypto::ConstantTimeEquals(*hash, c.approved_hash)) {
    return FailedPreconditionError("campaign " + campaign_id + " content differs from what the practice approved");
  }
  return OkStatus();
}

Status Advance(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id,
               std::string_view to_state) {
  ASSIGN_OR_RETURN(store::CampaignRow c, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  const bool allowed = (c.state == kApproved && to_state == kScheduled) ||
                       (c.state == kScheduled && to_state == kRunning) ||
                       (c.state == kRunning && to_state == kCompleted);
  if (!allowed) {
    return FailedPreconditionError("campaign " + campaign_id + " cannot move from " + c.state + " to " +
                                   std::string(to_state));
  }
  if (to_state != kCompleted) RETURN_IF_ERROR(CheckDispatchable(engine, practice_id, campaign_id));
  return engine.store().campaigns().SetState(
      practice_id, campaign_id, c.state, std::string(to_state), c.revision,
      engine.Event("campaign.advance", practice_id, campaign_id, {{"from_state", c.state}, {"to_state", std::string(to_state)}}));
}

}  // namespace recall::campaigns
