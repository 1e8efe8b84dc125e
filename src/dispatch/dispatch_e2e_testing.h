#pragma once
// KannelWebhookForTest (test-only, header-only): Kannel's two callbacks into
// Recall, on loopback, for tests that run the real bearerbox/smsbox/fakesmsc.
//
// It stands in for `recall serve`'s webhook until issue 6 routes the same calls
// through the product HTTP server: an HttpRecorder (channels/testing/
// http_recorder.h) takes Kannel's requests and answers 200 at once, and a
// thread of its own parses each one with the production parsers
// (channels/kannel/kannel_callbacks.h) and calls the production handlers:
//   GET <BaseUrl>/kannel/dlr/<secret>?msg=..&status=%d..  -> dispatch::RecordDeliveryReport
//   GET <BaseUrl>/kannel/mo?from=%p&to=%P&text=%a&id=%I   -> dispatch::HandleInboundSms
// A request to any other path (or a DLR with the wrong secret) is counted as
// refused and otherwise ignored. It does not send the CTIA reply to an MO
// (the webhook of issue 6 will); outcomes are kept for the test to inspect.
//
// Delivery reports can overtake the worker: smsbox accepts a message, fakesmsc
// delivers it and Kannel calls dlr-url before the worker has recorded the send
// (MarkSent), so RecordDeliveryReport answers FailedPrecondition. On this
// machine that happens to a large share of the reports (dispatch_e2e_test
// prints how many). A webhook that answered 200 and dropped them would lose
// those reports; here each is held and retried (in order, per message) for up
// to `retry_for`, and counted once (early_reports()).
//
// Thread-safety: the Engine is thread-safe and is shared with the test thread
// (the worker). Every accessor may be called from any thread. The destructor
// stops and joins the processing thread, then the recorder. Declare it before
// the KannelHarness so Kannel can still call it while it stops.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "channels/kannel/kannel_callbacks.h"
#include "channels/testing/http_recorder.h"
#include "common/status.h"
#include "dispatch/feedback.h"
#include "engine/engine.h"

namespace recall::dispatch {

class KannelWebhookForTest {
 public:
  struct Inbound {
    std::string from_e164;
    std::string text;
    Status status;          // HandleInboundSms's status
    InboundResult result;   // valid when status.ok()
  };

  KannelWebhookForTest(engine::Engine& engine, std::string practice_id, std::string dlr_secret,
                       std::chrono::milliseconds retry_for = std::chrono::seconds(60))
      : engine_(engine),
        practice_id_(std::move(practice_id)),
        dlr_secret_(std::move(dlr_secret)),
        retry_for_(retry_for) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~KannelWebhookForTest() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  KannelWebhookForTest(const KannelWebhookForTest&) = delete;
  KannelWebhookForTest& operator=(const KannelWebhookForTest&) = delete;

  bool ok() const { return recorder_.ok(); }
  // KannelConfig::dlr_url_base.
  std::string DlrUrlBase() const { return recorder_.BaseUrl() + "/kannel/dlr/" + dlr_secret_; }
  // KannelHarnessOptions::mo_get_url.
  std::string MoGetUrl() const {
    return recorder_.BaseUrl() + "/kannel/mo?" + std::string(channels::kInboundGetUrlQuery);
  }

