#include "inbound/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace recall::inbound {
namespace {

using ::testing::Contains;

constexpr ClassifyContext kNothingPending{};
constexpr ClassifyContext kConsentPending{.consent_request_pending = true, .confirmation_pending = false};
constexpr ClassifyContext kConfirmationPending{.consent_request_pending = false, .confirmation_pending = true};
constexpr ClassifyContext kBothPending{.consent_request_pending = true, .confirmation_pending = true};

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

std::string Describe(const Classification& c) {
  std::string out = std::string(IntentName(c.intent)) + " opt_out=" + (c.opt_out ? "1" : "0") +
                    " urgent=" + (c.urgent ? "1" : "0") +
                    " lang=" + (c.language == Language::kSpanish ? "es" : "en") + " rules=[";
  for (std::string_view rule : c.matched_rules) out += std::string(rule) + " ";
  return out + "]";
}

TEST(IntentNameTest, IsTheCliContract) {
  EXPECT_EQ(IntentName(Intent::kOptOut), "opt_out");
  EXPECT_EQ(IntentName(Intent::kOptIn), "opt_in");
  EXPECT_EQ(IntentName(Intent::kHelp), "help");
  EXPECT_EQ(IntentName(Intent::kConfirm), "confirm");
  EXPECT_EQ(IntentName(Intent::kUrgent), "urgent");
  EXPECT_EQ(IntentName(Intent::kOther), "other");
}

// ---------------------------------------------------------------------------
// The table: realistic inbound texts and what they must map to.

struct Case {
  const char* body;
  Intent intent;
  bool opt_out;  // the flag, independent of the intent
  ClassifyContext context = kNothingPending;
  Language language = Language::kEnglish;
};

constexpr Language kEs = Language::kSpanish;

const Case kCases[] = {
    // FCC per-se keywords, dressed every way a phone dresses them.
    {"STOP", Intent::kOptOut, true},
    {"stop", Intent::kOptOut, true},
    {"Stop.", Intent::kOptOut, true},
    {"STOP!!!", Intent::kOptOut, true},
    {" stop ", Intent::kOptOut, true},
    {"\tStop\r\n", Intent::kOptOut, true},
    {"S T O P", Intent::kOptOut, true},  // spelled out: still plainly "stop"
    {"S.T.O.P.", Intent::kOptOut, true},
    {"Stoooop", Intent::kOptOut, true},
    {"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", Intent::kOptOut, true},  // full-width ＳＴＯＰ
    {"S\xE2\x80\x8BTOP", Intent::kOptOut, true},                                   // zero-width space
    {"\xEF\xBB\xBFstop", Intent::kOptOut, true},                                   // byte-order mark
    {"STOP \xF0\x9F\x9B\x91", Intent::kOptOut, true},                              // STOP 🛑
    {"\xF0\x9F\x9B\x91\xF0\x9F\x9B\x91 stop", Intent::kOptOut, true},
    {"Stop please", Intent::kOptOut, true},
    {"please stop", Intent::kOptOut, true},
    {"Stop it", Intent::kOptOut, true},
    {"STOP STOP STOP", Intent::kOptOut, true},
    {"ok stop now thanks", Intent::kOptOut, true},
    {"I said STOP", Intent::kOptOut, true},
    {"STOPALL", Intent::kOptOut, true},
    {"Stop all", Intent::kOptOut, true},
    {"Quit", Intent::kOptOut, true},
    {"QUIT.", Intent::kOptOut, true},
    {"End", Intent::kOptOut, true},
    {"end!", Intent::kOptOut, true},
    {"Revoke", Intent::kOptOut, true},
    {"OPT OUT", Intent::kOptOut, true},
    {"opt-out", Intent::kOptOut, true},
    {"Optout", Intent::kOptOut, true},
    {"Cancel", Intent::kOptOut, true},
    {"CANCEL please", Intent::kOptOut, true},
    {"Unsubscribe", Intent::kOptOut, true},
    {"unsubscribe me", Intent::kOptOut, true},
    // Reasonable-person phrasings.
    {"Stop texting me", Intent::kOptOut, true},
    {"please stop sending me these messages", Intent::kOptOut, true},
    {"Remove me from your list", Intent::kOptOut, true},
    {"take me off your list please", Intent::kOptOut, true},
    {"Leave me alone", Intent::kOptOut, true},
    {"no more texts", Intent::kOptOut, true},
    {"No more!", Intent::kOptOut, true},
    {"don't text me", Intent::kOptOut, true},
    {"Don\xE2\x80\x99t text me again", Intent::kOptOut, true},  // curly apostrophe
    {"Do not contact me", Intent::kOptOut, true},
    {"wrong number, stop", Intent::kOptOut, true},
    {"Wrong number", Intent::kOptOut, true},
    {"How do I unsubscribe from these?", Intent::kOptOut, true},
    {"I don't want any more reminders", Intent::kOptOut, true},
    {"i didnt sign up for this stop texting me", Intent::kOptOut, true},
    {"STOP who is this", Intent::kOptOut, true},
    {"Who is this? STOP", Intent::kOptOut, true},
    {"This is spam. Unsubscribe", Intent::kOptOut, true},
    {"Please cancel these text reminders", Intent::kOptOut, true},
    // Spanish opt-outs.
    {"PARAR", Intent::kOptOut, true, kNothingPending, kEs},
    {"Cancelar", Intent::kOptOut, true, kNothingPending, kEs},
    {"BAJA", Intent::kOptOut, true, kNothingPending, kEs},
    {"Alto", Intent::kOptOut, true, kNothingPending, kEs},
    {"No m\xC3\xA1s", Intent::kOptOut, true, kNothingPending, kEs},  // No más
    {"no mas mensajes", Intent::kOptOut, true, kNothingPending, kEs},
    {"Ya no me env\xC3\xAD" "en mensajes por favor", Intent::kOptOut, true, kNothingPending, kEs},
    {"Quiero darme de baja", Intent::kOptOut, true, kNothingPending, kEs},
    {"dejen de enviarme mensajes", Intent::kOptOut, true, kNothingPending, kEs},
    {"N\xC3\xBAmero equivocado", Intent::kOptOut, true, kNothingPending, kEs},
    // Words used in another sense: not an opt-out.
    {"Can I stop by tomorrow?", Intent::kOther, false},
    {"the end of the month works", Intent::kOther, false},
    {"I need to cancel my appointment", Intent::kOther, false},
    {"Cancel appointment", Intent::kOther, false},
    {"Cancel, I can't make it Tuesday", Intent::kOther, false},
    {"Don't stop the reminders, they help", Intent::kOther, false},
    {"Is the office open until the end of the day?", Intent::kOther, false},
    {"Quit smoking program info?", Intent::kOther, false},
    {"Should I stop taking ibuprofen before the extraction?", Intent::kOther, false},
    {"When does the promotion end", Intent::kOther, false},
    {"Please don't unsubscribe me, I like the reminders", Intent::kOther, false},
    {"Quiero cancelar mi cita", Intent::kOther, false},
    {"Tengo la presi\xC3\xB3n baja", Intent::kOther, false},
    {"I need to update my emergency contact", Intent::kOther, false},
    // Opt-in, help, confirm.
    {"START", Intent::kOptIn, false},
    {"Unstop", Intent::kOptIn, false},
    {"start please", Intent::kOptIn, false},
    {"YES", Intent::kOptIn, false, kConsentPending},
    {"Yes!", Intent::kOptIn, false, kConsentPending},
    {"S\xC3\xAD", Intent::kOptIn, false, kConsentPending, kEs},  // Sí
    {"SI", Intent::kOptIn, false, kConsentPending, kEs},
    {"I agree", Intent::kOptIn, false, kConsentPending},
    {"YES", Intent::kConfirm, false, kConfirmationPending},
    {"Yes see you then", Intent::kConfirm, false, kConfirmationPending},
    {"YES", Intent::kOptIn, false, kBothPending},
    {"YES", Intent::kOther, false},
    {"I agree", Intent::kOther, false, kConfirmationPending},
    {"HELP", Intent::kHelp, false},
    {"help?", Intent::kHelp, false},
    {"Info", Intent::kHelp, false},
    {"AYUDA", Intent::kHelp, false, kNothingPending, kEs},
    {"C", Intent::kConfirm, false},
    {"c.", Intent::kConfirm, false},
    {"CONFIRM", Intent::kConfirm, false},
    {"Confirmed, thanks!", Intent::kConfirm, false},
    {"Confirmo", Intent::kConfirm, false, kNothingPending, kEs},
    {"HELP STOP", Intent::kOptOut, true},
    // Urgent, alone and mixed.
    {"I have chest pain", Intent::kUrgent, false},
    {"having pain in my chest since this morning", Intent::kUrgent, false},
    {"I can't breathe", Intent::kUrgent, false},
    {"cant breath", Intent::kUrgent, false},
    {"I've been dizzy since the new medication", Intent::kUrgent, false},
    {"my gums are bleeding a lot after the extraction", Intent::kUrgent, false},
    {"I feel suicidal", Intent::kUrgent, false},
    {"I want to kill myself", Intent::kUrgent, false},
    {"i think i took an overdose", Intent::kUrgent, false},
    {"Having an allergic reaction to the antibiotic", Intent::kUrgent, false},
    {"my face is swelling up", Intent::kUrgent, false},
    {"I keep thinking about hurting myself", Intent::kUrgent, false},
    {"Tengo dolor de pecho", Intent::kUrgent, false, kNothingPending, kEs},
    {"No puedo respirar", Intent::kUrgent, false, kNothingPending, kEs},
    {"STOP I have chest pain", Intent::kUrgent, true},
    {"Stop texting me, I can't breathe", Intent::kUrgent, true},
    {"HELP I can't breathe", Intent::kUrgent, false},
    // More from real inboxes.
    {"STOP sending me reminders for my husband he passed away", Intent::kOptOut, true},
    {"You have the wrong number", Intent::kOptOut, true},
    {"Sorry wrong number earlier, I meant Tuesday", Intent::kOther, false},
    {"Please stop calling me", Intent::kOptOut, true},
    {"take me off", Intent::kOptOut, true},
    {"Can you take me off the waitlist", Intent::kOther, false},
    {"I opted out already, why am I still getting texts", Intent::kOptOut, true},
    {"No longer need appointment reminders", Intent::kOptOut, true},
    {"I no longer need the appointment", Intent::kOther, false},
    {"I'll stop in later to pay", Intent::kOther, false},
    {"I'm at the bus stop, running late", Intent::kOther, false},
    {"I quit my job so I need to update insurance", Intent::kOther, false},
    {"\xF0\x9D\x90\x92\xF0\x9D\x90\x93\xF0\x9D\x90\x8E\xF0\x9D\x90\x8F", Intent::kOptOut, true},  // 𝐒𝐓𝐎𝐏 (bold)
    {"S\xCC\xB6T\xCC\xB6O\xCC\xB6P\xCC\xB6", Intent::kOptOut, true},  // S̶T̶O̶P̶ (strikethrough marks)
    {"\xEF\xBD\x93\xEF\xBD\x94\xEF\xBD\x8F\xEF\xBD\x90\xE3\x80\x80\xEF\xBD\x90\xEF\xBD\x8C\xEF\xBD\x85\xEF\xBD\x81"
     "\xEF\xBD\x93\xEF\xBD\x85",
     Intent::kOptOut, true},  // ｓｔｏｐ　ｐｌｅａｓｅ with an ideographic space
    {"No me manden m\xC3\xA1s mensajes", Intent::kOptOut, true, kNothingPending, kEs},
    {"S\xC3\xA1quenme de su lista", Intent::kOptOut, true, kNothingPending, kEs},
    {"Para ma\xC3\xB1" "ana est\xC3\xA1 bien", Intent::kOther, false},
    {"ALTO riesgo?", Intent::kOther, false},
    {"No m\xC3\xA1s dolor desde el tratamiento, gracias", Intent::kOther, false},
    {"pain in the middle of my chest", Intent::kUrgent, false},
    {"my throat is closing", Intent::kUrgent, false},
    {"My lips are swollen and I have hives", Intent::kUrgent, false},
    {"Tengo la cara hinchada", Intent::kUrgent, false, kNothingPending, kEs},
    {"Me siento mareada desde la nueva medicina", Intent::kUrgent, false, kNothingPending, kEs},
    {"Estoy sangrando mucho", Intent::kUrgent, false, kNothingPending, kEs},
    {"it won't stop bleeding", Intent::kUrgent, false},
    {"he is not breathing", Intent::kUrgent, false},
    // Everything else goes to the inbox.
    {"Can I reschedule to Thursday?", Intent::kOther, false},
    {"What time is my appointment?", Intent::kOther, false},
    {"Thanks!", Intent::kOther, false},
    {"ok", Intent::kOther, false},
    {"\xF0\x9F\x91\x8D", Intent::kOther, false},  // 👍
    {"", Intent::kOther, false},
    {"   ", Intent::kOther, false},
    {"st\xFFop", Intent::kOther, false},  // invalid UTF-8
};

TEST(ClassifierTableTest, RealisticInboundTexts) {
  static_assert(std::size(kCases) >= 60);
  for (const Case& test_case : kCases) {
    const Classification c = Classify(test_case.body, test_case.context);
    SCOPED_TRACE(std::string("body: \"") + test_case.body + "\" -> " + Describe(c));
    EXPECT_EQ(IntentName(c.intent), IntentName(test_case.intent));
    EXPECT_EQ(c.opt_out, test_case.opt_out);
    EXPECT_EQ(c.urgent, test_case.intent == Intent::kUrgent);
    EXPECT_EQ(c.language == Language::kSpanish, test_case.language == Language::kSpanish);
  }
}

// ---------------------------------------------------------------------------
// Individual rules and invariants.

TEST(ClassifierTest, EveryPerSeKeywordAloneIsAnOptOut) {
  for (const char* word : {"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe", "stopall", "parar",
                           "cancelar", "baja", "alto", "no mas"}) {
    for (const std::string& body : {std::string(word), AsciiUpper(word), std::string(word) + "!", " " + std::string(word) + ". "}) {
      const Classification c = Classify(body);
      EXPECT_EQ(c.intent, Intent::kOptOut) << body << " -> " << Describe(c);
      EXPECT_TRUE(c.opt_out) << body;
    }
  }
}

TEST(ClassifierTest, UrgentOptOutKeepsBothFlags) {
  const Classification c = Classify("STOP I have chest pain");
  EXPECT_EQ(c.intent, Intent::kUrgent);
  EXPECT_TRUE(c.urgent);
  EXPECT_TRUE(c.opt_out);
  EXPECT_THAT(c.matched_rules, Contains("opt_out.stop"));
  EXPECT_THAT(c.matched_rules, Contains("urgent.chest_pain"));
}

TEST(ClassifierTest, CareQuestionsAreFlaggedClinicalAndStayOther) {
  for (const char* text : {"Can I get a refill on my prescription?", "Are my blood test results back yet?",
                           "Should I eat before the extraction tomorrow?", "My tooth has been sore since Monday",
                           "What are the side effects of the new medication?", "Necesito una receta nueva"}) {
    const Classification c = Classify(text);
    EXPECT_EQ(c.intent, Intent::kOther) << text;
    EXPECT_TRUE(c.clinical) << text;
    EXPECT_FALSE(c.urgent) << text;
  }
  for (const char* text : {"Can I stop by tomorrow?", "What time do you open on Saturday?", "Thanks, see you then"}) {
    EXPECT_FALSE(Classify(text).clinical) << text;
  }
  // An emergency is urgent, not (also) clinical.
  const Classification urgent = Classify("severe pain and my face is swelling after the extraction");
  EXPECT_TRUE(urgent.urgent);
  EXPECT_FALSE(urgent.clinical);
}

TEST(ClassifierTest, OptOutBeatsAPendingConsentRequest) {
  EXPECT_EQ(Classify("STOP", kConsentPending).intent, Intent::kOptOut);
  EXPECT_EQ(Classify("no", kConsentPending).intent, Intent::kOther);
}

TEST(ClassifierTest, ReportsMatchedRulesWithoutDuplicates) {
  const Classification c = Classify("stop stop stop texting me, stop texting me");
  EXPECT_THAT(c.matched_rules, Contains("opt_out.stop_messaging"));
  std::vector<std::string_view> sorted = c.matched_rules;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(ClassifierTest, NegatedOptOutPhrasesAreNotOptOuts) {
  EXPECT_FALSE(Classify("Don't stop the reminders").opt_out);
  EXPECT_FALSE(Classify("please don't ever stop texting me").opt_out);
  EXPECT_FALSE(Classify("no dejen de enviarme mensajes").opt_out);
  // English "no" is an answer, not a negation of what follows.
  EXPECT_TRUE(Classify("No stop texting me").opt_out);
}

TEST(ClassifierTest, SpanishRepliesAreDetectedFromTheMatchedRule) {
  EXPECT_EQ(Classify("PARAR").language, Language::kSpanish);
  EXPECT_EQ(Classify("STOP").language, Language::kEnglish);
  // "STOP" is language-neutral; the Spanish symptom decides.
  EXPECT_EQ(Classify("STOP me duele el pecho").language, Language::kSpanish);
  EXPECT_EQ(Classify("Stop texting me").language, Language::kEnglish);
}

TEST(ClassifierTest, EmptyAndWordlessBodiesAreOther) {
  for (const char* body : {"", " ", "\n\n", "...", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80"}) {
    const Classification c = Classify(body);
    EXPECT_EQ(c.intent, Intent::kOther) << body;
    EXPECT_FALSE(c.opt_out);
    EXPECT_THAT(c.matched_rules, Contains("input.no_words"));
  }
}

TEST(ClassifierTest, InvalidUtf8IsOtherAndNeverCrashes) {
  for (const std::string& body : {std::string("\xC3"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                                 std::string("STOP\xF4\x90\x80\x80"), std::string("\xFF\xFE\xFD"),
                                 std::string("stop\0me", 7)}) {
    const Classification c = Classify(body);
    if (body.find('\0') != std::string::npos) {
      // NUL is valid UTF-8: a separator like any other control character.
      EXPECT_TRUE(c.opt_out);
      continue;
    }
    EXPECT_EQ(c.intent, Intent::kOther);
    EXPECT_FALSE(c.opt_out);
    EXPECT_THAT(c.matched_rules, Contains("input.invalid_utf8"));
  }
}

TEST(ClassifierTest, OneMegabyteBodyIsTruncatedAndFast) {
  std::string body(1 << 20, 'a');
  for (size_t i = 0; i < body.size(); i += 7) body[i] = ' ';
  const auto start = std::chrono::steady_clock::now();
  const Classification c = Classify(body);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(c.intent, Intent::kOther);
  EXPECT_TRUE(c.truncated);
  EXPECT_THAT(c.matched_rules, Contains("input.truncated"));
  EXPECT_LT(elapsed, std::chrono::milliseconds(200));
}

TEST(ClassifierTest, TruncationKeepsTheHeadAndCutsOnACodePointBoundary) {
  // "STOP texting me" then a megabyte of 'é': the cut falls inside a 2-byte
  // sequence unless the classifier backs up to a boundary.
  std::string body = "STOP texting me ";
  while (body.size() < (1 << 20)) body += "\xC3\xA9";
  const Classification c = Classify(body);
  EXPECT_TRUE(c.truncated);
  EXPECT_TRUE(c.opt_out);
  EXPECT_THAT(c.matched_rules, ::testing::Not(Contains("input.invalid_utf8")));
}

TEST(ClassifierTest, WorstCaseBodiesStayBounded) {
  // Every kind of expensive input: all non-ASCII, all separators, all
  // one-letter words, all keywords.
  const std::string pieces[] = {"\xE4\xB8\xAD", "\xF0\x9F\x9B\x91", ".", "s ", "stop ", "no mas "};
  for (const std::string& piece : pieces) {
    std::string body;
    while (body.size() < (1 << 20)) body += piece;
    const auto start = std::chrono::steady_clock::now();
    const Classification c = Classify(body);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(c.truncated);
    EXPECT_LT(elapsed, std::chrono::milliseconds(200)) << piece;
  }
}

TEST(ClassifierTest, ExactlyAtTheCapIsNotTruncated) {
  std::string body(kMaxClassifiedBytes, ' ');
  body.replace(0, 4, "STOP");
  const Classification c = Classify(body);
  EXPECT_FALSE(c.truncated);
  EXPECT_EQ(c.intent, Intent::kOptOut);
}

TEST(ClassifierTest, ConfirmationYesNeedsAPendingConfirmation) {
  EXPECT_EQ(Classify("yes", kNothingPending).intent, Intent::kOther);
  EXPECT_EQ(Classify("yes", kConfirmationPending).intent, Intent::kConfirm);
  EXPECT_EQ(Classify("C", kNothingPending).intent, Intent::kConfirm);
  EXPECT_EQ(Classify("C", kConsentPending).intent, Intent::kConfirm);
  // A YES that says more than yes goes to a person.
  EXPECT_EQ(Classify("Yes but can we move it to 3pm?", kConfirmationPending).intent, Intent::kOther);
}

TEST(ClassifierTest, IsThreadSafe) {
  // The rule tables are built on first use; racing first uses must agree.
  std::vector<std::thread> threads;
  std::vector<Intent> results(8);
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&results, t] { results[t] = Classify("stop texting me").intent; });
  }
  for (auto& thread : threads) thread.join();
  for (Intent intent : results) EXPECT_EQ(intent, Intent::kOptOut);
}

}  // namespace
}  // namespace recall::inbound
