// End-to-end: the foundation CLI contract (issue 2) through the real binary.
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  return std::string(std::getenv("RECALL_SOURCE_DIR")) + "/src/patients/testdata/" + name;
}

class FoundationCli : public CliTest {
 protected:
  std::string SetUpPractice(bool with_baa) {
    EXPECT_EQ(Recall({"init"}).exit_code, 0);
    auto r = Recall({"practice", "add", "--name", "Maple Family Dental", "--address",
                     "1 Main St, Springfield, IL 62701", "--phone", "(217) 555-0100", "--email-from",
                     "Maple Family Dental <office@maple.example>", "--timezone", "America/Chicago", "--state", "IL"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string id = json::parse(r.out).at("practice_id");
    if (with_baa) {
      auto b = Recall({"baa", "record", "--practice", id, "--signed-by", "Dana Whitlock", "--signed-on", "2025-11-01",
                       "--document", WriteFile("baa.pdf", "%PDF synthetic signed BAA")});
      EXPECT_EQ(b.exit_code, 0) << b.err;
    }
    return id;
  }

  // Runs SQL against the store directly, as an attacker with file access would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_ + "/recall.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const std::string all = "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; "
                            "DROP TRIGGER IF EXISTS audit_log_retention; " + sql;
    EXPECT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
};

TEST_F(FoundationCli, UsageAndUninitialisedErrors) {
  EXPECT_EQ(Recall({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Recall({"practice", "add", "--name", "x"}).exit_code, 2);
  auto r = Recall({"practice", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("recall init"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);  // one line
}

TEST_F(FoundationCli, PracticeValidation) {
  ASSERT_EQ(Recall({"init"}).exit_code, 0);
  auto bad_tz = Recall({"practice", "add", "--name", "X", "--address", "1 Main St", "--phone", "(217) 555-0100",
                        "--email-from", "a@x.example", "--timezone", "Mars/Base", "--state", "IL"});
  EXPECT_EQ(bad_tz.exit_code, 1);
  EXPECT_NE(bad_tz.err.find("time zone"), std::string::npos);
  auto bad_state = Recall({"practice", "add", "--name", "X", "--address", "1 Main St", "--phone", "(217) 555-0100",
                           "--email-from", "a@x.example", "--timezone", "America/Chicago", "--state", "ZZ"});
  EXPECT_EQ(bad_state.exit_code, 1);
  auto list = Recall({"practice", "list"});
  EXPECT_EQ(json::parse(list.out).at("practices").size(), 0u);
}

TEST_F(FoundationCli, ImportRefusedWithoutBaa) {
  const std::string id = SetUpPractice(false);
  auto r = Recall({"import", "csv", "--practice", id, Fixture("messy_export.csv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("BAA"), std::string::npos);
  EXPECT_EQ(json::parse(Recall({"patient", "list", "--practice", id}).out).at("patients").size(), 0u);
}

TEST_F(FoundationCli, ImportContractAndMaskedList) {
  const std::string id = SetUpPractice(true);
  auto r = Recall({"import", "csv", "--practice", id, Fixture("messy_export.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j.at("imported"), 4);
  EXPECT_EQ(j.at("updated"), 0);
  EXPECT_EQ(j.at("dropped_columns"), json({"DOB", "Primary Dx", "SSN", "Insurance Carrier", "Clinical Notes"}));
  ASSERT_EQ(j.at("rejected").size(), 10u);
  EXPECT_EQ(j.at("rejected")[0].at("line"), 7);
  EXPECT_EQ(j.at("rejected")[0].at("reason"), "invalid phone number");
  // No PHI in the report.
  for (const char* phi : {"555-0100", "not-an-email", "Ignatius", "Perpetua", "900-12-3456"}) {
    EXPECT_EQ(r.out.find(phi), std::string::npos) << phi;
    EXPECT_EQ(r.err.find(phi), std::string::npos) << phi;
  }
  // Re-import: all updates, no duplicates.
  auto again = Recall({"import", "csv", "--practice", id, Fixture("messy_export.csv")});
  EXPECT_EQ(json::parse(again.out).at("updated"), 4);
  EXPECT_EQ(json::parse(again.out).at("imported"), 0);

  auto list = json::parse(Recall({"patient", "list", "--practice", id}).out);
  ASSERT_EQ(list.at("patients").size(), 4u);
  bool found = false;
  for (const auto& p : list.at("patients")) {
    if (p.at("phone") == "+1 ***-***-0142") {
      found = true;
      EXPECT_EQ(p.at("first_name"), "Q***");
      EXPECT_EQ(p.at("last_name"), "M***");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(list.at("patients").dump().find("Quintessa"), std::string::npos);
}

TEST_F(FoundationCli, RevealNeedsReasonAndIsAudited) {
  const std::string id = SetUpPractice(true);
  ASSERT_EQ(Recall({"import", "csv", "--practice", id, Fixture("messy_export.csv")}).exit_code, 0);
  auto masked = Recall({"patient", "show", "--practice", id, "--patient", "SYN-001"});
  ASSERT_EQ(masked.exit_code, 0) << masked.err;
  EXPECT_EQ(json::parse(masked.out).at("first_name"), "Q***");
  EXPECT_EQ(Recall({"patient", "show", "--practice", id, "--patient", "SYN-001", "--reveal"}).exit_code, 1);
  auto shown = Recall({"patient", "show", "--practice", id, "--patient", "SYN-001", "--reveal", "--reason",
                       "patient called about billing"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out).at("first_name"), "Quintessa");
  // The reveal is in the audit log, pseudonymously, with no PHI.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_ + "/recall.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT subject, details FROM audit_log WHERE action = 'patient.reveal'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string subject = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  const std::string details = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(subject.rfind("sub_", 0), 0u);
  EXPECT_NE(details.find("patient called about billing"), std::string::npos);
  EXPECT_EQ(details.find("Quintessa"), std::string::npos);
}

TEST_F(FoundationCli, AuditVerifyAndTamperDetection) {
  const std::string id = SetUpPractice(true);
  ASSERT_EQ(Recall({"import", "csv", "--practice", id, Fixture("messy_export.csv")}).exit_code, 0);
  ASSERT_EQ(Recall({"patient", "list", "--practice", id}).exit_code, 0);
  ASSERT_EQ(Recall({"patient", "list", "--practice", id}).exit_code, 0);
  auto ok = Recall({"audit", "verify"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  json v = json::parse(ok.out);
  EXPECT_EQ(v.at("ok"), true);
  EXPECT_EQ(v.at("records"), 6);  // init, practice.create, baa.record, patient.import, 2 x patient.list
  EXPECT_TRUE(v.at("first_bad_seq").is_null());
}

// Each tamper case on a fresh copy of the same history.
class AuditTamper : public FoundationCli, public ::testing::WithParamInterface<std::pair<std::string, int>> {};

TEST_P(AuditTamper, NamesFirstBadRecord) {
  const std::string id = SetUpPractice(true);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Recall({"patient", "list", "--practice", id}).exit_code, 0);
  ASSERT_EQ(json::parse(Recall({"audit", "verify"}).out).at("ok"), true);
  Tamper(GetParam().first);
  auto r = Recall({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 1);
  json v = json::parse(r.out);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("first_bad_seq"), GetParam().second) << v.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AuditTamper,
    ::testing::Values(
        // A changed byte in one record's details.
        std::make_pair(std::string("UPDATE audit_log SET details = replace(details, 'true', 'True') WHERE seq = 5"), 5),
        // A changed actor.
        std::make_pair(std::string("UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 3"), 3),
        // A deleted record.
        std::make_pair(std::string("DELETE FROM audit_log WHERE seq = 4"), 5),
        // Two records reordered (their contents swapped, sequence numbers kept).
        std::make_pair(std::string("UPDATE audit_log SET seq = -1 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE "
                                   "seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = -1"),
                       5)));

}  // namespace
}  // namespace recall::testing
