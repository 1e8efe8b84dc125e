// CSV import throughput on synthetic exports (with clinical columns to drop).
// `make bench` runs it with --benchmark_filter=BM_Import/1000000 and reports
// peak RSS through /usr/bin/time -v (see bench/README.md).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/engine_testing.h"
#include "patients/patients.h"
#include "patients/synthetic.h"
#include "practices/practices.h"

namespace recall::patients {
namespace {

void BM_Import(benchmark::State& state) {
  const int64_t rows = state.range(0);
  const auto csv = std::filesystem::temp_directory_path() / ("recall-bench-" + std::to_string(rows) + ".csv");
  {
    std::ofstream out(csv, std::ios::binary);
    WriteSyntheticCsv(out, {rows, 42, true});
  }
  const auto bytes = std::filesystem::file_size(csv);
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<engine::TestEngine>();
    auto p = practices::CreatePractice(**engine, {"Bench Dental", "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                                  "office@bench.example", "America/Chicago", "IL"});
    std::ofstream(engine->dir() / "baa.txt") << "baa";
    (void)practices::RecordBaa(**engine, {p->practice_id, "Bench", "2025-01-01", (engine->dir() / "baa.txt").string(), 72});
    std::ifstream in(csv, std::ios::binary);
    state.ResumeTiming();
    auto report = ImportCsv(**engine, p->practice_id, in, {});
    state.PauseTiming();
    if (!report.ok() || report->imported != rows) {
      state.SkipWithError(report.ok() ? "not every row was imported" : report.status().ToString().c_str());
      break;
    }
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  std::filesystem::remove(csv);
}
BENCHMARK(BM_Import)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace recall::patients
