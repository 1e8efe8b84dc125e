#include "campaigns/lint.h"

#include <algorithm>

namespace recall::campaigns {

namespace {

bool IsPortal(std::optional<templates::Channel> channel) {
  return channel.has_value() && *channel == templates::Channel::kPortal;
}

void AddScan(const scanner::Scanner& scanner, std::string_view text, const std::string& field,
             std::optional<templates::Channel> channel, std::optional<templates::Tier> tier,
             std::vector<LintFinding>* out) {
  for (const scanner::Finding& f : scanner.Scan(text)) {
    LintFinding lf;
    lf.category = f.category;
    lf.match = f.match;
    lf.start = f.start;
    lf.end = f.end;
    lf.severity = ClinicalSeverity(f.severity, channel, tier);
    lf.field = field;
    out->push_back(std::move(lf));
  }
}

}  // namespace

std::string ClinicalSeverity(scanner::Severity severity, std::optional<templates::Channel> channel,
                             std::optional<templates::Tier> tier) {
  if (severity == scanner::Severity::kWarn) return "warn";
  if (tier.has_value() && *tier == templates::Tier::kClinical && (!channel.has_value() || IsPortal(channel))) {
    return "warn";
  }
  return "block";
}

std::string VerdictOf(const std::vector<LintFinding>& findings) {
  std::string verdict = "ok";
  for (const auto& f : findings) {
    if (f.severity == "block") return "block";
    verdict = "warn";
  }
  return verdict;
}

LintReport Lint(const scanner::Scanner& scanner, std::string_view text, const LintOptions& options) {
  LintReport report;
  std::vector<LintFinding>& findings = report.findings;
  AddScan(scanner, text, "body", options.channel, options.tier, &findings);
  if (!options.subject.empty()) AddScan(scanner, options.subject, "subject", options.channel, options.tier, &findings);

  // The text must parse for the shape rules to apply; a rendered message has no tags and always does.
  if (Status parsed = templates::Parse(text).status(); !parsed.ok()) {
    findings.push_back({"template_syntax", "", 0, 0, "block", "template_syntax", parsed.message(), "body"});
  } else if (options.channel.has_value()) {
    const templates::Tier tier = options.tier.value_or(templates::Tier::kAdministrative);
    if (Status policy = templates::CheckTierPolicy(*options.channel, tier, text); !policy.ok()) {
      findings.push_back({"tier_policy", "", 0, 0, "block",
                          policy.code() == StatusCode::kPermissionDenied ? "tier3_not_portal" : "tier2_not_notice",
                          policy.message(), "body"});
    }
    templates::Template t;
    t.channel = *options.channel;
    t.tier = tier;
    t.subject = options.subject;
    t.body = std::string(text);
    templates::ElementCheckOptions eo;
    eo.practice_name = options.practice_name;
    eo.first_message_of_campaign = options.first_message_of_campaign;
    auto elements = templates::CheckRequiredElements(t, eo);
    if (!elements.ok()) {
      findings.push_back({"template_syntax", "", 0, 0, "block", "template_syntax", elements.status().message(),
                          "subject"});
    } else {
      for (const auto& e : *elements) {
        findings.push_back({e.category, "", 0, 0, e.severity, e.code, e.message, "body"});
      }
    }
  }
  std::stable_sort(findings.begin(), findings.end(), [](const LintFinding& a, const LintFinding& b) {
    return a.field != b.field ? a.field < b.field : a.start < b.start;
  });
  report.verdict = VerdictOf(findings);
  return report;
}

std::vector<LintFinding> ScanValues(const scanner::Scanner& scanner, const templates::Values& values,
                                    std::optional<templates::Channel> channel, std::optional<templates::Tier> tier,
                                    const std::vector<std::string>& phi_variables) {
  std::vector<LintFinding> out;
  for (const auto& [name, value] : values) {
    const size_t first = out.size();
    AddScan(scanner, value, "value:" + name, channel, tier, &out);
    if (std::find(phi_variables.begin(), phi_variables.end(), name) != phi_variables.end()) {
      for (size_t idx = first; idx < out.size(); ++idx) out[idx].match = "***";
    }
  }
  return out;
}

}  // namespace recall::campaigns
