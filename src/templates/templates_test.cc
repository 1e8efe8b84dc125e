#include "templates/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace recall::templates {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Synthetic PHI used as values; it must never appear in a Status message.
constexpr const char* kPatientName = "Zelphina";
constexpr const char* kPatientPhone = "+15555550199";

void ExpectNoPhi(const Status& status) {
  EXPECT_THAT(status.message(), Not(HasSubstr(kPatientName)));
  EXPECT_THAT(status.message(), Not(HasSubstr(kPatientPhone)));
}

Status ParseError(std::string_view text) {
  auto parsed = Parse(text);
  EXPECT_FALSE(parsed.ok()) << "parsed: " << text;
  return parsed.status();
}

ParsedTemplate MustParse(std::string_view text) {
  auto parsed = Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return *Parse("");
  return *std::move(parsed);
}

std::string MustRender(std::string_view text, const Values& values, Escaping escaping) {
  auto rendered = Render(MustParse(text), values, escaping);
  EXPECT_TRUE(rendered.ok()) << rendered.status().ToString();
  return rendered.ok() ? *rendered : "";
}

std::vector<std::string> Codes(const std::vector<ElementFinding>& findings) {
  std::vector<std::string> codes;
  for (const auto& finding : findings) codes.push_back(finding.code);
  return codes;
}

std::vector<ElementFinding> Findings(const Template& t, ElementCheckOptions options = {}) {
  auto findings = CheckRequiredElements(t, options);
  EXPECT_TRUE(findings.ok()) << findings.status().ToString();
  return findings.ok() ? *findings : std::vector<ElementFinding>{};
}

// Realistic templates -------------------------------------------------------

const char* const kReminderSms =
    "Hi {{first_name}}, this is {{practice_name}} reminding you of your appointment on "
    "{{appointment_date}} at {{appointment_time}}. Call {{practice_phone}} to reschedule. "
    "Reply STOP to opt out.";

const char* const kReminderSmsSpanish =
    "Hola {{first_name}}, {{practice_name}} le recuerda su cita el {{appointment_date}} a las "
    "{{appointment_time}}. Responda PARAR para no recibir más mensajes.";

const char* const kReengagementEmailBody =
    "<p>Hi {{first_name}},</p>\n"
    "<p>It has been a while since your last visit to {{practice_name}}. Annual check-ups help "
    "you stay on top of your health, and we have openings this month.</p>\n"
    "<p><a href=\"{{portal_link}}\">Book online</a> or call us at {{practice_phone}} "
    "({{office_hours}}).</p>\n"
    "<hr>\n"
    "<p>{{practice_name}} &middot; {{practice_address}}<br>\n"
    "<a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>\n";

const char* const kVoicemailScript =
    "Hello, this is a message for {{first_name}} from {{practice_name}}. We are calling about "
    "your upcoming appointment on {{appointment_date}} at {{appointment_time}}. If you need to "
    "reschedule, please call us back at {{callback_number}}. Thank you, and have a good day.";

const char* const kPortalNoticeSms =
    "{{practice_name}}: you have a new secure message. Sign in to read it: {{portal_link}} "
    "Reply STOP to opt out.";

const char* const kClinicalMessage =
    "Hi {{first_name}}, your recent lab work is back and {{provider_name}} would like to review "
    "the results with you. Please schedule a follow-up.";

Template Sms(std::string body, Tier tier = Tier::kAdministrative) {
  Template t;
  t.channel = Channel::kSms;
  t.tier = tier;
  t.body = std::move(body);
  return t;
}

Template Email(std::string subject, std::string body, Tier tier = Tier::kAdministrative) {
  Template t;
  t.channel = Channel::kEmail;
  t.tier = tier;
  t.purpose = Purpose::kOutreach;
  t.subject = std::move(subject);
  t.body = std::move(body);
  return t;
}

Template Spoken(Channel channel, std::string body) {
  Template t;
  t.channel = channel;
  t.body = std::move(body);
  return t;
}

// Vocabulary ------------------------------------------------------------------

TEST(VocabularyTest, ChannelsRoundTrip) {
  for (Channel channel :
       {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm, Channel::kPortal}) {
    auto parsed = ParseChannel(ChannelName(channel));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, channel);
  }
  EXPECT_EQ(ChannelName(Channel::kRvm), "rvm");
  EXPECT_EQ(ParseChannel("SMS").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseChannel("fax").status().code(), StatusCode::kInvalidArgument);
}