  // Kannel reports by its status name ("delivered", "accepted", ...), as
  // recorded (RecordDeliveryReport returned OK).
  std::vector<std::pair<std::string, std::string>> RecordedReports() const {
    std::lock_guard<std::mutex> lock(mu_);
    return recorded_;
  }
  // Reports that could not be recorded: bad query, or an error other than the
  // early-report race, or still refused when retry_for ran out.
  std::vector<std::string> ReportErrors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return report_errors_;
  }
  std::vector<Inbound> InboundHandled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return inbound_;
  }
  int refused() const { return refused_; }
  // Reports that came before their message was recorded as sent (each
  // counted once, however often it was retried).
  int early_reports() const { return early_reports_; }
  // True when every request received so far has been handled (nothing held).
  bool Drained() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.empty() && next_request_ == recorder_.Requests().size();
  }

 private:
  struct Held {
    channels::DeliveryReport report;
    std::chrono::steady_clock::time_point first_seen;
  };

  static std::string DispatchStatusFor(channels::DeliveryStatus status) {
    switch (status) {
      case channels::DeliveryStatus::kDelivered:
        return "delivered";
      case channels::DeliveryStatus::kFailed:
        return "failed";
      case channels::DeliveryStatus::kRejected:
        return "undeliverable";
      case channels::DeliveryStatus::kBuffered:
      case channels::DeliveryStatus::kAccepted:
        return "pending";
    }
    return "pending";
  }

  void Loop() {
    while (!stop_) {
      const size_t seen = [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return next_request_;
      }();
      recorder_.WaitFor([&](const auto& requests) { return requests.size() > seen || stop_; },
                        std::chrono::milliseconds(50));
      const std::vector<channels::testing::HttpRecorder::Request> requests = recorder_.Requests();
      for (size_t idx = seen; idx < requests.size(); ++idx) Handle(requests[idx]);
      RetryHeld();
      std::lock_guard<std::mutex> lock(mu_);
      next_request_ = requests.size();
    }
  }

  void Handle(const channels::testing::HttpRecorder::Request& request) {
    if (request.path == "/kannel/mo") {
      Inbound in;
      auto sms = channels::ParseInboundSms(request.query);
      if (!sms.ok()) {
        in.status = sms.status();
      } else {
        in.from_e164 = sms->from_e164;
        in.text = sms->text;
        auto handled = HandleInboundSms(engine_, practice_id_, sms->from_e164, sms->text);
        in.status = handled.status();
        if (handled.ok()) in.result = std::move(handled).value();
      }
      std::lock_guard<std::mutex> lock(mu_);
      inbound_.push_back(std::move(in));
      return;
    }
    if (request.path != "/kannel/dlr/" + dlr_secret_) {
      ++refused_;
      return;
    }
    auto report = channels::ParseDeliveryReport(request.query);
    if (!report.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      report_errors_.push_back(report.status().ToString());
      return;
    }
    Held held{std::move(report).value(), std::chrono::steady_clock::now()};
    // Keep reports for one message in order: behind one that is held, wait.
    bool behind = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      behind = std::any_of(held_.begin(), held_.end(),
                           [&](const Held& h) { return h.report.message_id == held.report.message_id; });
      if (behind) held_.push_back(held);
    }
    if (!behind && !TryRecord(held)) {
      ++early_reports_;
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(held);
    }
  }

  // True when done with the report (recorded or failed for good); false when
  // it came before the worker recorded the send.
  bool TryRecord(const Held& held) {
    const std::string status = DispatchStatusFor(held.report.status);
    const Status s = RecordDeliveryReport(engine_, {practice_id_, held.report.message_id, status, ""});
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) {
      recorded_.emplace_back(held.report.message_id,
                             std::string(channels::DeliveryStatusName(held.report.status)));
      return true;
    }
    if (IsFailedPrecondition(s) && std::chrono::steady_clock::now() - held.first_seen < retry_for_) return false;
    report_errors_.push_back(held.report.message_id + ": " + s.ToString());
    return true;
  }

  void RetryHeld() {
    std::deque<Held> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending.swap(held_);
    }
    std::set<std::string> blocked;  // messages with an earlier report still held
    std::deque<Held> still;
    for (Held& h : pending) {
      if (blocked.count(h.report.message_id) != 0 || !TryRecord(h)) {
        blocked.insert(h.report.message_id);
        still.push_back(std::move(h));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    held_.swap(still);  // only this thread adds to held_

  }

  engine::Engine& engine_;
  const std::string practice_id_;
  const std::string dlr_secret_;
  const std::chrono::milliseconds retry_for_;
  channels::testing::HttpRecorder recorder_;

  mutable std::mutex mu_;
  size_t next_request_ = 0;                                     // GUARDED_BY(mu_)
  std::deque<Held> held_;                                       // GUARDED_BY(mu_)
  std::vector<std::pair<std::string, std::string>> recorded_;  // GUARDED_BY(mu_)
  std::vector<std::string> report_errors_;                      // GUARDED_BY(mu_)
  std::vector<Inbound> inbound_;                                // GUARDED_BY(mu_)
  std::atomic<int> refused_{0};
  std::atomic<int> early_reports_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace recall::dispatch
