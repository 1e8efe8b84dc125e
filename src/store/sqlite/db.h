#pragma once
// A thin RAII layer over the SQLite C API, private to src/store/sqlite/.
// SQLite result codes become Status here and nowhere else.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::store::sqlite {

Status FromSqlite(int rc, sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      if (stmt_) sqlite3_finalize(stmt_);
      db_ = o.db_;
      stmt_ = o.stmt_;
      o.stmt_ = nullptr;
    }
    return *this;
  }
  ~Stmt() {
    if (stmt_) sqlite3_finalize(stmt_);
  }

  Stmt& Bind(int idx, std::string_view text);   // TEXT
  Stmt& BindBlob(int idx, std::string_view bytes);  // BLOB; empty -> NULL
  Stmt& Bind(int idx, int64_t v);
  // As Bind and BindBlob, without copying: `bytes` must outlive the next
  // Step() and Reset().
  Stmt& BindUnowned(int idx, std::string_view text);
  Stmt& BindBlobUnowned(int idx, std::string_view bytes);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, else error.
  StatusOr<bool> Step();
  Status Run();  // steps to completion, expects no rows
  void Reset();

  std::string Text(int col) const;
  std::string Blob(int col) const;
  int64_t Int(int col) const;
  bool IsNull(int col) const;
  bool IsBlob(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  StatusOr<Stmt> Prepare(std::string_view sql);
  Status Exec(std::string_view sql);
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Begins IMMEDIATE on construction; rolls back on destruction unless committed.
class Txn {
 public:
  explicit Txn(Db* db) : db_(db) {}
  Status Begin() { return db_->Exec("BEGIN IMMEDIATE"); }
  Status Commit() {
    RETURN_IF_ERROR(db_->Exec("COMMIT"));
    done_ = true;
    return OkStatus();
  }
  ~Txn() {
    if (!done_) (void)db_->Exec("ROLLBACK");
  }

 private:
  Db* db_;
  bool done_ = false;
};

}  // namespace recall::store::sqlite
