#pragma once
// Message templates: parsing, rendering, tier policy and per-channel required
// elements for outreach text. Pure functions over values; no storage, no clock,
// no clinical scanner (src/scanner/ judges the words; this library judges the
// shape).
//
// A template is Mustache-like text with `{{variable}}` tags over a closed
// allow-list of minimum-necessary variables (kAllowedVariables). The grammar is
// deliberately smaller than Mustache: there are no sections (`{{#`, `{{^`,
// `{{/`), partials (`{{>`), comments (`{{!`), delimiter changes (`{{=`) or
// unescaped output (`{{{` and `{{&`). Each of those is refused by Parse with its
// own message, so authors learn the rule instead of seeing "unknown variable".
// Whitespace (spaces, tabs) is allowed inside a tag: `{{ first_name }}`. A tag
// must open and close on one line. There is no way to write a literal `{{`.
//
// Escaping is decided by the channel, never by the author: email bodies are
// HTML (the template's own markup is the practice's and passes through; every
// value is HTML-escaped), email subjects are header text (values may not carry
// line breaks), every other channel is plain text.
//
// Ownership: every function takes its inputs by reference or view and returns
// values it owns; nothing is retained between calls. Thread-safety: every
// function is pure and may be called concurrently; a ParsedTemplate is
// immutable after Parse and may be shared across threads.
//
// Errors never carry PHI: messages name variables, fields, lines and columns,
// never a value passed to Render. Template text itself is practice-authored and
// is not PHI, but error messages still quote at most a variable name.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace recall::templates {

// ---------------------------------------------------------------------------
// Vocabulary.

// The channel a template is written for. Names: "sms", "email", "voice",
// "rvm" (ringless voicemail), "portal".
enum class Channel { kSms, kEmail, kVoice, kRvm, kPortal };
// What a message may say.
//   1 administrative: reminders, confirmations, billing, re-engagement.
//   2 notification:   "you have a secure message in your portal" and nothing more.
//   3 clinical:       anything about care itself; portal only.
enum class Tier { kAdministrative = 1, kNotification = 2, kClinical = 3 };
// Why the message is sent; consent is gated on it elsewhere. "care" / "outreach".
enum class Purpose { kCare, kOutreach };

std::string_view ChannelName(Channel channel);
// Fails with InvalidArgument for any name but the five above (lower case).
StatusOr<Channel> ParseChannel(std::string_view name);
std::string_view PurposeName(Purpose purpose);
// Fails with InvalidArgument for any name but "care" and "outreach".
StatusOr<Purpose> ParsePurpose(std::string_view name);
// Fails with InvalidArgument unless `number` is 1, 2 or 3.
StatusOr<Tier> TierFromNumber(int number);

// The closed allow-list. Anything else in a tag is an authoring error.
// consent_link is the patient's own confirm-consent URL (consent_confirmation
// campaigns); like portal_link and unsubscribe_link it is a URL value.
inline constexpr std::array<std::string_view, 12> kAllowedVariables = {
    "first_name",       "practice_name",    "practice_phone",   "practice_address",
    "provider_name",    "appointment_date", "appointment_time", "portal_link",
    "unsubscribe_link", "callback_number",  "office_hours",     "consent_link",
};
bool IsAllowedVariable(std::string_view name);

// Parse refuses templates larger than this (ResourceExhausted).
inline constexpr size_t kMaxTemplateBytes = 64 * 1024;

// ---------------------------------------------------------------------------
// Parsing and rendering.

// A template split into literal text and variable references. Only Parse makes
// one, so every variable in it is on the allow-list.
class ParsedTemplate {
 public:
  enum class SegmentKind { kLiteral, kVariable };
  struct Segment {
    SegmentKind kind;
    std::string text;  // the literal bytes, or the variable name
    int line;          // 1-based position of the literal's first character
    int column;        // or of the tag's opening "{{"
  };

  const std::vector<Segment>& segments() const { return segments_; }
  bool UsesVariable(std::string_view name) const;
  // Variables used, sorted and without duplicates.
  std::vector<std::string> Variables() const;

 private:
  friend StatusOr<ParsedTemplate> Parse(std::string_view text);
  ParsedTemplate() = default;
  std::vector<Segment> segments_;
};

