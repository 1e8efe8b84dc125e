#pragma once
// What comes back after sending: delivery reports and patients' replies.
//
// Delivery reports (Kannel dlr-url, Twilio-compatible status callbacks, RVM
// vendor callbacks, or `recall delivery report`) update the message's state.
// "undeliverable" (a hard bounce, a dead or invalid number) also marks that
// contact invalid for that channel: the planner skips it and the gate cancels
// any later message to it, until the practice's export brings a new contact.
//
// Inbound messages run through the consent vault (opt-outs revoke every
// channel at once, HELP is answered, a YES to a pending consent request
// records consent) and are recorded as inbound events attributed to the
// campaign that last messaged the patient, for reports and for the
// "no_response" step condition. Link clicks (unsubscribe, consent
// confirmation) are recorded the same way.
//
// Inbound messages a person must answer (urgent, and anything the classifier
// cannot place: "other") open an item in the practice's human hand-off queue
// (docs/handoffs.md). Opening and the escalation sweep live here rather than in
// recall_handoffs, which depends on dispatch (to send staff replies): dispatch
// must not depend back on it, and the worker runs the sweep.
//
// Webhooks (`recall serve`) and the CLI call these functions; nothing here
// trusts its caller for authentication, which is the webhook's job.
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "consent/consent.h"
#include "dispatch/worker.h"
#include "engine/engine.h"

namespace recall::dispatch {

struct DeliveryReport {
  std::string practice_id;
  std::string message_id;
  // "delivered" | "undeliverable" | "failed" | "pending" (buffered, accepted by
  // the carrier: recorded nowhere, the message stays "sent").
  std::string status;
  std::string reason;  // a short provider code, e.g. "smsc_reject", "550"; never PHI
};

// NotFound for an unknown message; FailedPrecondition for a message that was
// cancelled or failed (a report for a message still in flight is kept:
// OutboxStore::RecordDelivery); InvalidArgument for an unknown status or a reason that is not a
// short code. Audited ("dispatch.delivery", and "contact.invalid").
Status RecordDeliveryReport(engine::Engine& engine, const DeliveryReport& report);

struct InboundResult {
  consent::InboundOutcome outcome;
  std::vector<std::string> event_ids;
  std::string campaign_id;  // attribution; "" when no recent campaign message
  std::string handoff_id;   // the hand-off item opened; "" when none
};

// An inbound SMS from `from` to the practice. Errors as
// ConsentVault::HandleInboundSms.
//
// Hand-offs: an urgent message (intent "urgent", even with an opt-out in it)
// or an "other" message without an opt-out opens one item (category
// "urgent", "clinical" when the classifier flagged a question about care, or
// "other"), for the first patient with that number ("" when none
// matched) and the first inbound event. Outside the practice's
// office_hours_schedule (in the practice's time zone), when no CTIA reply
// (STOP/HELP/START) is due, the patient has not opted out of SMS, and the
// practice has an after_hours_reply, outcome.reply becomes that text (the
// webhooks answer with it) and effects gains "handoff.after_hours_reply".
StatusOr<InboundResult> HandleInboundSms(engine::Engine& engine, const std::string& practice_id,
                                         const std::string& from, const std::string& body);

// The unsubscribe link or RFC 8058 one-click POST: revokes every channel and
// records an "unsubscribe" event. Returns the patient id. Unauthenticated for
// a bad token.
StatusOr<std::string> HandleUnsubscribe(engine::Engine& engine, std::string_view token);

// The consent confirmation link: records SMS consent (source
// consent_confirmation, with IP and user agent) and a "confirm" event.
StatusOr<std::string> HandleConsentConfirmation(engine::Engine& engine, std::string_view token, const std::string& ip,
                                                const std::string& user_agent);

// --- the human hand-off queue (docs/handoffs.md) -----------------------------

struct NewHandoff {
  std::string practice_id;
  std::string patient_id;        // "" when the sender matched no patient
  std::string subject;           // the patient's audit pseudonym; "" when none
  std::string channel = "sms";
  std::string inbound_event_id;  // "" when opened otherwise
  std::string category;          // "urgent" | "clinical" | "other"
  std::string text;              // the inbound text; PHI: sealed before the store sees it
};

// Opens an item: seals the text under the practice's field key (context
// "handoff.text|<id>"), stores it open with the category's priority (urgent 0,
// clinical 1, other 2). Audited ("handoff.open": ids and category). Returns the
// id ("hof_..."). InvalidArgument for an unknown category or text over 4096
// bytes; NotFound for an unknown practice.
StatusOr<std::string> OpenHandoff(engine::Engine& engine, const NewHandoff& item);

// Whether `now` falls inside `schedule` (practices::ParseOfficeHoursSchedule)
// in `time_zone` (IANA) local time; nullopt when the schedule is empty.
// InvalidArgument for a bad schedule or an unknown zone.
StatusOr<std::optional<bool>> WithinOfficeHours(const std::string& schedule, const std::string& time_zone,
                                                TimePoint now);

struct EscalationStats {
  int64_t due = 0;           // urgent items past their practice's handoff_ack_minutes
  int64_t sent = 0;          // notifications sent (and recorded)
  int64_t unconfigured = 0;  // no on-call contact, no transport for it, or unreadable settings
  int64_t failed = 0;        // the transport refused or failed; the next sweep tries again
};

// The escalation sweep: every urgent item still open, never escalated and
// older than its practice's handoff_ack_minutes gets one notification to the
// practice's on-call contact through `channels`, with no PHI ("Urgent patient
// message waiting in Recall (item hof_...). Open the hand-off queue."), then
// is marked escalated (audited "handoff.escalate"): at most one notification
// per item. Items whose practice has no on-call contact, or whose send failed,
// stay due. Store errors stop the sweep.
StatusOr<EscalationStats> EscalateOverdueHandoffs(engine::Engine& engine, ChannelSource& channels, TimePoint now);

}  // namespace recall::dispatch
