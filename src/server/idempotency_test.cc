// The persisted Idempotency-Key records (store/idempotency_store.h) and the
// server's use of them, and the streamed CSV import, in process: requests go
// straight to Server::Handle, streamed bodies come from test BodyStreams.
// FakeClock; no sockets are read.
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/random.h"
#include "crypto/crypto.h"
#include "engine/engine_testing.h"
#include "practices/practices_testing.h"
#include "server/body_stream.h"
#include "server/server.h"
#include "store/idempotency_store.h"
#include "users/users.h"

namespace recall::server {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr char kPassword[] = "correct-horse-battery-staple";

// A body handed out in fixed-size chunks; optionally breaks off after
// `break_after` bytes, or waits for Release() before the first chunk.
class FakeBody final : public BodyStream {
 public:
  explicit FakeBody(std::string data, size_t chunk = 4096) : data_(std::move(data)), chunk_(chunk) {}
  Status Read(const std::function<bool(std::string_view)>& sink) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    while (pos_ < data_.size()) {
      if (break_after_ && pos_ >= *break_after_) return InvalidArgumentError("the body broke off");
      size_t n = std::min(chunk_, data_.size() - pos_);
      if (break_after_) n = std::min(n, *break_after_ - pos_);
      if (limit_ && pos_ + n > *limit_) return ResourceExhaustedError("over the limit");
      const std::string_view piece(data_.data() + pos_, n);
      pos_ += n;
      if (!sink(piece)) return OkStatus();
    }
    finished_ = true;
    return OkStatus();
  }
  bool finished() const override { return finished_; }
  size_t bytes() const override { return pos_; }

  void Hold() { released_ = false; }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  std::optional<size_t> break_after_, limit_;

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
  bool finished_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = true;
};

