// Planning throughput (issue 5): PlanStep over a synthetic campaign with every
// check on. `make bench` runs BM_PlanStep/1000000 (see bench/README.md).
//
// Set-up (not timed): a practice with a BAA, `patients` synthetic rows imported
// with their SMS/Email consent columns (care consent), vendors for sms and
// email, sms and email templates in en and es (vi patients go through the
// practice's language policy), about 1% of the contacts marked invalid, 3 SMS
// sent this week by another campaign to about 1% of the patients (they reach
// the weekly cap), and an approved, started care campaign whose only step is
// "sms>email:0:..." with a segment that every synthetic status and visit date
// matches (so all `patients` are considered). Timed: PlanStep(step 0) only.
//
// Peak RSS of the planning phase: the process's high-water mark (VmHWM) is
// reset through /proc/self/clear_refs ("5") just before PlanStep, and read
// right after it; counter "plan_peak_rss_MiB". "setup_peak_rss_MiB" is the
// high-water mark of the set-up (import) before the reset; "plan_start_rss_MiB"
// what was resident when PlanStep started. The reset also resets the kernel's
// ru_maxrss, so /usr/bin/time reports the planning phase's peak too.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "campaigns/campaigns.h"
#include "engine/engine_testing.h"
#include "patients/synthetic.h"
#include "planner/planner.h"
#include "planner/planner_testing.h"
#include "practices/practices_testing.h"
#include "practices/settings.h"
#include "scanner/scanner.h"

namespace recall::planner {
namespace {

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

// A /proc/self/status field in KiB ("VmHWM:" peak, "VmRSS:" now); -1 when unreadable.
int64_t StatusKiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(field.size()));
  }
  return -1;
}
int64_t PeakRssKiB() { return StatusKiB("VmHWM:"); }

// Resets VmHWM to the current RSS (Linux >= 4.0).
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

Status Check(bool ok, const char* what) { return ok ? OkStatus() : InternalError(what); }

struct Fixture {
  std::unique_ptr<engine::TestEngine> engine = std::make_unique<engine::TestEngine>();
  std::string practice;
  std::string campaign;
};

