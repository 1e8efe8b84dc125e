#include "inbound/replies.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace recall::inbound {
namespace {

const PracticeIdentity kMaple{"Maple Family Dental", "(555) 555-0100"};

// Septets a text needs in the GSM 03.38 default alphabet, or -1 when it has a
// character outside it (the message would then go as UCS-2, 70 per segment).
int Gsm7Septets(std::string_view utf8) {
  static constexpr std::string_view kBasic =
      "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87\n\xC3\x98\xC3\xB8\r\xC3\x85\xC3\xA5"
      "\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98\xCE\x9E\xC3\x86\xC3\xA6\xC3\x9F"
      "\xC3\x89 !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?\xC2\xA1"
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7\xC2\xBF"
      "abcdefghijklmnopqrstuvwxyz\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0";
  static constexpr std::string_view kExtension = "^{}\\[~]|\xE2\x82\xAC";
  int septets = 0;
  for (size_t i = 0; i < utf8.size();) {
    size_t len = 1;
    const auto lead = static_cast<unsigned char>(utf8[i]);
    if (lead >= 0xF0) len = 4;
    else if (lead >= 0xE0) len = 3;
    else if (lead >= 0xC0) len = 2;
    const std::string_view ch = utf8.substr(i, len);
    if (kExtension.find(ch) != std::string_view::npos) {
      septets += 2;
    } else if (kBasic.find(ch) != std::string_view::npos) {
      septets += 1;
    } else {
      return -1;
    }
    i += len;
  }
  return septets;
}

TEST(Gsm7Test, CountsSeptets) {
  EXPECT_EQ(Gsm7Septets("Hello"), 5);
  EXPECT_EQ(Gsm7Septets("\xC3\xB1"), 1);   // ñ is GSM-7
  EXPECT_EQ(Gsm7Septets("\xC3\xA1"), -1);  // á is not
  EXPECT_EQ(Gsm7Septets("{"), 2);
}

TEST(RepliesTest, StopConfirmationNamesThePracticeAndPromisesSilence) {
  const std::string reply = StopConfirmationReply(kMaple);
  EXPECT_EQ(reply,
            "Maple Family Dental: You have been unsubscribed and will receive no more messages. Reply START to "
            "resubscribe.");
  const std::string spanish = StopConfirmationReply(kMaple, Language::kSpanish);
  EXPECT_EQ(spanish.rfind("Maple Family Dental: ", 0), 0u);
  EXPECT_NE(spanish.find("dado de baja"), std::string::npos);
  EXPECT_NE(spanish.find("no le enviaremos"), std::string::npos);
}

TEST(RepliesTest, HelpNamesPracticePhoneRatesAndOptOut) {
  const std::string reply = HelpReply(kMaple);
  EXPECT_EQ(reply,
            "Maple Family Dental: For help call (555) 555-0100. Msg & data rates may apply. Reply STOP to opt out.");
  const std::string spanish = HelpReply(kMaple, Language::kSpanish);
  EXPECT_NE(spanish.find("Maple Family Dental"), std::string::npos);
  EXPECT_NE(spanish.find("(555) 555-0100"), std::string::npos);
  EXPECT_NE(spanish.find("tarifas de mensajes y datos"), std::string::npos);
  EXPECT_NE(spanish.find("STOP"), std::string::npos);
}

TEST(RepliesTest, HelpWithoutAPhoneLeavesTheClauseOut) {
  EXPECT_EQ(HelpReply({"Maple Family Dental", ""}),
            "Maple Family Dental: Msg & data rates may apply. Reply STOP to opt out.");
}

TEST(RepliesTest, StartConfirmation) {
  EXPECT_EQ(StartConfirmationReply(kMaple),
            "Maple Family Dental: You have resubscribed. Msg & data rates may apply. Reply HELP for help, STOP to "
            "opt out.");
  EXPECT_NE(StartConfirmationReply(kMaple, Language::kSpanish).find("suscribirse"), std::string::npos);
}

TEST(RepliesTest, OperatorTextIsFlattenedToOneLine) {
  EXPECT_EQ(StopConfirmationReply({"Maple\r\nFamily   Dental\t", ""}).rfind("Maple Family Dental: ", 0), 0u);
}

TEST(RepliesTest, EveryReplyFitsOneGsm7Segment) {
  // An ordinary practice name is at most 30 characters; phones at most 17.
  const PracticeIdentity longest{"Northside Pediatric Dentistry!", "+1 (555) 555-0100"};
  ASSERT_EQ(longest.name.size(), 30u);
  ASSERT_EQ(longest.phone.size(), 17u);
  for (const PracticeIdentity& practice : {kMaple, longest}) {
    for (Language language : {Language::kEnglish, Language::kSpanish}) {
      for (const std::string& reply : {StopConfirmationReply(practice, language), HelpReply(practice, language),
                                       StartConfirmationReply(practice, language)}) {
        const int septets = Gsm7Septets(reply);
        EXPECT_GE(septets, 0) << "not GSM-7: " << reply;
        EXPECT_LE(septets, 160) << reply;
      }
    }
  }
}

TEST(RepliesTest, RequiredReplyFollowsTheClassification) {
  Classification stop = Classify("STOP");
  EXPECT_EQ(RequiredReply(stop, kMaple), StopConfirmationReply(kMaple));
  // An urgent opt-out still gets its confirmation.
  EXPECT_EQ(RequiredReply(Classify("STOP I have chest pain"), kMaple), StopConfirmationReply(kMaple));
  EXPECT_EQ(RequiredReply(Classify("PARAR"), kMaple), StopConfirmationReply(kMaple, Language::kSpanish));
  EXPECT_EQ(RequiredReply(Classify("AYUDA"), kMaple), HelpReply(kMaple, Language::kSpanish));
  EXPECT_EQ(RequiredReply(Classify("HELP"), kMaple), HelpReply(kMaple));
  EXPECT_EQ(RequiredReply(Classify("START"), kMaple), StartConfirmationReply(kMaple));
  EXPECT_EQ(RequiredReply(Classify("S\xC3\xAD", {.consent_request_pending = true}), kMaple),
            StartConfirmationReply(kMaple, Language::kSpanish));
  EXPECT_EQ(RequiredReply(Classify("C"), kMaple), std::nullopt);
  EXPECT_EQ(RequiredReply(Classify("I have chest pain"), kMaple), std::nullopt);
  EXPECT_EQ(RequiredReply(Classify("What time is my appointment?"), kMaple), std::nullopt);
}

TEST(RepliesTest, RepliesCarryNoPhi) {
  // Replies are built from the practice identity only; whatever the patient
  // wrote never comes back.
  const char* body = "STOP this is Jane Doe, DOB 01/02/1980, +15555554321";
  const auto reply = RequiredReply(Classify(body), kMaple);
  ASSERT_TRUE(reply.has_value());
  for (const char* phi : {"Jane", "Doe", "1980", "4321"}) EXPECT_EQ(reply->find(phi), std::string::npos) << phi;
}

}  // namespace
}  // namespace recall::inbound
