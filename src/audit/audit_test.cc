#include "audit/audit.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

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

// The direct encoding of plain details and nlohmann-json's (the general path,
// and what every stored record before it used) agree byte for byte: the chain
// hashes these bytes.
TEST(AuditTest, CanonicalDetailsMatchTheGeneralEncoder) {
  auto reference = [](const Details& d) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& entry : d) {
      const std::string& key = entry.first;
      std::visit([&](const auto& v) { j[key] = v; }, entry.second);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::vector<Details> cases = {
      {},
      {{"message_id", std::string("msg_0123")}, {"channel", std::string("sms")}, {"attempt", int64_t{1}}},
      {{"min", std::numeric_limits<int64_t>::min()}, {"max", std::numeric_limits<int64_t>::max()}, {"zero", int64_t{0}}},
      {{"ok", true}, {"bad", false}, {"empty", std::string()}},
      {{"B", std::string("upper")}, {"a", std::string("lower")}, {"_", std::string("~!@#$%^&*()[]{}<>?/|`'")}},
      // The general path: quotes, backslashes, control bytes, UTF-8, invalid UTF-8.
      {{"q", std::string("say \"hi\"")}, {"b", std::string("a\\b")}, {"t", std::string("tab\there")}},
      {{"u", std::string("caf\xc3\xa9")}, {"x", std::string("\xff\xfe")}, {"n\xc3\xa9", int64_t{7}}},
      {{"del", std::string("\x7f")}, {"nl", std::string("line\n")}}};
  for (const Details& d : cases) EXPECT_EQ(DetailsToJson(d), reference(d)) << reference(d);
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
