// Issue 5's end-to-end test: a two-step campaign for 300 synthetic patients,
// dispatched by the real worker through the REAL channels to REAL peers:
//   email -> channels::NewSmtpChannel -> aiosmtpd (SmtpSink)
//   SMS   -> channels::NewKannelChannel -> smsbox -> bearerbox -> fakesmsc
//            (KannelHarness), with Kannel's dlr-url and sms-service get-url
//            calling `recall serve`'s own Kannel webhooks
//            (/v1/webhooks/kannel/<secret>/dlr and /sms) on a server::Server
//            started in-process on a free loopback port, sharing the engine.
// In-process, on the engine's FakeClock, so quiet hours are deterministic; the
// worker's sleeps advance that clock. Loopback only, free ports, temp dirs;
// every wait is a bounded poll, never a timing assertion.
//
// The scenario:
//   * 300 patients in NY, IL, CA and FL (75 each) with mixed consent: SMS and
//     email, SMS only, email only, none, one who revoked everything; three
//     landlines ("Home Phone" only, each with SMS consent on file, one with an
//     email address too), patients with only an email address and patients
//     with only a cell.
//   * Step 1 "sms>email:0" at 2025-11-26T01:30Z: 20:30 in New York (sent),
//     19:30 in Chicago (sent), 17:30 in San Francisco (sent), 20:30 in Miami
//     (Florida's window closes at 20:00: deferred to 08:00).
//   * After step 1, one IL patient who got the SMS texts STOP through fakesmsc.
//   * Step 2 "sms:24" the next day.
// Then it asserts exactly who got what where, the quiet hours of every send,
// that the STOP stopped everything later, the delivery reports (fakesmsc does
// produce Kannel DLRs: every SMS ends "delivered"), and the campaign report's
// counts. The server's webhook answers the STOP with the CTIA reply, which
// Kannel sends back (sms-service max-messages = 1): fakesmsc receives it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "campaigns/campaigns.h"
#include "channels/kannel/kannel_channel.h"
#include "channels/smtp/smtp_channel.h"
#include "channels/testing/kannel_harness.h"
#include "channels/testing/smtp_sink.h"
#include "consent/consent.h"
#include "channels/kannel/kannel_callbacks.h"
#include "dispatch/worker.h"
#include "engine/engine_testing.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "reports/report.h"
#include "scanner/scanner_testing.h"
#include "server/server.h"

