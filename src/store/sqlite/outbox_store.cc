// The SQLite OutboxStore. Shares the store's connection and its one mutex
// (see sqlite_store.cc for the lock order: Store::mu_ is the only lock).
// Times are INTEGER milliseconds since the Unix epoch, so "due" is a plain
// integer comparison served by the partial indexes of migration 5.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "store/outbox_store.h"
#include "store/sqlite/internal.h"

namespace recall::store {

OutboxLease LeaseOf(const OutboxRow& claimed) {
  return OutboxLease{claimed.practice_id, claimed.message_id, claimed.worker_id, claimed.attempts};
}

namespace sqlite {

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

StatusOr<Stmt> PrepareOutboxInsert(Db* db) {
  return db->Prepare("INSERT INTO outbox (message_id, practice_id, campaign_id, step, "
                     "patient_id, channel, purpose, language, state, attempts, not_before_ms, "
                     "created_at_ms, updated_at_ms) VALUES (?,?,?,?,?,?,?,?,'queued',0,?,?,?) "
                     "ON CONFLICT DO NOTHING");
}

StatusOr<bool> InsertOutboxLocked(Db* db, Stmt& ins, const OutboxRow& r, int64_t now_ms) {
  ins.BindUnowned(1, r.message_id).BindUnowned(2, r.practice_id).BindUnowned(3, r.campaign_id);
  ins.Bind(4, int64_t{r.step}).BindUnowned(5, r.patient_id).BindUnowned(6, r.channel).BindUnowned(7, r.purpose);
  ins.BindUnowned(8, r.language).Bind(9, ToMillis(r.not_before)).Bind(10, now_ms).Bind(11, now_ms);
  Status run = ins.Run();
  ins.Reset();
  RETURN_IF_ERROR(run);
  return sqlite3_changes(db->raw()) > 0;
}

namespace {

constexpr std::string_view kOutboxColumns =
    "message_id, practice_id, campaign_id, step, patient_id, channel, purpose, state, attempts, not_before_ms, "
    "lease_until_ms, worker_id, provider_id, last_reason, sent_at_ms, created_at_ms, updated_at_ms, language, defers, "
    "delivery, delivery_reason, delivered_at_ms";


std::string OptText(const Stmt& s, int col) { return s.IsNull(col) ? "" : s.Text(col); }
TimePoint OptTime(const Stmt& s, int col) { return s.IsNull(col) ? TimePoint() : FromMillis(s.Int(col)); }

OutboxRow ReadOutbox(const Stmt& s) {
  OutboxRow r;
  r.message_id = s.Text(0);
  r.practice_id = s.Text(1);
  r.campaign_id = s.Text(2);
  r.step = static_cast<int>(s.Int(3));
  r.patient_id = s.Text(4);
  r.channel = s.Text(5);
  r.purpose = s.Text(6);
  r.state = s.Text(7);
  r.attempts = static_cast<int>(s.Int(8));
  r.not_before = FromMillis(s.Int(9));
  r.lease_until = OptTime(s, 10);
  r.worker_id = OptText(s, 11);
  r.provider_id = OptText(s, 12);
  r.last_reason = OptText(s, 13);
  r.sent_at = OptTime(s, 14);
  r.created_at = FromMillis(s.Int(15));
  r.updated_at = FromMillis(s.Int(16));
  r.language = s.Text(17);
  r.defers = static_cast<int>(s.Int(18));
  r.delivery = s.Text(19);
  r.delivery_reason = OptText(s, 20);
  r.delivered_at = OptTime(s, 21);
  return r;
}

// Rows are claimable only while their campaign runs (or when the store has no
// such campaign: the outbox used on its own).
constexpr char kCampaignRunning[] =
    "NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.practice_id = o.practice_id AND "
    "c.campaign_id = o.campaign_id AND c.state <> 'running')";

// Delivery reasons are short codes ("" allowed): letters, digits, '_', '.',
// ':' and '-', at most 64 bytes. (The audit PHI guard still checks them.)
bool IsReasonCode(const std::string& code) {
  if (code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ':';
  });
}

// Message ids become file names and header values downstream: keep them to
// the channel's alphabet and the planner's prefix.
bool IsMessageId(const std::string& id) {
  if (id.size() < 5 || id.size() > 128 || id.rfind("msg_", 0) != 0) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

class SqliteOutboxStore final : public OutboxStore {
 public:
  SqliteOutboxStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  StatusOr<EnqueueResult> Enqueue(const std::vector<OutboxRow>& rows, const audit::AuditEvent& event) override {
    for (const OutboxRow& r : rows) {
      if (r.practice_id != event.practice_id) return InvalidArgumentError("outbox row belongs to another practice");
      if (!IsMessageId(r.message_id)) return InvalidArgumentError("malformed outbox message id");
      if (r.campaign_id.empty() || r.patient_id.empty() || r.channel.empty() || r.purpose.empty() || r.step < 0) {
        return InvalidArgumentError("outbox row " + r.message_id + " is missing a field");
      }
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    exists.Bind(1, event.practice_id);
    ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFoundError("no practice " + event.practice_id);
    const int64_t now_ms = ToMillis(event.time);
    EnqueueResult result;
    ASSIGN_OR_RETURN(Stmt ins, PrepareOutboxInsert(db_));
    for (const OutboxRow& r : rows) {
      ASSIGN_OR_RETURN(bool inserted, InsertOutboxLocked(db_, ins, r, now_ms));
      if (inserted) {
        ++result.inserted;
      } else {
        ++result.already_present;
      }
    }
    audit::AuditEvent e = event;
    e.details["inserted"] = result.inserted;
    e.details["already_present"] = result.already_present;
    RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    RETURN_IF_ERROR(txn.Commit());
    return result;
  }

  StatusOr<std::vector<OutboxRow>> Claim(TimePoint now, TimePoint lease_until, const std::string& worker_id,
                                         int limit) override {
    if (lease_until <= now) return InvalidArgumentError("lease must end after now");
    if (limit < 1) return InvalidArgumentError("claim limit must be positive");
    if (worker_id.empty()) return InvalidArgumentError("worker id is empty");
    std::lock_guard<std::mutex> lock(*mu_);
    // BEGIN IMMEDIATE takes the database's write lock before the SELECT, so
    // another process's Claim waits for this one: no row is handed out twice.
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    const int64_t now_ms = ToMillis(now);
    ASSIGN_OR_RETURN(Stmt due, db_->Prepare(std::string("SELECT rowid, not_before_ms AS due FROM outbox o "
                                                        "WHERE state = 'queued' AND not_before_ms <= ?1 AND ") +
                                            kCampaignRunning +
                                            " UNION ALL SELECT rowid, lease_until_ms AS due FROM outbox o "
                                            "WHERE state = 'leased' AND lease_until_ms <= ?1 AND " +
                                            kCampaignRunning + " ORDER BY 2, 1 LIMIT ?2"));
    due.Bind(1, now_ms).Bind(2, int64_t{limit});
    std::vector<int64_t> rowids;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, due.Step());
      if (!row) break;
      rowids.push_back(due.Int(0));
    }
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare(std::string("UPDATE outbox SET state = 'leased', lease_until_ms = ?, "
                                                       "worker_id = ?, attempts = attempts + 1, updated_at_ms = ? "
                                                       "WHERE rowid = ? RETURNING ") +
                                           std::string(kOutboxColumns)));
    std::vector<OutboxRow> out;
    out.reserve(rowids.size());
    for (int64_t rowid : rowids) {
      up.Bind(1, ToMillis(lease_until)).Bind(2, worker_id).Bind(3, now_ms).Bind(4, rowid);
      auto row = up.Step();
      if (!row.ok()) return row.status();
      if (!*row) return InternalError("claimed outbox row vanished");
      out.push_back(ReadOutbox(up));
      up.Reset();
    }
    RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  Status MarkSent(const OutboxLease& lease, const std::string& provider_id, const audit::AuditEvent& event) override {
    return Transition(lease, kOutboxSent, nullptr, "", provider_id, event);
  }
  Status MarkRetry(const OutboxLease& lease, TimePoint not_before, const std::string& reason_code,
                   const audit::AuditEvent& event) override {
    return Transition(lease, kOutboxQueued, &not_before, reason_code, "", event);
  }
  Status MarkFailed(const OutboxLease& lease, const std::string& reason_code,
                    const audit::AuditEvent& event) override {
    return Transition(lease, kOutboxFailed, nullptr, reason_code, "", event);
  }
  Status MarkCancelled(const OutboxLease& lease, const std::string& reason_code,
                       const audit::AuditEvent& event) override {
    return Transition(lease, kOutboxCancelled, nullptr, reason_code, "", event);
  }
  Status Defer(const OutboxLease& lease, TimePoint not_before, const std::string& reason_code,
               const audit::AuditEvent& event) override {
    return Transition(lease, kOutboxQueued, &not_before, reason_code, "", event, /*defer=*/true);
  }

  Status RecordDelivery(const std::string& practice_id, const std::string& message_id, const std::string& delivery,
                        const std::string& reason_code, const audit::AuditEvent& event) override {
    if (delivery != kDeliveryDelivered && delivery != kDeliveryUndeliverable && delivery != kDeliveryFailed) {
      return InvalidArgumentError("delivery must be delivered, undeliverable or failed");
    }
    if (!IsReasonCode(reason_code)) return InvalidArgumentError("delivery reason must be a short code");
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(OutboxRow current, GetLocked(practice_id, message_id));
    // A provider can report before the worker has recorded the send (the
    // report races the MarkSent transaction), or after an ambiguous failure
    // that left the row queued for a retry: keep the report either way.
    if (current.state == kOutboxCancelled || current.state == kOutboxFailed) {
      return FailedPreconditionError("delivery report for " + message_id + " which is " + current.state);
    }
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE outbox SET delivery = ?, delivery_reason = ?, delivered_at_ms = ?, "
                                           "updated_at_ms = ? WHERE practice_id = ? AND message_id = ?"));
    const int64_t now_ms = ToMillis(event.time);
    up.Bind(1, delivery).Bind(2, reason_code).Bind(3, now_ms).Bind(4, now_ms).Bind(5, practice_id).Bind(6, message_id);
    RETURN_IF_ERROR(up.Run());
    audit::AuditEvent e = event;
    if (e.subject.empty()) e.subject = message_id;
    e.details["message_id"] = message_id;
    e.details["campaign_id"] = current.campaign_id;
    e.details["channel"] = current.channel;
    e.details["delivery"] = delivery;
    if (!reason_code.empty()) e.details["reason"] = reason_code;
    RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    return txn.Commit();
  }

