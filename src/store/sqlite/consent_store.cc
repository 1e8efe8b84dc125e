// The SQLite ConsentStore. Shares the store's connection and its one mutex
// (see sqlite_store.cc for the lock order: Store::mu_ is the only lock).
#include <mutex>

#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kRecordColumns =
    "seq, practice_id, consent_id, patient_id, kind, channel, purpose, source, captured_at, captured_by, "
    "contact_enc, contact_index, ip_enc, user_agent_enc, evidence_enc, language_version, language_sha256, "
    "risk_acknowledged";

ConsentRecordRow ReadRecord(const Stmt& s) {
  ConsentRecordRow r;
  r.seq = s.Int(0);
  r.practice_id = s.Text(1);
  r.consent_id = s.Text(2);
  r.patient_id = s.Text(3);
  r.kind = s.Text(4);
  r.channel = s.Text(5);
  r.purpose = s.Text(6);
  r.source = s.Text(7);
  r.captured_at = s.Text(8);
  r.captured_by = s.Text(9);
  r.contact_enc = s.Blob(10);
  r.contact_index = s.Text(11);
  r.ip_enc = s.Blob(12);
  r.user_agent_enc = s.Blob(13);
  r.evidence_enc = s.Blob(14);
  r.language_version = s.Text(15);
  r.language_sha256 = s.Text(16);
  if (!s.IsNull(17)) r.risk_acknowledged = s.Int(17) != 0;
  return r;
}

ConsentLanguageRow ReadLanguage(const Stmt& s) {
  return ConsentLanguageRow{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6)};
}

constexpr std::string_view kLanguageColumns =
    "practice_id, version_id, channel, text, sha256, created_at, created_by";

// Optional text: "" is stored as NULL.
void BindOptional(Stmt& s, int idx, const std::string& v) {
  if (v.empty()) {
    s.BindBlob(idx, "");
  } else {
    s.Bind(idx, v);
  }
}