namespace recall {
namespace {

using channels::testing::FakeSmscMt;
using channels::testing::KannelHarness;
using channels::testing::SmtpSink;
using std::chrono::hours;
using std::chrono::seconds;

constexpr auto kWait = std::chrono::seconds(60);  // a bound on every poll, never an expectation
constexpr char kPracticeNumber[] = "+12175550100";  // AddPracticeWithBaaForTest's (217) 555-0100
constexpr char kKannelSecret[] = "e2e-kannel-webhook-secret";
constexpr char kStopReply[] = "You have been unsubscribed";  // the CTIA opt-out reply (inbound/replies.cc)
constexpr int kPatients = 300;

// Step-1 and step-2 texts are told apart by these phrases.
constexpr char kStep1Marker[] = "misses you";
constexpr char kStep2Marker[] = "still has openings";
constexpr char kSms1[] =
    "Hi {{first_name}}, {{practice_name}} misses you. {{provider_name}} has openings. Call {{practice_phone}}. "
    "Reply STOP to opt out.";
constexpr char kSms2[] =
    "{{practice_name}}: {{first_name}}, {{provider_name}} still has openings this week. Call {{practice_phone}}. "
    "Reply STOP to opt out.";
constexpr char kEmailSubject[] = "{{practice_name}} misses you";
constexpr char kEmailBody[] =
    "<p>Hi {{first_name}}, {{practice_name}} misses you. {{provider_name}} has openings. Call "
    "{{practice_phone}}.</p><p>{{practice_address}}</p><p><a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";

// ------------------------------------------------------------ the patients

struct StateInfo {
  const char* state;
  const char* zip;
  const char* area_code;
  // The UTC offset of the state's zone (the ZIPs below are all in one zone)
  // from 2025-11-02 to 2026-03-08: no DST change inside this test's days.
  int utc_offset_hours;
  int window_end_hour;  // federal 21:00; Florida 20:00
};
constexpr StateInfo kStates[] = {
    {"NY", "10001", "212", -5, 21},  // New York
    {"IL", "60601", "312", -6, 21},  // Chicago
    {"CA", "94103", "415", -8, 21},  // San Francisco
    {"FL", "33101", "305", -5, 20},  // Miami (ZIP3 331: Eastern)
};

struct SynthPatient {
  std::string external_id;
  std::string first_name, last_name;
  const StateInfo* where = nullptr;
  std::string cell_e164, home_e164, email;  // "" when absent
  bool sms_consent = false, email_consent = false, revoked = false;
  std::string patient_id;  // after import
};

// "+13125550101" -> "(312) 555-0101"
std::string UsFormat(const std::string& e164) {
  return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8, 4);
}

std::vector<SynthPatient> MakePatients() {
  static const char* kFirst[] = {"Avery",  "Blake",  "Casey",  "Devon", "Emery",  "Finley", "Harper", "Jordan", "Kendall",
                                 "Logan",  "Morgan", "Parker", "Quinn", "Reese",  "Rowan",  "Sawyer", "Taylor", "Wren"};
  static const char* kLast[] = {"Ashford", "Brightwater", "Calloway", "Dunmore",
                                "Ellsworth", "Fairbanks", "Greystone", "Holloway"};
  std::vector<SynthPatient> out;
  for (int idx = 0; idx < kPatients; ++idx) {
    SynthPatient p;
    char id[32];
    std::snprintf(id, sizeof(id), "E2E-%03d", idx);
    p.external_id = id;
    p.first_name = kFirst[idx % 18];
    p.last_name = kLast[idx % 8];
    p.where = &kStates[idx % 4];
    char number[64];
    std::snprintf(number, sizeof(number), "+1%s555%04d", p.where->area_code, 100 + idx / 4);  // 555-0100..0174
    const bool landline = idx == 13 || idx == 14 || idx == 201;
    const bool email_only = idx % 20 == 6;
    const bool cell_only = idx % 20 == 9;
    if (landline) {
      p.home_e164 = number;
    } else if (!email_only) {
      p.cell_e164 = number;
    }
    if (!cell_only && idx != 13 && idx != 201) p.email = "patient" + std::to_string(idx) + "@example.com";
    switch (idx % 7) {
      case 0: case 1: case 2: case 3: p.sms_consent = p.email_consent = true; break;
      case 4: p.sms_consent = true; break;
      case 5: p.email_consent = true; break;
      default: break;  // none
    }
    if (idx == 13 || idx == 201) p.sms_consent = true;  // consent on file, but a landline never gets SMS
    const bool has_phone = !p.cell_e164.empty() || !p.home_e164.empty();
    p.sms_consent = p.sms_consent && has_phone;
    p.email_consent = p.email_consent && !p.email.empty();
    p.revoked = idx == 22;  // granted SMS and email, then revoked everything
    out.push_back(p);
  }
  return out;
}

std::string CsvOf(const std::vector<SynthPatient>& patients) {
  std::string csv =
      "Pt. ID,First Name,Last Name,Cell Phone,Home Phone,E-mail Address,State,Zip,Language,Status,Provider\n";
  for (const auto& p : patients) {
    csv += p.external_id + "," + p.first_name + "," + p.last_name + "," +
           (p.cell_e164.empty() ? "" : UsFormat(p.cell_e164)) + "," +
           (p.home_e164.empty() ? "" : UsFormat(p.home_e164)) + "," + p.email + "," + p.where->state + "," +
           p.where->zip + ",en,lapsed,Dr. Reyes\n";
  }
  return csv;
}

// What the planner should decide, from the patient's own attributes.
struct Expected {
  std::string decision;  // "planned" | "skipped"
  std::string channel;   // when planned
  std::string reason;    // when skipped
};

bool SmsUsable(const SynthPatient& p) { return !p.cell_e164.empty() && p.sms_consent && !p.revoked; }
bool EmailUsable(const SynthPatient& p) { return !p.email.empty() && p.email_consent && !p.revoked; }

// The planner's reason when SMS (the primary channel) cannot be used.
std::string SmsSkipReason(const SynthPatient& p, bool opted_out) {
  if (p.revoked || opted_out) return "opted_out";
  if (p.cell_e164.empty()) return "no_channel";  // no phone, or a landline (see LandlineReasonOk)
  return "no_consent";
}

Expected ExpectStep1(const SynthPatient& p) {
  if (SmsUsable(p)) return {"planned", "sms", ""};
  if (EmailUsable(p)) return {"planned", "email", ""};
  return {"skipped", "", SmsSkipReason(p, false)};
}

Expected ExpectStep2(const SynthPatient& p, bool stopped) {
  if (SmsUsable(p) && !stopped) return {"planned", "sms", ""};
  return {"skipped", "", SmsSkipReason(p, stopped)};
}

// planner.h documents a landline for SMS as "invalid_contact"; planner.cc
// answers "no_channel" (a line that is not mobile is no SMS channel). Either
// is an honest skip; the test pins that it is a skip, not which code.
bool ReasonMatches(const SynthPatient& p, const std::string& want, const std::string& got) {
  if (!p.home_e164.empty() && want == "no_channel") return got == "no_channel" || got == "invalid_contact";
  return got == want;
}

// Seconds since local midnight at `t` for a patient in `where`.
int64_t LocalSecondOfDay(TimePoint t, const StateInfo& where) {
  const int64_t secs = std::chrono::duration_cast<seconds>(t.time_since_epoch()).count() +
                       int64_t{where.utc_offset_hours} * 3600;
  return ((secs % 86400) + 86400) % 86400;
}

// ------------------------------------------------------------ the channels

class RealChannels final : public dispatch::ChannelSource {
 public:
  StatusOr<channels::Channel*> ChannelFor(const std::string&, const std::string& channel) override {
    if (channel == "sms" && sms != nullptr) return sms.get();
    if (channel == "email" && email != nullptr) return email.get();
    return NotFoundError("no transport for " + channel);
  }
  dispatch::RateLimit RateFor(const std::string&, const std::string&) override { return {100.0, 100}; }

