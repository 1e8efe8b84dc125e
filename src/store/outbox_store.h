#pragma once
// OutboxStore: the durable queue of messages to send (see store/store.h for
// the rules every sub-store keeps).
//
// The campaign planner enqueues one row per (practice, campaign, step,
// patient), however often it runs: Enqueue is idempotent on that key. Workers
// Claim due rows with a lease, ask the dispatch gate, send, and record the
// outcome. A row moves through these states:
//
//   queued --Claim--> leased --MarkSent-----> sent       (final)
//                       |  \--MarkFailed----> failed     (final)
//                       |  \--MarkCancelled-> cancelled  (final)
//                       |  \--MarkRetry / Defer--> queued (not_before later)
//                       \--lease expires (worker died)--> claimable again
//
// Crash safety: every state change is one transaction. A worker killed at any
// moment leaves its rows `leased`; once lease_until passes, Claim hands them
// to another worker with the same message_id, so the only message that can be
// repeated is one that was in flight, and its stable id makes the resend
// recognisable (email Message-ID, SMS client reference, file name).
//
// Fencing: the Mark*/Defer methods take the OutboxLease that Claim returned
// (practice, message, worker, attempt). They fail with FailedPrecondition when
// that lease is no longer held (another worker re-claimed the row after this
// lease expired, or the row already reached an outcome), so a stalled worker
// can never undo a newer worker's outcome.
//
// Rows hold no PHI: ids, the channel, the purpose, times and reason codes. The
// message body is rendered at send time from the approved template, so nothing
// sensitive sits in the queue. Reason codes end up in audit details too, so a
// PHI-looking reason (an address, a long digit run) is refused
// (InvalidArgument) and the transition does not happen.
//
// Audit: Enqueue appends one "outbox.enqueue" record per call; every Mark*/
// Defer appends the caller's event, with the store adding message_id,
// campaign_id, step, channel, state, attempts and (when any) reason to its
// details, in the same transaction as the change. Claim is bookkeeping (who
// holds the row for how long) and is not audited; the attempt number appears
// in the outcome's record.
//
// Paused campaigns: Claim hands out a campaign's rows only while the campaign
// is "running" (rows of a campaign the store does not know are claimable, so
// the outbox can be used on its own). Pausing a campaign therefore holds its
// queued messages where they are; resuming releases them.
//
// Delivery reports: RecordDelivery stores what the provider said after it
// accepted a sent message (delivered, undeliverable, failed), audited.
//
// Scoping: every method but Claim is scoped by practice id. Claim serves the
// whole installation (workers are shared); each row it returns carries its
// practice id.
//
// Times are stored with millisecond precision.
//
// Thread-safety: as Store. Claim is one transaction, so two workers (threads
// or processes sharing the database) never claim the same row.
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::store {

// "queued" | "leased" | "sent" | "failed" | "cancelled".
inline constexpr char kOutboxQueued[] = "queued";
inline constexpr char kOutboxLeased[] = "leased";
inline constexpr char kOutboxSent[] = "sent";
inline constexpr char kOutboxFailed[] = "failed";
inline constexpr char kOutboxCancelled[] = "cancelled";

struct OutboxRow {
  std::string message_id;   // "msg_..." opaque, stable across retries; unique per practice
  std::string practice_id;
  std::string campaign_id;  // "cmp_..."
  int step = 0;             // the campaign step's index
  std::string patient_id;   // "pat_..."
  std::string channel;      // "email" | "sms" | "voice" | "rvm"
  std::string purpose;      // "care" | "outreach"
  std::string language;     // the template variant to render (BCP-47); "" -> the campaign's only one
  std::string state = kOutboxQueued;
  int attempts = 0;         // claims so far (1 during the first send)
  TimePoint not_before;     // not claimed before this instant
  TimePoint lease_until;    // leased: when the lease expires; epoch otherwise
  std::string worker_id;    // the last worker to claim it; "" before any claim
  std::string provider_id;  // sent: the channel's Receipt::provider_id
  std::string last_reason;  // the last retry/defer/failure/cancel reason code
  TimePoint sent_at;        // sent: when; epoch otherwise
  int defers = 0;           // how often the gate deferred it
  // What the provider reported after accepting it: "" (nothing yet),
  // "delivered", "undeliverable" (a hard bounce or a dead number) or "failed"
  // (the provider gave up for another reason).
  std::string delivery;
  std::string delivery_reason;  // short code from the report; "" when none
  TimePoint delivered_at;       // when the report arrived; epoch when none
  TimePoint created_at;
  TimePoint updated_at;
};

// What a worker must show to record an outcome (see "Fencing" above).
struct OutboxLease {
  std::string practice_id;
  std::string message_id;
  std::string worker_id;
  int attempt = 0;  // OutboxRow::attempts as returned by Claim
};
OutboxLease LeaseOf(const OutboxRow& claimed);

struct EnqueueResult {
  int64_t inserted = 0;
  int64_t already_present = 0;  // same (practice, campaign, step, patient) or message id
};

inline constexpr char kDeliveryDelivered[] = "delivered";
inline constexpr char kDeliveryUndeliverable[] = "undeliverable";
inline constexpr char kDeliveryFailed[] = "failed";

struct OutboxCounts {
  int64_t queued = 0;
  int64_t leased = 0;
  int64_t sent = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
};

// One sent message, for frequency caps.
struct OutboxSend {
  TimePoint sent_at;
  std::string channel;
  std::string campaign_id;
  std::string message_id;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Inserts each row as `queued` (state, attempts, lease, provider and reason
  // fields of `rows` are ignored; created_at/updated_at = event.time) unless a
  // row with the same (practice, campaign, step, patient) or message id is
  // already present, in which case that row is left untouched. All rows must
  // belong to event.practice_id (InvalidArgument otherwise, or for a malformed
  // message id); NotFound for an unknown practice. One transaction, one audit
  // record.
  virtual StatusOr<EnqueueResult> Enqueue(const std::vector<OutboxRow>& rows, const audit::AuditEvent& event) = 0;

  // Atomically leases up to `limit` rows that are queued with not_before <=
  // now, or leased with lease_until <= now (an abandoned lease), oldest due
  // first: state = leased, lease_until, worker_id, attempts + 1. Returns the
  // rows as leased. InvalidArgument when lease_until <= now, limit < 1 or
  // worker_id is "".
  virtual StatusOr<std::vector<OutboxRow>> Claim(TimePoint now, TimePoint lease_until, const std::string& worker_id,
                                                 int limit) = 0;

  // leased -> sent, recording the provider's id; sent_at = event.time.
  // NotFound; FailedPrecondition when the lease is no longer held.
  virtual Status MarkSent(const OutboxLease& lease, const std::string& provider_id,
                          const audit::AuditEvent& event) = 0;
  // leased -> queued, claimable again at not_before (a transient failure).
  // NotFound; FailedPrecondition when the lease is no longer held.
  virtual Status MarkRetry(const OutboxLease& lease, TimePoint not_before, const std::string& reason_code,
                           const audit::AuditEvent& event) = 0;
  // leased -> failed (final: a permanent failure, with the provider's reason).
  // NotFound; FailedPrecondition when the lease is no longer held.
  virtual Status MarkFailed(const OutboxLease& lease, const std::string& reason_code,
                            const audit::AuditEvent& event) = 0;
  // leased -> cancelled (final: the gate said cancel).
  // NotFound; FailedPrecondition when the lease is no longer held.
  virtual Status MarkCancelled(const OutboxLease& lease, const std::string& reason_code,
                               const audit::AuditEvent& event) = 0;
  // leased -> queued until not_before (the gate said defer); unlike MarkRetry
  // this is not a failure, but the attempt still counts as a claim.
  // NotFound; FailedPrecondition when the lease is no longer held.
  virtual Status Defer(const OutboxLease& lease, TimePoint not_before, const std::string& reason_code,
                       const audit::AuditEvent& event) = 0;

  // A delivery report for a sent message: delivery is kDeliveryDelivered,
  // kDeliveryUndeliverable or kDeliveryFailed (InvalidArgument otherwise, or
  // for a PHI-looking reason). Reports are kept for sent rows and also for
  // leased ones (the provider reported before the worker recorded the send)
  // and queued ones (a retry after an ambiguous failure: the worker then
  // records the delivered message as sent instead of sending it again); a
  // report for a cancelled or failed row is FailedPrecondition. A repeated
  // report overwrites the earlier one (Kannel sends "buffered" then
  // "delivered"). NotFound. Audited.
  virtual Status RecordDelivery(const std::string& practice_id, const std::string& message_id,
                                const std::string& delivery, const std::string& reason_code,
                                const audit::AuditEvent& event) = 0;

  // NotFound (also when the message belongs to another practice).
  virtual StatusOr<OutboxRow> Get(const std::string& practice_id, const std::string& message_id) = 0;
  // How many of the campaign's rows are in each state.
  virtual StatusOr<OutboxCounts> CountByState(const std::string& practice_id, const std::string& campaign_id) = 0;
  // The campaign's rows ordered by message id, after `after_message_id`
  // ("" = from the start), at most `limit`.
  virtual StatusOr<std::vector<OutboxRow>> ListByCampaign(const std::string& practice_id,
                                                          const std::string& campaign_id,
                                                          const std::string& after_message_id, int limit) = 0;
  // Due rows (queued with not_before <= now, or an expired lease) of running
  // campaigns, for `worker --until-idle`; and the earliest not_before among
  // queued rows of running campaigns (epoch when none).
  virtual StatusOr<int64_t> CountDue(TimePoint now) = 0;
  virtual StatusOr<TimePoint> NextDue() = 0;
  // For every (patient, channel) of the practice with messages sent at or
  // after `since`: how many (the planner's cap check, in one query).
  struct SentCount {
    std::string patient_id;
    std::string channel;
    int64_t count = 0;
  };
  virtual StatusOr<std::vector<SentCount>> SentCountsSince(const std::string& practice_id, TimePoint since) = 0;
  // The patient's messages sent at or after `since`, across campaigns, oldest first.
  virtual StatusOr<std::vector<OutboxSend>> RecentSends(const std::string& practice_id, const std::string& patient_id,
                                                        TimePoint since) = 0;
};

}  // namespace recall::store
