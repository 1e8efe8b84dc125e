// Tests for the Twilio channel: X-Twilio-Signature, the webhook parsers, and
// the channel against a local stand-in (testing/twilio_standin.h) that
// implements the provider's documented REST contract. A stand-in, because the
// real cloud API cannot be reached from the build and test environment.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "channels/smtp/mime_builder.h"
#include "channels/twilio/testing/twilio_standin.h"
#include "channels/twilio/twilio_callbacks.h"
#include "channels/twilio/twilio_channel.h"
#include "channels/twilio/twilio_signature.h"

namespace recall::channels {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TwilioStandIn;
using testing::WebhookRecorder;

// Synthetic numbers only (555-01xx).
constexpr char kPatient[] = "+15555550123";
constexpr char kPractice[] = "+15555550100";
constexpr char kSid[] = "AC0123456789abcdef0123456789abcdef";
constexpr char kToken[] = "test-auth-token";

bool IsUnavailable(const Status& s) { return s.code() == StatusCode::kUnavailable; }

// ---------------------------------------------------------------- signature

const FormParams kDocParams = {{"CallSid", "CA1234567890ABCDE"},
                               {"Caller", "+12349013030"},
                               {"Digits", "1234"},
                               {"From", "+12349013030"},
                               {"To", "+18005551212"}};
constexpr char kDocUrl[] = "https://mycompany.com/myapp.php?foo=1&bar=2";

// The worked example of the provider's webhook-security page (token "12345").
// "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" is also what an independent HMAC-SHA1 (Python's
// hmac module) gives for this input.
TEST(TwilioSignatureTest, MatchesDocumentationExample) {
  EXPECT_EQ(TwilioSignature("12345", kDocUrl, kDocParams), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  EXPECT_TRUE(ValidateTwilioSignature("12345", kDocUrl, kDocParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
}

TEST(TwilioSignatureTest, ParameterOrderDoesNotMatter) {
  FormParams reversed(kDocParams.rbegin(), kDocParams.rend());
  EXPECT_EQ(TwilioSignature("12345", kDocUrl, reversed), TwilioSignature("12345", kDocUrl, kDocParams));
}

TEST(TwilioSignatureTest, RejectsTampering) {
  const std::string good = TwilioSignature("12345", kDocUrl, kDocParams);
  EXPECT_FALSE(ValidateTwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", kDocParams, good));
  EXPECT_FALSE(ValidateTwilioSignature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", kDocParams, good));
  FormParams changed = kDocParams;
  changed[2].second = "1235";
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, changed, good));
  FormParams extra = kDocParams;
  extra.emplace_back("Body", "x");
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, extra, good));
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, {}, good));
  EXPECT_FALSE(ValidateTwilioSignature("54321", kDocUrl, kDocParams, good));
  std::string flipped = good;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, kDocParams, flipped));
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, kDocParams, good.substr(1)));
  EXPECT_FALSE(ValidateTwilioSignature("12345", kDocUrl, kDocParams, ""));
  EXPECT_FALSE(ValidateTwilioSignature("", kDocUrl, kDocParams, good));
}

// ---------------------------------------------------------------- parsers

TEST(ParseTwilioStatusCallbackTest, ParsesMessageAndCallStatuses) {
  auto sms = ParseTwilioStatusCallback(
      "msg=msg_1", "AccountSid=AC1&MessageSid=SM0123abcd&MessageStatus=undelivered&ErrorCode=30003");
  ASSERT_TRUE(sms.ok()) << sms.status().message();
  EXPECT_EQ(sms->message_id, "msg_1");
  EXPECT_FALSE(sms->is_call);
  EXPECT_EQ(sms->provider_sid, "SM0123abcd");
  EXPECT_EQ(sms->status, TwilioStatus::kUndelivered);
  EXPECT_EQ(sms->error_code, 30003);
  EXPECT_TRUE(IsFinalTwilioStatus(sms->status));

  for (const char* status : {"queued", "sent", "delivered", "failed", "undelivered"}) {
    auto parsed = ParseTwilioStatusCallback("msg=msg_1", std::string("MessageSid=SM1&MessageStatus=") + status);
    ASSERT_TRUE(parsed.ok()) << status;
    EXPECT_EQ(TwilioStatusName(parsed->status), status);
    EXPECT_FALSE(parsed->error_code.has_value());
  }

  auto call = ParseTwilioStatusCallback("msg=msg_2", "CallSid=CAff&CallStatus=no-answer&ErrorCode=");
  ASSERT_TRUE(call.ok()) << call.status().message();
  EXPECT_TRUE(call->is_call);
  EXPECT_EQ(call->status, TwilioStatus::kNoAnswer);
  EXPECT_FALSE(call->error_code.has_value());
}