TEST(VocabularyTest, PurposesAndTiers) {
  EXPECT_EQ(*ParsePurpose("care"), Purpose::kCare);
  EXPECT_EQ(*ParsePurpose("outreach"), Purpose::kOutreach);
  EXPECT_EQ(PurposeName(Purpose::kOutreach), "outreach");
  EXPECT_FALSE(ParsePurpose("marketing").ok());
  EXPECT_EQ(*TierFromNumber(1), Tier::kAdministrative);
  EXPECT_EQ(*TierFromNumber(2), Tier::kNotification);
  EXPECT_EQ(*TierFromNumber(3), Tier::kClinical);
  EXPECT_EQ(TierFromNumber(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TierFromNumber(4).status().code(), StatusCode::kInvalidArgument);
}

TEST(VocabularyTest, AllowList) {
  for (std::string_view name : kAllowedVariables) EXPECT_TRUE(IsAllowedVariable(name)) << name;
  EXPECT_FALSE(IsAllowedVariable("diagnosis"));
  EXPECT_FALSE(IsAllowedVariable("First_Name"));
}

// consent_link is a URL value like portal_link and unsubscribe_link: escaped
// as any value in HTML, and allowed in a tier-2 notice (it says nothing about care).
TEST(VocabularyTest, ConsentLinkIsAUrlVariable) {
  EXPECT_TRUE(IsAllowedVariable("consent_link"));
  const Values values = {{"consent_link", "https://recall.example/c/a?b=1&c=2"}};
  EXPECT_EQ(MustRender("<a href=\"{{consent_link}}\">Confirm</a>", values, Escaping::kHtml),
            "<a href=\"https://recall.example/c/a?b=1&amp;c=2\">Confirm</a>");
  EXPECT_TRUE(CheckTierPolicy(Channel::kEmail, Tier::kNotification,
                              "<p>Confirm your messages in our portal: {{consent_link}}</p>")
                  .ok());
}

// Parse -----------------------------------------------------------------------

TEST(ParseTest, SplitsLiteralsAndVariables) {
  const auto parsed = MustParse("Hi {{first_name}},\nsee you {{ appointment_date }}.");
  using Kind = ParsedTemplate::SegmentKind;
  const auto& segments = parsed.segments();
  ASSERT_EQ(segments.size(), 5u);
  EXPECT_EQ(segments[0].kind, Kind::kLiteral);
  EXPECT_EQ(segments[0].text, "Hi ");
  EXPECT_EQ(segments[1].kind, Kind::kVariable);
  EXPECT_EQ(segments[1].text, "first_name");
  EXPECT_EQ(segments[1].line, 1);
  EXPECT_EQ(segments[1].column, 4);
  EXPECT_EQ(segments[2].text, ",\nsee you ");
  EXPECT_EQ(segments[3].text, "appointment_date");
  EXPECT_EQ(segments[3].line, 2);
  EXPECT_EQ(segments[3].column, 9);
  EXPECT_EQ(segments[4].text, ".");
  EXPECT_THAT(parsed.Variables(), ElementsAre("appointment_date", "first_name"));
  EXPECT_TRUE(parsed.UsesVariable("first_name"));
  EXPECT_FALSE(parsed.UsesVariable("practice_name"));
}

TEST(ParseTest, WhitespaceInsideTagsAndRepeatedVariables) {
  const auto parsed = MustParse("{{\tfirst_name\t}} {{first_name  }}{{  practice_name}}");
  EXPECT_THAT(parsed.Variables(), ElementsAre("first_name", "practice_name"));
  EXPECT_EQ(parsed.segments().size(), 4u);
}

TEST(ParseTest, EmptyTextAndPlainText) {
  EXPECT_TRUE(MustParse("").segments().empty());
  const auto parsed = MustParse("Use code {A1} or }} as you like; a { alone is fine.");
  ASSERT_EQ(parsed.segments().size(), 1u);
  EXPECT_TRUE(parsed.Variables().empty());
}

TEST(ParseTest, ColumnsCountCodePoints) {
  // "¡Hola señora " is 13 code points but 15 bytes.
  const auto parsed = MustParse("¡Hola señora {{first_name}}");
  EXPECT_EQ(parsed.segments()[1].column, 14);
  EXPECT_EQ(ParseError("¡Hola señora {{nombre}}").message(),
            "line 1, column 14: unknown variable 'nombre'; allowed: first_name, practice_name, "
            "practice_phone, practice_address, provider_name, appointment_date, "
            "appointment_time, portal_link, unsubscribe_link, callback_number, office_hours, "
            "consent_link");
}

TEST(ParseTest, CrLfLineEndings) {
  const auto parsed = MustParse("Hi\r\n{{first_name}}");
  EXPECT_EQ(parsed.segments()[1].line, 2);
  EXPECT_EQ(parsed.segments()[1].column, 1);
}

TEST(ParseTest, UnknownVariableWithPosition) {
  const Status status = ParseError("Hello there,\n  thanks {{fist_name}}!");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("line 2, column 10: unknown variable 'fist_name'"));
}

TEST(ParseTest, UpperCaseVariableGetsAHint) {
  EXPECT_THAT(ParseError("Hi {{First_Name}}").message(),
              HasSubstr("line 1, column 4: unknown variable 'First_Name'; variable names are "
                        "lower case: 'first_name'"));
}

