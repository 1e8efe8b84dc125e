// End-to-end: `recall handoff ...` (docs/cli.md "Hand-offs"). Synthetic data only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

class HandoffCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("recall-handoff-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    data_ = (dir_ / "data").string();
    ASSERT_EQ(Recall({"init"}).exit_code, 0);
    auto p = Ok({"practice", "add", "--name", "Maple Family Dental", "--address", "1 Main St, Springfield, IL 62701",
                 "--phone", "(217) 555-0100", "--email-from", "Maple <office@maple.example>", "--timezone",
                 "America/Chicago", "--state", "IL"});
    practice_ = p["practice_id"];
    std::ofstream(std::filesystem::path(data_) / "channels.json")
        << R"({"transports": [{"practice": "*", "channel": "*", "type": "file", "dir": ")" +
               (dir_ / "out").string() + R"("}]})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliResult Recall(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args);
  }
  json Ok(const std::vector<std::string>& args) {
    auto r = Recall(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  std::filesystem::path dir_;
  std::string data_, practice_;
};

TEST_F(HandoffCliTest, QueueLifecycleAndEscalation) {
  auto in = Ok({"inbound", "sms", "--practice", practice_, "--from", "+12175550142", "--body",
                "my husband is not breathing"});
  EXPECT_EQ(in["intent"], "urgent");
  Ok({"inbound", "sms", "--practice", practice_, "--from", "+12175550143", "--body", "Do you take new insurance?"});

  auto list = Ok({"handoff", "list", "--practice", practice_});
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["category"], "urgent");
  EXPECT_EQ(list["items"][1]["category"], "other");
  EXPECT_EQ(list.dump().find("breathing"), std::string::npos);
  const std::string id = list["items"][0]["handoff_id"];

  auto show = Ok({"handoff", "show", "--practice", practice_, "--handoff", id});
  EXPECT_EQ(show["text"], "my husband is not breathing");

  // No on-call contact yet: due stays due.
  auto settings = Ok({"practice", "settings", "set", "--practice", practice_, "--json",
                      R"({"handoff_ack_minutes":1,"oncall":{"channel":"sms","address":"+12175550199"}})"});
  EXPECT_EQ(settings["oncall"]["address"], "+12175550199");

  EXPECT_EQ(Ok({"handoff", "ack", "--practice", practice_, "--handoff", id})["status"], "acknowledged");
  EXPECT_EQ(Recall({"handoff", "ack", "--practice", practice_, "--handoff", id}).exit_code, 1);
  EXPECT_EQ(Ok({"handoff", "resolve", "--practice", practice_, "--handoff", id})["status"], "resolved");
  EXPECT_EQ(Recall({"handoff", "resolve", "--practice", practice_, "--handoff", id}).exit_code, 1);
  EXPECT_EQ(Recall({"handoff", "show", "--practice", practice_, "--handoff", "hof_none"}).exit_code, 1);
  EXPECT_EQ(Recall({"handoff", "list", "--practice", practice_, "--status", "closed"}).exit_code, 1);
  auto sweep = Ok({"handoff", "escalate"});
  EXPECT_EQ(sweep["sent"], 0);  // the only urgent item was acknowledged

  // The after-hours reply: literal and scanned.
  EXPECT_EQ(Recall({"handoff", "after-hours", "--practice", practice_, "--text", "Hi {{first_name}}"}).exit_code, 1);
  auto set = Ok({"handoff", "after-hours", "--practice", practice_, "--text",
                 "Maple Family Dental is closed. If this is an emergency, call 911."});
  EXPECT_EQ(set["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(Recall({"practice", "settings", "set", "--practice", practice_, "--json",
                    R"({"after_hours_reply":"something else"})"})
                .exit_code,
            1);
  EXPECT_EQ(Recall({"handoff", "bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace recall::testing
