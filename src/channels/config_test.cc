// Parsing and lookup rules of the channel configuration. Every transport
// points at 127.0.0.1 (or a local folder): nothing connects at construction.
#include "channels/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "channels/testing/dkim_keys.h"

namespace recall::channels {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kPractice[] = "prc_0123456789abcdefghij";
constexpr char kSecret[] = "s3cret-value-never-echoed";

class ChannelConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("recall-config-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    env_["RECALL_TEST_SECRET"] = kSecret;
    options_.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  void TearDown() override { fs::remove_all(dir_); }

  json FileEntry(const std::string& practice, const std::string& channel, const std::string& sub) {
    return {{"practice", practice}, {"channel", channel}, {"type", "file"}, {"dir", (dir_ / sub).string()}};
  }

  // The documented example, pointed at loopback.
  json Example() {
    const std::string key_path = (dir_ / "dkim.pem").string();
    std::ofstream(key_path) << testing::GenerateDkimKey(1024).private_key_pem;
    return {{"transports",
             {{{"practice", "*"}, {"channel", "email"}, {"type", "smtp"}, {"host", "127.0.0.1"}, {"port", 2525},
               {"tls", "none"}, {"username", ""}, {"password_env", "RECALL_TEST_SECRET"},
               {"dkim", {{{"domain", "maple-dental.example"}, {"selector", "rc1"}, {"key_file", key_path}}}},
               {"rate_per_second", 100}, {"burst", 100}},
              {{"practice", kPractice}, {"channel", "sms"}, {"type", "kannel"},
               {"sendsms_url", "http://127.0.0.1:13013/cgi-bin/sendsms"}, {"username", "recall"},
               {"password_env", "RECALL_TEST_SECRET"}, {"from", "+12175550100"},
               {"dlr_url_base", "http://127.0.0.1:8080/v1/webhooks/kannel/dlr/SECRET"}, {"rate_per_second", 1}},
              {{"channel", "voice"}, {"type", "twilio"}, {"api_base", "http://127.0.0.1:9"},
               {"account_sid", "AC0123"}, {"auth_token_env", "RECALL_TEST_SECRET"}, {"from", "+12175550100"}},
              {{"channel", "rvm"}, {"type", "rvm"}, {"api_base", "http://127.0.0.1:9"},
               {"api_key_env", "RECALL_TEST_SECRET"}, {"from", "+12175550100"},
               {"status_callback_url", "http://127.0.0.1:8080/v1/webhooks/rvm/status"}},
              {{"practice", kPractice}, {"channel", "lookup"}, {"type", "twilio_lookup"},
               {"api_base", "http://127.0.0.1:9"}, {"account_sid", "AC0123"},
               {"auth_token_env", "RECALL_TEST_SECRET"}},
              FileEntry("*", "*", "outbox-files")}}};
  }

  StatusOr<std::unique_ptr<ChannelRegistry>> Parse(const json& config) {
    return ParseChannelConfig(config.dump(), clock_, options_);
  }

  // Parses `config` expecting InvalidArgument that mentions every needle.
  void ExpectInvalid(const json& config, std::initializer_list<std::string_view> needles) {
    auto r = Parse(config);
    ASSERT_FALSE(r.ok()) << config.dump();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    for (std::string_view needle : needles) {
      EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString() << " / " << needle;
    }
    EXPECT_EQ(r.status().message().find(kSecret), std::string::npos) << r.status().ToString();
  }

  FakeClock clock_{TimePoint(std::chrono::seconds(1764086400))};
  fs::path dir_;
  std::map<std::string, std::string> env_;
  ChannelConfigOptions options_;
};

TEST_F(ChannelConfigTest, ParsesTheDocumentedExample) {
  auto registry = Parse(Example());
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  EXPECT_EQ((*registry)->size(), 6u);
  auto name = [&](const std::string& practice, std::string_view channel) -> std::string {
    auto ch = (*registry)->For(practice, channel);
    return ch.ok() ? std::string((*ch)->name()) : ch.status().ToString();
  };
  EXPECT_EQ(name(kPractice, "email"), "smtp");
  EXPECT_EQ(name(kPractice, "sms"), "kannel");
  EXPECT_EQ(name("prc_other", "sms"), "file");  // the exact practice entry is kPractice's only
  EXPECT_EQ(name(kPractice, "voice"), "twilio");
  EXPECT_EQ(name("prc_other", "rvm"), "rvm");
  auto lookup = (*registry)->LookupFor(kPractice);
  ASSERT_TRUE(lookup.ok()) << lookup.status().ToString();
  EXPECT_EQ((*lookup)->name(), "twilio_lookup");
  // "*" never stands for the lookup.
  EXPECT_EQ((*registry)->LookupFor("prc_other").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*registry)->For(kPractice, "lookup").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ChannelConfigTest, ExactPracticeWinsThenExactChannel) {
  json config = {{"transports",
                  {FileEntry("*", "*", "any"), FileEntry("*", "sms", "any-sms"), FileEntry(kPractice, "*", "mine"),
                   FileEntry(kPractice, "sms", "mine-sms")}}};
  auto registry = Parse(config);
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const auto& r = **registry;
  // Which entry answered is visible through the channel object.
  Channel* any = *r.For("prc_other", "email");
  Channel* any_sms = *r.For("prc_other", "sms");
  Channel* mine = *r.For(kPractice, "email");
  Channel* mine_sms = *r.For(kPractice, "sms");
  EXPECT_NE(any, any_sms);
  EXPECT_NE(mine, mine_sms);
  EXPECT_NE(any, mine);
  EXPECT_EQ(*r.For(kPractice, "voice"), mine);
  EXPECT_EQ(*r.For("prc_other", "rvm"), any);

  auto only_mine = Parse({{"transports", {FileEntry(kPractice, "email", "m")}}});
  ASSERT_TRUE(only_mine.ok());
  auto missing = (*only_mine)->For("prc_other", "email");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("email"), std::string::npos);
  EXPECT_EQ((*only_mine)->For(kPractice, "sms").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*only_mine)->For(kPractice, "fax").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ChannelConfigTest, RatesDefaultBySenderClass) {
  auto registry = Parse(Example());
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const auto& r = **registry;
  auto rate = [&](const std::string& practice, std::string_view channel) {
    auto got = r.RateFor(practice, channel);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? std::make_pair(got->per_second, got->burst) : std::make_pair(-1.0, -1);
  };
  EXPECT_EQ(rate(kPractice, "email"), std::make_pair(100.0, 100));
  EXPECT_EQ(rate(kPractice, "sms"), std::make_pair(1.0, 1));
  EXPECT_EQ(rate(kPractice, "voice"), std::make_pair(1.0, 1));
  EXPECT_EQ(rate(kPractice, "rvm"), std::make_pair(3.0, 3));
  EXPECT_EQ(rate(kPractice, "lookup"), std::make_pair(10.0, 10));
  EXPECT_EQ(rate("prc_other", "sms"), std::make_pair(1.0, 1));  // the "*" file entry, sms class

  json config = {{"transports", {FileEntry("*", "*", "f")}}};
  config["transports"][0]["rate_per_second"] = 0.5;
  auto slow = Parse(config);
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  EXPECT_EQ((*slow)->RateFor(kPractice, "email")->per_second, 0.5);
  EXPECT_EQ((*slow)->RateFor(kPractice, "email")->burst, 1);
  config["transports"][0]["burst"] = 20;
  EXPECT_EQ((*Parse(config))->RateFor(kPractice, "email")->burst, 20);
  EXPECT_EQ(DefaultRateFor("rvm").per_second, 3);
}

