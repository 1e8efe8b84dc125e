// Tests for the Kannel channel: the pure callback parsers and response mapping,
// then the channel against the real bearerbox, smsbox and fakesmsc (skipped
// when Kannel is not installed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "channels/kannel/kannel_callbacks.h"
#include "channels/kannel/kannel_channel.h"
#include "channels/testing/http_recorder.h"
#include "channels/testing/kannel_harness.h"
#include "inbound/classifier.h"

namespace recall::channels {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeSmscMt;
using testing::HttpRecorder;
using testing::KannelHarness;

// Synthetic numbers only (555-01xx).
constexpr char kPatient[] = "+15555550123";
constexpr char kPractice[] = "+15555550100";

// ---------------------------------------------------------------- parsers

TEST(FormUrlDecodeTest, DecodesPlusAndEscapes) {
  auto decoded = FormUrlDecode("Can+I+stop%3F%20%C2%BFS%C3%AD%3F");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "Can I stop? ¿Sí?");
}

TEST(FormUrlDecodeTest, RejectsMalformedEscapes) {
  EXPECT_TRUE(IsInvalidArgument(FormUrlDecode("abc%").status()));
  EXPECT_TRUE(IsInvalidArgument(FormUrlDecode("abc%4").status()));
  EXPECT_TRUE(IsInvalidArgument(FormUrlDecode("%zz").status()));
}

TEST(UrlEncodeTest, EncodesEverythingButUnreserved) {
  EXPECT_EQ(UrlEncode("a-b_c.d~e f+%d/?&=ñ"), "a-b_c.d~e%20f%2B%25d%2F%3F%26%3D%C3%B1");
}

TEST(ParseDeliveryReportTest, ParsesEveryStatus) {
  const std::map<std::string, DeliveryStatus> cases = {
      {"1", DeliveryStatus::kDelivered}, {"2", DeliveryStatus::kFailed},  {"4", DeliveryStatus::kBuffered},
      {"8", DeliveryStatus::kAccepted},  {"16", DeliveryStatus::kRejected},
  };
  for (const auto& [code, status] : cases) {
    auto report = ParseDeliveryReport("msg=msg_abc123&status=" + code +
                                      "&smsc_id=119e0c03-8d10-44c2-a3ad-ca6e79f32f87&time=1795635093");
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->message_id, "msg_abc123");
    EXPECT_EQ(report->status, status);
    EXPECT_EQ(report->smsc_id, "119e0c03-8d10-44c2-a3ad-ca6e79f32f87");
    ASSERT_TRUE(report->time.has_value());
    EXPECT_EQ(report->time->time_since_epoch(), std::chrono::seconds(1795635093));
  }
  EXPECT_EQ(DeliveryStatusName(DeliveryStatus::kDelivered), "delivered");
  EXPECT_EQ(DeliveryStatusName(DeliveryStatus::kRejected), "rejected");
}

TEST(ParseDeliveryReportTest, EmptySmscIdAndOddTimeAreTolerated) {
  // Kannel sends an empty %F for the SMSC's "accepted" report.
  auto report = ParseDeliveryReport("msg=msg_1&status=8&smsc_id=&time=soon&extra=ignored");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->smsc_id, "");
  EXPECT_FALSE(report->time.has_value());
}

TEST(ParseDeliveryReportTest, RejectsBadInput) {
  for (const std::string query : {
           "",
           "status=1",                         // no msg
           "msg=&status=1",                    // empty msg
           "msg=.hidden&status=1",             // not an opaque id
           "msg=msg%201&status=1",             // space in id
           "msg=msg_1",                        // no status
           "msg=msg_1&status=3",               // not a DLR status
           "msg=msg_1&status=1x",              //
           "msg=msg_1&status=1&status=2",      // repeated
           "msg=msg_1&msg=msg_2&status=1",     // repeated
           "msg=msg_1&status=1&smsc_id=%FF",   // not UTF-8
           "msg=msg_1&status=1&smsc_id=%G1",   // bad escape
       }) {
    auto report = ParseDeliveryReport(query);
    EXPECT_TRUE(IsInvalidArgument(report.status())) << query;
  }
  const std::string huge = "msg=msg_1&status=1&pad=" + std::string(kMaxCallbackQueryBytes, 'a');
  EXPECT_TRUE(IsInvalidArgument(ParseDeliveryReport(huge).status()));
}

