// End-to-end: the vendor / subprocessor registry CLI contract through the real binary.
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

class VendorCli : public CliTest {
 protected:
  std::string AddPractice(const std::string& name) {
    auto r = Recall({"practice", "add", "--name", name, "--address", "1 Main St, Springfield, IL 62701", "--phone",
                     "(217) 555-0100", "--email-from", "Office <office@maple.example>", "--timezone",
                     "America/Chicago", "--state", "IL"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out).at("practice_id").get<std::string>() : "";
  }
};

TEST_F(VendorCli, AddRecordListDeactivate) {
  ASSERT_EQ(Recall({"init"}).exit_code, 0);
  const std::string a = AddPractice("Maple Family Dental");
  const std::string b = AddPractice("Oak Street Dental");
  const std::string doc = WriteFile("vendor-baa.pdf", "%PDF synthetic signed vendor BAA");

  auto sms = Recall({"vendor", "add", "--practice", a, "--name", "Example SMS Gateway", "--channel", "sms"});
  ASSERT_EQ(sms.exit_code, 0) << sms.err;
  const std::string sms_id = json::parse(sms.out).at("vendor_id");
  EXPECT_EQ(sms_id.rfind("vnd_", 0), 0u);

  auto host = Recall({"vendor", "add", "--practice", a, "--name", "Example Cloud", "--channel", "hosting", "--kind",
                      "subprocessor", "--baa-signed-on", "2025-10-01", "--baa-document", doc});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  const std::string host_id = json::parse(host.out).at("vendor_id");

  auto rec = Recall({"vendor", "baa", "record", "--practice", a, "--vendor", sms_id, "--signed-on", "2025-11-02",
                     "--document", doc});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_EQ(json::parse(rec.out).at("baa_signed_on"), "2025-11-02");
  EXPECT_EQ(json::parse(rec.out).at("document_sha256").get<std::string>().size(), 64u);

  auto list = Recall({"vendor", "list", "--practice", a});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json vendors = json::parse(list.out).at("vendors");
  ASSERT_EQ(vendors.size(), 2u);
  EXPECT_EQ(vendors[0], json({{"vendor_id", sms_id},
                              {"name", "Example SMS Gateway"},
                              {"channel", "sms"},
                              {"kind", "channel_provider"},
                              {"baa_signed_on", "2025-11-02"},
                              {"active", true}}));
  EXPECT_EQ(vendors[1].at("vendor_id"), host_id);
  EXPECT_EQ(vendors[1].at("kind"), "subprocessor");
  EXPECT_EQ(vendors[1].at("baa_signed_on"), "2025-10-01");

  // Practice B sees none of A's vendors and cannot touch them.
  EXPECT_EQ(json::parse(Recall({"vendor", "list", "--practice", b}).out).at("vendors").size(), 0u);
  EXPECT_EQ(Recall({"vendor", "deactivate", "--practice", b, "--vendor", sms_id}).exit_code, 1);
  EXPECT_EQ(Recall({"vendor", "baa", "record", "--practice", b, "--vendor", sms_id, "--signed-on", "2025-11-02",
                    "--document", doc})
                .exit_code,
            1);

  auto off = Recall({"vendor", "deactivate", "--practice", a, "--vendor", sms_id});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(Recall({"vendor", "deactivate", "--practice", a, "--vendor", sms_id}).exit_code, 1);
  vendors = json::parse(Recall({"vendor", "list", "--practice", a}).out).at("vendors");
  EXPECT_EQ(vendors[0].at("active"), false);

  auto verify = Recall({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
}

TEST_F(VendorCli, ValidationAndExitCodes) {
  ASSERT_EQ(Recall({"init"}).exit_code, 0);
  const std::string a = AddPractice("Maple Family Dental");
  const std::string doc = WriteFile("vendor-baa.pdf", "%PDF synthetic signed vendor BAA");
  // Usage errors: missing required options.
  EXPECT_EQ(Recall({"vendor"}).exit_code, 2);
  EXPECT_EQ(Recall({"vendor", "add", "--practice", a, "--name", "X"}).exit_code, 2);
  EXPECT_EQ(Recall({"vendor", "list"}).exit_code, 2);
  // Refused input: one line on stderr, exit 1.
  auto bad_channel = Recall({"vendor", "add", "--practice", a, "--name", "X", "--channel", "fax"});
  EXPECT_EQ(bad_channel.exit_code, 1);
  EXPECT_NE(bad_channel.err.find("channel"), std::string::npos);
  EXPECT_EQ(std::count(bad_channel.err.begin(), bad_channel.err.end(), '\n'), 1);
  EXPECT_EQ(Recall({"vendor", "add", "--practice", a, "--name", "X", "--channel", "sms", "--kind", "reseller"}).exit_code,
            1);
  EXPECT_EQ(Recall({"vendor", "add", "--practice", a, "--name", "X", "--channel", "sms", "--baa-signed-on",
                    "2025-10-01"})
                .exit_code,
            1);
  EXPECT_EQ(Recall({"vendor", "add", "--practice", "prc_nope", "--name", "X", "--channel", "sms"}).exit_code, 1);
  EXPECT_EQ(Recall({"vendor", "list", "--practice", "prc_nope"}).exit_code, 1);
  EXPECT_EQ(Recall({"vendor", "baa", "record", "--practice", a, "--vendor", "vnd_nope", "--signed-on", "2025-11-02",
                    "--document", doc})
                .exit_code,
            1);
  EXPECT_EQ(json::parse(Recall({"vendor", "list", "--practice", a}).out).at("vendors").size(), 0u);
}

}  // namespace
}  // namespace recall::testing
