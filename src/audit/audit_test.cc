#include "audit/audit.h"

#include <gtest/gtest.h>

#include <vector>

namespace recall::audit {
namespace {

std::vector<AuditRecord> MakeChain(int n) {
  std::vector<AuditRecord> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEvent e{TimePoint(std::chrono::seconds(1700000000 + i)), "cli:test", "patient.import", "prc_1", "",
                 {{"imported", int64_t{i}}}};
    out.push_back(SealRecord(e, i, prev));
    prev = out.back().hash;
  }
  return out;
}

std::optional<int64_t> Verify(const std::vector<AuditRecord>& chain) {
  ChainVerifier v;
  for (const auto& r : chain) {
    if (!v.Feed(r)) break;
  }
  return v.first_bad_seq();
}

TEST(AuditTest, IntactChainVerifies) {
  auto chain = MakeChain(10);
  ChainVerifier v;
  for (const auto& r : chain) v.Feed(r);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.records(), 10);
  EXPECT_EQ(v.head_hash(), chain.back().hash);
}

TEST(AuditTest, CatchesChangedByte) {
  auto chain = MakeChain(10);
  chain[4].details_json = R"({"imported":6})";
  EXPECT_EQ(Verify(chain), 5);
}

TEST(AuditTest, CatchesDeletedRecord) {
  auto chain = MakeChain(10);
  chain.erase(chain.begin() + 6);
  EXPECT_EQ(Verify(chain), 8);
}

TEST(AuditTest, CatchesReorderedRecords) {
  auto chain = MakeChain(10);
  std::swap(chain[2], chain[3]);
  std::swap(chain[2].seq, chain[3].seq);
  EXPECT_EQ(Verify(chain), 3);
}

TEST(AuditTest, CanonicalDetailsAreSorted) {
  EXPECT_EQ(DetailsToJson({{"b", int64_t{1}}, {"a", std::string("x")}, {"c", true}}), R"({"a":"x","b":1,"c":true})");
}

TEST(AuditTest, RefusesPhiInDetails) {
  AuditEvent e{TimePoint{}, "cli:t", "patient.reveal", "prc_1", "sub_1", {{"reason", std::string("call 555-867-5309")}}};
  EXPECT_FALSE(CheckEvent(e).ok());
  e.details = {{"reason", std::string("jane@example.com")}};
  EXPECT_FALSE(CheckEvent(e).ok());
  e.details = {{"reason", std::string("billing question"), }, {"patient", std::string("pat_0123456789abcdef0123")}};
  EXPECT_TRUE(CheckEvent(e).ok());
  e.details = {{"file_sha256", std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")}};
  EXPECT_TRUE(CheckEvent(e).ok());
}

}  // namespace
}  // namespace recall::audit
