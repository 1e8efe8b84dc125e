#include "consent/consent.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/redact.h"
#include "common/text.h"
#include "contact/contact.h"
#include "crypto/crypto.h"
#include "inbound/replies.h"
#include "patients/csv_reader.h"

namespace recall::consent {

namespace {

constexpr size_t kMaxEvidenceBytes = 4000;
constexpr size_t kMaxUserAgentBytes = 1024;
constexpr size_t kMaxLanguageBytes = 8000;
constexpr std::string_view kAll = "all";
constexpr std::string_view kGrant = "grant";
constexpr std::string_view kRevoke = "revoke";

bool UsesPhone(Channel c) { return c == Channel::kSms || c == Channel::kVoice || c == Channel::kRvm; }

// Free text from an operator or a form: non-empty when required, bounded, UTF-8,
// no control characters other than tab and newline.
Status CheckText(std::string_view text, size_t max, const char* what, bool required) {
  if (required && TrimAscii(text).empty()) return InvalidArgumentError(std::string(what) + " is required");
  if (text.size() > max) return InvalidArgumentError(std::string(what) + " is too long");
  if (!IsValidUtf8(text)) return InvalidArgumentError(std::string(what) + " is not valid UTF-8");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
      return InvalidArgumentError(std::string(what) + " has control characters");
    }
  }
  return OkStatus();
}

Status CheckIp(std::string_view ip) {
  if (ip.empty()) return OkStatus();
  const std::string s(ip);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1) return OkStatus();
  return InvalidArgumentError("--ip is not an IPv4 or IPv6 address");
}

std::string FieldContext(std::string_view field, const std::string& practice_id, const std::string& consent_id) {
  return "consent." + std::string(field) + "|" + practice_id + "|" + consent_id;
}

StatusOr<std::string> Seal(const crypto::PracticeKeys& keys, Random& random, std::string_view value,
                           std::string_view field, const std::string& practice_id, const std::string& consent_id) {
  if (value.empty()) return std::string();
  return keys.EncryptField(value, FieldContext(field, practice_id, consent_id), random);
}

StatusOr<std::string> Unseal(const crypto::PracticeKeys& keys, const store::ConsentRecordRow& r, std::string_view sealed,
                             std::string_view field) {
  if (sealed.empty()) return std::string();
  return keys.DecryptField(sealed, FieldContext(field, r.practice_id, r.consent_id));
}

// A contact normalised for its channel: E.164 for phone channels, the
// lower-cased address for email, "" for the portal.
StatusOr<std::string> NormalizeContact(Channel channel, std::string_view contact) {
  if (channel == Channel::kPortal || contact.empty()) return std::string();
  if (channel == Channel::kEmail) {
    auto e = contact::NormalizeEmail(contact);
    if (!e.ok()) return InvalidArgumentError("the contact is not a valid email address");
    return *e;
  }
  auto p = contact::ParsePhone(contact);
  if (!p.ok()) return InvalidArgumentError("the contact is not a valid phone number");
  return p->e164;
}

std::string ContactIndex(const crypto::PracticeKeys& keys, Channel channel, std::string_view normalized) {
  if (normalized.empty() || channel == Channel::kPortal) return "";
  return keys.BlindIndex(channel == Channel::kEmail ? "email" : "phone", normalized);
}

// The patient's current contact for the channel (decrypted), "" when none.
StatusOr<std::string> CurrentContact(const crypto::PracticeKeys& keys, const store::PatientRow& p, Channel channel) {
  if (channel == Channel::kPortal) return std::string();
  const bool email = channel == Channel::kEmail;
  const std::string& sealed = email ? p.email_enc : p.phone_enc;
  if (sealed.empty()) return std::string();
  return keys.DecryptField(sealed, std::string("patient.") + (email ? "email" : "phone") + "|" + p.practice_id + "|" +
                                       p.external_index);
}

std::string CurrentContactIndex(const store::PatientRow& p, Channel channel) {
  if (channel == Channel::kPortal) return "";
  return channel == Channel::kEmail ? p.email_index : p.phone_index;
}

bool Applies(const store::ConsentRecordRow& r, std::string_view channel, std::string_view purpose) {
  return (r.channel == channel || r.channel == kAll) && (r.purpose == purpose || r.purpose == kAll);
}

// By Recall's id, else by the practice's own patient id (through its blind index).
StatusOr<store::PatientRow> FindPatient(engine::Engine& engine, const crypto::PracticeKeys& keys,
                                        const std::string& practice_id, const std::string& patient) {
  if (patient.empty()) return InvalidArgumentError("a patient id is required");
  auto row = engine.store().patients().Get(practice_id, patient);
  if (!row.ok() && IsNotFound(row.status())) {
    row = engine.store().patients().GetByExternalIndex(practice_id, keys.BlindIndex("external_id", patient));
    if (!row.ok() && IsNotFound(row.status())) return NotFoundError("no such patient in practice " + practice_id);
  }
  return row;
}

std::string FormatDisplayPhone(const std::string& e164) {
  if (e164.size() == 12 && e164.rfind("+1", 0) == 0) {
    return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
  }
  return e164;
}

// Everything needed to build records for one practice.
struct Ctx {
  std::string practice_id;
  std::shared_ptr<const crypto::PracticeKeys> keys;
};

StatusOr<Ctx> OpenPractice(engine::Engine& engine, const std::string& practice_id) {
  if (practice_id.empty()) return InvalidArgumentError("a practice id is required");
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
  return Ctx{practice_id, std::move(keys)};
}

