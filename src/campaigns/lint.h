#pragma once
// Lint: one verdict for a piece of outreach text, composed from the
// clinical-content scanner (src/scanner/), the channel's required elements and
// the tier policy (src/templates/). `recall lint` and template authoring both
// use it, and preview uses ScanValues on every rendered value.
//
// Severity of a clinical finding depends on where the text may go:
//   - tier 1 or 2, or no tier given: the scanner's severity (clear clinical
//     content is "block");
//   - tier 3 on portal (or tier 3 with no channel): "warn" — clinical content
//     is what the portal is for, so the finding is shown, not refused;
//   - tier 3 on any other channel: a "tier_policy" block finding (tier 3 is
//     portal only) and the scanner's severity for the rest.
// A missing per-channel element (opt-out line, postal address, ...) is a
// "warn" finding of category "required_element", because a single text may be
// a later message of a campaign; a deceptive email subject is "block".
//
// Findings quote the input (`match`), so they are for the author's eyes and
// never for logs. Pure over its inputs; thread-safe when the Scanner is.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanner/scanner.h"
#include "templates/templates.h"

namespace recall::campaigns {

struct LintFinding {
  std::string category;  // scanner categories, "required_element", "deceptive_subject",
                         // "length", "tier_policy", "template_syntax"
  std::string match;     // the matched bytes ("" for element findings)
  size_t start = 0;      // byte offsets into the text (0, 0 for element findings)
  size_t end = 0;
  std::string severity;  // "warn" | "block"
  std::string code;      // stable code for non-scanner findings, e.g. "sms_missing_opt_out"
  std::string message;   // for the author; never PHI
  std::string field;     // "body" (default), "subject", or "value:<variable>" for ScanValues
};

struct LintOptions {
  std::optional<templates::Channel> channel;  // unset: no channel rules
  std::optional<templates::Tier> tier;        // unset: treated as tiers 1/2 for clinical content
  std::string subject;                        // email subject, when known
  std::string practice_name;                  // counts as practice identity when written literally
  bool first_message_of_campaign = true;      // SMS opt-out requirement
};

struct LintReport {
  std::string verdict;  // "ok" | "warn" | "block"
  std::vector<LintFinding> findings;
};

// The severity a scanner finding gets on this channel and tier (see above).
std::string ClinicalSeverity(scanner::Severity severity, std::optional<templates::Channel> channel,
                             std::optional<templates::Tier> tier);

// Lints `text` (a template body or a rendered message). Never fails: text that
// does not parse as a template (e.g. a stray "{{") is a "template_syntax"
// block finding, and the scanner fails closed.
LintReport Lint(const scanner::Scanner& scanner, std::string_view text, const LintOptions& options);

// Scans rendered values on their own (practice_name, provider_name, ...): a
// practice called "Downtown HIV Clinic" is a finding wherever it is inserted.
// Findings carry field "value:<variable>" and offsets into the value. Values of
// variables in `phi_variables` (e.g. first_name) have their match replaced by
// "***".
std::vector<LintFinding> ScanValues(const scanner::Scanner& scanner, const templates::Values& values,
                                    std::optional<templates::Channel> channel, std::optional<templates::Tier> tier,
                                    const std::vector<std::string>& phi_variables = {"first_name"});

// "block" if any finding blocks, else "warn" if any, else "ok".
std::string VerdictOf(const std::vector<LintFinding>& findings);

}  // namespace recall::campaigns
