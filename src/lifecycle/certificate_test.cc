#include "lifecycle/certificate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/engine_testing.h"

namespace recall::lifecycle {
namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    // The audit record a purge would have written.
    auto record = engine_->store().audit().Append(
        engine_->Event("campaign.purged", "prc_0000000000000001", "", {{"patients", int64_t{3}}}));
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    cert_.certificate_id = "dc_00000000000000000001";
    cert_.practice_id = "prc_0000000000000001";
    cert_.practice_name = "Maple Family Dental";
    cert_.scope = kScopeCampaign;
    cert_.campaign_id = "cmp_0000000000000001";
    cert_.counts = {{"patients", 3}, {"consent_records", 5}, {"outbox_messages", 12}};
    cert_.method = {"deleted the patients' rows and their encrypted fields",
                    "deleted their consent records and queued messages", "checkpointed and vacuumed the store"};
    cert_.issued_at = "2025-11-25T16:00:00Z";
    cert_.audit_seq = record->seq;
    cert_.audit_hash = record->hash;
  }

  std::string Signed(DeletionCertificate c) {
    EXPECT_TRUE(Sign(*engine_->signing_keys().current(), c).ok());
    return ToJson(c);
  }

  VerifyResult Check(const std::string& json) {
    auto r = Verify(*engine_, json);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyResult{};
  }

  engine::TestEngine engine_;
  DeletionCertificate cert_;
};

TEST_F(CertificateTest, SignedCertificateVerifies) {
  const auto r = Check(Signed(cert_));
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.signature_valid);
  EXPECT_TRUE(r.key_known);
  EXPECT_TRUE(r.audit_record_found);
  EXPECT_EQ(r.reason, "");
}

TEST_F(CertificateTest, JsonRoundTrips) {
  DeletionCertificate c = cert_;
  c.scope = kScopePractice;
  c.campaign_id = "";
  c.crypto_shredded = true;
  c.destroyed_key_ids = {"dk_1", "dk_2"};
  ASSERT_TRUE(Sign(*engine_->signing_keys().current(), c).ok());
  auto back = FromJson(ToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SignedPayload(*back), SignedPayload(c));
  EXPECT_EQ(back->key_id, c.key_id);
  EXPECT_EQ(back->public_key, c.public_key);
  EXPECT_EQ(back->signature, c.signature);
  EXPECT_TRUE(back->crypto_shredded);
  EXPECT_EQ(back->destroyed_key_ids, c.destroyed_key_ids);
}

TEST_F(CertificateTest, PayloadIsUnambiguous) {
  DeletionCertificate a = cert_, b = cert_;
  a.method = {"ab", "c"};
  b.method = {"a", "bc"};
  EXPECT_NE(SignedPayload(a), SignedPayload(b));
  a.counts = {{"x=1", 2}};
  b.counts = {{"x", 1}};
  EXPECT_NE(SignedPayload(a), SignedPayload(b));
}

TEST_F(CertificateTest, FlippedCountIsNotOk) {
  auto j = nlohmann::json::parse(Signed(cert_));
  j["counts"]["patients"] = 2;
  const auto r = Check(j.dump());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.signature_valid);
  EXPECT_NE(r.reason.find("signature"), std::string::npos) << r.reason;
}

TEST_F(CertificateTest, FlippedSignatureByteIsNotOk) {
  auto j = nlohmann::json::parse(Signed(cert_));
  std::string sig = j["signature"];
  sig[10] = sig[10] == '0' ? '1' : '0';
  j["signature"] = sig;
  const auto r = Check(j.dump());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.signature_valid);
  EXPECT_TRUE(r.key_known);
  EXPECT_TRUE(r.audit_record_found);
}

TEST_F(CertificateTest, EditedAuditHashIsNotOk) {
  auto j = nlohmann::json::parse(Signed(cert_));
  std::string hash = j["audit_hash"];
  hash[0] = hash[0] == 'a' ? 'b' : 'a';
  j["audit_hash"] = hash;
  const auto r = Check(j.dump());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.signature_valid);  // the hash is signed
  EXPECT_FALSE(r.audit_record_found);
}

TEST_F(CertificateTest, SignedButUnknownAuditRecordIsNotOk) {
  // Validly signed, but naming a record this log does not hold (another
  // installation's, or a rewritten log).
  DeletionCertificate c = cert_;
  c.audit_hash = std::string(64, 'a');
  const auto r = Check(Signed(c));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.signature_valid);
  EXPECT_TRUE(r.key_known);
  EXPECT_FALSE(r.audit_record_found);
  EXPECT_NE(r.reason.find("audit record"), std::string::npos) << r.reason;
  c.audit_seq = 999999;
  c.audit_hash = cert_.audit_hash;
  EXPECT_FALSE(Check(Signed(c)).audit_record_found);
}

TEST_F(CertificateTest, UnknownSigningKeyIsNotOk) {
  auto other = crypto::SigningKey::Generate(engine_->random());
  ASSERT_TRUE(other.ok());
  DeletionCertificate c = cert_;
  ASSERT_TRUE(Sign(**other, c).ok());
  const auto r = Check(ToJson(c));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.signature_valid);
  EXPECT_FALSE(r.key_known);
  EXPECT_NE(r.reason.find("signing keys"), std::string::npos) << r.reason;
}

TEST_F(CertificateTest, MalformedDocumentsAreNotOkNotErrors) {
  const std::string good = Signed(cert_);
  auto missing = nlohmann::json::parse(good);
  missing.erase("audit_seq");
  auto wrong_type = nlohmann::json::parse(good);
  wrong_type["counts"]["patients"] = "three";
  auto bad_hex = nlohmann::json::parse(good);
  bad_hex["public_key"] = "zz";
  for (const std::string& text : {std::string(""), std::string("{"), std::string("[]"), std::string("null"),
                                  good.substr(0, good.size() / 2), missing.dump(), wrong_type.dump(), bad_hex.dump(),
                                  std::string("{\"format\": \"\xff\"}")}) {
    EXPECT_FALSE(FromJson(text).ok());
    const auto r = Check(text);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST_F(CertificateTest, WritesJsonAndPdf) {
  DeletionCertificate c = cert_;
  ASSERT_TRUE(Sign(*engine_->signing_keys().current(), c).ok());
  const auto out = engine_.dir() / "certs" / "one";
  ASSERT_TRUE(WriteCertificateFiles(c, out.string()).ok());
  const std::string json = ReadAll(out / kCertificateJsonName);
  EXPECT_TRUE(Check(json).ok);
  const std::string pdf = ReadAll(out / kCertificatePdfName);
  ASSERT_GT(pdf.size(), 100u);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(pdf.find(c.certificate_id), std::string::npos);
  EXPECT_NE(pdf.find("Certificate of Deletion"), std::string::npos);
  // No temporaries left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 2);
  // Rewriting replaces both.
  ASSERT_TRUE(WriteCertificateFiles(c, out.string()).ok());
  EXPECT_EQ(ReadAll(out / kCertificateJsonName), json);
}

}  // namespace
}  // namespace recall::lifecycle
