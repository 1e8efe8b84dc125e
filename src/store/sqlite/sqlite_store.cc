// The embedded SQLite backend of Store.
//
// One connection, serialised by mu_ (SQLite's NOMUTEX mode: we do the locking).
// Lock order: Store::mu_ is the only lock; PatientImport holds it for its
// whole transaction. WAL journal, foreign keys on, secure_delete on (freed
// pages are zeroed), temp files in memory (nothing spills to disk).
#include <algorithm>
#include <memory>
#include <mutex>

#include "store/sqlite/db.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/migrations.h"
#include "store/handoff_store.h"
#include "store/idempotency_store.h"
#include "store/incident_store.h"
#include "store/lifecycle_store.h"
#include "store/store.h"

namespace recall::store {
namespace sqlite {

// Blind indexes cross the Store interface as 32 lowercase hex digits and are
// stored as their 16 raw bytes (BLOB), halving every index entry. A value of
// any other shape is stored as TEXT, as given, so the mapping is lossless.
void BindIndex(Stmt& s, int idx, std::string_view v) {
  if (v.empty()) {
    s.BindBlob(idx, "");  // NULL
    return;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  char raw[16];
  if (v.size() == 2 * sizeof(raw)) {
    for (size_t i = 0; i < sizeof(raw); ++i) {
      const int hi = nibble(v[2 * i]), lo = nibble(v[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        s.Bind(idx, v);
        return;
      }
      raw[i] = static_cast<char>((hi << 4) | lo);
    }
    s.BindBlob(idx, std::string_view(raw, sizeof(raw)));
    return;
  }
  s.Bind(idx, v);
}

std::string ReadIndex(const Stmt& s, int col) {
  if (!s.IsBlob(col)) return s.Text(col);
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string raw = s.Blob(col);
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

namespace {

// Every patients column but practice_key (callers know their practice).
constexpr std::string_view kPatientColumns =
    "patient_id, external_index, subject, external_id_enc, first_name_enc, last_name_enc, "
    "email_enc, email_index, phone_enc, phone_index, phone_line_type, language, last_visit, status, "
    "provider_name, postal_code_enc, state, updated_at";

// Scopes a patients query by practice: the practice's internal key.
constexpr std::string_view kPracticeKeyOf = "(SELECT practice_key FROM practices WHERE practice_id = ?)";

PatientRow ReadPatient(const Stmt& s, const std::string& practice_id) {
  PatientRow r;
  r.practice_id = practice_id;
  r.patient_id = s.Text(0);
  r.external_index = ReadIndex(s, 1);
  r.subject = s.Text(2);
  r.external_id_enc = s.Blob(3);
  r.first_name_enc = s.Blob(4);
  r.last_name_enc = s.Blob(5);
  r.email_enc = s.Blob(6);
  r.email_index = ReadIndex(s, 7);
  r.phone_enc = s.Blob(8);
  r.phone_index = ReadIndex(s, 9);
  r.phone_line_type = s.Text(10);
  r.language = s.Text(11);
  r.last_visit = s.Text(12);
  r.status = s.Text(13);
  r.provider_name = s.Text(14);
  r.postal_code_enc = s.Blob(15);
  r.state = s.Text(16);
  r.updated_at = s.Text(17);
  return r;
}

audit::AuditRecord ReadAudit(const Stmt& s) {
  audit::AuditRecord r;
  r.seq = s.Int(0);
  r.time = s.Text(1);
  r.actor = s.Text(2);
  r.action = s.Text(3);
  r.practice_id = s.Text(4);
  r.subject = s.Text(5);
  r.details_json = s.Text(6);
  r.prev_hash = s.Text(7);
  r.hash = s.Text(8);
  return r;
}

class SqliteStore;

class SqlitePracticeStore final : public PracticeStore {
 public:
  SqlitePracticeStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Create(const PracticeRow& p, const crypto::WrappedKey& key, const audit::AuditEvent& event,
                const crypto::WrappedKey& field_key) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO practices (practice_id, name, address, phone, email_from, "
                                            "timezone, state, created_at) VALUES (?,?,?,?,?,?,?,?)"));
    ins.Bind(1, p.practice_id).Bind(2, p.name).Bind(3, p.address).Bind(4, p.phone).Bind(5, p.email_from);
    ins.Bind(6, p.timezone).Bind(7, p.state).Bind(8, p.created_at);
    RETURN_IF_ERROR(ins.Run());
    ASSIGN_OR_RETURN(Stmt k, db_->Prepare("INSERT INTO data_keys (practice_id, key_id, master_version, wrapped, "
                                          "created_at) VALUES (?,?,?,?,?)"));
    k.Bind(1, p.practice_id).Bind(2, key.key_id).Bind(3, int64_t{key.master_version}).BindBlob(4, key.wrapped);
    k.Bind(5, p.created_at);
    RETURN_IF_ERROR(k.Run());
    if (!field_key.key_id.empty()) {
      ASSIGN_OR_RETURN(Stmt f, db_->Prepare("INSERT INTO data_keys (practice_id, key_id, master_version, wrapped, "
                                            "created_at, purpose) VALUES (?,?,?,?,?,'field')"));
      f.Bind(1, p.practice_id).Bind(2, field_key.key_id).Bind(3, int64_t{field_key.master_version});
      f.BindBlob(4, field_key.wrapped).Bind(5, p.created_at);
      RETURN_IF_ERROR(f.Run());
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<PracticeRow> Get(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT practice_id, name, address, phone, email_from, timezone, state, "
                                          "created_at FROM practices WHERE practice_id = ?"));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no practice " + practice_id);
    return ReadPractice(s);
  }

  StatusOr<std::vector<PracticeRow>> List() override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT practice_id, name, address, phone, email_from, timezone, state, "
                                          "created_at FROM practices ORDER BY created_at, practice_id"));
    std::vector<PracticeRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadPractice(s));
    }
    return out;
  }

  Status RecordBaa(const BaaRow& b, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    exists.Bind(1, b.practice_id);
    ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFoundError("no practice " + b.practice_id);
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO baas (practice_id, baa_id, signed_by, signed_on, "
                                            "document_sha256, breach_notice_hours, recorded_at) VALUES (?,?,?,?,?,?,?)"));
    ins.Bind(1, b.practice_id).Bind(2, b.baa_id).Bind(3, b.signed_by).Bind(4, b.signed_on);
    ins.Bind(5, b.document_sha256).Bind(6, int64_t{b.breach_notice_hours}).Bind(7, b.recorded_at);
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::optional<BaaRow>> LatestBaa(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT practice_id, baa_id, signed_by, signed_on, document_sha256, "
                                          "breach_notice_hours, recorded_at FROM baas WHERE practice_id = ? "
                                          "ORDER BY recorded_at DESC, rowid DESC LIMIT 1"));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<BaaRow>();
    BaaRow b;
    b.practice_id = s.Text(0);
    b.baa_id = s.Text(1);
    b.signed_by = s.Text(2);
    b.signed_on = s.Text(3);
    b.document_sha256 = s.Text(4);
    b.breach_notice_hours = static_cast<int>(s.Int(5));
    b.recorded_at = s.Text(6);
    return std::optional<BaaRow>(std::move(b));
  }

  StatusOr<std::string> GetSettings(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT coalesce((SELECT settings_json FROM practice_settings WHERE "
                                          "practice_id = ?1), '{}') FROM practices WHERE practice_id = ?1"));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no practice " + practice_id);
    return s.Text(0);
  }

  Status PutSettings(const std::string& practice_id, const std::string& settings_json,
                     const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    q.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return NotFoundError("no practice " + practice_id);
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("INSERT INTO practice_settings (practice_id, settings_json, updated_at) "
                                           "VALUES (?1, ?2, ?3) ON CONFLICT (practice_id) DO UPDATE SET "
                                           "settings_json = ?2, updated_at = ?3"));
    up.Bind(1, practice_id).Bind(2, settings_json).Bind(3, FormatRfc3339Millis(event.time));
    RETURN_IF_ERROR(up.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<crypto::WrappedKey>> DataKeys(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT key_id, master_version, wrapped FROM data_keys WHERE practice_id = ? "
                                          "AND destroyed_at IS NULL ORDER BY created_at DESC"));
    s.Bind(1, practice_id);
    std::vector<crypto::WrappedKey> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back({s.Text(0), static_cast<uint32_t>(s.Int(1)), s.Blob(2)});
    }
    return out;
  }

 private:
  static PracticeRow ReadPractice(const Stmt& s) {
    return PracticeRow{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
  }
  Db* db_;
  std::mutex* mu_;
};

