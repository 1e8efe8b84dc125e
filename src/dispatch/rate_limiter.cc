#include "dispatch/rate_limiter.h"

#include <algorithm>

namespace recall::dispatch {

std::chrono::nanoseconds RateLimiter::Acquire(const std::string& sender, const RateLimit& limit, TimePoint now) {
  const double rate = limit.per_second > 0 ? limit.per_second : 1.0;
  const double burst = std::max(1, limit.burst);
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[sender];
  if (!b.primed) {
    b.tokens = burst;
    b.updated = now;
    b.primed = true;
  }
  if (now > b.updated) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.updated = now;
  }
  b.tokens -= 1.0;  // reserve, possibly going into debt
  if (b.tokens >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-b.tokens / rate * 1e9));
}

}  // namespace recall::dispatch
