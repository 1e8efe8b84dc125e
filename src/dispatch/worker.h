#pragma once
// The dispatch worker: the loop that turns outbox rows into delivered messages.
//
// One Tick:
//   1. plans every campaign step that has fallen due (planner::PlanDueSteps);
//   2. claims up to `batch` due messages with a lease (OutboxStore::Claim);
//   3. for each: asks the Gate (consent, approval hash, contact, vendor BAA,
//      quiet hours, caps) -> cancel / defer / send; renders the approved
//      template variant for the patient, runs the clinical-content scanner on
//      the rendered message (the found-phone test, on every message: a block
//      finding cancels it with "scanner_block"), waits for the sender's rate
//      limit, hands the message to the channel, and records the outcome:
//        sent                          -> MarkSent (provider id)
//        hard bounce / dead number     -> MarkFailed "hard_bounce", and the
//                                         contact is marked invalid for the channel
//        other permanent refusal       -> MarkFailed "provider_refused" | "invalid_message"
//        transient (Unavailable, ...)  -> MarkRetry with exponential backoff and
//                                         jitter, or MarkFailed "retries_exhausted"
//                                         after the practice's max_attempts;
//   4. completes running campaigns whose steps are planned and messages final.
//
// Crash safety comes from the outbox: a worker killed at any moment leaves its
// claimed rows leased; when the lease expires another worker re-claims them
// with the same message id, so only a message that was in flight can be sent
// twice, and its id (email Message-ID, SMS client reference, file name) makes
// the repeat recognisable.
//
// Shutdown: Run returns after the message in hand when `stop` becomes true;
// rows claimed but not yet started are released by Defer ("shutdown").
//
// PHI: the worker decrypts one patient's first name and contact at a time to
// render and send, and writes a voice/RVM script's WAV (a spoken first name)
// to a private spool file that it deletes after the send. Outcomes and
// reasons are audited with ids and codes only.
//
// Time and randomness come from the Engine (injected clock and random); the
// worker sleeps only through WorkerOptions::sleep, so tests with a FakeClock
// advance time instead of waiting.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "channels/channel.h"
#include "common/status.h"
#include "dispatch/rate_limiter.h"
#include "engine/engine.h"
#include "scanner/scanner.h"
#include "store/outbox_store.h"

namespace recall::dispatch {

// Where the worker finds the provider for a practice's channel (the IT
// engineer's channel configuration, channels/config.h, in production).
class ChannelSource {
 public:
  virtual ~ChannelSource() = default;
  // NotFound when no transport is configured for the channel.
  virtual StatusOr<channels::Channel*> ChannelFor(const std::string& practice_id, const std::string& channel) = 0;
  virtual RateLimit RateFor(const std::string& practice_id, const std::string& channel) = 0;
};

struct WorkerOptions {
  std::string worker_id;  // "" -> "w-<host pid>"-style id from the engine's random
  int batch = 8;          // messages claimed per tick
  std::chrono::seconds lease{300};
  std::chrono::seconds backoff_base{30};  // first retry after ~30 s, then 60, 120, ...
  std::chrono::seconds backoff_max{3600};
  std::string spool_dir;  // voice/rvm WAVs; "" -> <data>/spool
  std::string espeak_binary = "espeak-ng";
  bool plan = true;  // plan due steps on each tick
  // Run signs the audit chain head this often (and RunUntilIdle once at the end).
  std::chrono::seconds checkpoint_every{300};
  // How the worker waits (rate limits, idle polling). Default: really sleep.
  std::function<void(std::chrono::nanoseconds)> sleep;
};

struct WorkerStats {
  int64_t claimed = 0;
  int64_t sent = 0;
  int64_t deferred = 0;
  int64_t cancelled = 0;
  int64_t retried = 0;
  int64_t failed = 0;
  int64_t lease_lost = 0;   // an outcome could not be recorded: the lease had expired
  int64_t steps_planned = 0;
  int64_t campaigns_completed = 0;
  void Add(const WorkerStats& o);
};

class Worker {
 public:
  Worker(engine::Engine& engine, const scanner::Scanner& scanner, ChannelSource& channels, WorkerOptions options);

  // One pass (see the header comment). Errors of the store stop the tick.
  StatusOr<WorkerStats> Tick();
  // Ticks until nothing is due at the clock's now (messages deferred into the
  // future are left for later).
  StatusOr<WorkerStats> RunUntilIdle();
  // Ticks until `stop`; between empty ticks waits until the next due message
  // (at most `idle_poll`).
  StatusOr<WorkerStats> Run(const std::atomic<bool>& stop,
                            std::chrono::milliseconds idle_poll = std::chrono::milliseconds(1000));

  const std::string& worker_id() const { return options_.worker_id; }

 private:
  Status Process(const store::OutboxRow& row, WorkerStats* stats);

  engine::Engine& engine_;
  const scanner::Scanner& scanner_;
  ChannelSource& channels_;
  WorkerOptions options_;
  RateLimiter limiter_;
};

}  // namespace recall::dispatch