class SqlitePatientImport final : public PatientImport {
 public:
  SqlitePatientImport(Db* db, std::unique_lock<std::mutex> lock, std::string practice_id)
      : db_(db), lock_(std::move(lock)), txn_(db), practice_id_(std::move(practice_id)) {}

  Status Begin() {
    RETURN_IF_ERROR(txn_.Begin());
    ASSIGN_OR_RETURN(Stmt key, db_->Prepare("SELECT practice_key, EXISTS (SELECT 1 FROM patients WHERE "
                                            "patients.practice_key = practices.practice_key) "
                                            "FROM practices WHERE practice_id = ?"));
    key.Bind(1, practice_id_);
    ASSIGN_OR_RETURN(bool found, key.Step());
    if (!found) return NotFoundError("no practice " + practice_id_);
    practice_key_ = key.Int(0);
    // A practice with no patients yet (the first, usually largest, import)
    // needs no conflict handling: the importer rejects duplicate ids in the
    // file, and the UNIQUE constraint would still fail the import otherwise.
    const bool empty = key.Int(1) == 0;
    const std::string insert = std::string("INSERT INTO patients (practice_key, ") + std::string(kPatientColumns) +
                               ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (empty) {
      ASSIGN_OR_RETURN(upsert_, db_->Prepare(insert));
      insert_only_ = true;
      return OkStatus();
    }
    ASSIGN_OR_RETURN(upsert_, db_->Prepare(insert +
                                           " ON CONFLICT (practice_key, external_index) DO UPDATE SET "
                                           "external_id_enc=excluded.external_id_enc, "
                                           "first_name_enc=excluded.first_name_enc, last_name_enc=excluded.last_name_enc, "
                                           "email_enc=excluded.email_enc, email_index=excluded.email_index, "
                                           "phone_enc=excluded.phone_enc, phone_index=excluded.phone_index, "
                                           "phone_line_type=excluded.phone_line_type, language=excluded.language, "
                                           "last_visit=excluded.last_visit, status=excluded.status, "
                                           "provider_name=excluded.provider_name, "
                                           "postal_code_enc=excluded.postal_code_enc, state=excluded.state, "
                                           "updated_at=excluded.updated_at "
                                           "RETURNING patient_id"));
    return OkStatus();
  }

