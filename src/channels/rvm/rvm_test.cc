// The RVM channel is tested against a local stand-in (testing/rvm_standin.h)
// that implements the provider contract documented in docs/channels.md: real
// RVM vendors are cloud APIs that cannot be reached from here.
#include "channels/rvm/rvm_channel.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "channels/rvm/rvm_callbacks.h"
#include "channels/rvm/testing/rvm_standin.h"

namespace recall::channels {
namespace {

namespace fs = std::filesystem;
using testing::RvmStandIn;
using testing::WebhookRecorder;

constexpr char kKey[] = "rvm-test-key-0123";
constexpr char kPatientNumber[] = "+12175550199";

class RvmChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(standin_.ok());
    dir_ = fs::temp_directory_path() / ("recall-rvm-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    wav_ = (dir_ / "msg_1.wav").string();
    std::ofstream(wav_, std::ios::binary) << std::string("RIFF\x24\0\0\0WAVEfmt ", 16) << std::string(64, '\x01');
  }
  void TearDown() override { fs::remove_all(dir_); }

  RvmConfig Config() {
    RvmConfig c;
    c.api_base = standin_.BaseUrl();
    c.api_key = kKey;
    c.from_number = "+12175550100";
    return c;
  }
  std::unique_ptr<Channel> NewChannel(RvmConfig c) {
    auto ch = NewRvmChannel(std::move(c));
    EXPECT_TRUE(ch.ok()) << ch.status().ToString();
    return ch.ok() ? std::move(ch).value() : nullptr;
  }
  OutboundMessage Message(const std::string& id = "msg_1") {
    OutboundMessage m;
    m.message_id = id;
    m.practice_id = "prc_test";
    m.channel = "rvm";
    m.to = kPatientNumber;
    m.text_body = "Maple Family Dental: time for your checkup.";
    m.audio_path = wav_;
    return m;
  }
  static void ExpectNoPhi(const Status& s) {
    EXPECT_EQ(s.message().find("5550199"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find(kKey), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find("recall-rvm-test"), std::string::npos) << s.ToString();
  }

  RvmStandIn standin_{kKey};
  fs::path dir_;
  std::string wav_;
};

TEST_F(RvmChannelTest, DropsTheAudioWithClientRefAndCallback) {
  WebhookRecorder webhook;
  ASSERT_TRUE(webhook.ok());
  RvmConfig c = Config();
  c.status_callback_url = webhook.BaseUrl() + "/v1/webhooks/rvm/status";
  auto ch = NewChannel(c);
  ASSERT_NE(ch, nullptr);
  EXPECT_EQ(ch->name(), "rvm");
  auto receipt = ch->Send(Message());
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->provider_id, "drp_1");
  EXPECT_EQ(receipt->detail, "status=queued");

  auto drops = standin_.Drops();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].fields["to"], kPatientNumber);
  EXPECT_EQ(drops[0].fields["from"], "+12175550100");
  EXPECT_EQ(drops[0].fields["client_ref"], "msg_1");
  EXPECT_EQ(drops[0].fields["callback_url"], c.status_callback_url + "?msg=msg_1");
  EXPECT_EQ(drops[0].audio.content_type, "audio/wav");
  EXPECT_EQ(drops[0].audio.filename, "msg_1.wav");
  EXPECT_EQ(drops[0].audio.data.size(), 80u);
  EXPECT_EQ(drops[0].authorization, std::string("Bearer ") + kKey);

  // The stand-in reports delivery; the parser maps it back to the message.
  ASSERT_TRUE(webhook.WaitForCount(1, std::chrono::seconds(5)));
  const auto callback = webhook.Requests()[0];
  EXPECT_EQ(callback.path, "/v1/webhooks/rvm/status");
  auto report = ParseRvmStatusCallback(callback.query, "application/x-www-form-urlencoded", callback.body);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->message_id, "msg_1");
  EXPECT_EQ(report->status, RvmDropStatus::kDelivered);
  EXPECT_EQ(report->provider_id, "drp_1");
  EXPECT_FALSE(report->hard_bounce);
}

TEST_F(RvmChannelTest, NoCallbackUrlWhenNotConfigured) {
  auto ch = NewChannel(Config());
  ASSERT_TRUE(ch->Send(Message()).ok());
  auto drops = standin_.Drops();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].fields.count("callback_url"), 0u);
}

