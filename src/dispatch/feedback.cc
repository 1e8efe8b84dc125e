#include "dispatch/feedback.h"

#include <algorithm>
#include <chrono>

#include "contact/contact.h"
#include "inbound/classifier.h"
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

Status RecordEvent(engine::Engine& engine, const std::string& practice_id, const std::string& patient_id,
                   const std::string& subject, const std::string& channel, const std::string& kind,
                   const Attribution& attribution, std::vector<std::string>* ids) {
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
  RETURN_IF_ERROR(engine.store().runs().RecordInbound(
      row, engine.Event("inbound.event", practice_id, subject, std::move(details))));
  if (ids != nullptr) ids->push_back(row.event_id);
  return OkStatus();
}

}  // namespace

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
  ASSIGN_OR_RETURN(result.outcome, consent::ConsentVault(engine).HandleInboundSms(msg));
  const auto& cls = result.outcome.classification;
  std::string kind = cls.opt_out ? "opt_out" : std::string(inbound::IntentName(cls.intent));
  const auto& effects = result.outcome.effects;
  if (std::find(effects.begin(), effects.end(), "consent.confirmed:sms") != effects.end()) kind = "confirm";
  if (patients.empty()) {
    RETURN_IF_ERROR(RecordEvent(engine, practice_id, "", "", "sms", kind, {}, &result.event_ids));
  }
  for (const auto& [patient, attribution] : patients) {
    RETURN_IF_ERROR(
        RecordEvent(engine, practice_id, patient.patient_id, patient.subject, "sms", kind, attribution, &result.event_ids));
    if (result.campaign_id.empty()) result.campaign_id = attribution.campaign_id;
  }
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
