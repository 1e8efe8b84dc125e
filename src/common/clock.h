#pragma once
// Clock: the one source of "now" in Recall. Production code takes a Clock& so
// that quiet hours, schedules, retries and audit timestamps are testable with a
// FakeClock. Implementations are thread-safe.
#include <chrono>
#include <mutex>
#include <string>

#include "common/status.h"

namespace recall {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  void Set(TimePoint t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // GUARDED_BY(mu_)
};

// Test-only: a clock that reads `start` when constructed and then advances
// with real (monotonic) time: Now() = start + (steady now - steady at
// construction). The CLI installs one when RECALL_TEST_CLOCK is set, so that
// end-to-end tests do not depend on the wall clock (docs/cli.md). Thread-safe.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(TimePoint start) : start_(start), steady_start_(std::chrono::steady_clock::now()) {}
  TimePoint Now() const override {
    return start_ + std::chrono::duration_cast<TimePoint::duration>(std::chrono::steady_clock::now() - steady_start_);
  }

 private:
  const TimePoint start_;
  const std::chrono::steady_clock::time_point steady_start_;
};

// "2026-11-25T18:06:06.123Z" (UTC, millisecond precision).
std::string FormatRfc3339Millis(TimePoint t);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z". InvalidArgument otherwise.
StatusOr<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace recall
