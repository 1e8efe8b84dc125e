// The SQLite VendorStore. Shares the store's connection and its one mutex
// (see sqlite_store.cc for the lock order: Store::mu_ is the only lock).
#include <mutex>

#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kVendorColumns =
    "practice_id, vendor_id, name, channel, kind, baa_signed_on, baa_document_sha256, active, created_at";

VendorRow ReadVendor(const Stmt& s) {
  VendorRow r;
  r.practice_id = s.Text(0);
  r.vendor_id = s.Text(1);
  r.name = s.Text(2);
  r.channel = s.Text(3);
  r.kind = s.Text(4);
  r.baa_signed_on = s.IsNull(5) ? "" : s.Text(5);
  r.baa_document_sha256 = s.IsNull(6) ? "" : s.Text(6);
  r.active = s.Int(7) != 0;
  r.created_at = s.Text(8);
  return r;
}

// Optional text: "" is stored as NULL.
void BindOptional(Stmt& s, int idx, const std::string& v) {
  if (v.empty()) {
    s.BindBlob(idx, "");
  } else {
    s.Bind(idx, v);
  }
}

class SqliteVendorStore final : public VendorStore {
 public:
  SqliteVendorStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Add(const VendorRow& r, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    exists.Bind(1, r.practice_id);
    ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFoundError("no practice " + r.practice_id);
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO vendors (practice_id, vendor_id, name, channel, kind, "
                                            "baa_signed_on, baa_document_sha256, active, created_at) "
                                            "VALUES (?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, r.practice_id).Bind(2, r.vendor_id).Bind(3, r.name).Bind(4, r.channel).Bind(5, r.kind);
    BindOptional(ins, 6, r.baa_signed_on);
    BindOptional(ins, 7, r.baa_document_sha256);
    ins.Bind(8, int64_t{r.active ? 1 : 0}).Bind(9, r.created_at);
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<VendorRow>> List(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kVendorColumns) +
                                          " FROM vendors WHERE practice_id = ? ORDER BY rowid"));
    s.Bind(1, practice_id);
    std::vector<VendorRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadVendor(s));
    }
    return out;
  }

  StatusOr<VendorRow> Get(const std::string& practice_id, const std::string& vendor_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetLocked(practice_id, vendor_id);
  }

  Status RecordBaa(const std::string& practice_id, const std::string& vendor_id, const std::string& signed_on,
                   const std::string& document_sha256, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(GetLocked(practice_id, vendor_id).status());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE vendors SET baa_signed_on = ?, baa_document_sha256 = ? "
                                           "WHERE practice_id = ? AND vendor_id = ?"));
    up.Bind(1, signed_on).Bind(2, document_sha256).Bind(3, practice_id).Bind(4, vendor_id);
    RETURN_IF_ERROR(up.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status Deactivate(const std::string& practice_id, const std::string& vendor_id,
                    const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(VendorRow current, GetLocked(practice_id, vendor_id));
    if (!current.active) return FailedPreconditionError("vendor " + vendor_id + " is already inactive");
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE vendors SET active = 0 WHERE practice_id = ? AND vendor_id = ?"));
    up.Bind(1, practice_id).Bind(2, vendor_id);
    RETURN_IF_ERROR(up.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

 private:
  StatusOr<VendorRow> GetLocked(const std::string& practice_id, const std::string& vendor_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kVendorColumns) +
                                          " FROM vendors WHERE practice_id = ? AND vendor_id = ?"));
    s.Bind(1, practice_id).Bind(2, vendor_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no vendor " + vendor_id + " in practice " + practice_id);
    return ReadVendor(s);
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<VendorStore> NewSqliteVendorStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteVendorStore>(db, mu);
}

}  // namespace recall::store::sqlite
