// Tier policy, whole-template validation and per-channel required elements.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "templates/internal/text_util.h"
#include "templates/templates.h"

namespace recall::templates {
namespace {

// A tier-2 notice may use the notice itself, its link, and the frame the law
// requires around any message (identity, address, opt-out, callback). A
// provider's name or a visit's date and time can reveal the kind of care.
bool IsNoticeVariable(std::string_view name) {
  return name != "provider_name" && name != "appointment_date" && name != "appointment_time";
}

constexpr size_t kTier2MaxSubjectChars = 100;

bool ContainsWord(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool ContainsWordSequence(const std::vector<std::string>& haystack,
                          const std::vector<std::string>& needle) {
  if (needle.empty()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

Status CheckNoticeVariables(const ParsedTemplate& parsed, std::string_view field) {
  for (const auto& name : parsed.Variables()) {
    if (!IsNoticeVariable(name)) {
      return InvalidArgumentError(std::string(field) + "a tier-2 notification may not use {{" +
                                  name + "}}: it says more than that a message is waiting");
    }
  }
  return OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// Tier policy.

Status CheckTierPolicy(Channel channel, Tier tier, std::string_view body) {
  if (tier == Tier::kClinical && channel != Channel::kPortal) {
    return PermissionDeniedError("a clinical (tier 3) template may only go to the portal, not " +
                                 std::string(ChannelName(channel)));
  }
  ASSIGN_OR_RETURN(const ParsedTemplate parsed, Parse(body));
  if (tier != Tier::kNotification) return OkStatus();

  RETURN_IF_ERROR(CheckNoticeVariables(parsed, ""));
  const std::string literal = internal::LiteralText(parsed, channel == Channel::kEmail);
  if (!parsed.UsesVariable("portal_link") &&
      !ContainsWord(internal::FoldedWords(literal), "portal")) {
    return InvalidArgumentError(
        "a tier-2 notification must point to the portal: use {{portal_link}} or say 'portal'");
  }
  const size_t length = internal::CollapsedLength(literal);
  if (length > kTier2MaxNoticeChars) {
    return InvalidArgumentError("a tier-2 notification is a bare notice; its text is " +
                                std::to_string(length) + " characters and the limit is " +
                                std::to_string(kTier2MaxNoticeChars));
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------
// Whole templates.

Status ValidateTemplate(const Template& t) {
  {
    const auto language = NormalizeLanguageTag(t.language);
    if (!language.ok()) return language.status().WithContext("language");
  }
  if (t.version == 0) return InvalidArgumentError("version: must be 1 or more");
  if (t.body.empty()) return InvalidArgumentError("body: is empty");

  if (t.channel == Channel::kEmail) {
    if (t.subject.empty()) return InvalidArgumentError("subject: an email needs a subject");
    if (t.subject.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError("subject: must be one line");
    }
    const auto subject = Parse(t.subject);
    if (!subject.ok()) return subject.status().WithContext("subject");
    if (t.tier == Tier::kNotification) {
      RETURN_IF_ERROR(CheckNoticeVariables(*subject, "subject: "));
      const size_t length = internal::CollapsedLength(internal::LiteralText(*subject, false));
      if (length > kTier2MaxSubjectChars) {
        return InvalidArgumentError("subject: a tier-2 notification subject is " +
                                    std::to_string(length) + " characters; the limit is " +
                                    std::to_string(kTier2MaxSubjectChars));
      }
    }
  } else if (!t.subject.empty()) {
    return InvalidArgumentError("subject: only email templates have a subject");
  }

  const auto body = Parse(t.body);
  if (!body.ok()) return body.status().WithContext("body");
  const Status policy = CheckTierPolicy(t.channel, t.tier, t.body);
  if (!policy.ok() && policy.code() == StatusCode::kInvalidArgument) {
    return policy.WithContext("body");
  }
  return policy;
}

// ---------------------------------------------------------------------------
// Required elements.

namespace {

ElementFinding Missing(std::string code, std::string message) {
  return {"required_element", std::move(code), std::move(message), "warn"};
}

// Verbs that introduce an opt-out keyword in English and Spanish, folded.
constexpr std::string_view kOptOutVerbs[] = {
    "reply",    "text",  "txt",   "send",  "sms",   "respond", "responda", "responde",
    "conteste", "envie", "envíe", "envia", "envía", "mande",   "escriba",  "escribe",
};
constexpr std::string_view kOptOutKeywords[] = {"stop", "parar"};
constexpr size_t kOptOutWindow = 3;

template <size_t N>
bool OneOf(std::string_view word, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

bool HasOptOutInstructions(const std::vector<std::string>& words) {
  for (size_t idx = 0; idx < words.size(); ++idx) {
    if (!OneOf(words[idx], kOptOutKeywords)) continue;
    const size_t from = idx > kOptOutWindow ? idx - kOptOutWindow : 0;
    for (size_t prev = from; prev < idx; ++prev) {
      if (OneOf(words[prev], kOptOutVerbs)) return true;
    }
  }
  return false;
}

bool NamesPractice(const ParsedTemplate& parsed, bool strip_markup,
                   const std::vector<std::string>& practice_words) {
  if (parsed.UsesVariable("practice_name")) return true;
  return ContainsWordSequence(internal::FoldedWords(internal::LiteralText(parsed, strip_markup)),
                              practice_words);
}

// Mail-client reply and forward prefixes: English, Spanish (RV), German (AW, WG).
constexpr std::string_view kReplyPrefixes[] = {"re", "fw", "fwd", "rv", "aw", "wg"};

// True when the subject opens with "Re:", "FWD :", "Re[2]:", "RE(3):" and the like.
bool HasFakeReplyPrefix(const ParsedTemplate& subject) {
  const auto& segments = subject.segments();
  if (segments.empty() || segments[0].kind != ParsedTemplate::SegmentKind::kLiteral) return false;
  const std::string folded = FoldForMatching(segments[0].text).text;
  std::string_view s = TrimAscii(folded);
  size_t pos = 0;
  while (pos < s.size() && s[pos] >= 'a' && s[pos] <= 'z') ++pos;
  if (!OneOf(s.substr(0, pos), kReplyPrefixes)) return false;
  auto skip_spaces = [&] {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  };
  skip_spaces();
  if (pos < s.size() && (s[pos] == '[' || s[pos] == '(')) {
    const char close = s[pos] == '[' ? ']' : ')';
    size_t digits_end = pos + 1;
    while (digits_end < s.size() && s[digits_end] >= '0' && s[digits_end] <= '9') ++digits_end;
    if (digits_end == pos + 1 || digits_end >= s.size() || s[digits_end] != close) return false;
    pos = digits_end + 1;
    skip_spaces();
  }
  return pos < s.size() && s[pos] == ':';
}

// Spoken-length estimates for a variable's value, in words.
int SpokenWords(std::string_view variable) {
  if (variable == "first_name") return 1;
  if (variable == "practice_name" || variable == "provider_name") return 3;
  if (variable == "practice_phone" || variable == "callback_number") return 10;
  if (variable == "practice_address") return 8;
  if (variable == "appointment_date") return 4;
  if (variable == "appointment_time") return 2;
  if (variable == "office_hours") return 10;
  return 6;  // links, read out or spelled
}

void CheckSpoken(const ParsedTemplate& body, std::string_view prefix, int max_words,
                 const std::vector<std::string>& practice_words,
                 std::vector<ElementFinding>* findings) {
  const std::string p(prefix);
  if (!NamesPractice(body, false, practice_words)) {
    findings->push_back(Missing(p + "_missing_practice_identity",
                                "the script does not name the practice: use {{practice_name}}"));
  }
  if (!body.UsesVariable("callback_number") && !body.UsesVariable("practice_phone")) {
    findings->push_back(Missing(p + "_missing_callback_number",
                                "the script gives no callback number: use {{callback_number}} or "
                                "{{practice_phone}}"));
  }
  int words = static_cast<int>(internal::FoldedWords(internal::LiteralText(body, false)).size());
  for (const auto& segment : body.segments()) {
    if (segment.kind == ParsedTemplate::SegmentKind::kVariable) words += SpokenWords(segment.text);
  }
  if (words > max_words) {
    findings->push_back({"length", p + "_too_long",
                         "the script is about " + std::to_string(words) + " words spoken (~" +
                             std::to_string(words * 60 / 150) + " s); the limit is " +
                             std::to_string(max_words) + " words (~" +
                             std::to_string(max_words * 60 / 150) + " s)",
                         "warn"});
  }
}

}  // namespace

StatusOr<std::vector<ElementFinding>> CheckRequiredElements(const Template& t,
                                                            const ElementCheckOptions& options) {
  const auto body_or = Parse(t.body);
  if (!body_or.ok()) return body_or.status().WithContext("body");
  const ParsedTemplate& body = *body_or;
  const std::vector<std::string> practice_words = internal::FoldedWords(options.practice_name);

  std::vector<ElementFinding> findings;
  switch (t.channel) {
    case Channel::kSms: {
      if (!NamesPractice(body, false, practice_words)) {
        findings.push_back(Missing("sms_missing_practice_identity",
                                   "the message does not identify the practice: use "
                                   "{{practice_name}}"));
      }
      if (options.first_message_of_campaign &&
          !HasOptOutInstructions(internal::FoldedWords(internal::LiteralText(body, false)))) {
        findings.push_back(Missing("sms_missing_opt_out",
                                   "the first message of a campaign must say how to opt out, "
                                   "e.g. 'Reply STOP to opt out' or 'Responda PARAR'"));
      }
      break;
    }
    case Channel::kEmail: {
      const auto subject_or = Parse(t.subject);
      if (!subject_or.ok()) return subject_or.status().WithContext("subject");
      const ParsedTemplate& subject = *subject_or;
      if (!NamesPractice(body, true, practice_words) &&
          !NamesPractice(subject, false, practice_words)) {
        findings.push_back(Missing("email_missing_sender_identity",
                                   "the email does not name the practice as its sender: use "
                                   "{{practice_name}}"));
      }
      if (!body.UsesVariable("practice_address")) {
        findings.push_back(Missing("email_missing_postal_address",
                                   "the email lacks the practice's postal address: use "
                                   "{{practice_address}}"));
      }
      if (!body.UsesVariable("unsubscribe_link")) {
        findings.push_back(
            Missing("email_missing_unsubscribe_link",
                    "the email lacks an unsubscribe link: use {{unsubscribe_link}}"));
      }
      if (HasFakeReplyPrefix(subject)) {
        findings.push_back({"deceptive_subject", "email_deceptive_subject",
                            "the subject opens with a reply or forward prefix (Re:, Fwd:) but the "
                            "email is neither",
                            "block"});
      }
      break;
    }
    case Channel::kVoice:
      CheckSpoken(body, "voice", kVoiceMaxWords, practice_words, &findings);
      break;
    case Channel::kRvm:
      CheckSpoken(body, "rvm", kRvmMaxWords, practice_words, &findings);
      break;
    case Channel::kPortal:
      break;
  }
  return findings;
}

}  // namespace recall::templates