TEST(ParseTest, NotMinimumNecessaryIsItsOwnError) {
  const Status diagnosis = ParseError("Hi {{first_name}},\nabout your {{diagnosis}}:");
  EXPECT_EQ(diagnosis.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(diagnosis.message(),
              HasSubstr("line 2, column 12: variable 'diagnosis' is not minimum-necessary"));
  EXPECT_THAT(ParseError("{{ visit_reason }}").message(),
              HasSubstr("line 1, column 1: variable 'visit_reason' is not minimum-necessary"));
  for (const char* text :
       {"{{Visit-Reason}}", "{{DIAGNOSIS}}", "{{medications}}", "{{date_of_birth}}",
        "{{last_name}}", "{{mrn}}", "{{lab.results}}", "{{appointment_type}}"}) {
    EXPECT_THAT(ParseError(text).message(), HasSubstr("is not minimum-necessary")) << text;
  }
  EXPECT_THAT(ParseError("{{favorite_color}}").message(), Not(HasSubstr("minimum-necessary")));
}

TEST(ParseTest, UnclosedTags) {
  EXPECT_EQ(ParseError("Hi {{first_name, see you soon").message(),
            "line 1, column 4: unclosed tag: expected '}}' before the end of the line");
  EXPECT_EQ(ParseError("Hi {{first_name").message(),
            "line 1, column 4: unclosed tag: expected '}}' before the end of the line");
  EXPECT_THAT(ParseError("Hi {{first_name}").message(),
              HasSubstr("line 1, column 4: unclosed tag"));
  EXPECT_THAT(ParseError("Hi {{first_name} and more").message(),
              HasSubstr("line 1, column 4: unclosed tag"));
  EXPECT_THAT(ParseError("line one\nHi {{first_name\n}}").message(),
              HasSubstr("line 2, column 4: unclosed tag"));
  EXPECT_THAT(ParseError("Hi {{first_name\r\n}}").message(),
              HasSubstr("line 1, column 4: unclosed tag"));
  EXPECT_THAT(ParseError("{{first_name {{practice_name}}").message(),
              HasSubstr("line 1, column 1: unclosed tag"));
  EXPECT_THAT(ParseError("ends with {{").message(), HasSubstr("line 1, column 11: unclosed tag"));
  EXPECT_THAT(ParseError("ends with {{  ").message(), HasSubstr("line 1, column 11: unclosed tag"));
}

TEST(ParseTest, UnexpectedCharacterPointsAtIt) {
  EXPECT_EQ(ParseError("{{first name}}").message(),
            "line 1, column 9: unexpected character in tag; a tag holds one variable name, as in "
            "'{{ first_name }}'");
  EXPECT_THAT(ParseError("x\n  {{ first_name | upper }}").message(),
              HasSubstr("line 2, column 17: unexpected character"));
  EXPECT_THAT(ParseError("{{ñ}}").message(), HasSubstr("line 1, column 3: unexpected character"));
}

TEST(ParseTest, EmptyTag) {
  EXPECT_EQ(ParseError("a {{}} b").message(), "line 1, column 3: empty tag");
  EXPECT_EQ(ParseError("a {{   }} b").message(), "line 1, column 3: empty tag");
}

TEST(ParseTest, UnsupportedMustacheFeatures) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"Hi {{#first_name}}x{{/first_name}}", "line 1, column 4: sections"},
      {"Hi {{^first_name}}friend{{/first_name}}", "line 1, column 4: sections"},
      {"{{/first_name}}", "line 1, column 1: sections"},
      {"x {{ #first_name }}", "line 1, column 3: sections"},
      {"{{> footer}}", "line 1, column 1: partials ('{{>') are not supported"},
      {"{{&first_name}}", "line 1, column 1: unescaped output ('{{&') is not supported"},
      {"Hi {{{first_name}}}",
       "line 1, column 4: triple mustache '{{{' (unescaped output) is not "
       "supported"},
      {"{{! a note }}", "line 1, column 1: comments ('{{!') are not supported"},
      {"{{=<% %>=}}", "line 1, column 1: delimiter changes ('{{=') are not supported"},
  };
  for (const auto& c : cases) {
    const Status status = ParseError(c.text);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(status.message(), HasSubstr(c.expected)) << c.text;
  }
}

TEST(ParseTest, InvalidUtf8AndControlCharacters) {
  EXPECT_EQ(ParseError("ok\n\xFF").message(), "line 2, column 1: invalid UTF-8");
  EXPECT_EQ(ParseError("caf\xC3").message(), "line 1, column 4: invalid UTF-8");
  EXPECT_EQ(ParseError("\xC0\xAF").message(), "line 1, column 1: invalid UTF-8");      // overlong
  EXPECT_EQ(ParseError("\xED\xA0\x80").message(), "line 1, column 1: invalid UTF-8");  // surrogate
  EXPECT_EQ(ParseError("a\x01").message(),
            "line 1, column 2: control character U+0001 is not allowed");
  EXPECT_EQ(ParseError(std::string_view("a\0b", 3)).message(),
            "line 1, column 2: control character U+0000 is not allowed");
  EXPECT_EQ(ParseError("a\x7F").message(),
            "line 1, column 2: control character U+007F is not allowed");
  EXPECT_TRUE(Parse("tabs\tand\r\nnewlines\n").ok());
}

TEST(ParseTest, SizeLimit) {
  EXPECT_TRUE(Parse(std::string(kMaxTemplateBytes, 'a')).ok());
  EXPECT_EQ(Parse(std::string(kMaxTemplateBytes + 1, 'a')).status().code(),
            StatusCode::kResourceExhausted);
}

// Render ----------------------------------------------------------------------

