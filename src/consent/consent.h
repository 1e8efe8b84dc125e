#pragma once
// The consent vault: who may be contacted, on which channel, for what, and the
// evidence for it.
//
// Model. Consent is held per patient, per channel (sms, email, voice, rvm,
// portal) and per purpose (care: reminders and care notifications; outreach:
// re-engagement, recall, reviews, anything promotional). Consent for care never
// extends to outreach. Every grant and every revocation is one append-only
// record (store/consent_store.h) carrying its evidence: source, time, actor,
// the exact contact it applies to, IP and user agent where known, the consent
// wording version it was given under and, for unsecured channels, whether the
// patient acknowledged the risk. PHI in a record is encrypted under the
// practice's field key, bound to the record's id. The current state of each
// (channel, purpose) cell is derived from history: the newest record that
// applies to the cell wins.
//
// Rules this folder enforces:
//   - A revocation on any channel (SMS keyword, email unsubscribe, a staff-
//     recorded verbal request) revokes every channel and purpose by default.
//   - Re-opt-in (START, UNSTOP) restores only the channel it came in on, and
//     only the purposes that were granted before the revocation: a keyword
//     never creates consent that did not exist.
//   - A grant applies to the exact contact it was given for: after a phone or
//     email change it stops counting (kContactChanged).
//   - A grant given on or before a number's permanent-disconnect date (FCC
//     Reassigned Numbers Database) stops counting (kNumberReassigned).
//   - A practice import never overrides a revocation.
//   - A STOP from a number that matches no patient is kept as an address-level
//     revocation, so the number stays suppressed whoever it later belongs to,
//     until a START from that number.
//
// Sending. The dispatcher calls ConsentVault::Check for every message
// immediately before handing it to a provider; a revocation is one committed
// transaction, so nothing is handed over after it commits. Check reads the
// store and never writes (no audit record), so it is cheap enough for that.
//
// Every change and every inbound message is audited with the patient's
// pseudonym and opaque ids only: never a contact, a message body or evidence.
//
// Thread-safety: ConsentVault holds only a reference to the Engine and may be
// used from several threads; the store serialises writes.
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/engine.h"
#include "inbound/classifier.h"
#include "patients/patients.h"
#include "store/consent_store.h"

