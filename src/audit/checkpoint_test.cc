#include "audit/checkpoint.h"

#include <gtest/gtest.h>

#include "audit/export.h"
#include "common/random.h"

namespace recall::audit {
namespace {

std::vector<AuditRecord> Chain(int n) {
  std::vector<AuditRecord> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEvent e{TimePoint(std::chrono::seconds(1764086400 + i)), "cli:alice", "patient.view", "prc_1",
                 "sub_0123456789abcdef0123456789abcdef", {{"n", int64_t{i}}}};
    out.push_back(SealRecord(e, i, prev));
    prev = out.back().hash;
  }
  return out;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::SigningKey::Generate(rnd_);
    ASSERT_TRUE(key.ok());
    key_ = std::move(key).value();
    known_[key_->key_id()] = key_->public_key();
    records_ = Chain(10);
  }
  Checkpoint Sign(int64_t seq) {
    auto c = SignCheckpoint(*key_, seq, records_[seq - 1].hash, TimePoint(std::chrono::seconds(1764090000)));
    EXPECT_TRUE(c.ok());
    return *c;
  }
  LogVerifier Run(std::vector<Checkpoint> cps, size_t records) {
    LogVerifier v(std::move(cps), known_);
    for (size_t i = 0; i < records; ++i) v.Feed(records_[i]);
    v.Finish();
    return v;
  }
  SecureRandom rnd_;
  std::unique_ptr<crypto::SigningKey> key_;
  std::map<std::string, std::string> known_;
  std::vector<AuditRecord> records_;
};

TEST_F(CheckpointTest, EncodingIsDocumented) {
  EXPECT_EQ(CheckpointEncoding(1000, std::string(64, 'a'), "2026-11-25T18:06:06.123Z"),
            "recall-audit-checkpoint-v1\n1000\n" + std::string(64, 'a') + "\n2026-11-25T18:06:06.123Z");
}

TEST_F(CheckpointTest, GoodCheckpointsVerify) {
  auto v = Run({Sign(5), Sign(10)}, 10);
  EXPECT_TRUE(v.ok()) << v.checkpoint_reason();
  EXPECT_EQ(v.checkpoints_verified(), 2);
  EXPECT_EQ(v.last_checkpoint_seq(), 10);
}

TEST_F(CheckpointTest, TamperedSignatureHashOrKeyIsNamed) {
  Checkpoint sig = Sign(5);
  sig.signature[3] = sig.signature[3] == '0' ? '1' : '0';
  auto v = Run({sig, Sign(10)}, 10);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_checkpoint(), 5);
  EXPECT_EQ(v.checkpoints_verified(), 1);

  Checkpoint hash = Sign(5);
  hash.hash = records_[3].hash;
  v = Run({hash}, 10);
  EXPECT_EQ(v.first_bad_checkpoint(), 5);
  EXPECT_NE(v.checkpoint_reason().find("hash"), std::string::npos);

  auto other = crypto::SigningKey::Generate(rnd_);
  ASSERT_TRUE(other.ok());
  auto foreign = SignCheckpoint(**other, 5, records_[4].hash, TimePoint());
  ASSERT_TRUE(foreign.ok());
  v = Run({*foreign}, 10);
  EXPECT_EQ(v.first_bad_checkpoint(), 5);
  EXPECT_NE(v.checkpoint_reason().find("does not know"), std::string::npos);
}

TEST_F(CheckpointTest, TruncatedLogIsEvident) {
  auto v = Run({Sign(5), Sign(10)}, 8);  // records 9 and 10 removed
  EXPECT_TRUE(v.chain().ok());
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_checkpoint(), 10);
}

TEST(AuditExportTest, FhirAuditEventCarriesNoMoreThanTheRecord) {
  AuditEvent e{TimePoint(std::chrono::seconds(1764086400)), "cli:alice", "patient.reveal", "prc_1",
               "sub_0123456789abcdef0123456789abcdef", {{"reason", "billing"}}};
  AuditRecord r = SealRecord(e, 7, kGenesisHash);
  auto ev = RecordToFhirAuditEvent(r);
  EXPECT_EQ(ev["resourceType"], "AuditEvent");
  EXPECT_EQ(ev["action"], "R");
  EXPECT_EQ(ev["recorded"], r.time);
  EXPECT_EQ(ev["agent"][0]["who"]["display"], "cli:alice");
  EXPECT_EQ(ev["source"]["site"], "prc_1");
  EXPECT_EQ(ev["entity"][0]["what"]["identifier"]["value"], r.subject);
  auto line = RecordToJson(r);
  EXPECT_EQ(line["details"]["reason"], "billing");
  EXPECT_EQ(line["hash"], r.hash);
}

}  // namespace
}  // namespace recall::audit

namespace recall::audit {
namespace {

// SealRecord formats times without iostreams; it must agree with FormatRfc3339Millis.
TEST(AuditTimeTest, SealedTimeMatchesRfc3339Formatter) {
  SeededRandom rnd(7);
  for (int i = 0; i < 20000; ++i) {
    auto bytes = rnd.Bytes(8);
    ASSERT_TRUE(bytes.ok());
    uint64_t v = 0;
    for (unsigned char c : *bytes) v = (v << 8) | c;
    // 1970 .. ~2100, millisecond resolution, plus the edges.
    int64_t ms = static_cast<int64_t>(v % 4102444800000ULL);
    if (i == 0) ms = 0;
    if (i == 1) ms = 951782400000;  // 2000-02-29
    const TimePoint t{std::chrono::milliseconds(ms)};
    AuditEvent e{t, "cli:a", "x.y", "", "", {}};
    ASSERT_EQ(SealRecord(e, 1, kGenesisHash).time, FormatRfc3339Millis(t)) << ms;
  }
}

}  // namespace
}  // namespace recall::audit
