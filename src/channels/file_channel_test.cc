#include "channels/file/file_channel.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "channels/smtp/mime_builder.h"
#include "channels/testing/messages.h"
#include "channels/testing/smtp_sink.h"

namespace recall::channels {
namespace {

class FileChannelTest : public ::testing::Test {
 protected:
  std::unique_ptr<Channel> MakeChannel() {
    auto channel = NewFileChannel({dir_.path() + "/outbox"}, clock_);
    EXPECT_TRUE(channel.ok()) << channel.status().ToString();
    return std::move(channel).value();
  }
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() + "/outbox")) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  testing::TempDir dir_;
  FakeClock clock_{*ParseRfc3339("2026-11-25T18:06:06Z")};
};

TEST_F(FileChannelTest, WritesEmailAsTheRfc5322MessageWouldBeSent) {
  auto channel = MakeChannel();
  EXPECT_EQ(channel->name(), "file");
  const OutboundMessage m = testing::SampleEmail("msg_file1");
  auto receipt = channel->Send(m);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->provider_id, "msg_file1.eml");
  const std::string path = dir_.path() + "/outbox/msg_file1.eml";
  EXPECT_EQ(testing::ReadFileOrEmpty(path), *MimeBuilder::Build(m, clock_.Now()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() + "/outbox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(FileChannelTest, AResendOfTheSameIdReplacesTheSameFile) {
  auto channel = MakeChannel();
  ASSERT_TRUE(channel->Send(testing::SampleEmail("msg_dup")).ok());
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(channel->Send(testing::SampleEmail("msg_dup")).ok());
  ASSERT_TRUE(channel->Send(testing::SampleSms("msg_sms1")).ok());
  EXPECT_EQ(Files(), (std::vector<std::string>{"msg_dup.eml", "msg_sms1.txt"}));  // no temporaries left
  EXPECT_NE(testing::ReadFileOrEmpty(dir_.path() + "/outbox/msg_dup.eml").find("18:07:06"), std::string::npos);
}

TEST_F(FileChannelTest, WritesSmsAndVoiceAsReadableText) {
  auto channel = MakeChannel();
  ASSERT_TRUE(channel->Send(testing::SampleSms("msg_sms1")).ok());
  EXPECT_EQ(testing::ReadFileOrEmpty(dir_.path() + "/outbox/msg_sms1.txt"),
            "Channel: sms\nMessage-ID: msg_sms1\nPractice: prc_maple\nTo: +15555550123\n"
            "Date: 2026-11-25T18:06:06.000Z\n\n"
            "Maple Dental: time for your checkup. Reply STOP to opt out.\n");
  OutboundMessage voice = testing::SampleSms("msg_voice1");
  voice.channel = "rvm";
  voice.audio_path = "/var/lib/recall/audio/tpl_1.wav";
  ASSERT_TRUE(channel->Send(voice).ok());
  EXPECT_NE(testing::ReadFileOrEmpty(dir_.path() + "/outbox/msg_voice1.txt")
                .find("Audio: /var/lib/recall/audio/tpl_1.wav\n"),
            std::string::npos);
}

TEST_F(FileChannelTest, RefusesIdsThatAreNotSafeFileNames) {
  auto channel = MakeChannel();
  for (const char* id : {"../escape", ".hidden", "", "a/b", "msg 1"}) {
    const auto result = channel->Send(testing::SampleSms(id));
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << id;
  }
  OutboundMessage m = testing::SampleSms();
  m.channel = "pigeon";
  EXPECT_EQ(channel->Send(m).status().code(), StatusCode::kInvalidArgument);
  m = testing::SampleSms();
  m.to = "+1555\nInjected: yes";
  EXPECT_EQ(channel->Send(m).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(NewFileChannel({""}, clock_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileChannelTest, FaultInjectionWrapsAnyChannel) {
  FaultInjectingChannel faulty(MakeChannel());
  faulty.FailNthCallForTest(2, UnavailableError("injected timeout"));
  faulty.FailFromCallForTest(4, FailedPreconditionError(std::string("permanent: 550; ") + std::string(kHardBounceMarker)));
  EXPECT_EQ(faulty.name(), "file");
  EXPECT_TRUE(faulty.Send(testing::SampleSms("msg_f1")).ok());
  EXPECT_EQ(faulty.Send(testing::SampleSms("msg_f2")).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(faulty.Send(testing::SampleSms("msg_f3")).ok());
  const auto bounced = faulty.Send(testing::SampleSms("msg_f4"));
  EXPECT_TRUE(IsHardBounce(bounced.status()));
  EXPECT_FALSE(IsHardBounce(UnavailableError(std::string(kHardBounceMarker))));
  EXPECT_EQ(faulty.calls(), 4);
  EXPECT_EQ(Files(), (std::vector<std::string>{"msg_f1.txt", "msg_f3.txt"}));
}

}  // namespace
}  // namespace recall::channels
