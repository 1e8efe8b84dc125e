#include "users/users.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "engine/engine_testing.h"
#include "practices/practices.h"

namespace recall::users {
namespace {

constexpr char kPassword[] = "correct horse battery";

const std::vector<Role> kAllRoles = {Role::kOperator, Role::kApprover, Role::kStaff, Role::kAuditor, Role::kAdmin};
const std::vector<Permission> kAllPermissions = {
    Permission::kPracticeRead,  Permission::kPracticeAdmin,   Permission::kPatientImport, Permission::kPatientReadMasked,
    Permission::kPatientReveal, Permission::kConsentRead,     Permission::kConsentWrite,  Permission::kTemplateWrite,
    Permission::kCampaignRead,  Permission::kCampaignDraft,   Permission::kCampaignApprove, Permission::kCampaignRun,
    Permission::kHandoffWork,   Permission::kAuditRead,
};

class UsersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1); }

  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    practice_a_ = NewPractice("Maple Family Dental");
    practice_b_ = NewPractice("Oak Street Dental");
  }

  std::string NewPractice(const std::string& name) {
    auto p = practices::CreatePractice(*engine_, {name, "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                                  "Office <office@maple.example>", "America/Chicago", "IL"});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? p->practice_id : "";
  }

  UserView Add(const std::string& login, bool admin = false) {
    auto u = AddUser(*engine_, {login, "Test " + login, kPassword, admin});
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? *u : UserView{};
  }

  StatusOr<Session> LoginAs(const std::string& login, const std::string& password, const std::string& totp = "") {
    return Login(*engine_, {login, password, totp});
  }

  engine::TestEngine engine_;
  std::string practice_a_, practice_b_;
};

TEST(PasswordTest, HashRoundTrip) {
  ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
  SecureRandom random;
  auto hash = HashPassword(kPassword, random);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(hash->find(kPassword), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, kPassword));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse battery!"));
  EXPECT_FALSE(VerifyPassword("not a hash", kPassword));
  auto again = HashPassword(kPassword, random);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);  // salted
  EXPECT_EQ(HashPassword("short", random).status().code(), StatusCode::kInvalidArgument);
}

TEST(PasswordTest, ProductionParametersAreArgon2idT3M64MiB) {
  ::unsetenv("RECALL_ARGON2_TEST_PARAMS");
  SecureRandom random;
  auto hash = HashPassword(kPassword, random);
  ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(hash->find("$m=65536,t=3,p=1$"), std::string::npos) << *hash;
}

TEST(NamesTest, RolesAndPermissionsRoundTrip) {
  for (Role r : kAllRoles) EXPECT_EQ(*ParseRole(RoleName(r)), r);
  for (Permission p : kAllPermissions) EXPECT_EQ(*ParsePermission(PermissionName(p)), p);
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_FALSE(ParsePermission("patient.everything").ok());
  EXPECT_EQ(RolePermissions().at(Role::kAdmin).size(), kAllPermissions.size());
}

