#pragma once
// CampaignStore: message templates (versioned), campaigns and their written
// approvals. See store/store.h for the rules every sub-store keeps (practice
// scoping, change + audit in one transaction, thread-safety).
//
// Templates are the practice's own wording, not PHI, and are stored as text.
// A template version is immutable: an edit is a new version. Campaigns
// reference templates by (template id, version).
//
// The store keeps one safety invariant itself, so that no caller can forget it:
// a change to what a campaign would send returns the campaign to draft and
// clears its approved hash, in the same transaction as the change. That covers
// a definition edit (UpdateCampaign) and a new version of a template it uses
// (AddTemplateVersion). Completed and purged campaigns are history: they are
// never changed.
//
// Campaign states are the strings "draft", "submitted", "approved",
// "scheduled", "running", "completed", "purged"; which moves are allowed is
// decided by src/campaigns/, the store only compares and sets.
//
// Concurrency: every campaign row carries a revision, bumped by each change to
// its definition. Writers that computed something from a campaign (a content
// hash, a new definition) pass the revision they read; a mismatch fails with
// FailedPrecondition and changes nothing.
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/status.h"

namespace recall::store {

struct TemplateRow {
  std::string practice_id;
  std::string template_id;  // "tpl_..."; one id across all versions
  int64_t version = 1;      // 1, 2, ...
  std::string name;         // unique per practice, e.g. "recall-sms-en"
  std::string channel;      // "sms" | "email" | "voice" | "rvm" | "portal"
  int64_t tier = 1;         // 1 | 2 | 3
  std::string purpose;      // "care" | "outreach"
  std::string language;     // BCP-47, canonical case
  std::string subject;      // email only
  std::string body;
  std::string author;       // the actor who wrote this version
  std::string created_at;   // RFC 3339
};

// One variant of a campaign step: a pinned template version for one channel
// (the step's channel or one of its fallbacks) and one language.
struct StepVariantRow {
  std::string channel;   // the template's channel
  std::string language;  // the template's language
  std::string template_id;
  int64_t template_version = 1;
};

// Step conditions (which patients a later step is for).
inline constexpr char kStepAlways[] = "always";
// Only patients who have not responded (any inbound reply, confirmation,
// click or opt-out) since the campaign started.
inline constexpr char kStepNoResponse[] = "no_response";

struct CampaignStepRow {
  // "email" | "sms" | "voice" | "rvm", or "call_list": no message, the
  // patients are listed for a person at the practice to phone.
  std::string channel;
  // Channels tried in order when the patient cannot be reached on `channel`
  // (no consent for it, no usable contact, a landline for SMS). Empty: none.
  std::vector<std::string> fallback;
  std::string condition = kStepAlways;  // kStepAlways | kStepNoResponse
  int64_t delay_hours = 0;  // after the previous step (the first: after start)
  std::vector<StepVariantRow> variants;  // ordered by (channel, language); none for call_list
};

struct CampaignRow {
  std::string practice_id;
  std::string campaign_id;  // "cmp_..."
  std::string name;
  std::string kind;          // "re-engagement" | "recall" | "review" | "reminder" | "consent_confirmation"
  std::string purpose;       // "care" | "outreach"
  std::string segment_json;  // canonical JSON (campaigns::CanonicalSegment)
  std::string schedule_start;         // practice-local "YYYY-MM-DDTHH:MM", "" when unset
  std::string schedule_window_start;  // "HH:MM", "" when unset
  std::string schedule_window_end;    // "HH:MM", "" when unset
  std::vector<CampaignStepRow> steps;  // in order
  std::string state;
  std::string author;         // the actor who created the campaign
  std::string approved_hash;  // hex SHA-256 of the approved content; "" unless approved or later
  int64_t revision = 1;
  std::string created_at;
  std::string updated_at;
};

// A written sign-off, as recorded. Never changed or deleted.
struct ApprovalRow {
  std::string practice_id;
  std::string campaign_id;
  std::string approval_id;  // "apr_..."
  int64_t revision = 0;     // the campaign revision approved
  std::string signer_name;
  std::string signer_title;
  std::string statement;       // the text the signer signed
  std::string content_sha256;  // hex; docs/approval-hash.md
  std::string actor;           // who recorded it
  std::string approved_at;     // RFC 3339
};

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;

