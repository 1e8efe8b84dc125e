#pragma once
// Users, roles and tenants: who may do what, for which practice.
//
// Zero trust: every API request names a principal (a console session or an
// API token, both presented as `Authorization: Bearer <token>`), and every
// route declares the one Permission it needs; Authorize checks it against the
// principal's roles *for the practice the request touches*. Nothing is trusted
// for being "inside".
//
// Roles (per practice membership; a user may belong to several practices):
//   operator  business-associate staff: drafts and runs campaigns, sees masked PHI
//   approver  practice: signs off campaigns (never one they authored)
//   staff     practice: works the hand-off queue, records verbal opt-outs
//   auditor   reads and verifies the audit log; no PHI
//   admin     installation-wide: practices, BAAs, vendors, users
//
// Credentials: passwords hashed with argon2id (libargon2); a login locks for
// 15 minutes after 5 consecutive failures; console users need a TOTP second
// factor (RFC 6238, liboath); API tokens are random 256-bit values stored as
// SHA-256 hashes, with scopes (a subset of the owner's permissions) and an
// expiry. Sessions are API-token-shaped rows with a short expiry.
//
// Every change and every login (success or failure) is audited with opaque ids.
// Thread-safe (free functions over an Engine).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "engine/engine.h"

namespace recall::users {

enum class Role { kOperator, kApprover, kStaff, kAuditor, kAdmin };
std::string_view RoleName(Role role);  // "operator", "approver", "staff", "auditor", "admin"
StatusOr<Role> ParseRole(std::string_view name);

// What a route needs. The role -> permission table is RolePermissions().
enum class Permission {
  kPracticeRead,      // practice profile, settings, BAA and vendor lists
  kPracticeAdmin,     // create practices, record BAAs, vendors, settings, users
  kPatientImport,     // upload an export
  kPatientReadMasked, // list / show patients, masked
  kPatientReveal,     // decrypt a patient's contact (with a reason; audited)
  kConsentRead,       // consent state and evidence history
  kConsentWrite,      // record grants and (verbal) revocations
  kTemplateWrite,     // templates, lint
  kCampaignRead,      // campaigns, previews, reports
  kCampaignDraft,     // create, edit, submit
  kCampaignApprove,   // sign off (never the author)
  kCampaignRun,       // start, pause, resume
  kHandoffWork,       // read, assign, acknowledge, reply, resolve hand-offs
  kAuditRead,         // query, verify, export the audit log
};
std::string_view PermissionName(Permission permission);  // "practice.read", "patient.reveal", ...
StatusOr<Permission> ParsePermission(std::string_view name);
const std::map<Role, std::set<Permission>>& RolePermissions();

// An authenticated caller.
struct Principal {
  std::string user_id;  // "usr_..."
  std::string login;    // not PHI: staff logins
  bool admin = false;   // holds the installation-wide admin role
  std::map<std::string, std::set<Role>> roles;  // practice id -> roles there
  // Set when authenticated by an API token: the token's scopes narrow the
  // roles' permissions. Empty for sessions (the roles decide).
  std::set<Permission> scopes;
  bool via_token = false;
  // The actor string for audit records and authorship: "user:<login>".
  std::string actor() const { return "user:" + login; }
};

// OK when the principal may exercise `permission` on `practice_id` ("" for
// installation-wide routes, which only admins pass). PermissionDenied
// otherwise (the message names the permission, never data).
Status Authorize(const Principal& principal, const std::string& practice_id, Permission permission);

// --- users ------------------------------------------------------------------

struct NewUser {
  std::string login;         // 3..64 of [a-z0-9._-]
  std::string display_name;  // 1..120 UTF-8
  std::string password;      // >= 12 bytes
  bool admin = false;
};
struct UserView {
  std::string user_id, login, display_name;
  bool admin = false;
  bool totp_enrolled = false;
  bool locked = false;
  std::map<std::string, std::set<Role>> roles;
};
// AlreadyExists for a taken login; InvalidArgument for a bad field. Audited.
StatusOr<UserView> AddUser(engine::Engine& engine, const NewUser& user);
// Grants `role` on `practice_id` (NotFound for an unknown user or practice). Audited.
Status GrantRole(engine::Engine& engine, const std::string& login, const std::string& practice_id, Role role);
Status RevokeRole(engine::Engine& engine, const std::string& login, const std::string& practice_id, Role role);
StatusOr<std::vector<UserView>> ListUsers(engine::Engine& engine);

// TOTP enrollment: a fresh secret (base32, for the authenticator app) stored
// encrypted; returns the secret and an otpauth:// URI. Audited.
struct TotpEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
};
StatusOr<TotpEnrollment> EnrollTotp(engine::Engine& engine, const std::string& login);
// The current code for a secret (tests and the demo print it).
StatusOr<std::string> TotpCodeForTest(const std::string& secret_base32, TimePoint at);

// --- sessions and tokens ----------------------------------------------------

struct LoginRequest {
  std::string login, password, totp_code;  // totp_code required when enrolled
};
struct Session {
  std::string token;  // bearer token, shown once
  std::string user_id;
  TimePoint expires_at;
};
// Unauthenticated for any wrong credential (one message for all: no user
// enumeration); ResourceExhausted while locked out. Audited ("user.login",
// "user.login_failed", "user.locked").
StatusOr<Session> Login(engine::Engine& engine, const LoginRequest& request);
Status Logout(engine::Engine& engine, std::string_view token);

struct NewToken {
  std::string login;
  std::set<Permission> scopes;  // must be within the user's permissions somewhere
  std::chrono::hours ttl{24 * 30};
  std::string label;  // e.g. "kannel-webhook"; not secret
};
struct IssuedToken {
  std::string token_id;  // "tok_..."
  std::string token;     // shown once
  TimePoint expires_at;
};
StatusOr<IssuedToken> CreateToken(engine::Engine& engine, const NewToken& request);
Status RevokeToken(engine::Engine& engine, const std::string& token_id);

// A bearer token (session or API token) -> its principal. Unauthenticated for
// an unknown, expired or revoked token (one message for all).
StatusOr<Principal> Authenticate(engine::Engine& engine, std::string_view bearer_token);

// --- policy and primitives (additions for tests and the server) -------------

inline constexpr int kMaxFailedLogins = 5;                       // consecutive failures before a lock
inline constexpr std::chrono::minutes kLockout{15};              // how long a lock lasts
inline constexpr std::chrono::hours kSessionTtl{12};             // console session lifetime
inline constexpr std::chrono::seconds kTotpStep{30};             // RFC 6238 time step; +-1 step accepted

// argon2id encoded hash ("$argon2id$v=19$m=65536,t=3,p=1$...") with a random
// 16-byte salt; t=3, m=64 MiB, p=1. Test-only: with RECALL_ARGON2_TEST_PARAMS=1
// in the environment the cost drops to t=1, m=1 MiB so suites run fast (the
// parameters travel inside the hash, so verification works either way).
// InvalidArgument for a password outside 12..1024 bytes.
StatusOr<std::string> HashPassword(std::string_view password, Random& random);
// Constant-time (argon2id_verify); false for a malformed hash.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

}  // namespace recall::users