TEST(ParseTwilioStatusCallbackTest, RejectsBadInput) {
  const std::string ok_body = "MessageSid=SM1&MessageStatus=sent";
  EXPECT_TRUE(ParseTwilioStatusCallback("msg=msg_1", ok_body).ok());
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("", ok_body).status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=..%2Fetc", ok_body).status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=a&msg=b", ok_body).status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageStatus=sent").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageSid=SM1").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageSid=SM1&MessageStatus=lost").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageSid=SM1&MessageStatus=busy").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "CallSid=CA1&CallStatus=delivered").status()));
  EXPECT_TRUE(IsInvalidArgument(
      ParseTwilioStatusCallback("msg=m", "MessageSid=SM1&CallSid=CA1&MessageStatus=sent").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageSid=S&MessageStatus=sent").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", "MessageSid=SM%2F1&MessageStatus=sent").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&MessageStatus=failed").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&ErrorCode=12x").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&ErrorCode=-1").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&ErrorCode=99999999999").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&x=%zz").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioStatusCallback("msg=m", ok_body + "&x=%FF%FE").status()));
  EXPECT_TRUE(IsInvalidArgument(
      ParseTwilioStatusCallback("msg=m", ok_body + "&x=" + std::string(kMaxTwilioCallbackBytes, 'a')).status()));
}

TEST(ParseTwilioInboundMessageTest, ParsesAndRejects) {
  auto in = ParseTwilioInboundMessage(
      "ToCountry=US&SmsSid=SM9&Body=Can+I+stop%3F+%C2%BFS%C3%AD%3F&From=%2B15555550123&To=%2B15555550100&"
      "MessageSid=SM9abc&NumMedia=0");
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->from, kPatient);
  EXPECT_EQ(in->to, kPractice);
  EXPECT_EQ(in->body, "Can I stop? ¿Sí?");
  EXPECT_EQ(in->message_sid, "SM9abc");

  const std::string base = "To=%2B15555550100&MessageSid=SM9&Body=hi";
  EXPECT_TRUE(ParseTwilioInboundMessage(base + "&From=%2B15555550123").ok());
  EXPECT_TRUE(ParseTwilioInboundMessage("From=%2B15555550123&To=x&MessageSid=SM9&Body=").ok());  // empty body is legal
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(base).status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(base + "&From=15555550123").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(base + "&From=%2B1555abc0123").status()));
  EXPECT_TRUE(IsInvalidArgument(
      ParseTwilioInboundMessage(base + "&From=%2B15555550123&From=%2B15555550124").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage("From=%2B15555550123&To=x&MessageSid=SM9").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage("From=%2B15555550123&To=x&Body=hi").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(base + "&From=%2B15555550123&Body2=%C3%28").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(base + "&From=%2B15555550123%").status()));
  EXPECT_TRUE(IsInvalidArgument(ParseTwilioInboundMessage(std::string(kMaxTwilioCallbackBytes + 1, '&')).status()));
  // Arbitrary bytes never crash.
  std::string junk;
  for (int idx = 0; idx < 512; ++idx) junk.push_back(static_cast<char>((idx * 37) & 0xFF));
  EXPECT_FALSE(ParseTwilioInboundMessage(junk).ok());
  EXPECT_FALSE(ParseTwilioStatusCallback(junk, junk).ok());
}

TEST(ParseTwilioInboundMessageTest, ErrorsCarryNoValues) {
  auto bad = ParseTwilioInboundMessage("From=%2B15555550123&To=%2B15555550100&MessageSid=bad!&Body=secret");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("5555")));
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("secret")));
}

// ---------------------------------------------------------------- response mapping