std::string Csv(int rows) {
  std::string csv = "Patient ID,First Name,Last Name,Cell Phone,Email,Notes\n";
  for (int idx = 0; idx < rows; ++idx) {
    char line[256];
    std::snprintf(line, sizeof(line), "S%06d,Avery,Holloway,(217) 555-%04d,p%d@example.com,%s\n", idx, idx % 10000,
                  idx, "a clinical note column that is dropped before storage and pads the row out");
    csv += line;
  }
  return csv;
}

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("RECALL_ARGON2_TEST_PARAMS", "1", 1);
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto practice = practices::AddPracticeWithBaaForTest(engine_);
    ASSERT_TRUE(practice.ok()) << practice.status().ToString();
    practice_ = *practice;
    auto user = users::AddUser(*engine_, {"u-staff", "Staff User", kPassword, false});
    ASSERT_TRUE(user.ok()) << user.status().ToString();
    user_id_ = user->user_id;
    ASSERT_TRUE(users::GrantRole(*engine_, "u-staff", practice_, users::Role::kAdmin).ok());
    auto session = users::Login(*engine_, {"u-staff", kPassword, ""});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    token_ = session->token;
    StartServer();
  }

  void StartServer() {
    server_.reset();
    ServerOptions options;
    options.run_worker = false;
    options.max_import_bytes = 64 << 20;
    auto server = Server::Create(
        *engine_, [] { return StatusOr<const scanner::Scanner*>(UnavailableError("no scanner in this test")); },
        options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  HttpRequest Post(const std::string& path, std::string body, const std::string& type, const std::string& key) {
    HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.raw_target = path;
    req.body = std::move(body);
    req.remote_addr = "127.0.0.1";
    req.headers = {{"authorization", "Bearer " + token_}, {"content-type", type}};
    if (!key.empty()) req.headers.emplace_back("idempotency-key", key);
    return req;
  }
  HttpRequest Import(BodyStream* body, const std::string& key = "") {
    HttpRequest req = Post("/v1/practices/" + practice_ + "/patients/import", "", "text/csv", key);
    req.body_stream = body;
    return req;
  }
  int64_t Patients() {
    auto n = engine_->store().patients().Count(practice_);
    return n.ok() ? *n : -1;
  }
  static std::string Header(const HttpResponse& res, const std::string& name) {
    for (const auto& [k, v] : res.headers) {
      if (k == name) return v;
    }
    return "";
  }

  engine::TestEngine engine_;
  std::string practice_, user_id_, token_;
  std::unique_ptr<Server> server_;
};

TEST_F(IdempotencyTest, StoreLifecycle) {
  store::IdempotencyStore& records = engine_->store().idempotency();
  const TimePoint now = engine_.clock().Now();
  store::IdempotencyRecord r;
  r.record_id = "idk_one";
  r.practice_id = practice_;
  r.principal = user_id_;
  r.route = "POST /v1/practices/{practice}/campaigns";
  r.scope_hash = std::string(64, 'a');
  r.body_hash = std::string(64, 'b');
  r.expires_at = now + hours(24);
  store::IdempotencyRecord existing;
  auto begun = records.Begin(r, now, minutes(10), &existing);
  ASSERT_TRUE(begun.ok()) << begun.status().ToString();
  EXPECT_EQ(*begun, store::IdempotencyBegin::kStarted);
  // A second request while the first runs.
  store::IdempotencyRecord twin = r;
  twin.record_id = "idk_two";
  EXPECT_EQ(*records.Begin(twin, now, minutes(10), &existing), store::IdempotencyBegin::kInFlight);
  EXPECT_EQ(existing.record_id, "idk_one");
  // The same scope in another practice is another record.
  store::IdempotencyRecord elsewhere = twin;
  elsewhere.practice_id = "";
  EXPECT_EQ(*records.Begin(elsewhere, now, minutes(10), &existing), store::IdempotencyBegin::kStarted);
  // Done: replayed with the stored answer.
  ASSERT_TRUE(records.Complete(practice_, "idk_one", r.body_hash, 201, "application/json", "sealed-bytes").ok());
  EXPECT_TRUE(IsNotFound(records.Complete(practice_, "idk_one", r.body_hash, 201, "application/json", "x")));
  ASSERT_EQ(*records.Begin(twin, now + hours(23), minutes(10), &existing), store::IdempotencyBegin::kDone);
  EXPECT_EQ(existing.status, 201);
  EXPECT_EQ(existing.response_sealed, "sealed-bytes");
  EXPECT_EQ(existing.body_hash, r.body_hash);
  // Expired: the key starts afresh.
  EXPECT_EQ(*records.Begin(twin, now + hours(25), minutes(10), &existing), store::IdempotencyBegin::kStarted);
  // A pending record past its lease is taken over; Abandon removes one.
  store::IdempotencyRecord third = r;
  third.record_id = "idk_three";
  EXPECT_EQ(*records.Begin(third, now + hours(25) + minutes(11), minutes(10), &existing),
            store::IdempotencyBegin::kStarted);
  ASSERT_TRUE(records.Abandon(practice_, "idk_three").ok());
  EXPECT_EQ(*records.Count(practice_), 0);
  EXPECT_EQ(*records.Count(""), 1);
  // The sweep deletes the stale installation record (a pending one past its
  // lease), audited with a count only.
  auto swept = records.Sweep(now + hours(26), minutes(10), engine_->Event("idempotency.sweep"));
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(*records.Count(""), 0);
  EXPECT_EQ(engine_.CountAudit("idempotency.sweep"), 1);
  EXPECT_EQ(*records.Sweep(now + hours(27), minutes(10), engine_->Event("idempotency.sweep")), 0);
  EXPECT_EQ(engine_.CountAudit("idempotency.sweep"), 1);  // nothing deleted, nothing audited
  EXPECT_TRUE(IsInvalidArgument(records.Begin(store::IdempotencyRecord{}, now, minutes(10), nullptr).status()));
}

TEST_F(IdempotencyTest, FirstResponseIsReplayedAfterARestartAndStoredSealed) {
  const std::string path = "/v1/practices/" + practice_ + "/vendors";
  const std::string body = R"({"name":"Carrier One","channel":"sms","kind":"channel_provider"})";
  HttpResponse first = server_->Handle(Post(path, body, "application/json", "key-1"));
  ASSERT_EQ(first.status, 201) << first.body;
  StartServer();  // a new server: nothing in memory survives
  HttpResponse again = server_->Handle(Post(path, body, "application/json", "key-1"));
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  // Only one vendor was added.
  auto vendors = engine_->store().vendors().List(practice_);
  ASSERT_TRUE(vendors.ok());
  EXPECT_EQ(vendors->size(), 1u);
  // The same key with another body.
  HttpResponse other = server_->Handle(Post(path, R"({"name":"Carrier Two"})", "application/json", "key-1"));
  EXPECT_EQ(other.status, 422);
  // Another key runs again.
  HttpResponse fresh = server_->Handle(Post(path, body, "application/json", "key-2"));
  EXPECT_NE(fresh.body, first.body);
  // The stored answer is sealed, never the body in clear.
  store::IdempotencyRecord probe, existing;
  probe.record_id = "idk_probe";
  probe.practice_id = practice_;
  probe.scope_hash = HexEncode(crypto::Sha256(user_id_ + "\n" + practice_ + "\nPOST " + path + "\nkey-1"));
  probe.expires_at = engine_.clock().Now() + hours(1);
  ASSERT_EQ(*engine_->store().idempotency().Begin(probe, engine_.clock().Now(), minutes(10), &existing),
            store::IdempotencyBegin::kDone);
  EXPECT_EQ(existing.response_sealed.find("Carrier One"), std::string::npos);
  EXPECT_EQ(existing.route, "POST /v1/practices/{practice}/vendors");
  // After the TTL the key is forgotten (and swept).
  engine_.clock().Advance(hours(25));
  auto session = users::Login(*engine_, {"u-staff", kPassword, ""});  // the session expired too
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  token_ = session->token;
  HttpResponse later = server_->Handle(Post(path, body, "application/json", "key-1"));
  EXPECT_EQ(later.status, 201);
  EXPECT_EQ(Header(later, "Idempotent-Replayed"), "");
  EXPECT_GE(engine_.CountAudit("idempotency.sweep"), 1);
}

// An installation-level route (no practice): the answer is sealed under an
// installation secret of the master key, and replayed the same.
TEST_F(IdempotencyTest, InstallationRouteIsReplayedToo) {
  ASSERT_TRUE(users::AddUser(*engine_, {"u-admin", "Admin User", kPassword, true}).ok());
  auto session = users::Login(*engine_, {"u-admin", kPassword, ""});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  token_ = session->token;
  const std::string body = json{{"name", "Cedar Dental"},  {"address", "3 Main St, Springfield, IL 62701"},
                                {"phone", "(217) 555-0400"}, {"email_from", "Cedar <office@cedar.example>"},
                                {"timezone", "America/Chicago"}, {"state", "IL"}}
                               .dump();
  HttpResponse first = server_->Handle(Post("/v1/practices", body, "application/json", "create-cedar"));
  ASSERT_EQ(first.status, 201) << first.body;
  StartServer();
  HttpResponse again = server_->Handle(Post("/v1/practices", body, "application/json", "create-cedar"));
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  auto practices = engine_->store().practices().List();
  ASSERT_TRUE(practices.ok());
  EXPECT_EQ(practices->size(), 2u);  // the fixture's and Cedar, once
  EXPECT_EQ(*engine_->store().idempotency().Count(""), 1);
}

TEST_F(IdempotencyTest, ConcurrentDuplicateGets409) {
  FakeBody held(Csv(10));
  held.Hold();
  // The first request begins its record, then waits for its body (before the
  // importer takes the store's lock: it reads the header first).
  auto first = std::async(std::launch::async, [&] { return server_->Handle(Import(&held, "import-1")); });
  held.WaitEntered();
  FakeBody twin(Csv(10));
  HttpResponse second = server_->Handle(Import(&twin, "import-1"));
  EXPECT_EQ(second.status, 409) << second.body;
  held.Release();
  HttpResponse done = first.get();
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(json::parse(done.body)["imported"], 10);
  // Now the retry is a replay (the streamed body is read and compared first).
  FakeBody retry(Csv(10));
  HttpResponse replay = server_->Handle(Import(&retry, "import-1"));
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, done.body);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  FakeBody changed(Csv(11));
  EXPECT_EQ(server_->Handle(Import(&changed, "import-1")).status, 422);
  EXPECT_EQ(Patients(), 10);
}

