// End-to-end: the human hand-off queue over `recall serve` (docs/handoffs.md).
// An urgent SMS through the Kannel webhook opens an item; staff list it, read
// it, acknowledge it, reply (scanned, through the file channel, Idempotency-Key
// honoured) and resolve it; staff of another practice get 403 / 404.
// Synthetic data only; port 0; the file channel stands in for the carrier.
#include <curl/curl.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "http_testing.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kPassword[] = "correct-horse-battery-staple";
constexpr char kKannelSecret[] = "kannel-secret-for-handoff-tests";

// JSON bodies: the shared helper with their Content-Type.
HttpResult HttpJson(const std::string& method, const std::string& url, const std::string& body = "",
                    std::vector<std::string> headers = {}) {
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return Http(method, url, body, headers);
}

class HandoffServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
    dir_ = std::filesystem::temp_directory_path() / ("recall-handoff-serve-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "data").string();
    ASSERT_EQ(Cli({"init"}).exit_code, 0);
    for (const std::string name : {"A", "B"}) {
      auto p = Cli({"practice", "add", "--name", "Practice " + name, "--address", "1 Main St, Springfield, IL 62701",
                    "--phone", name == "A" ? "(217) 555-0100" : "(217) 555-0200", "--email-from",
                    "Practice <office@practice.example>", "--timezone", "America/Chicago", "--state", "IL"});
      ASSERT_EQ(p.exit_code, 0) << p.err;
      practices_[name] = json::parse(p.out)["practice_id"];
    }
    const std::string doc = WriteFile("baa.pdf", "signed BAA (synthetic)");
    ASSERT_EQ(Cli({"baa", "record", "--practice", practices_["A"], "--signed-by", "Dana Whitlock", "--signed-on",
                   "2025-11-01", "--document", doc})
                  .exit_code,
              0);
    auto v = Cli({"vendor", "add", "--practice", practices_["A"], "--name", "SMS carrier", "--channel", "sms",
                  "--baa-signed-on", "2025-11-01", "--baa-document", doc});
    ASSERT_EQ(v.exit_code, 0) << v.err;
    const std::string csv = WriteFile("export.csv",
                                      "Patient ID,First Name,Last Name,Cell Phone,Email\n"
                                      "P1,Ana,Quill,(217) 555-0142,pat.one@example.com\n");
    auto i = Cli({"import", "csv", "--practice", practices_["A"], csv});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    outbox_ = (dir_ / "outbox-files").string();
    std::ofstream(std::filesystem::path(data_) / "channels.json")
        << R"({"transports": [{"practice": "*", "channel": "*", "type": "file", "dir": ")" + outbox_ + R"("}]})";

    for (const std::string name : {"A", "B"}) {
      const std::string login = std::string("staff-") + (name == "A" ? "a" : "b");
      ASSERT_EQ(Cli({"user", "add", "--login", login, "--name", "Staff " + name},
                    {std::string("RECALL_NEW_PASSWORD=") + kPassword})
                    .exit_code,
                0);
      ASSERT_EQ(Cli({"user", "grant", "--login", login, "--practice", practices_[name], "--role", "staff"}).exit_code,
                0);
      auto s = Cli({"user", "login", "--login", login}, {std::string("RECALL_PASSWORD=") + kPassword});
      ASSERT_EQ(s.exit_code, 0) << s.err;
      tokens_[name] = json::parse(s.out)["token"];
    }
    Spawn();
  }

  void TearDown() override {
    StopRecallServe(pid_);
    std::filesystem::remove_all(dir_);
    curl_global_cleanup();
  }

  CliResult Cli(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, "", env);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

  void Spawn() {
    ServeProcess serve = SpawnRecallServe({"--data", data_, "--json", "serve", "--listen", "127.0.0.1:0", "--no-worker"},
                                          (dir_ / "serve.out").string(),
                                          {std::string("RECALL_KANNEL_WEBHOOK_SECRET=") + kKannelSecret});
    pid_ = serve.pid;
    base_ = serve.url;
    ASSERT_TRUE(serve.error.empty()) << serve.error;
  }

  std::string Url(const std::string& path) const { return base_ + path; }
  std::string Bearer(const std::string& name) { return "Authorization: Bearer " + tokens_[name]; }
  std::string Queue(const std::string& practice) { return Url("/v1/practices/" + practices_[practice] + "/handoffs"); }

  std::filesystem::path dir_;
  std::string data_, outbox_, base_;
  std::map<std::string, std::string> practices_, tokens_;
  pid_t pid_ = -1;
};