TEST(InterpretTwilioResponseTest, MapsCodes) {
  Receipt receipt;
  ASSERT_TRUE(InterpretTwilioResponse(201, R"({"sid":"SMabc","status":"queued"})", "w", &receipt).ok());
  EXPECT_EQ(receipt.provider_id, "SMabc");
  EXPECT_EQ(receipt.detail, "status=queued");
  EXPECT_TRUE(IsFailedPrecondition(InterpretTwilioResponse(201, "not json", "w")));
  EXPECT_TRUE(IsFailedPrecondition(InterpretTwilioResponse(200, R"({"sid":"SM/../x"})", "w")));
  EXPECT_TRUE(IsUnavailable(InterpretTwilioResponse(503, "<html>busy</html>", "w")));
  EXPECT_TRUE(IsUnavailable(InterpretTwilioResponse(429, R"({"code":20429})", "w")));
  EXPECT_TRUE(IsHardBounce(InterpretTwilioResponse(400, R"({"code":21614,"status":400})", "w")));
  const Status stop = InterpretTwilioResponse(400, R"({"code":21610,"message":"+15555550123 unsubscribed"})", "w");
  EXPECT_TRUE(IsFailedPrecondition(stop));
  EXPECT_FALSE(IsHardBounce(stop));
  EXPECT_THAT(stop.message(), Not(HasSubstr("5555")));
  EXPECT_TRUE(IsFailedPrecondition(InterpretTwilioResponse(400, R"([1,2)", "w")));
  EXPECT_TRUE(IsFailedPrecondition(InterpretTwilioResponse(301, "", "w")));
}

// ---------------------------------------------------------------- channel

class TwilioChannelTest : public ::testing::Test {
 protected:
  TwilioChannelTest() : standin_(kSid, kToken) {}

  TwilioConfig Config() const {
    TwilioConfig config;
    config.api_base = standin_.BaseUrl();
    config.account_sid = kSid;
    config.auth_token = kToken;
    config.from_number = kPractice;
    config.status_callback_url = webhooks_.BaseUrl() + "/twilio/status";
    return config;
  }

  std::unique_ptr<Channel> NewChannel(const TwilioConfig& config) {
    auto channel = NewTwilioChannel(config);
    EXPECT_TRUE(channel.ok()) << channel.status().message();
    return channel.ok() ? std::move(*channel) : nullptr;
  }

  static OutboundMessage Sms(const std::string& id, const std::string& to = kPatient) {
    OutboundMessage m;
    m.message_id = id;
    m.channel = "sms";
    m.to = to;
    m.text_body = "Maple Dental: your cleaning is due. Reply STOP to opt out. ¿Sí?";
    return m;
  }

  WebhookRecorder webhooks_;
  TwilioStandIn standin_;
};

TEST_F(TwilioChannelTest, SendsSmsAndReceivesSignedStatusCallback) {
  ASSERT_TRUE(standin_.ok() && webhooks_.ok());
  auto channel = NewChannel(Config());
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->name(), "twilio");
  auto receipt = channel->Send(Sms("msg_sms1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status().message();

  const auto requests = standin_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.answered, 201);
  EXPECT_EQ(req.request.method, "POST");
  EXPECT_EQ(req.request.path, std::string("/2010-04-01/Accounts/") + kSid + "/Messages.json");
  EXPECT_EQ(req.request.headers.at("authorization"), "Basic " + Base64Encode(std::string(kSid) + ":" + kToken));
  EXPECT_EQ(req.request.headers.at("content-type"), "application/x-www-form-urlencoded");
  const std::string callback_url = webhooks_.BaseUrl() + "/twilio/status?msg=msg_sms1";
  const FormParams expected = {{"To", kPatient},
                               {"From", kPractice},
                               {"Body", Sms("x").text_body},
                               {"StatusCallback", callback_url}};
  EXPECT_EQ(req.params, expected);
  EXPECT_EQ(receipt->provider_id, req.sid);
  EXPECT_THAT(receipt->provider_id, ::testing::StartsWith("SM"));
  EXPECT_EQ(receipt->detail, "status=queued");

  // The stand-in then POSTs a signed status callback to our webhook.
  ASSERT_TRUE(webhooks_.WaitForCount(1, std::chrono::seconds(10)));
  const auto cb = webhooks_.Requests()[0];
  EXPECT_EQ(cb.path, "/twilio/status");
  auto params = ParseTwilioForm(cb.body);
  ASSERT_TRUE(params.ok());
  const std::string url = webhooks_.BaseUrl() + cb.path + "?" + cb.query;
  EXPECT_EQ(url, callback_url);
  const std::string signature = cb.headers.at("x-twilio-signature");
  EXPECT_TRUE(ValidateTwilioSignature(kToken, url, *params, signature));
  EXPECT_FALSE(ValidateTwilioSignature("wrong-token", url, *params, signature));
  EXPECT_FALSE(ValidateTwilioSignature(kToken, webhooks_.BaseUrl() + "/twilio/status?msg=msg_other", *params,
                                       signature));
  FormParams tampered = *params;
  tampered.emplace_back("MessageStatus", "failed");
  EXPECT_FALSE(ValidateTwilioSignature(kToken, url, tampered, signature));

  auto status = ParseTwilioStatusCallback(cb.query, cb.body);
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->message_id, "msg_sms1");
  EXPECT_EQ(status->provider_sid, receipt->provider_id);
  EXPECT_EQ(status->status, TwilioStatus::kDelivered);
}