  StatusOr<UpsertOutcome> Upsert(const PatientRow& r) override {
    if (!lock_.owns_lock()) return FailedPreconditionError("import already committed");
    if (r.practice_id != practice_id_) return InvalidArgumentError("row belongs to another practice");
    // r outlives the step: bind its bytes without copying them.
    upsert_.Bind(1, practice_key_).BindUnowned(2, r.patient_id);
    BindIndex(upsert_, 3, r.external_index);
    upsert_.BindUnowned(4, r.subject);
    upsert_.BindBlobUnowned(5, r.external_id_enc).BindBlobUnowned(6, r.first_name_enc);
    upsert_.BindBlobUnowned(7, r.last_name_enc).BindBlobUnowned(8, r.email_enc);
    BindIndex(upsert_, 9, r.email_index);
    upsert_.BindBlobUnowned(10, r.phone_enc);
    BindIndex(upsert_, 11, r.phone_index);
    upsert_.BindUnowned(12, r.phone_line_type).BindUnowned(13, r.language);
    BindOptionalText(14, r.last_visit);
    upsert_.BindUnowned(15, r.status);
    BindOptionalText(16, r.provider_name);
    upsert_.BindBlobUnowned(17, r.postal_code_enc);
    BindOptionalText(18, r.state);
    upsert_.BindUnowned(19, r.updated_at);
    auto row = upsert_.Step();
    if (!row.ok()) {
      upsert_.Reset();
      return row.status();
    }
    const bool inserted = insert_only_ || (*row && upsert_.Text(0) == r.patient_id);
    upsert_.Reset();
    return inserted ? UpsertOutcome::kInserted : UpsertOutcome::kUpdated;
  }