TEST(RenderTest, AppointmentReminderSms) {
  const Values values = {{"first_name", "Ana"},
                         {"practice_name", "Maple Street Family Medicine"},
                         {"appointment_date", "Tue Mar 4"},
                         {"appointment_time", "3:30 PM"},
                         {"practice_phone", "(555) 010-2000"},
                         {"unsubscribe_link", "unused and ignored"}};
  EXPECT_EQ(MustRender(kReminderSms, values, Escaping::kPlain),
            "Hi Ana, this is Maple Street Family Medicine reminding you of your appointment on "
            "Tue Mar 4 at 3:30 PM. Call (555) 010-2000 to reschedule. Reply STOP to opt out.");
}

TEST(RenderTest, HtmlEscapesValuesButNotThePracticesMarkup) {
  const Values values = {{"first_name", "<script>alert('x')</script>"},
                         {"practice_name", "O'Brien & Sons \"Family\" Care"}};
  EXPECT_EQ(MustRender("<p>Hi {{first_name}},</p><p>{{practice_name}} &amp; you</p>", values,
                       Escaping::kHtml),
            "<p>Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;,</p>"
            "<p>O&#39;Brien &amp; Sons &quot;Family&quot; Care &amp; you</p>");
  // SMS is plain text: the same values go out as they are.
  EXPECT_EQ(MustRender("{{practice_name}}", values, Escaping::kPlain),
            "O'Brien & Sons \"Family\" Care");
  EXPECT_EQ(BodyEscapingFor(Channel::kEmail), Escaping::kHtml);
  EXPECT_EQ(BodyEscapingFor(Channel::kSms), Escaping::kPlain);
  EXPECT_EQ(BodyEscapingFor(Channel::kPortal), Escaping::kPlain);
}

TEST(RenderTest, ValuesAreNeverReparsed) {
  const Values values = {{"first_name", "{{diagnosis}} {{{x}}}"}};
  EXPECT_EQ(MustRender("Hi {{first_name}}", values, Escaping::kPlain), "Hi {{diagnosis}} {{{x}}}");
}

TEST(RenderTest, MissingValueNamesTheVariableNotTheValues) {
  const Values values = {{"first_name", kPatientName}, {"practice_phone", kPatientPhone}};
  const auto rendered =
      Render(MustParse("Hi {{first_name}}, call {{practice_phone}}.\nAt {{appointment_time}}"),
             values, Escaping::kPlain);
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(rendered.status().message(),
            "no value for variable 'appointment_time' (line 2, column 4)");
  ExpectNoPhi(rendered.status());
}

TEST(RenderTest, EmptyValueIsAValue) {
  EXPECT_EQ(MustRender("Hi {{first_name}}!", {{"first_name", ""}}, Escaping::kPlain), "Hi !");
}

TEST(RenderTest, BadValuesAreRefusedWithoutEchoingThem) {
  const std::string bad_utf8 = std::string(kPatientName) + "\xFF";
  auto rendered = Render(MustParse("{{first_name}}"), {{"first_name", bad_utf8}}, Escaping::kPlain);
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rendered.status().message(), "value for variable 'first_name' is not valid UTF-8");
  ExpectNoPhi(rendered.status());

  const std::string with_nul = std::string(kPatientName) + std::string(1, '\0');
  rendered = Render(MustParse("{{first_name}}"), {{"first_name", with_nul}}, Escaping::kHtml);
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().message(),
            "value for variable 'first_name' holds a control character U+0000");
  ExpectNoPhi(rendered.status());
}

TEST(RenderTest, MultiLineValuesOnlyOutsideHeaders) {
  const Values values = {{"practice_address", "12 Maple St\nSpringfield, IL 62701"},
                         {"practice_name", "Maple Street\r\nBcc: everyone@example.com"}};
  EXPECT_EQ(MustRender("{{practice_address}}", values, Escaping::kPlain),
            "12 Maple St\nSpringfield, IL 62701");
  auto header = Render(MustParse("News from {{practice_name}}"), values, Escaping::kHeader);
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(header.status().message(), HasSubstr("'practice_name' holds a control character"));
  header = Render(MustParse("Two\nlines"), {}, Escaping::kHeader);
  EXPECT_EQ(header.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MustRender("Hello {{first_name}}", {{"first_name", "Ana"}}, Escaping::kHeader),
            "Hello Ana");
}

// Language tags ---------------------------------------------------------------

TEST(LanguageTagTest, WellFormedTagsInCanonicalCase) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"en", "en"},
      {"es", "es"},
      {"en-US", "en-US"},
      {"EN-us", "en-US"},
      {"zh-Hant-TW", "zh-Hant-TW"},
      {"zh-hant-tw", "zh-Hant-TW"},
      {"es-419", "es-419"},
      {"sr-latn-rs", "sr-Latn-RS"},
      {"de-CH-1996", "de-CH-1996"},
      {"sl-rozaj-biske", "sl-rozaj-biske"},
      {"zh-yue-HK", "zh-yue-HK"},
      {"haw", "haw"},
      {"en-US-x-TWAIN", "en-US-x-twain"},
      {"en-a-bbb-x-a-ccc", "en-a-bbb-x-a-ccc"},
      {"en-u-ca-GREGORY", "en-u-ca-gregory"},
  };
  for (const auto& c : cases) {
    auto normalized = NormalizeLanguageTag(c.in);
    ASSERT_TRUE(normalized.ok()) << c.in << ": " << normalized.status().ToString();
    EXPECT_EQ(*normalized, c.out);
  }
}

