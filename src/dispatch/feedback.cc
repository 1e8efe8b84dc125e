#include "dispatch/feedback.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/text.h"
#include "contact/contact.h"
#include "dispatch/render.h"
#include "inbound/classifier.h"
#include "practices/settings.h"
#include "store/handoff_store.h"
#include "store/run_store.h"

namespace recall::dispatch {

namespace {

// Replies count towards the campaign that messaged the patient within this window.
constexpr std::chrono::hours kAttributionWindow{24 * 30};

struct Attribution {
  std::string campaign_id;
  std::string message_id;
};

// The patient's latest sent message within the attribution window.
StatusOr<Attribution> Attribute(engine::Engine& engine, const std::string& practice_id,
                                const std::string& patient_id) {
  ASSIGN_OR_RETURN(auto sends, engine.store().outbox().RecentSends(practice_id, patient_id,
                                                                   engine.clock().Now() - kAttributionWindow));
  if (sends.empty()) return Attribution{};
  return Attribution{sends.back().campaign_id, sends.back().message_id};
}

// An inbound event row and its audit event.
StatusOr<std::pair<store::InboundEventRow, audit::AuditEvent>> BuildEvent(engine::Engine& engine,
                                                                         const std::string& practice_id,
                                                                         const std::string& patient_id,
                                                                         const std::string& subject,
                                                                         const std::string& channel,
                                                                         const std::string& kind,
                                                                         const Attribution& attribution) {
  store::InboundEventRow row;
  row.practice_id = practice_id;
  ASSIGN_OR_RETURN(row.event_id, engine.random().NewId("inb"));
  row.patient_id = patient_id;
  row.channel = channel;
  row.kind = kind;
  row.campaign_id = attribution.campaign_id;
  row.message_id = attribution.message_id;
  row.received_at = engine.clock().Now();
  audit::Details details{{"event_id", row.event_id}, {"channel", channel}, {"kind", kind}};
  if (!row.campaign_id.empty()) details["campaign_id"] = row.campaign_id;
  audit::AuditEvent event = engine.Event("inbound.event", practice_id, subject, std::move(details));
  return std::make_pair(std::move(row), std::move(event));
}

Status RecordEvent(engine::Engine& engine, const std::string& practice_id, const std::string& patient_id,
                   const std::string& subject, const std::string& channel, const std::string& kind,
                   const Attribution& attribution, std::vector<std::string>* ids) {
  ASSIGN_OR_RETURN(auto built, BuildEvent(engine, practice_id, patient_id, subject, channel, kind, attribution));
  RETURN_IF_ERROR(engine.store().runs().RecordInbound(built.first, built.second));
  if (ids != nullptr) ids->push_back(built.first.event_id);
  return OkStatus();
}

constexpr size_t kMaxHandoffText = 4096;

int PriorityOf(const std::string& category) {
  if (category == "urgent") return 0;
  if (category == "clinical") return 1;
  return 2;
}

// After classification: open a hand-off for urgent and unplaced messages, and
// answer after hours (see feedback.h).
Status OpenInboundHandoff(engine::Engine& engine, const std::string& practice_id,
                          const std::vector<std::pair<store::PatientRow, Attribution>>& patients,
                          const std::string& body, InboundResult* result) {
  const auto& cls = result->outcome.classification;
  std::string category;
  if (cls.intent == inbound::Intent::kUrgent) {
    category = "urgent";
  } else if (cls.intent == inbound::Intent::kOther && !cls.opt_out) {
    // A question about care goes ahead of the rest (priority 1).
    category = cls.clinical ? "clinical" : "other";
  } else {
    return OkStatus();
  }
  NewHandoff item;
  item.practice_id = practice_id;
  item.category = category;
  item.channel = "sms";
  // Bodies beyond the limit are kept in part: the rest stays with the carrier.
  item.text = body.substr(0, kMaxHandoffText);
  if (IsValidUtf8(body)) {
    // Cut at a code point boundary.
    for (int n = 0; n < 3 && !IsValidUtf8(item.text); ++n) item.text.pop_back();
  }
  if (!patients.empty()) {
    item.patient_id = patients.front().first.patient_id;
    item.subject = patients.front().first.subject;
  }
  if (!result->event_ids.empty()) item.inbound_event_id = result->event_ids.front();
  ASSIGN_OR_RETURN(result->handoff_id, OpenHandoff(engine, item));
  result->outcome.effects.push_back("handoff.opened");

  // The after-hours reply: never instead of a CTIA reply, never to a number
  // whose patient opted out of SMS.
  if (result->outcome.reply.has_value()) return OkStatus();
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine, practice_id));
  if (settings.after_hours_reply.empty() || settings.office_hours_schedule.empty()) return OkStatus();
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  auto open_now = WithinOfficeHours(settings.office_hours_schedule, practice.timezone, engine.clock().Now());
  if (!open_now.ok() || !open_now->has_value() || **open_now) return OkStatus();
  consent::ConsentVault vault(engine);
  for (const auto& [patient, attribution] : patients) {
    ASSIGN_OR_RETURN(auto decision, vault.Check(practice_id, patient.patient_id, consent::Channel::kSms,
                                                consent::Purpose::kCare, "", engine.clock().Now()));
    if (decision.block == consent::Block::kRevoked) return OkStatus();
  }
  result->outcome.reply = settings.after_hours_reply;
  result->outcome.effects.push_back("handoff.after_hours_reply");
  return OkStatus();
}

}  // namespace

