#pragma once
// Campaigns: the template registry, the campaign workflow and the practice's
// written approval. Nothing is sent that the practice has not approved, word
// for word.
//
// Templates. A template is authored once per (channel, language) and is
// versioned: AddTemplate stores version 1, EditTemplate stores the next
// version. Authoring runs templates::ValidateTemplate (syntax, allow-listed
// variables, tier policy), the clinical-content scanner (block findings are
// refused on tiers 1 and 2) and the channel's required elements (returned as
// warnings). A template that uses {{practice_name}} has the practice's name
// scanned too: "Downtown HIV Clinic" fails the found phone test wherever it is
// inserted.
//
// Workflow. draft -> submitted -> approved -> scheduled -> running ->
// completed (-> purged, a later issue). Submit checks that the campaign is
// complete and sendable (see Submit). Approve records a written sign-off
// (name, title, statement, SHA-256 of the exact content: docs/approval-hash.md)
// by someone other than the author. Any change afterwards — a definition edit
// or a new version of a template the campaign uses — returns the campaign to
// draft in the same transaction (store/campaign_store.h), and
// CheckDispatchable, which the dispatcher calls before every message, refuses
// a campaign whose recomputed content hash differs from the approved one.
//
// Gap (until users and roles arrive with `recall serve`): the author is the
// engine's actor at create ("cli:alice"); the approver is named by the
// sign-off. Approve refuses a signer whose normalized name equals the author's
// login, and an approval recorded by the author's own actor, but it cannot yet
// check that the signer holds the practice's approver role.
//
// Every change is audited (template.add, template.edit, campaign.create,
// campaign.edit, campaign.revert_to_draft, campaign.submit, campaign.approve,
// campaign.advance); audit details carry ids, states and hashes only.
//
// Thread-safety: free functions over an Engine (itself thread-safe); the
// store's revision checks make concurrent edits fail cleanly
// (FailedPrecondition) instead of interleaving.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "campaigns/lint.h"
#include "common/status.h"
#include "engine/engine.h"
#include "scanner/scanner.h"
#include "store/campaign_store.h"
#include "templates/templates.h"

