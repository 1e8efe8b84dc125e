#include "store/sqlite/internal.h"

#include <unordered_map>

namespace recall::store::sqlite {

namespace {

struct SignerEntry {
  std::shared_ptr<const crypto::SigningKey> key;
  int64_t every_n = audit::kDefaultCheckpointEvery;
};

// The installed signers, by connection. AppendAuditLocked only sees the Db, and
// every sub-store appends through it, so the hook lives beside it. The store
// removes its entry before its connection closes.
std::mutex signers_mu;
std::unordered_map<const Db*, SignerEntry>& Signers() {
  static auto* signers = new std::unordered_map<const Db*, SignerEntry>();
  return *signers;
}

}  // namespace

void SetAuditSigner(Db* db, std::shared_ptr<const crypto::SigningKey> key, int64_t every_n) {
  std::lock_guard<std::mutex> lock(signers_mu);
  if (key == nullptr) {
    Signers().erase(db);
    return;
  }
  Signers()[db] = {std::move(key), every_n > 0 ? every_n : audit::kDefaultCheckpointEvery};
}

StatusOr<AuditAppender> AuditAppender::Start(Db* db) {
  AuditAppender a;
  a.db_ = db;
  ASSIGN_OR_RETURN(Stmt last, db->Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  a.head_hash_ = audit::kGenesisHash;
  ASSIGN_OR_RETURN(bool has, last.Step());
  if (has) {
    a.seq_ = last.Int(0);
    a.head_hash_ = last.Text(1);
  }
  ASSIGN_OR_RETURN(a.insert_, db->Prepare("INSERT INTO audit_log (seq, time, actor, action, practice_id, subject, "
                                          "details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)"));
  std::lock_guard<std::mutex> lock(signers_mu);
  if (auto it = Signers().find(db); it != Signers().end()) {
    a.signer_ = it->second.key;
    a.every_n_ = it->second.every_n;
  }
  return a;
}

StatusOr<audit::AuditRecord> AuditAppender::Append(const audit::AuditEvent& event) {
  RETURN_IF_ERROR(audit::CheckEvent(event));
  audit::AuditRecord rec = audit::SealRecord(event, seq_ + 1, head_hash_);
  insert_.Bind(1, rec.seq).BindUnowned(2, rec.time).BindUnowned(3, rec.actor).BindUnowned(4, rec.action);
  insert_.BindUnowned(5, rec.practice_id).BindUnowned(6, rec.subject).BindUnowned(7, rec.details_json);
  insert_.BindUnowned(8, rec.prev_hash).BindUnowned(9, rec.hash);
  if (Status inserted = insert_.Run(); !inserted.ok()) {
    insert_.Reset();  // Run resets only on success
    return inserted;
  }
  seq_ = rec.seq;
  head_hash_ = rec.hash;
  if (signer_ != nullptr && seq_ % every_n_ == 0) {
    ASSIGN_OR_RETURN(audit::Checkpoint cp, audit::SignCheckpoint(*signer_, seq_, head_hash_, event.time));
    RETURN_IF_ERROR(WriteCheckpoint(cp));
  }
  return rec;
}

StatusOr<std::optional<audit::Checkpoint>> AuditAppender::CheckpointHead(TimePoint now) {
  if (signer_ == nullptr) return FailedPreconditionError("no audit checkpoint signer installed");
  if (seq_ == 0) return NotFoundError("the audit log is empty");
  ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM audit_checkpoints WHERE seq >= ?"));
  q.Bind(1, seq_);
  ASSIGN_OR_RETURN(bool covered, q.Step());
  if (covered) return std::optional<audit::Checkpoint>();
  ASSIGN_OR_RETURN(audit::Checkpoint cp, audit::SignCheckpoint(*signer_, seq_, head_hash_, now));
  RETURN_IF_ERROR(WriteCheckpoint(cp));
  return std::optional<audit::Checkpoint>(std::move(cp));
}

Status AuditAppender::WriteCheckpoint(const audit::Checkpoint& cp) {
  if (!checkpoint_prepared_) {
    ASSIGN_OR_RETURN(insert_checkpoint_,
                     db_->Prepare("INSERT INTO audit_checkpoints (seq, hash, key_id, public_key, signature, "
                                  "created_at) VALUES (?,?,?,?,?,?) ON CONFLICT (seq) DO NOTHING"));
    checkpoint_prepared_ = true;
  }
  insert_checkpoint_.Bind(1, cp.seq).Bind(2, cp.hash).Bind(3, cp.key_id).Bind(4, cp.public_key);
  insert_checkpoint_.Bind(5, cp.signature).Bind(6, cp.created_at);
  return insert_checkpoint_.Run();
}

StatusOr<audit::AuditRecord> AppendAuditLocked(Db* db, const audit::AuditEvent& event) {
  ASSIGN_OR_RETURN(AuditAppender appender, AuditAppender::Start(db));
  return appender.Append(event);
}

}  // namespace recall::store::sqlite