StatusOr<std::string> OpenHandoff(engine::Engine& engine, const NewHandoff& item) {
  if (item.category != "urgent" && item.category != "clinical" && item.category != "other") {
    return InvalidArgumentError("hand-off category is urgent, clinical or other");
  }
  if (item.text.size() > kMaxHandoffText) return InvalidArgumentError("hand-off text is over 4096 bytes");
  store::HandoffRow row;
  row.practice_id = item.practice_id;
  ASSIGN_OR_RETURN(row.handoff_id, engine.random().NewId("hof"));
  row.patient_id = item.patient_id;
  row.channel = item.channel;
  row.inbound_event_id = item.inbound_event_id;
  row.category = item.category;
  row.priority = PriorityOf(item.category);
  row.created_at = engine.clock().Now();
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(item.practice_id));
  ASSIGN_OR_RETURN(row.text_enc, keys->EncryptField(item.text, "handoff.text|" + row.handoff_id, engine.random()));
  audit::Details details{{"handoff_id", row.handoff_id}, {"category", row.category}, {"channel", row.channel}};
  if (!row.inbound_event_id.empty()) details["event_id"] = row.inbound_event_id;
  RETURN_IF_ERROR(engine.store().handoffs().Open(
      row, engine.Event("handoff.open", item.practice_id, item.subject.empty() ? row.handoff_id : item.subject,
                        std::move(details))));
  return row.handoff_id;
}

StatusOr<std::optional<bool>> WithinOfficeHours(const std::string& schedule, const std::string& time_zone,
                                                TimePoint now) {
  ASSIGN_OR_RETURN(auto spans, practices::ParseOfficeHoursSchedule(schedule));
  if (spans.empty()) return std::optional<bool>();
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return InvalidArgumentError("unknown time zone for the office-hours schedule");
  }
  const date::local_seconds local = zone->to_local(date::floor<std::chrono::seconds>(now));
  const date::local_days day = date::floor<date::days>(local);
  const int weekday = static_cast<int>(date::weekday(day).c_encoding());  // 0 = Sunday
  const int minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  for (const auto& span : spans) {
    if (span.weekday == weekday && minute >= span.start_minute && minute < span.end_minute) {
      return std::optional<bool>(true);
    }
  }
  return std::optional<bool>(false);
}