  std::unique_ptr<channels::Channel> sms;
  std::unique_ptr<channels::Channel> email;
};

// "Message-ID: <msg_...@maple.example>" -> "<msg_...@maple.example>"; "" when absent.
std::string MessageIdOf(const std::string& raw) {
  const std::string key = "\nMessage-ID: ";
  const size_t at = raw.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  const size_t end = raw.find("\r\n", start);
  return raw.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// ------------------------------------------------------------ the test

class DispatchE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scanner_ = scanner::SharedScannerForTest(); }

  void TearDown() override {
    if (HasFailure() && harness_ != nullptr) std::cerr << harness_->LogTailsForTest();
    if (harness_ != nullptr) harness_->Stop();  // Kannel first: it may still call the server
    // Stop() before the accept loop has started is lost: repeat it until Serve returns.
    while (server_ != nullptr && serving_.joinable() && !served_.load()) {
      server_->Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (serving_.joinable()) serving_.join();
  }

  // Starts `recall serve`'s HTTP server in-process on a free loopback port,
  // on the test's engine (so on its FakeClock), with the Kannel webhook secret.
  void StartServer() {
    server::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.run_worker = false;  // the test drives the worker itself
    options.kannel_secret = kKannelSecret;
    auto server = server::Server::Create(
        *engine_, [] { return StatusOr<const scanner::Scanner*>(scanner_); }, options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    serving_ = std::thread([this] {
      serve_status_ = server_->Serve();
      served_.store(true);
    });
  }

  // The server's answers on one route template, by HTTP status (its /metrics).
  std::map<std::string, int64_t> Answers(const std::string& route) {
    server::HttpRequest req;
    req.method = "GET";
    req.path = req.raw_target = "/metrics";
    req.remote_addr = "127.0.0.1";
    const server::HttpResponse res = server_->Handle(req);
    std::map<std::string, int64_t> out;
    const std::string prefix = "recall_http_requests_total{route=\"" + route + "\",method=\"GET\",status=\"";
    std::istringstream lines(res.body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      const size_t quote = line.find('"', prefix.size());
      out[line.substr(prefix.size(), quote - prefix.size())] += std::stoll(line.substr(line.rfind(' ') + 1));
    }
    return out;
  }

  // Runs the worker, moving the clock to each deferred message's time, until
  // nothing is queued or the next due time is at or after `until`. Messages
  // held by a cap or a window each wake at their own instant, so this can take
  // one round per message.
  void RunThrough(dispatch::Worker& worker, TimePoint until) {
    for (int round = 0; round < 4 * kPatients; ++round) {
      ++rounds_;
      auto stats = worker.RunUntilIdle();
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      stats_.Add(*stats);
      auto next = engine_->store().outbox().NextDue();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (*next == TimePoint{} || *next >= until) return;
      if (*next > engine_.clock().Now()) engine_.clock().Set(*next);
    }
    FAIL() << "the outbox did not settle in " << 4 * kPatients << " rounds";
  }

  std::vector<store::OutboxRow> Rows(const std::string& campaign) {
    std::vector<store::OutboxRow> all;
    std::string after;
    for (;;) {
      auto page = engine_->store().outbox().ListByCampaign(practice_, campaign, after, 500);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) return all;
      after = page->back().message_id;
      all.insert(all.end(), page->begin(), page->end());
    }
  }

  // Polls until every sent SMS row has a "delivered" report, or kWait passes.
  bool WaitForSmsDelivered(const std::string& campaign) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const auto& row : Rows(campaign)) {
        if (row.channel == "sms" && row.state == store::kOutboxSent && row.delivery != "delivered") all = false;
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static const scanner::Scanner* scanner_;
  engine::TestEngine engine_;
  std::string practice_;
  std::unique_ptr<server::Server> server_;  // outlives the harness
  std::thread serving_;
  Status serve_status_;
  std::atomic<bool> served_{false};
  std::unique_ptr<KannelHarness> harness_;
  std::unique_ptr<SmtpSink> sink_;
  RealChannels channels_;
  dispatch::WorkerStats stats_;
  int rounds_ = 0;
};
const scanner::Scanner* DispatchE2eTest::scanner_ = nullptr;

TEST_F(DispatchE2eTest, TwoStepCampaignOverRealSmtpAndKannel) {
  if (!KannelHarness::KannelInstalled()) GTEST_SKIP() << "kannel / kannel-extras not installed";
  ASSERT_NE(scanner_, nullptr);
  ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();

  // --- The practice, its vendors, settings and templates.
  auto practice = practices::AddPracticeWithBaaForTest(engine_);
  ASSERT_TRUE(practice.ok()) << practice.status().ToString();
  practice_ = *practice;
  ASSERT_TRUE(planner::AddVendorsForTest(engine_, practice_, {"sms", "email"}).ok());
  ASSERT_TRUE(practices::UpdateSettings(*engine_, practice_, R"({"public_base_url":"https://outreach.example"})").ok());
  for (const campaigns::TemplateInput& tpl : std::vector<campaigns::TemplateInput>{
           {practice_, "e2e-sms-1", "sms", 1, "outreach", "en", "", kSms1},
           {practice_, "e2e-email-1", "email", 1, "outreach", "en", kEmailSubject, kEmailBody},
           {practice_, "e2e-sms-2", "sms", 1, "outreach", "en", "", kSms2},
       }) {
    auto added = campaigns::AddTemplate(*engine_, *scanner_, tpl);
    ASSERT_TRUE(added.ok()) << tpl.name << ": " << added.status().ToString();
  }

  // --- The patients and their consent.
  std::vector<SynthPatient> patients = MakePatients();
  std::vector<std::string> external_ids;
  for (const auto& p : patients) external_ids.push_back(p.external_id);
  auto ids = planner::ImportForTest(engine_, practice_, CsvOf(patients), external_ids);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), patients.size());
  std::map<std::string, const SynthPatient*> by_id;
  for (size_t idx = 0; idx < patients.size(); ++idx) {
    SynthPatient& p = patients[idx];
    p.patient_id = (*ids)[idx];
    by_id[p.patient_id] = &p;
    if (p.sms_consent || p.revoked) {
      ASSERT_TRUE(planner::GrantForTest(engine_, practice_, p.patient_id, consent::Channel::kSms).ok()) << p.external_id;
    }
    if (p.email_consent || p.revoked) {
      ASSERT_TRUE(planner::GrantForTest(engine_, practice_, p.patient_id, consent::Channel::kEmail).ok())
          << p.external_id;
    }
    if (p.revoked) {
      consent::RevokeRequest revoke;
      revoke.practice_id = practice_;
      revoke.patient = p.patient_id;
      revoke.source = consent::Source::kStaffVerbal;
      revoke.evidence = "patient asked at the front desk to stop all messages (synthetic)";
      ASSERT_TRUE(consent::ConsentVault(*engine_).Revoke(revoke).ok());
    }
  }

  // --- The real peers and the real channels.
  sink_ = [] {
    auto sink = SmtpSink::Start({});
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }();
  ASSERT_NE(sink_, nullptr);
  StartServer();
  ASSERT_NE(server_, nullptr);
  const std::string webhooks = server_->url() + "/v1/webhooks/kannel/" + kKannelSecret;
  channels::testing::KannelHarnessOptions kannel_options;
  kannel_options.mo_get_url = webhooks + "/sms?" + std::string(channels::kInboundGetUrlQuery);
  kannel_options.reply_with_answer = true;  // the webhook's answer is the CTIA reply
  auto harness = KannelHarness::Start(kannel_options);
  ASSERT_TRUE(harness.ok()) << harness.status().ToString();
  harness_ = std::move(harness).value();

  channels::SmtpOptions smtp;
  smtp.host = "127.0.0.1";
  smtp.port = sink_->port();
  smtp.tls = channels::SmtpTls::kNone;
  auto email_channel = channels::NewSmtpChannel(smtp, engine_.clock());
  ASSERT_TRUE(email_channel.ok()) << email_channel.status().ToString();
  channels_.email = std::move(email_channel).value();
  channels::KannelConfig kannel;
  kannel.sendsms_url = harness_->SendsmsUrl();
  kannel.username = harness_->username();
  kannel.password = harness_->password();
  kannel.from = kPracticeNumber;
  kannel.dlr_url_base = webhooks + "/dlr";
  auto sms_channel = channels::NewKannelChannel(kannel);
  ASSERT_TRUE(sms_channel.ok()) << sms_channel.status().ToString();
  channels_.sms = std::move(sms_channel).value();

  // --- The campaign, started at 20:30 in New York and Miami.
  const TimePoint t0 = *ParseRfc3339("2025-11-26T01:30:00Z");
  engine_.clock().Set(t0);
  campaigns::CampaignInput input;
  input.practice_id = practice_;
  input.name = "Lapsed patients, two touches";
  input.kind = "re-engagement";
  input.purpose = "outreach";
  input.segment_json = R"({"status":"lapsed"})";
  for (const char* spec : {"sms>email:0:e2e-sms-1,e2e-email-1", "sms:24:e2e-sms-2"}) {
    auto step = campaigns::ParseStepSpec(spec);
    ASSERT_TRUE(step.ok()) << spec << ": " << step.status().ToString();
    input.steps.push_back(*step);
  }
  input.start = "2025-11-20T09:00";  // in the past: the campaign starts now
  input.window = "08:00-21:00";      // no narrower than the law's
  auto campaign_id = planner::ApprovedCampaignForTest(engine_, input, *scanner_);
  ASSERT_TRUE(campaign_id.ok()) << campaign_id.status().ToString();
  const std::string campaign = *campaign_id;
  auto run = planner::StartCampaign(*engine_, practice_, campaign);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->step_due_ms.size(), 2u);
  const TimePoint step2_due = TimePoint(std::chrono::milliseconds(run->step_due_ms[1]));
  ASSERT_EQ(step2_due - TimePoint(std::chrono::milliseconds(run->step_due_ms[0])), hours(24));

