#include "channels/testing/kannel_harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "channels/kannel/kannel_callbacks.h"

namespace recall::channels::testing {
namespace {

constexpr char kBearerbox[] = "/usr/sbin/bearerbox";
constexpr char kSmsbox[] = "/usr/sbin/smsbox";
constexpr char kFakesmsc[] = "/usr/lib/kannel/test/fakesmsc";
constexpr auto kPollInterval = std::chrono::milliseconds(20);

// Binds `count` sockets to 127.0.0.1:0 at once (so the ports differ), reads
// the ports, then releases them for Kannel to bind.
StatusOr<std::vector<int>> FreeLoopbackPorts(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  Status status;
  for (int idx = 0; idx < count && status.ok(); ++idx) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      status = InternalError("socket() failed");
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      status = InternalError("bind to a free loopback port failed");
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (!status.ok()) return status;
  return ports;
}

bool PortListening(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// True while `pid` runs. Reaps it once it has exited and forgets it (-1), so a
// later Terminate() can never signal a recycled pid.
bool Alive(pid_t& pid) {
  if (pid <= 0) return false;
  if (::waitpid(pid, nullptr, WNOHANG) == 0) return true;
  pid = -1;
  return false;
}

// Starts `argv[0]` with stdin from `stdin_path` (opened O_RDONLY) and stdout and
// stderr appended to `log_path`. Everything the child touches is prepared
// before fork(): between fork and exec it only makes async-signal-safe calls.
StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const std::string& stdin_path,
                      const std::string& log_path) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return InternalError("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int in = ::open(stdin_path.c_str(), O_RDONLY);
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// SIGTERM, then wait up to `bound`, then SIGKILL and reap.
void Terminate(pid_t& pid, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

size_t CollectInto(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

// GETs `url`; "" on any failure.
std::string HttpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return "";
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectInto);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return rc == CURLE_OK ? body : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

template <typename Pred>
bool PollUntil(Pred done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// "SENDER RECEIVER TYPE BODY" -> FakeSmscMt; false when it is not that shape.
bool ParseMtLine(const std::string& line, FakeSmscMt& mt) {
  const size_t s1 = line.find(' ');
  if (s1 == std::string::npos) return false;
  const size_t s2 = line.find(' ', s1 + 1);
  if (s2 == std::string::npos) return false;
  const size_t s3 = line.find(' ', s2 + 1);
  mt.from = line.substr(0, s1);
  mt.to = line.substr(s1 + 1, s2 - s1 - 1);
  mt.type = line.substr(s2 + 1, s3 == std::string::npos ? std::string::npos : s3 - s2 - 1);
  const std::string body = s3 == std::string::npos ? "" : line.substr(s3 + 1);
  if (mt.type == "text") {
    mt.text = body;
  } else if (mt.type == "ucs-2" || mt.type == "data" || mt.type == "udh") {
    // udh lines are "udh UDH DATA"; the user data is the last token.
    const std::string data = mt.type == "udh" ? body.substr(body.find(' ') + 1) : body;
    auto decoded = FormUrlDecode(data);
    if (!decoded.ok()) return false;
    mt.text = mt.type == "ucs-2" ? Utf16BeToUtf8(*decoded) : *decoded;
  } else {
    return false;
  }
  return !mt.from.empty() && !mt.to.empty();
}

}  // namespace

std::string Utf16BeToUtf8(const std::string& bytes) {
  std::string out;
  for (size_t idx = 0; idx + 1 < bytes.size(); idx += 2) {
    uint32_t unit = (static_cast<uint8_t>(bytes[idx]) << 8) | static_cast<uint8_t>(bytes[idx + 1]);
    if (unit >= 0xD800 && unit <= 0xDBFF && idx + 3 < bytes.size()) {
      const uint32_t low = (static_cast<uint8_t>(bytes[idx + 2]) << 8) | static_cast<uint8_t>(bytes[idx + 3]);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        AppendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        idx += 2;
        continue;
      }
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) unit = 0xFFFD;
    AppendUtf8(out, unit);
  }
  return out;
}

bool KannelHarness::KannelInstalled() {
  return ::access(kBearerbox, X_OK) == 0 && ::access(kSmsbox, X_OK) == 0 && ::access(kFakesmsc, X_OK) == 0;
}

StatusOr<std::unique_ptr<KannelHarness>> KannelHarness::Start(KannelHarnessOptions options) {
  if (!KannelInstalled()) return FailedPreconditionError("kannel harness: kannel or kannel-extras not installed");
  if (options.mo_get_url.empty()) return InvalidArgumentError("kannel harness: mo_get_url is required");
  std::unique_ptr<KannelHarness> harness(new KannelHarness(std::move(options)));
  // On failure the destructor stops whatever did start.
  RETURN_IF_ERROR(harness->StartAll());
  return harness;
}

Status KannelHarness::StartAll() {
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/recall-kannel-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return InternalError("kannel harness: mkdtemp failed");
  dir_ = templ;

  ASSIGN_OR_RETURN(const std::vector<int> ports, FreeLoopbackPorts(4));
  admin_port_ = ports[0];
  smsbox_port_ = ports[1];
  smsc_port_ = ports[2];
  sendsms_port_ = ports[3];

  const std::string conf = dir_ + "/kannel.conf";
  {
    std::ofstream out(conf);
    out << "group = core\n"
        << "admin-port = " << admin_port_ << "\n"
        << "admin-password = " << options_.password << "-admin\n"
        << "admin-interface = 127.0.0.1\n"
        << "smsbox-port = " << smsbox_port_ << "\n"
        << "smsbox-interface = 127.0.0.1\n"
        << "dlr-storage = internal\n"
        << "log-level = 1\n"
        << "\n"
        << "group = smsc\n"
        << "smsc = fake\n"
        << "smsc-id = fake\n"
        << "port = " << smsc_port_ << "\n"
        << "our-host = 127.0.0.1\n"
        << "connect-allow-ip = 127.0.0.1\n"
        << "\n"
        << "group = smsbox\n"
        << "bearerbox-host = 127.0.0.1\n"
        << "sendsms-port = " << sendsms_port_ << "\n"
        << "sendsms-interface = 127.0.0.1\n"
        << "log-level = 1\n"
        << "\n"
        << "group = sendsms-user\n"
        << "username = " << options_.username << "\n"
        << "password = " << options_.password << "\n"
        << "\n"
        << "group = sms-service\n"
        << "keyword = default\n"
        << "catch-all = true\n"
        << (options_.reply_with_answer ? "max-messages = 1\nomit-empty = true\n" : "max-messages = 0\n")
        << "get-url = \"" << options_.mo_get_url << "\"\n";
    if (!out) return InternalError("kannel harness: cannot write kannel.conf");
  }

  bearerbox_pid_ = -1;
  ASSIGN_OR_RETURN(bearerbox_pid_, Spawn({kBearerbox, "-v", "1", conf}, "/dev/null", dir_ + "/bearerbox.log"));
  if (!PollUntil([&] { return PortListening(smsbox_port_) || !Alive(bearerbox_pid_); }, options_.startup_timeout) ||
      !Alive(bearerbox_pid_)) {
    return UnavailableError("kannel harness: bearerbox did not open its smsbox port");
  }

  ASSIGN_OR_RETURN(smsbox_pid_, Spawn({kSmsbox, "-v", "1", conf}, "/dev/null", dir_ + "/smsbox.log"));
  if (!PollUntil([&] { return PortListening(sendsms_port_) || !Alive(smsbox_pid_); }, options_.startup_timeout) ||
      !Alive(smsbox_pid_)) {
    return UnavailableError("kannel harness: smsbox did not open its sendsms port");
  }

  const std::string fifo = dir_ + "/fakesmsc.in";
  if (::mkfifo(fifo.c_str(), 0600) != 0) return InternalError("kannel harness: mkfifo failed");
  // O_RDWR does not block on a FIFO (Linux) and keeps a writer open, so
  // fakesmsc never sees EOF until Stop().
  fifo_writer_fd_ = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  if (fifo_writer_fd_ < 0) return InternalError("kannel harness: cannot open the fakesmsc FIFO");
  ASSIGN_OR_RETURN(fakesmsc_pid_, Spawn({kFakesmsc, "-H", "127.0.0.1", "-r", std::to_string(smsc_port_), "-i", "0.1"},
                                        fifo, dir_ + "/fakesmsc.log"));

  const std::string status_url =
      "http://127.0.0.1:" + std::to_string(admin_port_) + "/status.txt?password=" + options_.password + "-admin";
  const std::string smsc_online = "FAKE:" + std::to_string(smsc_port_) + " (online";
  const bool online = PollUntil(
      [&] {
        if (!Alive(fakesmsc_pid_)) return true;
        const std::string status = HttpGet(status_url);
        return status.find(smsc_online) != std::string::npos && status.find("smsbox:") != std::string::npos;
      },
      options_.startup_timeout);
  if (!online || !Alive(fakesmsc_pid_)) return UnavailableError("kannel harness: the fake SMSC did not come online");
  return OkStatus();
}

KannelHarness::~KannelHarness() { Stop(); }

std::string KannelHarness::SendsmsUrl() const {
  return "http://127.0.0.1:" + std::to_string(sendsms_port_) + "/cgi-bin/sendsms";
}

Status KannelHarness::InjectMo(const std::string& from, const std::string& to, const std::string& text) {
  if (fifo_writer_fd_ < 0) return FailedPreconditionError("kannel harness: not running");
  if (text.find('\n') != std::string::npos || from.find(' ') != std::string::npos ||
      to.find(' ') != std::string::npos) {
    return InvalidArgumentError("kannel harness: an MO must be one line and the numbers one word each");
  }
  const auto earliest = last_inject_ + std::chrono::milliseconds(200);
  const auto now = std::chrono::steady_clock::now();
  if (now < earliest) std::this_thread::sleep_for(earliest - now);
  const std::string line = from + " " + to + " text " + text + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fifo_writer_fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InternalError("kannel harness: write to the fakesmsc FIFO failed");
    written += static_cast<size_t>(n);
  }
  last_inject_ = std::chrono::steady_clock::now();
  return OkStatus();
}

std::vector<FakeSmscMt> KannelHarness::MtsReceived() const {
  std::vector<FakeSmscMt> mts;
  if (dir_.empty()) return mts;
  std::istringstream log(ReadFile(dir_ + "/fakesmsc.log"));
  static constexpr std::string_view kMarker = "Got message ";
  for (std::string line; std::getline(log, line);) {
    std::string mt_line;
    if (const size_t at = line.find(kMarker); at != std::string::npos) {
      const size_t open = line.find(": <", at);
      const size_t close = line.rfind('>');
      if (open == std::string::npos || close == std::string::npos || close < open + 3) continue;
      mt_line = line.substr(open + 3, close - open - 3);
    } else {
      mt_line = line;  // the bare stdout form
    }
    FakeSmscMt mt;
    if (ParseMtLine(mt_line, mt)) mts.push_back(std::move(mt));
  }
  return mts;
}

bool KannelHarness::WaitForMts(size_t count, std::chrono::milliseconds timeout) const {
  return PollUntil([&] { return MtsReceived().size() >= count; }, timeout);
}

void KannelHarness::StopSmsboxForTest() { Terminate(smsbox_pid_); }

void KannelHarness::Stop() {
  Terminate(fakesmsc_pid_);
  if (fifo_writer_fd_ >= 0) {
    ::close(fifo_writer_fd_);
    fifo_writer_fd_ = -1;
  }
  Terminate(smsbox_pid_);
  Terminate(bearerbox_pid_);
  if (!dir_.empty() && std::getenv("RECALL_KEEP_KANNEL_DIR") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string KannelHarness::LogTailsForTest(size_t max_bytes) const {
  std::string out;
  if (dir_.empty()) return out;
  for (const char* name : {"bearerbox.log", "smsbox.log", "fakesmsc.log"}) {
    const std::string text = ReadFile(dir_ + "/" + name);
    out += std::string("--- ") + name + "\n" + (text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text);
  }
  return out;
}

}  // namespace recall::channels::testing