// Parses template text. Lines are split on '\n'; lines and columns are 1-based
// and columns count Unicode code points (a tab is one column). Errors point at
// the "{{" that opens the offending tag, or at the offending character.
// Fails with:
//   InvalidArgument   "line L, column C: ..." for an unknown variable, a
//                     variable that is not minimum-necessary (a distinct
//                     message: "variable 'diagnosis' is not minimum-necessary
//                     ..."), an unclosed or empty tag, an unsupported Mustache
//                     feature, invalid UTF-8, or a control character other
//                     than tab, CR and LF.
//   ResourceExhausted text longer than kMaxTemplateBytes.
StatusOr<ParsedTemplate> Parse(std::string_view text);

// Values by variable name. Names that the template does not use are ignored.
using Values = std::map<std::string, std::string, std::less<>>;

enum class Escaping {
  kPlain,   // sms, voice, rvm, portal: values inserted as they are
  kHtml,    // email bodies: values escaped (& < > " '), literal text untouched
  kHeader,  // email subjects: as kPlain, but CR and LF are refused anywhere
};
// The escaping a channel's body needs: kHtml for email, kPlain otherwise.
// (Email subjects always use kHeader.)
Escaping BodyEscapingFor(Channel channel);

// Substitutes `values` into `parsed`. Values are never re-parsed, so a value
// that looks like a tag is output as text.
// Fails with:
//   FailedPrecondition  a used variable has no entry in `values`; the message
//                       names the variable, never a value.
//   InvalidArgument     a value is not valid UTF-8 or holds a control
//                       character (tab and LF are allowed except in kHeader);
//                       or, for kHeader, the literal text holds CR or LF.
StatusOr<std::string> Render(const ParsedTemplate& parsed, const Values& values, Escaping escaping);

// ---------------------------------------------------------------------------
// Whole templates.

struct Template {
  Channel channel = Channel::kSms;
  Tier tier = Tier::kAdministrative;
  Purpose purpose = Purpose::kCare;
  std::string language = "en";  // BCP-47, e.g. "en", "es-MX", "zh-Hant-TW"
  uint32_t version = 1;         // 1, 2, ... ; 0 is invalid
  std::string subject;          // email only (a template itself); empty otherwise
  std::string body;             // a template
};

// Checks BCP-47 well-formedness (RFC 5646 `langtag` and private use; the
// grandfathered irregular tags such as "i-klingon" are refused) and returns the
// tag in canonical case: "EN-us" -> "en-US", "zh-hant-tw" -> "zh-Hant-TW".
// Whether a subtag is registered is not checked.
// Fails with InvalidArgument naming the offending subtag.
StatusOr<std::string> NormalizeLanguageTag(std::string_view tag);

// Everything that makes a template unusable, checked at authoring time:
// language tag, version >= 1, a non-empty one-line subject for email and no
// subject for other channels, a non-empty body, parseable body and subject, and
// CheckTierPolicy on the body. A tier-2 email's subject is held to the notice
// rule's variables too, and to 100 characters of literal text. Required
// elements are advice (or, for a deceptive subject, a block decided by the
// caller) and are returned separately by CheckRequiredElements.
// Fails with:
//   InvalidArgument   prefixed with the field: "body: line 2, column 7: ...",
//                     "subject: ...", "language: ...", "version: ...".
//   PermissionDenied  a clinical (tier 3) template on a channel other than portal.
//   ResourceExhausted body or subject longer than kMaxTemplateBytes.
Status ValidateTemplate(const Template& t);

// A deterministic byte encoding of a template's content, to be hashed (the hash
// itself lives in src/crypto/). Format "recall-template-v1":
//
//   recall-template-v1\n
//   channel=<n>:<bytes>\n     "sms" | "email" | "voice" | "rvm" | "portal"
//   tier=<n>:<bytes>\n        "1" | "2" | "3"
//   purpose=<n>:<bytes>\n     "care" | "outreach"
//   language=<n>:<bytes>\n    NormalizeLanguageTag(language)
//   version=<n>:<bytes>\n     decimal, no leading zeros
//   subject=<n>:<bytes>\n     exact bytes (empty for non-email)
//   body=<n>:<bytes>\n        exact bytes (no newline or Unicode normalization)
//
// <n> is the decimal byte length of <bytes>, so the encoding is injective: two
// templates serialize equally exactly when their fields are equal (language
// compared after case normalization). Fields always appear, in this order.
// Fails with InvalidArgument when the language tag is malformed or the subject
// or body is not valid UTF-8.
StatusOr<std::string> SerializeCanonical(const Template& t);

