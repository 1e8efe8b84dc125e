// user commands: users, practice roles, TOTP enrollment, API tokens, login.
// Passwords never travel in argv (visible in `ps` and shell history): they
// come from $RECALL_NEW_PASSWORD (user add) / $RECALL_PASSWORD (user login),
// else from the first line of stdin. Secrets (TOTP seed, tokens) are printed
// exactly once, on stdout, and never logged.
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "users/users.h"

namespace recall::cli {
namespace {

using nlohmann::json;

StatusOr<std::string> ReadPassword(const char* env_name) {
  if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0') return std::string(env);
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      (void)::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    (void)::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) return InvalidArgumentError(std::string("no password: set ") + env_name + " or write it on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

json RolesJson(const std::map<std::string, std::set<users::Role>>& roles) {
  json out = json::object();
  for (const auto& [practice, held] : roles) {
    json names = json::array();
    for (users::Role r : held) names.push_back(std::string(users::RoleName(r)));
    out[practice] = names;
  }
  return out;
}

StatusOr<std::set<users::Permission>> ParseScopeList(const std::string& text) {
  std::set<users::Permission> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) {
      ASSIGN_OR_RETURN(users::Permission p, users::ParsePermission(item));
      out.insert(p);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void RegisterUserCommands(CLI::App& app, Context& ctx) {
  auto* user = app.add_subcommand("user", "users, practice roles, TOTP and API tokens (docs/security.md)");
  user->require_subcommand(1);

  struct AddArgs {
    std::string login, name;
    bool admin = false;
  };
  auto a = std::make_shared<AddArgs>();
  auto* add = user->add_subcommand("add", "add a user; the password comes from $RECALL_NEW_PASSWORD or stdin");
  add->add_option("--login", a->login, "3-64 of a-z 0-9 . _ -")->required();
  add->add_option("--name", a->name, "display name")->required();
  add->add_flag("--admin", a->admin, "installation-wide admin");
  add->callback(Command(ctx, [&ctx, a]() -> Status {
    ASSIGN_OR_RETURN(std::string password, ReadPassword("RECALL_NEW_PASSWORD"));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto v, users::AddUser(*engine, {a->login, a->name, password, a->admin}));
    ctx.Emit({{"user_id", v.user_id}, {"login", v.login}, {"admin", v.admin}});
    return OkStatus();
  }));

  struct RoleArgs {
    std::string login, practice, role;
  };
  for (const bool grant : {true, false}) {
    auto r = std::make_shared<RoleArgs>();
    auto* cmd = user->add_subcommand(grant ? "grant" : "revoke",
                                     grant ? "grant a role on a practice" : "revoke a role on a practice");
    cmd->add_option("--login", r->login, "the user's login")->required();
    cmd->add_option("--practice", r->practice, "practice id")->required();
    cmd->add_option("--role", r->role, "operator, approver, staff, auditor or admin")->required();
    cmd->callback(Command(ctx, [&ctx, r, grant]() -> Status {
      ASSIGN_OR_RETURN(users::Role role, users::ParseRole(r->role));
      ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
      RETURN_IF_ERROR(grant ? users::GrantRole(*engine, r->login, r->practice, role)
                            : users::RevokeRole(*engine, r->login, r->practice, role));
      ctx.Emit({{"login", r->login},
                {"practice_id", r->practice},
                {"role", std::string(users::RoleName(role))},
                {grant ? "granted" : "revoked", true}});
      return OkStatus();
    }));
  }

  auto* list = user->add_subcommand("list", "every user with their roles per practice");
  list->callback(Command(ctx, [&ctx]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto rows, users::ListUsers(*engine));
    json out = json::array();
    for (const auto& v : rows) {
      out.push_back({{"user_id", v.user_id},
                     {"login", v.login},
                     {"display_name", v.display_name},
                     {"admin", v.admin},
                     {"totp_enrolled", v.totp_enrolled},
                     {"locked", v.locked},
                     {"roles", RolesJson(v.roles)}});
    }
    ctx.Emit({{"users", out}});
    return OkStatus();
  }));

  auto enroll_login = std::make_shared<std::string>();
  auto* enroll = user->add_subcommand("totp-enroll", "enroll a TOTP second factor; prints the secret once");
  enroll->add_option("--login", *enroll_login, "the user's login")->required();
  enroll->callback(Command(ctx, [&ctx, enroll_login]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto e, users::EnrollTotp(*engine, *enroll_login));
    ctx.Emit({{"login", *enroll_login}, {"secret", e.secret_base32}, {"otpauth_uri", e.otpauth_uri}});
    return OkStatus();
  }));

  auto* token = user->add_subcommand("token", "API tokens (stored hashed, shown once)");
  token->require_subcommand(1);
  struct TokenArgs {
    std::string login, scopes, label;
    int64_t ttl_hours = 24 * 30;
  };
  auto t = std::make_shared<TokenArgs>();
  auto* create = token->add_subcommand("create", "issue an API token; prints it once");
  create->add_option("--login", t->login, "the owner's login")->required();
  create->add_option("--scopes", t->scopes, "comma-separated permissions, e.g. campaign.read,consent.read")
      ->required();
  create->add_option("--ttl-hours", t->ttl_hours, "lifetime in hours (default 720)");
  create->add_option("--label", t->label, "what it is for (not secret)");
  create->callback(Command(ctx, [&ctx, t]() -> Status {
    ASSIGN_OR_RETURN(auto scopes, ParseScopeList(t->scopes));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto issued,
                     users::CreateToken(*engine, {t->login, scopes, std::chrono::hours(t->ttl_hours), t->label}));
    ctx.Emit({{"token_id", issued.token_id},
              {"token", issued.token},
              {"expires_at", FormatRfc3339Millis(issued.expires_at)}});
    return OkStatus();
  }));

  auto token_id = std::make_shared<std::string>();
  auto* revoke = token->add_subcommand("revoke", "revoke an API token or session");
  revoke->add_option("--token-id", *token_id, "tok_... or ses_...")->required();
  revoke->callback(Command(ctx, [&ctx, token_id]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(users::RevokeToken(*engine, *token_id));
    ctx.Emit({{"token_id", *token_id}, {"revoked", true}});
    return OkStatus();
  }));

  struct LoginArgs {
    std::string login, totp;
  };
  auto l = std::make_shared<LoginArgs>();
  auto* login = user->add_subcommand("login", "log in; prints a session token (password from $RECALL_PASSWORD or stdin)");
  login->add_option("--login", l->login, "the user's login")->required();
  login->add_option("--totp", l->totp, "the current TOTP code, when enrolled");
  login->callback(Command(ctx, [&ctx, l]() -> Status {
    ASSIGN_OR_RETURN(std::string password, ReadPassword("RECALL_PASSWORD"));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto session, users::Login(*engine, {l->login, password, l->totp}));
    ctx.Emit({{"user_id", session.user_id},
              {"token", session.token},
              {"expires_at", FormatRfc3339Millis(session.expires_at)}});
    return OkStatus();
  }));
}

}  // namespace recall::cli