namespace recall::consent {

enum class Channel { kSms, kEmail, kVoice, kRvm, kPortal };
enum class Purpose { kCare, kOutreach };
inline constexpr Channel kAllChannels[] = {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm,
                                           Channel::kPortal};
inline constexpr Purpose kAllPurposes[] = {Purpose::kCare, Purpose::kOutreach};

// "sms", "email", "voice", "rvm", "portal" / "care", "outreach": a CLI and
// storage contract.
std::string_view ChannelName(Channel channel);
std::string_view PurposeName(Purpose purpose);
// InvalidArgument naming the accepted values.
StatusOr<Channel> ParseChannel(std::string_view name);
StatusOr<Purpose> ParsePurpose(std::string_view name);

// Where the evidence of a consent event came from. Stored by name.
enum class Source {
  kIntakeForm,           // "intake_form"
  kPracticeImport,       // "practice_import": attested by the practice in an export
  kKeywordReply,         // "keyword_reply": STOP / START by SMS
  kWebForm,              // "web_form"
  kStaffVerbal,          // "staff_verbal": recorded by staff from a call or visit
  kConsentConfirmation,  // "consent_confirmation": YES to a consent request
  kEmailUnsubscribe,     // "email_unsubscribe": link or RFC 8058 one-click (revocations only)
};
std::string_view SourceName(Source source);
StatusOr<Source> ParseSource(std::string_view name);

// Unsecured channels, where the patient should acknowledge the risk of PHI in
// transit (sms, email, voice, rvm).
bool IsUnsecured(Channel channel);

struct GrantRequest {
  std::string practice_id;
  std::string patient;  // Recall id ("pat_...") or the practice's own patient id
  Channel channel = Channel::kSms;
  Purpose purpose = Purpose::kCare;
  Source source = Source::kStaffVerbal;
  std::string evidence;          // required; free text, stored encrypted
  std::string contact;           // E.164 or email it applies to; "" -> the patient's current one
  std::string ip;                // "" when unknown
  std::string user_agent;        // "" when unknown
  std::string language_version;  // "" -> the practice's current wording for the channel, if any
  std::optional<bool> risk_acknowledged;
};

struct RevokeRequest {
  std::string practice_id;
  std::string patient;  // Recall id or the practice's own id
  Source source = Source::kStaffVerbal;
  std::string evidence;  // required for staff_verbal; free text, stored encrypted
  // Narrow the revocation; the default (both unset) revokes every channel and purpose.
  std::optional<Channel> channel;
  std::optional<Purpose> purpose;
};

enum class State { kNone, kGranted, kRevoked };
std::string_view StateName(State state);  // "none" | "granted" | "revoked"

// Why a granted cell does not count (or why Check refuses).
enum class Block { kAllowed, kNoConsent, kRevoked, kContactChanged, kNumberReassigned };
std::string_view BlockName(Block block);  // "allowed", "no_consent", "revoked", "contact_changed", "number_reassigned"

struct CellState {
  State state = State::kNone;   // as recorded
  Block block = Block::kNoConsent;  // kAllowed only when the grant counts now
  std::string consent_id;       // the record that decides the cell; "" when none
};

// One history entry as shown to operators: no evidence text, contact masked.
struct HistoryEntry {
  std::string consent_id, kind, channel, purpose, source, captured_at, captured_by;
  std::string contact_masked;  // "+1 ***-***-0142"; "" when none
  std::string language_version, language_sha256;
  std::optional<bool> risk_acknowledged;
};

struct ConsentView {
  std::string patient_id;
  CellState cells[5][2];  // [Channel][Purpose]
  std::vector<HistoryEntry> history;
  const CellState& cell(Channel c, Purpose p) const { return cells[static_cast<int>(c)][static_cast<int>(p)]; }
};

// What Check decided for one message.
struct ConsentDecision {
  Block block = Block::kNoConsent;
  std::string consent_id;  // the grant relied on (allowed) or the record that blocks; "" when none
  bool allowed() const { return block == Block::kAllowed; }
  // OK when allowed; FailedPrecondition naming the reason and the patient id otherwise.
  Status ToStatus(std::string_view patient_id) const;
};

// A practice import's consent columns, applied.
struct ImportedConsentReport {
  int64_t granted = 0;
  int64_t revoked = 0;
  int64_t unchanged = 0;         // already granted for the same contact
  int64_t skipped_revoked = 0;   // a grant that would override a revocation
  int64_t skipped_no_contact = 0;
};

struct ReassignedReport {
  int64_t imported = 0;  // numbers reported disconnected
  int64_t skipped = 0;   // rows whose answer is "no" / "no data"
  std::vector<patients::RejectedRow> rejected;  // bad number or date (line, reason)
};

struct InboundOutcome;

struct InboundSms {
  std::string practice_id;
  std::string from;  // the sender's number; E.164 or US national
  std::string body;
  // Patients (of those with this number) who were sent a consent request (a
  // consent confirmation campaign message) and have not answered it; a YES
  // from them records SMS consent for `consent_request_purpose` with source
  // consent_confirmation. Set by the caller that knows the campaigns
  // (dispatch::HandleInboundSms).
  std::vector<std::string> consent_request_patients;
  Purpose consent_request_purpose = Purpose::kCare;
  // The patients with this number, when the caller has looked them up already
  // (dispatch::HandleInboundSms); unset: the vault looks them up.
  std::optional<std::vector<store::PatientRow>> patients;
  // Called once the message is classified and its consent changes decided,
  // before anything is written: rows (with their audit events, which follow
  // the vault's) that commit in the same transaction as the consent records —
  // dispatch's inbound events, so that a STOP is one commit.
  std::function<Status(const InboundOutcome& outcome, std::vector<store::InboundEventRow>* inbound,
                       std::vector<audit::AuditEvent>* events)>
      also_record;
};

struct InboundOutcome {
  inbound::Classification classification;
  bool patient_found = false;
  std::vector<std::string> patient_ids;  // every patient with that number
  std::optional<std::string> reply;      // the CTIA reply to send; never PHI
  // What was applied, e.g. "consent.revoked_all", "consent.restored:sms",
  // "consent.confirmed:sms",
  // "address.suppressed", "handoff.urgent", "inbox". Stable strings (CLI contract).
  std::vector<std::string> effects;
};

class ConsentVault {
 public:
  explicit ConsentVault(engine::Engine& engine) : engine_(engine) {}

  // Records a grant. InvalidArgument for empty or over-long evidence, a bad
  // contact/IP, a wording version of another channel; NotFound for an unknown
  // practice, patient or wording version; FailedPrecondition when no contact
  // is given and the patient has none on file for the channel. Audited
  // ("consent.grant"). Returns the new consent id.
  StatusOr<std::string> Record(const GrantRequest& request);

  // Records a revocation (every channel and purpose unless narrowed). Errors as
  // Record. Audited ("consent.revoke"). Returns the new consent id.
  StatusOr<std::string> Revoke(const RevokeRequest& request);

