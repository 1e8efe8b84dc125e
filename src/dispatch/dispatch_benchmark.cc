// Dispatch throughput (issue 5): the worker's own cost per message (claim ->
// gate -> render -> scan -> rate limit -> send -> mark sent, each outcome and
// gate decision audited) and what a real sink adds. `make bench` runs it.
//
//   BM_Dispatch/null_email, null_sms   an in-process channel that only counts:
//                                      pure engine overhead
//   BM_Dispatch/smtp_aiosmtpd          email over SMTP (libcurl, plain, one
//                                      connection per message) to the aiosmtpd
//                                      sink of the channel tests
//   BM_Dispatch/kannel                 SMS through the real Kannel: smsbox's
//                                      sendsms -> bearerbox -> fakesmsc
//
// Set-up (not timed): a practice with a BAA, `kPatients` synthetic patients
// with their consent columns (care consent), vendors with BAAs, approved en/es
// templates, a started care campaign with one step on the measured channel,
// planned (PlanStep). The clock is a FakeClock at 18:00Z (12:00 in the
// practice's Chicago; inside every US recipient's calling window) and the rate
// limit is 1,000,000/s, so nothing is deferred or throttled. Timed:
// Worker::RunUntilIdle() until every planned message is sent. items/s and
// "us_per_msg" are per sent message, wall clock; the sink's share is the
// difference between a real sink and the null channel on the same channel.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "campaigns/campaigns.h"
#include "channels/kannel/kannel_callbacks.h"
#include "channels/kannel/kannel_channel.h"
#include "channels/smtp/smtp_channel.h"
#include "channels/testing/http_recorder.h"
#include "channels/testing/kannel_harness.h"
#include "channels/testing/smtp_sink.h"
#include "dispatch/worker.h"
#include "engine/engine_testing.h"
#include "patients/synthetic.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner.h"

namespace recall::dispatch {
namespace {

constexpr int64_t kPatients = 3000;

constexpr char kSmsEn[] =
    "Hi {{first_name}}, {{practice_name}} has openings. Call {{practice_phone}} to book. Reply STOP to opt out.";
constexpr char kSmsEs[] =
    "Hola {{first_name}}, {{practice_name}} tiene citas. Llame al {{practice_phone}}. Responda STOP para no recibir "
    "mensajes.";
constexpr char kEmailEn[] =
    "<p>Hi {{first_name}},</p><p>{{practice_name}} has openings next week. Call us at {{practice_phone}}.</p>"
    "<p>{{practice_name}} &middot; {{practice_address}}<br><a href=\"{{unsubscribe_link}}\">Unsubscribe</a></p>";
constexpr char kEmailEs[] =
    "<p>Hola {{first_name}},</p><p>{{practice_name}} tiene citas la semana que viene. Llame al "
    "{{practice_phone}}.</p><p>{{practice_name}} &middot; {{practice_address}}<br>"
    "<a href=\"{{unsubscribe_link}}\">Cancelar la suscripción</a></p>";

// Counts and accepts: the engine's overhead without any sink.
class NullChannel final : public channels::Channel {
 public:
  std::string_view name() const override { return "null"; }
  StatusOr<channels::Receipt> Send(const channels::OutboundMessage& m) override {
    sent_.fetch_add(1, std::memory_order_relaxed);
    return channels::Receipt{m.message_id, ""};
  }

 private:
  std::atomic<int64_t> sent_{0};
};

// Every channel name to one transport, at a rate that never throttles.
class OneChannel final : public ChannelSource {
 public:
  explicit OneChannel(channels::Channel* channel) : channel_(channel) {}
  StatusOr<channels::Channel*> ChannelFor(const std::string&, const std::string&) override { return channel_; }
  RateLimit RateFor(const std::string&, const std::string&) override { return RateLimit{1'000'000, 1'000'000}; }

