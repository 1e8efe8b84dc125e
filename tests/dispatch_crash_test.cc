// End-to-end crash test (issue 5): the real `recall worker` sends a campaign's
// email to a real SMTP server (aiosmtpd, SmtpSink) and is killed with SIGKILL
// at random moments, many times, then restarted. At the end every planned
// message has arrived at least once and is `sent` in the outbox, every arrival
// is a message the outbox knows, and the repeats (same Message-ID twice) are
// at most one per kill: a worker sends one message at a time, so only the
// message in flight when it died can go out again.
//
// Time: every command runs with RECALL_TEST_CLOCK (docs/cli.md), a clock that
// starts mid-day in every US zone and advances with real time, so quiet hours
// and send windows never depend on when the test runs. Each child gets the
// test's own virtual "now", so the clock never runs backwards across restarts.
// Only counts are asserted, never timings. Synthetic data only.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/testing/smtp_sink.h"
#include "cli_runner.h"
#include "common/clock.h"

namespace recall::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// 14:00 in New York, 11:00 in Los Angeles, 09:00 in Honolulu.
constexpr char kVirtualStart[] = "2026-11-25T19:00:00Z";
constexpr int kPatients = 300;
constexpr int kSeed = 20261125;
// Kill rounds. Loading the scanner takes a worker a second or more, so most
// rounds wait for the worker's first arrival at the sink and then kill it a
// random 0..kDispatchDelayMs later, mid-dispatch (in an SMTP exchange, a store
// transaction or the rate limiter's wait); every kBlindEvery-th round kills
// blind, 20..400 ms after the start (scanner load, planning, first claim).
constexpr int kRounds = 26;  // 4 blind, 22 mid-dispatch
constexpr int kBlindEvery = 6;
constexpr int kDispatchDelayMs = 250;
// The sender's pace (channels.json): slow enough that the ~150 messages
// outlast the kill rounds, so the kills land during dispatch, not after it.
constexpr int kRatePerSecond = 25;

constexpr char kEmailBody[] =
    "<p>Hi {{first_name}},</p><p>You are due for a visit at {{practice_name}}. Call {{practice_phone}} to book."
    "</p><p>{{practice_address}} - <a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";

// The message id in an email's Message-ID header (<msg_...@domain>).
std::string MessageIdOf(const std::string& raw) {
  std::istringstream in(raw);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") break;  // end of the header
    if (line.size() < 11 || strncasecmp(line.c_str(), "Message-ID:", 11) != 0) continue;
    const size_t open = line.find('<'), at = line.find('@', open);
    if (open == std::string::npos || at == std::string::npos) return "";
    return line.substr(open + 1, at - open - 1);
  }
  return "";
}

// The fields of one line of the synthetic export (quoted fields hold no quotes).
std::vector<std::string> SplitCsvLine(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += ch;
    }
  }
  return fields;
}

class DispatchCrashTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    start_ = SteadyClock::now();
    auto virtual_start = ParseRfc3339(kVirtualStart);
    ASSERT_TRUE(virtual_start.ok());
    virtual_start_ = *virtual_start;
  }

  // The test's virtual now: kVirtualStart plus the real time since SetUp.
  std::string VirtualNow() const {
    return FormatRfc3339Millis(virtual_start_ +
                               std::chrono::duration_cast<TimePoint::duration>(SteadyClock::now() - start_));
  }
  std::vector<std::string> Env(const std::string& actor) const {
    return {"RECALL_ACTOR=" + actor, "RECALL_TEST_CLOCK=" + VirtualNow()};
  }

  CliResult As(const std::string& actor, std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, stdin_text, Env(actor));
  }
  json Ok(const std::string& actor, std::vector<std::string> args, const std::string& stdin_text = "") {
    auto r = As(actor, std::move(args), stdin_text);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  // `recall worker` (runs until stopped) as a direct child: no shell, so the
  // SIGKILL reaches the worker itself. Output is appended to worker.log.
  pid_t SpawnWorker(const std::string& channels) {
    const char* bin = std::getenv("RECALL_BINARY");
    if (bin == nullptr) return -1;
    const std::string log = (dir_ / "worker.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<std::string> argv_s = {bin,         "--data", data_, "--json",     "worker", "--lease-seconds",
                                       "1",         "--batch", "4",  "--channels", channels};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
    for (auto& e : Env("crash-worker")) env_s.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, bin, &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  // Outbox rows of the campaign: message id -> state, read-only.
  std::map<std::string, std::string> OutboxStates(const std::string& campaign) {
    std::map<std::string, std::string> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((data_ + "/recall.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT message_id, state FROM outbox WHERE campaign_id = ? AND channel = 'email'",
                                 -1, &st, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_bind_text(st, 1, campaign.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
          reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  SteadyClock::time_point start_;
  TimePoint virtual_start_;
};

TEST_F(DispatchCrashTest, SigkilledWorkerLosesNothingAndRepeatsOnlyInFlight) {
  auto sink = channels::testing::SmtpSink::Start({});
  ASSERT_TRUE(sink.ok()) << sink.status().message();

  // --- a practice, 300 synthetic patients with care consent from the export.
  ASSERT_EQ(As("ben", {"init"}).exit_code, 0);
  json p = Ok("ben", {"practice", "add", "--name", "Maple Family Dental", "--address",
                      "1 Main St, Springfield, IL 62701", "--phone", "(217) 555-0100", "--email-from",
                      "Maple Family Dental <office@maple.example>", "--timezone", "America/Chicago", "--state", "IL"});
  const std::string practice = p.value("practice_id", "");
  ASSERT_FALSE(practice.empty());
  const std::string baa = WriteFile("baa.pdf", "signed BAA (synthetic)");
  Ok("ben", {"baa", "record", "--practice", practice, "--signed-by", "Dana Whitlock", "--signed-on", "2025-11-01",
             "--document", baa});
  auto synth = As("ben", {"synth", "patients", "--rows", std::to_string(kPatients), "--seed", std::to_string(kSeed),
                          "--consent-columns"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const std::string csv = WriteFile("export.csv", synth.out);
  json imported = Ok("ben", {"import", "csv", "--practice", practice, csv});
  ASSERT_EQ(imported.value("imported", 0), kPatients) << imported.dump();

  const std::string vendor_baa = WriteFile("vendor-baa.txt", "Business Associate Agreement (synthetic)");
  Ok("ben", {"vendor", "add", "--practice", practice, "--name", "Local mail relay", "--channel", "email",
             "--baa-signed-on", "2026-11-01", "--baa-document", vendor_baa});
  Ok("ben", {"practice", "settings", "set", "--practice", practice, "--json",
             R"({"public_base_url":"https://outreach.example"})"});
  const std::string channels = WriteFile(
      "channels.json", R"({"transports":[{"practice":"*","channel":"email","type":"smtp","host":"127.0.0.1","port":)" +
                           std::to_string((*sink)->port()) +
                           R"(,"tls":"none","rate_per_second":)" + std::to_string(kRatePerSecond) +
                           R"(,"burst":1}]})");

  // --- an approved email recall campaign, started (step 0 due now).
  Ok("ben", {"template", "add", "--practice", practice, "--name", "recall-email-en", "--channel", "email", "--tier",
             "1", "--purpose", "care", "--language", "en", "--subject", "{{practice_name}}: time to book your visit",
             "--body", kEmailBody});
  json c = Ok("ben", {"campaign", "create", "--practice", practice, "--name", "Crash test recall", "--kind", "recall",
                      "--purpose", "care", "--segment", "{}", "--step", "email:0:recall-email-en", "--start",
                      "2026-11-25T08:00", "--window", "08:00-20:00"});
  const std::string campaign = c.value("campaign_id", "");
  ASSERT_FALSE(campaign.empty()) << c.dump();
  Ok("ben", {"campaign", "submit", "--practice", practice, "--campaign", campaign});
  Ok("dana", {"campaign", "approve", "--practice", practice, "--campaign", campaign, "--by", "Dana Whitlock",
              "--title", "Practice Manager", "--statement",
              "I approve these messages, word for word, for the segment and schedule shown."});
  Ok("ben", {"campaign", "start", "--practice", practice, "--campaign", campaign});

  // --- kill the worker at random moments, restart it, many times.
  const auto arrived = [&](size_t n) {  // the sink has saved its n-th message
    char name[16];
    std::snprintf(name, sizeof(name), "/%04zu.eml", n);
    return std::filesystem::exists((*sink)->dir() + name);
  };
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> blind_ms(20, 400), dispatch_ms(0, kDispatchDelayMs);
  int kills = 0, kills_with_progress = 0, early_exits = 0;
  for (int round = 0; round < kRounds; ++round) {
    const size_t before = (*sink)->Messages().size();
    const pid_t pid = SpawnWorker(channels);
    ASSERT_GT(pid, 0) << "spawn failed";
    int status = 0;
    bool exited = false;
    if (round % kBlindEvery == kBlindEvery - 1) {
      std::this_thread::sleep_for(milliseconds(blind_ms(rng)));
    } else {
      // Until this worker's first message arrives (bounded: 60 s of start-up
      // on a loaded machine), then a random moment of its dispatch.
      const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
      while (!arrived(before + 1) && SteadyClock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          break;
        }
        std::this_thread::sleep_for(milliseconds(5));
      }
      if (!exited) std::this_thread::sleep_for(milliseconds(dispatch_ms(rng)));
    }
    if (exited || ::waitpid(pid, &status, WNOHANG) == pid) {
      ++early_exits;  // a worker that runs until stopped must not exit by itself
      continue;
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ++kills;
    if (arrived(before + 1)) ++kills_with_progress;
  }
  EXPECT_EQ(early_exits, 0) << ReadFileToString(dir_ / "worker.log");
  EXPECT_EQ(kills, kRounds);
  EXPECT_GE(kills_with_progress, kills / 2) << "most kills should land during dispatch";

  // --- past the last lease (1 s), one worker finishes what is left.
  const size_t arrived_during_kills = (*sink)->Messages().size();
  std::this_thread::sleep_for(milliseconds(1500));
  json finish = Ok("crash-worker", {"worker", "--until-idle", "--channels", channels});

  // --- what arrived, against what the outbox planned.
  const auto outbox = OutboxStates(campaign);
  std::map<std::string, int> arrivals;
  int unparsed = 0;
  for (const auto& m : (*sink)->Messages()) {
    const std::string id = MessageIdOf(m.raw);
    if (id.empty()) ++unparsed;
    ++arrivals[id];
  }
  int total_arrivals = 0, duplicates = 0, lost = 0, not_sent = 0, unknown = 0;
  for (const auto& [id, n] : arrivals) {
    total_arrivals += n;
    duplicates += n - 1;
    if (outbox.count(id) == 0) ++unknown;
  }
  for (const auto& [id, state] : outbox) {
    if (arrivals.count(id) == 0) ++lost;
    if (state != "sent") ++not_sent;
  }
  std::printf(
      "[crash] planned=%zu arrivals=%d (%zu during the kill phase) distinct=%zu duplicates=%d kills=%d "
      "(%d with progress) lost=%d not_sent=%d unknown=%d final_worker=%s\n",
      outbox.size(), total_arrivals, arrived_during_kills, arrivals.size(), duplicates, kills, kills_with_progress,
      lost, not_sent, unknown, finish.dump().c_str());

  // The planner expands the campaign to one email per patient with an email
  // address and email consent ("Y" in the export's Email Consent column).
  int expected = 0;
  {
    std::istringstream rows(synth.out);
    std::string line;
    std::getline(rows, line);
    const auto header = SplitCsvLine(line);
    const auto column = std::find(header.begin(), header.end(), "Email Consent") - header.begin();
    ASSERT_LT(static_cast<size_t>(column), header.size()) << line;
    while (std::getline(rows, line)) {
      const auto fields = SplitCsvLine(line);
      if (static_cast<size_t>(column) < fields.size() && fields[column] == "Y") ++expected;
    }
  }
  ASSERT_GT(expected, 100);
  EXPECT_EQ(static_cast<int>(outbox.size()), expected);
  EXPECT_EQ(unparsed, 0);
  EXPECT_EQ(lost, 0) << "planned messages that never arrived";
  EXPECT_EQ(not_sent, 0) << "outbox rows not in state sent";
  EXPECT_EQ(unknown, 0) << "arrivals the outbox does not know";
  EXPECT_LE(duplicates, kills) << "repeats beyond the one message in flight per kill";

  json report = Ok("ben", {"campaign", "report", "--practice", practice, "--campaign", campaign});
  std::printf("[crash] report=%s\n", report.dump().c_str());
  json verify = Ok("ben", {"audit", "verify"});
  EXPECT_EQ(verify.value("ok", false), true) << verify.dump();
}

}  // namespace
}  // namespace recall::testing
