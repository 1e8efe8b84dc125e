#pragma once
// KannelHarness (test-only): real Kannel processes on loopback for the Kannel
// channel's integration tests, set up as /work/shared/notes/kannel.md says.
//
// Start() writes a kannel.conf into a fresh temp dir with free loopback ports,
// starts `bearerbox -v 1`, waits for its smsbox port, starts `smsbox -v 1`,
// starts fakesmsc as the SMS centre with stdin held open through a FIFO, and
// waits (bounded polling) until bearerbox's status.txt shows the fake SMSC
// online and smsbox connected. The sms-service group's get-url is the caller's
// (normally an HttpRecorder URL ending in kInboundGetUrlQuery).
//
// Processes: each child is started with PR_SET_PDEATHSIG=SIGKILL so it dies with
// the test even when the test crashes; Stop() (and the destructor) SIGTERM
// fakesmsc, smsbox and bearerbox in that order by PID, wait for each (SIGKILL
// after a bound) and remove the temp dir. Not thread-safe: use a harness from
// one thread.
//
// Observed on this machine (Kannel 1.4.5): fakesmsc reports the MTs it
// receives in its log as `Got message N: <SENDER RECEIVER TYPE BODY>` on
// stderr, not as bare lines on stdout; the harness captures stdout and stderr
// into one file and MtsReceived() accepts both forms. TYPE is `text` (body as
// is), `ucs-2` (URL-encoded UTF-16BE) or `data` (URL-encoded bytes).
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace recall::channels::testing {

struct KannelHarnessOptions {
  // The sms-service get-url, with Kannel's placeholders, e.g.
  // recorder.BaseUrl() + "/kannel/mo?" + std::string(kInboundGetUrlQuery).
  std::string mo_get_url;
  // True: the body of get-url's answer is the reply Kannel sends back to the
  // sender (sms-service max-messages = 1, omit-empty = true: an empty answer
  // sends nothing), as `recall serve`'s Kannel webhook expects. False: Kannel
  // sends no reply of its own (max-messages = 0).
  bool reply_with_answer = false;
  std::string username = "recall";
  std::string password = "sendsms-test-secret";
  // Bound on each startup wait (port listening, SMSC online).
  std::chrono::milliseconds startup_timeout{20000};
};

// One MT as fakesmsc saw it.
struct FakeSmscMt {
  std::string from;
  std::string to;
  std::string type;  // "text", "ucs-2", "data" or "udh"
  std::string text;  // decoded to UTF-8 for "text" and "ucs-2"; raw bytes otherwise
};

class KannelHarness {
 public:
  // True when bearerbox, smsbox and fakesmsc are installed (tests skip if not).
  static bool KannelInstalled();

  // Unavailable when a process fails to start or a wait times out (the
  // message names the step; the logs stay in dir() until the harness dies).
  static StatusOr<std::unique_ptr<KannelHarness>> Start(KannelHarnessOptions options);

  ~KannelHarness();
  KannelHarness(const KannelHarness&) = delete;
  KannelHarness& operator=(const KannelHarness&) = delete;

  // "http://127.0.0.1:PORT/cgi-bin/sendsms"
  std::string SendsmsUrl() const;
  const std::string& username() const { return options_.username; }
  const std::string& password() const { return options_.password; }
  const std::string& dir() const { return dir_; }

  // Writes "FROM TO text BODY\n" to fakesmsc's stdin; spaces consecutive
  // writes at least 0.2 s apart (lines written in one burst can stick in its
  // buffer). `text` must not contain a newline (InvalidArgument).
  Status InjectMo(const std::string& from, const std::string& to, const std::string& text);

  // Every MT fakesmsc has printed so far, in order.
  std::vector<FakeSmscMt> MtsReceived() const;
  // Polls MtsReceived() until it holds at least `count` MTs or `timeout` passes.
  bool WaitForMts(size_t count, std::chrono::milliseconds timeout) const;

  // Stops smsbox only (SIGTERM, wait), so sendsms is refused from then on.
  void StopSmsboxForTest();
  // Stops everything (idempotent) and removes the temp dir.
  void Stop();

  // The last `max_bytes` of each process's log, for failure messages.
  std::string LogTailsForTest(size_t max_bytes = 2000) const;

 private:
  explicit KannelHarness(KannelHarnessOptions options) : options_(std::move(options)) {}
  Status StartAll();

  KannelHarnessOptions options_;
  std::string dir_;
  int admin_port_ = 0;
  int smsbox_port_ = 0;
  int smsc_port_ = 0;
  int sendsms_port_ = 0;
  pid_t bearerbox_pid_ = -1;
  pid_t smsbox_pid_ = -1;
  pid_t fakesmsc_pid_ = -1;
  int fifo_writer_fd_ = -1;
  std::chrono::steady_clock::time_point last_inject_{};
};

// UTF-16BE bytes to UTF-8 (unpaired surrogates become U+FFFD). Exposed for tests.
std::string Utf16BeToUtf8(const std::string& bytes);

}  // namespace recall::channels::testing
