#include "store/sqlite/db.h"

#include <memory>

namespace recall::store::sqlite {

Status FromSqlite(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return OkStatus();
  // SQLite's messages name tables and constraints, never bound values, so they are PHI-free.
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return UnavailableError(msg);
    case SQLITE_CONSTRAINT: return AlreadyExistsError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY: return FailedPreconditionError(msg);
    case SQLITE_FULL: return ResourceExhaustedError(msg);
    default: return InternalError(msg);
  }
}

Stmt& Stmt::Bind(int idx, std::string_view text) {
  sqlite3_bind_text(stmt_, idx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindBlob(int idx, std::string_view bytes) {
  if (bytes.empty()) {
    sqlite3_bind_null(stmt_, idx);
  } else {
    sqlite3_bind_blob(stmt_, idx, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  return *this;
}
Stmt& Stmt::BindUnowned(int idx, std::string_view text) {
  sqlite3_bind_text(stmt_, idx, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}
Stmt& Stmt::BindBlobUnowned(int idx, std::string_view bytes) {
  if (bytes.empty()) {
    sqlite3_bind_null(stmt_, idx);
  } else {
    sqlite3_bind_blob(stmt_, idx, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  }
  return *this;
}
Stmt& Stmt::Bind(int idx, int64_t v) {
  sqlite3_bind_int64(stmt_, idx, v);
  return *this;
}

StatusOr<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromSqlite(rc, db_, "step");
}

Status Stmt::Run() {
  ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  Reset();
  return OkStatus();
}

void Stmt::Release() {
  if (stmt_ == nullptr) return;
  if (cache_ != nullptr) {
    cache_->Return(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

StmtCache::~StmtCache() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [sql, e] : entries_) sqlite3_finalize(e.stmt);
}

StatusOr<Stmt> StmtCache::Prepare(std::string_view sql) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(std::string(sql));
    if (it != entries_.end() && !it->second.lent) {
      it->second.lent = true;
      return Stmt(db_, it->second.stmt, this);
    }
    if (it == entries_.end() && entries_.size() < kMaxEntries) {
      sqlite3_stmt* stmt = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                        &stmt, nullptr);
      if (rc != SQLITE_OK) return FromSqlite(rc, db_, "prepare");
      Entry& e = entries_[std::string(sql)];
      e.stmt = stmt;
      e.lent = true;
      by_stmt_[stmt] = &e;
      return Stmt(db_, stmt, this);
    }
  }
  // Lent already (a nested use of the same SQL) or the cache is full.
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(rc, db_, "prepare");
  return Stmt(db_, stmt);
}

void StmtCache::Return(sqlite3_stmt* stmt) {
  // Reset and unbind first: no row stays open (VACUUM and DROP need none) and
  // no unowned binding outlives its caller.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_stmt_.find(stmt); it != by_stmt_.end()) it->second->lent = false;
}

size_t StmtCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::Text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::string Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
bool Stmt::IsBlob(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_BLOB; }

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, raw, "open database");
    sqlite3_close(raw);
    return s;
  }
  auto db = std::unique_ptr<Db>(new Db(raw));
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Db::~Db() {
  cache_.reset();  // finalizes the cached statements before the connection closes
  sqlite3_close_v2(db_);
}

StatusOr<Stmt> Db::Prepare(std::string_view sql) { return cache_->Prepare(sql); }

Status Db::Exec(std::string_view sql) {
  const std::string s(sql);
  return FromSqlite(sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr), db_, "exec");
}

}  // namespace recall::store::sqlite