struct NewRecord {
  std::string patient_id;
  std::string_view kind, channel, purpose;
  Source source = Source::kStaffVerbal;
  std::string contact;        // normalised
  std::string contact_index;
  std::string evidence, ip, user_agent;
  std::string language_version, language_sha256;
  std::optional<bool> risk_acknowledged;
};

StatusOr<store::ConsentRecordRow> BuildRow(engine::Engine& engine, const Ctx& ctx, const NewRecord& in) {
  store::ConsentRecordRow r;
  r.practice_id = ctx.practice_id;
  ASSIGN_OR_RETURN(r.consent_id, engine.random().NewId("cns"));
  r.patient_id = in.patient_id;
  r.kind = std::string(in.kind);
  r.channel = std::string(in.channel);
  r.purpose = std::string(in.purpose);
  r.source = std::string(SourceName(in.source));
  r.captured_at = FormatRfc3339Millis(engine.clock().Now());
  r.captured_by = engine.actor();
  Random& random = engine.random();
  ASSIGN_OR_RETURN(r.contact_enc, Seal(*ctx.keys, random, in.contact, "contact", ctx.practice_id, r.consent_id));
  r.contact_index = in.contact_index;
  ASSIGN_OR_RETURN(r.ip_enc, Seal(*ctx.keys, random, in.ip, "ip", ctx.practice_id, r.consent_id));
  ASSIGN_OR_RETURN(r.user_agent_enc, Seal(*ctx.keys, random, in.user_agent, "user_agent", ctx.practice_id, r.consent_id));
  ASSIGN_OR_RETURN(r.evidence_enc, Seal(*ctx.keys, random, in.evidence, "evidence", ctx.practice_id, r.consent_id));
  r.language_version = in.language_version;
  r.language_sha256 = in.language_sha256;
  r.risk_acknowledged = in.risk_acknowledged;
  return r;
}

audit::AuditEvent RecordEvent(engine::Engine& engine, const store::ConsentRecordRow& r, const std::string& subject) {
  const bool address = r.patient_id.empty();
  audit::Details d{{"consent_id", r.consent_id}, {"channel", r.channel}, {"purpose", r.purpose}, {"source", r.source}};
  if (address) {
    d["scope"] = std::string("address");
  } else {
    d["patient"] = r.patient_id;
  }
  return engine.Event(r.kind == kGrant ? "consent.grant" : "consent.revoke", r.practice_id, subject, std::move(d));
}

// For Resubscribe: the grants of `channel` to restore for `contact_index`.
std::vector<const store::ConsentRecordRow*> GrantsToRestore(const std::vector<store::ConsentRecordRow>& history,
                                                            Channel channel, const std::string& contact_index,
                                                            std::string_view now) {
  CellState cells[5][2];
  DeriveStates(history, now, cells);
  std::vector<const store::ConsentRecordRow*> out;
  const auto ch = ChannelName(channel);
  for (Purpose p : kAllPurposes) {
    if (cells[static_cast<int>(channel)][static_cast<int>(p)].state != State::kRevoked) continue;
    const auto pu = PurposeName(p);
    // Walk back past the revocations to the grant they overrode.
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (!Applies(*it, ch, pu) || it->kind == kRevoke) continue;
      if (it->contact_index.empty() || it->contact_index == contact_index) out.push_back(&*it);
      break;
    }
  }
  return out;
}

// The latest address-level record that applies to `channel`, or nullptr.
const store::ConsentRecordRow* LatestAddressRecord(const std::vector<store::ConsentRecordRow>& address, Channel channel) {
  const store::ConsentRecordRow* latest = nullptr;
  for (const auto& r : address) {
    if (r.channel == ChannelName(channel) || r.channel == kAll) latest = &r;
  }
  return latest;
}

}  // namespace

std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kSms: return "sms";
    case Channel::kEmail: return "email";
    case Channel::kVoice: return "voice";
    case Channel::kRvm: return "rvm";
    case Channel::kPortal: return "portal";
  }
  return "sms";
}

std::string_view PurposeName(Purpose purpose) { return purpose == Purpose::kCare ? "care" : "outreach"; }

StatusOr<Channel> ParseChannel(std::string_view name) {
  for (Channel c : kAllChannels) {
    if (ChannelName(c) == name) return c;
  }
  return InvalidArgumentError("unknown channel (expected sms, email, voice, rvm or portal)");
}

StatusOr<Purpose> ParsePurpose(std::string_view name) {
  for (Purpose p : kAllPurposes) {
    if (PurposeName(p) == name) return p;
  }
  return InvalidArgumentError("unknown purpose (expected care or outreach)");
}

std::string_view SourceName(Source source) {
  switch (source) {
    case Source::kIntakeForm: return "intake_form";
    case Source::kPracticeImport: return "practice_import";
    case Source::kKeywordReply: return "keyword_reply";
    case Source::kWebForm: return "web_form";
    case Source::kStaffVerbal: return "staff_verbal";
    case Source::kConsentConfirmation: return "consent_confirmation";
    case Source::kEmailUnsubscribe: return "email_unsubscribe";
  }
  return "staff_verbal";
}

StatusOr<Source> ParseSource(std::string_view name) {
  for (Source s : {Source::kIntakeForm, Source::kPracticeImport, Source::kKeywordReply, Source::kWebForm,
                   Source::kStaffVerbal, Source::kConsentConfirmation, Source::kEmailUnsubscribe}) {
    if (SourceName(s) == name) return s;
  }
  return InvalidArgumentError(
      "unknown source (expected intake_form, practice_import, keyword_reply, web_form, staff_verbal, "
      "consent_confirmation or email_unsubscribe)");
}

