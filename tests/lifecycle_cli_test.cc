// End-to-end purge test (issue 8, item 1): the real `recall` binary imports
// synthetic patients, sends a campaign through the local file channel into the
// data directory, purges it, and then reads every file under the data
// directory as raw bytes: none of the purged patients' names, phones (E.164 and
// national digits) or emails may occur anywhere. The remaining patients still
// reveal, and the audit chain still verifies. Offboarding the practice then
// removes every patient's values. Synthetic data only; 555-01xx numbers are
// reserved for fiction.
#include <sqlite3.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

struct SynthPatient {
  std::string id, first, last, phone_national, email, language, status;
  std::string e164() const { return "+1" + phone_national; }
  std::vector<std::string> Values() const { return {first, last, e164(), phone_national, email}; }
};

// Campaign A (lapsed patients) reaches the first three; the last two stay.
const std::vector<SynthPatient> kPurged = {
    {"SYN-P1", "Zephyrinea", "Quillfeatherby", "2175550157", "zephyrinea.quill@purge-test.example", "en", "lapsed"},
    {"SYN-P2", "Octavianus", "Brightwaterson", "2175550168", "octavianus.bw@purge-test.example", "en", "lapsed"},
    {"SYN-P3", "Marisoldea", "Fenwhistlowe", "2175550179", "marisoldea.fw@purge-test.example", "en", "lapsed"},
};
const std::vector<SynthPatient> kKept = {
    {"SYN-K1", "Thaddeusine", "Winterbloomes", "2175550183", "thaddeusine.wb@purge-test.example", "en", "active"},
    {"SYN-K2", "Persephonique", "Ravenscroftly", "2175550194", "persephonique.rc@purge-test.example", "en", "active"},
};

constexpr char kSms[] =
    "Hi {{first_name}}, {{practice_name}} here. You are due for a visit. Call {{practice_phone}} to book. Reply STOP "
    "to opt out.";

std::string Csv() {
  std::string csv = "Pt. ID,First Name,Last Name,Cell Phone,E-mail Address,Zip,State,Language,Status,SMS Consent\n";
  for (const auto* list : {&kPurged, &kKept}) {
    for (const auto& p : *list) {
      csv += p.id + "," + p.first + "," + p.last + "," + p.e164() + "," + p.email + ",62701,IL," + p.language + "," +
             p.status + ",Y\n";
    }
  }
  return csv;
}

// Every byte of every regular file under `dir`, by file.
std::map<std::string, std::string> FilesUnder(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) out[entry.path().string()] = ReadFileToString(entry.path());
  }
  return out;
}

// The files under `dir` that contain `value`.
std::vector<std::string> WhereFound(const std::map<std::string, std::string>& files, const std::string& value) {
  std::vector<std::string> where;
  for (const auto& [path, bytes] : files) {
    if (bytes.find(value) != std::string::npos) where.push_back(path);
  }
  return where;
}

