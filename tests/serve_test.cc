// End-to-end: `recall serve` on a free loopback port, exercised through real
// HTTP (libcurl and raw sockets): health, readiness and metrics, the OpenAPI
// document against the routes, the route x role x foreign-practice matrix,
// the webhooks' provider authentication, the one-click unsubscribe, and bad
// input. Synthetic data only.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "channels/twilio/twilio_signature.h"
#include "cli_runner.h"
#include "http_testing.h"

namespace recall::testing {
namespace {

using nlohmann::json;

constexpr char kPassword[] = "correct-horse-battery-staple";
constexpr char kKannelSecret[] = "kannel-secret-for-tests";
constexpr char kTwilioToken[] = "twilio-token-for-tests";
constexpr char kPatientPhone[] = "+12175550142";
constexpr char kPracticePhone[] = "+12175550100";

// A raw TCP connection, for what curl refuses to send.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) { (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Everything until the peer closes or `timeout` passes; *closed tells which.
  std::string ReadAll(std::chrono::seconds timeout, bool* closed) {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    *closed = false;
    while (true) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) {
        *closed = true;
        break;
      }
      if (n < 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("recall-serve-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    data_ = new std::string((*dir_ / "data").string());
    practices_ = new std::map<std::string, std::string>();
    sessions_ = new std::map<std::string, std::string>();

    ASSERT_EQ(Cli({"init"}).exit_code, 0);
    for (const std::string name : {"A", "B"}) {
      auto p = Cli({"practice", "add", "--name", "Practice " + name, "--address", "1 Main St, Springfield, IL 62701",
                    "--phone", name == "A" ? "(217) 555-0100" : "(217) 555-0200", "--email-from",
                    "Practice <office@practice.example>", "--timezone", "America/Chicago", "--state", "IL"});
      ASSERT_EQ(p.exit_code, 0) << p.err;
      (*practices_)[name] = json::parse(p.out)["practice_id"];
    }
    const std::string doc = WriteFile("baa.pdf", "signed BAA (synthetic)");
    auto b = Cli({"baa", "record", "--practice", (*practices_)["A"], "--signed-by", "Dana Whitlock", "--signed-on",
                  "2025-11-01", "--document", doc});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const std::string csv = WriteFile("export.csv",
                                      "Patient ID,First Name,Last Name,Cell Phone,Email,SMS Consent,Email Consent\n"
                                      "P1,Ana,Quill,(217) 555-0142,pat.one@example.com,Y,Y\n"
                                      "P2,Ben,Rook,(217) 555-0150,ben.rook@example.com,Y,Y\n");
    auto i = Cli({"import", "csv", "--practice", (*practices_)["A"], csv});
    ASSERT_EQ(i.exit_code, 0) << i.err;

    // One user per role on practice A, and an installation admin.
    for (const std::string role : {"operator", "approver", "staff", "auditor", "admin"}) {
      const std::string login = "u-" + role;
      std::vector<std::string> add = {"user", "add", "--login", login, "--name", "User " + role};
      if (role == "admin") add.push_back("--admin");
      auto u = Cli(add, {std::string("RECALL_NEW_PASSWORD=") + kPassword});
      ASSERT_EQ(u.exit_code, 0) << u.err;
      if (role != "admin") {
        auto g = Cli({"user", "grant", "--login", login, "--practice", (*practices_)["A"], "--role", role});
        ASSERT_EQ(g.exit_code, 0) << g.err;
      }
      auto s = Cli({"user", "login", "--login", login}, {std::string("RECALL_PASSWORD=") + kPassword});
      ASSERT_EQ(s.exit_code, 0) << s.err;
      (*sessions_)[role] = json::parse(s.out)["token"];
    }
    // A user who both drafts and approves on A: may approve others' campaigns, never their own.
    ASSERT_EQ(Cli({"user", "add", "--login", "u-both", "--name", "Both Roles"},
                  {std::string("RECALL_NEW_PASSWORD=") + kPassword})
                  .exit_code,
              0);
    for (const std::string role : {"operator", "approver"}) {
      ASSERT_EQ(Cli({"user", "grant", "--login", "u-both", "--practice", (*practices_)["A"], "--role", role}).exit_code,
                0);
    }
    auto both = Cli({"user", "login", "--login", "u-both"}, {std::string("RECALL_PASSWORD=") + kPassword});
    ASSERT_EQ(both.exit_code, 0) << both.err;
    (*sessions_)["both"] = json::parse(both.out)["token"];
    StartServer();
  }

  static void TearDownTestSuite() {
    StopServer();
    std::filesystem::remove_all(*dir_);
    curl_global_cleanup();
  }

  static CliResult Cli(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--data", *data_, "--json"});
    return RunRecall(args, "", env);
  }

  static std::string WriteFile(const std::string& name, const std::string& content) {
    const auto p = *dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

  // Spawns `recall serve <extra>` and reads its first stdout line
  // ({"url":..., "port":...}). *pid is -1 when it did not start.
  static void Spawn(const std::vector<std::string>& extra, const std::string& out_path, pid_t* pid, int* port,
                    std::string* url) {
    std::vector<std::string> args = {"--data", *data_, "--json", "serve", "--listen", "127.0.0.1:0", "--no-worker"};
    args.insert(args.end(), extra.begin(), extra.end());
    ServeProcess serve = SpawnRecallServe(args, out_path,
                                          {std::string("RECALL_KANNEL_WEBHOOK_SECRET=") + kKannelSecret,
                                           std::string("RECALL_TWILIO_AUTH_TOKEN=") + kTwilioToken});
    *pid = serve.pid;
    *port = serve.port;
    *url = serve.url;
    ASSERT_TRUE(serve.error.empty()) << serve.error;
  }

  static void StartServer() {
    out_path_ = new std::string((*dir_ / "serve.out").string());
    base_ = new std::string();
    Spawn({"--read-timeout", "2", "--max-body-mib", "1"}, *out_path_, &pid_, &port_, base_);
  }

  static int Terminate(pid_t pid) { return StopRecallServe(pid); }

  static void StopServer() {
    if (pid_ <= 0) return;
    exit_code_ = Terminate(pid_);
    pid_ = -1;
  }

  static std::string Url(const std::string& path) { return *base_ + path; }
  static std::string Bearer(const std::string& role) { return "Authorization: Bearer " + (*sessions_)[role]; }
  static const std::string& Practice(const std::string& name) { return (*practices_)[name]; }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::string* data_ = nullptr;
  static inline std::string* out_path_ = nullptr;
  static inline std::string* base_ = nullptr;
  static inline std::map<std::string, std::string>* practices_ = nullptr;
  static inline std::map<std::string, std::string>* sessions_ = nullptr;
  static inline pid_t pid_ = -1;
  static inline int port_ = 0;
  static inline int exit_code_ = -1;
};

TEST_F(ServeTest, HealthReadinessAndMetrics) {
  auto h = Http("GET", Url("/healthz"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(json::parse(h.body)["status"], "ok");
  EXPECT_EQ(Http("GET", Url("/readyz")).status, 200);
  Http("GET", Url("/v1/practices/" + Practice("A") + "/patients"), "", {Bearer("operator")});
  auto m = Http("GET", Url("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers.find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("recall_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("recall_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("recall_outbox_due "), std::string::npos);
  EXPECT_NE(m.body.find("\nrecall_incidents_open 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("\nrecall_incidents_overdue 0\n"), std::string::npos);
  // Route templates only: no practice, patient or message id.
  EXPECT_EQ(m.body.find("prc_"), std::string::npos);
  EXPECT_EQ(m.body.find("pat_"), std::string::npos);
}

TEST_F(ServeTest, OpenApiMatchesTheRoutes) {
  auto r = Http("GET", Url("/v1/openapi.json"));
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  // What the issue asks for is documented.
  const std::vector<std::pair<std::string, std::string>> required = {
      {"get", "/healthz"},
      {"get", "/readyz"},
      {"get", "/metrics"},
      {"post", "/v1/auth/login"},
      {"post", "/v1/auth/logout"},
      {"get", "/v1/practices"},
      {"post", "/v1/practices"},
      {"get", "/v1/practices/{practice}"},
      {"get", "/v1/practices/{practice}/settings"},
      {"put", "/v1/practices/{practice}/settings"},
      {"post", "/v1/practices/{practice}/baa"},
      {"get", "/v1/practices/{practice}/vendors"},
      {"post", "/v1/practices/{practice}/vendors"},
      {"get", "/v1/practices/{practice}/patients"},
      {"get", "/v1/practices/{practice}/patients/{patient}"},
      {"post", "/v1/practices/{practice}/patients/{patient}/reveal"},
      {"post", "/v1/practices/{practice}/patients/import"},
      {"get", "/v1/practices/{practice}/patients/{patient}/consent"},
      {"post", "/v1/practices/{practice}/patients/{patient}/consent"},
      {"post", "/v1/practices/{practice}/patients/{patient}/consent/revoke"},
      {"get", "/v1/practices/{practice}/templates"},
      {"post", "/v1/practices/{practice}/templates"},
      {"post", "/v1/practices/{practice}/lint"},
      {"get", "/v1/practices/{practice}/campaigns"},
      {"post", "/v1/practices/{practice}/campaigns"},
      {"get", "/v1/practices/{practice}/campaigns/{campaign}"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/submit"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/preview"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/approve"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/start"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/pause"},
      {"post", "/v1/practices/{practice}/campaigns/{campaign}/resume"},
      {"get", "/v1/practices/{practice}/campaigns/{campaign}/report"},
      {"get", "/v1/practices/{practice}/audit/verify"},
      {"get", "/v1/practices/{practice}/audit/records"},
      {"get", "/v1/practices/{practice}/handoffs"},
      {"get", "/v1/practices/{practice}/handoffs/{handoff}"},
      {"post", "/v1/practices/{practice}/handoffs/{handoff}/assign"},
      {"post", "/v1/practices/{practice}/handoffs/{handoff}/acknowledge"},
      {"post", "/v1/practices/{practice}/handoffs/{handoff}/reply"},
      {"post", "/v1/practices/{practice}/handoffs/{handoff}/resolve"},
      {"get", "/v1/webhooks/kannel/{secret}/sms"},
      {"get", "/v1/webhooks/kannel/{secret}/dlr"},
      {"post", "/v1/webhooks/twilio/sms"},
      {"post", "/v1/webhooks/twilio/status"},
      {"post", "/v1/webhooks/rvm/{secret}/status"},
      {"get", "/u/{token}"},
      {"post", "/u/{token}"},
      {"get", "/c/{token}"},
  };
  for (const auto& [method, path] : required) {
    EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << method << " " << path;
  }
  // Every documented operation is routed (the router never answers "not_found"
  // or "method_not_allowed" for it), and every bearer route declares a permission.
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string concrete = path;
      for (const auto& [var, value] : std::map<std::string, std::string>{
               {"{practice}", Practice("A")}, {"{patient}", "pat_none"}, {"{campaign}", "cmp_none"},
               {"{secret}", "nope"}, {"{token}", "nope"}, {"{handoff}", "hof_none"}, {"{template}", "tpl_none"},
               {"{asset}", "index.html"}, {"{dir}", "js"}}) {
        if (auto pos = concrete.find(var); pos != std::string::npos) concrete.replace(pos, var.size(), value);
      }
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto res = Http(upper, Url(concrete));
      EXPECT_NE(res.status, 0) << method << " " << path;
      EXPECT_EQ(res.body.find("\"not_found\"}}"), std::string::npos) << method << " " << path << ": " << res.body;
      EXPECT_EQ(res.body.find("method_not_allowed"), std::string::npos) << method << " " << path;
      if (op["x-access"] == "bearer") {
        EXPECT_TRUE(op.contains("x-permission")) << path;
        EXPECT_EQ(res.status, 401) << "no token: " << method << " " << path;
        EXPECT_NE(res.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
      }
    }
  }
}

// Every bearer route x every practice role x own / foreign practice: 403 where
// the role does not hold the route's permission on that practice, never
// 401/403 where it does.
TEST_F(ServeTest, RouteRolePracticeMatrix) {
  json doc = json::parse(Http("GET", Url("/v1/openapi.json")).body);
  const json& role_permissions = doc["info"]["x-role-permissions"];
  int checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (op["x-access"] != "bearer") continue;
      const std::string permission = op["x-permission"];
      const std::string scope = op["x-scope"];
      if (permission == "authenticated") continue;  // logout: tested on its own
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string body, type;
      if (op.contains("requestBody")) {
        if (op["requestBody"]["content"].contains("text/csv")) {
          body = "Patient ID\n", type = "Content-Type: text/csv";
        } else {
          body = "{}", type = "Content-Type: application/json";
        }
      }
      for (const std::string role : {"operator", "approver", "staff", "auditor", "admin"}) {
        for (const std::string practice : {"A", "B", "unknown"}) {
          std::string concrete = path;
          const std::string practice_id = practice == "unknown" ? "prc_unknown" : Practice(practice);
          for (const auto& [var, value] : std::map<std::string, std::string>{
                   {"{practice}", practice_id}, {"{patient}", "pat_none"}, {"{campaign}", "cmp_none"},
                   {"{handoff}", "hof_none"}, {"{template}", "tpl_none"}}) {
            if (auto pos = concrete.find(var); pos != std::string::npos) concrete.replace(pos, var.size(), value);
          }
          bool granted = false;
          if (scope == "own-practices") {
            granted = true;
          } else if (scope == "installation") {
            granted = role == "admin";
          } else if (role == "admin") {
            continue;  // installation-wide admins: the users library decides, not a practice role
          } else {
            const json& perms = role_permissions[role];
            granted = practice == "A" && std::find(perms.begin(), perms.end(), permission) != perms.end();
          }
          std::vector<std::string> headers = {Bearer(role)};
          if (!type.empty()) headers.push_back(type);
          auto res = Http(upper, Url(concrete), body, headers);
          const std::string what = upper + " " + path + " as " + role + " on " + practice;
          if (granted) {
            EXPECT_NE(res.status, 401) << what;
            EXPECT_NE(res.status, 403) << what << ": " << res.body;
          } else {
            EXPECT_EQ(res.status, 403) << what;
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 300);
}

TEST_F(ServeTest, PracticeListShowsOnlyOwnPractices) {
  auto r = Http("GET", Url("/v1/practices"), "", {Bearer("operator")});
  ASSERT_EQ(r.status, 200);
  json items = json::parse(r.body)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["practice_id"], Practice("A"));
}

TEST_F(ServeTest, PatientsAreMaskedAndPaginated) {
  auto list = Http("GET", Url("/v1/practices/" + Practice("A") + "/patients?limit=1"), "", {Bearer("operator")});
  ASSERT_EQ(list.status, 200) << list.body;
  json page = json::parse(list.body);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_FALSE(page["next"].is_null());
  EXPECT_EQ(list.body.find("Quill"), std::string::npos);
  EXPECT_EQ(list.body.find("555-0142"), std::string::npos);
  auto rest = Http("GET", Url("/v1/practices/" + Practice("A") + "/patients?after=" + page["next"].get<std::string>()),
                   "", {Bearer("operator")});
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(json::parse(rest.body)["items"].size(), 1u);
}

TEST_F(ServeTest, LoginAndLogout) {
  auto bad = Http("POST", Url("/v1/auth/login"), R"({"login":"u-staff","password":"wrong-password-1"})",
                  {"Content-Type: application/json"});
  EXPECT_EQ(bad.status, 401);
  auto ok = Http("POST", Url("/v1/auth/login"),
                 json{{"login", "u-staff"}, {"password", kPassword}}.dump(), {"Content-Type: application/json"});
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string token = json::parse(ok.body)["token"];
  const std::string auth = "Authorization: Bearer " + token;
  EXPECT_EQ(Http("GET", Url("/v1/practices"), "", {auth}).status, 200);
  EXPECT_EQ(Http("POST", Url("/v1/auth/logout"), "", {auth}).status, 200);
  EXPECT_EQ(Http("GET", Url("/v1/practices"), "", {auth}).status, 401);
}

TEST_F(ServeTest, IdempotencyKeyReplaysTheFirstResponse) {
  std::string url = Url("/v1/practices/" + Practice("A") + "/patients/P2/consent");
  const std::string body = R"({"channel":"email","purpose":"care","source":"staff_verbal","evidence":"asked at the desk"})";
  std::vector<std::string> headers = {Bearer("staff"), "Content-Type: application/json", "Idempotency-Key: k-1"};
  auto first = Http("POST", url, body, headers);
  // The key outlives the server: restart it (a new process, a new port).
  StopServer();
  ASSERT_EQ(exit_code_, 0);
  StartServer();
  ASSERT_GT(pid_, 0);
  url = Url("/v1/practices/" + Practice("A") + "/patients/P2/consent");  // the new port
  auto again = Http("POST", url, body, headers);
  EXPECT_EQ(first.status, again.status);
  EXPECT_EQ(first.body, again.body);
  EXPECT_NE(again.headers.find("Idempotent-Replayed: true"), std::string::npos);
  auto other = Http("POST", url, R"({"channel":"sms"})", headers);
  EXPECT_EQ(other.status, 422);
}

TEST_F(ServeTest, KannelWebhookNeedsTheSecretAndAnswersWithTheReply) {
  const std::string query = std::string("?from=%2B12175550142&to=%2B12175550100&text=HELP&id=k-1");
  EXPECT_EQ(Http("GET", Url("/v1/webhooks/kannel/wrong-secret/sms" + query)).status, 403);
  auto ok = Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret + "/sms" + query));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(ok.body.empty());  // the CTIA HELP reply, which Kannel sends back
  EXPECT_EQ(ok.body.find(kPatientPhone), std::string::npos);
  // Kannel retrying the same MO (same id) is not handled twice.
  auto retry = Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret + "/sms" + query));
  EXPECT_EQ(retry.status, 200);
  EXPECT_TRUE(retry.body.empty());
  // The number written to may come without "+" or the NANP country code.
  auto plain = Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret +
                               "/sms?from=%2B12175550142&to=2175550100&text=HELP&id=k-2"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_FALSE(plain.body.empty());
  // A malformed query: 400 without echoing it.
  auto bad = Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret + "/sms?from=%2B1217555014X&to=x"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.find("1217555014"), std::string::npos);
  // A STOP: its arrival -> commit time is on /metrics (a count, no ids).
  auto stop = Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret +
                              "/sms?from=%2B12175550199&to=%2B12175550100&text=STOP&id=k-3"));
  EXPECT_EQ(stop.status, 200);
  auto metrics = Http("GET", Url("/metrics"));
  EXPECT_NE(metrics.body.find("\nrecall_inbound_opt_out_commit_seconds_count "), std::string::npos);
  EXPECT_EQ(metrics.body.find("\nrecall_inbound_opt_out_commit_seconds_count 0\n"), std::string::npos);
  // Delivery reports: wrong secret refused; an unknown message is acknowledged.
  EXPECT_EQ(Http("GET", Url("/v1/webhooks/kannel/nope/dlr?msg=msg_x&status=1")).status, 403);
  EXPECT_EQ(Http("GET", Url(std::string("/v1/webhooks/kannel/") + kKannelSecret + "/dlr?msg=msg_x&status=1")).status,
            200);
}

TEST_F(ServeTest, TwilioWebhookChecksTheSignature) {
  const std::string path = "/v1/webhooks/twilio/sms";
  const std::string body = "From=%2B12175550142&To=%2B12175550100&Body=HELP&MessageSid=SM0123456789abcdef";
  const channels::FormParams params = {
      {"From", kPatientPhone}, {"To", kPracticePhone}, {"Body", "HELP"}, {"MessageSid", "SM0123456789abcdef"}};
  const std::string type = "Content-Type: application/x-www-form-urlencoded";
  EXPECT_EQ(Http("POST", Url(path), body, {type}).status, 403);
  EXPECT_EQ(Http("POST", Url(path), body, {type, "X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA="}).status, 403);
  const std::string wrong_key = channels::TwilioSignature("another-token", Url(path), params);
  EXPECT_EQ(Http("POST", Url(path), body, {type, "X-Twilio-Signature: " + wrong_key}).status, 403);
  const std::string signature = channels::TwilioSignature(kTwilioToken, Url(path), params);
  auto ok = Http("POST", Url(path), body, {type, "X-Twilio-Signature: " + signature});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("<Response><Message>"), std::string::npos);
  // The signature covers the parameters: a changed body is refused.
  const std::string tampered = "From=%2B12175550142&To=%2B12175550100&Body=STOP&MessageSid=SM0123456789abcdef";
  EXPECT_EQ(Http("POST", Url(path), tampered, {type, "X-Twilio-Signature: " + signature}).status, 403);
}

TEST_F(ServeTest, OneClickUnsubscribe) {
  auto t = Cli({"consent", "unsubscribe-token", "--practice", Practice("A"), "--patient", "P2"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string token = json::parse(t.out)["token"];
  auto r = Http("POST", Url("/u/" + token), "List-Unsubscribe=One-Click",
                {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("text/html"), std::string::npos);
  EXPECT_EQ(r.headers.find("Set-Cookie"), std::string::npos);
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
  EXPECT_EQ(r.body.find("http"), std::string::npos);  // no third-party content
  auto page = Http("GET", Url("/u/" + token));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(Http("GET", Url("/u/u1.prc_x.pat_y.bad")).status, 404);
}

TEST_F(ServeTest, BadInputGetsA4xxAndNeverAnEcho) {
  const std::string json_type = "Content-Type: application/json";
  // Malformed JSON, invalid UTF-8, wrong content type.
  auto malformed = Http("POST", Url("/v1/auth/login"), "{\"login\": \"+15555550199\"", {json_type});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body.find("5555550199"), std::string::npos);
  EXPECT_EQ(Http("POST", Url("/v1/auth/login"), "{\"login\": \"\xff\xfe\"}", {json_type}).status, 400);
  EXPECT_EQ(Http("POST", Url("/v1/auth/login"), "login=x", {"Content-Type: text/plain"}).status, 415);
  // Oversized body (the server was started with --max-body-mib 1).
  auto big = Http("POST", Url("/v1/auth/login"), std::string(2 << 20, 'a'), {json_type});
  EXPECT_TRUE(big.status == 413 || big.status == 0) << big.status;
  // A huge declared length is refused before any of the body is read.
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    c.Send("POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: 999999999\r\n\r\n{");
    bool closed = false;
    const std::string reply = c.ReadAll(std::chrono::seconds(2), &closed);
    EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply.substr(0, 40);
  }
  // Path traversal, raw and encoded.
  EXPECT_EQ(Http("GET", Url("/v1/practices/../healthz"), "", {}, true).status, 400);
  EXPECT_EQ(Http("GET", Url("/v1/practices/%2e%2e/settings"), "", {Bearer("operator")}).status, 400);
  EXPECT_EQ(Http("GET", Url("/v1/practices/a%2Fb/settings"), "", {Bearer("operator")}).status, 400);
  EXPECT_EQ(Http("GET", Url("/nowhere")).status, 404);
  EXPECT_EQ(Http("DELETE", Url("/healthz")).status, 405);
  // Header injection: a bare CR inside a header value.
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Test: a\rInjected: b\r\nConnection: close\r\n\r\n");
    bool closed = false;
    const std::string reply = c.ReadAll(std::chrono::seconds(5), &closed);
    EXPECT_TRUE(reply.empty() || reply.rfind("HTTP/1.1 400", 0) == 0) << reply.substr(0, 40);
  }
  // Slowloris: a client that never finishes its headers is cut off, and others are served meanwhile.
  {
    RawConnection slow(port_);
    ASSERT_TRUE(slow.connected());
    slow.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    EXPECT_EQ(Http("GET", Url("/healthz")).status, 200);
    bool closed = false;
    const auto start = std::chrono::steady_clock::now();
    slow.ReadAll(std::chrono::seconds(10), &closed);
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  }
  EXPECT_EQ(Http("GET", Url("/healthz")).status, 200);  // still alive
}

TEST_F(ServeTest, WrongTokensAreUnauthenticated) {
  const std::string url = Url("/v1/practices/" + Practice("A"));
  EXPECT_EQ(Http("GET", url).status, 401);
  EXPECT_EQ(Http("GET", url, "", {"Authorization: Bearer not-a-token"}).status, 401);
  EXPECT_EQ(Http("GET", url, "", {"Authorization: Basic dXNlcjpwYXNz"}).status, 401);
  EXPECT_EQ(Http("GET", url, "", {Bearer("operator")}).status, 200);
}

TEST_F(ServeTest, TheAuthorOfACampaignCannotApproveIt) {
  const std::string base = Url("/v1/practices/" + Practice("A"));
  const std::string type = "Content-Type: application/json";
  auto t = Http("POST", base + "/templates",
                json{{"name", "api-sms-en"}, {"channel", "sms"}, {"tier", 1}, {"purpose", "outreach"}, {"language", "en"},
                     {"body", "Hi {{first_name}}, it has been a while since your last visit to {{practice_name}}. "
                              "Book online or call {{practice_phone}}. Reply STOP to opt out."}}
                    .dump(),
                {Bearer("both"), type});
  ASSERT_EQ(t.status, 201) << t.body;
  auto c = Http("POST", base + "/campaigns",
                json{{"name", "Lapsed winter"}, {"kind", "re-engagement"}, {"purpose", "outreach"},
                     {"segment", {{"status", "lapsed"}}}, {"steps", {"sms:0:api-sms-en"}},
                     {"start", "2025-12-01T09:00"}, {"window", "09:00-17:00"}}
                    .dump(),
                {Bearer("both"), type});
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string campaign = json::parse(c.body)["campaign_id"];
  EXPECT_EQ(json::parse(c.body)["author"], "user:u-both");
  auto submitted = Http("POST", base + "/campaigns/" + campaign + "/submit", "", {Bearer("both")});
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  const std::string hash = json::parse(submitted.body)["content_sha256"];
  const std::string signoff = json{{"name", "Dana Whitlock"}, {"title", "Office Manager"},
                                   {"statement", "I approve these messages."}, {"expected_sha256", hash}}
                                  .dump();
  auto self = Http("POST", base + "/campaigns/" + campaign + "/approve", signoff, {Bearer("both"), type});
  EXPECT_EQ(self.status, 403) << self.body;
  auto other = Http("POST", base + "/campaigns/" + campaign + "/approve", signoff, {Bearer("approver"), type});
  EXPECT_EQ(other.status, 200) << other.body;
  auto got = Http("GET", base + "/campaigns/" + campaign, "", {Bearer("operator")});
  EXPECT_EQ(json::parse(got.body)["state"], "approved");
}

// The web console: served by Recall from its own origin under a strict CSP;
// the API's other responses keep theirs.
TEST_F(ServeTest, ConsoleIsServedUnderAStrictPolicy) {
  auto root = Http("GET", Url("/"));
  EXPECT_EQ(root.status, 302);
  EXPECT_NE(root.headers.find("Location: /console/"), std::string::npos) << root.headers;
  auto index = Http("GET", Url("/console/"));
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.headers.find("text/html"), std::string::npos);
  EXPECT_NE(index.headers.find("Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'"),
            std::string::npos)
      << index.headers;
  EXPECT_EQ(index.headers.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(index.headers.find("Content-Security-Policy", index.headers.find("Content-Security-Policy") + 1),
            std::string::npos)
      << "exactly one policy";
  // No page or asset names another origin.
  for (const char* marker : {"http://", "https://", "//cdn", "fonts.googleapis"}) {
    EXPECT_EQ(index.body.find(marker), std::string::npos) << marker;
  }
  EXPECT_EQ(Http("GET", Url("/console/no-such-file.js")).status, 404);
  EXPECT_EQ(Http("GET", Url("/console/%2e%2e/CMakeLists.txt")).status, 400);
  EXPECT_EQ(Http("GET", Url("/console/..%2fsecret")).status, 400);
  // The API keeps its own policy.
  auto health = Http("GET", Url("/healthz"));
  EXPECT_NE(health.headers.find("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"),
            std::string::npos);
}

TEST_F(ServeTest, ConsoleApiMeTemplatesAndAuditFilters) {
  const std::string base = Url("/v1/practices/" + Practice("A"));
  const std::string type = "Content-Type: application/json";
  // Who am I: roles and the permissions they give, per practice.
  auto me = Http("GET", Url("/v1/auth/me"), "", {Bearer("approver")});
  ASSERT_EQ(me.status, 200) << me.body;
  json m = json::parse(me.body);
  EXPECT_EQ(m["login"], "u-approver");
  const json& perms = m["permissions"][Practice("A")];
  EXPECT_NE(std::find(perms.begin(), perms.end(), "campaign.approve"), perms.end());
  EXPECT_EQ(std::find(perms.begin(), perms.end(), "campaign.draft"), perms.end());
  EXPECT_EQ(Http("GET", Url("/v1/auth/me")).status, 401);

  // A template, read back and edited; clinical text is refused with findings.
  auto t = Http("POST", base + "/templates",
                json{{"name", "console-sms-en"}, {"channel", "sms"}, {"tier", 1}, {"purpose", "outreach"},
                     {"language", "en"},
                     {"body", "Hi {{first_name}}, {{practice_name}} misses you. Call {{practice_phone}}. "
                              "Reply STOP to opt out."}}
                    .dump(),
                {Bearer("operator"), type});
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string id = json::parse(t.body)["template_id"];
  auto got = Http("GET", base + "/templates/" + id, "", {Bearer("approver")});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json::parse(got.body)["version"], 1);
  const std::string clinical =
      "Hi {{first_name}}, your HIV test results are ready at {{practice_name}}. Reply STOP to opt out.";
  auto refused = Http("POST", base + "/templates/" + id + "/versions", json{{"body", clinical}}.dump(),
                      {Bearer("operator"), type});
  ASSERT_EQ(refused.status, 422) << refused.body;
  json r = json::parse(refused.body);
  bool found = false;
  for (const auto& f : r["findings"]) {
    if (f["severity"] != "block") continue;
    const std::string span = clinical.substr(f["start"].get<size_t>(), f["end"].get<size_t>() - f["start"].get<size_t>());
    found = found || span.find("HIV") != std::string::npos;
  }
  EXPECT_TRUE(found) << refused.body;
  EXPECT_EQ(refused.body.find("results are ready"), std::string::npos) << "the text is not echoed";
  EXPECT_EQ(json::parse(Http("GET", base + "/templates/" + id, "", {Bearer("operator")}).body)["version"], 1);
  auto edited = Http("POST", base + "/templates/" + id + "/versions",
                     json{{"body", "Hi {{first_name}}, {{practice_name}} has openings this week. Call "
                                   "{{practice_phone}}. Reply STOP to opt out."}}
                         .dump(),
                     {Bearer("operator"), type});
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(json::parse(edited.body)["version"], 2);
  EXPECT_EQ(Http("POST", base + "/templates/" + id + "/versions", "{}", {Bearer("operator"), type}).status, 400);

  // Audit records filtered by action, actor and date.
  auto rec = Http("GET", base + "/audit/records?action=template.&actor=user:u-operator&limit=50", "",
                  {Bearer("auditor")});
  ASSERT_EQ(rec.status, 200) << rec.body;
  json items = json::parse(rec.body)["items"];
  ASSERT_GE(items.size(), 2u);
  for (const auto& i : items) {
    EXPECT_EQ(i["actor"], "user:u-operator");
    EXPECT_EQ(i["action"].get<std::string>().rfind("template.", 0), 0u) << i.dump();
  }
  auto none = Http("GET", base + "/audit/records?from=2001-01-01&to=2001-01-02", "", {Bearer("auditor")});
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(json::parse(none.body)["items"].empty());
  EXPECT_EQ(Http("GET", base + "/audit/records?from=yesterday", "", {Bearer("auditor")}).status, 400);
}

// HTTPS with the given certificate: TLS 1.2 or later only, HSTS on every answer.
TEST_F(ServeTest, HttpsRefusesOldTlsAndSendsHsts) {
  const std::string cert = (*dir_ / "cert.pem").string(), key = (*dir_ / "key.pem").string();
  const std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                           " -days 1 -subj /CN=localhost >/dev/null 2>&1";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "no openssl command";
  pid_t pid = -1;
  int port = 0;
  std::string url;
  Spawn({"--tls-cert", cert, "--tls-key", key}, (*dir_ / "tls.out").string(), &pid, &port, &url);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(url.rfind("https://", 0), 0u) << url;
  auto get = [&](long max_tls) {
    HttpResult r;
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, (url + "/healthz").c_str());
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_0 | max_tls);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectHttp);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHttp);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(curl);
    return r;
  };
  auto modern = get(CURL_SSLVERSION_MAX_DEFAULT);
  EXPECT_EQ(modern.status, 200);
  EXPECT_NE(modern.headers.find("Strict-Transport-Security: max-age="), std::string::npos);
  EXPECT_EQ(get(CURL_SSLVERSION_MAX_TLSv1_1).status, 0);  // handshake refused
  EXPECT_EQ(Http("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status, 0);  // no plain HTTP
  EXPECT_EQ(Terminate(pid), 0);
}

// --- streamed CSV upload, audit export (issue 6) ---------------------------

// POSTs `body` with Transfer-Encoding: chunked (curl's read callback, in
// pieces of at most 16 KiB), for the streamed import.
HttpResult PostChunked(const std::string& url, const std::string& body, const std::vector<std::string>& headers) {
  struct Source {
    const std::string* data;
    size_t pos = 0;
  } source{&body};
  HttpResult r;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, +[](char* out, size_t size, size_t n, void* user) -> size_t {
    auto* src = static_cast<Source*>(user);
    const size_t len = std::min({size * n, size_t{16384}, src->data->size() - src->pos});
    std::memcpy(out, src->data->data() + src->pos, len);
    src->pos += len;
    return len;
  });
  curl_easy_setopt(curl, CURLOPT_READDATA, &source);
  curl_slist* list = curl_slist_append(nullptr, "Transfer-Encoding: chunked");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectHttp);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHttp);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