  StatusOr<std::vector<OutboxRow>> ListByCampaign(const std::string& practice_id, const std::string& campaign_id,
                                                  const std::string& after_message_id, int limit) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kOutboxColumns) +
                                          " FROM outbox WHERE practice_id = ? AND campaign_id = ? AND "
                                          "message_id > ? ORDER BY message_id LIMIT ?"));
    s.Bind(1, practice_id).Bind(2, campaign_id).Bind(3, after_message_id).Bind(4, int64_t{limit});
    std::vector<OutboxRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadOutbox(s));
    }
    return out;
  }

  StatusOr<int64_t> CountDue(TimePoint now) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT (SELECT count(*) FROM outbox o WHERE state = 'queued' "
                                                      "AND not_before_ms <= ?1 AND ") +
                                          kCampaignRunning +
                                          ") + (SELECT count(*) FROM outbox o WHERE state = 'leased' AND "
                                          "lease_until_ms <= ?1 AND " +
                                          kCampaignRunning + ")"));
    s.Bind(1, ToMillis(now));
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  }

  StatusOr<TimePoint> NextDue() override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT min(due) FROM (SELECT min(not_before_ms) AS due FROM "
                                                      "outbox o WHERE state = 'queued' AND ") +
                                          kCampaignRunning +
                                          " UNION ALL SELECT min(lease_until_ms) FROM outbox o WHERE "
                                          "state = 'leased' AND " +
                                          kCampaignRunning + ")"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.IsNull(0)) return TimePoint();
    return FromMillis(s.Int(0));
  }

  StatusOr<OutboxRow> Get(const std::string& practice_id, const std::string& message_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetLocked(practice_id, message_id);
  }

  StatusOr<OutboxCounts> CountByState(const std::string& practice_id, const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT state, count(*) FROM outbox WHERE practice_id = ? AND "
                                          "campaign_id = ? GROUP BY state"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    OutboxCounts counts;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const std::string state = s.Text(0);
      const int64_t n = s.Int(1);
      if (state == kOutboxQueued) counts.queued = n;
      else if (state == kOutboxLeased) counts.leased = n;
      else if (state == kOutboxSent) counts.sent = n;
      else if (state == kOutboxFailed) counts.failed = n;
      else if (state == kOutboxCancelled) counts.cancelled = n;
    }
    return counts;
  }

  StatusOr<std::vector<SentCount>> SentCountsSince(const std::string& practice_id, TimePoint since) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT patient_id, channel, count(*) FROM outbox WHERE practice_id = ? "
                                          "AND state = 'sent' AND sent_at_ms >= ? GROUP BY patient_id, channel"));
    s.Bind(1, practice_id).Bind(2, ToMillis(since));
    std::vector<SentCount> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(SentCount{s.Text(0), s.Text(1), s.Int(2)});
    }
    return out;
  }

  StatusOr<std::vector<OutboxSend>> RecentSends(const std::string& practice_id, const std::string& patient_id,
                                                TimePoint since) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT sent_at_ms, channel, campaign_id, message_id FROM outbox "
                                          "WHERE practice_id = ? AND patient_id = ? AND state = 'sent' AND "
                                          "sent_at_ms >= ? ORDER BY sent_at_ms, message_id"));
    s.Bind(1, practice_id).Bind(2, patient_id).Bind(3, ToMillis(since));
    std::vector<OutboxSend> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(OutboxSend{FromMillis(s.Int(0)), s.Text(1), s.Text(2), s.Text(3)});
    }
    return out;
  }

 private:
  // One fenced state change and its audit record, in one transaction.
  // `not_before` is set only for transitions back to queued.
  Status Transition(const OutboxLease& lease, const char* to_state, const TimePoint* not_before,
                    const std::string& reason, const std::string& provider_id, const audit::AuditEvent& event,
                    bool defer = false) {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(OutboxRow current, GetLocked(lease.practice_id, lease.message_id));
    if (current.state != kOutboxLeased || current.worker_id != lease.worker_id ||
        current.attempts != lease.attempt) {
      return FailedPreconditionError("outbox lease on " + lease.message_id + " is no longer held (state " +
                                     current.state + ")");
    }
    const int64_t now_ms = ToMillis(event.time);
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE outbox SET state = ?, lease_until_ms = NULL, "
                                           "not_before_ms = coalesce(?, not_before_ms), "
                                           "provider_id = coalesce(?, provider_id), "
                                           "last_reason = coalesce(?, last_reason), "
                                           "sent_at_ms = coalesce(?, sent_at_ms), updated_at_ms = ?, "
                                           "defers = defers + ? WHERE practice_id = ? AND message_id = ?"));
    up.Bind(1, std::string_view(to_state));
    if (not_before != nullptr) up.Bind(2, ToMillis(*not_before)); else up.BindBlob(2, "");  // NULL
    if (!provider_id.empty()) up.Bind(3, provider_id); else up.BindBlob(3, "");
    if (!reason.empty()) up.Bind(4, reason); else up.BindBlob(4, "");
    if (std::string_view(to_state) == kOutboxSent) up.Bind(5, now_ms); else up.BindBlob(5, "");
    up.Bind(6, now_ms).Bind(7, int64_t{defer ? 1 : 0}).Bind(8, lease.practice_id).Bind(9, lease.message_id);
    RETURN_IF_ERROR(up.Run());

    audit::AuditEvent e = event;
    if (e.subject.empty()) e.subject = current.message_id;
    e.details["message_id"] = current.message_id;
    e.details["campaign_id"] = current.campaign_id;
    e.details["step"] = int64_t{current.step};
    e.details["channel"] = current.channel;
    e.details["state"] = std::string(to_state);
    e.details["attempts"] = int64_t{current.attempts};
    if (!reason.empty()) e.details["reason"] = reason;
    if (not_before != nullptr) e.details["not_before"] = FormatRfc3339Millis(*not_before);
    RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    return txn.Commit();
  }

  StatusOr<OutboxRow> GetLocked(const std::string& practice_id, const std::string& message_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kOutboxColumns) +
                                          " FROM outbox WHERE practice_id = ? AND message_id = ?"));
    s.Bind(1, practice_id).Bind(2, message_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no outbox message " + message_id + " in practice " + practice_id);
    return ReadOutbox(s);
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<OutboxStore> NewSqliteOutboxStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteOutboxStore>(db, mu);
}

}  // namespace sqlite
}  // namespace recall::store