namespace recall::campaigns {

// ---------------------------------------------------------------------------
// Templates.

struct TemplateInput {
  std::string practice_id;
  std::string name;      // unique per practice; letters, digits, '-', '_', '.'
  std::string channel;   // "sms" | "email" | "voice" | "rvm" | "portal"
  int tier = 1;          // 1 | 2 | 3
  std::string purpose;   // "care" | "outreach"
  std::string language;  // BCP-47
  std::string subject;   // email only
  std::string body;
};

struct AuthoringResult {
  store::TemplateRow row;
  std::vector<LintFinding> findings;            // warnings that did not block authoring
  std::vector<std::string> reverted_campaigns;  // EditTemplate: campaigns returned to draft
};

// Converts a stored row to the pure template type. InvalidArgument when a
// stored field does not parse (a corrupt or hand-edited row).
StatusOr<templates::Template> ToTemplate(const store::TemplateRow& row);

// Validates, scans and stores version 1. Fails with:
//   InvalidArgument    syntax, unknown variable, bad language, missing subject,
//                      or clinical content on tier 1/2 (the message lists
//                      each finding's field, category and byte span), or a
//                      deceptive email subject;
//   PermissionDenied   tier 3 on a channel other than portal;
//   AlreadyExists      the name is taken; NotFound: unknown practice.
StatusOr<AuthoringResult> AddTemplate(engine::Engine& engine, const scanner::Scanner& scanner,
                                      const TemplateInput& input);

// Stores the next version of a template with a new subject and/or body
// (channel, tier, purpose and language are kept). Campaigns using it follow
// the new version and return to draft. Errors as AddTemplate, plus NotFound.
StatusOr<AuthoringResult> EditTemplate(engine::Engine& engine, const scanner::Scanner& scanner,
                                       const std::string& practice_id, const std::string& template_id_or_name,
                                       std::optional<std::string> subject, std::optional<std::string> body);

// ---------------------------------------------------------------------------
// Segments: which patients a campaign is for, over minimum-necessary fields.
//
// JSON object with optional keys (any other key is InvalidArgument):
//   "status":            "active" | "inactive" | "lapsed", or an array of them
//   "language":          a BCP-47 tag or an array (matched by primary subtag
//                        when the filter tag has none: "es" matches "es-MX")
//   "provider":          a provider name or an array (exact, case-insensitive)
//   "last_visit_before": "YYYY-MM-DD" (exclusive; patients without a last
//                        visit do not match)
//   "last_visit_after":  "YYYY-MM-DD" (exclusive)
//   "has_channel":       "sms" | "email" | "phone", or an array (any of): the
//                        patient has a contact that could carry it (a mobile
//                        line for sms; consent is checked by the planner)
// {} selects every patient.
struct Segment {
  std::vector<std::string> status;    // sorted, unique
  std::vector<std::string> language;  // canonical tags, sorted, unique
  std::vector<std::string> provider;  // as given (trimmed), sorted, unique
  std::string last_visit_before;
  std::string last_visit_after;
  std::vector<std::string> has_channel;  // sorted, unique
};
StatusOr<Segment> ParseSegment(std::string_view json);
// Canonical JSON: keys sorted bytewise, no whitespace, arrays sorted, absent
// keys omitted, strings as UTF-8 with only the escapes JSON requires.
std::string CanonicalSegment(const Segment& segment);
bool SegmentMatches(const Segment& segment, const store::PatientRow& patient);

// ---------------------------------------------------------------------------
// Campaigns.

inline constexpr std::string_view kDraft = "draft";
inline constexpr std::string_view kSubmitted = "submitted";
inline constexpr std::string_view kApproved = "approved";
inline constexpr std::string_view kScheduled = "scheduled";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kCompleted = "completed";

// Message channels a step may use, as its channel or as a fallback.
inline constexpr std::string_view kMessageChannels[] = {"email", "sms", "voice", "rvm"};
// A step that sends nothing: its patients are listed for practice staff to phone.
inline constexpr std::string_view kCallList = "call_list";

struct StepInput {
  // "email" | "sms" | "voice" | "rvm" | "call_list".
  std::string channel;
  int64_t delay_hours = 0;  // 0 .. 8760, after the previous step
  // Template ids or names, each optionally pinned as "name@3"; unpinned means
  // the latest version. One per (channel, language): the step's channel and
  // each fallback need their own templates. None for call_list.
  std::vector<std::string> templates;
  // At most two message channels, tried in order when the patient cannot be
  // reached on `channel`; distinct and not `channel`. None for call_list.
  std::vector<std::string> fallback;
  // store::kStepAlways, or store::kStepNoResponse: only patients who have not
  // responded since the campaign started (not allowed on the first step).
  std::string condition = store::kStepAlways;
};
// Parses one --step:
//
//   CHANNEL[>FALLBACK[>FALLBACK]]:DELAY_HOURS:TEMPLATE[,TEMPLATE...][:if=no_response]
//
//   "sms:0:recall-sms-en,recall-sms-es"
//   "sms>email:0:recall-sms-en,recall-email-en"   (email when SMS cannot reach)
//   "rvm:72:recall-rvm-en:if=no_response"         (only those who did not respond)
//   "call_list:168"  or  "call_list:168::if=no_response"   (no templates)
//
// CHANNEL is a message channel (email, sms, voice, rvm) or call_list; each
// FALLBACK is a message channel, distinct, other than CHANNEL. "if=always" is
// the default. Templates are resolved (and matched to channels) later, by
// CreateCampaign / EditCampaign. InvalidArgument naming what is wrong.
StatusOr<StepInput> ParseStepSpec(std::string_view spec);

struct CampaignInput {
  std::string practice_id;
  std::string name;
  std::string kind;     // "re-engagement" | "recall" | "review" | "reminder" | "consent_confirmation"
  std::string purpose;  // "care" | "outreach"
  std::string segment_json = "{}";
  std::vector<StepInput> steps;
  std::string start;   // practice-local "YYYY-MM-DDTHH:MM"; may be empty in a draft
  std::string window;  // "HH:MM-HH:MM" within 08:00-21:00 (TCPA calling hours); may be empty
};

// Creates a draft, author = engine.actor(). InvalidArgument for a bad field;
// NotFound for an unknown practice or template.
StatusOr<store::CampaignRow> CreateCampaign(engine::Engine& engine, const CampaignInput& input);

struct CampaignEdit {
  std::optional<std::string> name, segment_json, start, window;
  std::optional<std::vector<StepInput>> steps;
};
// Changes the definition; a campaign past draft returns to draft (audited as
// campaign.revert_to_draft). FailedPrecondition for a completed campaign or a
// concurrent change; errors as CreateCampaign.
StatusOr<store::CampaignRow> EditCampaign(engine::Engine& engine, const std::string& practice_id,
                                          const std::string& campaign_id, const CampaignEdit& edit);

// The approval hash's input for the campaign as stored (docs/approval-hash.md),
// and its SHA-256 in hex. NotFound when a referenced template version is gone.
StatusOr<std::string> ApprovalEncoding(engine::Engine& engine, const store::CampaignRow& campaign);
StatusOr<std::string> ContentHash(engine::Engine& engine, const store::CampaignRow& campaign);

struct SubmitResult {
  store::CampaignRow campaign;
  std::string content_sha256;
  std::vector<LintFinding> warnings;  // warn findings the approver should see
};
// draft -> submitted. FailedPrecondition listing every problem when the
// campaign is not sendable: no steps; a message channel of a step (its
// channel or a fallback) without templates, or a template of another channel
// or purpose; message channels covering different language sets (every
// channel of every step must cover the same languages; call_list steps have
// none); a template that fails validation, has block findings or misses a
// required element (SMS opt-out on the first SMS template set of the
// campaign, whether a step's channel or a fallback); a consent_confirmation
// campaign whose first step is not email or whose email templates do not use
// {{consent_link}}; the practice name failing the scanner; no schedule.
// A campaign of call_list steps only is sendable. FailedPrecondition also
// when the campaign is not a draft.
StatusOr<SubmitResult> Submit(engine::Engine& engine, const scanner::Scanner& scanner, const std::string& practice_id,
                              const std::string& campaign_id);

struct Signoff {
  std::string name;       // the practice user who signs
  std::string title;      // e.g. "Office Manager"
  std::string statement;  // the text they signed
  std::string expected_sha256;  // optional: refuse unless the content hash is this
};
// submitted -> approved, recording the sign-off and the content hash.
//   PermissionDenied    the signer is the campaign's author (by name or actor);
//   InvalidArgument     an empty or over-long name, title or statement;
//   FailedPrecondition  not submitted; changed since; expected_sha256 differs.
StatusOr<store::ApprovalRow> Approve(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& campaign_id, const Signoff& signoff);

// approved -> scheduled -> running -> completed (one step at a time), for the
// scheduler and dispatcher. Moving to scheduled or running runs
// CheckDispatchable first. FailedPrecondition for any other move.
Status Advance(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id,
               std::string_view to_state);

// OK when the campaign is approved, scheduled or running AND the SHA-256 of its
// content, recomputed now from the stored templates, equals the approved hash
// AND a written approval of that hash is recorded for the campaign's current
// revision. FailedPrecondition otherwise: the dispatcher refuses the message
// and never retries it as is. NotFound.
Status CheckDispatchable(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id);

}  // namespace recall::campaigns
