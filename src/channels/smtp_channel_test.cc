#include "channels/smtp/smtp_channel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing/dkim_keys.h"
#include "channels/testing/messages.h"
#include "channels/testing/smtp_sink.h"

namespace recall::channels {
namespace {

using testing::SmtpSink;

class SmtpChannelTest : public ::testing::Test {
 protected:
  static const testing::TestDkimKey& Key() {
    static const testing::TestDkimKey key = testing::GenerateDkimKey();
    return key;
  }

  std::unique_ptr<SmtpSink> StartSink(SmtpSink::Options options = {}) {
    auto sink = SmtpSink::Start(std::move(options));
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  std::unique_ptr<Channel> MakeChannel(int port, SmtpOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = port;
    if (options.tls == SmtpTls::kStartTlsRequired) options.tls = SmtpTls::kNone;  // the sink is plain
    options.dkim = {{"mapledental.example", "recall2026", Key().private_key_pem}};
    auto channel = NewSmtpChannel(std::move(options), clock_);
    EXPECT_TRUE(channel.ok()) << channel.status().ToString();
    return std::move(channel).value();
  }

  static void ExpectNoPhi(const Status& status) {
    EXPECT_EQ(status.message().find("patients.example"), std::string::npos) << status.ToString();
    EXPECT_EQ(status.message().find("Jane"), std::string::npos) << status.ToString();
    EXPECT_EQ(status.message().find("mapledental.example"), std::string::npos) << status.ToString();
  }

  FakeClock clock_{*ParseRfc3339("2026-11-25T18:06:06Z")};
};

TEST_F(SmtpChannelTest, DeliversWhatWasBuiltSignedAndParseable) {
  auto sink = StartSink();
  ASSERT_NE(sink, nullptr);
  auto channel = MakeChannel(sink->port());
  EXPECT_EQ(channel->name(), "smtp");
  OutboundMessage third = testing::SampleEmail("msg_0003");
  third.to = "john.doe@patients.example";
  const std::vector<OutboundMessage> sent = {testing::SampleEmail("msg_0001"), testing::SpanishEmail("msg_0002"),
                                             third};
  for (const OutboundMessage& m : sent) {
    auto receipt = channel->Send(m);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    EXPECT_EQ(receipt->provider_id, "<" + m.message_id + "@mapledental.example>");
    EXPECT_EQ(receipt->detail, "smtp 250");
  }

  const auto arrived = sink->Messages();
  ASSERT_EQ(arrived.size(), 3u);
  for (size_t idx = 0; idx < arrived.size(); ++idx) {
    const OutboundMessage& m = sent[idx];
    const auto envelope = nlohmann::json::parse(arrived[idx].envelope);
    EXPECT_EQ(envelope["mail_from"], m.from_address);
    EXPECT_EQ(envelope["rcpt_tos"], nlohmann::json::array({m.to}));

    const auto dump = testing::RunCommand(testing::PythonTool("mime_dump.py") + " " + arrived[idx].path);
    ASSERT_EQ(dump.exit_code, 0);
    const auto parsed = nlohmann::json::parse(dump.output);
    EXPECT_EQ(parsed["defects"], 0);
    EXPECT_EQ(parsed["headers"]["Subject"], m.subject);
    EXPECT_EQ(parsed["from_name"], m.from_name);
    EXPECT_EQ(parsed["from_address"], m.from_address);
    EXPECT_EQ(parsed["headers"]["To"], m.to);
    EXPECT_EQ(parsed["headers"]["Reply-To"], m.reply_to);
    EXPECT_EQ(parsed["headers"]["Message-ID"], "<" + m.message_id + "@mapledental.example>");
    EXPECT_EQ(parsed["headers"]["Date"], "Wed, 25 Nov 2026 18:06:06 +0000");
    EXPECT_EQ(parsed["headers"]["List-Unsubscribe"],
              "<https://recall.example/u/tok_abc123>, <mailto:unsubscribe@recall.example?subject=tok_abc123>");
    EXPECT_EQ(parsed["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    ASSERT_EQ(parsed["parts"].size(), 2u);
    EXPECT_EQ(parsed["parts"][0]["type"], "text/plain");
    EXPECT_EQ(parsed["parts"][1]["type"], "text/html");
    const std::string text = parsed["parts"][0]["content"].get<std::string>();
    const std::string html = parsed["parts"][1]["content"].get<std::string>();
    EXPECT_TRUE(text.starts_with(m.text_body)) << text;
    EXPECT_TRUE(html.starts_with(m.html_body.substr(0, 20))) << html;
    EXPECT_NE(text.find(testing::kPracticeAddress), std::string::npos);
    EXPECT_NE(html.find(testing::kPracticeAddress), std::string::npos);

    // The independent verifier checks the bytes that arrived, not the ones sent.
    const auto verified = testing::RunCommand(testing::PythonTool("dkim_verify.py") + " " + arrived[idx].path +
                                              " recall2026 mapledental.example " + Key().public_key_b64);
    EXPECT_EQ(verified.exit_code, 0) << m.message_id;
  }
}

TEST_F(SmtpChannelTest, AResendCarriesTheSameMessageId) {
  auto sink = StartSink();
  ASSERT_NE(sink, nullptr);
  auto channel = MakeChannel(sink->port());
  ASSERT_TRUE(channel->Send(testing::SampleEmail("msg_again")).ok());
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(channel->Send(testing::SampleEmail("msg_again")).ok());
  const auto arrived = sink->Messages();
  ASSERT_EQ(arrived.size(), 2u);
  for (const auto& a : arrived) EXPECT_NE(a.raw.find("Message-ID: <msg_again@mapledental.example>"), std::string::npos);
}

TEST_F(SmtpChannelTest, AClosedPortIsUnavailable) {
  auto channel = MakeChannel(testing::ClosedLocalPort());
  const auto result = channel->Send(testing::SampleEmail("msg_closed"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  EXPECT_NE(result.status().message().find("msg_closed"), std::string::npos);
  ExpectNoPhi(result.status());
}

TEST_F(SmtpChannelTest, AServerThatNeverAnswersTimesOutAsUnavailable) {
  testing::SilentListener silent;
  SmtpOptions options;
  options.total_timeout = std::chrono::milliseconds(300);
  auto channel = MakeChannel(silent.port(), options);
  const auto result = channel->Send(testing::SampleEmail("msg_silent"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
}

TEST_F(SmtpChannelTest, A550ForTheRecipientIsAHardBounce) {
  SmtpSink::Options sink_options;
  sink_options.reject = {testing::kPatientEmail};
  auto sink = StartSink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto channel = MakeChannel(sink->port());
  const auto result = channel->Send(testing::SampleEmail("msg_bounce"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsHardBounce(result.status())) << result.status().ToString();
  EXPECT_NE(result.status().message().find("permanent: 550 5.1.1 at RCPT"), std::string::npos)
      << result.status().ToString();
  ExpectNoPhi(result.status());
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpChannelTest, A4xxIsTransient) {
  SmtpSink::Options sink_options;
  sink_options.tempfail = {testing::kPatientEmail};
  auto sink = StartSink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto channel = MakeChannel(sink->port());
  const auto result = channel->Send(testing::SampleEmail("msg_later"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(IsHardBounce(result.status()));
  EXPECT_NE(result.status().message().find("transient: 451 4.3.0 at RCPT"), std::string::npos);
  ExpectNoPhi(result.status());
}

TEST_F(SmtpChannelTest, AuthenticatesAndRefusesBadCredentialsPermanently) {
  SmtpSink::Options sink_options;
  sink_options.auth = "recall:s3cret-test";
  auto sink = StartSink(sink_options);
  ASSERT_NE(sink, nullptr);

  SmtpOptions good;
  good.username = "recall";
  good.password = "s3cret-test";
  ASSERT_TRUE(MakeChannel(sink->port(), good)->Send(testing::SampleEmail("msg_auth")).ok());
  const auto arrived = sink->Messages();
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(arrived[0].envelope)["authenticated"], true);

  SmtpOptions bad = good;
  bad.password = "wrong-password";
  const auto result = MakeChannel(sink->port(), bad)->Send(testing::SampleEmail("msg_badauth"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << result.status().ToString();
  EXPECT_FALSE(IsHardBounce(result.status()));
  EXPECT_EQ(result.status().message().find("wrong-password"), std::string::npos);
}

TEST_F(SmtpChannelTest, RequiredStartTlsThatIsNotOfferedIsAConfigurationError) {
  auto sink = StartSink();
  ASSERT_NE(sink, nullptr);
  SmtpOptions options;
  options.host = "127.0.0.1";
  options.port = sink->port();
  options.tls = SmtpTls::kStartTlsRequired;
  auto channel = NewSmtpChannel(options, clock_);
  ASSERT_TRUE(channel.ok());
  const auto result = (*channel)->Send(testing::SampleEmail("msg_tls"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << result.status().ToString();
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpChannelTest, RefusesMalformedMessagesAndOptions) {
  auto channel = MakeChannel(testing::ClosedLocalPort());
  OutboundMessage m = testing::SampleEmail();
  m.subject = "x\r\nBcc: victim@evil.example";
  EXPECT_EQ(channel->Send(m).status().code(), StatusCode::kInvalidArgument);
  m = testing::SampleSms();
  EXPECT_EQ(channel->Send(m).status().code(), StatusCode::kInvalidArgument);

  SmtpOptions options;
  options.port = 0;
  EXPECT_EQ(NewSmtpChannel(options, clock_).status().code(), StatusCode::kInvalidArgument);
  options.port = 25;
  options.host = "bad host/";
  EXPECT_EQ(NewSmtpChannel(options, clock_).status().code(), StatusCode::kInvalidArgument);
  options.host = "127.0.0.1";
  options.dkim = {{"mapledental.example", "s1", "not a pem"}};
  EXPECT_EQ(NewSmtpChannel(options, clock_).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace recall::channels
