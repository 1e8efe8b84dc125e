// The SQLite LifecycleStore (store/lifecycle_store.h). Shares the store's connection
// and its one mutex.
//
// A purge runs in one IMMEDIATE transaction: it first inserts its id into
// purge_in_progress (which lifts the append-only triggers on consent_records,
// migration 10) and deletes it again just before COMMIT, so the guard is
// never visible outside the transaction. The set of patients to delete lives
// in a TEMP table (temp_store=MEMORY: never on disk).
#include <algorithm>
#include <mutex>

#include "store/lifecycle_store.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/key_rotation.h"

namespace recall::store::sqlite {
namespace {

constexpr char kActiveStates[] = "('scheduled', 'running', 'paused')";

// Tables added by later migrations (hand-offs, idempotency records) are
// touched only when present.
StatusOr<bool> TableExists(Db* db, const std::string& table) {
  ASSIGN_OR_RETURN(Stmt s, db->Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"));
  s.Bind(1, table);
  return s.Step();
}

// Runs one statement with the given text parameters and returns the rows it changed.
StatusOr<int64_t> Change(Db* db, const std::string& sql, const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(Stmt s, db->Prepare(sql));
  for (size_t i = 0; i < params.size(); ++i) s.Bind(static_cast<int>(i + 1), params[i]);
  RETURN_IF_ERROR(s.Run());
  return static_cast<int64_t>(sqlite3_changes(db->raw()));
}

StatusOr<int64_t> CountOf(Db* db, const std::string& sql, const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(Stmt s, db->Prepare(sql));
  for (size_t i = 0; i < params.size(); ++i) s.Bind(static_cast<int>(i + 1), params[i]);
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

// The sealed columns of one table, and how a row is named for the callback.
struct SealedTable {
  const char* table;
  const char* key_column;     // identifies the row within the practice
  const char* row_key_sql;    // the callback's row_key
  std::vector<const char*> columns;  // "<field>_enc"
  bool by_practice_key;       // patients are scoped by practice_key
};

const std::vector<SealedTable>& SealedTables() {
  static const std::vector<SealedTable> kTables = {
      {"patients", "patient_id", "external_index",
       {"external_id_enc", "first_name_enc", "last_name_enc", "email_enc", "phone_enc", "postal_code_enc"}, true},
      {"consent_records", "consent_id", "consent_id", {"contact_enc", "ip_enc", "user_agent_enc", "evidence_enc"}, false},
      {"handoffs", "handoff_id", "handoff_id", {"text_enc"}, false},
  };
  return kTables;
}

class SqliteLifecycleStore final : public LifecycleStore {
 public:
  SqliteLifecycleStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  StatusOr<std::vector<DataKeyRow>> LiveDataKeys(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return LiveKeysLocked(practice_id);
  }

  StatusOr<std::optional<std::string>> OffboardedAt(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return OffboardedLocked(practice_id);
  }

  StatusOr<std::vector<std::string>> MessageIds(const std::string& practice_id,
                                                const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT message_id FROM outbox WHERE practice_id = ?1 AND "
                                          "(?2 = '' OR campaign_id = ?2) ORDER BY message_id"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    std::vector<std::string> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(s.Text(0));
    }
    return out;
  }

  StatusOr<PurgeOutcome> PurgeCampaign(const PurgeRequest& request, const audit::AuditEvent& event) override {
    if (!request.reencrypt) return InvalidArgumentError("a campaign purge needs a re-encryption callback");
    if (request.new_field_key.key_id.empty()) return InvalidArgumentError("a campaign purge needs a new field key");
    const std::string& pid = request.practice_id;
    const std::string& cid = request.campaign_id;
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(auto offboarded, OffboardedLocked(pid));
    if (offboarded.has_value()) return FailedPreconditionError("practice " + pid + " is offboarded");
    ASSIGN_OR_RETURN(Stmt state, db_->Prepare("SELECT state FROM campaigns WHERE practice_id = ? AND campaign_id = ?"));
    state.Bind(1, pid).Bind(2, cid);
    ASSIGN_OR_RETURN(bool found, state.Step());
    if (!found) return NotFoundError("no campaign " + cid + " in practice " + pid);
    const std::string campaign_state = state.Text(0);
    if (campaign_state == "purged") return FailedPreconditionError("campaign " + cid + " is purged already");
    if (campaign_state == "scheduled" || campaign_state == "running") {
      return FailedPreconditionError("campaign " + cid + " is " + campaign_state + "; pause it before purging");
    }
    RETURN_IF_ERROR(CheckFieldKeyLocked(pid, request.expected_field_key_id));
    RETURN_IF_ERROR(BeginPurgeLocked(request));

    PurgeOutcome out;
    // The recipients, then those another active campaign still needs.
    RETURN_IF_ERROR(db_->Exec("CREATE TEMP TABLE IF NOT EXISTS purge_patients (patient_id TEXT PRIMARY KEY)"));
    RETURN_IF_ERROR(db_->Exec("DELETE FROM temp.purge_patients"));
    ASSIGN_OR_RETURN(out.recipients,
                     Change(db_,
                            "INSERT OR IGNORE INTO temp.purge_patients SELECT patient_id FROM plan_entries WHERE "
                            "practice_id = ?1 AND campaign_id = ?2 UNION SELECT patient_id FROM outbox WHERE "
                            "practice_id = ?1 AND campaign_id = ?2",
                            {pid, cid}));
    ASSIGN_OR_RETURN(out.retained,
                     Change(db_,
                            std::string("DELETE FROM temp.purge_patients WHERE patient_id IN ("
                                        " SELECT o.patient_id FROM outbox o JOIN campaigns c ON c.practice_id = "
                                        "o.practice_id AND c.campaign_id = o.campaign_id WHERE o.practice_id = ?1 AND "
                                        "o.campaign_id <> ?2 AND o.state IN ('queued', 'leased') AND c.state IN ") +
                                kActiveStates +
                                " UNION SELECT p.patient_id FROM plan_entries p JOIN campaigns c ON c.practice_id = "
                                "p.practice_id AND c.campaign_id = p.campaign_id WHERE p.practice_id = ?1 AND "
                                "p.campaign_id <> ?2 AND c.state IN " +
                                kActiveStates +
                                " AND EXISTS (SELECT 1 FROM step_runs s WHERE s.practice_id = p.practice_id AND "
                                "s.campaign_id = p.campaign_id AND s.planned_at_ms IS NULL))",
                            {pid, cid}));
    // Address-level consent records (a STOP from a number no patient had then)
    // for a purged patient's contact, unless a kept patient shares the contact.
    ASSIGN_OR_RETURN(out.counts["consent_records"],
                     Change(db_,
                            "DELETE FROM consent_records WHERE practice_id = ?1 AND (patient_id IN (SELECT patient_id "
                            "FROM temp.purge_patients) OR (patient_id = '' AND contact_index IN (" +
                                ContactIndexesSql(true) + ") AND contact_index NOT IN (" + ContactIndexesSql(false) +
                                ")))",
                            {pid}));
    for (const char* table : {"inbound_events", "invalid_contacts", "handoffs"}) {
      ASSIGN_OR_RETURN(bool exists, TableExists(db_, table));
      if (!exists) continue;
      // handoff_events go with their item (ON DELETE CASCADE).
      ASSIGN_OR_RETURN(out.counts[table], Change(db_,
                                                 std::string("DELETE FROM ") + table +
                                                     " WHERE practice_id = ?1 AND patient_id IN (SELECT patient_id "
                                                     "FROM temp.purge_patients)",
                                                 {pid}));
    }
    ASSIGN_OR_RETURN(bool idempotency, TableExists(db_, "idempotency_keys"));
    if (idempotency) {
      // Cached API responses may hold a purged patient's PHI and are sealed
      // under the field key that is about to be destroyed.
      ASSIGN_OR_RETURN(out.counts["idempotency_records"],
                       Change(db_, "DELETE FROM idempotency_keys WHERE practice_id = ?1", {pid}));
    }
    ASSIGN_OR_RETURN(out.counts["outbox_messages"],
                     Change(db_, "DELETE FROM outbox WHERE practice_id = ?1 AND campaign_id = ?2", {pid, cid}));
    ASSIGN_OR_RETURN(out.counts["plan_entries"],
                     Change(db_, "DELETE FROM plan_entries WHERE practice_id = ?1 AND campaign_id = ?2", {pid, cid}));
    ASSIGN_OR_RETURN(out.counts["patients"],
                     Change(db_,
                            "DELETE FROM patients WHERE practice_key = (SELECT practice_key FROM practices WHERE "
                            "practice_id = ?1) AND patient_id IN (SELECT patient_id FROM temp.purge_patients)",
                            {pid}));
    RETURN_IF_ERROR(db_->Exec("DELETE FROM temp.purge_patients"));
    RETURN_IF_ERROR(SnapshotsLocked(request));
    RETURN_IF_ERROR(Change(db_,
                           "UPDATE campaigns SET state = 'purged', updated_at = ?3 WHERE practice_id = ?1 AND "
                           "campaign_id = ?2",
                           {pid, cid, FormatRfc3339Millis(request.now)})
                        .status());

    // Crypto-shredding: every remaining sealed field moves to the new field
    // key; then the old field keys are destroyed.
    ASSIGN_OR_RETURN(out.reencrypted_fields, ReencryptLocked(pid, request.reencrypt));
    RETURN_IF_ERROR(InsertKeyLocked(pid, request.new_field_key, kKeyPurposeField, FormatRfc3339Millis(request.now)));
    ASSIGN_OR_RETURN(out.destroyed_key_ids,
                     DestroyKeysLocked(pid, kKeyPurposeField, request.new_field_key.key_id, request.now));

    ASSIGN_OR_RETURN(out.record, FinishLocked(request, event, out));
    RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  StatusOr<PurgeOutcome> OffboardPractice(const PurgeRequest& request, const audit::AuditEvent& event) override {
    const std::string& pid = request.practice_id;
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(auto offboarded, OffboardedLocked(pid));
    if (offboarded.has_value()) return FailedPreconditionError("practice " + pid + " is offboarded already");
    RETURN_IF_ERROR(BeginPurgeLocked(request));
    PurgeOutcome out;
    for (const char* table : {"handoffs", "idempotency_keys", "consent_records", "consent_language",
                              "reassigned_numbers", "outbox", "plan_entries", "inbound_events", "invalid_contacts"}) {
      ASSIGN_OR_RETURN(bool exists, TableExists(db_, table));
      if (!exists) continue;
      const std::string kind = std::string(table) == "outbox"             ? "outbox_messages"
                               : std::string(table) == "idempotency_keys" ? "idempotency_records"
                                                                          : table;
      ASSIGN_OR_RETURN(out.counts[kind],
                       Change(db_, std::string("DELETE FROM ") + table + " WHERE practice_id = ?1", {pid}));
    }
    ASSIGN_OR_RETURN(out.counts["patients"],
                     Change(db_,
                            "DELETE FROM patients WHERE practice_key = (SELECT practice_key FROM practices WHERE "
                            "practice_id = ?1)",
                            {pid}));
    RETURN_IF_ERROR(SnapshotsLocked(request));
    ASSIGN_OR_RETURN(out.counts["campaigns_purged"],
                     Change(db_,
                            "UPDATE campaigns SET state = 'purged', updated_at = ?2 WHERE practice_id = ?1 AND "
                            "state <> 'purged'",
                            {pid, FormatRfc3339Millis(request.now)}));
    ASSIGN_OR_RETURN(out.counts["memberships_revoked"],
                     Change(db_, "DELETE FROM user_memberships WHERE practice_id = ?1", {pid}));
    ASSIGN_OR_RETURN(out.destroyed_key_ids, DestroyKeysLocked(pid, "", "", request.now));
    RETURN_IF_ERROR(Change(db_, "UPDATE practices SET offboarded_at = ?2 WHERE practice_id = ?1",
                           {pid, FormatRfc3339Millis(request.now)})
                        .status());
    ASSIGN_OR_RETURN(out.record, FinishLocked(request, event, out));
    RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  StatusOr<CompactOutcome> Compact() override {
    std::lock_guard<std::mutex> lock(*mu_);
    CompactOutcome out;
    RETURN_IF_ERROR(db_->Exec("VACUUM"));
    out.vacuumed = true;
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    out.wal_truncated = row && s.Int(0) == 0;  // busy = 0
    return out;
  }

  StatusOr<std::optional<std::string>> ReportSnapshot(const std::string& practice_id,
                                                      const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT report_json FROM campaign_report_snapshots WHERE practice_id = ? "
                                          "AND campaign_id = ?"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  }

  // --- Master-key rotation (sqlite/key_rotation.cc) -------------------------
  StatusOr<std::vector<PracticeDataKey>> ListLiveDataKeys() override {
    std::lock_guard<std::mutex> lock(*mu_);
    return ListLiveDataKeysLocked(db_);
  }
  StatusOr<std::vector<SealedSecret>> ListSealedSecrets() override {
    std::lock_guard<std::mutex> lock(*mu_);
    return ListSealedSecretsLocked(db_);
  }
  Status RewrapKeys(const std::vector<KeyRewrap>& keys, const std::vector<SecretReseal>& secrets,
                    const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return RewrapKeysLocked(db_, keys, secrets, event);
  }
  StatusOr<std::map<uint32_t, int64_t>> MasterVersionReferences() override {
    std::lock_guard<std::mutex> lock(*mu_);
    return MasterVersionReferencesLocked(db_);
  }
  // --- end of master-key rotation -------------------------------------------

 private:
  StatusOr<std::vector<DataKeyRow>> LiveKeysLocked(const std::string& practice_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT key_id, master_version, wrapped, purpose, created_at FROM data_keys "
                                          "WHERE practice_id = ? AND destroyed_at IS NULL "
                                          "ORDER BY created_at DESC, rowid DESC"));
    s.Bind(1, practice_id);
    std::vector<DataKeyRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back({practice_id, {s.Text(0), static_cast<uint32_t>(s.Int(1)), s.Blob(2)}, s.Text(3), s.Text(4)});
    }
    return out;
  }

  StatusOr<std::optional<std::string>> OffboardedLocked(const std::string& practice_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT offboarded_at FROM practices WHERE practice_id = ?"));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no practice " + practice_id);
    if (s.IsNull(0)) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  }

