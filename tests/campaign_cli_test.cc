// End-to-end: lint, template and campaign commands of the real `recall`
// binary, through approval and the one-character change that undoes it.
// Synthetic data only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kSmsEn[] =
    "Hi {{first_name}}, it has been a while since your last visit to {{practice_name}}. Book online or call "
    "{{practice_phone}}. Reply STOP to opt out.";

class CampaignCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(As("ben", {"init"}).exit_code, 0);
    auto p = As("ben", {"practice", "add", "--name", "Maple Family Dental", "--address",
                        "1 Main St, Springfield, IL 62701", "--phone", "(217) 555-0100", "--email-from",
                        "Maple Family Dental <office@maple.example>", "--timezone", "America/Chicago", "--state",
                        "IL"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    practice_ = json::parse(p.out)["practice_id"];
    const std::string doc = WriteFile("baa.pdf", "signed BAA (synthetic)");
    ASSERT_EQ(As("ben", {"baa", "record", "--practice", practice_, "--signed-by", "Dana Whitlock", "--signed-on",
                         "2025-11-01", "--document", doc})
                  .exit_code,
              0);
    const std::string csv = WriteFile(
        "export.csv",
        "Patient ID,First Name,Last Name,Cell Phone,Preferred Language,Status,Provider,Last Appt Date\n"
        "P1,Quintessa,Marlowe,(217) 555-0142,English,lapsed,Dr. Payne,2024-03-05\n"
        "P2,Bartholomew,Oakhurst,(217) 555-0143,Spanish,lapsed,Dr. Burns,2024-01-15\n"
        "P3,Ingrid,Vasquez,(217) 555-0145,English,active,Dr. Payne,2025-10-01\n");
    auto i = As("ben", {"import", "csv", "--practice", practice_, csv});
    ASSERT_EQ(i.exit_code, 0) << i.err;
  }

  // Runs as RECALL_ACTOR=actor with --data DIR --json.
  CliResult As(const std::string& actor, std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, stdin_text, {"RECALL_ACTOR=" + actor});
  }

  json Ok(const std::string& actor, std::vector<std::string> args, const std::string& stdin_text = "") {
    auto r = As(actor, std::move(args), stdin_text);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ExpectNoPhi(r);
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  static void ExpectNoPhi(const CliResult& r) {
    for (const char* phi : {"Quintessa", "Bartholomew", "Marlowe", "Oakhurst", "555-0142", "5550142"}) {
      EXPECT_EQ(r.out.find(phi), std::string::npos) << phi;
      EXPECT_EQ(r.err.find(phi), std::string::npos) << phi;
    }
  }

  std::string AddTemplate(const std::string& name, const std::string& channel, const std::string& language,
                          const std::string& body) {
    json t = Ok("ben", {"template", "add", "--practice", practice_, "--name", name, "--channel", channel, "--tier",
                        "1", "--purpose", "outreach", "--language", language, "--body", body});
    return t.value("template_id", "");
  }

  std::string practice_;
};

TEST_F(CampaignCliTest, LintVerdictsAndExitCodes) {
  auto blocked = As("ben", {"lint"}, "Hi Ana, your HIV test results are ready.");
  EXPECT_EQ(blocked.exit_code, 1);
  json b = json::parse(blocked.out);
  EXPECT_EQ(b["verdict"], "block");
  ASSERT_FALSE(b["findings"].empty());
  EXPECT_EQ(b["findings"][0]["category"], "sensitive_service");
  EXPECT_EQ(b["findings"][0]["match"], "HIV test");
  EXPECT_EQ(b["findings"][0]["start"], 13);
  EXPECT_EQ(b["findings"][0]["end"], 21);

  auto ok = As("ben", {"lint", "--channel", "sms", "--tier", "1"},
               "{{practice_name}}: Dr. Burns has an opening Friday at 10:15 AM. Reply STOP to opt out.");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(json::parse(ok.out)["verdict"], "ok");

  auto warn = As("ben", {"lint", "--channel", "sms"}, "Dr. Payne has an opening Friday at 10:15 AM.");
  EXPECT_EQ(warn.exit_code, 0);
  json w = json::parse(warn.out);
  EXPECT_EQ(w["verdict"], "warn");
  EXPECT_EQ(w["findings"][0]["category"], "required_element");

  auto portal = As("ben", {"lint", "--channel", "portal", "--tier", "3"}, "Your A1C of 9.2 is high.");
  EXPECT_EQ(portal.exit_code, 0);
  EXPECT_EQ(json::parse(portal.out)["verdict"], "warn");
  auto clinical_sms = As("ben", {"lint", "--channel", "sms", "--tier", "3"}, "Your A1C of 9.2 is high.");
  EXPECT_EQ(clinical_sms.exit_code, 1);
}