TEST_F(ChannelConfigTest, SecretsFromEnvFileOrInline) {
  const std::string secret_file = (dir_ / "token").string();
  std::ofstream(secret_file) << kSecret << "\n";
  json entry = {{"channel", "rvm"}, {"type", "rvm"}, {"api_base", "http://127.0.0.1:9"}, {"from", "+12175550100"}};
  json from_file = entry;
  from_file["api_key_file"] = secret_file;
  EXPECT_TRUE(Parse({{"transports", {from_file}}}).ok());
  json from_inline = entry;
  from_inline["api_key"] = kSecret;  // accepted, discouraged
  EXPECT_TRUE(Parse({{"transports", {from_inline}}}).ok());

  json unset = entry;
  unset["api_key_env"] = "RECALL_TEST_UNSET";
  ExpectInvalid({{"transports", {unset}}}, {"entry 0", "'api_key_env'", "RECALL_TEST_UNSET"});
  json unreadable = entry;
  unreadable["api_key_file"] = (dir_ / "missing").string();
  ExpectInvalid({{"transports", {unreadable}}}, {"entry 0", "'api_key_file'"});
  json twice = from_inline;
  twice["api_key_env"] = "RECALL_TEST_SECRET";
  ExpectInvalid({{"transports", {twice}}}, {"entry 0", "'api_key'"});
  ExpectInvalid({{"transports", {entry}}}, {"entry 0", "api_key"});
  // A factory refusing an entry that carries an inline secret does not echo it.
  json bad_base = from_inline;
  bad_base["api_base"] = "http://rvm.example";
  ExpectInvalid({{"transports", {bad_base}}}, {"entry 0 (rvm)", "api_base"});
}

