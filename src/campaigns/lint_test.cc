#include "campaigns/lint.h"
#include "scanner/scanner_testing.h"

#include <gtest/gtest.h>

namespace recall::campaigns {
namespace {

using templates::Channel;
using templates::Tier;

class LintTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scanner_ = scanner::SharedScannerForTest();
    ASSERT_NE(scanner_, nullptr) << "the scanner could not be built";
  }
  static LintReport Run(std::string_view text, std::optional<Channel> channel = std::nullopt,
                        std::optional<Tier> tier = std::nullopt, std::string subject = "") {
    LintOptions o;
    o.channel = channel;
    o.tier = tier;
    o.subject = std::move(subject);
    return Lint(*scanner_, text, o);
  }
  static bool Has(const LintReport& r, std::string_view category, std::string_view severity) {
    for (const auto& f : r.findings) {
      if ((f.category == category || f.code == category) && f.severity == severity) return true;
    }
    return false;
  }
  static const scanner::Scanner* scanner_;
};

const scanner::Scanner* LintTest::scanner_ = nullptr;

// Outreach texts that fail the found phone test.
const char* const kClinical[] = {
    "Hi Ana, your HIV test results are ready. Call Maple Clinic at (217) 555-0100.",
    "Maple Family Medicine: time to refill your metformin. Reply STOP to opt out.",
    "Reminder: your chemotherapy infusion is tomorrow at 9:00 AM.",
    "Your A1C of 9.2 is high; please book a follow-up with Dr. Payne.",
    "Confirming your psychiatry appointment on Monday at 2:15 PM.",
    "Your colonoscopy prep instructions are attached.",
    "Good news: you tested negative for chlamydia.",
    "Downtown HIV Clinic: your appointment is confirmed for Friday.",
    "Dr. Lee, Oncology, has an opening next week.",
};

// Everyday administrative texts, including the medical-looking surnames.
const char* const kAdministrative[] = {
    "Hi Ana, this is a reminder of your appointment with Dr. Payne on Tuesday, March 4 at 3:30 PM.",
    "Dr. Burns will see you on Friday at 10:15 AM.",
    "Ms. Gallstone from our front desk will call you to reschedule.",
    "Your billing statement is ready. Pay online or call 555-867-5309.",
    "It has been a while since your last visit. Book online anytime.",
    "Our office will be closed on Monday for Memorial Day.",
    "Please bring your insurance card and a photo ID to your visit.",
    "Su cita es ma\xC3\xB1" "ana a las 3:00 PM con la Dra. Payne.",
};

TEST_F(LintTest, ClinicalContentBlocksOnTiersOneAndTwoAndWithoutTier) {
  for (const char* text : kClinical) {
    EXPECT_EQ(Run(text).verdict, "block") << text;
    EXPECT_EQ(Run(text, std::nullopt, Tier::kAdministrative).verdict, "block") << text;
    EXPECT_EQ(Run(text, std::nullopt, Tier::kNotification).verdict, "block") << text;
  }
}

TEST_F(LintTest, AdministrativeTextsPass) {
  for (const char* text : kAdministrative) {
    LintReport r = Run(text);
    EXPECT_EQ(r.verdict, "ok") << text;
    EXPECT_TRUE(r.findings.empty()) << text;
  }
}

TEST_F(LintTest, FindingsCarrySpansIntoTheInput) {
  const std::string text = "Hi Ana, your HIV test results are ready.";
  LintReport r = Run(text);
  ASSERT_FALSE(r.findings.empty());
  bool blocked = false;
  for (const auto& f : r.findings) {
    EXPECT_EQ(text.substr(f.start, f.end - f.start), f.match);
    blocked |= f.severity == "block" && f.match.find("HIV") != std::string::npos;
  }
  EXPECT_TRUE(blocked);
}

TEST_F(LintTest, TierThreeIsPortalOnly) {
  const char* result = "Your A1C of 9.2 is high; Dr. Payne would like to discuss it.";
  LintReport portal = Run(result, Channel::kPortal, Tier::kClinical);
  EXPECT_EQ(portal.verdict, "warn");
  EXPECT_TRUE(Has(portal, "lab_result", "warn"));
  LintReport sms = Run(result, Channel::kSms, Tier::kClinical);
  EXPECT_EQ(sms.verdict, "block");
  EXPECT_TRUE(Has(sms, "tier_policy", "block"));
  EXPECT_TRUE(Has(sms, "lab_result", "block"));
  // Portal tier 1 still blocks clinical content.
  EXPECT_EQ(Run(result, Channel::kPortal, Tier::kAdministrative).verdict, "block");
}

