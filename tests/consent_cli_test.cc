// End-to-end: the consent, classify, inbound and reassigned commands of the
// real `recall` binary. Synthetic data only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kPhone[] = "+12175550142";

class ConsentCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Recall({"init"}).exit_code, 0);
    auto p = Recall({"practice", "add", "--name", "Maple Family Dental", "--address",
                     "1 Main St, Springfield, IL 62701", "--phone", "(217) 555-0100", "--email-from",
                     "Maple Family Dental <office@maple.example>", "--timezone", "America/Chicago", "--state", "IL"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    practice_ = json::parse(p.out)["practice_id"];
    const std::string doc = WriteFile("baa.pdf", "signed BAA (synthetic)");
    auto b = Recall({"baa", "record", "--practice", practice_, "--signed-by", "Dana Whitlock", "--signed-on",
                     "2025-11-01", "--document", doc});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const std::string csv = WriteFile("export.csv",
                                      "Patient ID,First Name,Last Name,Cell Phone,Email,SMS Consent,Email Consent\n"
                                      "P1,Ana,Quill,(217) 555-0142,pat.one@example.com,Y,\n"
                                      "P2,Ben,Rook,(217) 555-0150,ben.rook@example.com,,\n");
    auto i = Recall({"import", "csv", "--practice", practice_, csv});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    import_ = json::parse(i.out);
  }

  json Ok(std::vector<std::string> args, const std::string& stdin_text = "") {
    auto r = Recall(std::move(args), stdin_text);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("0142"), std::string::npos);
    try {
      return json::parse(r.out);
    } catch (const std::exception&) {
      ADD_FAILURE() << "not JSON: " << r.out;
      return json();
    }
  }

  json Show(const std::string& patient = "P1") {
    return Ok({"consent", "show", "--practice", practice_, "--patient", patient});
  }

  int64_t AuditRecords() { return Ok({"audit", "verify"})["records"]; }

  static bool Has(const json& effects, const std::string& e) {
    return std::find(effects.begin(), effects.end(), e) != effects.end();
  }

  std::string practice_;
  json import_;
};

TEST_F(ConsentCliTest, ImportRecordsPracticeImportConsent) {
  EXPECT_EQ(import_["consent"]["granted"], 1);
  auto s = Show();
  EXPECT_EQ(s["channels"]["sms"]["care"], "granted");
  EXPECT_EQ(s["channels"]["sms"]["outreach"], "none");
  ASSERT_EQ(s["history"].size(), 1u);
  EXPECT_EQ(s["history"][0]["source"], "practice_import");
}

TEST_F(ConsentCliTest, RecordRevokeShow) {
  auto r = Ok({"consent", "record", "--practice", practice_, "--patient", "P2", "--channel", "email", "--purpose",
               "outreach", "--source", "web_form", "--evidence", "newsletter checkbox", "--ip", "192.0.2.10"});
  EXPECT_EQ(r["consent_id"].get<std::string>().rfind("cns_", 0), 0u);
  auto s = Show("P2");
  for (const char* ch : {"sms", "email", "voice", "rvm", "portal"}) {
    ASSERT_TRUE(s["channels"].contains(ch)) << ch;
    for (const char* pu : {"care", "outreach"}) ASSERT_TRUE(s["channels"][ch].contains(pu));
  }
  EXPECT_EQ(s["channels"]["email"]["outreach"], "granted");
  EXPECT_EQ(s["channels"]["email"]["care"], "none");
  EXPECT_EQ(s["history"][0]["contact"], "b***@e***.com");
  EXPECT_EQ(s.dump().find("192.0.2.10"), std::string::npos);
  EXPECT_EQ(s.dump().find("checkbox"), std::string::npos);

  Ok({"consent", "revoke", "--practice", practice_, "--patient", "P2", "--source", "staff_verbal", "--evidence",
      "patient called, asked for no contact"});
  s = Show("P2");
  for (const auto& [ch, purposes] : s["channels"].items()) {
    for (const auto& [pu, state] : purposes.items()) EXPECT_EQ(state, "revoked") << ch << "/" << pu;
  }
  EXPECT_EQ(s["history"].size(), 2u);
}

TEST_F(ConsentCliTest, InboundStopRevokesEveryChannel) {
  Ok({"consent", "record", "--practice", practice_, "--patient", "P1", "--channel", "email", "--purpose", "care",
      "--source", "intake_form", "--evidence", "intake form"});
  auto in = Ok({"inbound", "sms", "--practice", practice_, "--from", kPhone, "--body", "STOP"});
  EXPECT_EQ(in["intent"], "opt_out");
  EXPECT_EQ(in["patient_found"], true);
  EXPECT_NE(in["reply"].get<std::string>().find("Maple Family Dental"), std::string::npos);
  EXPECT_TRUE(Has(in["effects"], "consent.revoked_all"));
  auto s = Show();
  for (const auto& [ch, purposes] : s["channels"].items()) {
    for (const auto& [pu, state] : purposes.items()) EXPECT_EQ(state, "revoked") << ch << "/" << pu;
  }

  // START restores only sms.
  auto start = Ok({"inbound", "sms", "--practice", practice_, "--from", kPhone, "--body", "START"});
  EXPECT_EQ(start["intent"], "opt_in");
  s = Show();
  EXPECT_EQ(s["channels"]["sms"]["care"], "granted");
  EXPECT_EQ(s["channels"]["email"]["care"], "revoked");
}

