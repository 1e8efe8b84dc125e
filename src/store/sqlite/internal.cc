#include "store/sqlite/internal.h"

namespace recall::store::sqlite {

StatusOr<audit::AuditRecord> AppendAuditLocked(Db* db, const audit::AuditEvent& event) {
  RETURN_IF_ERROR(audit::CheckEvent(event));
  ASSIGN_OR_RETURN(Stmt last, db->Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  int64_t seq = 1;
  std::string prev = audit::kGenesisHash;
  ASSIGN_OR_RETURN(bool has, last.Step());
  if (has) {
    seq = last.Int(0) + 1;
    prev = last.Text(1);
  }
  audit::AuditRecord rec = audit::SealRecord(event, seq, prev);
  ASSIGN_OR_RETURN(Stmt ins, db->Prepare("INSERT INTO audit_log (seq, time, actor, action, practice_id, subject, "
                                         "details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)"));
  ins.Bind(1, rec.seq).Bind(2, rec.time).Bind(3, rec.actor).Bind(4, rec.action).Bind(5, rec.practice_id);
  ins.Bind(6, rec.subject).Bind(7, rec.details_json).Bind(8, rec.prev_hash).Bind(9, rec.hash);
  RETURN_IF_ERROR(ins.Run());
  return rec;
}

}  // namespace recall::store::sqlite