// ---------------------------------------------------------------------------
// Policy.

// Which tier may go out on which channel.
//   Tier 1: every channel.
//   Tier 2: every channel, but the body must be a bare notice:
//     - it points at the portal: it uses {{portal_link}} or says the word
//       "portal" (any case);
//     - it uses no variable beyond the notice and its legally required frame:
//       provider_name, appointment_date and appointment_time are refused (a
//       provider's name or a visit time can reveal the kind of care);
//     - its literal text, with variables removed, whitespace runs collapsed
//       and, for email, HTML markup (<...>) removed, is at most
//       kTier2MaxNoticeChars code points: room for the notice plus an opt-out
//       line or an email footer, not for content.
//   Tier 3: portal only.
// Fails with:
//   PermissionDenied  tier 3 on any channel but portal. Chosen over
//                     FailedPrecondition because no change of system state makes
//                     it allowed: the content must move to the portal.
//   InvalidArgument   a tier-2 body that is not a bare notice, or a body that
//                     does not parse (Parse's message).
//   ResourceExhausted body longer than kMaxTemplateBytes.
inline constexpr size_t kTier2MaxNoticeChars = 320;
Status CheckTierPolicy(Channel channel, Tier tier, std::string_view body);

// An authoring finding. Messages name the missing element, never PHI.
struct ElementFinding {
  std::string category;  // "required_element" | "deceptive_subject" | "length"
  std::string code;      // stable, e.g. "sms_missing_opt_out"
  std::string message;   // for the author
  std::string severity;  // "warn" | "block"
};

struct ElementCheckOptions {
  // The practice's name as it may appear literally in the text, in addition to
  // {{practice_name}}. Empty: only the variable counts. Matched word by word
  // after case folding.
  std::string practice_name;
  // SMS opt-out instructions are required on the first message of a campaign.
  // Defaults to true: a template whose position is unknown is treated as first.
  bool first_message_of_campaign = true;
};

// Speech-length limits for voice and ringless voicemail, in estimated words at
// about 150 words per minute: 150 words ~ 60 s (voice), 75 words ~ 30 s (rvm).
// Literal words are counted, and each variable adds an estimate of its spoken
// length (e.g. a phone number reads as ten digits).
inline constexpr int kVoiceMaxWords = 150;
inline constexpr int kRvmMaxWords = 75;

// Required elements per channel, all "warn" unless stated:
//   sms    practice identity ({{practice_name}} or options.practice_name) —
//            sms_missing_practice_identity;
//          opt-out instructions on the first message of a campaign: STOP or
//            PARAR within three words after reply/text/send/responda/envíe/...
//            ("Reply STOP to opt out", "Text STOP to end", "Responda PARAR")
//            — sms_missing_opt_out.
//   email  practice as sender ({{practice_name}} or the literal name, in body or
//            subject) — email_missing_sender_identity; postal address
//            ({{practice_address}}) — email_missing_postal_address;
//            unsubscribe link ({{unsubscribe_link}}) —
//            email_missing_unsubscribe_link; a subject that opens with a fake
//            reply or forward prefix (Re:, Fwd:, Fw:, RV:, AW:, WG:, also
//            "RE[2]:") — email_deceptive_subject, category deceptive_subject,
//            severity "block".
//   voice  practice identity — voice_missing_practice_identity; callback
//   rvm      number ({{callback_number}} or {{practice_phone}}) —
//            voice_missing_callback_number; over the word limit —
//            voice_too_long, category "length". (rvm_ prefixes for rvm.)
//   portal nothing.
// Fails with InvalidArgument (or ResourceExhausted) when the body or subject
// does not parse, prefixed "body: " or "subject: ".
StatusOr<std::vector<ElementFinding>> CheckRequiredElements(const Template& t,
                                                            const ElementCheckOptions& options);

}  // namespace recall::templates