Status SetUp(Fixture& f, int64_t patients, const scanner::Scanner& scanner) {
  engine::TestEngine& engine = *f.engine;
  RETURN_IF_ERROR(engine.status());
  ASSIGN_OR_RETURN(f.practice, practices::AddPracticeWithBaaForTest(engine, "Bench Dental"));
  {
    const auto csv = engine.dir() / "patients.csv";
    {
      std::ofstream out(csv, std::ios::binary);
      patients::SyntheticOptions o;
      o.rows = patients;
      o.seed = 42;
      o.with_clinical_columns = false;
      o.with_consent_columns = true;
      patients::WriteSyntheticCsv(out, o);
    }
    std::ifstream in(csv, std::ios::binary);
    std::vector<patients::ImportedConsent> consents;
    ASSIGN_OR_RETURN(auto report, patients::ImportCsv(*engine, f.practice, in, {}, &consents));
    RETURN_IF_ERROR(Check(report.imported == patients, "not every row was imported"));
    // As `recall import` does: the consent columns become care consent records.
    RETURN_IF_ERROR(consent::ConsentVault(*engine).ApplyImported(f.practice, consents).status());
    std::filesystem::remove(csv);
  }
  RETURN_IF_ERROR(AddVendorsForTest(engine, f.practice, {"sms", "email"}));
  const std::string& p = f.practice;
  RETURN_IF_ERROR(practices::UpdateSettings(*engine, p, R"({"public_base_url":"https://outreach.example"})").status());
  RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner, {p, "sms-en", "sms", 1, "care", "en", "", kSmsEn}).status());
  RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner, {p, "sms-es", "sms", 1, "care", "es", "", kSmsEs}).status());
  RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner,
                                         {p, "email-en", "email", 1, "care", "en", "News from {{practice_name}}", kEmailEn})
                      .status());
  RETURN_IF_ERROR(campaigns::AddTemplate(*engine, scanner,
                                         {p, "email-es", "email", 1, "care", "es", "Noticias de {{practice_name}}", kEmailEs})
                      .status());

  // Invalid contacts (every 97th patient's phone, every 89th's email) and
  // three SMS this week from another campaign to every 101st patient.
  const TimePoint now = engine.clock().Now();
  std::vector<store::OutboxRow> sent;
  std::vector<store::InvalidContactRow> invalid;
  int64_t n = 0;
  RETURN_IF_ERROR(engine->store().patients().Scan(p, [&](const store::PatientRow& row) {
    if (n % 97 == 0 && !row.phone_index.empty()) {
      invalid.push_back({p, row.patient_id, "sms", row.phone_index, "undeliverable", "msg_bench", now});
    }
    if (n % 89 == 0 && !row.email_index.empty()) {
      invalid.push_back({p, row.patient_id, "email", row.email_index, "hard_bounce", "msg_bench", now});
    }
    if (n % 101 == 0) {
      for (int i = 0; i < 3; ++i) {
        store::OutboxRow r;
        r.message_id = "msg_bench" + std::to_string(n) + "x" + std::to_string(i);
        r.practice_id = p;
        r.campaign_id = "cmp_benchother";
        r.step = i;
        r.patient_id = row.patient_id;
        r.channel = "sms";
        r.purpose = "care";
        r.not_before = now - std::chrono::hours(48);
        sent.push_back(std::move(r));
      }
    }
    ++n;
    return true;
  }));
  for (const auto& c : invalid) {
    RETURN_IF_ERROR(engine->store().runs().MarkContactInvalid(c, engine->Event("contact.invalid", p)));
  }
  RETURN_IF_ERROR(engine->store().outbox().Enqueue(sent, engine->Event("outbox.enqueue", p)).status());
  for (;;) {
    ASSIGN_OR_RETURN(auto claimed,
                     engine->store().outbox().Claim(now, now + std::chrono::minutes(5), "w-bench", 1000));
    if (claimed.empty()) break;
    for (const auto& row : claimed) {
      RETURN_IF_ERROR(engine->store().outbox().MarkSent(store::LeaseOf(row), "prov-" + row.message_id,
                                                        engine->Event("outbox.sent", p)));
    }
  }

  campaigns::CampaignInput c;
  c.practice_id = p;
  c.name = "Care reminder (benchmark)";
  c.kind = "recall";
  c.purpose = "care";
  c.segment_json = R"({"status":["active","inactive","lapsed"],"last_visit_after":"2019-01-01"})";
  ASSIGN_OR_RETURN(auto step, campaigns::ParseStepSpec("sms>email:0:sms-en,sms-es,email-en,email-es"));
  c.steps = {step};
  c.start = "2025-11-20T09:00";
  c.window = "08:00-20:00";
  ASSIGN_OR_RETURN(f.campaign, ApprovedCampaignForTest(engine, c, scanner));
  RETURN_IF_ERROR(StartCampaign(*engine, p, f.campaign).status());
  return OkStatus();
}

void BM_PlanStep(benchmark::State& state) {
  const int64_t patients = state.range(0);
  auto scanner = scanner::Scanner::Create(scanner::ScannerOptions{});
  if (!scanner.ok()) {
    state.SkipWithError(scanner.status().ToString().c_str());
    return;
  }
  PlanResult result;
  int64_t setup_peak = 0, plan_peak = 0, plan_start = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Fixture f;
    Status s = SetUp(f, patients, **scanner);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    setup_peak = PeakRssKiB();
    if (!ResetPeakRss()) {
      state.SkipWithError("cannot reset VmHWM through /proc/self/clear_refs");
      break;
    }
    plan_start = StatusKiB("VmRSS:");
    state.ResumeTiming();
    auto planned = PlanStep(**f.engine, f.practice, f.campaign, 0);
    state.PauseTiming();
    plan_peak = PeakRssKiB();
    if (!planned.ok()) {
      state.SkipWithError(planned.status().ToString().c_str());
      break;
    }
    result = *planned;
    f.engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * patients);
  state.counters["considered"] = static_cast<double>(result.considered);
  state.counters["planned"] = static_cast<double>(result.planned);
  state.counters["sms"] = static_cast<double>(result.channels["sms"]);
  state.counters["email"] = static_cast<double>(result.channels["email"]);
  state.counters["call_list"] = static_cast<double>(result.call_list);
  for (const auto& [reason, count] : result.skipped) state.counters["skip_" + reason] = static_cast<double>(count);
  state.counters["setup_peak_rss_MiB"] = static_cast<double>(setup_peak) / 1024.0;
  state.counters["plan_peak_rss_MiB"] = static_cast<double>(plan_peak) / 1024.0;
  // Resident when PlanStep started (what the set-up left: engine, SQLite cache, freed heap glibc kept).
  state.counters["plan_start_rss_MiB"] = static_cast<double>(plan_start) / 1024.0;
}
BENCHMARK(BM_PlanStep)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace recall::planner