TEST(ParseInboundSmsTest, ParsesKannelGetUrlQuery) {
  // As captured from smsbox: the sender's '+' arrives as %2B, the text form-encoded.
  auto sms = ParseInboundSms(
      "from=%2B15555550123&to=%2B15555550100&text=Can+I+stop+by+tomorrow%3F&id=a1b4c0c6-778f-435b-9eae-2f25b059fa4c");
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_EQ(sms->from_e164, kPatient);
  EXPECT_EQ(sms->to, kPractice);
  EXPECT_EQ(sms->text, "Can I stop by tomorrow?");
  EXPECT_EQ(sms->kannel_id, "a1b4c0c6-778f-435b-9eae-2f25b059fa4c");
}

TEST(ParseInboundSmsTest, AcceptsUtf8AndEmptyText) {
  auto sms = ParseInboundSms("from=%2B15555550123&to=5550100&text=no+m%C3%A1s&id=k1");
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_EQ(sms->text, "no más");
  EXPECT_EQ(sms->to, "5550100");  // short codes and national forms pass through
  auto empty = ParseInboundSms("from=%2B15555550123&to=%2B15555550100&text=&id=k2");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->text, "");
}

TEST(ParseInboundSmsTest, RejectsBadInputWithoutEchoingIt) {
  for (const std::string query : {
           "",
           "to=%2B15555550100&text=STOP&id=k1",                        // no from
           "from=15555550123&to=%2B15555550100&text=STOP&id=k1",       // '+' lost (unencoded '+' is a space)
           "from=+15555550123&to=%2B15555550100&text=STOP&id=k1",      // ditto
           "from=%2B1555abc0123&to=%2B15555550100&text=STOP&id=k1",    // not digits
           "from=%2B15555550123&text=STOP&id=k1",                      // no to
           "from=%2B15555550123&to=%2B15555550100&id=k1",              // no text
           "from=%2B15555550123&to=%2B15555550100&text=STOP",          // no id
           "from=%2B15555550123&to=%2B15555550100&text=%FF%FE&id=k1",  // invalid UTF-8
           "from=%2B15555550123&to=%2B15555550100&text=%C3&id=k1",     // truncated UTF-8
           "from=%2B15555550123&to=%2B15555550100&text=STOP%2&id=k1",  // bad escape
           "from=%2B15555550123&to=%2B15555550100&text=STOP&text=hi&id=k1",
       }) {
    auto sms = ParseInboundSms(query);
    ASSERT_TRUE(IsInvalidArgument(sms.status())) << query;
    EXPECT_THAT(sms.status().message(), Not(HasSubstr("5555550123")));
    EXPECT_THAT(sms.status().message(), Not(HasSubstr("STOP")));
  }
  const std::string huge =
      "from=%2B15555550123&to=%2B15555550100&id=k1&text=" + std::string(kMaxCallbackQueryBytes, 'a');
  EXPECT_TRUE(IsInvalidArgument(ParseInboundSms(huge).status()));
}

