#pragma once
// The human hand-off queue (docs/handoffs.md): inbound messages a person must
// answer. An urgent message, or one the classifier cannot place ("other"),
// opens an item (dispatch::HandleInboundSms); staff of the practice (role
// permission users::Permission::kHandoffWork) list, read, assign, acknowledge,
// reply to and resolve items; urgent items left unacknowledged past the
// practice's handoff_ack_minutes escalate to its on-call contact without PHI.
//
// The inbound text is PHI: it is sealed under the practice's field key before
// the store sees it and is opened only by Get, which audits the read
// ("handoff.view"). Every other record (store events, audit details, errors)
// carries ids, categories and codes only.
//
// Reply policy (a staff reply is transactional: it answers the patient's own
// message; see docs/handoffs.md for the reasoning). The checks are the
// dispatch gate's, in its reply mode (dispatch::Gate::CheckReply), which
// audits each decision as campaigns' are ("dispatch.gate", mode "reply"):
//   always    the clinical-content scanner's found-phone test on the reply
//             text (a block finding refuses it, naming the categories); the
//             vendor BAA for the channel; no reply to a patient who opted out
//             (SMS consent revoked for care), to a number reported reassigned,
//             or to a contact marked invalid; a phone on file.
//   never     quiet hours, the practice's send window and frequency caps (a
//             person answering a patient who just wrote), and no prior grant is
//             needed (the patient started the conversation).
// The reply is sent at once through the practice's configured transport (the
// dispatch ChannelSource), not queued; a transport failure returns its error
// (Unavailable: try again) and records nothing beyond the gate's decision.
//
// Thread-safety: stateless functions over a thread-safe Engine.
#include <string>

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "common/status.h"
#include "dispatch/feedback.h"
#include "dispatch/worker.h"
#include "engine/engine.h"
#include "scanner/scanner.h"
#include "store/handoff_store.h"

namespace recall::handoffs {

// An item with its text opened and its history.
struct HandoffView {
  store::HandoffRow row;  // text_enc cleared
  std::string text;       // the inbound text; PHI
  std::vector<store::HandoffEventRow> events;
};

// Opens an item (inbound wiring calls dispatch::OpenHandoff directly). Errors
// as dispatch::OpenHandoff.
StatusOr<std::string> Open(engine::Engine& engine, const dispatch::NewHandoff& item);

// The item with its text. Audited as a PHI access ("handoff.view"). NotFound;
// DataLoss when the sealed text fails authentication.
StatusOr<HandoffView> Get(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id);

// The queue, urgent first then oldest first; `status` "" or open |
// acknowledged | resolved (InvalidArgument otherwise, or for a bad cursor).
// Rows carry no text.
StatusOr<store::Page<store::HandoffRow>> List(engine::Engine& engine, const std::string& practice_id,
                                              const std::string& status, const store::PageRequest& page);

// Assigns the item to a user who is a member of the practice ("" unassigns).
// NotFound (item, or a user without a role in the practice: never says which
// practices a user belongs to); FailedPrecondition when resolved. Audited.
Status Assign(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id,
              const std::string& user_id);
// open -> acknowledged. NotFound; FailedPrecondition unless open. Audited.
Status Acknowledge(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id);
// -> resolved. NotFound; FailedPrecondition when resolved already. Audited.
Status Resolve(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id);

struct ReplyResult {
  std::string message_id;   // "msg_..."
  std::string provider_id;  // the transport's receipt
};

// Sends a staff reply to the item's patient (see the reply policy above) and
// records it (an open item becomes acknowledged). InvalidArgument for empty,
// over-long (1600 bytes) or invalid UTF-8 text; FailedPrecondition when the
// item is resolved, has no patient, the scanner blocks the text, the patient
// opted out or has no usable contact, or no vendor BAA covers the channel;
// NotFound; Unavailable / the transport's error when sending failed (nothing
// recorded). Audited ("handoff.reply": ids, channel, length).
StatusOr<ReplyResult> Reply(engine::Engine& engine, const scanner::Scanner& scanner,
                            dispatch::ChannelSource& channels, const std::string& practice_id,
                            const std::string& handoff_id, const std::string& text);

// The escalation sweep (dispatch::EscalateOverdueHandoffs; the worker runs it
// on every tick).
StatusOr<dispatch::EscalationStats> EscalateOverdue(engine::Engine& engine, dispatch::ChannelSource& channels,
                                                    TimePoint now);

// Sets the practice's after-hours reply: literal text (no variables, at most
// 320 bytes) that passes the scanner with no finding at all. Audited
// ("handoff.after_hours_reply" with the text's SHA-256, never the text).
// Returns the hex SHA-256. InvalidArgument / FailedPrecondition (scanner) /
// NotFound. "" clears it.
StatusOr<std::string> SetAfterHoursReply(engine::Engine& engine, const scanner::Scanner& scanner,
                                         const std::string& practice_id, const std::string& text);

// The JSON shapes the API and the CLI share (docs/handoffs.md): an item
// without its text, and an item's history.
nlohmann::json ItemJson(const store::HandoffRow& row);
nlohmann::json EventsJson(const std::vector<store::HandoffEventRow>& events);

}  // namespace recall::handoffs