  // --- Templates -----------------------------------------------------------

  // Stores version 1 of a new template. AlreadyExists when the id, or the name
  // within the practice, is taken; NotFound for an unknown practice.
  virtual Status CreateTemplate(const TemplateRow& row, const audit::AuditEvent& event) = 0;

  // Stores the next version of an existing template (row.version must be the
  // latest + 1: FailedPrecondition otherwise, e.g. a concurrent edit). Every
  // campaign of the practice that uses the template and is neither completed
  // nor purged is re-pointed to the new version, its revision bumped and, when
  // it was past draft, returned to draft with its approved hash cleared; one
  // "campaign.revert_to_draft" audit record (actor and time from `event`) is
  // appended per returned campaign. Returns the ids of the campaigns returned
  // to draft. NotFound for an unknown template.
  virtual StatusOr<std::vector<std::string>> AddTemplateVersion(const TemplateRow& row,
                                                                const audit::AuditEvent& event) = 0;

  // One version; `version` 0 means the latest. `id_or_name` is a template id or
  // its name. NotFound.
  virtual StatusOr<TemplateRow> GetTemplate(const std::string& practice_id, const std::string& id_or_name,
                                            int64_t version) = 0;

  // The latest version of every template of the practice, ordered by name.
  virtual StatusOr<std::vector<TemplateRow>> ListTemplates(const std::string& practice_id) = 0;

  // --- Campaigns -----------------------------------------------------------

  // Stores a new campaign with its steps. AlreadyExists; NotFound for an
  // unknown practice or a step that references an unknown template version.
  virtual Status CreateCampaign(const CampaignRow& row, const audit::AuditEvent& event) = 0;

  // NotFound.
  virtual StatusOr<CampaignRow> GetCampaign(const std::string& practice_id, const std::string& campaign_id) = 0;

  // Every campaign of the practice, newest first.
  virtual StatusOr<std::vector<CampaignRow>> ListCampaigns(const std::string& practice_id) = 0;

  // Replaces the definition (name, kind, purpose, segment, schedule, steps) of
  // the campaign with row.campaign_id. The revision is bumped; a campaign past
  // draft returns to draft with its approved hash cleared (and `event` should
  // say so). FailedPrecondition when the stored revision is not
  // `expected_revision` or the campaign is completed or purged; NotFound.
  // Returns the stored row.
  virtual StatusOr<CampaignRow> UpdateCampaign(const CampaignRow& row, int64_t expected_revision,
                                               const audit::AuditEvent& event) = 0;

  // Compare-and-set of the state alone (the revision is unchanged), clearing
  // the approved hash when `to` is "draft". FailedPrecondition when the
  // campaign is not in state `from` at revision `expected_revision`; NotFound.
  virtual Status SetState(const std::string& practice_id, const std::string& campaign_id, const std::string& from,
                          const std::string& to, int64_t expected_revision, const audit::AuditEvent& event) = 0;

  // Records a written approval and moves the campaign from "submitted" to
  // "approved" with approved_hash = row.content_sha256. FailedPrecondition
  // when the campaign is not submitted or its revision is not row.revision
  // (it changed after the hash was computed); NotFound.
  virtual Status RecordApproval(const ApprovalRow& row, const audit::AuditEvent& event) = 0;

  // Every approval of the campaign, oldest first (by revision, then time).
  virtual StatusOr<std::vector<ApprovalRow>> ListApprovals(const std::string& practice_id,
                                                           const std::string& campaign_id) = 0;
};

}  // namespace recall::store