TEST(ParseInboundSmsTest, SurvivesArbitraryBytes) {
  // A cheap stand-in for the fuzzer: every prefix of a tricky input, and
  // every single byte value, must yield a value or InvalidArgument.
  const std::string tricky = "from=%2B15555550123&to=%2&text=%%%C3%28&&==&id=%00&text";
  for (size_t len = 0; len <= tricky.size(); ++len) {
    auto sms = ParseInboundSms(tricky.substr(0, len));
    auto dlr = ParseDeliveryReport(tricky.substr(0, len));
    EXPECT_FALSE(sms.ok());
    EXPECT_FALSE(dlr.ok());
  }
  for (int byte = 0; byte < 256; ++byte) {
    const std::string one(1, static_cast<char>(byte));
    auto sms = ParseInboundSms("from=%2B15555550123&to=x&id=k&text=" + one);
    EXPECT_TRUE(sms.ok() || IsInvalidArgument(sms.status()));
  }
}

// --------------------------------------------------- request and response

KannelConfig TestConfig(std::string sendsms_url) {
  KannelConfig config;
  config.sendsms_url = std::move(sendsms_url);
  config.username = "recall";
  config.password = "p@ss word";
  config.from = kPractice;
  config.dlr_url_base = "http://127.0.0.1:9/kannel/dlr/s3cret";
  return config;
}

OutboundMessage Sms(std::string id, std::string text) {
  OutboundMessage message;
  message.message_id = std::move(id);
  message.practice_id = "prc_test";
  message.channel = "sms";
  message.to = kPatient;
  message.text_body = std::move(text);
  return message;
}

TEST(BuildSendsmsUrlTest, EncodesDlrUrlAsAWholeAndPicksCoding) {
  const KannelConfig config = TestConfig("http://127.0.0.1:13013/cgi-bin/sendsms");
  auto gsm = BuildSendsmsUrl(config, Sms("msg_1", "Reply C to confirm [3pm] €"));
  ASSERT_TRUE(gsm.ok()) << gsm.status().ToString();
  EXPECT_THAT(*gsm, HasSubstr("http://127.0.0.1:13013/cgi-bin/sendsms?username=recall&password=p%40ss%20word"));
  EXPECT_THAT(*gsm, HasSubstr("&from=%2B15555550100&to=%2B15555550123&"));
  EXPECT_THAT(*gsm, HasSubstr("&charset=UTF-8&coding=0&"));
  EXPECT_THAT(*gsm, HasSubstr("&dlr-mask=31&"));
  // %d travels as %25d; the message id is a literal query parameter.
  EXPECT_THAT(*gsm, HasSubstr("&dlr-url=http%3A%2F%2F127.0.0.1%3A9%2Fkannel%2Fdlr%2Fs3cret%3Fmsg%3Dmsg_1%26status%3D%25d"
                              "%26smsc_id%3D%25F%26time%3D%25T"));
  EXPECT_THAT(*gsm, Not(HasSubstr("smsc=")));

  KannelConfig routed = config;
  routed.smsc_id = "fake";
  auto spanish = BuildSendsmsUrl(routed, Sms("msg_2", "Su cita es mañana a las 3. ¿Está bien? Responda C o más info"));
  ASSERT_TRUE(spanish.ok());
  EXPECT_THAT(*spanish, HasSubstr("&charset=UTF-8&coding=2&"));
  EXPECT_THAT(*spanish, HasSubstr("&smsc=fake&"));
}

TEST(BuildSendsmsUrlTest, RejectsUnsendableMessages) {
  const KannelConfig config = TestConfig("http://127.0.0.1:13013/cgi-bin/sendsms");
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, Sms("", "hi")).status()));
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, Sms("msg 1", "hi")).status()));
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, Sms("msg_1", "")).status()));
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, Sms("msg_1", "bad \xC3")).status()));
  OutboundMessage email = Sms("msg_1", "hi");
  email.channel = "email";
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, email).status()));
  OutboundMessage nobody = Sms("msg_1", "hi");
  nobody.to.clear();
  EXPECT_TRUE(IsInvalidArgument(BuildSendsmsUrl(config, nobody).status()));
}