bool IsUnsecured(Channel channel) { return channel != Channel::kPortal; }

std::string_view StateName(State state) {
  switch (state) {
    case State::kNone: return "none";
    case State::kGranted: return "granted";
    case State::kRevoked: return "revoked";
  }
  return "none";
}

std::string_view BlockName(Block block) {
  switch (block) {
    case Block::kAllowed: return "allowed";
    case Block::kNoConsent: return "no_consent";
    case Block::kRevoked: return "revoked";
    case Block::kContactChanged: return "contact_changed";
    case Block::kNumberReassigned: return "number_reassigned";
  }
  return "no_consent";
}

Status ConsentDecision::ToStatus(std::string_view patient_id) const {
  if (allowed()) return OkStatus();
  return FailedPreconditionError("no usable consent for patient " + std::string(patient_id) + ": " +
                                 std::string(BlockName(block)));
}

void DeriveStates(const std::vector<store::ConsentRecordRow>& history, std::string_view at, CellState (&cells)[5][2]) {
  for (auto& row : cells) {
    for (auto& cell : row) cell = CellState{};
  }
  for (const auto& r : history) {
    if (!at.empty() && r.captured_at > at) continue;
    for (Channel c : kAllChannels) {
      for (Purpose p : kAllPurposes) {
        if (!Applies(r, ChannelName(c), PurposeName(p))) continue;
        CellState& cell = cells[static_cast<int>(c)][static_cast<int>(p)];
        cell.state = r.kind == kGrant ? State::kGranted : State::kRevoked;
        cell.block = r.kind == kGrant ? Block::kAllowed : Block::kRevoked;
        cell.consent_id = r.consent_id;
      }
    }
  }
}

namespace {

// Applies the contact, reassignment and address-level rules to a cell that
// history says is granted. `target_index` is the blind index of the contact
// the message would go to.
StatusOr<CellState> Evaluate(engine::Engine& engine, const std::string& practice_id,
                             const std::vector<store::ConsentRecordRow>& history, const CellState& derived,
                             Channel channel, const std::string& target_index) {
  CellState cell = derived;
  if (cell.state != State::kGranted || channel == Channel::kPortal) return cell;
  const store::ConsentRecordRow* grant = nullptr;
  for (const auto& r : history) {
    if (r.consent_id == cell.consent_id) grant = &r;
  }
  if (grant == nullptr) return InternalError("derived consent record missing from history");
  if (!grant->contact_index.empty() && grant->contact_index != target_index) {
    cell.block = Block::kContactChanged;
    return cell;
  }
  if (target_index.empty()) {
    cell.block = Block::kContactChanged;  // nothing on file to send to
    return cell;
  }
  if (UsesPhone(channel)) {
    ASSIGN_OR_RETURN(auto disconnected, engine.store().consent().DisconnectedOn(practice_id, target_index));
    if (disconnected.has_value() && grant->captured_at.substr(0, 10) <= *disconnected) {
      cell.block = Block::kNumberReassigned;
      return cell;
    }
  }
  ASSIGN_OR_RETURN(auto address, engine.store().consent().AddressHistory(practice_id, target_index));
  if (const auto* a = LatestAddressRecord(address, channel); a != nullptr && a->kind == kRevoke && a->seq > grant->seq) {
    cell.block = Block::kRevoked;
    cell.consent_id = a->consent_id;
  }
  return cell;
}

}  // namespace

StatusOr<std::string> ConsentVault::Record(const GrantRequest& req) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, req.practice_id));
  ASSIGN_OR_RETURN(auto patient, FindPatient(engine_, *ctx.keys, ctx.practice_id, req.patient));
  if (req.source == Source::kEmailUnsubscribe) return InvalidArgumentError("email_unsubscribe is not a source of consent");
  RETURN_IF_ERROR(CheckText(req.evidence, kMaxEvidenceBytes, "evidence", /*required=*/true));
  RETURN_IF_ERROR(CheckText(req.user_agent, kMaxUserAgentBytes, "user agent", /*required=*/false));
  RETURN_IF_ERROR(CheckIp(req.ip));
  NewRecord in;
  in.patient_id = patient.patient_id;
  in.kind = kGrant;
  in.channel = ChannelName(req.channel);
  in.purpose = PurposeName(req.purpose);
  in.source = req.source;
  ASSIGN_OR_RETURN(in.contact, NormalizeContact(req.channel, req.contact));
  if (in.contact.empty() && req.channel != Channel::kPortal) {
    ASSIGN_OR_RETURN(in.contact, CurrentContact(*ctx.keys, patient, req.channel));
    if (in.contact.empty()) {
      return FailedPreconditionError("patient " + patient.patient_id + " has no " +
                                     (req.channel == Channel::kEmail ? "email" : "phone") +
                                     " on file; give the contact the consent applies to");
    }
  }
  in.contact_index = ContactIndex(*ctx.keys, req.channel, in.contact);
  in.evidence = req.evidence;
  in.ip = req.ip;
  in.user_agent = req.user_agent;
  std::optional<store::ConsentLanguageRow> language;
  if (!req.language_version.empty()) {
    ASSIGN_OR_RETURN(auto l, engine_.store().consent().GetLanguage(ctx.practice_id, req.language_version));
    if (l.channel != in.channel) return InvalidArgumentError("consent language " + l.version_id + " is for another channel");
    language = std::move(l);
  } else {
    ASSIGN_OR_RETURN(language, engine_.store().consent().CurrentLanguage(ctx.practice_id, std::string(in.channel)));
  }
  if (language.has_value()) {
    in.language_version = language->version_id;
    in.language_sha256 = language->sha256;
  }
  in.risk_acknowledged = req.risk_acknowledged;
  ASSIGN_OR_RETURN(auto row, BuildRow(engine_, ctx, in));
  RETURN_IF_ERROR(engine_.store().consent().Append(ctx.practice_id, {row}, {RecordEvent(engine_, row, patient.subject)}));
  return row.consent_id;
}