 private:
  channels::Channel* channel_;
};

const scanner::Scanner& SharedScanner() {
  static const std::unique_ptr<scanner::Scanner> scanner = [] {
    auto created = scanner::Scanner::Create(scanner::ScannerOptions{});
    if (!created.ok()) std::abort();
    return std::move(created).value();
  }();
  return *scanner;
}

// A practice, its patients, and a started, planned campaign on `channel`.
// Returns the number of messages planned.
StatusOr<int64_t> SetUp(engine::TestEngine& engine, const std::string& channel) {
  const scanner::Scanner& scanner = SharedScanner();
  engine.clock().Set(TimePoint(std::chrono::seconds(1764093600)));  // 2025-11-25T18:00:00Z
  ASSIGN_OR_RETURN(std::string p, practices::AddPracticeWithBaaForTest(engine, "Bench Dental"));
  {
    std::stringstream csv;
    patients::SyntheticOptions o;
    o.rows = kPatients;
    o.seed = 7;
    o.with_clinical_columns = false;
    o.with_consent_columns = true;
    patients::WriteSyntheticCsv(csv, o);
    std::vector<patients::ImportedConsent> consents;
    ASSIGN_OR_RETURN(auto report, patients::ImportCsv(*engine, p, csv, {}, &consents));
    (void)report;
    // As `recall import` does: the consent columns become care consent records.
    RETURN_IF_ERROR(consent::ConsentVault(*engine).ApplyImported(p, consents).status());
  }
  RETURN_IF_ERROR(planner::AddVendorsForTest(engine, p, {"sms", "email"}));
  RETURN_IF_ERROR(practices::UpdateSettings(*engine, p, R"({"public_base_url":"https://outreach.example"})").status());
  std::string spec;
  if (channel == "sms") {
    RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner, {p, "sms-en", "sms", 1, "care", "en", "", kSmsEn}).status());
    RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner, {p, "sms-es", "sms", 1, "care", "es", "", kSmsEs}).status());
    spec = "sms:0:sms-en,sms-es";
  } else {
    RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner,
                                           {p, "email-en", "email", 1, "care", "en", "News from {{practice_name}}",
                                            kEmailEn})
                        .status());
    RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner,
                                           {p, "email-es", "email", 1, "care", "es", "Noticias de {{practice_name}}",
                                            kEmailEs})
                        .status());
    spec = "email:0:email-en,email-es";
  }
  campaigns::CampaignInput c;
  c.practice_id = p;
  c.name = "Care reminder (benchmark)";
  c.kind = "recall";
  c.purpose = "care";
  c.segment_json = R"({"status":["active","inactive","lapsed"]})";
  ASSIGN_OR_RETURN(auto step, campaigns::ParseStepSpec(spec));
  c.steps = {step};
  c.start = "2025-11-20T09:00";
  c.window = "08:00-20:00";
  ASSIGN_OR_RETURN(std::string campaign, planner::ApprovedCampaignForTest(engine, c, scanner));
  RETURN_IF_ERROR(planner::StartCampaign(*engine, p, campaign).status());
  ASSIGN_OR_RETURN(auto due, planner::PlanDueSteps(*engine));  // also moves the campaign to running
  if (due.size() != 1) return InternalError("the campaign's step was not planned");
  return due[0].planned;
}

enum Sink { kNullEmail = 0, kNullSms = 1, kSmtpAiosmtpd = 2, kKannel = 3 };