// A synthetic export of `rows` patients with ids PREFIX000000...
std::string SyntheticCsv(const std::string& prefix, int rows) {
  std::string csv = "Patient ID,First Name,Last Name,Cell Phone,Email,Chart Notes\n";
  char line[256];
  for (int idx = 0; idx < rows; ++idx) {
    std::snprintf(line, sizeof(line), "%s%06d,Wren,Greystone,(217) 555-%04d,w%d@example.com,%s\n", prefix.c_str(), idx,
                  idx % 10000, idx, "a free-text column that the importer drops before storage");
    csv += line;
  }
  return csv;
}

std::string HeaderValue(const std::string& headers, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const size_t at = headers.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return headers.substr(start, headers.find("\r\n", start) - start);
}

// Practice B gets a BAA (through the API, as the installation admin) and
// multi-megabyte imports, above the server's 1 MiB body limit: the import
// streams under its own limit, with Content-Length and chunked.
TEST_F(ServeTest, StreamedCsvImportOfSeveralMegabytes) {
  const std::string base = Url("/v1/practices/" + Practice("B"));
  const std::string csv_type = "Content-Type: text/csv";
  // No BAA yet: refused before the body is used.
  auto early = Http("POST", base + "/patients/import", SyntheticCsv("N", 10), {Bearer("admin"), csv_type});
  EXPECT_EQ(early.status, 409) << early.body;
  auto baa = Http("POST", base + "/baa",
                  json{{"signed_by", "Dana Whitlock"}, {"signed_on", "2025-11-01"},
                       {"document_base64", "c2lnbmVkIEJBQSAoc3ludGhldGljKQ=="}}
                      .dump(),
                  {Bearer("admin"), "Content-Type: application/json"});
  ASSERT_EQ(baa.status, 201) << baa.body;

  const std::string big = SyntheticCsv("L", 30000);
  ASSERT_GT(big.size(), 3u << 20);
  auto sized = Http("POST", base + "/patients/import", big, {Bearer("admin"), csv_type});
  ASSERT_EQ(sized.status, 200) << sized.body;
  json out = json::parse(sized.body);
  EXPECT_EQ(out["imported"], 30000);
  EXPECT_EQ(out["rejected_total"], 0);
  EXPECT_EQ(out["dropped_columns"], json::array({"Chart Notes"}));

  const std::string chunked_csv = SyntheticCsv("C", 30000);
  auto chunked = PostChunked(base + "/patients/import", chunked_csv, {Bearer("admin"), csv_type});
  ASSERT_EQ(chunked.status, 200) << chunked.body;
  EXPECT_EQ(json::parse(chunked.body)["imported"], 30000);
  // Re-importing the same ids updates them.
  auto again = PostChunked(base + "/patients/import", chunked_csv, {Bearer("admin"), csv_type});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["imported"], 0);
  EXPECT_EQ(json::parse(again.body)["updated"], 30000);

  // A malformed file, chunked: 400 and nothing of it written.
  const std::string broken = SyntheticCsv("X", 20000) + "X999999,\"Wren,Greystone\n";
  auto bad = PostChunked(base + "/patients/import", broken, {Bearer("admin"), csv_type});
  EXPECT_EQ(bad.status, 400) << bad.body;
  // Other routes keep the small limit.
  auto login = Http("POST", Url("/v1/auth/login"), std::string(2 << 20, 'a'), {"Content-Type: application/json"});
  EXPECT_TRUE(login.status == 413 || login.status == 0) << login.status;
  // The server is still fine and the counts add up: 60,000 patients.
  auto audit = Http("GET", base + "/audit/export?format=jsonl&limit=5000", "", {Bearer("admin")});
  ASSERT_EQ(audit.status, 200);
  int imports = 0;
  std::istringstream lines(audit.body);
  for (std::string line; std::getline(lines, line);) {
    json record = json::parse(line);
    if (record["action"] == "patient.import") {
      ++imports;
      EXPECT_EQ(line.find("Greystone"), std::string::npos);
    }
  }
  EXPECT_EQ(imports, 3);  // the malformed file committed nothing
}