TEST(InterpretSendsmsResponseTest, MapsKannelAnswers) {
  std::string detail;
  EXPECT_TRUE(InterpretSendsmsResponse(202, "0: Accepted for delivery", "msg_1", &detail).ok());
  EXPECT_EQ(detail, "0: Accepted for delivery");
  // Queued while the SMSC link is down: Kannel owns the retry now.
  EXPECT_TRUE(InterpretSendsmsResponse(202, "3: Queued for later delivery\n", "msg_1", &detail).ok());
  EXPECT_EQ(detail, "3: Queued for later delivery");

  const Status forbidden = InterpretSendsmsResponse(403, "Authorization failed for sendsms", "msg_1");
  EXPECT_TRUE(IsFailedPrecondition(forbidden));
  EXPECT_THAT(forbidden.message(), HasSubstr("msg_1"));
  EXPECT_TRUE(IsInvalidArgument(InterpretSendsmsResponse(400, "Missing receiver number, rejected", "msg_1")));
  EXPECT_EQ(InterpretSendsmsResponse(503, "4: Message queue full", "msg_1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(InterpretSendsmsResponse(500, "", "msg_1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(InterpretSendsmsResponse(429, "", "msg_1").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsFailedPrecondition(InterpretSendsmsResponse(302, "", "msg_1")));
  EXPECT_TRUE(IsFailedPrecondition(InterpretSendsmsResponse(404, "", "msg_1")));
}

TEST(NewKannelChannelTest, ValidatesConfig) {
  const KannelConfig good = TestConfig("http://127.0.0.1:13013/cgi-bin/sendsms");
  auto channel = NewKannelChannel(good);
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ((*channel)->name(), "kannel");

  KannelConfig bad = good;
  bad.sendsms_url = "ftp://x";
  EXPECT_TRUE(IsInvalidArgument(NewKannelChannel(bad).status()));
  bad = good;
  bad.dlr_url_base = "";
  EXPECT_TRUE(IsInvalidArgument(NewKannelChannel(bad).status()));
  bad = good;
  bad.password = "";
  EXPECT_TRUE(IsInvalidArgument(NewKannelChannel(bad).status()));
  bad = good;
  bad.from = "";
  EXPECT_TRUE(IsInvalidArgument(NewKannelChannel(bad).status()));
  bad = good;
  bad.dlr_mask = 0;
  EXPECT_TRUE(IsInvalidArgument(NewKannelChannel(bad).status()));
}

// A loopback socket that is bound and listening but never accepts: a request
// to it connects (into the backlog) and then hears nothing.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && ::listen(fd_, 8) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes the socket; its port is then (almost surely) refused.
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(KannelChannelTest, ConnectionRefusedIsUnavailable) {
  SilentListener listener;
  ASSERT_NE(listener.port(), 0);
  const int port = listener.port();
  listener.Close();
  auto channel = NewKannelChannel(TestConfig("http://127.0.0.1:" + std::to_string(port) + "/cgi-bin/sendsms"));
  ASSERT_TRUE(channel.ok());
  auto receipt = (*channel)->Send(Sms("msg_refused", "Hello"));
  EXPECT_EQ(receipt.status().code(), StatusCode::kUnavailable) << receipt.status().ToString();
  EXPECT_THAT(receipt.status().message(), HasSubstr("msg_refused"));
  EXPECT_THAT(receipt.status().message(), Not(HasSubstr("5555550123")));
  EXPECT_THAT(receipt.status().message(), Not(HasSubstr("p@ss")));
}

TEST(KannelChannelTest, TimeoutIsUnavailable) {
  SilentListener listener;
  ASSERT_NE(listener.port(), 0);
  KannelConfig config = TestConfig("http://127.0.0.1:" + std::to_string(listener.port()) + "/cgi-bin/sendsms");
  config.request_timeout = std::chrono::milliseconds(300);
  auto channel = NewKannelChannel(config);
  ASSERT_TRUE(channel.ok());
  auto receipt = (*channel)->Send(Sms("msg_slow", "Hello"));
  EXPECT_EQ(receipt.status().code(), StatusCode::kUnavailable) << receipt.status().ToString();
}

// ------------------------------------------------ against the real Kannel

constexpr auto kWait = std::chrono::seconds(30);  // a bound, never an expectation

class KannelIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!KannelHarness::KannelInstalled()) GTEST_SKIP() << "kannel / kannel-extras not installed";
    ASSERT_TRUE(recorder_.ok());
    testing::KannelHarnessOptions options;
    options.mo_get_url = recorder_.BaseUrl() + "/kannel/mo?" + std::string(kInboundGetUrlQuery);
    auto harness = KannelHarness::Start(options);
    ASSERT_TRUE(harness.ok()) << harness.status().ToString();
    harness_ = std::move(*harness);
    KannelConfig config;
    config.sendsms_url = harness_->SendsmsUrl();
    config.username = harness_->username();
    config.password = harness_->password();
    config.from = kPractice;
    config.dlr_url_base = recorder_.BaseUrl() + "/kannel/dlr/s3cret";
    config_ = config;
    auto channel = NewKannelChannel(config);
    ASSERT_TRUE(channel.ok()) << channel.status().ToString();
    channel_ = std::move(*channel);
  }

  void TearDown() override {
    if (HasFailure() && harness_ != nullptr) std::cerr << harness_->LogTailsForTest();
    if (harness_ != nullptr) harness_->Stop();
  }

  std::vector<HttpRecorder::Request> RequestsTo(const std::string& path_prefix) const {
    std::vector<HttpRecorder::Request> out;
    for (const auto& request : recorder_.Requests()) {
      if (request.path.starts_with(path_prefix)) out.push_back(request);
    }
    return out;
  }

  // Declared first so it outlives the harness (Kannel may call it while stopping).
  HttpRecorder recorder_;
  std::unique_ptr<KannelHarness> harness_;
  KannelConfig config_;
  std::unique_ptr<Channel> channel_;
};

