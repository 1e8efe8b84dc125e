// The SQLite UserStore (store/user_store.h): users, memberships, credentials.
// Shares the store's connection and its one mutex. Times are INTEGER
// milliseconds since the Unix epoch.
#include <sqlite3.h>

#include <mutex>

#include "store/sqlite/internal.h"
#include "store/user_store.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kUserColumns =
    "user_id, login, display_name, password_hash, admin, totp_secret_sealed, failed_logins, locked_until_ms, "
    "created_at_ms";

UserRow ReadUser(const Stmt& s) {
  UserRow r;
  r.user_id = s.Text(0);
  r.login = s.Text(1);
  r.display_name = s.Text(2);
  r.password_hash = s.Text(3);
  r.admin = s.Int(4) != 0;
  r.totp_secret_sealed = s.Text(5);
  r.failed_logins = s.Int(6);
  r.locked_until = FromMillis(s.Int(7));
  r.created_at = FromMillis(s.Int(8));
  return r;
}

constexpr std::string_view kCredentialColumns =
    "token_id, user_id, token_hash, kind, scopes, label, created_at_ms, expires_at_ms, revoked_at_ms";

CredentialRow ReadCredential(const Stmt& s) {
  CredentialRow r;
  r.token_id = s.Text(0);
  r.user_id = s.Text(1);
  r.token_hash = s.Text(2);
  r.kind = s.Text(3);
  r.scopes = s.Text(4);
  r.label = s.Text(5);
  r.created_at = FromMillis(s.Int(6));
  r.expires_at = FromMillis(s.Int(7));
  r.revoked = !s.IsNull(8);
  if (r.revoked) r.revoked_at = FromMillis(s.Int(8));
  return r;
}