StatusOr<std::string> ConsentVault::Revoke(const RevokeRequest& req) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, req.practice_id));
  ASSIGN_OR_RETURN(auto patient, FindPatient(engine_, *ctx.keys, ctx.practice_id, req.patient));
  RETURN_IF_ERROR(CheckText(req.evidence, kMaxEvidenceBytes, "evidence", req.source == Source::kStaffVerbal));
  NewRecord in;
  in.patient_id = patient.patient_id;
  in.kind = kRevoke;
  in.channel = req.channel ? ChannelName(*req.channel) : kAll;
  in.purpose = req.purpose ? PurposeName(*req.purpose) : kAll;
  in.source = req.source;
  in.evidence = req.evidence;
  ASSIGN_OR_RETURN(auto row, BuildRow(engine_, ctx, in));
  RETURN_IF_ERROR(engine_.store().consent().Append(ctx.practice_id, {row}, {RecordEvent(engine_, row, patient.subject)}));
  return row.consent_id;
}

StatusOr<std::vector<std::string>> ConsentVault::Resubscribe(const std::string& practice_id, const std::string& patient,
                                                             Channel channel, Source source, const std::string& contact) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, FindPatient(engine_, *ctx.keys, ctx.practice_id, patient));
  ASSIGN_OR_RETURN(std::string normalized, NormalizeContact(channel, contact));
  if (normalized.empty()) {
    ASSIGN_OR_RETURN(normalized, CurrentContact(*ctx.keys, p, channel));
  }
  const std::string index = ContactIndex(*ctx.keys, channel, normalized);
  ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(ctx.practice_id, p.patient_id));
  std::vector<store::ConsentRecordRow> rows;
  std::vector<audit::AuditEvent> events;
  for (const auto* old : GrantsToRestore(history, channel, index, FormatRfc3339Millis(engine_.clock().Now()))) {
    NewRecord in;
    in.patient_id = p.patient_id;
    in.kind = kGrant;
    in.channel = ChannelName(channel);
    in.purpose = old->purpose;
    in.source = source;
    in.contact = normalized;
    in.contact_index = index;
    in.evidence = "re-opt-in on " + std::string(ChannelName(channel)) + " restoring " + old->consent_id;
    in.language_version = old->language_version;
    in.language_sha256 = old->language_sha256;
    in.risk_acknowledged = old->risk_acknowledged;
    ASSIGN_OR_RETURN(auto row, BuildRow(engine_, ctx, in));
    events.push_back(RecordEvent(engine_, row, p.subject));
    rows.push_back(std::move(row));
  }
  std::vector<std::string> ids;
  if (rows.empty()) return ids;
  RETURN_IF_ERROR(engine_.store().consent().Append(ctx.practice_id, rows, events));
  for (const auto& r : rows) ids.push_back(r.consent_id);
  return ids;
}

StatusOr<ConsentView> ConsentVault::Show(const std::string& practice_id, const std::string& patient) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, FindPatient(engine_, *ctx.keys, ctx.practice_id, patient));
  ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(ctx.practice_id, p.patient_id));
  ConsentView view;
  view.patient_id = p.patient_id;
  CellState derived[5][2];
  DeriveStates(history, FormatRfc3339Millis(engine_.clock().Now()), derived);
  for (Channel c : kAllChannels) {
    for (Purpose pu : kAllPurposes) {
      ASSIGN_OR_RETURN(view.cells[static_cast<int>(c)][static_cast<int>(pu)],
                       Evaluate(engine_, ctx.practice_id, history, derived[static_cast<int>(c)][static_cast<int>(pu)],
                                c, CurrentContactIndex(p, c)));
    }
  }
  for (const auto& r : history) {
    HistoryEntry h{r.consent_id, r.kind, r.channel, r.purpose, r.source, r.captured_at, r.captured_by,
                   "", r.language_version, r.language_sha256, r.risk_acknowledged};
    ASSIGN_OR_RETURN(std::string contact, Unseal(*ctx.keys, r, r.contact_enc, "contact"));
    if (!contact.empty()) h.contact_masked = contact.find('@') != std::string::npos ? MaskEmail(contact) : MaskPhone(contact);
    view.history.push_back(std::move(h));
  }
  RETURN_IF_ERROR(engine_.store()
                      .audit()
                      .Append(engine_.Event("consent.view", ctx.practice_id, p.subject,
                                            {{"patient", p.patient_id}, {"records", int64_t(history.size())}}))
                      .status());
  return view;
}

StatusOr<ConsentDecision> ConsentVault::Check(const std::string& practice_id, const std::string& patient_id,
                                              Channel channel, Purpose purpose, std::string_view contact, TimePoint at) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, engine_.store().patients().Get(ctx.practice_id, patient_id));
  ASSIGN_OR_RETURN(std::string normalized, NormalizeContact(channel, contact));
  const std::string target =
      normalized.empty() ? CurrentContactIndex(p, channel) : ContactIndex(*ctx.keys, channel, normalized);
  ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(ctx.practice_id, p.patient_id));
  CellState derived[5][2];
  DeriveStates(history, FormatRfc3339Millis(at), derived);
  ASSIGN_OR_RETURN(CellState cell, Evaluate(engine_, ctx.practice_id, history,
                                            derived[static_cast<int>(channel)][static_cast<int>(purpose)], channel, target));
  return ConsentDecision{cell.block, cell.consent_id};
}

