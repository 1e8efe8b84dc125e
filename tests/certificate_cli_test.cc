// End-to-end: `recall certificate verify FILE` through the real binary. The
// certificates are made by the test with the library and the installation's
// own signing key file, and one comes from `recall practice offboard`: a good
// one verifies, tampered ones are refused with the right
// reason and exit 1, and a missing file is an error. Synthetic data only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "crypto/signing.h"
#include "lifecycle/certificate.h"

namespace recall::testing {
namespace {

using nlohmann::json;

class CertificateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("recall-cert-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "data").string();
    ASSERT_EQ(Cli({"init"}).exit_code, 0);
    auto p = Cli({"practice", "add", "--name", "Maple Family Dental", "--address", "1 Main St, Springfield, IL 62701",
                  "--phone", "(217) 555-0100", "--email-from", "Maple <office@maple.example>", "--timezone",
                  "America/Chicago", "--state", "IL"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    practice_ = json::parse(p.out)["practice_id"];
    // The head of the audit log stands in for the purge's record.
    auto cp = Cli({"audit", "checkpoint"});
    ASSERT_EQ(cp.exit_code, 0) << cp.err;
    json head = json::parse(cp.out);
    ASSERT_TRUE(head["signed"].get<bool>());
    cert_.certificate_id = "dc_00000000000000000000cafe";
    cert_.practice_id = practice_;
    cert_.practice_name = "Maple Family Dental";
    cert_.scope = lifecycle::kScopePractice;
    cert_.counts = {{"patients", 0}};
    cert_.method = {"deleted every patient row"};
    cert_.issued_at = "2025-11-25T16:00:00Z";
    cert_.audit_seq = head["seq"];
    cert_.audit_hash = head["hash"];
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args);
  }

  // Signed with this installation's key (read from its key file), or `other`.
  std::string Signed(lifecycle::DeletionCertificate c, bool other_key = false) {
    std::unique_ptr<crypto::SigningKey> other;
    if (other_key) {
      SecureRandom random;
      auto generated = crypto::SigningKey::Generate(random);
      EXPECT_TRUE(generated.ok());
      other = std::move(generated).value();
      EXPECT_TRUE(lifecycle::Sign(*other, c).ok());
      return lifecycle::ToJson(c);
    }
    auto ring = crypto::SigningKeyring::Load((std::filesystem::path(data_) / "keys" / "signing.key").string());
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    EXPECT_TRUE(lifecycle::Sign(*(*ring)->current(), c).ok());
    return lifecycle::ToJson(c);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  json Verify(const std::string& file, int expected_exit) {
    auto r = Cli({"certificate", "verify", file});
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    if (r.out.empty()) return json();
    return json::parse(r.out);
  }

  std::filesystem::path dir_;
  std::string data_;
  std::string practice_;
  lifecycle::DeletionCertificate cert_;
};

TEST_F(CertificateCliTest, GoodCertificateVerifies) {
  json r = Verify(Write("good.json", Signed(cert_)), 0);
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["signature_valid"], true);
  EXPECT_EQ(r["key_known"], true);
  EXPECT_EQ(r["audit_record_found"], true);
  EXPECT_EQ(r["reason"], "");
  // Human output.
  auto human = RunRecall({"--data", data_, "certificate", "verify", (dir_ / "good.json").string()});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("certificate ok"), std::string::npos) << human.out;
}

TEST_F(CertificateCliTest, TamperedCertificatesAreNotOk) {
  json doc = json::parse(Signed(cert_));
  {
    json t = doc;
    t["counts"]["patients"] = 1;
    json r = Verify(Write("count.json", t.dump(2)), 1);
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["signature_valid"], false);
    EXPECT_NE(r["reason"].get<std::string>().find("signature"), std::string::npos);
  }
  {
    json t = doc;
    std::string sig = t["signature"];
    sig[0] = sig[0] == 'f' ? 'e' : 'f';
    t["signature"] = sig;
    json r = Verify(Write("sig.json", t.dump()), 1);
    EXPECT_EQ(r["signature_valid"], false);
    EXPECT_EQ(r["key_known"], true);
    EXPECT_EQ(r["audit_record_found"], true);
  }
  {
    lifecycle::DeletionCertificate c = cert_;
    c.audit_hash = std::string(64, '0');
    json r = Verify(Write("audit.json", Signed(c)), 1);
    EXPECT_EQ(r["signature_valid"], true);
    EXPECT_EQ(r["audit_record_found"], false);
    EXPECT_NE(r["reason"].get<std::string>().find("audit record"), std::string::npos);
  }
  {
    json r = Verify(Write("other.json", Signed(cert_, /*other_key=*/true)), 1);
    EXPECT_EQ(r["signature_valid"], true);
    EXPECT_EQ(r["key_known"], false);
  }
  {
    json r = Verify(Write("junk.json", "{\"format\": \"recall-deletion-certificate-v1\", "), 1);
    EXPECT_EQ(r["ok"], false);
    EXPECT_NE(r["reason"].get<std::string>().find("malformed"), std::string::npos);
  }
  // Human output names the reason.
  auto human = RunRecall({"--data", data_, "certificate", "verify", (dir_ / "count.json").string()});
  EXPECT_EQ(human.exit_code, 1);
  EXPECT_NE(human.out.find("NOT ok"), std::string::npos) << human.out;
}

// The certificate `recall practice offboard` writes verifies; the same file
// with one count changed does not.
TEST_F(CertificateCliTest, OffboardCertificateVerifiesAndTamperingIsCaught) {
  const std::string out = (dir_ / "cert").string();
  auto off = Cli({"practice", "offboard", "--practice", practice_, "--out", out});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  const std::string certificate_id = json::parse(off.out)["certificate_id"];
  const std::string file = out + "/" + lifecycle::kCertificateJsonName;
  EXPECT_EQ(Verify(file, 0)["ok"], true);
  const std::string pdf = ReadFileToString(std::filesystem::path(out) / lifecycle::kCertificatePdfName);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(pdf.find(certificate_id), std::string::npos);

  json doc = json::parse(ReadFileToString(file));
  doc["counts"]["patients"] = doc["counts"]["patients"].get<int64_t>() + 1;
  json r = Verify(Write("tampered.json", doc.dump(2)), 1);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["signature_valid"], false);
  EXPECT_EQ(r["key_known"], true);
  EXPECT_EQ(r["audit_record_found"], true);
}

TEST_F(CertificateCliTest, MissingFileIsAnError) {
  auto r = Cli({"certificate", "verify", (dir_ / "nope.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("cannot open the certificate file"), std::string::npos) << r.err;
  EXPECT_EQ(Cli({"certificate", "verify"}).exit_code, 2);  // usage
}

}  // namespace
}  // namespace recall::testing