TEST_F(TwilioChannelTest, PlacesVoiceCallWithInlineSay) {
  TwilioConfig config = Config();
  config.say_language = "es-MX";
  auto channel = NewChannel(config);
  ASSERT_NE(channel, nullptr);
  OutboundMessage m = Sms("msg_call1");
  m.channel = "voice";
  m.text_body = "Hola <Maple> & \"Dental\": su limpieza";
  auto receipt = channel->Send(m);
  ASSERT_TRUE(receipt.ok()) << receipt.status().message();
  EXPECT_THAT(receipt->provider_id, ::testing::StartsWith("CA"));

  const auto requests = standin_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request.path, std::string("/2010-04-01/Accounts/") + kSid + "/Calls.json");
  const FormParams expected = {
      {"To", kPatient},
      {"From", kPractice},
      {"Twiml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"es-MX\">Hola &lt;Maple&gt; &amp; "
       "&quot;Dental&quot;: su limpieza</Say></Response>"},
      {"StatusCallback", webhooks_.BaseUrl() + "/twilio/status?msg=msg_call1"}};
  EXPECT_EQ(requests[0].params, expected);

  ASSERT_TRUE(webhooks_.WaitForCount(1, std::chrono::seconds(10)));
  const auto cb = webhooks_.Requests()[0];
  auto params = ParseTwilioForm(cb.body);
  ASSERT_TRUE(params.ok());
  EXPECT_TRUE(ValidateTwilioSignature(kToken, webhooks_.BaseUrl() + cb.path + "?" + cb.query, *params,
                                      cb.headers.at("x-twilio-signature")));
  auto status = ParseTwilioStatusCallback(cb.query, cb.body);
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_TRUE(status->is_call);
  EXPECT_EQ(status->status, TwilioStatus::kCompleted);
  EXPECT_EQ(status->provider_sid, receipt->provider_id);
}

TEST_F(TwilioChannelTest, VoicePlaysAudioUrlOrUsesTwimlUrl) {
  OutboundMessage m = Sms("msg_call2");
  m.channel = "voice";
  m.audio_path = "https://cdn.example/approved/recall-en.mp3";
  auto twiml = BuildVoiceTwiml(Config(), m);
  ASSERT_TRUE(twiml.ok());
  EXPECT_THAT(*twiml, HasSubstr("<Play>https://cdn.example/approved/recall-en.mp3</Play>"));
  EXPECT_THAT(*twiml, Not(HasSubstr("<Say")));

  TwilioConfig config = Config();
  config.voice_twiml_url = "https://recall.example/twiml/recall-en";
  auto channel = NewChannel(config);
  ASSERT_NE(channel, nullptr);
  ASSERT_TRUE(channel->Send(m).ok());
  const auto params = standin_.Requests().at(0).params;
  EXPECT_EQ(TwilioStandIn::Param(params, "Url"), "https://recall.example/twiml/recall-en?msg=msg_call2");
  EXPECT_EQ(TwilioStandIn::Param(params, "Twiml"), "");
}