StatusOr<store::ConsentLanguageRow> ConsentVault::AddLanguage(const std::string& practice_id, Channel channel,
                                                              const std::string& text) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  RETURN_IF_ERROR(CheckText(text, kMaxLanguageBytes, "consent language text", /*required=*/true));
  store::ConsentLanguageRow row;
  row.practice_id = ctx.practice_id;
  ASSIGN_OR_RETURN(row.version_id, engine_.random().NewId("clv"));
  row.channel = std::string(ChannelName(channel));
  row.text = text;
  row.sha256 = HexEncode(crypto::Sha256(text));
  row.created_at = FormatRfc3339Millis(engine_.clock().Now());
  row.created_by = engine_.actor();
  RETURN_IF_ERROR(engine_.store().consent().AddLanguage(
      row, engine_.Event("consent.language_add", ctx.practice_id, "",
                         {{"version", row.version_id}, {"channel", row.channel}, {"sha256", row.sha256}})));
  return row;
}

StatusOr<std::optional<store::ConsentLanguageRow>> ConsentVault::CurrentLanguage(const std::string& practice_id,
                                                                                Channel channel) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  return engine_.store().consent().CurrentLanguage(ctx.practice_id, std::string(ChannelName(channel)));
}

namespace {
constexpr size_t kTokenMacBytes = 16;

std::string TokenMac(const crypto::PracticeKeys& keys, std::string_view practice_id, std::string_view patient_id,
                     std::string_view label = "recall-unsubscribe-v1") {
  std::string msg(label);
  msg.append("|").append(practice_id).append("|").append(patient_id);
  return HexEncode(keys.SignToken(msg).substr(0, kTokenMacBytes));
}

bool IsIdText(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}
}  // namespace

namespace {
std::vector<std::string_view> SplitDots(std::string_view token) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}
std::string ConfirmationLabel(Purpose purpose) {
  return "recall-consent-confirmation-v1|" + std::string(PurposeName(purpose));
}
}  // namespace

StatusOr<std::string> ConsentVault::UnsubscribeToken(const std::string& practice_id, const std::string& patient) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, FindPatient(engine_, *ctx.keys, ctx.practice_id, patient));
  return "u1." + ctx.practice_id + "." + p.patient_id + "." + TokenMac(*ctx.keys, ctx.practice_id, p.patient_id);
}

StatusOr<std::string> ConsentVault::Unsubscribe(std::string_view token) {
  const Status bad = UnauthenticatedError("the unsubscribe token is not valid");
  if (token.size() > 256) return bad;
  const std::vector<std::string_view> parts = SplitDots(token);
  if (parts.size() != 4 || parts[0] != "u1" || !IsIdText(parts[1]) || !IsIdText(parts[2])) return bad;
  const std::string practice_id(parts[1]), patient_id(parts[2]);
  auto keys = engine_.KeysFor(practice_id);
  if (!keys.ok()) return IsNotFound(keys.status()) ? bad : keys.status();
  if (!crypto::ConstantTimeEquals(TokenMac(**keys, practice_id, patient_id), parts[3])) return bad;
  RevokeRequest req;
  req.practice_id = practice_id;
  req.patient = patient_id;
  req.source = Source::kEmailUnsubscribe;
  req.evidence = "unsubscribe token verified";
  RETURN_IF_ERROR(Revoke(req).status());
  return patient_id;
}


StatusOr<std::string> ConsentVault::ConfirmationToken(const std::string& practice_id, const std::string& patient,
                                                      Purpose purpose) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, FindPatient(engine_, *ctx.keys, ctx.practice_id, patient));
  return "c1." + ctx.practice_id + "." + p.patient_id + "." + std::string(PurposeName(purpose)) + "." +
         TokenMac(*ctx.keys, ctx.practice_id, p.patient_id, ConfirmationLabel(purpose));
}

StatusOr<std::string> ConsentVault::ConfirmByToken(std::string_view token, const std::string& ip,
                                                   const std::string& user_agent) {
  const Status bad = UnauthenticatedError("the confirmation token is not valid");
  if (token.size() > 256) return bad;
  const std::vector<std::string_view> parts = SplitDots(token);
  if (parts.size() != 5 || parts[0] != "c1" || !IsIdText(parts[1]) || !IsIdText(parts[2])) return bad;
  auto purpose = ParsePurpose(parts[3]);
  if (!purpose.ok()) return bad;
  const std::string practice_id(parts[1]), patient_id(parts[2]);
  auto keys = engine_.KeysFor(practice_id);
  if (!keys.ok()) return IsNotFound(keys.status()) ? bad : keys.status();
  if (!crypto::ConstantTimeEquals(TokenMac(**keys, practice_id, patient_id, ConfirmationLabel(*purpose)), parts[4])) {
    return bad;
  }
  ASSIGN_OR_RETURN(auto patient, engine_.store().patients().Get(practice_id, patient_id));
  if (patient.phone_index.empty() || patient.phone_line_type != "mobile") {
    return FailedPreconditionError("patient " + patient_id + " has no mobile number on file to consent for");
  }
  ASSIGN_OR_RETURN(ConsentDecision current,
                   Check(practice_id, patient_id, Channel::kSms, *purpose, "", engine_.clock().Now()));
  if (current.allowed()) return patient_id;  // clicked twice
  GrantRequest req;
  req.practice_id = practice_id;
  req.patient = patient_id;
  req.channel = Channel::kSms;
  req.purpose = *purpose;
  req.source = Source::kConsentConfirmation;
  req.evidence = "confirmed through the signed link in the practice's consent request email";
  req.ip = ip;
  req.user_agent = user_agent;
  RETURN_IF_ERROR(Record(req).status());
  return patient_id;
}