class SqliteConsentStore final : public ConsentStore {
 public:
  SqliteConsentStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Append(const std::string& practice_id, const std::vector<ConsentRecordRow>& records,
                const std::vector<InboundEventRow>& inbound, const std::vector<audit::AuditEvent>& events) override {
    for (const auto& r : records) {
      if (r.practice_id != practice_id) return InvalidArgumentError("consent record belongs to another practice");
    }
    for (const auto& r : inbound) {
      if (r.practice_id != practice_id) return InvalidArgumentError("inbound event belongs to another practice");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt patient, db_->Prepare("SELECT 1 FROM patients WHERE practice_key = (SELECT practice_key FROM "
                                                "practices WHERE practice_id = ?) AND patient_id = ?"));
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO consent_records (practice_id, consent_id, patient_id, kind, "
                                            "channel, purpose, source, captured_at, captured_by, contact_enc, "
                                            "contact_index, ip_enc, user_agent_enc, evidence_enc, language_version, "
                                            "language_sha256, risk_acknowledged) "
                                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    for (const auto& r : records) {
      if (!r.patient_id.empty()) {
        patient.Bind(1, practice_id).Bind(2, r.patient_id);
        ASSIGN_OR_RETURN(bool found, patient.Step());
        patient.Reset();
        if (!found) return NotFoundError("no patient " + r.patient_id + " in practice " + practice_id);
      }
      ins.Bind(1, r.practice_id).Bind(2, r.consent_id).Bind(3, r.patient_id).Bind(4, r.kind).Bind(5, r.channel);
      ins.Bind(6, r.purpose).Bind(7, r.source).Bind(8, r.captured_at).Bind(9, r.captured_by);
      ins.BindBlob(10, r.contact_enc);
      BindOptional(ins, 11, r.contact_index);
      ins.BindBlob(12, r.ip_enc).BindBlob(13, r.user_agent_enc).BindBlob(14, r.evidence_enc);
      BindOptional(ins, 15, r.language_version);
      BindOptional(ins, 16, r.language_sha256);
      if (r.risk_acknowledged.has_value()) {
        ins.Bind(17, int64_t{*r.risk_acknowledged ? 1 : 0});
      } else {
        ins.BindBlob(17, "");
      }
      Status s = ins.Run();
      if (!s.ok()) {
        ins.Reset();
        return s;
      }
    }
    if (!inbound.empty()) {
      RETURN_IF_ERROR(RequirePracticeLocked(db_, practice_id));
      for (const auto& r : inbound) RETURN_IF_ERROR(InsertInboundLocked(db_, r));
    }
    for (const auto& e : events) RETURN_IF_ERROR(AppendAuditLocked(db_, e).status());
    return txn.Commit();
  }

  StatusOr<std::vector<ConsentRecordRow>> History(const std::string& practice_id,
                                                  const std::string& patient_id) override {
    if (patient_id.empty()) return std::vector<ConsentRecordRow>();
    return Query("patient_id", practice_id, patient_id);
  }

  Status ScanHistories(const std::string& practice_id,
                       const std::function<bool(const ConsentRecordRow&)>& visit) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kRecordColumns) +
                                          " FROM consent_records WHERE practice_id = ? "
                                          "ORDER BY patient_id, seq"));
    s.Bind(1, practice_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row || !visit(ReadRecord(s))) break;
    }
    return OkStatus();
  }

  StatusOr<std::vector<ConsentRecordRow>> AddressHistory(const std::string& practice_id,
                                                         const std::string& contact_index) override {
    if (contact_index.empty()) return std::vector<ConsentRecordRow>();
    ASSIGN_OR_RETURN(auto rows, Query("contact_index", practice_id, contact_index));
    std::vector<ConsentRecordRow> out;
    for (auto& r : rows) {
      if (r.patient_id.empty()) out.push_back(std::move(r));
    }
    return out;
  }

  Status AddLanguage(const ConsentLanguageRow& row, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO consent_language (practice_id, version_id, channel, text, "
                                            "sha256, created_at, created_by) VALUES (?,?,?,?,?,?,?)"));
    ins.Bind(1, row.practice_id).Bind(2, row.version_id).Bind(3, row.channel).Bind(4, row.text);
    ins.Bind(5, row.sha256).Bind(6, row.created_at).Bind(7, row.created_by);
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::optional<ConsentLanguageRow>> CurrentLanguage(const std::string& practice_id,
                                                              const std::string& channel) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kLanguageColumns) +
                                          " FROM consent_language WHERE practice_id = ? AND channel = ? "
                                          "ORDER BY created_at DESC, rowid DESC LIMIT 1"));
    s.Bind(1, practice_id).Bind(2, channel);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<ConsentLanguageRow>();
    return std::optional<ConsentLanguageRow>(ReadLanguage(s));
  }

  StatusOr<std::vector<ConsentLanguageRow>> ListLanguages(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kLanguageColumns) +
                                          " FROM consent_language WHERE practice_id = ? "
                                          "ORDER BY created_at DESC, rowid DESC"));
    s.Bind(1, practice_id);
    std::vector<ConsentLanguageRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadLanguage(s));
    }
    return out;
  }

  StatusOr<ConsentLanguageRow> GetLanguage(const std::string& practice_id, const std::string& version_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kLanguageColumns) +
                                          " FROM consent_language WHERE practice_id = ? AND version_id = ?"));
    s.Bind(1, practice_id).Bind(2, version_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no consent language version " + version_id + " in practice " + practice_id);
    return ReadLanguage(s);
  }

  Status ImportReassigned(const std::string& practice_id, const std::vector<ReassignedNumberRow>& rows,
                          const audit::AuditEvent& event) override {
    for (const auto& r : rows) {
      if (r.practice_id != practice_id) return InvalidArgumentError("reassigned number belongs to another practice");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO reassigned_numbers (practice_id, phone_index, "
                                            "disconnected_on, imported_at) VALUES (?,?,?,?) "
                                            "ON CONFLICT (practice_id, phone_index) DO UPDATE SET "
                                            "disconnected_on = max(disconnected_on, excluded.disconnected_on), "
                                            "imported_at = excluded.imported_at"));
    for (const auto& r : rows) {
      ins.Bind(1, r.practice_id).Bind(2, r.phone_index).Bind(3, r.disconnected_on).Bind(4, r.imported_at);
      RETURN_IF_ERROR(ins.Run());
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<ReassignedNumberRow>> ListReassigned(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT phone_index, disconnected_on, imported_at FROM reassigned_numbers "
                                          "WHERE practice_id = ? ORDER BY phone_index"));
    s.Bind(1, practice_id);
    std::vector<ReassignedNumberRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReassignedNumberRow{practice_id, s.Text(0), s.Text(1), s.Text(2)});
    }
    return out;
  }

  StatusOr<std::optional<std::string>> DisconnectedOn(const std::string& practice_id,
                                                      const std::string& phone_index) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT disconnected_on FROM reassigned_numbers WHERE practice_id = ? "
                                          "AND phone_index = ?"));
    s.Bind(1, practice_id).Bind(2, phone_index);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  }

 private:
  StatusOr<std::vector<ConsentRecordRow>> Query(std::string_view column, const std::string& practice_id,
                                                const std::string& key) {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kRecordColumns) +
                                          " FROM consent_records WHERE practice_id = ? AND " + std::string(column) +
                                          " = ? ORDER BY seq"));
    s.Bind(1, practice_id).Bind(2, key);
    std::vector<ConsentRecordRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRecord(s));
    }
    return out;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<ConsentStore> NewSqliteConsentStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteConsentStore>(db, mu);
}

}  // namespace recall::store::sqlite