TEST(LanguageTagTest, MalformedTags) {
  for (const char* tag : {"",
                          "e",
                          "english1",
                          "en_US",
                          "en-",
                          "-en",
                          "en--US",
                          "x-private",
                          "i-klingon",
                          "en-US-US",
                          "de-1996-1996",
                          "en-a",
                          "en-a-x-foo",
                          "en-a-bbb-a-ccc",
                          "toolonglang",
                          "ab-cde-fgh-ijk-lmn",
                          "en-ü",
                          "en US",
                          "1en",
                          "en-x"}) {
    auto normalized = NormalizeLanguageTag(tag);
    EXPECT_FALSE(normalized.ok()) << tag << " -> " << (normalized.ok() ? *normalized : "");
    if (!normalized.ok()) {
      EXPECT_EQ(normalized.status().code(), StatusCode::kInvalidArgument) << tag;
    }
  }
  EXPECT_FALSE(NormalizeLanguageTag(std::string(200, 'a')).ok());
}

// Tier policy -----------------------------------------------------------------

TEST(TierPolicyTest, AdministrativeGoesEverywhere) {
  for (Channel channel :
       {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm, Channel::kPortal}) {
    EXPECT_TRUE(CheckTierPolicy(channel, Tier::kAdministrative, kReminderSms).ok())
        << ChannelName(channel);
  }
}

TEST(TierPolicyTest, ClinicalIsPortalOnly) {
  EXPECT_TRUE(CheckTierPolicy(Channel::kPortal, Tier::kClinical, kClinicalMessage).ok());
  for (Channel channel : {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm}) {
    const Status status = CheckTierPolicy(channel, Tier::kClinical, kClinicalMessage);
    EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << ChannelName(channel);
    EXPECT_THAT(status.message(), HasSubstr("only go to the portal"));
  }
}

TEST(TierPolicyTest, NotificationIsABareNotice) {
  for (Channel channel :
       {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm, Channel::kPortal}) {
    EXPECT_TRUE(CheckTierPolicy(channel, Tier::kNotification, kPortalNoticeSms).ok())
        << ChannelName(channel);
  }
  // The word "portal" will do instead of the link.
  EXPECT_TRUE(CheckTierPolicy(Channel::kVoice, Tier::kNotification,
                              "This is {{practice_name}}. You have a new secure message in your "
                              "patient Portal. Call {{callback_number}} with questions.")
                  .ok());
  EXPECT_TRUE(CheckTierPolicy(Channel::kSms, Tier::kNotification,
                              "{{practice_name}}: tiene un mensaje seguro en su portal. Responda "
                              "PARAR para cancelar.")
                  .ok());
}

TEST(TierPolicyTest, NotificationMustPointToThePortal) {
  const Status status =
      CheckTierPolicy(Channel::kSms, Tier::kNotification,
                      "{{practice_name}}: you have a new message. Reply STOP to opt out.");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("must point to the portal"));
  // "portals" or a link inside markup is not the word.
  EXPECT_EQ(CheckTierPolicy(Channel::kEmail, Tier::kNotification,
                            "<a href=\"https://portal.example\">New message</a> in our portals")
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(TierPolicyTest, NotificationMayNotCarryVisitDetails) {
  for (const char* variable : {"appointment_date", "appointment_time", "provider_name"}) {
    const std::string body = "You have a secure message about your visit {{" +
                             std::string(variable) + "}}: {{portal_link}}";
    const Status status = CheckTierPolicy(Channel::kSms, Tier::kNotification, body);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << variable;
    EXPECT_THAT(status.message(), HasSubstr("{{" + std::string(variable) + "}}"));
  }
}

TEST(TierPolicyTest, NotificationLengthLimit) {
  std::string body = "You have a new secure message: {{portal_link}} ";
  // Whitespace runs collapse, so padding with spaces does not count.
  EXPECT_TRUE(
      CheckTierPolicy(Channel::kSms, Tier::kNotification, body + std::string(1000, ' ')).ok());
  while (body.size() < kTier2MaxNoticeChars + 40) {
    body += "Your results look fine and the doctor wants to see you. ";
  }
  const Status status = CheckTierPolicy(Channel::kSms, Tier::kNotification, body);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("bare notice"));
  // The same text is fine as tier 1 for the length rule (the scanner judges content).
  EXPECT_TRUE(CheckTierPolicy(Channel::kSms, Tier::kAdministrative, body).ok());
}