StatusOr<nlohmann::json> ConsentVault::ExportFhir(const std::string& practice_id, const std::string& patient) {
  using nlohmann::json;
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ASSIGN_OR_RETURN(auto p, FindPatient(engine_, *ctx.keys, ctx.practice_id, patient));
  ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(ctx.practice_id, p.patient_id));
  CellState cells[5][2];
  DeriveStates(history, FormatRfc3339Millis(engine_.clock().Now()), cells);
  std::set<std::string> deciding;
  for (auto& row : cells) {
    for (auto& cell : row) {
      if (!cell.consent_id.empty()) deciding.insert(cell.consent_id);
    }
  }
  const std::string kExt = "https://recall.example/fhir/StructureDefinition/";
  json out = json::array();
  for (const auto& r : history) {
    const bool grant = r.kind == kGrant;
    json provision = {{"type", grant ? "permit" : "deny"}, {"period", {{"start", r.captured_at}}}};
    json purposes = json::array();
    for (Purpose pu : kAllPurposes) {
      if (r.purpose != kAll && r.purpose != PurposeName(pu)) continue;
      purposes.push_back({{"system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"},
                          {"code", pu == Purpose::kCare ? "TREAT" : "HMARKT"},
                          {"display", pu == Purpose::kCare ? "treatment" : "healthcare marketing"}});
    }
    provision["purpose"] = purposes;
    json channels = json::array();
    for (Channel c : kAllChannels) {
      if (r.channel != kAll && r.channel != ChannelName(c)) continue;
      channels.push_back({{"coding", json::array({{{"system", "https://recall.example/fhir/CodeSystem/channel"},
                                                    {"code", std::string(ChannelName(c))}}})}});
    }
    provision["code"] = channels;
    json extensions = json::array({
        {{"url", kExt + "consent-source"}, {"valueCode", r.source}},
        {{"url", kExt + "captured-by"}, {"valueString", r.captured_by}},
    });
    if (!r.language_version.empty()) {
      extensions.push_back({{"url", kExt + "consent-language-version"}, {"valueString", r.language_version}});
      extensions.push_back({{"url", kExt + "consent-language-sha256"}, {"valueString", r.language_sha256}});
    }
    if (r.risk_acknowledged.has_value()) {
      extensions.push_back({{"url", kExt + "unsecured-risk-acknowledged"}, {"valueBoolean", *r.risk_acknowledged}});
    }
    json resource = {
        {"resourceType", "Consent"},
        {"id", r.consent_id},
        {"extension", extensions},
        {"status", deciding.count(r.consent_id) > 0 ? "active" : "inactive"},
        {"scope",
         {{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/consentscope"},
                                   {"code", "patient-privacy"}}})}}},
        {"category",
         json::array({{{"coding", json::array({{{"system", "http://loinc.org"},
                                                {"code", "59284-0"},
                                                {"display", "Patient Consent"}}})}}})},
        {"patient", {{"reference", "Patient/" + r.patient_id}}},
        {"dateTime", r.captured_at},
        {"organization", json::array({{{"reference", "Organization/" + r.practice_id}}})},
        {"policyRule",
         {{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
                                   {"code", grant ? "OPTIN" : "OPTOUT"}}})}}},
        {"provision", provision},
    };
    out.push_back(std::move(resource));
  }
  RETURN_IF_ERROR(engine_.store()
                      .audit()
                      .Append(engine_.Event("consent.export", ctx.practice_id, p.subject,
                                            {{"patient", p.patient_id}, {"format", std::string("fhir")},
                                             {"records", int64_t(history.size())}}))
                      .status());
  return out;
}