class LifecycleCliTest : public CliTest {
 protected:
  std::vector<std::string> Env(const std::string& actor) const {
    // 13:00 in Chicago: inside the send window.
    return {"RECALL_ACTOR=" + actor, "RECALL_TEST_CLOCK=2026-11-25T19:00:00Z"};
  }
  CliResult As(const std::string& actor, std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, "", Env(actor));
  }
  json Ok(const std::string& actor, std::vector<std::string> args) {
    auto r = As(actor, args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  int64_t AuditHead() {
    sqlite3* db = nullptr;
    int64_t seq = -1;
    if (sqlite3_open_v2((data_ + "/recall.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT max(seq) FROM audit_log", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return seq;
  }
  std::string CampaignState(const std::string& practice, const std::string& campaign) {
    return Ok("ben", {"campaign", "show", "--practice", practice, "--campaign", campaign}).value("state", "");
  }
  void ExpectAbsent(const std::vector<SynthPatient>& patients, const std::string& when) {
    const auto files = FilesUnder(data_);
    ASSERT_FALSE(files.empty());
    for (const auto& p : patients) {
      for (const auto& value : p.Values()) {
        const auto where = WhereFound(files, value);
        EXPECT_TRUE(where.empty()) << when << ": a purged value of " << p.id << " is still in "
                                   << (where.empty() ? "" : where.front());
      }
    }
  }
};

TEST_F(LifecycleCliTest, PurgeAndOffboardLeaveNoPurgedValueInTheDataDirectory) {
  ASSERT_EQ(As("ben", {"init"}).exit_code, 0);
  const std::string practice =
      Ok("ben", {"practice", "add", "--name", "Maple Family Dental", "--address", "1 Main St, Springfield, IL 62701",
                 "--phone", "(217) 555-0100", "--email-from", "Maple Family Dental <office@maple.example>",
                 "--timezone", "America/Chicago", "--state", "IL"})
          .value("practice_id", "");
  ASSERT_FALSE(practice.empty());
  const std::string baa = WriteFile("baa.pdf", "signed BAA (synthetic)");
  Ok("ben", {"baa", "record", "--practice", practice, "--signed-by", "Dana Whitlock", "--signed-on", "2025-11-01",
             "--document", baa});
  const std::string csv_path = WriteFile("export.csv", Csv());
  ASSERT_EQ(Ok("ben", {"import", "csv", "--practice", practice, csv_path}).value("imported", 0), 5);
  const std::string vendor_baa = WriteFile("vendor-baa.txt", "Business Associate Agreement (synthetic)");
  Ok("ben", {"vendor", "add", "--practice", practice, "--name", "SMS gateway", "--channel", "sms", "--baa-signed-on",
             "2026-11-01", "--baa-document", vendor_baa});
  // The file channel writes into the data directory, as `make run` does.
  const std::string outbox_dir = data_ + "/outbox-files";
  const std::string channels = data_ + "/channels.json";
  std::ofstream(channels) << R"({"transports":[{"practice":"*","channel":"*","type":"file","dir":")" << outbox_dir
                          << R"(","rate_per_second":1000,"burst":1000}]})";

  Ok("ben", {"template", "add", "--practice", practice, "--name", "recall-sms-en", "--channel", "sms", "--tier", "1",
             "--purpose", "care", "--language", "en", "--body", kSms});
  const std::string campaign =
      Ok("ben", {"campaign", "create", "--practice", practice, "--name", "Lapsed recall", "--kind", "recall",
                 "--purpose", "care", "--segment", R"({"status":"lapsed"})", "--step", "sms:0:recall-sms-en",
                 "--start", "2026-11-25T08:00", "--window", "08:00-20:00"})
          .value("campaign_id", "");
  ASSERT_FALSE(campaign.empty());
  Ok("ben", {"campaign", "submit", "--practice", practice, "--campaign", campaign});
  Ok("dana", {"campaign", "approve", "--practice", practice, "--campaign", campaign, "--by", "Dana Whitlock",
              "--title", "Practice Manager", "--statement",
              "I approve these messages, word for word, for the segment and schedule shown."});
  Ok("ben", {"campaign", "start", "--practice", practice, "--campaign", campaign});
  Ok("ben", {"worker", "--until-idle", "--channels", channels});

  // The search can find what it looks for: every value is in the export, and
  // the messages the file channel wrote put the first names and phones of the
  // recipients into the data directory.
  {
    const std::map<std::string, std::string> exported = {{csv_path, ReadFileToString(csv_path)}};
    const auto files = FilesUnder(data_);
    for (const auto* list : {&kPurged, &kKept}) {
      for (const auto& p : *list) {
        for (const auto& value : p.Values()) EXPECT_FALSE(WhereFound(exported, value).empty()) << value;
      }
    }
    for (const auto& p : kPurged) {
      EXPECT_FALSE(WhereFound(files, p.first).empty()) << p.id << ": no message was written for them";
      EXPECT_FALSE(WhereFound(files, p.e164()).empty()) << p.id;
    }
  }

  // A purge of an unknown campaign changes nothing.
  const int64_t head = AuditHead();
  ASSERT_GT(head, 0);
  EXPECT_EQ(As("ben", {"campaign", "purge", "--campaign", "cmp_nosuchcampaign", "--out", (dir_ / "none").string()})
                .exit_code,
            1);
  EXPECT_EQ(AuditHead(), head);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none"));

  // --- purge the campaign.
  if (const std::string state = CampaignState(practice, campaign); state == "running" || state == "scheduled") {
    Ok("ben", {"campaign", "pause", "--practice", practice, "--campaign", campaign});
  }
  const std::string cert_dir = (dir_ / "certificate-campaign").string();
  json purged = Ok("ben", {"campaign", "purge", "--campaign", campaign, "--out", cert_dir});
  EXPECT_EQ(purged.value("practice_id", ""), practice) << purged.dump();
  EXPECT_EQ(purged.value("scope", ""), "campaign");
  EXPECT_EQ(purged["counts"].value("patients", -1), 3) << purged.dump();
  EXPECT_GE(purged["counts"].value("files", -1), 3) << purged.dump();
  EXPECT_EQ(purged.value("crypto_shredded", false), true) << purged.dump();
  EXPECT_GT(purged.value("audit_seq", 0), head);
  EXPECT_TRUE(std::filesystem::exists(cert_dir + "/deletion-certificate.json"));
  EXPECT_TRUE(std::filesystem::exists(cert_dir + "/deletion-certificate.pdf"));
  EXPECT_EQ(CampaignState(practice, campaign), "purged");

  ExpectAbsent(kPurged, "after the campaign purge");
  // The kept patients still reveal correctly (their fields moved to the new field key).
  for (const auto& p : kKept) {
    json shown = Ok("ben", {"patient", "show", "--practice", practice, "--patient", p.id, "--reveal", "--reason",
                            "purge test: the kept patients still reveal"});
    EXPECT_EQ(shown.value("first_name", ""), p.first) << shown.dump();
    EXPECT_EQ(shown.value("last_name", ""), p.last);
    EXPECT_EQ(shown.value("email", ""), p.email);
  }
  EXPECT_EQ(Ok("ben", {"audit", "verify"}).value("ok", false), true);
  json verified = Ok("ben", {"certificate", "verify", cert_dir + "/deletion-certificate.json"});
  EXPECT_EQ(verified.value("ok", false), true) << verified.dump();

  // A second purge of the same campaign is refused and changes nothing.
  const int64_t after = AuditHead();
  EXPECT_EQ(As("ben", {"campaign", "purge", "--practice", practice, "--campaign", campaign, "--out",
                       (dir_ / "again").string()})
                .exit_code,
            1);
  EXPECT_EQ(AuditHead(), after);

  // --- offboard the practice: nobody's values remain.
  const std::string offboard_dir = (dir_ / "certificate-practice").string();
  json off = Ok("ben", {"practice", "offboard", "--practice", practice, "--out", offboard_dir});
  EXPECT_EQ(off.value("scope", ""), "practice") << off.dump();
  EXPECT_EQ(off["counts"].value("patients", -1), 2) << off.dump();
  EXPECT_EQ(off.value("crypto_shredded", false), true) << off.dump();
  EXPECT_TRUE(std::filesystem::exists(offboard_dir + "/deletion-certificate.json"));
  ExpectAbsent(kPurged, "after offboarding");
  ExpectAbsent(kKept, "after offboarding");
  EXPECT_EQ(Ok("ben", {"audit", "verify"}).value("ok", false), true);
  // Nothing can be imported for it again.
  EXPECT_EQ(As("ben", {"import", "csv", "--practice", practice, csv_path}).exit_code, 1);
  EXPECT_EQ(As("ben", {"practice", "offboard", "--practice", practice, "--out", offboard_dir}).exit_code, 1);
}

}  // namespace
}  // namespace recall::testing