TEST_F(ChannelConfigTest, RefusesMalformedEntries) {
  json ok_file = FileEntry("*", "*", "f");
  EXPECT_EQ(ParseChannelConfig("{\"transports\": [", clock_, options_).status().code(),
            StatusCode::kInvalidArgument);
  ExpectInvalid(json::array(), {"transports"});
  ExpectInvalid({{"transport", json::array()}}, {"'transport'"});
  ExpectInvalid({{"transports", {ok_file, 7}}}, {"entry 1"});

  json unknown_key = ok_file;
  unknown_key["colour"] = "blue";
  ExpectInvalid({{"transports", {ok_file, unknown_key}}}, {"entry 1", "'colour'"});
  json wrong_type = ok_file;
  wrong_type["dir"] = 3;
  ExpectInvalid({{"transports", {wrong_type}}}, {"entry 0", "'dir'", "string"});
  json bad_type = ok_file;
  bad_type["type"] = "pigeon";
  ExpectInvalid({{"transports", {bad_type}}}, {"entry 0", "'type'"});
  json bad_channel = ok_file;
  bad_channel["channel"] = "fax";
  ExpectInvalid({{"transports", {bad_channel}}}, {"entry 0", "'channel'"});
  json no_dir = {{"channel", "*"}, {"type", "file"}};
  ExpectInvalid({{"transports", {no_dir}}}, {"entry 0", "'dir'", "required"});
  json no_channel = {{"type", "file"}, {"dir", "x"}};
  ExpectInvalid({{"transports", {no_channel}}}, {"entry 0", "'channel'"});
  json bad_practice = ok_file;
  bad_practice["practice"] = "maple";
  ExpectInvalid({{"transports", {bad_practice}}}, {"entry 0", "'practice'"});
  json mismatch = {{"channel", "email"}, {"type", "kannel"}};
  ExpectInvalid({{"transports", {mismatch}}}, {"entry 0", "'type'", "email"});
  json star_twilio = {{"channel", "*"}, {"type", "twilio"}};
  ExpectInvalid({{"transports", {star_twilio}}}, {"entry 0", "'type'"});
  json bad_rate = ok_file;
  bad_rate["rate_per_second"] = 0;
  ExpectInvalid({{"transports", {bad_rate}}}, {"entry 0", "'rate_per_second'"});
  json bad_burst = ok_file;
  bad_burst["burst"] = 1.5;
  ExpectInvalid({{"transports", {bad_burst}}}, {"entry 0", "'burst'"});
  ExpectInvalid({{"transports", {ok_file, FileEntry("*", "*", "g")}}}, {"entry 1", "entry 0"});

  json smtp = {{"channel", "email"}, {"type", "smtp"}, {"host", "127.0.0.1"}, {"tls", "sometimes"}};
  ExpectInvalid({{"transports", {smtp}}}, {"entry 0", "'tls'"});
  smtp["tls"] = "none";
  smtp["username"] = "recall";
  ExpectInvalid({{"transports", {smtp}}}, {"entry 0", "'password_env'"});
  smtp["password_env"] = "RECALL_TEST_SECRET";
  smtp["dkim"] = {{{"domain", "maple.example"}, {"selector", "s"}}};
  ExpectInvalid({{"transports", {smtp}}}, {"entry 0: dkim[0]", "key"});
  smtp["dkim"] = {{{"domain", "maple.example"}, {"selector", "s"}, {"key_file", (dir_ / "nope.pem").string()},
                   {"extra", 1}}};
  ExpectInvalid({{"transports", {smtp}}}, {"entry 0: dkim[0]"});
  smtp.erase("dkim");
  EXPECT_TRUE(Parse({{"transports", {smtp}}}).ok());
}

TEST_F(ChannelConfigTest, LoadsFromAFile) {
  const std::string path = (dir_ / "channels.json").string();
  EXPECT_EQ(LoadChannelConfig(path, clock_, options_).status().code(), StatusCode::kNotFound);
  std::ofstream(path) << Example().dump(2);
  auto registry = LoadChannelConfig(path, clock_, options_);
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  EXPECT_EQ((*registry)->size(), 6u);
}

}  // namespace
}  // namespace recall::channels