TEST_F(RvmChannelTest, RefusesBadAudioBeforeSending) {
  RvmConfig c = Config();
  c.max_audio_bytes = 50;
  auto ch = NewChannel(c);
  OutboundMessage m = Message();
  Status big = ch->Send(m).status();
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument) << big.ToString();
  ExpectNoPhi(big);

  ch = NewChannel(Config());
  m.audio_path = (dir_ / "missing.wav").string();
  Status missing = ch->Send(m).status();
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  ExpectNoPhi(missing);
  m.audio_path = (dir_ / "empty.wav").string();
  std::ofstream(m.audio_path).close();
  EXPECT_EQ(ch->Send(m).status().code(), StatusCode::kInvalidArgument);
  m.audio_path = dir_.string();
  EXPECT_EQ(ch->Send(m).status().code(), StatusCode::kInvalidArgument);
  m.audio_path = "";
  EXPECT_EQ(ch->Send(m).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(standin_.requests(), 0);
}

TEST_F(RvmChannelTest, RefusesMalformedMessages) {
  auto ch = NewChannel(Config());
  OutboundMessage m = Message();
  m.channel = "sms";
  EXPECT_EQ(ch->Send(m).status().code(), StatusCode::kInvalidArgument);
  m = Message();
  m.to = "2175550199";
  Status s = ch->Send(m).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ExpectNoPhi(s);
  m = Message("../escape");
  EXPECT_EQ(ch->Send(m).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(standin_.requests(), 0);
}

TEST_F(RvmChannelTest, InvalidAndLandlineNumbersAreHardBounces) {
  standin_.SetErrorForNumber(kPatientNumber, 422, "landline_number");
  auto ch = NewChannel(Config());
  Status s = ch->Send(Message()).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_TRUE(IsHardBounce(s)) << s.ToString();
  EXPECT_NE(s.message().find("422"), std::string::npos);
  EXPECT_NE(s.message().find("msg_1"), std::string::npos);
  ExpectNoPhi(s);

  standin_.SetErrorForNumber(kPatientNumber, 400, "invalid_number");
  s = ch->Send(Message()).status();
  EXPECT_TRUE(IsHardBounce(s)) << s.ToString();

  // Another refusal is permanent but says nothing about the number.
  standin_.SetErrorForNumber(kPatientNumber, 422, "campaign_blocked");
  s = ch->Send(Message()).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(IsHardBounce(s));
}

TEST_F(RvmChannelTest, WrongKeyIsAConfigurationError) {
  RvmConfig c = Config();
  c.api_key = "wrong-key";
  auto ch = NewChannel(c);
  Status s = ch->Send(Message()).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("configuration"), std::string::npos);
  EXPECT_FALSE(IsHardBounce(s));
  EXPECT_EQ(s.message().find("wrong-key"), std::string::npos);
}

TEST_F(RvmChannelTest, TransientAndAmbiguousAnswersAreUnavailable) {
  auto ch = NewChannel(Config());
  for (int code : {408, 429, 500, 503}) {
    standin_.FailNextWith(code, "{}");
    EXPECT_EQ(ch->Send(Message()).status().code(), StatusCode::kUnavailable) << code;
  }
  standin_.FailNextWith(201, "<html>accepted?</html>");
  EXPECT_EQ(ch->Send(Message()).status().code(), StatusCode::kUnavailable);
  standin_.FailNextWith(200, "{\"status\": \"queued\"}");
  EXPECT_EQ(ch->Send(Message()).status().code(), StatusCode::kUnavailable);
  // The resend of the same message carries the same client_ref.
  ASSERT_TRUE(ch->Send(Message()).ok());
  EXPECT_EQ(standin_.Drops().back().fields["client_ref"], "msg_1");
}

TEST_F(RvmChannelTest, ConnectionRefusedIsUnavailable) {
  RvmConfig c = Config();
  int port = 0;
  const int fd = testing::ListenOnLoopback(&port);
  ASSERT_GE(fd, 0);
  ::close(fd);  // nothing listens there any more
  c.api_base = "http://127.0.0.1:" + std::to_string(port);
  auto ch = NewChannel(c);
  EXPECT_EQ(ch->Send(Message()).status().code(), StatusCode::kUnavailable);
}