TEST_F(HandoffServeTest, UrgentSmsToResolvedThroughTheApi) {
  // An urgent SMS from the patient, through the Kannel webhook.
  auto mo = HttpJson("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret +
                            "/sms?from=%2B12175550142&to=%2B12175550100&text=I%20have%20severe%20pain%20tonight&id=h-1"));
  ASSERT_EQ(mo.status, 200) << mo.body;

  // The queue shows it, without the text.
  auto list = HttpJson("GET", Queue("A") + "?status=open", "", {Bearer("A")});
  ASSERT_EQ(list.status, 200) << list.body;
  json items = json::parse(list.body)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["category"], "urgent");
  EXPECT_EQ(items[0]["status"], "open");
  EXPECT_EQ(list.body.find("severe"), std::string::npos);
  const std::string id = items[0]["handoff_id"];
  const std::string item = Queue("A") + "/" + id;

  // Reading it reveals the text.
  auto show = HttpJson("GET", item, "", {Bearer("A")});
  ASSERT_EQ(show.status, 200) << show.body;
  EXPECT_EQ(json::parse(show.body)["text"], "I have severe pain tonight");

  // Another practice's staff: 403 on A's queue, 404 for A's item under their own practice.
  EXPECT_EQ(HttpJson("GET", Queue("A"), "", {Bearer("B")}).status, 403);
  EXPECT_EQ(HttpJson("GET", item, "", {Bearer("B")}).status, 403);
  EXPECT_EQ(HttpJson("GET", Queue("B") + "/" + id, "", {Bearer("B")}).status, 404);
  EXPECT_EQ(HttpJson("POST", Queue("B") + "/" + id + "/acknowledge", "", {Bearer("B")}).status, 404);

  // Assign to the caller, acknowledge (once).
  auto assign = HttpJson("POST", item + "/assign", "", {Bearer("A")});
  ASSERT_EQ(assign.status, 200) << assign.body;
  EXPECT_FALSE(json::parse(assign.body)["assignee"].is_null());
  auto ack = HttpJson("POST", item + "/acknowledge", "", {Bearer("A")});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(json::parse(ack.body)["status"], "acknowledged");
  EXPECT_EQ(HttpJson("POST", item + "/acknowledge", "", {Bearer("A")}).status, 409);

  // A reply the scanner blocks: 409, nothing sent.
  auto blocked = HttpJson("POST", item + "/reply", R"({"text":"Your HIV test results are in."})", {Bearer("A")});
  EXPECT_EQ(blocked.status, 409) << blocked.body;
  EXPECT_FALSE(std::filesystem::exists(outbox_) && !std::filesystem::is_empty(outbox_));

  // A reply, retried with the same Idempotency-Key: sent once.
  const std::string body = R"({"text":"We are calling you right now. Please keep your phone near you."})";
  auto reply = HttpJson("POST", item + "/reply", body, {Bearer("A"), "Idempotency-Key: reply-1"});
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto again = HttpJson("POST", item + "/reply", body, {Bearer("A"), "Idempotency-Key: reply-1"});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["message_id"], json::parse(reply.body)["message_id"]);
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(outbox_)) files += entry.is_regular_file();
  EXPECT_GE(files, 1);
  const std::string first_id = json::parse(reply.body)["message_id"];
  int matching = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(outbox_)) {
    if (entry.is_regular_file() && entry.path().filename().string().find(first_id) != std::string::npos) ++matching;
  }
  EXPECT_GE(matching, 1);

  // Resolve; the history has every step.
  auto resolve = HttpJson("POST", item + "/resolve", "", {Bearer("A")});
  ASSERT_EQ(resolve.status, 200) << resolve.body;
  EXPECT_EQ(json::parse(resolve.body)["status"], "resolved");
  auto final_view = json::parse(HttpJson("GET", item, "", {Bearer("A")}).body);
  std::vector<std::string> kinds;
  for (const auto& e : final_view["events"]) kinds.push_back(e["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"opened", "assigned", "acknowledged", "replied", "resolved"}));
  EXPECT_EQ(HttpJson("POST", item + "/reply", body, {Bearer("A")}).status, 409);

  // The audit chain still verifies, and nothing in it carries the message.
  auto verify = Cli({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace recall::testing