TEST_F(KannelIntegrationTest, SendsMtsAndReceivesDeliveryReports) {
  const std::vector<OutboundMessage> messages = {
      Sms("msg_kannel_1", "Maple Dental: your cleaning is Tue 3pm. Reply C to confirm, STOP to opt out."),
      Sms("msg_kannel_2", "Clínica Maple: su cita es el martes. ¿Confirma? Responda C."),
      Sms("msg_kannel_3", "Reminder: bring your insurance card [and ID] {thanks}"),
  };
  for (const auto& message : messages) {
    auto receipt = channel_->Send(message);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    EXPECT_EQ(receipt->provider_id, message.message_id);
    EXPECT_THAT(receipt->detail, HasSubstr("Accepted"));
  }

  ASSERT_TRUE(harness_->WaitForMts(messages.size(), kWait));
  const std::vector<FakeSmscMt> mts = harness_->MtsReceived();
  ASSERT_EQ(mts.size(), messages.size());
  std::vector<std::string> got;
  std::vector<std::string> want;
  for (const auto& mt : mts) got.push_back(mt.from + "|" + mt.to + "|" + mt.text);
  for (const auto& message : messages) want.push_back(std::string(kPractice) + "|" + message.to + "|" + message.text_body);
  EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(want));
  // The Spanish text needed UCS-2; the others went as GSM text.
  for (const auto& mt : mts) EXPECT_EQ(mt.type, mt.text.starts_with("Clínica") ? "ucs-2" : "text");

  // Every message gets a final "delivered" report carrying our id.
  auto delivered_ids = [&](const std::vector<HttpRecorder::Request>& requests) {
    std::vector<std::string> ids;
    for (const auto& request : requests) {
      if (!request.path.starts_with("/kannel/dlr/s3cret")) continue;
      auto report = ParseDeliveryReport(request.query);
      if (report.ok() && report->status == DeliveryStatus::kDelivered) ids.push_back(report->message_id);
    }
    return ids;
  };
  ASSERT_TRUE(recorder_.WaitFor([&](const auto& requests) { return delivered_ids(requests).size() >= 3; }, kWait));
  EXPECT_THAT(delivered_ids(recorder_.Requests()),
              ::testing::UnorderedElementsAre("msg_kannel_1", "msg_kannel_2", "msg_kannel_3"));
  for (const auto& request : RequestsTo("/kannel/dlr/")) {
    auto report = ParseDeliveryReport(request.query);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_THAT(report->message_id, ::testing::StartsWith("msg_kannel_"));
    if (report->status == DeliveryStatus::kDelivered) {
      EXPECT_FALSE(report->smsc_id.empty());
    }
  }
}