  Status InsertKeyLocked(const std::string& practice_id, const crypto::WrappedKey& key, const char* purpose,
                         const std::string& created_at) {
    ASSIGN_OR_RETURN(Stmt k, db_->Prepare("INSERT INTO data_keys (practice_id, key_id, master_version, wrapped, "
                                          "created_at, purpose) VALUES (?,?,?,?,?,?)"));
    k.Bind(1, practice_id).Bind(2, key.key_id).Bind(3, int64_t{key.master_version}).BindBlob(4, key.wrapped);
    k.Bind(5, created_at).Bind(6, purpose);
    return k.Run();
  }

  // The live field key must still be the one the caller decrypts with.
  Status CheckFieldKeyLocked(const std::string& practice_id, const std::string& expected) {
    ASSIGN_OR_RETURN(auto keys, LiveKeysLocked(practice_id));
    std::string live;
    for (const auto& k : keys) {
      if (k.purpose == kKeyPurposeField) {
        live = k.key.key_id;
        break;
      }
    }
    if (live != expected) return UnavailableError("the practice's field key changed meanwhile; run the purge again");
    return OkStatus();
  }

  Status BeginPurgeLocked(const PurgeRequest& request) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("INSERT INTO purge_in_progress (purge_id, practice_id, started_at) "
                                          "VALUES (?,?,?)"));
    s.Bind(1, request.purge_id).Bind(2, request.practice_id).Bind(3, FormatRfc3339Millis(request.now));
    return s.Run();
  }

  Status SnapshotsLocked(const PurgeRequest& request) {
    for (const auto& [campaign_id, json] : request.report_snapshots) {
      RETURN_IF_ERROR(Change(db_,
                             "INSERT OR REPLACE INTO campaign_report_snapshots (practice_id, campaign_id, report_json, "
                             "created_at) VALUES (?1, ?2, ?3, ?4)",
                             {request.practice_id, campaign_id, json, FormatRfc3339Millis(request.now)})
                          .status());
    }
    return OkStatus();
  }

  // Blind indexes of the contacts of purged (true) or kept (false) patients,
  // as consent_records stores them (hex TEXT) and raw (BLOB), for IN (...).
  static std::string ContactIndexesSql(bool purged) {
    const std::string who = std::string("practice_key = (SELECT practice_key FROM practices WHERE practice_id = ?1) "
                                        "AND patient_id ") +
                            (purged ? "IN" : "NOT IN") + " (SELECT patient_id FROM temp.purge_patients)";
    return "SELECT lower(hex(phone_index)) FROM patients WHERE phone_index IS NOT NULL AND " + who +
           " UNION SELECT lower(hex(email_index)) FROM patients WHERE email_index IS NOT NULL AND " + who;
  }

  // Re-encrypts every sealed field of the practice through `reencrypt`, in
  // pages of rows (no statement reads a table while it is being updated).
  StatusOr<int64_t> ReencryptLocked(const std::string& practice_id, const ReencryptFn& reencrypt) {
    int64_t done = 0;
    ASSIGN_OR_RETURN(int64_t practice_key,
                     CountOf(db_, "SELECT practice_key FROM practices WHERE practice_id = ?1", {practice_id}));
    for (const SealedTable& t : SealedTables()) {
      ASSIGN_OR_RETURN(bool exists, TableExists(db_, t.table));
      if (!exists) continue;
      const std::string scope = t.by_practice_key ? "practice_key = ?1" : "practice_id = ?1";
      std::string cols;
      for (const char* c : t.columns) cols += std::string(", ") + c;
      ASSIGN_OR_RETURN(Stmt page, db_->Prepare(std::string("SELECT ") + t.key_column + ", " + t.row_key_sql + cols +
                                               " FROM " + t.table + " WHERE " + scope + " AND " + t.key_column +
                                               " > ?2 ORDER BY " + t.key_column + " LIMIT 500"));
      std::string sets;
      for (size_t i = 0; i < t.columns.size(); ++i) {
        sets += std::string(i == 0 ? "" : ", ") + t.columns[i] + " = ?" + std::to_string(i + 3);
      }
      ASSIGN_OR_RETURN(Stmt update, db_->Prepare(std::string("UPDATE ") + t.table + " SET " + sets + " WHERE " +
                                                 scope + " AND " + t.key_column + " = ?2"));
      struct Row {
        std::string key, row_key;
        std::vector<std::string> sealed;
      };
      std::string after;
      for (;;) {
        if (t.by_practice_key) {
          page.Bind(1, practice_key);
        } else {
          page.Bind(1, practice_id);
        }
        page.Bind(2, after);
        std::vector<Row> rows;
        for (;;) {
          ASSIGN_OR_RETURN(bool row, page.Step());
          if (!row) break;
          Row r{page.Text(0), t.by_practice_key ? ReadIndex(page, 1) : page.Text(1), {}};
          for (size_t i = 0; i < t.columns.size(); ++i) r.sealed.push_back(page.Blob(static_cast<int>(i + 2)));
          rows.push_back(std::move(r));
        }
        page.Reset();
        if (rows.empty()) break;
        for (Row& r : rows) {
          if (t.by_practice_key) {
            update.Bind(1, practice_key);
          } else {
            update.Bind(1, practice_id);
          }
          update.Bind(2, r.key);
          for (size_t i = 0; i < t.columns.size(); ++i) {
            std::string field(t.columns[i]);
            field.resize(field.size() - 4);  // "_enc"
            std::string fresh;
            if (!r.sealed[i].empty()) {
              ASSIGN_OR_RETURN(fresh, reencrypt(SealedField{t.table, field, r.row_key, r.sealed[i]}));
              ++done;
            }
            update.BindBlob(static_cast<int>(i + 3), fresh);  // "" stays NULL
          }
          Status s = update.Run();
          update.Reset();
          RETURN_IF_ERROR(s);
        }
        after = rows.back().key;
      }
    }
    return done;
  }

  // Destroys the live keys of `purpose` ("" = every purpose) but `keep`:
  // the wrapped bytes are overwritten (secure_delete zeroes the old cell) and
  // destroyed_at is set. Returns their ids.
  StatusOr<std::vector<std::string>> DestroyKeysLocked(const std::string& practice_id, const std::string& purpose,
                                                       const std::string& keep, TimePoint now) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE data_keys SET wrapped = X'', destroyed_at = ?4 WHERE practice_id = "
                                          "?1 AND destroyed_at IS NULL AND (?2 = '' OR purpose = ?2) AND key_id <> ?3 "
                                          "RETURNING key_id"));
    s.Bind(1, practice_id).Bind(2, purpose).Bind(3, keep).Bind(4, FormatRfc3339Millis(now));
    std::vector<std::string> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(s.Text(0));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The audit record (counts only), and the guard row removed: the purge's last steps.
  StatusOr<audit::AuditRecord> FinishLocked(const PurgeRequest& request, const audit::AuditEvent& event,
                                            const PurgeOutcome& out) {
    audit::AuditEvent e = event;
    for (const auto& [kind, n] : out.counts) e.details["deleted_" + kind] = n;
    e.details["recipients"] = out.recipients;
    e.details["retained"] = out.retained;
    e.details["reencrypted_fields"] = out.reencrypted_fields;
    e.details["destroyed_keys"] = static_cast<int64_t>(out.destroyed_key_ids.size());
    e.details["purge_id"] = request.purge_id;
    ASSIGN_OR_RETURN(audit::AuditRecord record, AppendAuditLocked(db_, e));
    RETURN_IF_ERROR(Change(db_, "DELETE FROM purge_in_progress WHERE purge_id = ?1", {request.purge_id}).status());
    return record;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<LifecycleStore> NewSqliteLifecycleStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteLifecycleStore>(db, mu);
}

}  // namespace recall::store::sqlite