StatusOr<EscalationStats> EscalateOverdueHandoffs(engine::Engine& engine, ChannelSource& channels, TimePoint now) {
  EscalationStats stats;
  ASSIGN_OR_RETURN(auto candidates, engine.store().handoffs().DueForEscalation(now));
  if (candidates.empty()) return stats;
  struct PracticeInfo {
    store::PracticeRow row;
    practices::PracticeSettings settings;
    bool usable = false;
  };
  std::map<std::string, PracticeInfo> practices_seen;
  for (const auto& item : candidates) {
    auto it = practices_seen.find(item.practice_id);
    if (it == practices_seen.end()) {
      PracticeInfo info;
      auto row = engine.store().practices().Get(item.practice_id);
      auto settings = practices::GetSettings(engine, item.practice_id);
      // One practice's broken settings must not stop the worker for every other.
      info.usable = row.ok() && settings.ok();
      if (info.usable) {
        info.row = *row;
        info.settings = *settings;
      }
      it = practices_seen.emplace(item.practice_id, std::move(info)).first;
    }
    const PracticeInfo& info = it->second;
    if (!info.usable) {
      ++stats.due;
      ++stats.unconfigured;
      continue;
    }
    if (now - item.created_at < std::chrono::minutes(info.settings.handoff_ack_minutes)) continue;
    ++stats.due;
    if (info.settings.oncall_channel.empty()) {
      ++stats.unconfigured;
      continue;
    }
    auto channel = channels.ChannelFor(item.practice_id, info.settings.oncall_channel);
    if (!channel.ok()) {
      ++stats.unconfigured;
      continue;
    }
    // No PHI: the item's opaque id and the practice's own identity only.
    channels::OutboundMessage message;
    ASSIGN_OR_RETURN(message.message_id, engine.random().NewId("msg"));
    message.practice_id = item.practice_id;
    message.channel = info.settings.oncall_channel;
    message.to = info.settings.oncall_address;
    auto [from_name, from_address] = SplitSender(info.row.email_from);
    message.from_name = from_name.empty() ? info.row.name : from_name;
    message.from_address = from_address;
    message.subject = "Urgent patient message waiting in Recall";
    message.text_body = "Urgent patient message waiting in Recall (item " + item.handoff_id +
                        "). Open the hand-off queue.";
    message.postal_address = info.row.address;
    auto receipt = (*channel)->Send(message);
    if (!receipt.ok()) {
      ++stats.failed;
      continue;
    }
    Status marked = engine.store().handoffs().MarkEscalated(
        item.practice_id, item.handoff_id, message.message_id, engine.clock().Now(),
        engine.Event("handoff.escalate", item.practice_id, item.handoff_id,
                     {{"handoff_id", item.handoff_id},
                      {"channel", message.channel},
                      {"message_id", message.message_id},
                      {"ack_minutes", std::to_string(info.settings.handoff_ack_minutes)}}));
    if (marked.code() == StatusCode::kFailedPrecondition) continue;  // acknowledged meanwhile
    RETURN_IF_ERROR(marked);
    ++stats.sent;
  }
  return stats;
}

Status RecordDeliveryReport(engine::Engine& engine, const DeliveryReport& report) {
  if (report.status == "pending") {
    // Buffered or accepted by the carrier: nothing final yet. Still check the id.
    return engine.store().outbox().Get(report.practice_id, report.message_id).status();
  }
  ASSIGN_OR_RETURN(store::OutboxRow row, engine.store().outbox().Get(report.practice_id, report.message_id));
  RETURN_IF_ERROR(engine.store().outbox().RecordDelivery(
      report.practice_id, report.message_id, report.status, report.reason,
      engine.Event("dispatch.delivery", report.practice_id, row.message_id)));
  if (report.status != store::kDeliveryUndeliverable) return OkStatus();
  ASSIGN_OR_RETURN(store::PatientRow patient, engine.store().patients().Get(report.practice_id, row.patient_id));
  const std::string& index = row.channel == "email" ? patient.email_index : patient.phone_index;
  if (index.empty()) return OkStatus();  // the contact is already gone
  store::InvalidContactRow invalid;
  invalid.practice_id = report.practice_id;
  invalid.patient_id = row.patient_id;
  invalid.channel = row.channel;
  invalid.contact_index = index;
  invalid.reason = report.reason.empty() ? "undeliverable" : report.reason;
  invalid.message_id = row.message_id;
  invalid.marked_at = engine.clock().Now();
  return engine.store().runs().MarkContactInvalid(
      invalid, engine.Event("contact.invalid", report.practice_id, patient.subject,
                            {{"channel", row.channel}, {"message_id", row.message_id}, {"reason", invalid.reason}}));
}