  dispatch::WorkerOptions options;
  options.worker_id = "w-e2e";
  options.sleep = [this](std::chrono::nanoseconds d) { engine_.clock().Advance(d); };
  dispatch::Worker worker(*engine_, *scanner_, channels_, options);

  // --- Step 1: now, then the Florida patients at 08:00 their time.
  RunThrough(worker, step2_due);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_LT(engine_.clock().Now(), step2_due);

  std::map<std::string, Expected> want1;  // by patient id
  std::vector<std::string> want_mts;      // "to|step"
  for (const auto& p : patients) {
    want1[p.patient_id] = ExpectStep1(p);
    if (want1[p.patient_id].channel == "sms") want_mts.push_back(p.cell_e164 + "|1");
  }
  ASSERT_TRUE(harness_->WaitForMts(want_mts.size(), kWait))
      << harness_->MtsReceived().size() << " of " << want_mts.size() << " MTs";
  ASSERT_TRUE(WaitForSmsDelivered(campaign)) << "step-1 delivery reports did not all arrive";

  // --- STOP through fakesmsc from an IL patient who got the step-1 SMS and
  // also has email consent.
  const SynthPatient* stopper = nullptr;
  for (const auto& p : patients) {
    if (want1[p.patient_id].channel == "sms" && EmailUsable(p) && std::string(p.where->state) == "IL") {
      stopper = &p;
      break;
    }
  }
  ASSERT_NE(stopper, nullptr);
  ASSERT_TRUE(harness_->InjectMo(stopper->cell_e164, kPracticeNumber, "STOP").ok());
  const auto stop_deadline = std::chrono::steady_clock::now() + kWait;
  bool revoked = false;
  while (!revoked && std::chrono::steady_clock::now() < stop_deadline) {
    auto check = consent::ConsentVault(*engine_).Check(practice_, stopper->patient_id, consent::Channel::kSms,
                                                        consent::Purpose::kOutreach, "", engine_.clock().Now());
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    revoked = !check->allowed();
    if (!revoked) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(revoked) << "the STOP did not reach Recall within " << kWait.count() << " s";
  auto email_check = consent::ConsentVault(*engine_).Check(practice_, stopper->patient_id, consent::Channel::kEmail,
                                                            consent::Purpose::kOutreach, "", engine_.clock().Now());
  ASSERT_TRUE(email_check.ok());
  EXPECT_FALSE(email_check->allowed()) << "a STOP revokes every channel";
  const TimePoint stop_at = engine_.clock().Now();
  {
    // The CTIA reply went back through Kannel to the patient's phone (so the
    // webhook has answered: its metrics are counted before the answer goes out).
    ASSERT_TRUE(harness_->WaitForMts(want_mts.size() + 1, kWait)) << "no reply to the STOP reached fakesmsc";
    int replies = 0;
    for (const FakeSmscMt& mt : harness_->MtsReceived()) {
      if (mt.text.find(kStopReply) == std::string::npos) continue;
      ++replies;
      EXPECT_EQ(mt.to, stopper->cell_e164);
      EXPECT_EQ(mt.from, kPracticeNumber);
      EXPECT_NE(mt.text.find("Maple Family Dental"), std::string::npos) << mt.text;
    }
    EXPECT_EQ(replies, 1);
    // The webhook answered once, 200, and recorded the STOP as the stopper's
    // opt-out, attributed to the campaign.
    EXPECT_EQ(Answers("/v1/webhooks/kannel/{secret}/sms"), (std::map<std::string, int64_t>{{"200", 1}}));
    auto inbound = engine_->store().runs().InboundSince(practice_, stopper->patient_id, t0);
    ASSERT_TRUE(inbound.ok()) << inbound.status().ToString();
    ASSERT_EQ(inbound->size(), 1u);
    EXPECT_EQ((*inbound)[0].kind, "opt_out");
    EXPECT_EQ((*inbound)[0].channel, "sms");
    EXPECT_EQ((*inbound)[0].campaign_id, campaign);
    // consent.revoked_all: one revocation of every channel and purpose, by the webhook.
    int revoked_all = 0;
    ASSERT_TRUE(engine_->store()
                    .audit()
                    .Scan(1,
                          [&](const audit::AuditRecord& r) {
                            if (r.action == "consent.revoke" && r.actor == "webhook:kannel" &&
                                r.details_json.find("\"channel\":\"all\"") != std::string::npos) {
                              ++revoked_all;
                            }
                            return true;
                          })
                    .ok());
    EXPECT_EQ(revoked_all, 1);
  }

  // --- Step 2, a day after step 1.
  engine_.clock().Set(step2_due);
  RunThrough(worker, step2_due + hours(24 * 30));
  ASSERT_FALSE(HasFatalFailure());

  std::map<std::string, Expected> want2;
  for (const auto& p : patients) {
    want2[p.patient_id] = ExpectStep2(p, &p == stopper);
    if (want2[p.patient_id].channel == "sms") want_mts.push_back(p.cell_e164 + "|2");
  }
  ASSERT_TRUE(harness_->WaitForMts(want_mts.size() + 1, kWait))  // + the reply to the STOP
      << harness_->MtsReceived().size() << " of " << want_mts.size() + 1 << " MTs";
  ASSERT_TRUE(WaitForSmsDelivered(campaign)) << "step-2 delivery reports did not all arrive";

  // ================================================================ asserts
  // --- The plan: one entry per patient per step, as the model says.
  std::map<int, std::map<std::string, int64_t>> want_skipped, want_channels;
  for (int step : {0, 1}) {
    auto plan = engine_->store().runs().ListPlan(practice_, campaign, step, "");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_EQ(plan->size(), patients.size()) << "step " << step;
    for (const auto& entry : *plan) {
      const SynthPatient& p = *by_id.at(entry.patient_id);
      const Expected& want = step == 0 ? want1[p.patient_id] : want2[p.patient_id];
      EXPECT_EQ(entry.decision, want.decision) << p.external_id << " step " << step << " " << entry.reason;
      if (want.decision == "planned") {
        EXPECT_EQ(entry.channel, want.channel) << p.external_id << " step " << step;
        ++want_channels[step][want.channel];
      } else {
        EXPECT_TRUE(ReasonMatches(p, want.reason, entry.reason))
            << p.external_id << " step " << step << ": " << entry.reason << ", want " << want.reason;
        ++want_skipped[step][entry.reason];
      }
    }
  }
  // The STOP came before step 2 was planned: skipped at planning.
  auto stopper_plan = engine_->store().runs().PlanFor(practice_, campaign, stopper->patient_id);
  ASSERT_TRUE(stopper_plan.ok());
  ASSERT_EQ(stopper_plan->size(), 2u);
  EXPECT_EQ((*stopper_plan)[1].decision, "skipped");
  EXPECT_EQ((*stopper_plan)[1].reason, "opted_out");

  // --- The outbox: every planned message sent, each once, in its window.
  const std::vector<store::OutboxRow> rows = Rows(campaign);
  std::map<std::string, const store::OutboxRow*> by_provider_id;
  int64_t sent = 0, delivered = 0, deferred_rows = 0, fl_step_rows = 0;
  for (const auto& row : rows) {
    const SynthPatient& p = *by_id.at(row.patient_id);
    const Expected& want = row.step == 0 ? want1[p.patient_id] : want2[p.patient_id];
    EXPECT_EQ(row.channel, want.channel) << p.external_id << " step " << row.step;
    ASSERT_EQ(row.state, store::kOutboxSent) << p.external_id << " step " << row.step << " " << row.last_reason;
    ++sent;
    by_provider_id[row.provider_id] = &row;
    // Consent at the moment of sending: the channel was consented to, never
    // to the revoked patient, never to the STOP patient after the STOP.
    EXPECT_TRUE(row.channel == "sms" ? SmsUsable(p) : EmailUsable(p)) << p.external_id;
    EXPECT_FALSE(row.channel == "sms" && p.cell_e164.empty()) << "SMS to a landline or no phone: " << p.external_id;
    if (&p == stopper) {
      EXPECT_LT(row.sent_at, stop_at);
    }
    // Quiet hours in the recipient's own zone, from the patient's state.
    const int64_t local = LocalSecondOfDay(row.sent_at, *p.where);
    EXPECT_GE(local, 8 * 3600) << p.external_id << " step " << row.step << " sent at " << FormatRfc3339Millis(row.sent_at);
    EXPECT_LT(local, p.where->window_end_hour * 3600)
        << p.external_id << " step " << row.step << " sent at " << FormatRfc3339Millis(row.sent_at);
    // 20:30 in Miami at each step's due time: every Florida message waited.
    if (std::string(p.where->state) == "FL") {
      ++fl_step_rows;
      EXPECT_GE(row.defers, 1) << p.external_id;
      EXPECT_GT(row.sent_at, row.step == 0 ? t0 : step2_due) << p.external_id;
    } else if (row.step == 0) {
      EXPECT_EQ(row.defers, 0) << p.external_id;  // inside every window at 01:30Z
    }
    if (row.defers > 0) ++deferred_rows;
    if (row.channel == "sms") {
      EXPECT_EQ(row.provider_id, row.message_id);  // the client reference
      EXPECT_EQ(row.delivery, "delivered") << p.external_id;
      ++delivered;
    } else {
      EXPECT_EQ(row.provider_id, "<" + row.message_id + "@maple.example>");
      EXPECT_EQ(row.delivery, "");  // SMTP gives no delivery report
    }
  }
  int64_t want_rows = 0;
  for (int step : {0, 1}) {
    for (const auto& [channel, n] : want_channels[step]) want_rows += n;
  }
  EXPECT_EQ(static_cast<int64_t>(rows.size()), want_rows);
  EXPECT_GT(fl_step_rows, 0);

  // --- fakesmsc: exactly the expected MTs, to mobiles with SMS consent.
  std::vector<std::string> got_mts;
  for (const FakeSmscMt& mt : harness_->MtsReceived()) {
    if (mt.text.find(kStopReply) != std::string::npos) continue;  // the CTIA reply, checked above
    const bool first = mt.text.find(kStep1Marker) != std::string::npos;
    const bool second = mt.text.find(kStep2Marker) != std::string::npos;
    EXPECT_NE(first, second) << "an MT that is neither step's text";
    EXPECT_EQ(mt.from, kPracticeNumber);
    EXPECT_EQ(mt.text.find("{{"), std::string::npos);
    got_mts.push_back(mt.to + (first ? "|1" : "|2"));
  }
  EXPECT_THAT(got_mts, ::testing::UnorderedElementsAreArray(want_mts));
  EXPECT_EQ(std::count(got_mts.begin(), got_mts.end(), stopper->cell_e164 + "|2"), 0);
  EXPECT_EQ(std::count(got_mts.begin(), got_mts.end(), stopper->cell_e164 + "|1"), 1);

  // --- The SMTP sink: exactly the expected emails, matched by Message-ID.
  std::set<std::string> want_email_patients, got_email_patients;
  for (const auto& p : patients) {
    if (want1[p.patient_id].channel == "email") want_email_patients.insert(p.patient_id);
  }
  const std::vector<SmtpSink::Arrived> arrived = sink_->Messages();
  for (const auto& mail : arrived) {
    const std::string message_id = MessageIdOf(mail.raw);
    auto row = by_provider_id.find(message_id);
    ASSERT_NE(row, by_provider_id.end()) << "an email the outbox did not send: " << mail.path;
    EXPECT_EQ(row->second->channel, "email");
    const SynthPatient& p = *by_id.at(row->second->patient_id);
    const nlohmann::json envelope = nlohmann::json::parse(mail.envelope, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(envelope.is_object()) << mail.path;
    EXPECT_EQ(envelope.value("rcpt_tos", nlohmann::json()), nlohmann::json::array({p.email})) << p.external_id;
    EXPECT_NE(mail.raw.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), std::string::npos);
    EXPECT_TRUE(got_email_patients.insert(p.patient_id).second) << "two emails to " << p.external_id;
  }
  EXPECT_EQ(got_email_patients, want_email_patients);
  EXPECT_EQ(want_email_patients.count(stopper->patient_id), 0u);
  EXPECT_EQ(static_cast<int64_t>(arrived.size() + got_mts.size()), sent);

  // --- The callbacks: every report answered 200 by the server's webhook (none
  // refused, none failed), at least one per delivered SMS, and every delivered
  // message recorded as such (the outbox rows above). The server retries a
  // report that overtook the worker's "sent" itself.
  const std::map<std::string, int64_t> dlr_answers = Answers("/v1/webhooks/kannel/{secret}/dlr");
  EXPECT_EQ(dlr_answers.size(), 1u) << "a delivery report was not answered 200";
  EXPECT_GE(dlr_answers.count("200") != 0 ? dlr_answers.at("200") : 0, delivered);
  int64_t recorded_delivered = 0;
  for (const auto& row : rows) {
    if (row.channel == "sms" && row.delivery == "delivered") ++recorded_delivered;
  }
  EXPECT_EQ(recorded_delivered, delivered);

  // --- The report agrees with all of the above.
  auto report = reports::BuildReport(*engine_, practice_, campaign);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->state, "completed");
  EXPECT_EQ(report->targeted, kPatients);
  EXPECT_EQ(report->planned, want_rows);
  EXPECT_EQ(report->sent, sent);
  EXPECT_EQ(report->delivered, delivered);
  EXPECT_EQ(report->deferred, deferred_rows);
  EXPECT_EQ(report->queued, 0);
  EXPECT_EQ(report->in_flight, 0);
  EXPECT_EQ(report->failed, 0);
  EXPECT_EQ(report->cancelled, 0);
  EXPECT_EQ(report->undeliverable, 0);
  EXPECT_EQ(report->replies, 1);
  EXPECT_EQ(report->opt_outs, 1);
  std::map<std::string, int64_t> skipped_total;
  for (int step : {0, 1}) {
    for (const auto& [reason, n] : want_skipped[step]) skipped_total[reason] += n;
  }
  EXPECT_EQ(report->skipped, skipped_total);
  ASSERT_EQ(report->steps.size(), 2u);
  for (int step : {0, 1}) {
    EXPECT_EQ(report->steps[step].considered, kPatients) << step;
    EXPECT_EQ(report->steps[step].channels, want_channels[step]) << step;
    EXPECT_EQ(report->steps[step].skipped, want_skipped[step]) << step;
  }
  EXPECT_EQ(stats_.sent, sent);
  EXPECT_EQ(stats_.failed, 0);
  EXPECT_EQ(stats_.cancelled, 0);

  std::cout << "[ e2e ] " << kPatients << " patients; step 1: " << want_channels[0]["sms"] << " sms, "
            << want_channels[0]["email"] << " email; step 2: " << want_channels[1]["sms"] << " sms; deferred "
            << deferred_rows << "; worker rounds " << rounds_ << "; delivery reports answered by the server: "
            << (dlr_answers.count("200") != 0 ? dlr_answers.at("200") : 0) << "\n";
}

}  // namespace
}  // namespace recall