  Status Commit(const audit::AuditEvent& event) override {
    if (!lock_.owns_lock()) return FailedPreconditionError("import already committed");
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    upsert_ = Stmt();
    RETURN_IF_ERROR(txn_.Commit());
    lock_.unlock();  // the store is usable again even while this object lives
    return OkStatus();
  }

 private:
  void BindOptionalText(int idx, const std::string& v) {
    if (v.empty()) {
      upsert_.BindBlob(idx, "");      // NULL
    } else {
      upsert_.BindUnowned(idx, v);
    }
  }
  Db* db_;
  std::unique_lock<std::mutex> lock_;
  Txn txn_;
  std::string practice_id_;
  int64_t practice_key_ = 0;
  bool insert_only_ = false;
  Stmt upsert_;
};

class SqlitePatientStore final : public PatientStore {
 public:
  SqlitePatientStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  StatusOr<std::unique_ptr<PatientImport>> BeginImport(const std::string& practice_id) override {
    auto imp = std::make_unique<SqlitePatientImport>(db_, std::unique_lock<std::mutex>(*mu_), practice_id);
    RETURN_IF_ERROR(imp->Begin());
    return std::unique_ptr<PatientImport>(std::move(imp));
  }

  StatusOr<Page<PatientRow>> List(const std::string& practice_id, const PageRequest& page) override {
    std::lock_guard<std::mutex> lock(*mu_);
    const int limit = std::clamp(page.limit, 1, 10000);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPatientColumns) +
                                          " FROM patients WHERE practice_key = " + std::string(kPracticeKeyOf) +
                                          " AND patient_id > ? "
                                          "ORDER BY patient_id LIMIT ?"));
    s.Bind(1, practice_id).Bind(2, page.after).Bind(3, int64_t{limit + 1});
    Page<PatientRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.rows.push_back(ReadPatient(s, practice_id));
    }
    if (static_cast<int>(out.rows.size()) > limit) {
      out.rows.pop_back();
      out.next = out.rows.back().patient_id;
    }
    return out;
  }

  StatusOr<PatientRow> Get(const std::string& practice_id, const std::string& patient_id) override {
    return GetOne("patient_id", practice_id, patient_id);
  }

  StatusOr<PatientRow> GetByExternalIndex(const std::string& practice_id, const std::string& index) override {
    return GetOne("external_index", practice_id, index);
  }

  StatusOr<std::vector<PatientRow>> FindByPhoneIndex(const std::string& practice_id, const std::string& index) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPatientColumns) +
                                          " FROM patients WHERE practice_key = " +
                                          std::string(kPracticeKeyOf) +
                                          // "+": ordering by the primary key made SQLite scan every
                                          // patient of the practice instead of patients_by_phone.
                                          " AND phone_index = ? ORDER BY +patient_id"));
    s.Bind(1, practice_id);
    BindIndex(s, 2, index);
    std::vector<PatientRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadPatient(s, practice_id));
    }
    return out;
  }

  Status Scan(const std::string& practice_id, const std::function<bool(const PatientRow&)>& visit) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPatientColumns) +
                                          " FROM patients WHERE practice_key = " + std::string(kPracticeKeyOf) +
                                          " ORDER BY patient_id"));
    s.Bind(1, practice_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row || !visit(ReadPatient(s, practice_id))) break;
    }
    return OkStatus();
  }

  Status SetLineType(const std::string& practice_id, const std::string& patient_id, const std::string& line_type,
                     const audit::AuditEvent& event) override {
    if (line_type != "mobile" && line_type != "landline" && line_type != "unknown") {
      return InvalidArgumentError("line type must be mobile, landline or unknown");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare(std::string("UPDATE patients SET phone_line_type = ?, updated_at = ? "
                                                       "WHERE practice_key = ") +
                                           std::string(kPracticeKeyOf) + " AND patient_id = ?"));
    up.Bind(1, line_type).Bind(2, FormatRfc3339Millis(event.time)).Bind(3, practice_id).Bind(4, patient_id);
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFoundError("no patient " + patient_id + " in practice " + practice_id);
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<int64_t> Count(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT count(*) FROM patients WHERE practice_key = ") + std::string(kPracticeKeyOf)));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  }

 private:
  StatusOr<PatientRow> GetOne(std::string_view column, const std::string& practice_id, const std::string& key) {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kPatientColumns) +
                                          " FROM patients WHERE practice_key = " + std::string(kPracticeKeyOf) +
                                          " AND " + std::string(column) + " = ?"));
    s.Bind(1, practice_id);
    if (column == "external_index") {
      BindIndex(s, 2, key);
    } else {
      s.Bind(2, key);
    }
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no such patient in practice " + practice_id);
    return ReadPatient(s, practice_id);
  }
  Db* db_;
  std::mutex* mu_;
};