TEST(TierPolicyTest, EmailNoticeMarkupDoesNotCount) {
  std::string body = "<html><head><meta charset=\"utf-8\"></head><body>";
  for (int idx = 0; idx < 20; ++idx) body += "<div style=\"margin:0;padding:0;font-family:Arial\">";
  body +=
      "<p>You have a new secure message from {{practice_name}}.</p>"
      "<p><a href=\"{{portal_link}}\">Sign in to read it</a>.</p>"
      "<p>{{practice_address}} &middot; <a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";
  for (int idx = 0; idx < 20; ++idx) body += "</div>";
  body += "</body></html>";
  EXPECT_GT(body.size(), 1000u);
  EXPECT_TRUE(CheckTierPolicy(Channel::kEmail, Tier::kNotification, body).ok());
}

TEST(TierPolicyTest, UnparseableBody) {
  EXPECT_EQ(CheckTierPolicy(Channel::kSms, Tier::kAdministrative, "{{diagnosis}}").code(),
            StatusCode::kInvalidArgument);
}

// ValidateTemplate ------------------------------------------------------------

TEST(ValidateTemplateTest, RealisticTemplatesPass) {
  EXPECT_TRUE(ValidateTemplate(Sms(kReminderSms)).ok());
  Template spanish = Sms(kReminderSmsSpanish);
  spanish.language = "es-US";
  EXPECT_TRUE(ValidateTemplate(spanish).ok());
  EXPECT_TRUE(
      ValidateTemplate(Email("{{first_name}}, it's time for your check-up", kReengagementEmailBody))
          .ok());
  EXPECT_TRUE(ValidateTemplate(Spoken(Channel::kVoice, kVoicemailScript)).ok());
  EXPECT_TRUE(ValidateTemplate(Spoken(Channel::kRvm, kVoicemailScript)).ok());
  EXPECT_TRUE(ValidateTemplate(Sms(kPortalNoticeSms, Tier::kNotification)).ok());
  Template clinical = Spoken(Channel::kPortal, kClinicalMessage);
  clinical.tier = Tier::kClinical;
  EXPECT_TRUE(ValidateTemplate(clinical).ok());
}

TEST(ValidateTemplateTest, ClinicalTemplateRefusedOnSms) {
  const Status status = ValidateTemplate(Sms(kClinicalMessage, Tier::kClinical));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "a clinical (tier 3) template may only go to the portal, not sms");
}

TEST(ValidateTemplateTest, FieldErrorsArePrefixed) {
  Template t = Sms("Hi {{first_name}},\n{{ visit_reason }}");
  EXPECT_THAT(
      ValidateTemplate(t).message(),
      HasSubstr("body: line 2, column 1: variable 'visit_reason' is not minimum-necessary"));

  t = Sms(kReminderSms);
  t.language = "en_US";
  EXPECT_THAT(ValidateTemplate(t).message(), HasSubstr("language: "));
  t.language = "en";
  t.version = 0;
  EXPECT_EQ(ValidateTemplate(t).message(), "version: must be 1 or more");
  t.version = 3;
  t.subject = "Hello";
  EXPECT_EQ(ValidateTemplate(t).message(), "subject: only email templates have a subject");
  EXPECT_EQ(ValidateTemplate(Sms("")).message(), "body: is empty");

  EXPECT_EQ(ValidateTemplate(Email("", kReengagementEmailBody)).message(),
            "subject: an email needs a subject");
  EXPECT_EQ(ValidateTemplate(Email("Hi\nBcc: x", kReengagementEmailBody)).message(),
            "subject: must be one line");
  EXPECT_EQ(ValidateTemplate(Email("Hi {{first_name", kReengagementEmailBody)).message(),
            "subject: line 1, column 4: unclosed tag: expected '}}' before the end of the line");
}

TEST(ValidateTemplateTest, NotificationEmailSubjectIsBareToo) {
  const std::string body =
      "<p>You have a new secure message in your portal: <a href=\"{{portal_link}}\">sign "
      "in</a>.</p>"
      "<p>{{practice_name}}, {{practice_address}}. <a "
      "href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";
  EXPECT_TRUE(ValidateTemplate(
                  Email("New secure message from {{practice_name}}", body, Tier::kNotification))
                  .ok());
  const Status status = ValidateTemplate(
      Email("About your visit on {{appointment_date}}", body, Tier::kNotification));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("subject: a tier-2 notification may not use"));
  EXPECT_EQ(ValidateTemplate(Email(std::string(120, 'x'), body, Tier::kNotification)).code(),
            StatusCode::kInvalidArgument);
  // Tier-2 body violations carry the field too.
  EXPECT_THAT(
      ValidateTemplate(Email("New message", "<p>Hello {{first_name}}</p>", Tier::kNotification))
          .message(),
      HasSubstr("body: a tier-2 notification must point to the portal"));
}

// Canonical serialization -----------------------------------------------------

TEST(SerializeTest, ExactFormat) {
  Template t = Email("Hi {{first_name}}", "<p>x</p>\n");
  t.language = "EN-us";
  t.version = 12;
  auto bytes = SerializeCanonical(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes,
            "recall-template-v1\n"
            "channel=5:email\n"
            "tier=1:1\n"
            "purpose=8:outreach\n"
            "language=5:en-US\n"
            "version=2:12\n"
            "subject=17:Hi {{first_name}}\n"
            "body=9:<p>x</p>\n\n");
}

