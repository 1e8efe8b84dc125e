// End-to-end: signed audit checkpoints, `recall audit verify` over chain and
// signatures, `recall audit export` (JSON Lines, FHIR R4 validated by the
// independent npm `fhir` package), and six-year retention (issue 8, item 3).
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

// Runs `argv` (found on PATH) with stdout to `out_file`; returns the exit code.
int RunToFile(const std::vector<std::string>& args, const std::string& out_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int code = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  return code;
}

class AuditCli : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    // Small interval so a short history holds several checkpoints (children inherit it).
    ::setenv("RECALL_AUDIT_CHECKPOINT_EVERY", "3", 1);
  }
  void TearDown() override {
    ::unsetenv("RECALL_AUDIT_CHECKPOINT_EVERY");
    CliTest::TearDown();
  }

  // init + practice.create + 8 x patient.list = 10 records; checkpoints at 3, 6, 9.
  std::string History() {
    EXPECT_EQ(Recall({"init"}).exit_code, 0);
    auto r = Recall({"practice", "add", "--name", "Maple Family Dental", "--address",
                     "1 Main St, Springfield, IL 62701", "--phone", "(217) 555-0100", "--email-from",
                     "Maple Family Dental <office@maple.example>", "--timezone", "America/Chicago", "--state", "IL"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string id = json::parse(r.out).at("practice_id");
    for (int i = 0; i < 8; ++i) EXPECT_EQ(Recall({"patient", "list", "--practice", id}).exit_code, 0);
    return id;
  }

  // Runs SQL against the store directly, as someone with file access would
  // (dropping the append-only triggers first).
  std::string Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((data_ + "/recall.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    std::string out;
    const int rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* o, int n, char** values, char**) {
          for (int i = 0; i < n; ++i) *static_cast<std::string*>(o) += values[i] ? values[i] : "";
          return 0;
        },
        &out, &err);
    if (rc != SQLITE_OK) out = std::string("error: ") + (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }
  static constexpr const char* kDropTriggers =
      "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; "
      "DROP TRIGGER IF EXISTS audit_log_retention; DROP TRIGGER IF EXISTS audit_checkpoints_no_update; "
      "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete; ";

  json Verify(int expect_exit) {
    auto r = Recall({"audit", "verify"});
    EXPECT_EQ(r.exit_code, expect_exit) << r.err;
    return json::parse(r.out);
  }
};

TEST_F(AuditCli, CheckpointsEveryNRecordsAndVerify) {
  History();
  json v = Verify(0);
  EXPECT_EQ(v.at("ok"), true);
  EXPECT_EQ(v.at("records"), 10);
  EXPECT_EQ(v.at("checkpoints"), 3);
  EXPECT_EQ(v.at("checkpoints_verified"), 3);
  EXPECT_EQ(v.at("last_checkpoint_seq"), 9);
  EXPECT_TRUE(v.at("first_bad_checkpoint").is_null());
  EXPECT_TRUE(v.at("first_bad_seq").is_null());
  // The checkpoint names this installation's key: first 16 hex of SHA-256(public key).
  EXPECT_EQ(Sql("SELECT count(DISTINCT key_id) FROM audit_checkpoints"), "1");
  EXPECT_EQ(Sql("SELECT length(key_id) || ',' || length(public_key) || ',' || length(signature) "
                "FROM audit_checkpoints WHERE seq = 3"),
            "16,64,128");

  // The time-based checkpoint signs the head once.
  auto c = Recall({"audit", "checkpoint"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json::parse(c.out).at("signed"), true);
  EXPECT_EQ(json::parse(c.out).at("seq"), 10);
  EXPECT_EQ(json::parse(Recall({"audit", "checkpoint"}).out).at("signed"), false);
  v = Verify(0);
  EXPECT_EQ(v.at("checkpoints_verified"), 4);
  EXPECT_EQ(v.at("last_checkpoint_seq"), 10);
}

// Each checkpoint tamper on a fresh history: verify exits 1 naming the checkpoint.
class CheckpointTamper : public AuditCli, public ::testing::WithParamInterface<std::pair<std::string, int>> {};

TEST_P(CheckpointTamper, NamesBadCheckpoint) {
  History();
  ASSERT_EQ(Verify(0).at("ok"), true);
  ASSERT_EQ(Sql(std::string(kDropTriggers) + GetParam().first), "");
  auto r = Recall({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 1);
  json v = json::parse(r.out);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("first_bad_checkpoint"), GetParam().second) << v.dump();
  EXPECT_NE(r.err.find("checkpoint at record " + std::to_string(GetParam().second)), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CheckpointTamper,
    ::testing::Values(
        // One flipped hex digit of a signature.
        std::make_pair(std::string("UPDATE audit_checkpoints SET signature = (CASE substr(signature, 1, 1) WHEN '0' "
                                   "THEN '1' ELSE '0' END) || substr(signature, 2) WHERE seq = 6"),
                       6),
        // The checkpoint moved to another head (hash of an earlier record).
        std::make_pair(std::string("UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_log WHERE seq = 2) "
                                   "WHERE seq = 3"),
                       3),
        // The signed time changed.
        std::make_pair(std::string("UPDATE audit_checkpoints SET created_at = '2020-01-01T00:00:00.000Z' WHERE seq = 9"),
                       9),
        // Re-signed by a key this installation does not know (RFC 8032 test key 1).
        std::make_pair(std::string("UPDATE audit_checkpoints SET public_key = "
                                   "'d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' WHERE seq = 3"),
                       3),
        // The newest records truncated (together with their checkpoint-free tail):
        // the chain alone cannot see it, checkpoint 9 can.
        std::make_pair(std::string("DELETE FROM audit_log WHERE seq >= 8"), 9)));

TEST_F(AuditCli, RecordTamperStillNamesTheRecord) {
  History();
  ASSERT_EQ(Sql(std::string(kDropTriggers) + "UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 5"), "");
  auto r = Recall({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 1);
  json v = json::parse(r.out);
  EXPECT_EQ(v.at("first_bad_seq"), 5);
  EXPECT_EQ(v.at("checkpoints_verified"), 1);  // checkpoint 3, before the break
}

TEST_F(AuditCli, RetentionRefusesDeletingYoungRecords) {
  History();
  // Even with the append-only trigger gone, the retention trigger keeps records younger than six years.
  const std::string out = Sql("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 10");
  EXPECT_NE(out.find("six years"), std::string::npos) << out;
  EXPECT_NE(Sql("DELETE FROM audit_checkpoints WHERE seq = 3").find("append-only"), std::string::npos);
  EXPECT_NE(Sql("UPDATE audit_checkpoints SET seq = 4 WHERE seq = 3").find("append-only"), std::string::npos);
  EXPECT_EQ(Verify(0).at("records"), 10);
}

TEST_F(AuditCli, ExportJsonLinesIsAudited) {
  const std::string id = History();
  const std::string out = (dir_ / "audit.jsonl").string();
  auto r = Recall({"audit", "export", "--from", "2000-01-01", "--to", "2100-12-31", "--format", "jsonl", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("records"), 10);
  std::ifstream in(out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    json j = json::parse(line);
    EXPECT_EQ(j.at("seq"), ++n);
    EXPECT_EQ(j.at("hash").get<std::string>().size(), 64u);
    EXPECT_EQ(line.find("Maple"), std::string::npos);
    // The practice's phone in any spelling (a bare "555" also occurs by chance in hashes).
    EXPECT_EQ(line.find("555-0100"), std::string::npos);
    EXPECT_EQ(line.find("2175550100"), std::string::npos);
  }
  EXPECT_EQ(n, 10);
  // The export is itself audited, with the count and the range.
  EXPECT_NE(Sql("SELECT details FROM audit_log WHERE action = 'audit.export'").find("\"count\":10"), std::string::npos);
  // An empty range exports nothing; a reversed one is refused.
  r = Recall({"audit", "export", "--from", "2001-01-01", "--to", "2001-01-31", "--out", out});
  EXPECT_EQ(json::parse(r.out).at("records"), 0);
  EXPECT_EQ(Recall({"audit", "export", "--from", "2001-02-01", "--to", "2001-01-01", "--out", out}).exit_code, 1);
  // One practice only.
  r = Recall({"audit", "export", "--from", "2000-01-01", "--to", "2100-12-31", "--practice", id, "--out", out});
  EXPECT_EQ(json::parse(r.out).at("records"), 9);  // practice.create + 8 x patient.list
  EXPECT_EQ(Verify(0).at("ok"), true);
}

TEST_F(AuditCli, ExportFhirValidatesWithIndependentValidator) {
  const std::filesystem::path node_dir = std::filesystem::path(std::getenv("RECALL_SOURCE_DIR")) / "tests" / "node";
  if (!std::filesystem::exists(node_dir / "node_modules" / "fhir")) {
    GTEST_SKIP() << "tests/node/node_modules missing: run scripts/install-deps (npm ci --prefix tests/node)";
  }
  History();
  const std::string out = (dir_ / "audit.fhir.json").string();
  auto r = Recall({"audit", "export", "--from", "2000-01-01", "--to", "2100-12-31", "--format", "fhir", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json bundle = json::parse(ReadFileToString(out));
  EXPECT_EQ(bundle.at("resourceType"), "Bundle");
  EXPECT_EQ(bundle.at("type"), "collection");
  ASSERT_EQ(bundle.at("entry").size(), 10u);
  const json& ev = bundle.at("entry").at(2).at("resource");  // a patient.list
  EXPECT_EQ(ev.at("resourceType"), "AuditEvent");
  EXPECT_EQ(ev.at("action"), "R");
  EXPECT_EQ(ev.at("agent").at(0).at("who").at("display").get<std::string>().rfind("cli:", 0), 0u);
  EXPECT_TRUE(ev.at("source").contains("site"));

  const std::string validation = (dir_ / "validation.json").string();
  auto v = RunToFile({"node", (node_dir / "validate-fhir.js").string(), out}, validation);
  EXPECT_EQ(v, 0) << ReadFileToString(validation);
  json result = json::parse(ReadFileToString(validation));
  EXPECT_EQ(result.at("valid"), true) << result.dump();
  EXPECT_EQ(result.at("resources"), 10);

  // The validator is not a rubber stamp: a broken AuditEvent fails.
  bundle["entry"][0]["resource"].erase("agent");
  std::ofstream(dir_ / "broken.json") << bundle.dump();
  EXPECT_EQ(RunToFile({"node", (node_dir / "validate-fhir.js").string(), (dir_ / "broken.json").string()},
                          validation),
            1);
}

}  // namespace
}  // namespace recall::testing