StatusOr<InboundResult> HandleInboundSms(engine::Engine& engine, const std::string& practice_id,
                                         const std::string& from, const std::string& body) {
  InboundResult result;
  consent::InboundSms msg;
  msg.practice_id = practice_id;
  msg.from = from;
  msg.body = body;
  // Which of the number's patients were asked for consent and have not answered.
  std::vector<std::pair<store::PatientRow, Attribution>> patients;
  if (auto phone = contact::ParsePhone(from); phone.ok()) {
    ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
    ASSIGN_OR_RETURN(auto matches,
                     engine.store().patients().FindByPhoneIndex(practice_id, keys->BlindIndex("phone", phone->e164)));
    msg.patients = matches;  // the vault needs the same rows: one lookup
    for (auto& p : matches) {
      ASSIGN_OR_RETURN(Attribution a, Attribute(engine, practice_id, p.patient_id));
      if (!a.campaign_id.empty()) {
        auto campaign = engine.store().campaigns().GetCampaign(practice_id, a.campaign_id);
        if (campaign.ok() && campaign->kind == "consent_confirmation") {
          msg.consent_request_patients.push_back(p.patient_id);
          auto purpose = consent::ParsePurpose(campaign->purpose);
          if (purpose.ok()) msg.consent_request_purpose = *purpose;
        }
      }
      patients.emplace_back(std::move(p), std::move(a));
    }
  }
  // The inbound events commit with the consent changes (one transaction: a
  // STOP's revocations, its events and their audit records).
  msg.also_record = [&](const consent::InboundOutcome& outcome, std::vector<store::InboundEventRow>* rows,
                        std::vector<audit::AuditEvent>* events) -> Status {
    const auto& cls = outcome.classification;
    std::string kind = cls.opt_out ? "opt_out" : std::string(inbound::IntentName(cls.intent));
    const auto& effects = outcome.effects;
    if (std::find(effects.begin(), effects.end(), "consent.confirmed:sms") != effects.end()) kind = "confirm";
    auto add = [&](const std::string& patient_id, const std::string& subject, const Attribution& a) -> Status {
      ASSIGN_OR_RETURN(auto built, BuildEvent(engine, practice_id, patient_id, subject, "sms", kind, a));
      result.event_ids.push_back(built.first.event_id);
      rows->push_back(std::move(built.first));
      events->push_back(std::move(built.second));
      return OkStatus();
    };
    if (patients.empty()) RETURN_IF_ERROR(add("", "", {}));
    for (const auto& [patient, attribution] : patients) {
      RETURN_IF_ERROR(add(patient.patient_id, patient.subject, attribution));
      if (result.campaign_id.empty()) result.campaign_id = attribution.campaign_id;
    }
    return OkStatus();
  };
  ASSIGN_OR_RETURN(result.outcome, consent::ConsentVault(engine).HandleInboundSms(msg));
  RETURN_IF_ERROR(OpenInboundHandoff(engine, practice_id, patients, body, &result));
  return result;
}

StatusOr<std::string> HandleUnsubscribe(engine::Engine& engine, std::string_view token) {
  ASSIGN_OR_RETURN(std::string patient_id, consent::ConsentVault(engine).Unsubscribe(token));
  // The token names its practice: "u1.<practice>.<patient>.<mac>".
  const size_t a = token.find('.'), b = token.find('.', a + 1);
  const std::string practice_id(token.substr(a + 1, b - a - 1));
  ASSIGN_OR_RETURN(auto patient, engine.store().patients().Get(practice_id, patient_id));
  ASSIGN_OR_RETURN(Attribution attribution, Attribute(engine, practice_id, patient_id));
  RETURN_IF_ERROR(RecordEvent(engine, practice_id, patient_id, patient.subject, "web", "unsubscribe", attribution,
                              nullptr));
  return patient_id;
}

StatusOr<std::string> HandleConsentConfirmation(engine::Engine& engine, std::string_view token, const std::string& ip,
                                                const std::string& user_agent) {
  ASSIGN_OR_RETURN(std::string patient_id, consent::ConsentVault(engine).ConfirmByToken(token, ip, user_agent));
  const size_t a = token.find('.'), b = token.find('.', a + 1);
  const std::string practice_id(token.substr(a + 1, b - a - 1));
  ASSIGN_OR_RETURN(auto patient, engine.store().patients().Get(practice_id, patient_id));
  ASSIGN_OR_RETURN(Attribution attribution, Attribute(engine, practice_id, patient_id));
  RETURN_IF_ERROR(
      RecordEvent(engine, practice_id, patient_id, patient.subject, "web", "confirm", attribution, nullptr));
  return patient_id;
}

}  // namespace recall::dispatch