void BM_Dispatch(benchmark::State& state, Sink sink) {
  const std::string channel_name = (sink == kNullSms || sink == kKannel) ? "sms" : "email";
  if (std::getenv("RECALL_SOURCE_DIR") == nullptr) ::setenv("RECALL_SOURCE_DIR", RECALL_SOURCE_DIR_DEFAULT, 0);

  int64_t planned = 0, sent = 0, cancelled = 0, deferred = 0, other = 0;
  double seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    engine::TestEngine engine;
    auto setup = SetUp(engine, channel_name);
    if (!setup.ok()) {
      state.SkipWithError(setup.status().ToString().c_str());
      break;
    }
    planned = *setup;

    // The sink (started after the set-up, so its start-up is not timed).
    std::unique_ptr<channels::testing::SmtpSink> smtp;
    std::unique_ptr<channels::testing::HttpRecorder> recorder;
    std::unique_ptr<channels::testing::KannelHarness> kannel;
    std::unique_ptr<channels::Channel> transport;
    if (sink == kNullEmail || sink == kNullSms) {
      transport = std::make_unique<NullChannel>();
    } else if (sink == kSmtpAiosmtpd) {
      auto started = channels::testing::SmtpSink::Start({});
      if (!started.ok()) {
        state.SkipWithError(started.status().ToString().c_str());
        break;
      }
      smtp = std::move(*started);
      channels::SmtpOptions o;
      o.port = smtp->port();
      o.tls = channels::SmtpTls::kNone;
      auto created = channels::NewSmtpChannel(o, engine.clock());
      if (!created.ok()) {
        state.SkipWithError(created.status().ToString().c_str());
        break;
      }
      transport = std::move(*created);
    } else {
      if (!channels::testing::KannelHarness::KannelInstalled()) {
        state.SkipWithError("kannel / kannel-extras not installed");
        break;
      }
      recorder = std::make_unique<channels::testing::HttpRecorder>();
      channels::testing::KannelHarnessOptions ko;
      ko.mo_get_url = recorder->BaseUrl() + "/kannel/mo?" + std::string(channels::kInboundGetUrlQuery);
      auto started = channels::testing::KannelHarness::Start(ko);
      if (!started.ok()) {
        state.SkipWithError(started.status().ToString().c_str());
        break;
      }
      kannel = std::move(*started);
      channels::KannelConfig kc;
      kc.sendsms_url = kannel->SendsmsUrl();
      kc.username = kannel->username();
      kc.password = kannel->password();
      kc.from = "+12175550100";
      kc.dlr_url_base = recorder->BaseUrl() + "/kannel/dlr/bench-secret";
      auto created = channels::NewKannelChannel(kc);
      if (!created.ok()) {
        state.SkipWithError(created.status().ToString().c_str());
        break;
      }
      transport = std::move(*created);
    }
    OneChannel source(transport.get());
    WorkerOptions options;
    options.worker_id = "w-bench";
    options.batch = 64;
    options.sleep = [&engine](std::chrono::nanoseconds d) { engine.clock().Advance(d); };
    Worker worker(*engine, SharedScanner(), source, options);

    const auto start = std::chrono::steady_clock::now();
    state.ResumeTiming();
    auto stats = worker.RunUntilIdle();
    state.PauseTiming();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!stats.ok()) {
      state.SkipWithError(stats.status().ToString().c_str());
      break;
    }
    sent += stats->sent;
    cancelled += stats->cancelled;
    deferred += stats->deferred;
    other += stats->retried + stats->failed + stats->lease_lost;
    if (kannel != nullptr) kannel->Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(sent);
  state.counters["planned"] = static_cast<double>(planned);
  state.counters["sent"] = static_cast<double>(sent);
  state.counters["cancelled"] = static_cast<double>(cancelled);
  state.counters["deferred"] = static_cast<double>(deferred);
  state.counters["retried_or_failed"] = static_cast<double>(other);
  if (sent > 0) {
    state.counters["msg_per_s"] = static_cast<double>(sent) / seconds;
    state.counters["us_per_msg"] = seconds * 1e6 / static_cast<double>(sent);
  }
}
BENCHMARK_CAPTURE(BM_Dispatch, null_email, kNullEmail)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Dispatch, null_sms, kNullSms)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Dispatch, smtp_aiosmtpd, kSmtpAiosmtpd)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Dispatch, kannel, kKannel)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace recall::dispatch
