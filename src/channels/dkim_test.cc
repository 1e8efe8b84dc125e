#include <gtest/gtest.h>

#include "channels/smtp/dkim_signer.h"
#include "channels/smtp/mime_builder.h"
#include "channels/testing/dkim_keys.h"
#include "channels/testing/messages.h"
#include "channels/testing/smtp_sink.h"

namespace recall::channels {
namespace {

TimePoint TestDate() { return *ParseRfc3339("2026-11-25T18:06:06Z"); }

// One key for the whole suite: RSA generation is the slow part.
const testing::TestDkimKey& Key() {
  static const testing::TestDkimKey key = testing::GenerateDkimKey();
  return key;
}

std::unique_ptr<DkimSigner> MakeSigner() {
  auto signer = DkimSigner::Create({"mapledental.example", "recall2026", Key().private_key_pem});
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return std::move(signer).value();
}

// Verifies with python3-dkim; true when the signature verifies.
bool VerifiesWithDkimpy(const std::string& message, const std::string& public_key_b64 = Key().public_key_b64) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/m.eml";
  testing::WriteFileOrDie(path, message);
  const auto result = testing::RunCommand(testing::PythonTool("dkim_verify.py") + " " + path +
                                          " recall2026 mapledental.example " + public_key_b64);
  return result.exit_code == 0;
}

std::string SignedSample(const OutboundMessage& m) {
  auto mime = MimeBuilder::Build(m, TestDate());
  EXPECT_TRUE(mime.ok());
  auto signed_message = MakeSigner()->Sign(*mime, TestDate());
  EXPECT_TRUE(signed_message.ok()) << signed_message.status().ToString();
  return *signed_message;
}

TEST(DkimCanonicalisationTest, RelaxedMatchesRfc6376Example) {
  // RFC 6376 3.4.5.
  EXPECT_EQ(DkimRelaxedHeader("A", " X"), "a:X");
  EXPECT_EQ(DkimRelaxedHeader("B ", " Y\t\r\n\tZ  "), "b:Y Z");
  EXPECT_EQ(DkimRelaxedBody(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
  EXPECT_EQ(DkimRelaxedBody("no final newline"), "no final newline\r\n");
  EXPECT_EQ(DkimRelaxedBody(""), "");
}

TEST(DkimSignerTest, PythonDkimVerifiesTheSignature) {
  const std::string message = SignedSample(testing::SampleEmail());
  ASSERT_TRUE(message.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mapledental.example;"
                                  " s=recall2026;\r\n\tt=1795629966; h="));
  EXPECT_NE(message.find("h=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:List-Unsubscribe:"
                         "List-Unsubscribe-Post:Reply-To;"),
            std::string::npos);
  EXPECT_TRUE(VerifiesWithDkimpy(message));
  EXPECT_TRUE(VerifiesWithDkimpy(SignedSample(testing::SpanishEmail())));
}

TEST(DkimSignerTest, TamperingBreaksTheSignature) {
  const std::string message = SignedSample(testing::SampleEmail());
  std::string body_changed = message;
  body_changed.replace(body_changed.find("six months"), 3, "ten");
  EXPECT_FALSE(VerifiesWithDkimpy(body_changed));
  std::string unsubscribe_changed = message;
  unsubscribe_changed.replace(unsubscribe_changed.find("tok_abc123"), 10, "tok_evil99");
  EXPECT_FALSE(VerifiesWithDkimpy(unsubscribe_changed));
  EXPECT_FALSE(VerifiesWithDkimpy(message, testing::GenerateDkimKey().public_key_b64));
}

TEST(DkimSignerTest, RelaxedCanonicalisationToleratesRewrapping) {
  std::string message = SignedSample(testing::SampleEmail());
  // A relay that re-folds a header and adds trailing blank lines must not break it.
  message.replace(message.find("Subject: Time"), 13, "Subject:   Time");
  message += "\r\n\r\n";
  EXPECT_TRUE(VerifiesWithDkimpy(message));
}

TEST(DkimSignerTest, IsDeterministicUnderAFixedClock) {
  EXPECT_EQ(SignedSample(testing::SampleEmail()), SignedSample(testing::SampleEmail()));
}

TEST(DkimSignerTest, RefusesBadKeysWithoutEchoingThem) {
  auto bad = DkimSigner::Create({"mapledental.example", "s1", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("c2VjcmV0"), std::string::npos);
  EXPECT_FALSE(DkimSigner::Create({"bad domain", "s1", Key().private_key_pem}).ok());
  EXPECT_FALSE(DkimSigner::Create({"mapledental.example", "s;1", Key().private_key_pem}).ok());
  DkimOptions no_from{"mapledental.example", "s1", Key().private_key_pem, {"Subject"}};
  EXPECT_FALSE(DkimSigner::Create(no_from).ok());
}

TEST(DkimSignerTest, RefusesAMessageWithoutHeadersOrFrom) {
  auto signer = MakeSigner();
  EXPECT_EQ(signer->Sign("no separator", TestDate()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer->Sign("Subject: x\r\n\r\nbody\r\n", TestDate()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace recall::channels
