#include "users/users.h"

#include <argon2.h>
#include <liboath/oath.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include "common/text.h"
#include "crypto/crypto.h"
#include "crypto/keyring.h"
#include "store/user_store.h"

namespace recall::users {
namespace {

constexpr char kBadCredentials[] = "invalid credentials";
constexpr char kBadToken[] = "invalid or expired token";
constexpr char kTotpPurpose[] = "totp";
constexpr size_t kTotpSecretBytes = 20;  // RFC 4226 recommends 160 bits (SHA-1)
constexpr unsigned kTotpDigits = 6;

struct RoleInfo {
  Role role;
  std::string_view name;
};
constexpr RoleInfo kRoles[] = {
    {Role::kOperator, "operator"}, {Role::kApprover, "approver"}, {Role::kStaff, "staff"},
    {Role::kAuditor, "auditor"},   {Role::kAdmin, "admin"},
};

struct PermissionInfo {
  Permission permission;
  std::string_view name;
};
constexpr PermissionInfo kPermissions[] = {
    {Permission::kPracticeRead, "practice.read"},
    {Permission::kPracticeAdmin, "practice.admin"},
    {Permission::kPatientImport, "patient.import"},
    {Permission::kPatientReadMasked, "patient.read_masked"},
    {Permission::kPatientReveal, "patient.reveal"},
    {Permission::kConsentRead, "consent.read"},
    {Permission::kConsentWrite, "consent.write"},
    {Permission::kTemplateWrite, "template.write"},
    {Permission::kCampaignRead, "campaign.read"},
    {Permission::kCampaignDraft, "campaign.draft"},
    {Permission::kCampaignApprove, "campaign.approve"},
    {Permission::kCampaignRun, "campaign.run"},
    {Permission::kHandoffWork, "handoff.work"},
    {Permission::kAuditRead, "audit.read"},
};

// --- encodings --------------------------------------------------------------

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < bytes.size()) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string TokenHash(std::string_view token) { return HexEncode(crypto::Sha256(token)); }

std::string JoinScopes(const std::set<Permission>& scopes) {
  std::string out;
  for (Permission p : scopes) {
    if (!out.empty()) out += ',';
    out += PermissionName(p);
  }
  return out;
}

StatusOr<std::set<Permission>> ParseScopes(std::string_view text) {
  std::set<Permission> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = TrimAscii(text.substr(0, comma));
    if (!item.empty()) {
      ASSIGN_OR_RETURN(Permission p, ParsePermission(item));
      out.insert(p);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// --- validation -------------------------------------------------------------

Status ValidateLogin(std::string_view login) {
  if (login.size() < 3 || login.size() > 64) return InvalidArgumentError("login must be 3 to 64 characters");
  for (char c : login) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidArgumentError("login may hold only a-z, 0-9, '.', '_' and '-'");
  }
  return OkStatus();
}

Status ValidateText(std::string_view text, std::string_view field, size_t min_chars, size_t max_chars) {
  if (!IsValidUtf8(text)) return InvalidArgumentError(std::string(field) + " is not valid UTF-8");
  size_t chars = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return InvalidArgumentError(std::string(field) + " holds a control character");
    if ((u & 0xC0) != 0x80) ++chars;
  }
  if (chars < min_chars || chars > max_chars) {
    return InvalidArgumentError(std::string(field) + " must be " + std::to_string(min_chars) + " to " +
                                std::to_string(max_chars) + " characters");
  }
  return OkStatus();
}

// --- argon2id ---------------------------------------------------------------

struct Argon2Params {
  uint32_t t_cost, m_cost_kib, parallelism;
};
Argon2Params CurrentArgon2Params() {
  const char* test = std::getenv("RECALL_ARGON2_TEST_PARAMS");
  if (test != nullptr && std::string_view(test) == "1") return {1, 1024, 1};  // test-only
  return {3, 64 * 1024, 1};
}
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// A hash of a password nobody has: verifying against it costs what a real
// verification costs, so an unknown login takes as long as a wrong password.
const std::string& DummyHash() {
  static const std::string* hash = [] {
    SecureRandom random;
    auto h = HashPassword("recall-dummy-password-never-valid", random);
    return new std::string(h.ok() ? *h : std::string());
  }();
  return *hash;
}

// --- TOTP -------------------------------------------------------------------

Status OathInit() {
  static const int rc = oath_init();
  if (rc != OATH_OK) return InternalError("liboath failed to initialise");
  return OkStatus();
}

StatusOr<std::string> Base32Encode(std::string_view bytes) {
  RETURN_IF_ERROR(OathInit());
  char* out = nullptr;
  size_t out_len = 0;
  if (oath_base32_encode(bytes.data(), bytes.size(), &out, &out_len) != OATH_OK || out == nullptr) {
    return InternalError("base32 encoding failed");
  }
  std::string result(out, out_len);
  OPENSSL_cleanse(out, out_len);
  std::free(out);
  while (!result.empty() && result.back() == '=') result.pop_back();
  return result;
}

StatusOr<std::string> Base32Decode(std::string_view text) {
  RETURN_IF_ERROR(OathInit());
  char* out = nullptr;
  size_t out_len = 0;
  const std::string in(text);
  if (oath_base32_decode(in.data(), in.size(), &out, &out_len) != OATH_OK || out == nullptr) {
    return InvalidArgumentError("malformed base32 secret");
  }
  std::string result(out, out_len);
  OPENSSL_cleanse(out, out_len);
  std::free(out);
  return result;
}

bool ValidTotpShape(std::string_view code) {
  if (code.size() != kTotpDigits) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The installation's master keyring, as the engine holds it.
StatusOr<const crypto::MasterKeyring*> MasterKeys(engine::Engine& engine) { return &engine.master_keys(); }

std::string TotpContext(const std::string& user_id) { return "user.totp|" + user_id; }

// --- views ------------------------------------------------------------------

UserView ToView(const store::UserRow& row, const std::vector<store::MembershipRow>& memberships, TimePoint now) {
  UserView v;
  v.user_id = row.user_id;
  v.login = row.login;
  v.display_name = row.display_name;
  v.admin = row.admin;
  v.totp_enrolled = !row.totp_secret_sealed.empty();
  v.locked = row.locked_until > now;
  for (const store::MembershipRow& m : memberships) {
    if (m.user_id != row.user_id) continue;
    auto role = ParseRole(m.role);
    if (role.ok()) v.roles[m.practice_id].insert(*role);
  }
  return v;
}

// Every permission the user holds on some practice (everything for admins).
std::set<Permission> PermissionsAnywhere(bool admin, const std::map<std::string, std::set<Role>>& roles) {
  if (admin) return RolePermissions().at(Role::kAdmin);
  std::set<Permission> out;
  for (const auto& [practice, held] : roles) {
    for (Role r : held) {
      const auto& perms = RolePermissions().at(r);
      out.insert(perms.begin(), perms.end());
    }
  }
  return out;
}

StatusOr<std::string> NewBearer(Random& random) {
  ASSIGN_OR_RETURN(std::string bytes, random.Bytes(32));
  std::string token = Base64Url(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return token;
}

}  // namespace

// --- roles and permissions ----------------------------------------------------

std::string_view RoleName(Role role) {
  for (const RoleInfo& r : kRoles) {
    if (r.role == role) return r.name;
  }
  return "unknown";
}

StatusOr<Role> ParseRole(std::string_view name) {
  for (const RoleInfo& r : kRoles) {
    if (r.name == name) return r.role;
  }
  return InvalidArgumentError("unknown role (operator, approver, staff, auditor, admin)");
}

std::string_view PermissionName(Permission permission) {
  for (const PermissionInfo& p : kPermissions) {
    if (p.permission == permission) return p.name;
  }
  return "unknown";
}

StatusOr<Permission> ParsePermission(std::string_view name) {
  for (const PermissionInfo& p : kPermissions) {
    if (p.name == name) return p.permission;
  }
  return InvalidArgumentError("unknown permission");
}

const std::map<Role, std::set<Permission>>& RolePermissions() {
  using P = Permission;
  static const auto* table = [] {
    auto* t = new std::map<Role, std::set<Permission>>{
        {Role::kOperator,
         {P::kPracticeRead, P::kPatientImport, P::kPatientReadMasked, P::kConsentRead, P::kTemplateWrite,
          P::kCampaignRead, P::kCampaignDraft, P::kCampaignRun}},
        {Role::kApprover,
         {P::kPracticeRead, P::kCampaignRead, P::kCampaignApprove, P::kConsentRead, P::kPatientReadMasked}},
        {Role::kStaff,
         {P::kPracticeRead, P::kPatientReadMasked, P::kPatientReveal, P::kConsentRead, P::kConsentWrite,
          P::kHandoffWork}},
        {Role::kAuditor, {P::kAuditRead, P::kPracticeRead}},
    };
    std::set<Permission> all;
    for (const PermissionInfo& p : kPermissions) all.insert(p.permission);
    (*t)[Role::kAdmin] = all;
    return t;
  }();
  return *table;
}

Status Authorize(const Principal& principal, const std::string& practice_id, Permission permission) {
  const std::string denied = "permission denied: " + std::string(PermissionName(permission));
  if (principal.via_token && principal.scopes.count(permission) == 0) {
    return PermissionDeniedError(denied + " (not in the token's scopes)");
  }
  if (principal.admin) return OkStatus();
  if (practice_id.empty()) return PermissionDeniedError(denied);
  auto it = principal.roles.find(practice_id);
  if (it == principal.roles.end()) return PermissionDeniedError(denied);
  for (Role role : it->second) {
    if (RolePermissions().at(role).count(permission) != 0) return OkStatus();
  }
  return PermissionDeniedError(denied);
}

// --- passwords ------------------------------------------------------------------

StatusOr<std::string> HashPassword(std::string_view password, Random& random) {
  if (password.size() < 12) return InvalidArgumentError("password must be at least 12 bytes");
  if (password.size() > 1024) return InvalidArgumentError("password must be at most 1024 bytes");
  const Argon2Params p = CurrentArgon2Params();
  ASSIGN_OR_RETURN(std::string salt, random.Bytes(kSaltBytes));
  std::string encoded(argon2_encodedlen(p.t_cost, p.m_cost_kib, p.parallelism, kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(p.t_cost, p.m_cost_kib, p.parallelism, password.data(), password.size(),
                                       salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return InternalError(std::string("argon2id failed: ") + argon2_error_message(rc));
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  if (encoded_hash.empty() || password.size() > 1024) return false;
  const std::string encoded(encoded_hash);  // NUL-terminated
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

// --- users -----------------------------------------------------------------------

StatusOr<UserView> AddUser(engine::Engine& engine, const NewUser& user) {
  RETURN_IF_ERROR(ValidateLogin(user.login));
  RETURN_IF_ERROR(ValidateText(user.display_name, "display name", 1, 120));
  ASSIGN_OR_RETURN(std::string hash, HashPassword(user.password, engine.random()));
  store::UserRow row;
  ASSIGN_OR_RETURN(row.user_id, engine.random().NewId("usr"));
  row.login = user.login;
  row.display_name = user.display_name;
  row.password_hash = std::move(hash);
  row.admin = user.admin;
  row.created_at = engine.clock().Now();
  RETURN_IF_ERROR(engine.store().users().Create(row, engine.Event("user.add", "", row.user_id, {{"admin", user.admin}})));
  return ToView(row, {}, row.created_at);
}

namespace {
Status ChangeRole(engine::Engine& engine, const std::string& login, const std::string& practice_id, Role role,
                  bool grant) {
  if (practice_id.empty()) return InvalidArgumentError("a role is granted on a practice");
  auto user = engine.store().users().GetByLogin(login);
  if (!user.ok()) return user.status().code() == StatusCode::kNotFound ? NotFoundError("no such user") : user.status();
  const std::string role_name(RoleName(role));
  audit::AuditEvent event = engine.Event(grant ? "user.grant" : "user.revoke", practice_id, user->user_id,
                                         {{"role", role_name}});
  if (grant) {
    return engine.store().users().Grant({user->user_id, practice_id, role_name, engine.clock().Now()}, event);
  }
  return engine.store().users().Revoke(user->user_id, practice_id, role_name, event);
}
}  // namespace

Status GrantRole(engine::Engine& engine, const std::string& login, const std::string& practice_id, Role role) {
  return ChangeRole(engine, login, practice_id, role, true);
}

Status RevokeRole(engine::Engine& engine, const std::string& login, const std::string& practice_id, Role role) {
  return ChangeRole(engine, login, practice_id, role, false);
}

StatusOr<std::vector<UserView>> ListUsers(engine::Engine& engine) {
  ASSIGN_OR_RETURN(auto rows, engine.store().users().List());
  ASSIGN_OR_RETURN(auto memberships, engine.store().users().Memberships(""));
  const TimePoint now = engine.clock().Now();
  std::vector<UserView> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(ToView(row, memberships, now));
  return out;
}

// --- TOTP --------------------------------------------------------------------------

StatusOr<TotpEnrollment> EnrollTotp(engine::Engine& engine, const std::string& login) {
  auto user = engine.store().users().GetByLogin(login);
  if (!user.ok()) return user.status().code() == StatusCode::kNotFound ? NotFoundError("no such user") : user.status();
  ASSIGN_OR_RETURN(std::string secret, engine.random().Bytes(kTotpSecretBytes));
  auto b32 = Base32Encode(secret);
  ASSIGN_OR_RETURN(auto keys, MasterKeys(engine));
  auto sealed = keys->SealInstallationSecret(kTotpPurpose, TotpContext(user->user_id), secret, engine.random());
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!b32.ok()) return b32.status();
  if (!sealed.ok()) return sealed.status();
  RETURN_IF_ERROR(engine.store().users().SetTotpSecret(user->user_id, *sealed,
                                                       engine.Event("user.totp_enrolled", "", user->user_id)));
  TotpEnrollment out;
  out.secret_base32 = *b32;
  out.otpauth_uri = "otpauth://totp/Recall:" + user->login + "?secret=" + *b32 +
                    "&issuer=Recall&algorithm=SHA1&digits=6&period=" + std::to_string(kTotpStep.count());
  return out;
}

StatusOr<std::string> TotpCodeForTest(const std::string& secret_base32, TimePoint at) {
  ASSIGN_OR_RETURN(std::string secret, Base32Decode(secret_base32));
  char code[kTotpDigits + 1] = {};
  const time_t now = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
  const int rc = oath_totp_generate(secret.data(), secret.size(), now, static_cast<unsigned>(kTotpStep.count()), 0,
                                    kTotpDigits, code);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (rc != OATH_OK) return InternalError("TOTP generation failed");
  return std::string(code, kTotpDigits);
}

// --- sessions and tokens ---------------------------------------------------------

namespace {
// True when `code` is valid for the user's sealed secret at `now` (+-1 step).
StatusOr<bool> CheckTotp(engine::Engine& engine, const store::UserRow& user, std::string_view code, TimePoint now) {
  if (!ValidTotpShape(code)) return false;
  RETURN_IF_ERROR(OathInit());
  ASSIGN_OR_RETURN(auto keys, MasterKeys(engine));
  ASSIGN_OR_RETURN(std::string secret,
                   keys->OpenInstallationSecret(kTotpPurpose, TotpContext(user.user_id), user.totp_secret_sealed));
  const std::string otp(code);
  const time_t t = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const int rc = oath_totp_validate(secret.data(), secret.size(), t, static_cast<unsigned>(kTotpStep.count()), 0, 1,
                                    otp.c_str());
  OPENSSL_cleanse(secret.data(), secret.size());
  return rc >= 0;
}
}  // namespace

StatusOr<Session> Login(engine::Engine& engine, const LoginRequest& request) {
  store::UserStore& users = engine.store().users();
  const TimePoint now = engine.clock().Now();
  auto user = ValidateLogin(request.login).ok() ? users.GetByLogin(request.login)
                                                 : StatusOr<store::UserRow>(NotFoundError("no such user"));
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    (void)VerifyPassword(DummyHash(), request.password);  // same cost as a real check
    RETURN_IF_ERROR(
        engine.store().audit().Append(engine.Event("user.login_failed", "", "", {{"reason", "unknown_login"}})).status());
    return UnauthenticatedError(kBadCredentials);
  }
  if (user->locked_until > now) {
    RETURN_IF_ERROR(engine.store()
                        .audit()
                        .Append(engine.Event("user.login_failed", "", user->user_id, {{"reason", "locked"}}))
                        .status());
    return ResourceExhaustedError("too many failed logins; try again later");
  }
  std::string reason;
  if (!VerifyPassword(user->password_hash, request.password)) {
    reason = "bad_password";
  } else if (!user->totp_secret_sealed.empty()) {
    if (request.totp_code.empty()) {
      reason = "totp_required";
    } else {
      ASSIGN_OR_RETURN(bool ok, CheckTotp(engine, *user, request.totp_code, now));
      if (!ok) reason = "bad_totp";
    }
  }
  if (!reason.empty()) {
    ASSIGN_OR_RETURN(bool locked,
                     users.RecordLoginFailure(user->user_id, kMaxFailedLogins, now + kLockout,
                                              engine.Event("user.login_failed", "", user->user_id, {{"reason", reason}}),
                                              engine.Event("user.locked", "", user->user_id,
                                                           {{"minutes", int64_t{kLockout.count()}}})));
    (void)locked;  // the caller learns of the lock on its next attempt
    return UnauthenticatedError(reason == "totp_required" ? "invalid credentials (a TOTP code is required)"
                                                          : kBadCredentials);
  }
  store::CredentialRow session;
  ASSIGN_OR_RETURN(session.token_id, engine.random().NewId("ses"));
  ASSIGN_OR_RETURN(std::string token, NewBearer(engine.random()));
  session.user_id = user->user_id;
  session.token_hash = TokenHash(token);
  session.kind = store::kCredentialSession;
  session.created_at = now;
  session.expires_at = now + kSessionTtl;
  RETURN_IF_ERROR(users.RecordLoginSuccess(
      session, engine.Event("user.login", "", user->user_id,
                            {{"token_id", session.token_id}, {"totp", !user->totp_secret_sealed.empty()}})));
  return Session{std::move(token), user->user_id, session.expires_at};
}

Status Logout(engine::Engine& engine, std::string_view token) {
  auto cred = engine.store().users().CredentialByHash(TokenHash(token));
  if (!cred.ok()) {
    return cred.status().code() == StatusCode::kNotFound ? UnauthenticatedError(kBadToken) : cred.status();
  }
  return engine.store().users().RevokeCredential(
      cred->token_id, engine.clock().Now(),
      engine.Event("user.logout", "", cred->user_id, {{"token_id", cred->token_id}}));
}

StatusOr<IssuedToken> CreateToken(engine::Engine& engine, const NewToken& request) {
  if (request.scopes.empty()) return InvalidArgumentError("a token needs at least one scope");
  if (request.ttl.count() <= 0) return InvalidArgumentError("a token's lifetime must be positive");
  if (request.ttl > std::chrono::hours(24 * 366)) return InvalidArgumentError("a token lives at most 366 days");
  RETURN_IF_ERROR(ValidateText(request.label, "label", 0, 80));
  auto user = engine.store().users().GetByLogin(request.login);
  if (!user.ok()) return user.status().code() == StatusCode::kNotFound ? NotFoundError("no such user") : user.status();
  ASSIGN_OR_RETURN(auto memberships, engine.store().users().Memberships(user->user_id));
  const UserView view = ToView(*user, memberships, engine.clock().Now());
  const std::set<Permission> held = PermissionsAnywhere(user->admin, view.roles);
  for (Permission p : request.scopes) {
    if (held.count(p) == 0) {
      return InvalidArgumentError("scope " + std::string(PermissionName(p)) + " is beyond the user's roles");
    }
  }
  const TimePoint now = engine.clock().Now();
  store::CredentialRow row;
  ASSIGN_OR_RETURN(row.token_id, engine.random().NewId("tok"));
  ASSIGN_OR_RETURN(std::string token, NewBearer(engine.random()));
  row.user_id = user->user_id;
  row.token_hash = TokenHash(token);
  row.kind = store::kCredentialApi;
  row.scopes = JoinScopes(request.scopes);
  row.label = request.label;
  row.created_at = now;
  row.expires_at = now + request.ttl;
  RETURN_IF_ERROR(engine.store().users().CreateCredential(
      row, engine.Event("user.token_created", "", user->user_id,
                        {{"token_id", row.token_id}, {"scopes", row.scopes}, {"ttl_hours", int64_t{request.ttl.count()}}})));
  return IssuedToken{row.token_id, std::move(token), row.expires_at};
}

Status RevokeToken(engine::Engine& engine, const std::string& token_id) {
  ASSIGN_OR_RETURN(auto cred, engine.store().users().Credential(token_id));
  return engine.store().users().RevokeCredential(
      token_id, engine.clock().Now(), engine.Event("user.token_revoked", "", cred.user_id, {{"token_id", token_id}}));
}

StatusOr<Principal> Authenticate(engine::Engine& engine, std::string_view bearer_token) {
  if (bearer_token.empty() || bearer_token.size() > 256) return UnauthenticatedError(kBadToken);
  const std::string hash = TokenHash(bearer_token);
  auto cred = engine.store().users().CredentialByHash(hash);
  if (!cred.ok()) {
    return cred.status().code() == StatusCode::kNotFound ? UnauthenticatedError(kBadToken) : cred.status();
  }
  const TimePoint now = engine.clock().Now();
  if (!crypto::ConstantTimeEquals(cred->token_hash, hash) || cred->revoked || cred->expires_at <= now) {
    return UnauthenticatedError(kBadToken);
  }
  auto user = engine.store().users().Get(cred->user_id);
  if (!user.ok()) {
    return user.status().code() == StatusCode::kNotFound ? UnauthenticatedError(kBadToken) : user.status();
  }
  ASSIGN_OR_RETURN(auto memberships, engine.store().users().Memberships(user->user_id));
  const UserView view = ToView(*user, memberships, now);
  Principal p;
  p.user_id = user->user_id;
  p.login = user->login;
  p.admin = user->admin;
  p.roles = view.roles;
  if (cred->kind == store::kCredentialApi) {
    p.via_token = true;
    ASSIGN_OR_RETURN(p.scopes, ParseScopes(cred->scopes));
  }
  return p;
}

}  // namespace recall::users