StatusOr<ImportedConsentReport> ConsentVault::ApplyImported(const std::string& practice_id,
                                                            const std::vector<patients::ImportedConsent>& consents) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  ImportedConsentReport report;
  std::vector<store::ConsentRecordRow> rows;
  std::vector<audit::AuditEvent> events;
  const std::string now = FormatRfc3339Millis(engine_.clock().Now());
  for (const auto& in : consents) {
    ASSIGN_OR_RETURN(Channel channel, ParseChannel(in.channel));
    ASSIGN_OR_RETURN(auto p, engine_.store().patients().GetByExternalIndex(ctx.practice_id, in.external_index));
    ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(ctx.practice_id, p.patient_id));
    CellState cells[5][2];
    DeriveStates(history, now, cells);
    const CellState& care = cells[static_cast<int>(channel)][static_cast<int>(Purpose::kCare)];
    NewRecord rec;
    rec.patient_id = p.patient_id;
    rec.channel = ChannelName(channel);
    rec.source = Source::kPracticeImport;
    if (in.granted) {
      if (care.state == State::kRevoked) {
        ++report.skipped_revoked;  // an export's stale "yes" never overrides a STOP
        continue;
      }
      ASSIGN_OR_RETURN(rec.contact, CurrentContact(*ctx.keys, p, channel));
      if (rec.contact.empty()) {
        ++report.skipped_no_contact;
        continue;
      }
      rec.contact_index = ContactIndex(*ctx.keys, channel, rec.contact);
      if (care.state == State::kGranted) {
        const auto it = std::find_if(history.begin(), history.end(),
                                     [&](const auto& r) { return r.consent_id == care.consent_id; });
        if (it != history.end() && it->contact_index == rec.contact_index) {
          ++report.unchanged;
          continue;
        }
      }
      rec.kind = kGrant;
      rec.purpose = PurposeName(Purpose::kCare);
      rec.evidence = "consent column of a practice export, attested by the practice";
      ASSIGN_OR_RETURN(auto language, engine_.store().consent().CurrentLanguage(ctx.practice_id, std::string(rec.channel)));
      if (language.has_value()) {
        rec.language_version = language->version_id;
        rec.language_sha256 = language->sha256;
      }
      ++report.granted;
    } else {
      const CellState& outreach = cells[static_cast<int>(channel)][static_cast<int>(Purpose::kOutreach)];
      if (care.state == State::kRevoked && outreach.state == State::kRevoked) {
        ++report.unchanged;
        continue;
      }
      rec.kind = kRevoke;
      rec.purpose = kAll;
      rec.evidence = "opt-out in a practice export";
      ++report.revoked;
    }
    ASSIGN_OR_RETURN(auto row, BuildRow(engine_, ctx, rec));
    events.push_back(RecordEvent(engine_, row, p.subject));
    rows.push_back(std::move(row));
  }
  if (!rows.empty()) RETURN_IF_ERROR(engine_.store().consent().Append(ctx.practice_id, rows, events));
  return report;
}

StatusOr<ReassignedReport> ConsentVault::ImportReassigned(const std::string& practice_id, std::istream& in) {
  ASSIGN_OR_RETURN(Ctx ctx, OpenPractice(engine_, practice_id));
  patients::CsvReader reader(in);
  std::vector<std::string> fields;
  int64_t line = 0;
  ASSIGN_OR_RETURN(bool has_header, reader.Next(fields, line));
  if (!has_header) return InvalidArgumentError("the file is empty (no header row)");
  int number_col = -1, date_col = -1, result_col = -1;
  for (size_t col = 0; col < fields.size(); ++col) {
    std::string h = AsciiLower(TrimAscii(fields[col]));
    if (col == 0 && h.rfind("\xef\xbb\xbf", 0) == 0) h = h.substr(3);
    std::replace(h.begin(), h.end(), ' ', '_');
    const int c = static_cast<int>(col);
    if (h == "phone" || h == "number" || h == "phone_number" || h == "tn" || h == "telephone_number") number_col = c;
    else if (h == "disconnect_date" || h == "date" || h == "date_provided" || h == "permanent_disconnect_date" ||
             h == "disconnected_on") date_col = c;
    else if (h == "result" || h == "answer" || h == "reassigned") result_col = c;
  }
  if (number_col < 0 || date_col < 0) {
    return InvalidArgumentError("the header needs a number column (phone, number, tn) and a date column "
                                "(disconnect_date, date_provided)");
  }
  ReassignedReport report;
  std::vector<store::ReassignedNumberRow> rows;
  const std::string now = FormatRfc3339Millis(engine_.clock().Now());
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) break;
    if (fields.size() == 1 && TrimAscii(fields[0]).empty()) continue;
    const size_t need = static_cast<size_t>(std::max({number_col, date_col, result_col})) + 1;
    if (fields.size() < need) {
      report.rejected.push_back({line, "too few fields"});
      continue;
    }
    if (result_col >= 0) {
      const std::string answer = AsciiLower(TrimAscii(fields[static_cast<size_t>(result_col)]));
      if (answer != "yes" && answer != "y") {
        ++report.skipped;
        continue;
      }
    }
    auto phone = contact::ParsePhone(fields[static_cast<size_t>(number_col)]);
    if (!phone.ok()) {
      report.rejected.push_back({line, "invalid phone number"});
      continue;
    }
    auto date = contact::ParseUsDate(fields[static_cast<size_t>(date_col)]);
    if (!date.ok()) {
      report.rejected.push_back({line, "invalid date"});
      continue;
    }
    rows.push_back({ctx.practice_id, ctx.keys->BlindIndex("phone", phone->e164), *date, now});
    ++report.imported;
  }
  RETURN_IF_ERROR(engine_.store().consent().ImportReassigned(
      ctx.practice_id, rows,
      engine_.Event("reassigned.import", ctx.practice_id, "",
                    {{"imported", report.imported},
                     {"skipped", report.skipped},
                     {"rejected", int64_t(report.rejected.size())}})));
  return report;
}

