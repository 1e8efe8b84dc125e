#pragma once
// The dispatch gate: may this one message be handed to a provider now?
//
// The outbox calls Gate::Check for every message immediately before sending,
// not only when the campaign is planned: consent, approval, vendor agreements
// and the patient's contact can all change in between. Check re-reads the
// store each time and composes the other folders' rules, in this order (the
// first failure decides):
//   1. the campaign is dispatchable: approved, and the content hash recomputed
//      now equals the approved one (campaigns::CheckDispatchable);
//      -> kCancel "not_approved" | "hash_mismatch"
//   2. the patient has a valid contact for the channel: a phone (E.164) for
//      sms, voice and rvm, an email address for email; sms only to a line the
//      practice's export (or a carrier lookup) called mobile; no hard bounce or
//      undeliverable report for that contact (store RunStore invalid contacts);
//      -> kCancel "no_contact" | "landline_no_sms" | "line_type_unknown" |
//         "hard_bounce"
//   3. consent for (channel, purpose) is valid for that exact contact now,
//      including the reassigned-numbers list (consent::ConsentVault::Check);
//      -> kCancel "no_consent" | "consent_revoked" | "contact_changed" |
//         "number_reassigned"
//   4. the practice has an active vendor with a BAA for the channel
//      (vendors::RequireVendorBaa);                      -> kCancel "no_vendor_baa"
//   5. quiet hours in the recipient's local time (recipient_time_zone.h,
//      send_window.h);  -> kDefer "quiet_hours_federal" | "quiet_hours_state" |
//                          "practice_window" | "send_time_unresolved"
//   6. frequency caps per patient across campaigns (frequency_caps.h);
//                       -> kDefer "cap_daily" | "cap_weekly" | "state_subject_24h"
//   otherwise kSend "ok".
//
// Cancel versus defer. A message that fails a time or cap check is deferred
// to GateDecision::not_before (time alone will let it through). Every other
// failure cancels it: retrying cannot help until a person changes something
// (re-approval, a new consent, a corrected contact, a recorded BAA), and the
// campaign planner then plans a new message. In particular:
//   - SMS to a line of unknown type is cancelled ("line_type_unknown"):
//     libphonenumber cannot tell US mobile numbers from landlines, so only the
//     export's own column ("Cell Phone", "Mobile") makes a number textable.
//   - A missing vendor BAA cancels rather than defers: sending PHI through a
//     vendor without a BAA is never allowed, and a deferred message would go
//     out unreviewed the moment someone records a BAA, possibly weeks later.
//   - When the time-zone data cannot be loaded, or the windows never overlap
//     for this recipient, the message is deferred by one hour with
//     "send_time_unresolved" rather than guessed at (zone_tables.h).
//
// Audit. Every decision is appended as exactly one "dispatch.gate" record
// with the patient's pseudonym as subject and details: campaign_id, channel,
// purpose, verdict ("send" | "defer" | "cancel"), reason, contact_kind, and
// when relevant not_before, zone, zone_source, consent_id. Never a contact,
// a name or a message body. When the audit record cannot be written Check
// returns that error and no decision: nothing is sent unaudited.
//
// Errors (no decision, nothing audited; the outbox keeps the message and
// retries or escalates): InvalidArgument for an unknown channel or purpose, or
// a purpose other than the campaign's; NotFound for an unknown practice,
// patient or campaign; store and key errors as returned by the store.
//
// Reply mode (CheckReply): a staff member's answer to a patient's own message
// (a hand-off, docs/handoffs.md) passes the same gate, in the same order, with
// the differences a transactional reply calls for:
//   1. content: no campaign approval; instead the clinical-content scanner's
//      found-phone test on the exact text (a finding that blocks on the
//      channel)                                   -> kCancel "scanner_block"
//   2. contact: as above, except that a phone of unknown line type may be
//      answered by SMS (the patient wrote from it); a landline may not;
//   3. consent: no prior grant is needed (the patient started the
//      conversation), but an opt-out, a changed contact or a reassigned number
//      always wins (purpose care);
//   4. the vendor BAA: as above;
//   5.-6. not applied: quiet hours, the practice's window and frequency caps
//      (a person answering a patient who just wrote).
// Its one "dispatch.gate" record carries mode "reply" and the hand-off id
// instead of a campaign id, and for scanner_block the finding categories
// (never the matched text).
//
// Thread-safety: a Gate holds only a reference to the Engine (itself
// thread-safe) and may be shared across worker threads. Time comes from
// engine.clock().
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "dispatch/frequency_caps.h"
#include "dispatch/zone_tables.h"
#include "engine/engine.h"
#include "scanner/scanner.h"

namespace recall::dispatch {

struct GateRequest {
  std::string practice_id;
  std::string campaign_id;  // "cmp_..."
  std::string patient_id;   // Recall's id, "pat_..."
  std::string channel;      // "sms" | "email" | "voice" | "rvm"
  std::string purpose;      // "care" | "outreach"; "" -> the campaign's purpose
  // The subject for the state same-subject rule; "" -> the campaign id.
  std::string subject;
  // This patient's past sends, across campaigns (from the outbox).
  std::vector<SendRecord> recent_sends;
  // The caller knows of a permanent delivery failure for the current contact.
  // (The gate also consults the store's invalid-contact reports itself.)
  bool contact_hard_bounced = false;
};

enum class GateVerdict { kSend, kDefer, kCancel };
std::string_view GateVerdictName(GateVerdict verdict);  // "send" | "defer" | "cancel"

struct GateDecision {
  GateVerdict verdict = GateVerdict::kCancel;
  // A stable code (see the header comment): "ok" when sent.
  std::string reason;
  // kDefer: the earliest instant worth asking again (> now). Otherwise now.
  TimePoint not_before;
  // What the message would go to, never the contact itself: "email",
  // "phone_mobile", "phone_landline", "phone_unknown"; "" when none.
  std::string contact_kind;
  // kSend: the exact contact (E.164 or addr-spec) that consent was checked
  // for, so the caller sends to that and nothing else. PHI: never log it.
  std::string address;
  // Reply mode, kCancel "scanner_block": the blocking findings (their offsets
  // and matched bytes are the caller's own text; never log `match`).
  std::vector<scanner::Finding> findings;
};

// A staff reply to a hand-off (reply mode, see the header comment).
struct ReplyRequest {
  std::string practice_id;
  std::string handoff_id;
  std::string patient_id;
  std::string channel = "sms";
  std::string text;  // exactly what would be sent; PHI, never logged
};

class Gate {
 public:
  explicit Gate(engine::Engine& engine) : engine_(engine) {}

  // Decides one message now and audits the decision (see the header comment
  // for the order, the reasons and the error codes). `practice_window`: the
  // practice's own send window in the recipient's local time (SendWindow{} =
  // none of its own); `caps`: the practice's frequency caps.
  StatusOr<GateDecision> Check(const GateRequest& request, const SendWindow& practice_window,
                               const CapPolicy& caps);

  // Decides one staff reply now and audits the decision (reply mode). Never
  // kDefer. Errors as Check's (NotFound for an unknown practice or patient).
  StatusOr<GateDecision> CheckReply(const ReplyRequest& request, const scanner::Scanner& scanner);

 private:
  struct Subject;
  // Steps 2-4, shared by both modes. nullopt: passed (decision.address set).
  StatusOr<std::optional<GateDecision>> CheckContactConsentVendor(Subject& subject, bool reply_mode);

  engine::Engine& engine_;
};

}  // namespace recall::dispatch
