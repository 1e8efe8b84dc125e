#pragma once
// UserStore: the installation's users, their practice memberships (roles),
// and their bearer credentials (console sessions and API tokens). See
// store/store.h for the rules every sub-store keeps; users/users.h is the
// domain layer on top (hashing, lockout policy, TOTP, authorization).
//
//   - Users are installation-wide rows (not practice-scoped): a login is
//     unique across the installation. The row holds the argon2id encoded
//     password hash, the sealed TOTP secret (never the plain one) and the
//     failed-login counter and lock.
//   - Memberships are (user, practice, role) triples; the practice must exist.
//   - Credentials are stored only as SHA-256 hex of the bearer token, with a
//     kind ("session" | "api"), scopes, expiry and a revocation time. The
//     token itself is never stored.
//
// Rows hold no PHI: staff logins and display names, opaque ids, hashes, times.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::store {

inline constexpr char kCredentialSession[] = "session";
inline constexpr char kCredentialApi[] = "api";

struct UserRow {
  std::string user_id;             // "usr_..." opaque
  std::string login;               // unique, [a-z0-9._-]
  std::string display_name;
  std::string password_hash;       // argon2id encoded string ("$argon2id$v=19$...")
  bool admin = false;              // installation-wide admin role
  std::string totp_secret_sealed;  // "" when not enrolled; sealed under an installation key
  int64_t failed_logins = 0;       // consecutive failures since the last success or lock
  TimePoint locked_until;          // epoch when never locked
  TimePoint created_at;
};

struct MembershipRow {
  std::string user_id;
  std::string practice_id;
  std::string role;  // "operator" | "approver" | "staff" | "auditor" | "admin"
  TimePoint granted_at;
};

struct CredentialRow {
  std::string token_id;    // "tok_..." (API tokens) or "ses_..." (sessions)
  std::string user_id;
  std::string token_hash;  // SHA-256 hex of the bearer token; unique
  std::string kind;        // kCredentialSession | kCredentialApi
  std::string scopes;      // comma-separated permission names; "" for sessions
  std::string label;       // not secret, e.g. "kannel-webhook"
  TimePoint created_at;
  TimePoint expires_at;
  bool revoked = false;
  TimePoint revoked_at;    // epoch unless revoked
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // --- Users ---------------------------------------------------------------

  // AlreadyExists for a taken login or user id. Audited.
  virtual Status Create(const UserRow& user, const audit::AuditEvent& event) = 0;
  // NotFound.
  virtual StatusOr<UserRow> Get(const std::string& user_id) = 0;
  virtual StatusOr<UserRow> GetByLogin(const std::string& login) = 0;
  // Every user, ordered by login.
  virtual StatusOr<std::vector<UserRow>> List() = 0;
  // Stores the sealed TOTP secret ("" removes it). NotFound. Audited.
  virtual Status SetTotpSecret(const std::string& user_id, const std::string& sealed,
                               const audit::AuditEvent& event) = 0;

  // --- Login bookkeeping ---------------------------------------------------

  // Counts one failed login and appends `failed`. When the count reaches
  // `max_failures`, the user is locked until `lock_until`, the counter is
  // reset and `locked` is appended too; returns true then. NotFound.
  virtual StatusOr<bool> RecordLoginFailure(const std::string& user_id, int64_t max_failures, TimePoint lock_until,
                                            const audit::AuditEvent& failed, const audit::AuditEvent& locked) = 0;
  // Resets the counter and the lock, and inserts the new session credential,
  // with its audit record. NotFound.
  virtual Status RecordLoginSuccess(const CredentialRow& session, const audit::AuditEvent& event) = 0;

  // --- Memberships ---------------------------------------------------------

  // Grants a role; granting one held already changes nothing (and appends
  // nothing). NotFound for an unknown user or practice. Audited.
  virtual Status Grant(const MembershipRow& membership, const audit::AuditEvent& event) = 0;
  // NotFound when the user does not hold the role there. Audited.
  virtual Status Revoke(const std::string& user_id, const std::string& practice_id, const std::string& role,
                        const audit::AuditEvent& event) = 0;
  // The user's memberships ordered by practice and role ("" user_id: everyone's).
  virtual StatusOr<std::vector<MembershipRow>> Memberships(const std::string& user_id) = 0;

  // --- Credentials ---------------------------------------------------------

  // AlreadyExists on a duplicate id or hash; NotFound for an unknown user. Audited.
  virtual Status CreateCredential(const CredentialRow& credential, const audit::AuditEvent& event) = 0;
  // NotFound.
  virtual StatusOr<CredentialRow> CredentialByHash(const std::string& token_hash) = 0;
  virtual StatusOr<CredentialRow> Credential(const std::string& token_id) = 0;
  // Marks it revoked at `at` (revoking twice changes nothing). NotFound. Audited.
  virtual Status RevokeCredential(const std::string& token_id, TimePoint at, const audit::AuditEvent& event) = 0;
};

}  // namespace recall::store
