#pragma once
// A thin RAII layer over the SQLite C API, private to src/store/sqlite/.
// SQLite result codes become Status here and nowhere else.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace recall::store::sqlite {

Status FromSqlite(int rc, sqlite3* db, std::string_view what);

class StmtCache;

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt, StmtCache* cache = nullptr) : db_(db), stmt_(stmt), cache_(cache) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_), cache_(o.cache_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      Release();
      db_ = o.db_;
      stmt_ = o.stmt_;
      cache_ = o.cache_;
      o.stmt_ = nullptr;
    }
    return *this;
  }
  ~Stmt() { Release(); }

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
  // A cached statement is reset, unbound and handed back to its cache; any
  // other is finalized.
  void Release();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  StmtCache* cache_ = nullptr;
};

// Prepared statements by SQL text, so that the statements every request runs
// (the audit append, the consent and outbox writes) are compiled once per
// connection. A statement is lent to one Stmt at a time; a second Prepare of
// the same SQL while it is lent (a nested query) gets an uncached copy. Bounded:
// past kMaxEntries, new SQL is not cached. Thread-safe bookkeeping (the
// connection itself is used under the store's mutex).
class StmtCache {
 public:
  static constexpr size_t kMaxEntries = 512;
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache();
  StatusOr<Stmt> Prepare(std::string_view sql);
  void Return(sqlite3_stmt* stmt);
  size_t size() const;

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
  };
  sqlite3* db_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;          // GUARDED_BY(mu_)
  std::unordered_map<sqlite3_stmt*, Entry*> by_stmt_;       // GUARDED_BY(mu_)
};

class Db {
 public:
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  // A cached prepared statement (StmtCache).
  StatusOr<Stmt> Prepare(std::string_view sql);
  // Runs SQL text, uncached (scripts: migrations, pragmas).
  Status Exec(std::string_view sql);
  sqlite3* raw() const { return db_; }
  size_t cached_statements() const { return cache_->size(); }

 private:
  explicit Db(sqlite3* db) : db_(db), cache_(std::make_unique<StmtCache>(db)) {}
  sqlite3* db_;
  std::unique_ptr<StmtCache> cache_;
};

// Begins IMMEDIATE on construction; rolls back on destruction unless committed.
class Txn {
 public:
  explicit Txn(Db* db) : db_(db) {}
  Status Begin() { return Run("BEGIN IMMEDIATE"); }
  Status Commit() {
    RETURN_IF_ERROR(Run("COMMIT"));
    done_ = true;
    return OkStatus();
  }
  ~Txn() {
    if (!done_) (void)Run("ROLLBACK");
  }

 private:
  Status Run(std::string_view sql) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
    return s.Run();
  }
  Db* db_;
  bool done_ = false;
};

}  // namespace recall::store::sqlite
