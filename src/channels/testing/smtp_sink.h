#pragma once
// Test harness for the channel tests (test-only, header-only).
//
//   SmtpSink        a real SMTP server (aiosmtpd, smtp_sink_server.py) on
//                   127.0.0.1 and a free port, in its own process group, saving
//                   what arrives to a temporary folder. Stopped (SIGTERM to the
//                   group, then SIGKILL) and cleaned up by the destructor.
//   TempDir         a mkdtemp folder removed on destruction.
//   RunCommand      runs a shell command and captures stdout.
//   PythonTool      "/usr/bin/python3 <source>/src/channels/testing/<script>":
//                   Debian's interpreter, where python3-aiosmtpd and python3-dkim
//                   import (the python3 on PATH may be another one).
//
// The sink binds port 0 itself and reports the port through a file, so there is
// no window in which another process could take a port picked by the test.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace recall::channels::testing {

inline constexpr const char* kDebianPython = "/usr/bin/python3";

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void WriteFileOrDie(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) std::abort();
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/recall_channels_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string TestingScript(std::string_view script) {
  const char* source = std::getenv("RECALL_SOURCE_DIR");
  return std::string(source != nullptr ? source : ".") + "/src/channels/testing/" + std::string(script);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string PythonTool(std::string_view script) {
  return std::string(kDebianPython) + " " + TestingScript(script);
}

class SmtpSink {
 public:
  struct Options {
    std::vector<std::string> reject;    // RCPT answered 550 5.1.1
    std::vector<std::string> tempfail;  // RCPT answered 451 4.3.0
    std::string auth;                   // "user:password" -> AUTH required
    std::string tls;                    // "cert.pem:key.pem" -> STARTTLS required
  };

  // Starts the server and waits (bounded, 20 s) until it accepts connections.
  // Unavailable when it does not come up.
  static StatusOr<std::unique_ptr<SmtpSink>> Start(Options options) {
    std::unique_ptr<SmtpSink> sink(new SmtpSink());
    std::vector<std::string> args = {kDebianPython, TestingScript("smtp_sink_server.py"), "--dir", sink->dir_.path()};
    for (const auto& a : options.reject) args.insert(args.end(), {"--reject", a});
    for (const auto& a : options.tempfail) args.insert(args.end(), {"--tempfail", a});
    if (!options.auth.empty()) args.insert(args.end(), {"--auth", options.auth});
    if (!options.tls.empty()) args.insert(args.end(), {"--tls", options.tls});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) return UnavailableError("smtp sink: fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent: no race with kill(-pid)
    sink->pid_ = pid;

    const std::string port_file = sink->dir_.path() + "/port";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        sink->pid_ = -1;
        return UnavailableError("smtp sink: server exited during start-up");
      }
      const std::string port_text = ReadFileOrEmpty(port_file);
      if (!port_text.empty()) {
        sink->port_ = std::atoi(port_text.c_str());
        if (sink->AcceptsConnections()) return sink;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return UnavailableError("smtp sink: server did not start");
  }

  ~SmtpSink() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int attempt = 0; attempt < 250; ++attempt) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }

  struct Arrived {
    std::string path;      // NNNN.eml: the DATA bytes as received
    std::string raw;
    std::string envelope;  // NNNN.json: {"mail_from", "rcpt_tos", "authenticated", "auth_user", "tls"}
  };
  // Messages accepted so far, in arrival order.
  std::vector<Arrived> Messages() const {
    std::vector<Arrived> out;
    for (int idx = 1;; ++idx) {
      char base[16];
      std::snprintf(base, sizeof(base), "/%04d", idx);
      const std::string path = dir_.path() + base + ".eml";
      if (!std::filesystem::exists(path)) break;
      out.push_back({path, ReadFileOrEmpty(path), ReadFileOrEmpty(dir_.path() + base + ".json")});
    }
    return out;
  }

 private:
  SmtpSink() = default;

  bool AcceptsConnections() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 with nothing listening: bound to port 0, then released.
inline int ClosedLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::abort();
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A socket on 127.0.0.1 that listens but never answers (connections queue in
// the backlog and the SMTP greeting never comes): a server that hangs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace recall::channels::testing
