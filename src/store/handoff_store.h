#pragma once
// HandoffStore: the practice's human hand-off queue (docs/handoffs.md):
// inbound messages a person must answer, with priority, assignee, status and
// timers. Rows hold no message text in clear: the inbound text arrives sealed
// under the practice's field key (`text_enc`, context "handoff.text|<id>").
// See store/store.h for the rules every sub-store keeps.
//
// Lifecycle: open -> acknowledged -> resolved (open -> resolved is allowed:
// a message answered by phone). Acknowledge only from open; nothing leaves
// resolved. A reply acknowledges an open item. Every change appends one row to
// the item's event history and one audit record (ids only), in one
// transaction.
//
// Every method is scoped by practice id, except DueForEscalation, the
// installation-wide sweep (like OutboxStore::Claim).
//
// Thread-safety: as Store (writes serialised by the backend).
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/records.h"

namespace recall::store {

inline constexpr char kHandoffOpen[] = "open";
inline constexpr char kHandoffAcknowledged[] = "acknowledged";
inline constexpr char kHandoffResolved[] = "resolved";

struct HandoffRow {
  std::string practice_id;
  std::string handoff_id;        // "hof_..."
  std::string patient_id;        // "pat_..."; "" when the sender matched no patient
  std::string channel;           // "sms"
  std::string inbound_event_id;  // "inb_..."; "" when opened otherwise
  std::string category;          // "urgent" | "clinical" | "other"
  int priority = 2;              // 0 urgent, 1 clinical, 2 other: lower first
  std::string status = kHandoffOpen;
  std::string assignee;          // "usr_..." or ""
  std::string text_enc;          // the inbound text, sealed; PHI
  TimePoint created_at;
  TimePoint acknowledged_at;     // TimePoint() when not
  TimePoint resolved_at;
  TimePoint escalated_at;
};

struct HandoffEventRow {
  std::string handoff_id;
  int64_t seq = 0;    // 1, 2, ... per item
  std::string kind;   // "opened" | "assigned" | "acknowledged" | "replied" | "escalated" | "resolved"
  std::string actor;  // e.g. "user:alice", "system:worker"
  std::string ref;    // assigned: user id; replied / escalated: message id; else ""
  TimePoint at;
};

class HandoffStore {
 public:
  virtual ~HandoffStore() = default;
  // Inserts an open item (and its "opened" event). NotFound for an unknown
  // practice; AlreadyExists for a duplicate id; InvalidArgument for an unknown
  // category.
  virtual Status Open(const HandoffRow& row, const audit::AuditEvent& event) = 0;
  // NotFound (also for another practice's item).
  virtual StatusOr<HandoffRow> Get(const std::string& practice_id, const std::string& handoff_id) = 0;
  // Ordered by priority, then oldest first, then id; `status` "" = every
  // status. Cursor-paginated (the cursor is opaque).
  virtual StatusOr<Page<HandoffRow>> List(const std::string& practice_id, const std::string& status,
                                          const PageRequest& page) = 0;
  // The item's history, oldest first. NotFound.
  virtual StatusOr<std::vector<HandoffEventRow>> Events(const std::string& practice_id,
                                                        const std::string& handoff_id) = 0;
  // Sets the assignee ("" unassigns). NotFound; FailedPrecondition when resolved.
  virtual Status Assign(const std::string& practice_id, const std::string& handoff_id, const std::string& assignee,
                        TimePoint at, const audit::AuditEvent& event) = 0;
  // open -> acknowledged. NotFound; FailedPrecondition unless open.
  virtual Status Acknowledge(const std::string& practice_id, const std::string& handoff_id, TimePoint at,
                             const audit::AuditEvent& event) = 0;
  // open | acknowledged -> resolved. NotFound; FailedPrecondition when resolved.
  virtual Status Resolve(const std::string& practice_id, const std::string& handoff_id, TimePoint at,
                         const audit::AuditEvent& event) = 0;
  // Records a sent staff reply (and acknowledges an open item). NotFound;
  // FailedPrecondition when resolved.
  virtual Status RecordReply(const std::string& practice_id, const std::string& handoff_id,
                             const std::string& message_id, TimePoint at, const audit::AuditEvent& event) = 0;
  // Every practice's urgent items still open and never escalated, created at
  // or before `created_before`, oldest first.
  virtual StatusOr<std::vector<HandoffRow>> DueForEscalation(TimePoint created_before) = 0;
  // Records the escalation notification. NotFound; FailedPrecondition when the
  // item was escalated already or is no longer open (the sweep's "once").
  virtual Status MarkEscalated(const std::string& practice_id, const std::string& handoff_id,
                               const std::string& message_id, TimePoint at, const audit::AuditEvent& event) = 0;
};

}  // namespace recall::store
