#pragma once
// End-to-end helpers: run the real `recall` binary (RECALL_BINARY, set by CTest)
// as a child process against a temp data directory, capturing stdout, stderr
// and the exit code. Hermetic: every fixture gets its own directory.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
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

// Spawns `bin args...` with this process's environment plus `extra_env` and
// the given file actions. The child's pid, or -1.
inline pid_t SpawnRecallBinary(const char* bin, const std::vector<std::string>& args,
                               const std::vector<std::string>& extra_env, const posix_spawn_file_actions_t* actions) {
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
  pid_t pid = -1;
  if (posix_spawn(&pid, bin, actions, nullptr, argv.data(), envp.data()) != 0) return -1;
  return pid;
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
  const pid_t pid = SpawnRecallBinary(bin, args, extra_env, &actions);
  if (pid > 0) {
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

// A `recall serve` child process (RECALL_BINARY), for the tests that talk to
// the server over HTTP. Its stdout goes to `out_path`, stderr to
// `out_path + ".err"`; SpawnRecallServe waits (up to 30 s) for the first
// stdout line, {"url": ..., "port": ...}. `error` says why it did not start.
struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  std::string url;
  std::string error;
};

inline ServeProcess SpawnRecallServe(const std::vector<std::string>& args, const std::string& out_path,
                                     const std::vector<std::string>& extra_env = {}) {
  ServeProcess serve;
  const char* bin = std::getenv("RECALL_BINARY");
  if (bin == nullptr) {
    serve.error = "RECALL_BINARY not set";
    return serve;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (out_path + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t child = SpawnRecallBinary(bin, args, extra_env, &actions);
  posix_spawn_file_actions_destroy(&actions);
  if (child <= 0) {
    serve.error = "posix_spawn failed";
    return serve;
  }
  serve.pid = child;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = ReadFileToString(out_path);
    if (const auto nl = out.find('\n'); nl != std::string::npos) {
      const std::string line = out.substr(0, nl);
      const auto port_at = line.find("\"port\":");
      const auto url_at = line.find("\"url\":\"");
      if (port_at == std::string::npos || url_at == std::string::npos) {
        serve.error = "unexpected first line: " + line;
        return serve;
      }
      serve.port = std::atoi(line.c_str() + port_at + 7);
      const auto url_begin = url_at + 7;
      serve.url = line.substr(url_begin, line.find('"', url_begin) - url_begin);
      return serve;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  serve.error = "recall serve did not start: " + ReadFileToString(out_path + ".err");
  return serve;
}

// SIGTERM, then waits: the exit code (128 + signal when killed). -1 when no process.
inline int StopRecallServe(pid_t pid) {
  if (pid <= 0) return -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace recall::testing