TEST(RvmFactoryTest, RefusesBadConfiguration) {
  RvmConfig c;
  c.api_base = "https://api.rvm.example";
  c.api_key = "k";
  c.from_number = "+12175550100";
  EXPECT_TRUE(NewRvmChannel(c).ok());
  RvmConfig plain = c;
  plain.api_base = "http://api.rvm.example";
  EXPECT_EQ(NewRvmChannel(plain).status().code(), StatusCode::kInvalidArgument);
  RvmConfig loopback = c;
  loopback.api_base = "http://localhost:9/";
  EXPECT_TRUE(NewRvmChannel(loopback).ok());
  RvmConfig no_key = c;
  no_key.api_key = "";
  EXPECT_EQ(NewRvmChannel(no_key).status().code(), StatusCode::kInvalidArgument);
  RvmConfig bad_from = c;
  bad_from.from_number = "217-555-0100";
  EXPECT_EQ(NewRvmChannel(bad_from).status().code(), StatusCode::kInvalidArgument);
  RvmConfig bad_callback = c;
  bad_callback.status_callback_url = "ftp://x";
  EXPECT_EQ(NewRvmChannel(bad_callback).status().code(), StatusCode::kInvalidArgument);
}

TEST(RvmResponseTest, MapsStatuses) {
  Receipt r;
  EXPECT_TRUE(InterpretRvmResponse(200, R"({"id": "drp_9"})", "rvm for msg_1", &r).ok());
  EXPECT_EQ(r.provider_id, "drp_9");
  EXPECT_EQ(InterpretRvmResponse(201, R"({"id": "has space"})", "w").code(), StatusCode::kUnavailable);
  EXPECT_EQ(InterpretRvmResponse(403, "", "w").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsHardBounce(InterpretRvmResponse(404, R"({"error": {"code": "invalid_number"}})", "w")));
  EXPECT_TRUE(IsHardBounce(InterpretRvmResponse(400, R"({"error": "landline_number"})", "w")));
  EXPECT_FALSE(IsHardBounce(InterpretRvmResponse(409, R"({"error": "invalid_number"})", "w")));
  EXPECT_EQ(InterpretRvmResponse(502, "<html>", "w").code(), StatusCode::kUnavailable);
  // The provider's message is never copied.
  Status s = InterpretRvmResponse(422, R"({"error": {"code": "x", "message": "+12175550199 is bad"}})", "w");
  EXPECT_EQ(s.message().find("5550199"), std::string::npos);
}

TEST(RvmCallbackTest, ParsesFormAndJson) {
  auto form = ParseRvmStatusCallback("msg=msg_7", "", "status=failed&error_code=busy_network");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(form->message_id, "msg_7");
  EXPECT_EQ(form->status, RvmDropStatus::kFailed);
  EXPECT_EQ(form->error_code, "busy_network");
  EXPECT_FALSE(form->hard_bounce);

  auto json = ParseRvmStatusCallback(
      "", "application/json; charset=utf-8",
      R"({"client_ref": "msg_8", "status": "undeliverable", "error_code": 4021, "id": "drp_3", "to": "+12175550199"})");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->message_id, "msg_8");
  EXPECT_EQ(json->status, RvmDropStatus::kUndeliverable);
  EXPECT_EQ(json->error_code, "4021");
  EXPECT_EQ(json->provider_id, "drp_3");
  EXPECT_TRUE(json->hard_bounce);

  auto landline = ParseRvmStatusCallback("", "", "client_ref=msg_9&status=failed&error_code=landline_number");
  ASSERT_TRUE(landline.ok());
  EXPECT_TRUE(landline->hard_bounce);
  auto queued = ParseRvmStatusCallback("msg=msg_9", "", "status=queued");
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(RvmDropStatusName(queued->status), "queued");
}

TEST(RvmCallbackTest, RefusesMalformedCallbacks) {
  auto refused = [](std::string_view query, std::string_view type, std::string_view body) {
    auto r = ParseRvmStatusCallback(query, type, body);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().find("5550199"), std::string::npos);
    }
  };
  refused("", "", "status=delivered");                                  // no id
  refused("msg=msg_1", "", "");                                         // no status
  refused("msg=msg_1", "", "status=opened");                            // unknown status
  refused("msg=msg_1", "", "client_ref=msg_2&status=delivered");        // ids differ
  refused("msg=msg_1", "", "status=delivered&status=failed");           // repeated
  refused("msg=..", "", "status=delivered");                            // not an id
  refused("msg=msg_1", "", "status=delivered&error_code=%2B12175550199");  // not a token
  refused("msg=msg_1", "", "status=%zz");                               // bad escape
  refused("", "application/json", R"({"client_ref": "msg_1", "status": ["delivered"]})");
  refused("", "application/json", R"({"client_ref": "msg_1", "status": "delivered")");
  refused("", "application/json", "[[[[[[[[[[]]]]]]]]]]");
  refused("", "", std::string(kMaxRvmCallbackBytes + 1, 'a'));
}

}  // namespace
}  // namespace recall::channels
