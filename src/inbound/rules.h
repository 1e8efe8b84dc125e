#pragma once
// Internal to recall_inbound: the vocabulary the classifier matches on, kept
// apart from the matching engine (classifier.cc) so that reviewers can read the
// rules as data. Not part of the folder's interface.
//
// Every word here is written the way the tokenizer produces it: lower case
// ASCII letters and digits, no accents ("más" -> "mas"), no apostrophes
// ("don't" -> "dont"), and "do not", "can not", "will not"... already joined
// ("dont", "cant", "wont"), since the tokenizer joins them. Runs of a repeated
// letter are squeezed by the engine at load time ("stooop" == "stop").
// rules_test.cc checks these conventions.
#include <span>
#include <string_view>

namespace recall::inbound::internal {

enum class RuleLanguage : unsigned char { kAny, kEnglish, kSpanish };

// A keyword is recognised only when a message (or, for strong opt-out
// keywords, one clause of it) consists of keywords and fillers alone.
enum class KeywordKind : unsigned char {
  kOptOut,
  kOptIn,
  kHelp,
  kConfirm,
  kYes,         // opt_in when a consent request is pending, else confirm when a
                // confirmation is pending, else nothing
  kConsentYes,  // opt_in when a consent request is pending, else nothing
  kFiller,      // courtesy words that never change the meaning ("please")
};

struct KeywordRule {
  std::string_view id;  // stable rule id reported in Classification::matched_rules
  KeywordKind kind;
  RuleLanguage language;
  // Strong opt-out keywords also count when they form one clause of a longer
  // message ("Wrong number. STOP") or lead it ("STOP I have chest pain").
  // Weak ones ("cancel", "end", "quit") count only as the whole message, since
  // "Cancel, I can't make it Tuesday" is about an appointment.
  bool strong;
  std::string_view spellings;  // comma-separated; words separated by spaces
};

// A phrase matched anywhere in a message. Pattern syntax, per word slot:
//   a|b|c   any of the alternatives;  a|b?  optional slot;
//   $       (as an alternative) the end of the clause, consuming nothing;
//   !a|b    (a whole slot) the next word is none of a|b, consuming nothing.
// Several patterns per rule are separated by ';'. The first slot of a pattern is
// never optional and never '$'.
// kClinical marks a question about care (medication, results, a procedure)
// that is not an emergency: it goes to the hand-off queue ahead of other
// messages; the intent stays "other".
enum class PhraseKind : unsigned char { kOptOut, kUrgent, kClinical };

struct PhraseRule {
  std::string_view id;
  PhraseKind kind;
  RuleLanguage language;
  std::string_view patterns;
};

// Urgent when a word of `first` and a word of `second` occur within `window`
// words of each other, in either order ("pain in my chest", "face is swelling").
struct NearRule {
  std::string_view id;
  RuleLanguage language;
  std::string_view first;   // '|'-separated
  std::string_view second;  // '|'-separated
  int window;
};

std::span<const KeywordRule> KeywordRules();
std::span<const PhraseRule> PhraseRules();
std::span<const NearRule> NearRules();

// Words that, right after a leading strong opt-out keyword, show that a new
// clause begins ("STOP I have chest pain", "stop who is this") rather than that
// the keyword is used as a verb ("stop by", "stop taking"). '|'-separated.
std::string_view ClauseStarters();

// Words that void an opt-out phrase of `language` when they come right before it
// in the same clause ("don't stop the reminders", "no dejen de enviar").
// '|'-separated. Spanish "no" is not an English negator: "No, stop texting me".
std::string_view Negators(RuleLanguage language);

}  // namespace recall::inbound::internal
