#pragma once
// End-to-end helpers: run the real `recall` binary (RECALL_BINARY, set by CTest)
// as a child process against a temp data directory, capturing stdout, stderr
// and the exit code. Hermetic: every fixture gets its own directory.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace recall::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFileToString(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Runs RECALL_BINARY with `args`; `stdin_text` is fed on standard input.
inline CliResult RunRecall(const std::vector<std::string>& args, const std::string& stdin_text = "",
                           const std::vector<std::string>& extra_env = {}) {
  static std::atomic<int> counter{0};
  const char* bin = std::getenv("RECALL_BINARY");
  CliResult result;
  if (bin == nullptr) {
    result.err = "RECALL_BINARY not set";
    return result;
  }
  const auto tmp = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto in_path = tmp / ("recall-cli-in-" + tag), out_path = tmp / ("recall-cli-out-" + tag),
             err_path = tmp / ("recall-cli-err-" + tag);
  std::ofstream(in_path, std::ios::binary) << stdin_text;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_s = {bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, bin, &actions, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = ReadFileToString(out_path);
  result.err = ReadFileToString(err_path);
  std::filesystem::remove(in_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

// A fresh data directory per test; `Recall({...})` prepends --data DIR --json.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("recall-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "data").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliResult Recall(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--data", data_, "--json"});
    return RunRecall(args, stdin_text);
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

  std::filesystem::path dir_;
  std::string data_;
};

}  // namespace recall::testing