class SqliteAuditStore final : public AuditStore {
 public:
  SqliteAuditStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  StatusOr<audit::AuditRecord> Append(const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(audit::AuditRecord rec, AppendAuditLocked(db_, event));
    RETURN_IF_ERROR(txn.Commit());
    return rec;
  }

  Status Scan(int64_t from_seq, const std::function<bool(const audit::AuditRecord&)>& visit) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq, time, actor, action, practice_id, subject, details, prev_hash, "
                                          "hash FROM audit_log WHERE seq >= ? ORDER BY seq"));
    s.Bind(1, from_seq);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (!visit(ReadAudit(s))) break;
    }
    return OkStatus();
  }

  StatusOr<int64_t> AppendBatch(const std::vector<audit::AuditEvent>& events) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(AuditAppender appender, AuditAppender::Start(db_));
    for (const auto& event : events) RETURN_IF_ERROR(appender.Append(event).status());
    RETURN_IF_ERROR(txn.Commit());
    return appender.head_seq();
  }

  void SetCheckpointSigner(std::shared_ptr<const crypto::SigningKey> key, int64_t every_n) override {
    std::lock_guard<std::mutex> lock(*mu_);
    SetAuditSigner(db_, std::move(key), every_n);
  }

  StatusOr<std::optional<audit::Checkpoint>> CheckpointHead(TimePoint now) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(AuditAppender appender, AuditAppender::Start(db_));
    ASSIGN_OR_RETURN(auto checkpoint, appender.CheckpointHead(now));
    RETURN_IF_ERROR(txn.Commit());
    return checkpoint;
  }

  StatusOr<std::vector<audit::Checkpoint>> Checkpoints(int64_t from_seq) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq, hash, key_id, public_key, signature, created_at "
                                          "FROM audit_checkpoints WHERE seq >= ? ORDER BY seq"));
    s.Bind(1, from_seq);
    std::vector<audit::Checkpoint> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
    }
    return out;
  }

 private:
  Db* db_;
  std::mutex* mu_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Db> db)
      : db_(std::move(db)),
        practices_(db_.get(), &mu_),
        patients_(db_.get(), &mu_),
        audit_(db_.get(), &mu_),
        consent_(NewSqliteConsentStore(db_.get(), &mu_)),
        campaigns_(NewSqliteCampaignStore(db_.get(), &mu_)),
        vendors_(NewSqliteVendorStore(db_.get(), &mu_)),
        outbox_(NewSqliteOutboxStore(db_.get(), &mu_)),
        runs_(NewSqliteRunStore(db_.get(), &mu_)),
        users_(NewSqliteUserStore(db_.get(), &mu_)),
        lifecycle_(NewSqliteLifecycleStore(db_.get(), &mu_)),
        incidents_(NewSqliteIncidentStore(db_.get(), &mu_)),
        handoffs_(NewSqliteHandoffStore(db_.get(), &mu_)),
        idempotency_(NewSqliteIdempotencyStore(db_.get(), &mu_)) {}

  // The checkpoint signer is registered by connection (internal.cc): drop it
  // before the connection closes.
  ~SqliteStore() override { SetAuditSigner(db_.get(), nullptr, 0); }

  Status Init() {
    // Takes effect only when the database file is created (a no-op after).
    RETURN_IF_ERROR(db_->Exec("PRAGMA page_size=8192"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA foreign_keys=ON"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=NORMAL"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA secure_delete=ON"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA temp_store=MEMORY"));
    // Large imports run in one transaction: keep their B-tree pages in memory
    // rather than spilling to the WAL and reading them back (128 MiB at most).
    RETURN_IF_ERROR(db_->Exec("PRAGMA cache_size=-131072"));
    return Migrate();
  }

  PracticeStore& practices() override { return practices_; }
  PatientStore& patients() override { return patients_; }
  AuditStore& audit() override { return audit_; }
  ConsentStore& consent() override { return *consent_; }
  CampaignStore& campaigns() override { return *campaigns_; }
  VendorStore& vendors() override { return *vendors_; }
  OutboxStore& outbox() override { return *outbox_; }
  RunStore& runs() override { return *runs_; }
  UserStore& users() override { return *users_; }
  LifecycleStore& lifecycle() override { return *lifecycle_; }
  IncidentStore& incidents() override { return *incidents_; }
  HandoffStore& handoffs() override { return *handoffs_; }
  IdempotencyStore& idempotency() override { return *idempotency_; }

 private:
  Status Migrate() {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(db_->Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                              "description TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"));
    for (const Migration& m : Migrations()) {
      Txn txn(db_.get());
      RETURN_IF_ERROR(txn.Begin());
      ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
      q.Bind(1, int64_t{m.version});
      ASSIGN_OR_RETURN(bool applied, q.Step());
      if (applied) continue;
      RETURN_IF_ERROR(db_->Exec(m.sql).WithContext("migration " + std::to_string(m.version)));
      ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO schema_migrations (version, description) VALUES (?, ?)"));
      ins.Bind(1, int64_t{m.version}).Bind(2, m.description);
      RETURN_IF_ERROR(ins.Run());
      RETURN_IF_ERROR(txn.Commit());
    }
    return OkStatus();
  }

  std::mutex mu_;
  std::unique_ptr<Db> db_;
  SqlitePracticeStore practices_;
  SqlitePatientStore patients_;
  SqliteAuditStore audit_;
  std::unique_ptr<ConsentStore> consent_;
  std::unique_ptr<CampaignStore> campaigns_;
  std::unique_ptr<VendorStore> vendors_;
  std::unique_ptr<OutboxStore> outbox_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<LifecycleStore> lifecycle_;
  std::unique_ptr<IncidentStore> incidents_;
  std::unique_ptr<HandoffStore> handoffs_;
  std::unique_ptr<IdempotencyStore> idempotency_;
};

}  // namespace
}  // namespace sqlite

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options) {
  ASSIGN_OR_RETURN(auto db, sqlite::Db::Open(options.path));
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(db));
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace recall::store
