#pragma once
// Per-sender rate limits: a token bucket per sender (practice and channel),
// refilled at the sender class's rate (carriers allow a 10DLC long code about
// 1 message/s, toll-free 3/s, a short code 100/s; SMTP relays their own).
//
// Acquire never sleeps: it takes a token when one is available and returns
// zero, or reserves the next token and returns how long the caller must wait
// before sending. Time comes from the caller (an injected Clock), so tests are
// deterministic. Thread-safe.
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace recall::dispatch {

struct RateLimit {
  double per_second = 1.0;  // > 0
  int burst = 1;            // >= 1 tokens held at most
};

class RateLimiter {
 public:
  // How long to wait before sending one message as `sender` at `now` under
  // `limit`; the token is reserved either way.
  std::chrono::nanoseconds Acquire(const std::string& sender, const RateLimit& limit, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
    bool primed = false;
  };
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace recall::dispatch