TEST_F(ConsentCliTest, ClassifyHasNoSideEffects) {
  const int64_t before = AuditRecords();
  EXPECT_EQ(Ok({"classify"}, "STOP\n")["intent"], "opt_out");
  EXPECT_EQ(Ok({"classify"}, "Can I stop by tomorrow?")["intent"], "other");
  EXPECT_EQ(Ok({"classify"}, "HELP")["intent"], "help");
  EXPECT_EQ(Ok({"classify"}, "C")["intent"], "confirm");
  EXPECT_EQ(Ok({"classify"}, "START")["intent"], "opt_in");
  EXPECT_EQ(Ok({"classify"}, "")["intent"], "other");
  EXPECT_EQ(Ok({"classify"}, std::string(1 << 20, 'x'))["intent"], "other");
  EXPECT_EQ(Ok({"classify"}, "\xff\xfe\xfd")["intent"], "other");
  EXPECT_EQ(AuditRecords(), before);  // not even an audit record
}

TEST_F(ConsentCliTest, BadInputIsRefusedAndChangesNothing) {
  const json before = Show();
  auto unknown = Recall({"consent", "show", "--practice", practice_, "--patient", "P404"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("recall: error"), std::string::npos);
  auto channel = Recall({"consent", "record", "--practice", practice_, "--patient", "P1", "--channel", "fax",
                         "--purpose", "care", "--source", "intake_form", "--evidence", "x"});
  EXPECT_EQ(channel.exit_code, 1);
  EXPECT_NE(channel.err.find("unknown channel"), std::string::npos);
  auto revoke = Recall({"consent", "revoke", "--practice", practice_, "--patient", "P404", "--source",
                        "staff_verbal", "--evidence", "x"});
  EXPECT_EQ(revoke.exit_code, 1);
  auto from = Recall({"inbound", "sms", "--practice", practice_, "--from", "not-a-phone", "--body", "STOP"});
  EXPECT_EQ(from.exit_code, 1);

  for (const std::string& body : {std::string(""), std::string("\xc3\x28 \xff")}) {
    auto r = Ok({"inbound", "sms", "--practice", practice_, "--from", kPhone, "--body", body});
    EXPECT_EQ(r["intent"], "other");
    EXPECT_EQ(r["reply"], "");
  }
  auto big = Ok({"inbound", "sms", "--practice", practice_, "--from", kPhone, "--body", "-"},
                std::string(1 << 20, 'b'));
  EXPECT_EQ(big["intent"], "other");
  EXPECT_EQ(Show()["channels"], before["channels"]);
  EXPECT_EQ(Show()["history"], before["history"]);
}

TEST_F(ConsentCliTest, UnsubscribeTokenAndFhirExport) {
  auto token = Ok({"consent", "unsubscribe-token", "--practice", practice_, "--patient", "P1"})["token"];
  auto bad = Recall({"consent", "unsubscribe", "--token", token.get<std::string>() + "0"});
  EXPECT_EQ(bad.exit_code, 1);
  auto u = Ok({"consent", "unsubscribe", "--token", token});
  EXPECT_EQ(u["unsubscribed"], true);
  EXPECT_EQ(Show()["channels"]["sms"]["care"], "revoked");

  auto bundle = Ok({"consent", "export", "--practice", practice_, "--patient", "P1", "--format", "fhir"});
  EXPECT_EQ(bundle["resourceType"], "Bundle");
  ASSERT_EQ(bundle["entry"].size(), 2u);
  EXPECT_EQ(bundle["entry"][0]["resource"]["resourceType"], "Consent");
  EXPECT_EQ(bundle["entry"][1]["resource"]["provision"]["type"], "deny");
}

TEST_F(ConsentCliTest, LanguageAndReassignedNumbers) {
  auto l = Ok({"consent", "language", "add", "--practice", practice_, "--channel", "sms", "--text",
               "I consent to receive appointment reminders via text message from this practice. I understand I may "
               "opt out at any time."});
  EXPECT_EQ(l["version"].get<std::string>().rfind("clv_", 0), 0u);
  Ok({"consent", "record", "--practice", practice_, "--patient", "P2", "--channel", "sms", "--purpose", "care",
      "--source", "intake_form", "--evidence", "intake form"});
  auto s = Show("P2");
  EXPECT_EQ(s["history"][0]["language_version"], l["version"]);

  // The CLI runs on the system clock: the number was disconnected today, after the consent above.
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(today.year()),
                static_cast<unsigned>(today.month()), static_cast<unsigned>(today.day()));
  const std::string list =
      WriteFile("rnd.csv", std::string("phone_number,date_provided,result\n(217) 555-0150,") + date + ",yes\n");
  auto r = Ok({"reassigned", "import", "--practice", practice_, list});
  EXPECT_EQ(r["imported"], 1);
  s = Show("P2");
  EXPECT_EQ(s["channels"]["sms"]["care"], "none");
  ASSERT_EQ(s["invalidated"].size(), 1u);
  EXPECT_EQ(s["invalidated"][0]["reason"], "number_reassigned");
  auto check = Ok({"consent", "check", "--practice", practice_, "--patient",
                   s["patient_id"].get<std::string>(), "--channel", "sms", "--purpose", "care"});
  EXPECT_EQ(check["allowed"], false);
  EXPECT_EQ(check["reason"], "number_reassigned");
}

}  // namespace
}  // namespace recall::testing