TEST_F(CampaignCliTest, TemplateAddRefusesClinicalContent) {
  auto r = As("ben", {"template", "add", "--practice", practice_, "--name", "refill", "--channel", "sms", "--tier",
                      "1", "--purpose", "outreach", "--language", "en", "--body",
                      "{{practice_name}}: time to refill your metformin. Reply STOP to opt out."});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("medication"), std::string::npos) << r.err;
  auto list = Ok("ben", {"template", "list", "--practice", practice_});
  EXPECT_TRUE(list["templates"].empty());
}

TEST_F(CampaignCliTest, ApproveThenOneCharacterChangeReturnsToDraft) {
  const std::string en = AddTemplate("reengage-sms-en", "sms", "en", kSmsEn);
  AddTemplate("reengage-sms-es", "sms", "es",
              "Hola {{first_name}}, hace tiempo que no nos visita en {{practice_name}}. Llame al "
              "{{practice_phone}}. Responda PARAR para no recibir mensajes.");
  json shown = Ok("ben", {"template", "show", "--practice", practice_, "--template", "reengage-sms-en"});
  EXPECT_EQ(shown["body"], kSmsEn);
  EXPECT_EQ(shown["version"], 1);

  json c = Ok("ben", {"campaign", "create", "--practice", practice_, "--name", "Lapsed winter", "--kind",
                      "re-engagement", "--purpose", "outreach", "--segment", R"({"status":"lapsed"})", "--step",
                      "sms:0:reengage-sms-en,reengage-sms-es", "--start", "2025-12-01T09:00", "--window",
                      "09:00-17:00"});
  const std::string id = c["campaign_id"];
  EXPECT_EQ(c["state"], "draft");
  EXPECT_EQ(c["author"], "cli:ben");

  json submitted = Ok("ben", {"campaign", "submit", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(submitted["state"], "submitted");
  const std::string hash = submitted["content_sha256"];

  json preview = Ok("dana", {"campaign", "preview", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(preview["matched"], 2);
  EXPECT_EQ(preview["content_sha256"], hash);
  ASSERT_EQ(preview["messages"].size(), 2u);
  for (const auto& m : preview["messages"]) {
    EXPECT_EQ(m["sms"]["encoding"], "GSM-7");
    EXPECT_NE(m["body"].get<std::string>().find("Maple Family Dental"), std::string::npos);
    EXPECT_NE(m["first_name"].get<std::string>().find("***"), std::string::npos);
  }

  // The author may not approve their own campaign.
  auto self = As("ben", {"campaign", "approve", "--practice", practice_, "--campaign", id, "--by", "Dana Whitlock",
                         "--title", "Office Manager", "--statement", "I approve these messages."});
  EXPECT_EQ(self.exit_code, 1);
  auto named = As("dana", {"campaign", "approve", "--practice", practice_, "--campaign", id, "--by", "Ben",
                           "--title", "Office Manager", "--statement", "I approve these messages."});
  EXPECT_EQ(named.exit_code, 1);

  json approval = Ok("dana", {"campaign", "approve", "--practice", practice_, "--campaign", id, "--by",
                              "Dana Whitlock", "--title", "Office Manager", "--statement",
                              "I approve these messages, word for word.", "--hash", hash});
  EXPECT_EQ(approval["content_sha256"], hash);
  EXPECT_EQ(approval["state"], "approved");
  json approved = Ok("ben", {"campaign", "show", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(approved["state"], "approved");
  EXPECT_EQ(approved["dispatchable"], true);
  EXPECT_EQ(approved["approvals"].size(), 1u);

  // One character.
  std::string edited = kSmsEn;
  edited[edited.find("visit")] = 'V';
  json edit = Ok("ben", {"template", "edit", "--practice", practice_, "--template", en, "--body", edited});
  EXPECT_EQ(edit["version"], 2);
  EXPECT_EQ(edit["reverted_campaigns"], json::array({id}));
  json after = Ok("ben", {"campaign", "show", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(after["state"], "draft");
  EXPECT_EQ(after["dispatchable"], false);
  EXPECT_EQ(after["approved_hash"], nullptr);
  EXPECT_NE(after["content_sha256"], hash);
  auto schedule = As("ben", {"campaign", "schedule", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(schedule.exit_code, 1);

  json verify = Ok("ben", {"audit", "verify"});
  EXPECT_EQ(verify["ok"], true);
}

TEST_F(CampaignCliTest, VoicePreviewWritesWavFiles) {
  AddTemplate("voice-en", "voice", "en",
              "Hello {{first_name}}, this is {{practice_name}}. Please call us back at {{callback_number}}.");
  AddTemplate("voice-es", "voice", "es",
              "Hola {{first_name}}, le llamamos de {{practice_name}}. Por favor llámenos al {{callback_number}}.");
  json c = Ok("ben", {"campaign", "create", "--practice", practice_, "--name", "Voice recall", "--kind", "recall",
                      "--purpose", "outreach", "--segment", R"({"status":"lapsed"})", "--step",
                      "voice:0:voice-en,voice-es"});
  const std::string out = (dir_ / "wav").string();
  json preview = Ok("dana", {"campaign", "preview", "--practice", practice_, "--campaign", c["campaign_id"],
                             "--sample", "2", "--out", out});
  ASSERT_EQ(preview["messages"].size(), 2u);
  for (const auto& m : preview["messages"]) {
    const std::string wav = m["wav"];
    EXPECT_TRUE(std::filesystem::exists(wav)) << wav;
    EXPECT_EQ(ReadFileToString(wav).substr(0, 4), "RIFF");
  }
}

TEST_F(CampaignCliTest, SequenceStepsWithFallbackConditionAndCallList) {
  AddTemplate("reengage-sms-en", "sms", "en", kSmsEn);
  AddTemplate("reengage-rvm-en", "rvm", "en",
              "Hello, this is {{practice_name}} for {{first_name}}. Please call us back at {{callback_number}}.");
  AddTemplate("reengage-voice-en", "voice", "en",
              "Hello {{first_name}}, this is {{practice_name}}. Please call us back at {{callback_number}}.");
  json c = Ok("ben", {"campaign", "create", "--practice", practice_, "--name", "Lapsed sequence", "--kind",
                      "re-engagement", "--purpose", "outreach", "--segment",
                      R"({"language":"en","status":"lapsed"})", "--step",
                      "sms>voice:0:reengage-sms-en,reengage-voice-en", "--step",
                      "rvm:72:reengage-rvm-en:if=no_response", "--step", "call_list:168::if=no_response", "--start",
                      "2025-12-01T09:00", "--window", "09:00-17:00"});
  const std::string id = c["campaign_id"];
  json shown = Ok("ben", {"campaign", "show", "--practice", practice_, "--campaign", id});
  ASSERT_EQ(shown["steps"].size(), 3u);
  const json& first = shown["steps"][0];
  EXPECT_EQ(first["channel"], "sms");
  EXPECT_EQ(first["fallback"], json::array({"voice"}));
  EXPECT_EQ(first["condition"], "always");
  EXPECT_EQ(first["delay_hours"], 0);
  ASSERT_EQ(first["variants"].size(), 2u);
  EXPECT_EQ(first["variants"][0]["channel"], "sms");
  EXPECT_EQ(first["variants"][0]["language"], "en");
  EXPECT_EQ(first["variants"][1]["channel"], "voice");
  EXPECT_EQ(shown["steps"][1]["fallback"], json::array());
  EXPECT_EQ(shown["steps"][1]["condition"], "no_response");
  EXPECT_EQ(shown["steps"][2]["channel"], "call_list");
  EXPECT_EQ(shown["steps"][2]["delay_hours"], 168);
  EXPECT_EQ(shown["steps"][2]["variants"], json::array());

  json submitted = Ok("ben", {"campaign", "submit", "--practice", practice_, "--campaign", id});
  EXPECT_EQ(submitted["state"], "submitted");
  json preview = Ok("dana", {"campaign", "preview", "--practice", practice_, "--campaign", id});
  // One English recipient: step 1 on sms and voice, step 2 on rvm.
  ASSERT_EQ(preview["messages"].size(), 3u);
  EXPECT_EQ(preview["messages"][1]["channel"], "voice");

  // A fallback without templates, and a bad spec, are refused with a reason.
  auto missing = As("ben", {"campaign", "edit", "--practice", practice_, "--campaign", id, "--step",
                            "sms>email:0:reengage-sms-en"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("fallback channel email has no template"), std::string::npos) << missing.err;
  auto bad = As("ben", {"campaign", "edit", "--practice", practice_, "--campaign", id, "--step", "sms>sms:0:x"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("the step's own channel"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace recall::testing