Status RequireUser(Db* db, const std::string& user_id) {
  ASSIGN_OR_RETURN(Stmt q, db->Prepare("SELECT 1 FROM users WHERE user_id = ?"));
  q.Bind(1, user_id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return NotFoundError("no user " + user_id);
  return OkStatus();
}

class SqliteUserStore final : public UserStore {
 public:
  SqliteUserStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status Create(const UserRow& user, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO users (") + std::string(kUserColumns) +
                                            ") VALUES (?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, user.user_id).Bind(2, user.login).Bind(3, user.display_name).Bind(4, user.password_hash);
    ins.Bind(5, int64_t{user.admin ? 1 : 0}).Bind(6, user.totp_secret_sealed).Bind(7, user.failed_logins);
    ins.Bind(8, ToMillis(user.locked_until)).Bind(9, ToMillis(user.created_at));
    Status s = ins.Run();
    if (!s.ok()) {
      if (s.code() == StatusCode::kAlreadyExists) return AlreadyExistsError("login is taken");
      return s;
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<UserRow> Get(const std::string& user_id) override { return GetBy("user_id", user_id); }
  StatusOr<UserRow> GetByLogin(const std::string& login) override { return GetBy("login", login); }

  StatusOr<std::vector<UserRow>> List() override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kUserColumns) +
                                          " FROM users ORDER BY login"));
    return Collect<UserRow>(s, ReadUser);
  }

  Status SetTotpSecret(const std::string& user_id, const std::string& sealed,
                       const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE users SET totp_secret_sealed = ? WHERE user_id = ?"));
    up.Bind(1, sealed).Bind(2, user_id);
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFoundError("no user " + user_id);
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<bool> RecordLoginFailure(const std::string& user_id, int64_t max_failures, TimePoint lock_until,
                                    const audit::AuditEvent& failed, const audit::AuditEvent& locked) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE users SET failed_logins = failed_logins + 1 WHERE user_id = ? "
                                           "RETURNING failed_logins"));
    up.Bind(1, user_id);
    ASSIGN_OR_RETURN(bool found, up.Step());
    if (!found) return NotFoundError("no user " + user_id);
    const int64_t failures = up.Int(0);
    up.Reset();
    RETURN_IF_ERROR(AppendAuditLocked(db_, failed).status());
    const bool now_locked = failures >= max_failures;
    if (now_locked) {
      ASSIGN_OR_RETURN(Stmt lk, db_->Prepare("UPDATE users SET failed_logins = 0, locked_until_ms = ? "
                                             "WHERE user_id = ?"));
      lk.Bind(1, ToMillis(lock_until)).Bind(2, user_id);
      RETURN_IF_ERROR(lk.Run());
      RETURN_IF_ERROR(AppendAuditLocked(db_, locked).status());
    }
    RETURN_IF_ERROR(txn.Commit());
    return now_locked;
  }

  Status RecordLoginSuccess(const CredentialRow& session, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE users SET failed_logins = 0, locked_until_ms = 0 "
                                           "WHERE user_id = ?"));
    up.Bind(1, session.user_id);
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFoundError("no user " + session.user_id);
    RETURN_IF_ERROR(InsertCredentialLocked(session));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status Grant(const MembershipRow& m, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequireUser(db_, m.user_id));
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    q.Bind(1, m.practice_id);
    ASSIGN_OR_RETURN(bool practice, q.Step());
    if (!practice) return NotFoundError("no practice " + m.practice_id);
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO user_memberships (user_id, practice_id, role, granted_at_ms) "
                                            "VALUES (?,?,?,?) ON CONFLICT DO NOTHING"));
    ins.Bind(1, m.user_id).Bind(2, m.practice_id).Bind(3, m.role).Bind(4, ToMillis(m.granted_at));
    RETURN_IF_ERROR(ins.Run());
    if (sqlite3_changes(db_->raw()) == 0) return OkStatus();  // held already
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status Revoke(const std::string& user_id, const std::string& practice_id, const std::string& role,
                const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM user_memberships WHERE user_id = ? AND practice_id = ? "
                                            "AND role = ?"));
    del.Bind(1, user_id).Bind(2, practice_id).Bind(3, role);
    RETURN_IF_ERROR(del.Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFoundError("the user does not hold that role there");
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<MembershipRow>> Memberships(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT user_id, practice_id, role, granted_at_ms FROM user_memberships "
                                          "WHERE ?1 = '' OR user_id = ?1 ORDER BY user_id, practice_id, role"));
    s.Bind(1, user_id);
    return Collect<MembershipRow>(s, [](const Stmt& st) {
      return MembershipRow{st.Text(0), st.Text(1), st.Text(2), FromMillis(st.Int(3))};
    });
  }

  Status CreateCredential(const CredentialRow& credential, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequireUser(db_, credential.user_id));
    RETURN_IF_ERROR(InsertCredentialLocked(credential));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<CredentialRow> CredentialByHash(const std::string& token_hash) override {
    return CredentialBy("token_hash", token_hash);
  }
  StatusOr<CredentialRow> Credential(const std::string& token_id) override {
    return CredentialBy("token_id", token_id);
  }

  Status RevokeCredential(const std::string& token_id, TimePoint at, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt q, db_->Prepare("SELECT revoked_at_ms IS NOT NULL FROM user_credentials "
                                          "WHERE token_id = ?"));
    q.Bind(1, token_id);
    ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return NotFoundError("no token " + token_id);
    if (q.Int(0) != 0) return OkStatus();  // revoked already
    ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE user_credentials SET revoked_at_ms = ? WHERE token_id = ?"));
    up.Bind(1, ToMillis(at)).Bind(2, token_id);
    RETURN_IF_ERROR(up.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

 private:
  // `column` is one of our literals, never input.
  StatusOr<UserRow> GetBy(std::string_view column, const std::string& value) {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kUserColumns) + " FROM users WHERE " +
                                          std::string(column) + " = ?"));
    s.Bind(1, value);
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotFoundError("no such user");
    return ReadUser(s);
  }

  StatusOr<CredentialRow> CredentialBy(std::string_view column, const std::string& value) {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kCredentialColumns) +
                                          " FROM user_credentials WHERE " + std::string(column) + " = ?"));
    s.Bind(1, value);
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotFoundError("no such token");
    return ReadCredential(s);
  }

  Status InsertCredentialLocked(const CredentialRow& c) {
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO user_credentials (") +
                                            std::string(kCredentialColumns) + ") VALUES (?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, c.token_id).Bind(2, c.user_id).Bind(3, c.token_hash).Bind(4, c.kind).Bind(5, c.scopes);
    ins.Bind(6, c.label).Bind(7, ToMillis(c.created_at)).Bind(8, ToMillis(c.expires_at));
    if (c.revoked) ins.Bind(9, ToMillis(c.revoked_at));
    Status s = ins.Run();
    if (!s.ok() && s.code() == StatusCode::kAlreadyExists) return AlreadyExistsError("token exists");
    return s;
  }

  template <typename Row, typename Read>
  static StatusOr<std::vector<Row>> Collect(Stmt& s, Read read) {
    std::vector<Row> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(read(s));
    }
    return out;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<UserStore> NewSqliteUserStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteUserStore>(db, mu);
}

}  // namespace recall::store::sqlite
