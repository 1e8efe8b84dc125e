// End-to-end: `recall keys rotate` while `recall serve` runs on the same data
// directory. The server keeps reading patients of a practice it had cached and
// of one it first opens after the rotation (its keyring reloads the key file);
// no byte of any master key version reaches the command's output, the
// server's output or the audit log. Synthetic data only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kPassword[] = "correct-horse-battery-staple";

// A GET over a raw loopback socket: the status code (0 when no answer) and body.
std::pair<int, std::string> Get(int port, const std::string& path, const std::string& token) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {0, ""};
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                              "\r\nConnection: close\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0) return {0, response};
  const size_t body = response.find("\r\n\r\n");
  return {std::stoi(response.substr(9, 3)), body == std::string::npos ? "" : response.substr(body + 4)};
}

// The hex of every key line in the master key file.
std::vector<std::string> KeyHex(const std::filesystem::path& key_file) {
  std::vector<std::string> out;
  std::istringstream in(ReadFileToString(key_file));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == 'v') out.push_back(line.substr(line.find(' ') + 1));
  }
  return out;
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
    dir_ = std::filesystem::temp_directory_path() / ("recall-keys-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "data").string();
    ASSERT_EQ(Cli({"init"}).exit_code, 0);
    const std::string doc = WriteFile("baa.pdf", "signed BAA (synthetic)");
    const std::string csv = WriteFile("export.csv",
                                      "Patient ID,First Name,Last Name,Cell Phone,Email,SMS Consent,Email Consent\n"
                                      "P1,Ana,Quill,(217) 555-0142,pat.one@example.com,Y,Y\n"
                                      "P2,Ben,Rook,(217) 555-0150,ben.rook@example.com,Y,Y\n");
    ASSERT_EQ(Cli({"user", "add", "--login", "u-op", "--name", "Operator"},
                  {std::string("RECALL_NEW_PASSWORD=") + kPassword})
                  .exit_code,
              0);
    for (const std::string name : {"A", "B"}) {
      auto p = Cli({"practice", "add", "--name", "Practice " + name, "--address", "1 Main St, Springfield, IL 62701",
                    "--phone", name == "A" ? "(217) 555-0100" : "(217) 555-0200", "--email-from",
                    "Practice <office@practice.example>", "--timezone", "America/Chicago", "--state", "IL"});
      ASSERT_EQ(p.exit_code, 0) << p.err;
      practices_[name] = json::parse(p.out)["practice_id"];
      auto b = Cli({"baa", "record", "--practice", practices_[name], "--signed-by", "Dana Whitlock", "--signed-on",
                    "2025-11-01", "--document", doc});
      ASSERT_EQ(b.exit_code, 0) << b.err;
      auto i = Cli({"import", "csv", "--practice", practices_[name], csv});
      ASSERT_EQ(i.exit_code, 0) << i.err;
      auto g = Cli({"user", "grant", "--login", "u-op", "--practice", practices_[name], "--role", "operator"});
      ASSERT_EQ(g.exit_code, 0) << g.err;
    }
    auto s = Cli({"user", "login", "--login", "u-op"}, {std::string("RECALL_PASSWORD=") + kPassword});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    token_ = json::parse(s.out)["token"];
  }

  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
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

  void StartServer() {
    serve_out_ = (dir_ / "serve.out").string();
    ServeProcess serve =
        SpawnRecallServe({"--data", data_, "--json", "serve", "--listen", "127.0.0.1:0", "--no-worker"}, serve_out_);
    pid_ = serve.pid;
    port_ = serve.port;
    ASSERT_TRUE(serve.error.empty()) << serve.error;
  }

  int StopServer() {
    const int code = StopRecallServe(pid_);
    pid_ = -1;
    return code;
  }

  // The server lists (and decrypts) the practice's two patients.
  void ExpectServerReadsPatients(const std::string& practice) {
    auto [status, body] = Get(port_, "/v1/practices/" + practices_[practice] + "/patients", token_);
    ASSERT_EQ(status, 200) << body;
    const json items = json::parse(body)["items"];
    ASSERT_EQ(items.size(), 2u) << body;
    // Masked names keep their first letter: the server decrypted them.
    EXPECT_EQ(items[0]["first_name"], "A***") << body;
    EXPECT_EQ(items[1]["first_name"], "B***") << body;
  }

  std::filesystem::path dir_;
  std::string data_;
  std::map<std::string, std::string> practices_;
  std::string token_;
  std::string serve_out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(KeysCliTest, RotateWhileServing) {
  const auto key_file = std::filesystem::path(data_) / "keys" / "master.key";
  std::vector<std::string> all_hex = KeyHex(key_file);
  ASSERT_EQ(all_hex.size(), 1u);

  StartServer();
  ASSERT_GT(port_, 0);
  ExpectServerReadsPatients("A");  // A's keys are now cached by the server; B's are not

  std::string outputs;
  auto first = Cli({"keys", "rotate"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  outputs += first.out + first.err;
  json r1 = json::parse(first.out);
  EXPECT_EQ(r1["old_version"], 1);
  EXPECT_EQ(r1["new_version"], 2);
  EXPECT_GE(r1["keys_rewrapped"].get<int>(), 2);  // two practices (a root and a field key each)
  EXPECT_EQ(r1["versions_retired"], json::array({1}));
  for (const auto& hex : KeyHex(key_file)) all_hex.push_back(hex);
  ASSERT_EQ(KeyHex(key_file).size(), 1u);

  // B is opened for the first time: its keys are wrapped under v2, which the
  // server's keyring has never seen.
  ExpectServerReadsPatients("B");
  ExpectServerReadsPatients("A");

  auto second = Cli({"keys", "rotate"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  outputs += second.out + second.err;
  EXPECT_EQ(json::parse(second.out)["new_version"], 3);
  for (const auto& hex : KeyHex(key_file)) all_hex.push_back(hex);
  ExpectServerReadsPatients("A");
  ExpectServerReadsPatients("B");

  // Human output too.
  auto human = RunRecall({"--data", data_, "keys", "rotate"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  outputs += human.out + human.err;
  for (const auto& hex : KeyHex(key_file)) all_hex.push_back(hex);
  ExpectServerReadsPatients("B");

  EXPECT_EQ(StopServer(), 0);
  outputs += ReadFileToString(serve_out_) + ReadFileToString(serve_out_ + ".err");

  // The audit log, as exported.
  const std::string audit_file = (dir_ / "audit.jsonl").string();
  auto exported = Cli({"audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--out", audit_file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string audit = ReadFileToString(audit_file);
  EXPECT_NE(audit.find("keys.master_rotated"), std::string::npos);
  EXPECT_NE(audit.find("keys.master_retired"), std::string::npos);

  ASSERT_EQ(all_hex.size(), 4u);
  for (const auto& hex : all_hex) {
    ASSERT_EQ(hex.size(), 64u);
    for (const std::string& needle : {hex, hex.substr(0, 16), hex.substr(48)}) {
      EXPECT_EQ(outputs.find(needle), std::string::npos);
      EXPECT_EQ(audit.find(needle), std::string::npos);
    }
  }
  auto verify = Cli({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

TEST_F(KeysCliTest, ConcurrentRotationIsRefusedAndChangesNothing) {
  const auto key_file = std::filesystem::path(data_) / "keys" / "master.key";
  const std::string before = ReadFileToString(key_file);
  const std::string lock_path = key_file.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = Cli({"keys", "rotate"});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("another key rotation is running"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFileToString(key_file), before);
}

}  // namespace
}  // namespace recall::testing