TEST(SerializeTest, DeterministicAndCaseNormalized) {
  Template a = Sms(kReminderSms);
  a.language = "es-mx";
  Template b = a;
  b.language = "ES-MX";
  EXPECT_EQ(*SerializeCanonical(a), *SerializeCanonical(a));
  EXPECT_EQ(*SerializeCanonical(a), *SerializeCanonical(b));
}

TEST(SerializeTest, EveryFieldCounts) {
  const Template base = Email("ab", "c");
  const std::string reference = *SerializeCanonical(base);
  std::vector<Template> variants(7, base);
  variants[0].channel = Channel::kPortal;
  variants[1].tier = Tier::kNotification;
  variants[2].purpose = Purpose::kCare;
  variants[3].language = "en-GB";
  variants[4].version = 2;
  variants[5].subject = "a";  // moving a byte from subject to body
  variants[5].body = "bc";
  variants[6].body = "c\n";
  for (const auto& variant : variants) EXPECT_NE(*SerializeCanonical(variant), reference);
  // A body that imitates the next field cannot collide: lengths come first.
  Template tricky = base;
  tricky.subject = "ab\nbody=1:c";
  tricky.body = "";
  EXPECT_NE(*SerializeCanonical(tricky), reference);
}

TEST(SerializeTest, RefusesMalformedFields) {
  Template t = Sms("hi");
  t.language = "not a tag";
  EXPECT_EQ(SerializeCanonical(t).status().code(), StatusCode::kInvalidArgument);
  t.language = "en";
  t.body = "\xFF";
  EXPECT_EQ(SerializeCanonical(t).status().code(), StatusCode::kInvalidArgument);
}

// Required elements -----------------------------------------------------------

TEST(RequiredElementsTest, CompleteSmsHasNoFindings) {
  EXPECT_THAT(Findings(Sms(kReminderSms)), IsEmpty());
  EXPECT_THAT(Findings(Sms(kReminderSmsSpanish)), IsEmpty());
  EXPECT_THAT(Findings(Sms(kPortalNoticeSms, Tier::kNotification)), IsEmpty());
}

TEST(RequiredElementsTest, SmsMissingIdentityAndOptOut) {
  const auto findings =
      Findings(Sms("Reminder: appointment {{appointment_date}} {{appointment_time}}."));
  EXPECT_THAT(Codes(findings), ElementsAre("sms_missing_practice_identity", "sms_missing_opt_out"));
  for (const auto& finding : findings) {
    EXPECT_EQ(finding.category, "required_element");
    EXPECT_EQ(finding.severity, "warn");
    EXPECT_FALSE(finding.message.empty());
  }
}

TEST(RequiredElementsTest, SmsOptOutOnlyOnFirstMessage) {
  const Template t = Sms("{{practice_name}}: see you {{appointment_date}}.");
  EXPECT_THAT(Codes(Findings(t)), ElementsAre("sms_missing_opt_out"));
  ElementCheckOptions later;
  later.first_message_of_campaign = false;
  EXPECT_THAT(Findings(t, later), IsEmpty());
}

TEST(RequiredElementsTest, SmsLiteralPracticeName) {
  const Template t =
      Sms("MAPLE STREET family medicine: see you {{appointment_date}}. Reply STOP to opt out.");
  EXPECT_THAT(Codes(Findings(t)), ElementsAre("sms_missing_practice_identity"));
  ElementCheckOptions options;
  options.practice_name = "Maple Street Family Medicine";
  EXPECT_THAT(Findings(t, options), IsEmpty());
  options.practice_name = "Oak Street Family Medicine";
  EXPECT_THAT(Codes(Findings(t, options)), ElementsAre("sms_missing_practice_identity"));
}

TEST(RequiredElementsTest, SmsOptOutWordings) {
  for (const char* opt_out :
       {"Reply STOP to opt out.", "Text STOP to 55555 to end.", "reply stop to unsubscribe",
        "Reply with STOP to cancel.", "Reply \"STOP\" to opt out.", "Responda STOP para cancelar.",
        "Responda PARAR.", "Responda con PARAR para no recibir más.", "Envíe STOP para salir.",
        "ＲＥＰＬＹ ＳＴＯＰ"}) {
    const Template t = Sms("{{practice_name}}: see you soon. " + std::string(opt_out));
    EXPECT_THAT(Findings(t), IsEmpty()) << opt_out;
  }
  for (const char* not_opt_out :
       {"Please don't stop by without calling.", "STOP", "Reply YES to confirm. Stop.",
        "Reply to us when you can, and we will never stop caring.",
        "Call {{practice_phone}} to stop messages."}) {
    const Template t = Sms("{{practice_name}}: see you soon. " + std::string(not_opt_out));
    EXPECT_THAT(Codes(Findings(t)), ElementsAre("sms_missing_opt_out")) << not_opt_out;
  }
}

TEST(RequiredElementsTest, CompleteReengagementEmailHasNoFindings) {
  EXPECT_THAT(
      Findings(Email("{{first_name}}, it's time for your check-up", kReengagementEmailBody)),
      IsEmpty());
}