TEST_F(LintTest, TierTwoIsABareNotice) {
  EXPECT_EQ(Run("Maple Family Dental: you have a new secure message in your patient portal. Reply STOP to opt out.",
                Channel::kSms, Tier::kNotification)
                .verdict,
            "warn");  // the practice is named literally, not via {{practice_name}}: advice only
  LintReport r = Run("{{practice_name}}: you have a new message in the portal from {{provider_name}}.", Channel::kSms,
                     Tier::kNotification);
  EXPECT_TRUE(Has(r, "tier_policy", "block"));
}

TEST_F(LintTest, SmsRequiredElementsAreWarnings) {
  LintReport complete = Run(
      "{{practice_name}}: it has been a while since your last visit. Call {{practice_phone}}. Reply STOP to opt out.",
      Channel::kSms, Tier::kAdministrative);
  EXPECT_EQ(complete.verdict, "ok");
  EXPECT_TRUE(complete.findings.empty());

  LintReport missing = Run("It has been a while since your last visit. Book online anytime.", Channel::kSms);
  EXPECT_EQ(missing.verdict, "warn");
  EXPECT_TRUE(Has(missing, "sms_missing_opt_out", "warn"));
  EXPECT_TRUE(Has(missing, "sms_missing_practice_identity", "warn"));
  for (const auto& f : missing.findings) EXPECT_EQ(f.category, "required_element");

  LintReport spanish = Run("{{practice_name}}: le esperamos pronto. Responda PARAR para no recibir mensajes.",
                           Channel::kSms);
  EXPECT_EQ(spanish.verdict, "ok");
}

TEST_F(LintTest, EmailRequiredElements) {
  LintReport r = Run("<p>Your cleaning is due. Book online anytime.</p>", Channel::kEmail, Tier::kAdministrative,
                     "Time for your cleaning");
  EXPECT_EQ(r.verdict, "warn");
  EXPECT_TRUE(Has(r, "email_missing_postal_address", "warn"));
  EXPECT_TRUE(Has(r, "email_missing_unsubscribe_link", "warn"));
  EXPECT_TRUE(Has(r, "email_missing_sender_identity", "warn"));
  LintReport fake = Run("<p>{{practice_name}}, {{practice_address}}. <a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>",
                        Channel::kEmail, Tier::kAdministrative, "RE: your account");
  EXPECT_EQ(fake.verdict, "block");
  EXPECT_TRUE(Has(fake, "deceptive_subject", "block"));
}

TEST_F(LintTest, VoiceScriptsNameThePracticeAndACallbackNumber) {
  LintReport r = Run("Hello, this is a reminder about your appointment tomorrow.", Channel::kVoice);
  EXPECT_TRUE(Has(r, "voice_missing_practice_identity", "warn"));
  EXPECT_TRUE(Has(r, "voice_missing_callback_number", "warn"));
  std::string long_script = "Hello from {{practice_name}}, call {{callback_number}}.";
  for (int idx = 0; idx < 40; ++idx) long_script += " We look forward to seeing you.";
  EXPECT_TRUE(Has(Run(long_script, Channel::kRvm), "rvm_too_long", "warn"));
}

TEST_F(LintTest, TemplateSyntaxErrorsBlock) {
  LintReport r = Run("Hi {{first_name}}, about your {{diagnosis}}", Channel::kSms);
  EXPECT_EQ(r.verdict, "block");
  EXPECT_TRUE(Has(r, "template_syntax", "block"));
  EXPECT_EQ(Run("Hi {{first_name").verdict, "block");
}

TEST_F(LintTest, ScanValuesMasksPhiValues) {
  templates::Values values = {{"practice_name", "Downtown HIV Clinic"},
                              {"provider_name", "Dr. Payne"},
                              {"first_name", "Hiv"}};
  auto findings = ScanValues(*scanner_, values, Channel::kSms, Tier::kAdministrative);
  bool practice = false, first = false;
  for (const auto& f : findings) {
    if (f.field == "value:practice_name") practice |= f.match.find("HIV") != std::string::npos && f.severity == "block";
    if (f.field == "value:first_name") first = f.match == "***";
    EXPECT_NE(f.field, "value:provider_name");
  }
  EXPECT_TRUE(practice);
  EXPECT_TRUE(first);
}

}  // namespace
}  // namespace recall::campaigns
