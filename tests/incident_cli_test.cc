// End-to-end: `recall incident open|update|close|list|show` with --json, and the
// triggers that open incidents by themselves from the binary: a tampered audit
// log that `recall audit verify` refuses, and a run of PHI reveals past the
// threshold (issue 8, item 5).
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

class IncidentCli : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Recall({"init"}).exit_code, 0);
    practice_ = AddPractice("Maple Family Dental", "72");
    other_ = AddPractice("Oak Street Dental", "24");
  }

  std::string AddPractice(const std::string& name, const std::string& hours) {
    auto r = Recall({"practice", "add", "--name", name, "--address", "1 Main St, Springfield, IL 62701", "--phone",
                     "(217) 555-0100", "--email-from", name + " <office@maple.example>", "--timezone",
                     "America/Chicago", "--state", "IL"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string id = json::parse(r.out).at("practice_id");
    const std::string doc = WriteFile("baa-" + id + ".pdf", "signed BAA document (synthetic)");
    auto b = Recall({"baa", "record", "--practice", id, "--signed-by", "Dana Whitlock", "--signed-on", "2025-11-01",
                     "--document", doc, "--breach-notice-hours", hours});
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return id;
  }

  json Ok(const std::vector<std::string>& args) {
    auto r = Recall(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  std::string Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((data_ + "/recall.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string out = rc == SQLITE_OK ? "" : std::string("error: ") + (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  std::string practice_, other_;
};

TEST_F(IncidentCli, OpenUpdateCloseListShowWithJson) {
  // Discovered long ago: both practices' deadlines have passed.
  json opened = Ok({"incident", "open", "--description", "laptop with a contact-list export stolen from a car",
                    "--discovered-at", "2025-01-10T09:00:00Z", "--severity", "high", "--practice", practice_,
                    "--affected", "120", "--practice", other_, "--affected", "30"});
  const std::string id = opened.at("incident_id");
  EXPECT_EQ(id.rfind("inc_", 0), 0u);
  EXPECT_EQ(opened.at("status"), "open");
  EXPECT_EQ(opened.at("source"), "manual");
  EXPECT_EQ(opened.at("affected"), 150);
  ASSERT_EQ(opened.at("practices").size(), 2u);
  EXPECT_EQ(opened.at("practices")[0].at("contractual_deadline"), "2025-01-13T09:00:00.000Z");  // 72 h
  EXPECT_EQ(opened.at("practices")[1].at("contractual_deadline"), "2025-01-11T09:00:00.000Z");  // 24 h
  EXPECT_EQ(opened.at("practices")[1].at("regulatory_deadline"), "2025-03-11T09:00:00.000Z");   // 60 days
  EXPECT_EQ(opened.at("overdue"), true);

  json overdue = Ok({"incident", "list", "--overdue"});
  ASSERT_EQ(overdue.at("incidents").size(), 1u);
  EXPECT_EQ(overdue.at("overdue"), 1);

  // Notify both practices: no longer overdue.
  json updated = Ok({"incident", "update", "--incident", id, "--notified", practice_, "--recipient", "privacy officer",
                     "--channel", "email", "--notified-at", "2025-01-11T10:00:00Z"});
  EXPECT_EQ(updated.at("practices")[0].at("notified"), true);
  EXPECT_EQ(updated.at("overdue"), true);
  updated = Ok({"incident", "update", "--incident", id, "--notified", other_, "--recipient", "practice administrator",
                "--channel", "phone", "--severity", "critical", "--description", "laptop stolen; disk encrypted"});
  EXPECT_EQ(updated.at("overdue"), false);
  EXPECT_EQ(updated.at("severity"), "critical");
  EXPECT_EQ(Ok({"incident", "list", "--overdue"}).at("incidents").size(), 0u);

  // Bad input: clear error, exit 1, nothing changed.
  auto phi = Recall({"incident", "update", "--incident", id, "--description", "patient jane@example.com called"});
  EXPECT_EQ(phi.exit_code, 1);
  EXPECT_NE(phi.err.find("PHI"), std::string::npos) << phi.err;
  EXPECT_EQ(phi.err.find("jane"), std::string::npos) << "the error repeats no PHI";
  EXPECT_EQ(Recall({"incident", "open", "--description", "x", "--practice", practice_}).exit_code, 1)
      << "--practice without --affected";
  EXPECT_EQ(Recall({"incident", "update", "--incident", "inc_nope", "--severity", "low"}).exit_code, 1);
  EXPECT_EQ(Recall({"incident", "open"}).exit_code, 2) << "usage: --description is required";

  json closed = Ok({"incident", "close", "--incident", id, "--resolution", "disk encryption verified; low risk"});
  EXPECT_EQ(closed.at("status"), "closed");
  EXPECT_EQ(Ok({"incident", "list", "--open"}).at("incidents").size(), 0u);
  EXPECT_EQ(Recall({"incident", "close", "--incident", id, "--resolution", "again"}).exit_code, 1);

  json shown = Ok({"incident", "show", "--incident", id});
  EXPECT_EQ(shown.at("description"), "laptop stolen; disk encrypted");
  EXPECT_EQ(shown.at("notifications").size(), 2u);
  EXPECT_EQ(shown.at("updates").size(), 5u);  // opened, notified, updated, notified, closed
  EXPECT_EQ(Ok({"incident", "list"}).at("incidents").size(), 1u);

  // Every change is in the audit log, which still verifies.
  EXPECT_EQ(Ok({"audit", "verify"}).at("ok"), true);
}

TEST_F(IncidentCli, ATamperedAuditLogOpensAnAuditChainIncident) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Recall({"patient", "list", "--practice", practice_}).exit_code, 0);
  ASSERT_EQ(Sql("DROP TRIGGER IF EXISTS audit_log_no_update; "
                "UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 3"),
            "");
  auto verify = Recall({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_EQ(json::parse(verify.out).at("first_bad_seq"), 3);
  // Again: the same open incident is updated, not a second one opened.
  EXPECT_EQ(Recall({"audit", "verify"}).exit_code, 1);

  json list = Ok({"incident", "list", "--open"});
  ASSERT_EQ(list.at("incidents").size(), 1u);
  const json& incident = list.at("incidents")[0];
  EXPECT_EQ(incident.at("source"), "audit_chain");
  EXPECT_EQ(incident.at("severity"), "high");
  EXPECT_EQ(incident.at("trigger_count"), 2);
  EXPECT_NE(incident.at("description").get<std::string>().find("record 3"), std::string::npos);
}

TEST_F(IncidentCli, RevealsPastTheThresholdOpenARevealVolumeIncident) {
  auto synth = Recall({"synth", "patients", "--rows", "3"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  ASSERT_EQ(Recall({"import", "csv", "--practice", practice_, "-"}, synth.out).exit_code, 0);
  json patients = Ok({"patient", "list", "--practice", practice_});
  ASSERT_EQ(patients.at("patients").size(), 3u);
  const std::vector<std::string> env = {"RECALL_INCIDENT_REVEAL_THRESHOLD=2", "RECALL_ACTOR=alice"};
  auto reveal = [&](const json& p) {
    auto r = RunRecall({"--data", data_, "--json", "patient", "show", "--practice", practice_, "--patient",
                        p.at("patient_id").get<std::string>(), "--reveal", "--reason", "records request"},
                       "", env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  reveal(patients.at("patients")[0]);
  EXPECT_EQ(Ok({"incident", "list"}).at("incidents").size(), 0u);
  reveal(patients.at("patients")[1]);
  reveal(patients.at("patients")[2]);
  json list = Ok({"incident", "list", "--open"});
  ASSERT_EQ(list.at("incidents").size(), 1u);
  const json& incident = list.at("incidents")[0];
  EXPECT_EQ(incident.at("source"), "reveal_volume");
  EXPECT_EQ(incident.at("opened_by"), "cli:alice");
  EXPECT_EQ(incident.at("practices")[0].at("practice_id"), practice_);
  EXPECT_EQ(incident.at("practices")[0].at("affected"), 3);
}

}  // namespace
}  // namespace recall::testing