TEST(RequiredElementsTest, EmailMissingSenderAddressAndUnsubscribe) {
  const auto findings =
      Findings(Email("Time for a check-up", "<p>Hi {{first_name}}, book now.</p>"));
  EXPECT_THAT(Codes(findings),
              ElementsAre("email_missing_sender_identity", "email_missing_postal_address",
                          "email_missing_unsubscribe_link"));
  // Naming the practice in the subject is enough for the sender.
  EXPECT_THAT(
      Codes(Findings(Email("News from {{practice_name}}",
                           "<p>{{practice_address}} <a href=\"{{unsubscribe_link}}\">x</a></p>"))),
      IsEmpty());
  // A literal name inside markup attributes does not count; in the text it does.
  ElementCheckOptions options;
  options.practice_name = "Maple Street";
  EXPECT_THAT(Codes(Findings(Email("Hello",
                                   "<img alt=\"Maple Street\"> {{practice_address}} "
                                   "{{unsubscribe_link}}"),
                             options)),
              ElementsAre("email_missing_sender_identity"));
  EXPECT_THAT(
      Findings(Email("Hello", "<b>Maple   Street</b> {{practice_address}} {{unsubscribe_link}}"),
               options),
      IsEmpty());
}

TEST(RequiredElementsTest, DeceptiveSubjectsBlock) {
  for (const char* subject :
       {"Re: your account", "RE: Your appointment", "Fwd: check-up time", "FW: openings",
        "fw : openings", "  Re:{{first_name}}", "RE[2]: follow-up", "Re (3): follow-up",
        "RV: su cita", "AW: Termin", "ＲＥ： full width"}) {
    const auto findings = Findings(Email(subject, std::string(kReengagementEmailBody)));
    ASSERT_EQ(findings.size(), 1u) << subject;
    EXPECT_EQ(findings[0].category, "deceptive_subject");
    EXPECT_EQ(findings[0].code, "email_deceptive_subject");
    EXPECT_EQ(findings[0].severity, "block");
  }
  for (const char* subject : {"Reminder: your check-up", "Regarding your visit", "Refill reminder",
                              "{{first_name}}, re: your visit", "Free: flu shots",
                              "Re-engage with {{practice_name}}", "RE[]: x", "Fwd"}) {
    EXPECT_THAT(Findings(Email(subject, kReengagementEmailBody)), IsEmpty()) << subject;
  }
}

TEST(RequiredElementsTest, VoicemailScript) {
  EXPECT_THAT(Findings(Spoken(Channel::kVoice, kVoicemailScript)), IsEmpty());
  EXPECT_THAT(Findings(Spoken(Channel::kRvm, kVoicemailScript)), IsEmpty());
  EXPECT_THAT(Codes(Findings(Spoken(Channel::kRvm, "Hi {{first_name}}, please call us."))),
              ElementsAre("rvm_missing_practice_identity", "rvm_missing_callback_number"));
  // The practice phone will do as a callback number.
  EXPECT_THAT(
      Findings(Spoken(Channel::kVoice, "{{practice_name}} calling. Call {{practice_phone}}.")),
      IsEmpty());
}

TEST(RequiredElementsTest, SpokenLengthLimits) {
  // 9 literal words + practice_name (3) + callback_number (10) = 22 per sentence.
  std::string script;
  const std::string sentence =
      "This is {{practice_name}} with one more reminder, call {{callback_number}} back soon. ";
  while (true) {
    script += sentence;
    if (script.size() > 300) break;
  }
  // Four sentences: 88 words. Over rvm's 75, within voice's 150.
  ASSERT_EQ(script, sentence + sentence + sentence + sentence);
  EXPECT_THAT(Findings(Spoken(Channel::kVoice, script)), IsEmpty());
  const auto rvm = Findings(Spoken(Channel::kRvm, script));
  ASSERT_EQ(rvm.size(), 1u);
  EXPECT_EQ(rvm[0].category, "length");
  EXPECT_EQ(rvm[0].code, "rvm_too_long");
  EXPECT_EQ(rvm[0].severity, "warn");
  EXPECT_THAT(rvm[0].message, HasSubstr("about 88 words"));
  EXPECT_THAT(rvm[0].message, HasSubstr("limit is 75 words (~30 s)"));

  const std::string long_script = script + script;  // 176 words
  const auto voice = Findings(Spoken(Channel::kVoice, long_script));
  ASSERT_EQ(voice.size(), 1u);
  EXPECT_EQ(voice[0].code, "voice_too_long");
  EXPECT_THAT(voice[0].message, HasSubstr("limit is 150 words (~60 s)"));
}

TEST(RequiredElementsTest, PortalNeedsNothing) {
  Template t = Spoken(Channel::kPortal, kClinicalMessage);
  t.tier = Tier::kClinical;
  EXPECT_THAT(Findings(t), IsEmpty());
}

TEST(RequiredElementsTest, UnparseableTemplates) {
  auto findings = CheckRequiredElements(Sms("{{oops"), {});
  EXPECT_EQ(findings.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(findings.status().message(), HasSubstr("body: line 1, column 1"));
  findings = CheckRequiredElements(Email("{{visit_reason}}", kReengagementEmailBody), {});
  EXPECT_THAT(findings.status().message(), HasSubstr("subject: line 1, column 1"));
}

}  // namespace
}  // namespace recall::templates
