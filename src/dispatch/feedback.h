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
// Webhooks (`recall serve`) and the CLI call these functions; nothing here
// trusts its caller for authentication, which is the webhook's job.
#include <string>

#include "common/status.h"
#include "consent/consent.h"
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
};

// An inbound SMS from `from` to the practice. Errors as
// ConsentVault::HandleInboundSms.
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

}  // namespace recall::dispatch
