#include "handoffs/handoffs.h"

#include <nlohmann/json.hpp>

#include "campaigns/lint.h"
#include "common/random.h"
#include "common/text.h"
#include "consent/consent.h"
#include "contact/contact.h"
#include "crypto/crypto.h"
#include "dispatch/gate.h"
#include "dispatch/render.h"
#include "practices/settings.h"
#include "vendors/vendors.h"

namespace recall::handoffs {

namespace {

constexpr size_t kMaxReplyBytes = 1600;

// Text that is not UTF-8 (an inbound body is classified whatever its bytes)
// is shown with its non-ASCII bytes as '?', so that JSON can carry it.
std::string Displayable(std::string text) {
  if (IsValidUtf8(text)) return text;
  for (char& c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return text;
}

// The audit subject of an item: its patient's pseudonym, else its id.
std::string SubjectOf(engine::Engine& engine, const store::HandoffRow& row) {
  if (row.patient_id.empty()) return row.handoff_id;
  auto patient = engine.store().patients().Get(row.practice_id, row.patient_id);
  return patient.ok() ? patient->subject : row.handoff_id;
}

// The scanner's findings as one line for an error: categories and offsets, never the text.
std::string FindingsLine(const std::vector<scanner::Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    if (!out.empty()) out += ", ";
    out += f.category + " at " + std::to_string(f.start) + "-" + std::to_string(f.end);
  }
  return out;
}

}  // namespace

StatusOr<std::string> Open(engine::Engine& engine, const dispatch::NewHandoff& item) {
  return dispatch::OpenHandoff(engine, item);
}

StatusOr<HandoffView> Get(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id) {
  HandoffView view;
  ASSIGN_OR_RETURN(view.row, engine.store().handoffs().Get(practice_id, handoff_id));
  ASSIGN_OR_RETURN(view.events, engine.store().handoffs().Events(practice_id, handoff_id));
  if (!view.row.text_enc.empty()) {
    ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
    ASSIGN_OR_RETURN(std::string text, keys->DecryptField(view.row.text_enc, "handoff.text|" + handoff_id));
    view.text = Displayable(std::move(text));
  }
  view.row.text_enc.clear();
  // The read is recorded before the text leaves this function.
  RETURN_IF_ERROR(engine.store()
                      .audit()
                      .Append(engine.Event("handoff.view", practice_id, SubjectOf(engine, view.row),
                                           {{"handoff_id", handoff_id}}))
                      .status());
  return view;
}

StatusOr<store::Page<store::HandoffRow>> List(engine::Engine& engine, const std::string& practice_id,
                                              const std::string& status, const store::PageRequest& page) {
  if (!status.empty() && status != store::kHandoffOpen && status != store::kHandoffAcknowledged &&
      status != store::kHandoffResolved) {
    return InvalidArgumentError("status is open, acknowledged or resolved");
  }
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ASSIGN_OR_RETURN(auto out, engine.store().handoffs().List(practice_id, status, page));
  for (auto& row : out.rows) row.text_enc.clear();
  return out;
}

Status Assign(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id,
              const std::string& user_id) {
  if (!user_id.empty()) {
    auto memberships = engine.store().users().Memberships(user_id);
    bool member = false;
    if (memberships.ok()) {
      for (const auto& m : *memberships) member = member || m.practice_id == practice_id;
    } else if (memberships.status().code() != StatusCode::kNotFound) {
      return memberships.status();
    }
    if (!member) return NotFoundError("no user " + user_id + " in practice " + practice_id);
  }
  ASSIGN_OR_RETURN(store::HandoffRow row, engine.store().handoffs().Get(practice_id, handoff_id));
  return engine.store().handoffs().Assign(
      practice_id, handoff_id, user_id, engine.clock().Now(),
      engine.Event("handoff.assign", practice_id, SubjectOf(engine, row),
                   {{"handoff_id", handoff_id}, {"assignee", user_id.empty() ? "none" : user_id}}));
}

Status Acknowledge(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id) {
  ASSIGN_OR_RETURN(store::HandoffRow row, engine.store().handoffs().Get(practice_id, handoff_id));
  return engine.store().handoffs().Acknowledge(
      practice_id, handoff_id, engine.clock().Now(),
      engine.Event("handoff.acknowledge", practice_id, SubjectOf(engine, row), {{"handoff_id", handoff_id}}));
}

Status Resolve(engine::Engine& engine, const std::string& practice_id, const std::string& handoff_id) {
  ASSIGN_OR_RETURN(store::HandoffRow row, engine.store().handoffs().Get(practice_id, handoff_id));
  return engine.store().handoffs().Resolve(
      practice_id, handoff_id, engine.clock().Now(),
      engine.Event("handoff.resolve", practice_id, SubjectOf(engine, row), {{"handoff_id", handoff_id}}));
}

StatusOr<ReplyResult> Reply(engine::Engine& engine, const scanner::Scanner& scanner,
                            dispatch::ChannelSource& channels, const std::string& practice_id,
                            const std::string& handoff_id, const std::string& text) {
  if (text.empty()) return InvalidArgumentError("reply text is empty");
  if (text.size() > kMaxReplyBytes) return InvalidArgumentError("reply text is over 1600 bytes");
  if (!IsValidUtf8(text)) return InvalidArgumentError("reply text is not UTF-8");
  ASSIGN_OR_RETURN(store::HandoffRow item, engine.store().handoffs().Get(practice_id, handoff_id));
  if (item.status == store::kHandoffResolved) {
    return FailedPreconditionError("hand-off " + handoff_id + " is resolved");
  }
  if (item.patient_id.empty()) {
    return FailedPreconditionError("hand-off " + handoff_id + " has no patient on file to reply to");
  }
  if (item.channel != "sms") return FailedPreconditionError("replies go by sms only");

  // The dispatch gate in reply mode (dispatch/gate.h): the scanner on this
  // exact text, a usable contact, no opt-out, the vendor BAA; audited there.
  dispatch::ReplyRequest request;
  request.practice_id = practice_id;
  request.handoff_id = handoff_id;
  request.patient_id = item.patient_id;
  request.channel = "sms";
  request.text = text;
  ASSIGN_OR_RETURN(dispatch::GateDecision decision, dispatch::Gate(engine).CheckReply(request, scanner));
  if (decision.verdict != dispatch::GateVerdict::kSend) {
    if (decision.reason == "scanner_block") {
      return FailedPreconditionError("reply blocked by the clinical-content scanner: " +
                                     FindingsLine(decision.findings));
    }
    return FailedPreconditionError("patient " + item.patient_id + " may not be messaged: " + decision.reason);
  }
  ASSIGN_OR_RETURN(store::PatientRow patient, engine.store().patients().Get(practice_id, item.patient_id));

  // 5. Send now, then record.
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  ASSIGN_OR_RETURN(channels::Channel * channel, channels.ChannelFor(practice_id, "sms"));
  channels::OutboundMessage message;
  ASSIGN_OR_RETURN(message.message_id, engine.random().NewId("msg"));
  message.practice_id = practice_id;
  message.channel = "sms";
  message.to = decision.address;  // the contact the gate checked, nothing else
  auto [from_name, from_address] = dispatch::SplitSender(practice.email_from);
  message.from_name = from_name.empty() ? practice.name : from_name;
  message.from_address = from_address;
  message.text_body = text;
  message.postal_address = practice.address;
  ASSIGN_OR_RETURN(channels::Receipt receipt, channel->Send(message));
  RETURN_IF_ERROR(engine.store().handoffs().RecordReply(
      practice_id, handoff_id, message.message_id, engine.clock().Now(),
      engine.Event("handoff.reply", practice_id, patient.subject,
                   {{"handoff_id", handoff_id},
                    {"message_id", message.message_id},
                    {"channel", "sms"},
                    {"bytes", std::to_string(text.size())}})));
  return ReplyResult{message.message_id, receipt.provider_id};
}

StatusOr<dispatch::EscalationStats> EscalateOverdue(engine::Engine& engine, dispatch::ChannelSource& channels,
                                                    TimePoint now) {
  return dispatch::EscalateOverdueHandoffs(engine, channels, now);
}

StatusOr<std::string> SetAfterHoursReply(engine::Engine& engine, const scanner::Scanner& scanner,
                                         const std::string& practice_id, const std::string& text) {
  if (!IsValidUtf8(text)) return InvalidArgumentError("after-hours reply is not UTF-8");
  if (!text.empty()) {
    auto findings = scanner.Scan(text);
    if (!findings.empty()) {
      return FailedPreconditionError("after-hours reply refused by the clinical-content scanner: " +
                                     FindingsLine(findings));
    }
  }
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine, practice_id));
  settings.after_hours_reply = text;
  // Validates the whole (length, no variables) exactly as a stored object is read back.
  RETURN_IF_ERROR(practices::ParseSettings(practices::SettingsJson(settings)).status());
  const std::string sha256 = HexEncode(crypto::Sha256(text));
  RETURN_IF_ERROR(engine.store().practices().PutSettings(
      practice_id, practices::SettingsJson(settings),
      engine.Event("handoff.after_hours_reply", practice_id, practice_id,
                   {{"sha256", sha256}, {"bytes", std::to_string(text.size())}})));
  return sha256;
}

static nlohmann::json TimeOrNull(TimePoint t) {
  return t == TimePoint() ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339Millis(t));
}

nlohmann::json ItemJson(const store::HandoffRow& r) {
  return {{"handoff_id", r.handoff_id},
          {"patient_id", r.patient_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.patient_id)},
          {"channel", r.channel},
          {"inbound_event_id", r.inbound_event_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.inbound_event_id)},
          {"category", r.category},
          {"priority", r.priority},
          {"status", r.status},
          {"assignee", r.assignee.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.assignee)},
          {"created_at", FormatRfc3339Millis(r.created_at)},
          {"acknowledged_at", TimeOrNull(r.acknowledged_at)},
          {"resolved_at", TimeOrNull(r.resolved_at)},
          {"escalated_at", TimeOrNull(r.escalated_at)}};
}

nlohmann::json EventsJson(const std::vector<store::HandoffEventRow>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events) {
    out.push_back({{"seq", e.seq},
                   {"kind", e.kind},
                   {"actor", e.actor},
                   {"ref", e.ref.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.ref)},
                   {"at", FormatRfc3339Millis(e.at)}});
  }
  return out;
}

}  // namespace recall::handoffs