  // Re-opt-in on one channel: restores, for `contact`, the purposes of that
  // channel that were granted just before their latest revocation. Returns the
  // new consent ids (empty when there was nothing to restore). Audited.
  StatusOr<std::vector<std::string>> Resubscribe(const std::string& practice_id, const std::string& patient,
                                                 Channel channel, Source source, const std::string& contact);

  // Derived state plus history. NotFound for an unknown practice or patient.
  // Audited as a view ("consent.view").
  StatusOr<ConsentView> Show(const std::string& practice_id, const std::string& patient);

  // Decides whether one message may be handed to a provider now. `contact` is
  // the exact address it goes to ("" -> the patient's current one). Not
  // audited; reads only. NotFound for an unknown practice or patient.
  StatusOr<ConsentDecision> Check(const std::string& practice_id, const std::string& patient_id, Channel channel,
                                  Purpose purpose, std::string_view contact, TimePoint at);

  // Consent wording. AddLanguage stores a new version (audited) and returns it;
  // InvalidArgument for empty, over-long or non-UTF-8 text.
  StatusOr<store::ConsentLanguageRow> AddLanguage(const std::string& practice_id, Channel channel,
                                                  const std::string& text);
  StatusOr<std::optional<store::ConsentLanguageRow>> CurrentLanguage(const std::string& practice_id,
                                                                     Channel channel);

  // Email unsubscribe tokens: "u1.<practice_id>.<patient_id>.<mac>", the MAC a
  // 128-bit HMAC-SHA256 under the practice's token key. Usable in a link and
  // in an RFC 8058 one-click POST body; no cookie or login needed.
  StatusOr<std::string> UnsubscribeToken(const std::string& practice_id, const std::string& patient);
  // Verifies a token and records an email_unsubscribe revocation of every
  // channel and purpose. Unauthenticated for a malformed or forged token (the
  // message never says which part failed); NotFound when the patient is gone.
  // Returns the patient id.
  StatusOr<std::string> Unsubscribe(std::string_view token);

  // Consent confirmation tokens (the consent confirmation campaign's link):
  // "c1.<practice_id>.<patient_id>.<purpose>.<mac>", MAC as for unsubscribe
  // tokens but over a different label, so one kind never passes for the other.
  StatusOr<std::string> ConfirmationToken(const std::string& practice_id, const std::string& patient,
                                          Purpose purpose);
  // Verifies a confirmation token and records SMS consent for its purpose with
  // source consent_confirmation for the patient's current mobile number, with
  // the click's IP and user agent as evidence. Returns the patient id.
  // Unauthenticated for a malformed or forged token; FailedPrecondition when
  // the patient has no mobile number on file (nothing to consent for);
  // NotFound when the patient is gone. A patient who already has that consent
  // gets no second record (idempotent: a link clicked twice).
  StatusOr<std::string> ConfirmByToken(std::string_view token, const std::string& ip, const std::string& user_agent);

  // FHIR R4 Consent resources, one per record, oldest first. Audited
  // ("consent.export"). No contact, IP or evidence text is exported.
  StatusOr<nlohmann::json> ExportFhir(const std::string& practice_id, const std::string& patient);

  // Applies a practice import's consent columns: granted -> practice_import
  // grant for care on that channel and the patient's current contact; not
  // granted -> practice_import revocation of that channel. One transaction.
  StatusOr<ImportedConsentReport> ApplyImported(const std::string& practice_id,
                                                const std::vector<patients::ImportedConsent>& consents);

  // Imports a reassigned / disconnected numbers list: CSV with a header naming
  // a number column ("phone", "number", "phone_number", "tn") and a date column
  // ("disconnect_date", "date", "date_provided", "permanent_disconnect_date");
  // an optional "result"/"answer" column keeps only "yes" rows (RND answers).
  // InvalidArgument for a malformed file (store unchanged). Audited.
  StatusOr<ReassignedReport> ImportReassigned(const std::string& practice_id, std::istream& in);

  // Classifies an inbound SMS, finds the patients with that number (blind
  // index), applies consent effects and audits the message (never its body).
  // NotFound for an unknown practice; InvalidArgument for a sender that is not
  // a phone number. Any body (empty, huge, invalid UTF-8) is classified.
  StatusOr<InboundOutcome> HandleInboundSms(const InboundSms& message);

 private:
  engine::Engine& engine_;
};

// Derives the (channel, purpose) states from one patient's history, in
// sequence order, considering records captured at or before `at`
// (RFC 3339). Pure; contact and reassignment checks are the vault's.
void DeriveStates(const std::vector<store::ConsentRecordRow>& history, std::string_view at,
                  CellState (&cells)[5][2]);

}  // namespace recall::consent