TEST_F(TwilioChannelTest, MapsProviderErrors) {
  const std::string bad_number = "+15555550199";
  const std::string landline = "+15555550198";
  const std::string stopped = "+15555550197";
  standin_.SetErrorForNumber(bad_number, 21211);
  standin_.SetErrorForNumber(landline, 21614);
  standin_.SetErrorForNumber(stopped, 21610);
  auto channel = NewChannel(Config());
  ASSERT_NE(channel, nullptr);

  const Status invalid = channel->Send(Sms("msg_e1", bad_number)).status();
  EXPECT_TRUE(IsFailedPrecondition(invalid));
  EXPECT_TRUE(IsHardBounce(invalid));
  EXPECT_THAT(invalid.message(), HasSubstr("21211"));
  EXPECT_THAT(invalid.message(), HasSubstr("msg_e1"));
  EXPECT_THAT(invalid.message(), Not(HasSubstr("5555")));

  EXPECT_TRUE(IsHardBounce(channel->Send(Sms("msg_e2", landline)).status()));

  const Status unsubscribed = channel->Send(Sms("msg_e3", stopped)).status();
  EXPECT_TRUE(IsFailedPrecondition(unsubscribed));
  EXPECT_FALSE(IsHardBounce(unsubscribed));
  EXPECT_THAT(unsubscribed.message(), HasSubstr("21610"));

  standin_.FailNextWith(500);
  EXPECT_TRUE(IsUnavailable(channel->Send(Sms("msg_e4")).status()));
  standin_.FailNextWith(429);
  EXPECT_TRUE(IsUnavailable(channel->Send(Sms("msg_e5")).status()));
  // The next call goes through again.
  EXPECT_TRUE(channel->Send(Sms("msg_e6")).ok());

  TwilioConfig wrong = Config();
  wrong.auth_token = "not-the-token";
  auto bad_auth = NewChannel(wrong);
  ASSERT_NE(bad_auth, nullptr);
  const Status unauthorized = bad_auth->Send(Sms("msg_e7")).status();
  EXPECT_TRUE(IsFailedPrecondition(unauthorized));
  EXPECT_FALSE(IsHardBounce(unauthorized));
  EXPECT_THAT(unauthorized.message(), HasSubstr("401"));
  EXPECT_THAT(unauthorized.message(), Not(HasSubstr("not-the-token")));

  TwilioConfig other_account = Config();
  other_account.account_sid = "AC99";
  EXPECT_TRUE(IsFailedPrecondition(NewChannel(other_account)->Send(Sms("msg_e8")).status()));
}

TEST_F(TwilioChannelTest, ClosedPortIsUnavailable) {
  int port = 0;
  {
    WebhookRecorder closed;  // bind a free port, then release it
    port = closed.port();
  }
  TwilioConfig config = Config();
  config.api_base = "http://127.0.0.1:" + std::to_string(port);
  auto channel = NewChannel(config);
  ASSERT_NE(channel, nullptr);
  const Status status = channel->Send(Sms("msg_down")).status();
  EXPECT_TRUE(IsUnavailable(status)) << status.message();
  EXPECT_THAT(status.message(), Not(HasSubstr("5555")));
}

TEST_F(TwilioChannelTest, RejectsBadMessagesBeforeSending) {
  auto channel = NewChannel(Config());
  ASSERT_NE(channel, nullptr);
  OutboundMessage m = Sms("msg_bad");
  m.channel = "email";
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m = Sms("../x");
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m = Sms("msg_bad", "");
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m = Sms("msg_bad");
  m.text_body = "\xC3\x28";
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m.text_body = std::string(1601, 'a');
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m.text_body = "";
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m.channel = "voice";
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  m.text_body = std::string(4000, 'a');
  EXPECT_TRUE(IsInvalidArgument(channel->Send(m).status()));
  EXPECT_TRUE(standin_.Requests().empty());
}

TEST(NewTwilioChannelTest, ValidatesConfig) {
  TwilioConfig config;
  config.account_sid = kSid;
  config.auth_token = kToken;
  config.from_number = kPractice;
  EXPECT_TRUE(NewTwilioChannel(config).ok());  // default https://api.twilio.com
  TwilioConfig c = config;
  c.api_base = "http://api.twilio.com";  // the token would travel in clear
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
  c.api_base = "http://127.0.0.1.evil.example";
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
  c = config;
  c.account_sid = "AC/../x";
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
  c = config;
  c.auth_token = "";
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
  c = config;
  c.from_number = "";
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
  c.messaging_service_sid = "MG1";
  EXPECT_TRUE(NewTwilioChannel(c).ok());
  c = config;
  c.status_callback_url = "ftp://x";
  EXPECT_TRUE(IsInvalidArgument(NewTwilioChannel(c).status()));
}

}  // namespace
}  // namespace recall::channels
