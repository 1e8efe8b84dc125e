#pragma once
// Inbound message classification: what does a patient's reply ask for?
//
// Classify() maps the body of one inbound message (an SMS through Kannel or
// Twilio, or the new text of an email reply with quoted history already
// stripped) to a single routing intent plus two flags that callers must act on
// independently of the intent: `opt_out` (stop messaging this address now) and
// `urgent` (hand the message to a human now). It is a pure function: no I/O, no
// clock, no global state beyond immutable rule tables built on first use. It is
// thread-safe, never throws, and its cost is bounded: only the first
// kMaxClassifiedBytes of a body are examined.
//
// Precedence of the single `intent` (the CLI's JSON contract):
//   urgent > opt_out > opt_in > help > confirm > other.
// Urgent wins because the intent routes the message, and a message describing
// chest pain must reach a human first whatever else it says. An urgent message
// may also be an opt-out ("STOP I have chest pain"); then intent == kUrgent and
// opt_out == true. Callers apply opt-outs from the `opt_out` flag, never from
// `intent == kOptOut`. Opt-out beats everything else: "HELP STOP" is an opt-out.
//
// What counts as an opt-out follows the FCC revocation rule (47 CFR 64.1200(a)
// (10), 2024): a reply that consists of a per-se keyword (stop, quit, end,
// revoke, opt out, cancel, unsubscribe; also stopall and Spanish parar, baja,
// alto, cancelar, no más) is an opt-out however it is dressed (case, punctuation,
// emoji, full-width or zero-width characters, "please", spelled "S T O P",
// "stooop"); a longer message is an opt-out only when it reasonably expresses a
// wish to stop receiving messages ("stop texting me", "take me off your list",
// "wrong number, stop"). "Can I stop by tomorrow?", "the end of the month works"
// and "I need to cancel my appointment" are `other`. Keywords that are also
// everyday appointment words (cancel, end, quit, cancelar, alto, para) count only
// as the whole message; "stop", "unsubscribe", "opt out", "stopall", "revoke",
// "no more", "parar", "baja" and "no más" also count as one clause of a longer message
// ("Wrong number. STOP") or leading a new clause ("STOP I'm not the patient").
// The rules themselves live in rules.cc.
#include <cstddef>
#include <string_view>
#include <vector>

namespace recall::inbound {

enum class Intent {
  kOptOut,   // revoke consent to be messaged; send StopConfirmationReply
  kOptIn,    // START / UNSTOP, or YES / SÍ to a pending consent request
  kHelp,     // HELP / INFO / AYUDA; send HelpReply
  kConfirm,  // C / CONFIRM / CONFIRMO, or YES to a pending confirmation
  kUrgent,   // a symptom or an emergency; hand off to a human at once
  kOther,    // anything else, including empty or undecodable bodies: the inbox
};

// "opt_out", "opt_in", "help", "confirm", "urgent" or "other". These strings are
// a CLI and API contract; never change them.
std::string_view IntentName(Intent intent);

// The language the sender wrote in, as far as the matched rules tell. Replies
// are sent in this language.
enum class Language { kEnglish, kSpanish };

// What the conversation with this address is waiting for. Both default to false.
struct ClassifyContext {
  // A consent request ("Reply YES to receive reminders") was sent and not yet
  // answered. YES / SÍ / "I agree" then mean opt_in.
  bool consent_request_pending = false;
  // An appointment confirmation request was sent and not yet answered. YES / SÍ
  // then mean confirm, unless a consent request is also pending (consent wins:
  // it is the request that asked for YES; confirmations ask for C).
  bool confirmation_pending = false;
};

// Bodies longer than this are classified on their first kMaxClassifiedBytes
// bytes (cut back to a UTF-8 boundary) and marked `truncated`. 4 KiB is about
// 26 concatenated SMS segments; an opt-out or a symptom is stated near the top.
inline constexpr std::size_t kMaxClassifiedBytes = 4096;

struct Classification {
  Intent intent = Intent::kOther;
  // True whenever any opt-out rule matched, whatever `intent` is.
  bool opt_out = false;
  // True exactly when intent == kUrgent.
  bool urgent = false;
  // A question about care (medication, results, symptoms, a procedure) that
  // no urgent rule matched: the intent stays kOther, and the hand-off queue
  // gives it the "clinical" priority. False whenever urgent is true.
  bool clinical = false;
  // kSpanish when a Spanish rule matched and no English one did.
  Language language = Language::kEnglish;
  // True when only the first kMaxClassifiedBytes bytes were examined.
  bool truncated = false;
  // Ids of the rules that matched, in the order found, without duplicates (for
  // audit and debugging; e.g. "opt_out.stop", "urgent.chest_pain",
  // "input.invalid_utf8"). The views point at static storage and stay valid for
  // the life of the program. Never contains message text.
  std::vector<std::string_view> matched_rules;
};

// Classifies one inbound body. Never fails: an empty body, a body that is not
// valid UTF-8 (after truncation) or one without recognised content is kOther.
// Channel adapters must transcode to UTF-8 first (a Latin-1 "no más" is invalid
// UTF-8 and lands in the inbox rather than being honoured automatically).
Classification Classify(std::string_view body, const ClassifyContext& context = {}) noexcept;

}  // namespace recall::inbound