TEST_F(IdempotencyTest, StreamedImportOfSeveralMegabytes) {
  const std::string csv = Csv(40000);
  ASSERT_GT(csv.size(), 4u << 20);
  FakeBody body(csv, 1500);  // odd chunk sizes: rows straddle chunks
  HttpResponse res = server_->Handle(Import(&body));
  ASSERT_EQ(res.status, 200) << res.body;
  json out = json::parse(res.body);
  EXPECT_EQ(out["imported"], 40000) << res.body.substr(0, 400);
  EXPECT_EQ(out["rejected_total"], 0);
  EXPECT_EQ(out["dropped_columns"], json::array({"Notes"}));
  EXPECT_TRUE(body.finished());
  EXPECT_EQ(Patients(), 40000);
}

TEST_F(IdempotencyTest, NothingIsWrittenWhenTheUploadIsBadOrBreaksOff) {
  // A malformed file (an unterminated quote at the end): one transaction, rolled back.
  FakeBody malformed(Csv(2000) + "S999999,\"Avery,Holloway\n");
  HttpResponse bad = server_->Handle(Import(&malformed));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(malformed.finished());  // the rest was read (and dropped)
  EXPECT_EQ(Patients(), 0);
  // A body that breaks off at a line boundary must not import the part that came.
  const std::string csv = Csv(2000);
  FakeBody broken(csv);
  broken.break_after_ = csv.find('\n', csv.size() / 2) + 1;  // what came ends with a whole row
  HttpResponse cut = server_->Handle(Import(&broken));
  EXPECT_EQ(cut.status, 400) << cut.body;
  EXPECT_EQ(Patients(), 0);
  // Over the transport's limit: 413, nothing written.
  FakeBody big(csv);
  big.limit_ = csv.size() / 3;
  EXPECT_EQ(server_->Handle(Import(&big)).status, 413);
  EXPECT_EQ(Patients(), 0);
  // The wrong content type never reaches the importer.
  FakeBody typed(csv);
  HttpRequest req = Import(&typed);
  req.headers[1].second = "application/json";
  EXPECT_EQ(server_->Handle(req).status, 415);
  EXPECT_EQ(Patients(), 0);
}

TEST_F(IdempotencyTest, ImportWithoutABaaReadsNothing) {
  auto other = practices::CreatePractice(*engine_, {"Birch Dental", "2 Main St, Springfield, IL 62701", "(217) 555-0300",
                                                    "Birch <office@birch.example>", "America/Chicago", "IL"});
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE(users::GrantRole(*engine_, "u-staff", other->practice_id, users::Role::kOperator).ok());
  FakeBody body(Csv(10));
  HttpRequest req = Post("/v1/practices/" + other->practice_id + "/patients/import", "", "text/csv", "");
  req.body_stream = &body;
  HttpResponse res = server_->Handle(req);
  EXPECT_EQ(res.status, 409) << res.body;
  EXPECT_EQ(body.bytes(), 0u);
}

}  // namespace
}  // namespace recall::server