TEST_F(ServeTest, AuditExportAsFhirValidatesAndPages) {
  const std::string base = Url("/v1/practices/" + Practice("A") + "/audit/export");
  // JSON Lines, paged: every record of practice A exactly once.
  std::set<int64_t> seqs;
  std::string after = "0";
  int pages = 0;
  while (!after.empty() && pages < 100) {
    auto page = Http("GET", base + "?format=jsonl&limit=7&after=" + after, "", {Bearer("auditor")});
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.headers.find("application/x-ndjson"), std::string::npos);
    std::istringstream lines(page.body);
    for (std::string line; std::getline(lines, line);) {
      json record = json::parse(line);
      EXPECT_EQ(record["practice_id"], Practice("A"));
      EXPECT_TRUE(seqs.insert(record["seq"].get<int64_t>()).second);
    }
    after = HeaderValue(page.headers, "X-Next-After");
    ++pages;
  }
  EXPECT_GT(pages, 1);
  EXPECT_GT(seqs.size(), 10u);
  // A bad range or format: 400.
  EXPECT_EQ(Http("GET", base + "?from=2025-02-01&to=2025-01-01", "", {Bearer("auditor")}).status, 400);
  EXPECT_EQ(Http("GET", base + "?format=xml", "", {Bearer("auditor")}).status, 400);
  // The installation-wide export is for installation admins only.
  EXPECT_EQ(Http("GET", Url("/v1/audit/export?limit=5"), "", {Bearer("auditor")}).status, 403);
  EXPECT_EQ(Http("GET", Url("/v1/audit/export?limit=5"), "", {Bearer("admin")}).status, 200);

  // FHIR R4: a Bundle of AuditEvents, checked by the independent validator.
  auto fhir = Http("GET", base + "?format=fhir&from=2000-01-01&to=2100-12-31&limit=5000", "", {Bearer("auditor")});
  ASSERT_EQ(fhir.status, 200) << fhir.body;
  EXPECT_NE(fhir.headers.find("application/fhir+json"), std::string::npos);
  json bundle = json::parse(fhir.body);
  EXPECT_EQ(bundle["resourceType"], "Bundle");
  EXPECT_EQ(bundle["type"], "collection");
  ASSERT_GT(bundle["entry"].size(), 10u);
  EXPECT_EQ(bundle["entry"][0]["resource"]["resourceType"], "AuditEvent");
  EXPECT_EQ(fhir.body.find("Quill"), std::string::npos);  // pseudonymous: no patient names
  const char* source = std::getenv("RECALL_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  const std::filesystem::path node_dir = std::filesystem::path(source) / "tests" / "node";
  if (!std::filesystem::exists(node_dir / "node_modules" / "fhir")) {
    GTEST_SKIP() << "tests/node/node_modules missing: run scripts/install-deps (npm ci --prefix tests/node)";
  }
  const std::string file = WriteFile("export.fhir.json", fhir.body);
  const std::string verdict = (*dir_ / "validation.json").string();
  const std::string command = "node " + (node_dir / "validate-fhir.js").string() + " " + file + " > " + verdict;
  EXPECT_EQ(std::system(command.c_str()), 0) << ReadFileToString(verdict);
  json result = json::parse(ReadFileToString(verdict));
  EXPECT_EQ(result["valid"], true) << result.dump();
  EXPECT_EQ(result["resources"], bundle["entry"].size());
}

// Last (gtest runs tests in order): SIGTERM stops the server cleanly.
TEST_F(ServeTest, ZzGracefulShutdownOnSigterm) {
  StopServer();
  EXPECT_EQ(exit_code_, 0) << ReadFileToString(*out_path_ + ".err");
  EXPECT_EQ(Http("GET", Url("/healthz")).status, 0);
}

}  // namespace
}  // namespace recall::testing
