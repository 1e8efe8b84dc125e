#include "dispatch/gate.h"

#include <chrono>
#include <memory>
#include <optional>

#include "campaigns/campaigns.h"
#include "campaigns/lint.h"
#include "consent/consent.h"
#include "contact/contact.h"
#include "dispatch/recipient_time_zone.h"
#include "dispatch/send_window.h"
#include "vendors/vendors.h"

namespace recall::dispatch {

namespace {

// How long an unresolvable send time waits before the next attempt: long
// enough not to spin, short enough that a fixed data folder takes effect soon.
constexpr std::chrono::hours kUnresolvedRetry{1};

// The patient's sealed fields are bound to the practice and the patient's
// blind external index, as src/patients/patients.cc seals them.
StatusOr<std::string> OpenPatientField(const crypto::PracticeKeys& keys, const store::PatientRow& row,
                                       const std::string& sealed, const char* field) {
  if (sealed.empty()) return std::string();
  return keys.DecryptField(sealed, std::string("patient.") + field + "|" + row.practice_id + "|" +
                                       row.external_index);
}

std::string_view ConsentReason(consent::Block block) {
  switch (block) {
    case consent::Block::kAllowed:
      return "ok";
    case consent::Block::kNoConsent:
      return "no_consent";
    case consent::Block::kRevoked:
      return "consent_revoked";
    case consent::Block::kContactChanged:
      return "contact_changed";
    case consent::Block::kNumberReassigned:
      return "number_reassigned";
  }
  return "no_consent";
}

bool IsDispatchableState(std::string_view state) {
  return state == campaigns::kApproved || state == campaigns::kScheduled || state == campaigns::kRunning;
}

}  // namespace

std::string_view GateVerdictName(GateVerdict verdict) {
  switch (verdict) {
    case GateVerdict::kSend:
      return "send";
    case GateVerdict::kDefer:
      return "defer";
    case GateVerdict::kCancel:
      return "cancel";
  }
  return "cancel";
}

// What one decision is about, and the decision being made.
struct Gate::Subject {
  store::PracticeRow practice;
  store::PatientRow patient;
  std::shared_ptr<const crypto::PracticeKeys> keys;
  consent::Channel channel = consent::Channel::kSms;
  std::string channel_name;
  consent::Purpose purpose = consent::Purpose::kCare;
  TimePoint now;
  bool contact_hard_bounced = false;  // the caller knows of a permanent failure
  GateDecision decision;
  audit::Details details;
};

namespace {

// Every decision goes through here: one audit record per decision, and no
// decision without its record.
StatusOr<GateDecision> Decide(engine::Engine& engine, GateDecision& decision, audit::Details& details,
                              const std::string& practice_id, const std::string& subject, GateVerdict verdict,
                              std::string_view reason, std::optional<TimePoint> not_before = std::nullopt) {
  decision.verdict = verdict;
  decision.reason = std::string(reason);
  if (not_before) decision.not_before = *not_before;
  if (verdict != GateVerdict::kSend) decision.address.clear();
  details["verdict"] = std::string(GateVerdictName(verdict));
  details["reason"] = decision.reason;
  details["contact_kind"] = decision.contact_kind;
  if (verdict == GateVerdict::kDefer) details["not_before"] = FormatRfc3339Millis(decision.not_before);
  RETURN_IF_ERROR(
      engine.store().audit().Append(engine.Event("dispatch.gate", practice_id, subject, details)).status());
  return decision;
}

}  // namespace

StatusOr<std::optional<GateDecision>> Gate::CheckContactConsentVendor(Subject& s, bool reply_mode) {
  using Result = std::optional<GateDecision>;
  auto decide = [&](GateVerdict verdict, std::string_view reason) -> StatusOr<Result> {
    ASSIGN_OR_RETURN(GateDecision d, Decide(engine_, s.decision, s.details, s.practice.practice_id,
                                            s.patient.subject, verdict, reason));
    return Result(std::move(d));
  };
  const store::PatientRow& patient = s.patient;

  // 2. A valid contact for the channel.
  std::string address;  // the exact contact the message goes to; never logged
  if (s.channel == consent::Channel::kEmail) {
    ASSIGN_OR_RETURN(std::string email, OpenPatientField(*s.keys, patient, patient.email_enc, "email"));
    auto normalized = contact::NormalizeEmail(email);
    if (email.empty() || !normalized.ok()) return decide(GateVerdict::kCancel, "no_contact");
    address = *normalized;
    s.decision.contact_kind = "email";
  } else {
    ASSIGN_OR_RETURN(std::string phone, OpenPatientField(*s.keys, patient, patient.phone_enc, "phone"));
    auto parsed = contact::ParsePhone(phone);
    if (phone.empty() || !parsed.ok()) return decide(GateVerdict::kCancel, "no_contact");
    address = parsed->e164;
    const std::string& line_type = patient.phone_line_type;
    s.decision.contact_kind = line_type == "mobile" ? "phone_mobile"
                              : line_type == "landline" ? "phone_landline"
                                                        : "phone_unknown";
    if (s.channel == consent::Channel::kSms && line_type == "landline") {
      return decide(GateVerdict::kCancel, "landline_no_sms");
    }
    // Only the export's own column makes a US number textable (gate.h); a
    // reply answers a number the patient wrote from.
    if (s.channel == consent::Channel::kSms && line_type != "mobile" && !reply_mode) {
      return decide(GateVerdict::kCancel, "line_type_unknown");
    }
  }
  {
    const std::string& index = s.channel == consent::Channel::kEmail ? patient.email_index : patient.phone_index;
    ASSIGN_OR_RETURN(bool invalid, engine_.store().runs().IsContactInvalid(s.practice.practice_id,
                                                                           patient.patient_id, s.channel_name, index));
    if (s.contact_hard_bounced || invalid) return decide(GateVerdict::kCancel, "hard_bounce");
  }

  // 3. Consent for this exact contact, now. A reply needs no prior grant, but
  // an opt-out, a changed contact or a reassigned number always wins.
  consent::ConsentVault vault(engine_);
  ASSIGN_OR_RETURN(consent::ConsentDecision consented,
                   vault.Check(s.practice.practice_id, patient.patient_id, s.channel, s.purpose, address, s.now));
  if (!consented.consent_id.empty()) s.details["consent_id"] = consented.consent_id;
  const bool consent_ok =
      consented.allowed() || (reply_mode && consented.block == consent::Block::kNoConsent);
  if (!consent_ok) return decide(GateVerdict::kCancel, ConsentReason(consented.block));

  // 4. A vendor with a BAA for the channel.
  if (Status baa = vendors::RequireVendorBaa(engine_, s.practice.practice_id, s.channel_name); !baa.ok()) {
    if (baa.code() != StatusCode::kFailedPrecondition) return baa;
    return decide(GateVerdict::kCancel, "no_vendor_baa");
  }
  s.decision.address = address;
  return Result();
}

StatusOr<GateDecision> Gate::Check(const GateRequest& request, const SendWindow& practice_window,
                                   const CapPolicy& caps) {
  Subject s;
  s.now = engine_.clock().Now();
  const TimePoint now = s.now;

  ASSIGN_OR_RETURN(s.channel, consent::ParseChannel(request.channel));
  if (s.channel == consent::Channel::kPortal) {
    return InvalidArgumentError("the dispatch gate sends on sms, email, voice or rvm, not portal");
  }
  s.channel_name = std::string(consent::ChannelName(s.channel));
  ASSIGN_OR_RETURN(s.practice, engine_.store().practices().Get(request.practice_id));
  const store::PracticeRow& practice = s.practice;
  ASSIGN_OR_RETURN(store::CampaignRow campaign,
                   engine_.store().campaigns().GetCampaign(practice.practice_id, request.campaign_id));
  // The consent purpose is the campaign's: a caller must not be able to send an
  // outreach campaign under care consent.
  const std::string purpose_name = request.purpose.empty() ? campaign.purpose : request.purpose;
  if (purpose_name != campaign.purpose) {
    return InvalidArgumentError("purpose " + purpose_name + " does not match campaign " + campaign.campaign_id +
                                " (" + campaign.purpose + ")");
  }
  ASSIGN_OR_RETURN(s.purpose, consent::ParsePurpose(purpose_name));
  ASSIGN_OR_RETURN(s.patient, engine_.store().patients().Get(practice.practice_id, request.patient_id));
  const store::PatientRow& patient = s.patient;
  ASSIGN_OR_RETURN(s.keys, engine_.KeysFor(practice.practice_id));

  GateDecision& decision = s.decision;
  decision.not_before = now;
  audit::Details& details = s.details;
  details = {{"campaign_id", campaign.campaign_id}, {"channel", s.channel_name}, {"purpose", purpose_name}};
  auto decide = [&](GateVerdict verdict, std::string_view reason,
                    std::optional<TimePoint> not_before = std::nullopt) -> StatusOr<GateDecision> {
    return Decide(engine_, decision, details, practice.practice_id, patient.subject, verdict, reason, not_before);
  };

  // 1. Approved content, word for word.
  if (Status dispatchable = campaigns::CheckDispatchable(engine_, practice.practice_id, campaign.campaign_id);
      !dispatchable.ok()) {
    if (dispatchable.code() != StatusCode::kFailedPrecondition) return dispatchable;
    // CheckDispatchable says only "no". A campaign that still claims approval
    // but whose content no longer hashes to the approved value was changed
    // behind the workflow's back; anything else is simply not approved (a
    // normal edit returns the campaign to draft).
    std::string_view reason = "not_approved";
    if (IsDispatchableState(campaign.state) && !campaign.approved_hash.empty()) {
      auto hash = campaigns::ContentHash(engine_, campaign);
      if (!hash.ok() || *hash != campaign.approved_hash) reason = "hash_mismatch";
    }
    details["campaign_state"] = campaign.state;
    return decide(GateVerdict::kCancel, reason);
  }

  // 2.-4. Contact, consent, vendor BAA.
  s.contact_hard_bounced = request.contact_hard_bounced;
  ASSIGN_OR_RETURN(std::optional<GateDecision> refused, CheckContactConsentVendor(s, /*reply_mode=*/false));
  if (refused) return *refused;
  const std::string address = decision.address;
  decision.address.clear();  // set again only on kSend

  // 5. Quiet hours in the recipient's local time. The phone's area code helps
  // locate the recipient whatever the channel.
  RecipientLocation location;
  ASSIGN_OR_RETURN(location.postal_code, OpenPatientField(*s.keys, patient, patient.postal_code_enc, "postal_code"));
  location.state = patient.state;
  if (s.channel != consent::Channel::kEmail) {
    location.phone_e164 = address;
  } else {
    ASSIGN_OR_RETURN(std::string phone, OpenPatientField(*s.keys, patient, patient.phone_enc, "phone"));
    location.phone_e164 = phone;
  }
  location.practice_timezone = practice.timezone;
  auto zones = RecipientTimeZones(location);
  if (!zones.ok()) return decide(GateVerdict::kDefer, "send_time_unresolved", now + kUnresolvedRetry);
  details["zone_source"] = std::string(ZoneSourceName(zones->source));
  auto send_time = CheckSendTime(now, zones->zones, zones->rules_state, practice_window);
  if (!send_time.ok()) return decide(GateVerdict::kDefer, "send_time_unresolved", now + kUnresolvedRetry);
  if (!send_time->allowed) {
    details["zone"] = send_time->zone;
    return decide(GateVerdict::kDefer, send_time->reason, send_time->next_allowed);
  }

  // 6. Frequency caps across campaigns.
  const std::string subject = request.subject.empty() ? campaign.campaign_id : request.subject;
  auto capped = CheckCaps(now, request.recent_sends, request.channel, subject, zones->rules_state, caps);
  if (!capped.ok()) return decide(GateVerdict::kDefer, "send_time_unresolved", now + kUnresolvedRetry);
  if (!capped->allowed) return decide(GateVerdict::kDefer, capped->reason, capped->next_allowed);

  decision.address = address;
  return decide(GateVerdict::kSend, "ok");
}

StatusOr<GateDecision> Gate::CheckReply(const ReplyRequest& request, const scanner::Scanner& scanner) {
  Subject s;
  s.now = engine_.clock().Now();
  ASSIGN_OR_RETURN(s.channel, consent::ParseChannel(request.channel));
  if (s.channel != consent::Channel::kSms && s.channel != consent::Channel::kEmail) {
    return InvalidArgumentError("a reply goes by sms or email");
  }
  s.channel_name = std::string(consent::ChannelName(s.channel));
  s.purpose = consent::Purpose::kCare;
  ASSIGN_OR_RETURN(s.practice, engine_.store().practices().Get(request.practice_id));
  ASSIGN_OR_RETURN(s.patient, engine_.store().patients().Get(s.practice.practice_id, request.patient_id));
  ASSIGN_OR_RETURN(s.keys, engine_.KeysFor(s.practice.practice_id));
  s.decision.not_before = s.now;
  s.details = {{"mode", "reply"}, {"handoff_id", request.handoff_id}, {"channel", s.channel_name},
               {"purpose", "care"}};

  // 1. The found-phone test on exactly what would be sent.
  const templates::Channel template_channel =
      s.channel == consent::Channel::kEmail ? templates::Channel::kEmail : templates::Channel::kSms;
  for (auto& f : scanner.Scan(request.text)) {
    if (campaigns::ClinicalSeverity(f.severity, template_channel, std::nullopt) == "block") {
      s.decision.findings.push_back(std::move(f));
    }
  }
  if (!s.decision.findings.empty()) {
    std::string categories;
    for (const auto& f : s.decision.findings) {
      if (categories.find(f.category) != std::string::npos) continue;
      categories += (categories.empty() ? "" : ",") + f.category;
    }
    s.details["findings"] = categories;
    return Decide(engine_, s.decision, s.details, s.practice.practice_id, s.patient.subject, GateVerdict::kCancel,
                  "scanner_block");
  }

  // 2.-4. Contact, consent, vendor BAA.
  ASSIGN_OR_RETURN(std::optional<GateDecision> refused, CheckContactConsentVendor(s, /*reply_mode=*/true));
  if (refused) return *refused;
  return Decide(engine_, s.decision, s.details, s.practice.practice_id, s.patient.subject, GateVerdict::kSend, "ok");
}

}  // namespace recall::dispatch