StatusOr<InboundOutcome> ConsentVault::HandleInboundSms(const InboundSms& msg) {
  if (msg.practice_id.empty()) return InvalidArgumentError("a practice id is required");
  ASSIGN_OR_RETURN(auto practice, engine_.store().practices().Get(msg.practice_id));
  ASSIGN_OR_RETURN(auto keys, engine_.KeysFor(msg.practice_id));
  auto phone = contact::ParsePhone(msg.from);
  if (!phone.ok()) return InvalidArgumentError("the sender is not a valid phone number");
  const Ctx ctx{msg.practice_id, keys};
  const std::string index = keys->BlindIndex("phone", phone->e164);

  InboundOutcome out;
  inbound::ClassifyContext context;
  context.consent_request_pending = !msg.consent_request_patients.empty();
  out.classification = inbound::Classify(msg.body, context);
  const auto& cls = out.classification;
  std::vector<store::PatientRow> matches;
  if (msg.patients.has_value()) {
    matches = *msg.patients;
  } else {
    ASSIGN_OR_RETURN(matches, engine_.store().patients().FindByPhoneIndex(msg.practice_id, index));
  }
  out.patient_found = !matches.empty();
  for (const auto& m : matches) out.patient_ids.push_back(m.patient_id);

  std::vector<store::ConsentRecordRow> rows;
  std::vector<audit::AuditEvent> events;
  auto add = [&](NewRecord rec, const std::string& subject) -> Status {
    ASSIGN_OR_RETURN(auto row, BuildRow(engine_, ctx, rec));
    events.push_back(RecordEvent(engine_, row, subject));
    rows.push_back(std::move(row));
    return OkStatus();
  };
  NewRecord base;
  base.source = Source::kKeywordReply;
  base.contact = phone->e164;
  base.contact_index = index;
  const std::string now = FormatRfc3339Millis(engine_.clock().Now());

  if (cls.opt_out) {
    // Revoke everything for everyone on this number, or suppress the number itself.
    base.kind = kRevoke;
    base.channel = kAll;
    base.purpose = kAll;
    base.evidence = "SMS opt-out keyword";
    if (matches.empty()) {
      RETURN_IF_ERROR(add(base, ""));
      out.effects.push_back("address.suppressed");
    } else {
      for (const auto& m : matches) {
        NewRecord rec = base;
        rec.patient_id = m.patient_id;
        RETURN_IF_ERROR(add(rec, m.subject));
      }
      out.effects.push_back("consent.revoked_all");
    }
  } else if (cls.intent == inbound::Intent::kOptIn && !msg.consent_request_patients.empty()) {
    // YES to a pending consent request: prior express written consent for SMS,
    // for the request's purpose, on this very number.
    bool confirmed = false;
    for (const auto& m : matches) {
      if (std::find(msg.consent_request_patients.begin(), msg.consent_request_patients.end(), m.patient_id) ==
          msg.consent_request_patients.end()) {
        continue;
      }
      NewRecord rec = base;
      rec.patient_id = m.patient_id;
      rec.kind = kGrant;
      rec.channel = ChannelName(Channel::kSms);
      rec.purpose = PurposeName(msg.consent_request_purpose);
      rec.source = Source::kConsentConfirmation;
      rec.evidence = "YES reply by SMS to the practice's consent request";
      RETURN_IF_ERROR(add(rec, m.subject));
      confirmed = true;
    }
    out.effects.push_back(confirmed ? "consent.confirmed:sms" : "consent.nothing_to_restore");
  } else if (cls.intent == inbound::Intent::kOptIn) {
    ASSIGN_OR_RETURN(auto address, engine_.store().consent().AddressHistory(msg.practice_id, index));
    if (const auto* a = LatestAddressRecord(address, Channel::kSms); a != nullptr && a->kind == kRevoke) {
      NewRecord rec = base;
      rec.kind = kGrant;
      rec.channel = ChannelName(Channel::kSms);
      rec.purpose = kAll;
      rec.evidence = "SMS opt-in keyword lifts the number's suppression";
      RETURN_IF_ERROR(add(rec, ""));
      out.effects.push_back("address.unsuppressed:sms");
    }
    bool restored = false;
    for (const auto& m : matches) {
      ASSIGN_OR_RETURN(auto history, engine_.store().consent().History(msg.practice_id, m.patient_id));
      for (const auto* old : GrantsToRestore(history, Channel::kSms, index, now)) {
        NewRecord rec = base;
        rec.patient_id = m.patient_id;
        rec.kind = kGrant;
        rec.channel = ChannelName(Channel::kSms);
        rec.purpose = old->purpose;
        rec.evidence = "SMS opt-in keyword restoring " + old->consent_id;
        rec.language_version = old->language_version;
        rec.language_sha256 = old->language_sha256;
        rec.risk_acknowledged = old->risk_acknowledged;
        RETURN_IF_ERROR(add(rec, m.subject));
        restored = true;
      }
    }
    out.effects.push_back(restored ? "consent.restored:sms" : "consent.nothing_to_restore");
  }
  if (cls.urgent) out.effects.push_back("handoff.urgent");
  if (cls.intent == inbound::Intent::kOther || cls.intent == inbound::Intent::kConfirm) out.effects.push_back("inbox");

  out.reply = inbound::RequiredReply(cls, {practice.name, FormatDisplayPhone(practice.phone)});

  audit::Details d{{"intent", std::string(inbound::IntentName(cls.intent))},
                   {"opt_out", cls.opt_out},
                   {"urgent", cls.urgent},
                   {"handoff", cls.urgent},
                   {"patient_found", out.patient_found},
                   {"patients", int64_t(matches.size())},
                   {"bytes", int64_t(msg.body.size())},
                   {"truncated", cls.truncated},
                   {"replied", out.reply.has_value()}};
  if (matches.size() == 1) d["patient"] = matches.front().patient_id;
  events.push_back(engine_.Event("inbound.sms", msg.practice_id, matches.size() == 1 ? matches.front().subject : "",
                                 std::move(d)));
  // The consent changes, the message's audit record and the caller's rows commit together.
  std::vector<store::InboundEventRow> inbound_rows;
  if (msg.also_record) RETURN_IF_ERROR(msg.also_record(out, &inbound_rows, &events));
  RETURN_IF_ERROR(engine_.store().consent().Append(msg.practice_id, rows, inbound_rows, events));
  out.effects.push_back("audit.recorded");
  return out;
}

}  // namespace recall::consent