TEST_F(KannelIntegrationTest, InboundMessagesReachTheServiceAndClassify) {
  ASSERT_TRUE(harness_->InjectMo(kPatient, kPractice, "STOP").ok());
  ASSERT_TRUE(harness_->InjectMo(kPatient, kPractice, "Can I stop by tomorrow?").ok());
  ASSERT_TRUE(recorder_.WaitFor(
      [](const auto& requests) {
        return std::count_if(requests.begin(), requests.end(),
                             [](const auto& r) { return r.path == "/kannel/mo"; }) >= 2;
      },
      kWait));

  std::map<std::string, inbound::Classification> by_text;
  for (const auto& request : RequestsTo("/kannel/mo")) {
    auto sms = ParseInboundSms(request.query);
    ASSERT_TRUE(sms.ok()) << sms.status().ToString();
    EXPECT_EQ(sms->from_e164, kPatient);
    EXPECT_EQ(sms->to, kPractice);
    EXPECT_FALSE(sms->kannel_id.empty());
    by_text[sms->text] = inbound::Classify(sms->text);
  }
  ASSERT_EQ(by_text.size(), 2u);
  ASSERT_TRUE(by_text.contains("STOP"));
  ASSERT_TRUE(by_text.contains("Can I stop by tomorrow?"));
  EXPECT_EQ(inbound::IntentName(by_text["STOP"].intent), "opt_out");
  EXPECT_TRUE(by_text["STOP"].opt_out);
  EXPECT_EQ(inbound::IntentName(by_text["Can I stop by tomorrow?"].intent), "other");
  EXPECT_FALSE(by_text["Can I stop by tomorrow?"].opt_out);
}

TEST_F(KannelIntegrationTest, WrongPasswordIsPermanent) {
  KannelConfig config = config_;
  config.password = "not-the-password";
  auto channel = NewKannelChannel(config);
  ASSERT_TRUE(channel.ok());
  auto receipt = (*channel)->Send(Sms("msg_badpass", "Hello"));
  EXPECT_TRUE(IsFailedPrecondition(receipt.status())) << receipt.status().ToString();
  EXPECT_THAT(receipt.status().message(), HasSubstr("msg_badpass"));
  EXPECT_THAT(receipt.status().message(), Not(HasSubstr("5555550123")));
  EXPECT_THAT(receipt.status().message(), Not(HasSubstr("Hello")));

  // A request Kannel rejects as malformed is InvalidArgument (no recipient
  // reaches smsbox as an empty `to`).
  OutboundMessage bad_to = Sms("msg_badto", "Hello");
  bad_to.to = " ";
  EXPECT_TRUE(IsInvalidArgument(channel_->Send(bad_to).status()));
}

TEST_F(KannelIntegrationTest, StoppedSmsboxIsUnavailable) {
  harness_->StopSmsboxForTest();
  auto receipt = channel_->Send(Sms("msg_nosmsbox", "Hello"));
  EXPECT_EQ(receipt.status().code(), StatusCode::kUnavailable) << receipt.status().ToString();
  EXPECT_THAT(receipt.status().message(), HasSubstr("msg_nosmsbox"));
}

}  // namespace
}  // namespace recall::channels
