// End-to-end: users, roles, login and API tokens through the real binary.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kPassword[] = "correct horse battery";

class UserCli : public CliTest {
 protected:
  void SetUp() override {
    ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);  // test-only cheap argon2id (inherited by the binary)
    ::unsetenv("RECALL_NEW_PASSWORD");
    ::unsetenv("RECALL_PASSWORD");
    CliTest::SetUp();
  }
  CliResult RecallEnv(std::vector<std::string> args, const std::vector<std::string>& env,
                      const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, stdin_text, env);
  }
  std::string AddPractice(const std::string& name) {
    auto r = Recall({"practice", "add", "--name", name, "--address", "1 Main St, Springfield, IL 62701", "--phone",
                     "(217) 555-0100", "--email-from", "Office <office@maple.example>", "--timezone",
                     "America/Chicago", "--state", "IL"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out).at("practice_id").get<std::string>() : "";
  }
};

TEST_F(UserCli, AddGrantLoginToken) {
  ASSERT_EQ(Recall({"init"}).exit_code, 0);
  const std::string practice = AddPractice("Maple Family Dental");

  // The password comes from the environment or stdin, never argv.
  auto add = RecallEnv({"user", "add", "--login", "alice", "--name", "Alice Operator"},
                       {std::string("RECALL_NEW_PASSWORD=") + kPassword});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(json::parse(add.out).at("user_id").get<std::string>().rfind("usr_", 0), 0u);
  auto bob = Recall({"user", "add", "--login", "bob", "--name", "Bob Admin", "--admin"}, std::string(kPassword) + "\n");
  ASSERT_EQ(bob.exit_code, 0) << bob.err;
  EXPECT_EQ(json::parse(bob.out).at("admin"), true);
  EXPECT_EQ(Recall({"user", "add", "--login", "alice", "--name", "Again"}, std::string(kPassword) + "\n").exit_code, 1);
  EXPECT_EQ(Recall({"user", "add", "--login", "carol", "--name", "Carol"}, "short\n").exit_code, 1);

  auto grant = Recall({"user", "grant", "--login", "alice", "--practice", practice, "--role", "operator"});
  ASSERT_EQ(grant.exit_code, 0) << grant.err;
  EXPECT_EQ(Recall({"user", "grant", "--login", "alice", "--practice", practice, "--role", "root"}).exit_code, 1);
  EXPECT_EQ(Recall({"user", "grant", "--login", "nobody", "--practice", practice, "--role", "staff"}).exit_code, 1);

  auto list = Recall({"user", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json users = json::parse(list.out).at("users");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].at("login"), "alice");
  EXPECT_EQ(users[0].at("roles").at(practice), json::array({"operator"}));
  EXPECT_EQ(users[0].at("totp_enrolled"), false);
  EXPECT_EQ(list.out.find(kPassword), std::string::npos);
  EXPECT_EQ(list.out.find("argon2"), std::string::npos);

  auto login = Recall({"user", "login", "--login", "alice"}, std::string(kPassword) + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(json::parse(login.out).at("token").get<std::string>().size(), 43u);
  auto wrong = Recall({"user", "login", "--login", "alice"}, "not the password\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err.find("not the password"), std::string::npos);

  // Scopes within the operator role are fine; campaign.approve is not.
  auto token = Recall({"user", "token", "create", "--login", "alice", "--scopes", "campaign.read,campaign.run",
                       "--ttl-hours", "24", "--label", "ci"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const json t = json::parse(token.out);
  EXPECT_EQ(t.at("token_id").get<std::string>().rfind("tok_", 0), 0u);
  EXPECT_EQ(t.at("token").get<std::string>().size(), 43u);
  EXPECT_EQ(Recall({"user", "token", "create", "--login", "alice", "--scopes", "campaign.approve"}).exit_code, 1);
  auto revoke = Recall({"user", "token", "revoke", "--token-id", t.at("token_id")});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(Recall({"user", "token", "revoke", "--token-id", "tok_unknown"}).exit_code, 1);

  auto revoke_role = Recall({"user", "revoke", "--login", "alice", "--practice", practice, "--role", "operator"});
  ASSERT_EQ(revoke_role.exit_code, 0) << revoke_role.err;

  // Nothing secret reached the audit log.
  auto audit = Recall({"audit", "verify"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
}

TEST_F(UserCli, TotpEnrollmentRequiresTheCode) {
  ASSERT_EQ(Recall({"init"}).exit_code, 0);
  ASSERT_EQ(Recall({"user", "add", "--login", "alice", "--name", "Alice"}, std::string(kPassword) + "\n").exit_code, 0);
  auto enroll = Recall({"user", "totp-enroll", "--login", "alice"});
  ASSERT_EQ(enroll.exit_code, 0) << enroll.err;
  const json e = json::parse(enroll.out);
  EXPECT_EQ(e.at("secret").get<std::string>().size(), 32u);
  EXPECT_EQ(e.at("otpauth_uri").get<std::string>().rfind("otpauth://totp/Recall:alice?secret=", 0), 0u);
  // Without a code (or with a wrong one) the login is refused.
  EXPECT_EQ(RecallEnv({"user", "login", "--login", "alice"}, {std::string("RECALL_PASSWORD=") + kPassword}).exit_code,
            1);
  EXPECT_EQ(RecallEnv({"user", "login", "--login", "alice", "--totp", "12345x"},
                      {std::string("RECALL_PASSWORD=") + kPassword})
                .exit_code,
            1);
}

}  // namespace
}  // namespace recall::testing