TEST_F(UsersTest, AddValidatesAndRefusesDuplicates) {
  Add("alice");
  EXPECT_EQ(AddUser(*engine_, {"alice", "Another", kPassword, false}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(AddUser(*engine_, {"Bob", "Bob", kPassword, false}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddUser(*engine_, {"bob", "", kPassword, false}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddUser(*engine_, {"bob", "Bob", "short", false}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_.CountAudit("user.add"), 1);
}

TEST_F(UsersTest, LoginAndWrongPassword) {
  Add("alice");
  auto s = LoginAs("alice", kPassword);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->expires_at, engine_.clock().Now() + kSessionTtl);
  auto wrong = LoginAs("alice", "wrong password here");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  auto unknown = LoginAs("mallory", kPassword);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());  // no user enumeration
  EXPECT_EQ(wrong.status().message().find(kPassword), std::string::npos);
  EXPECT_EQ(engine_.CountAudit("user.login"), 1);
  EXPECT_EQ(engine_.CountAudit("user.login_failed"), 2);

  auto p = Authenticate(*engine_, s->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->login, "alice");
  EXPECT_FALSE(p->via_token);
  // Sessions expire after 12 hours.
  engine_.clock().Advance(kSessionTtl);
  EXPECT_EQ(Authenticate(*engine_, s->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(UsersTest, LockoutAfterFiveFailuresForFifteenMinutes) {
  Add("alice");
  for (int i = 0; i < kMaxFailedLogins; ++i) {
    EXPECT_EQ(LoginAs("alice", "wrong password here").status().code(), StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(engine_.CountAudit("user.locked"), 1);
  // Locked: even the right password is refused.
  EXPECT_EQ(LoginAs("alice", kPassword).status().code(), StatusCode::kResourceExhausted);
  auto users = ListUsers(*engine_);
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->at(0).locked);
  engine_.clock().Advance(kLockout - std::chrono::seconds(1));
  EXPECT_EQ(LoginAs("alice", kPassword).status().code(), StatusCode::kResourceExhausted);
  engine_.clock().Advance(std::chrono::seconds(1));
  EXPECT_TRUE(LoginAs("alice", kPassword).ok());
}

TEST_F(UsersTest, SuccessResetsTheFailureCounter) {
  Add("alice");
  for (int i = 0; i < kMaxFailedLogins - 1; ++i) ASSERT_FALSE(LoginAs("alice", "wrong password here").ok());
  ASSERT_TRUE(LoginAs("alice", kPassword).ok());
  for (int i = 0; i < kMaxFailedLogins - 1; ++i) ASSERT_FALSE(LoginAs("alice", "wrong password here").ok());
  EXPECT_TRUE(LoginAs("alice", kPassword).ok());
  EXPECT_EQ(engine_.CountAudit("user.locked"), 0);
}

TEST_F(UsersTest, TotpRequiredOnceEnrolled) {
  Add("alice");
  auto e = EnrollTotp(*engine_, "alice");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->secret_base32.size(), 32u);
  EXPECT_EQ(e->otpauth_uri.rfind("otpauth://totp/Recall:alice?secret=" + e->secret_base32, 0), 0u);
  EXPECT_EQ(engine_.CountAudit("user.totp_enrolled"), 1);

  EXPECT_EQ(LoginAs("alice", kPassword).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LoginAs("alice", kPassword, "000000x").status().code(), StatusCode::kUnauthenticated);
  const TimePoint now = engine_.clock().Now();
  auto code = TotpCodeForTest(e->secret_base32, now);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->size(), 6u);
  EXPECT_TRUE(LoginAs("alice", kPassword, *code).ok());
  // One step of drift is accepted; two are not.
  auto prev = TotpCodeForTest(e->secret_base32, now - kTotpStep);
  EXPECT_TRUE(LoginAs("alice", kPassword, *prev).ok());
  auto old = TotpCodeForTest(e->secret_base32, now - 3 * kTotpStep);
  if (*old != *code && *old != *prev) {
    EXPECT_EQ(LoginAs("alice", kPassword, *old).status().code(), StatusCode::kUnauthenticated);
  }
  auto users = ListUsers(*engine_);
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->at(0).totp_enrolled);
}

TEST_F(UsersTest, GrantRevokeAndList) {
  Add("alice");
  ASSERT_TRUE(GrantRole(*engine_, "alice", practice_a_, Role::kStaff).ok());
  ASSERT_TRUE(GrantRole(*engine_, "alice", practice_a_, Role::kStaff).ok());  // idempotent
  ASSERT_TRUE(GrantRole(*engine_, "alice", practice_b_, Role::kAuditor).ok());
  EXPECT_EQ(engine_.CountAudit("user.grant"), 2);
  EXPECT_EQ(GrantRole(*engine_, "nobody", practice_a_, Role::kStaff).code(), StatusCode::kNotFound);
  EXPECT_EQ(GrantRole(*engine_, "alice", "prc_unknown", Role::kStaff).code(), StatusCode::kNotFound);
  auto users = ListUsers(*engine_);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->at(0).roles.at(practice_a_), std::set<Role>{Role::kStaff});
  EXPECT_EQ(users->at(0).roles.at(practice_b_), std::set<Role>{Role::kAuditor});
  ASSERT_TRUE(RevokeRole(*engine_, "alice", practice_b_, Role::kAuditor).ok());
  EXPECT_EQ(RevokeRole(*engine_, "alice", practice_b_, Role::kAuditor).code(), StatusCode::kNotFound);
  users = ListUsers(*engine_);
  EXPECT_EQ(users->at(0).roles.count(practice_b_), 0u);
}

TEST_F(UsersTest, TokenScopesExpiryAndRevocation) {
  Add("alice");
  ASSERT_TRUE(GrantRole(*engine_, "alice", practice_a_, Role::kOperator).ok());
  // Beyond the user's roles: refused.
  auto beyond = CreateToken(*engine_, {"alice", {Permission::kCampaignApprove}, std::chrono::hours(1), "ci"});
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateToken(*engine_, {"alice", {}, std::chrono::hours(1), "ci"}).status().code(),
            StatusCode::kInvalidArgument);

  auto t = CreateToken(*engine_, {"alice", {Permission::kCampaignRead}, std::chrono::hours(2), "ci"});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->token.size(), 43u);  // 32 bytes, base64url
  auto p = Authenticate(*engine_, t->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->via_token);
  EXPECT_TRUE(Authorize(*p, practice_a_, Permission::kCampaignRead).ok());
  // The role allows it, the token's scopes do not.
  EXPECT_EQ(Authorize(*p, practice_a_, Permission::kCampaignRun).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(*p, practice_b_, Permission::kCampaignRead).code(), StatusCode::kPermissionDenied);

  EXPECT_EQ(Authenticate(*engine_, t->token + "x").status().code(), StatusCode::kUnauthenticated);
  engine_.clock().Advance(std::chrono::hours(2));
  EXPECT_EQ(Authenticate(*engine_, t->token).status().code(), StatusCode::kUnauthenticated);

  auto t2 = CreateToken(*engine_, {"alice", {Permission::kCampaignRead}, std::chrono::hours(2), "ci"});
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(Authenticate(*engine_, t2->token).ok());
  ASSERT_TRUE(RevokeToken(*engine_, t2->token_id).ok());
  EXPECT_EQ(Authenticate(*engine_, t2->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(RevokeToken(*engine_, "tok_unknown").code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_.CountAudit("user.token_created"), 2);
  EXPECT_EQ(engine_.CountAudit("user.token_revoked"), 1);
}

TEST_F(UsersTest, LogoutRevokesTheSession) {
  Add("alice");
  auto s = LoginAs("alice", kPassword);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(Logout(*engine_, s->token).ok());
  EXPECT_EQ(Authenticate(*engine_, s->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Logout(*engine_, "not-a-token").code(), StatusCode::kUnauthenticated);
}

TEST_F(UsersTest, AdminSeesEverything) {
  Add("root", /*admin=*/true);
  auto s = LoginAs("root", kPassword);
  ASSERT_TRUE(s.ok());
  auto p = Authenticate(*engine_, s->token);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->admin);
  for (Permission perm : kAllPermissions) {
    EXPECT_TRUE(Authorize(*p, practice_a_, perm).ok());
    EXPECT_TRUE(Authorize(*p, practice_b_, perm).ok());
    EXPECT_TRUE(Authorize(*p, "", perm).ok());
  }
  // An admin's token may carry any scope.
  EXPECT_TRUE(CreateToken(*engine_, {"root", {Permission::kPracticeAdmin}, std::chrono::hours(1), "ops"}).ok());
}

// Every role x permission x (own practice, foreign practice, installation-wide).
TEST_F(UsersTest, AuthorizeMatrix) {
  struct Expect {
    Role role;
    std::set<Permission> own;
  };
  using P = Permission;
  const std::vector<Expect> table = {
      {Role::kOperator,
       {P::kPracticeRead, P::kPatientImport, P::kPatientReadMasked, P::kConsentRead, P::kTemplateWrite,
        P::kCampaignRead, P::kCampaignDraft, P::kCampaignRun}},
      {Role::kApprover, {P::kPracticeRead, P::kCampaignRead, P::kCampaignApprove, P::kConsentRead,
                         P::kPatientReadMasked}},
      {Role::kStaff,
       {P::kPracticeRead, P::kPatientReadMasked, P::kPatientReveal, P::kConsentRead, P::kConsentWrite,
        P::kHandoffWork}},
      {Role::kAuditor, {P::kAuditRead, P::kPracticeRead}},
      {Role::kAdmin, std::set<Permission>(kAllPermissions.begin(), kAllPermissions.end())},
  };
  ASSERT_EQ(table.size(), kAllRoles.size());
  for (const Expect& e : table) {
    const std::string login = "u-" + std::string(RoleName(e.role));
    Add(login);
    ASSERT_TRUE(GrantRole(*engine_, login, practice_a_, e.role).ok());
    auto s = LoginAs(login, kPassword);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto principal = Authenticate(*engine_, s->token);
    ASSERT_TRUE(principal.ok());
    for (Permission perm : kAllPermissions) {
      SCOPED_TRACE(login + " " + std::string(PermissionName(perm)));
      const bool want = e.own.count(perm) != 0;
      Status own = Authorize(*principal, practice_a_, perm);
      EXPECT_EQ(own.ok(), want);
      if (!own.ok()) {
        EXPECT_EQ(own.code(), StatusCode::kPermissionDenied);
        EXPECT_NE(own.message().find(PermissionName(perm)), std::string::npos);
      }
      EXPECT_EQ(Authorize(*principal, practice_b_, perm).code(), StatusCode::kPermissionDenied);
      EXPECT_EQ(Authorize(*principal, "", perm).code(), StatusCode::kPermissionDenied);
    }
  }
}

TEST_F(UsersTest, NoSecretsInTheAuditLog) {
  Add("alice");
  ASSERT_TRUE(GrantRole(*engine_, "alice", practice_a_, Role::kOperator).ok());
  auto e = EnrollTotp(*engine_, "alice");
  ASSERT_TRUE(e.ok());
  auto code = TotpCodeForTest(e->secret_base32, engine_.clock().Now());
  auto s = LoginAs("alice", kPassword, *code);
  ASSERT_TRUE(s.ok());
  auto t = CreateToken(*engine_, {"alice", {Permission::kCampaignRead}, std::chrono::hours(1), "ci"});
  ASSERT_TRUE(t.ok());
  ASSERT_FALSE(LoginAs("alice", "wrong password here").ok());
  Status scan = engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) {
    for (const std::string& secret :
         {std::string(kPassword), std::string("wrong password here"), e->secret_base32, s->token, t->token}) {
      EXPECT_EQ(r.details_json.find(secret), std::string::npos) << r.action;
    }
    return true;
  });
  EXPECT_TRUE(scan.ok());
}

}  // namespace
}  // namespace recall::users
