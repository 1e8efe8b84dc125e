// Audit log throughput through the real SQLite store with checkpoints on (an
// Ed25519 signature every 1,000 records, as Engine::Open installs them):
//   BM_AuditAppendBatch/<batch>: records/s appended, <batch> per transaction
//     (target >= 200,000 records/s on the 2-core bench machine);
//   BM_AuditAppendSingle: one record per transaction, for contrast;
//   BM_AuditVerify/<records>: full verification (chain + checkpoints) records/s.
// `make bench` runs it; figures in bench/README.md.
#include <benchmark/benchmark.h>

#include "audit/checkpoint.h"
#include "engine/engine_testing.h"

namespace recall::audit {
namespace {

// A typical record: a message sent, with a pseudonymous subject and ids.
std::vector<AuditEvent> Events(engine::TestEngine& e, int64_t n, int64_t base) {
  std::vector<AuditEvent> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    char sub[40], msg[40];
    std::snprintf(sub, sizeof(sub), "sub_%032llx", static_cast<unsigned long long>((base + i) * 2654435761ULL));
    std::snprintf(msg, sizeof(msg), "msg_%024llx", static_cast<unsigned long long>(base + i));
    out.push_back(e->Event("outbox.sent", "prc_0123456789abcdef01234567", sub,
                           {{"message_id", std::string(msg)}, {"channel", std::string("sms")}, {"attempt", int64_t{1}}}));
  }
  return out;
}

void BM_AuditAppendBatch(benchmark::State& state) {
  engine::TestEngine e;
  if (!e.status().ok()) return state.SkipWithError(e.status().ToString().c_str());
  const int64_t batch = state.range(0);
  int64_t appended = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto events = Events(e, batch, appended);
    state.ResumeTiming();
    auto head = e->store().audit().AppendBatch(events);
    if (!head.ok()) return state.SkipWithError(head.status().ToString().c_str());
    appended += batch;
  }
  auto cps = e->store().audit().Checkpoints(1);
  state.counters["checkpoints"] = cps.ok() ? static_cast<double>(cps->size()) : -1;
  state.SetItemsProcessed(appended);
}
BENCHMARK(BM_AuditAppendBatch)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_AuditAppendSingle(benchmark::State& state) {
  engine::TestEngine e;
  if (!e.status().ok()) return state.SkipWithError(e.status().ToString().c_str());
  int64_t appended = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto events = Events(e, 1, appended);
    state.ResumeTiming();
    auto rec = e->store().audit().Append(events[0]);
    if (!rec.ok()) return state.SkipWithError(rec.status().ToString().c_str());
    ++appended;
  }
  state.SetItemsProcessed(appended);
}
BENCHMARK(BM_AuditAppendSingle)->Unit(benchmark::kMicrosecond)->MinTime(2);

void BM_AuditVerify(benchmark::State& state) {
  engine::TestEngine e;
  if (!e.status().ok()) return state.SkipWithError(e.status().ToString().c_str());
  const int64_t records = state.range(0);
  for (int64_t done = 0; done < records; done += 10000) {
    auto head = e->store().audit().AppendBatch(Events(e, std::min<int64_t>(10000, records - done), done));
    if (!head.ok()) return state.SkipWithError(head.status().ToString().c_str());
  }
  int64_t verified = 0;
  for (auto _ : state) {
    auto cps = e->store().audit().Checkpoints(1);
    if (!cps.ok()) return state.SkipWithError(cps.status().ToString().c_str());
    LogVerifier v(std::move(cps).value(), e->signing_keys().KnownKeys());
    Status s = e->store().audit().Scan(1, [&](const AuditRecord& r) { return v.Feed(r); });
    v.Finish();
    if (!s.ok() || !v.ok() || v.chain().records() != records) return state.SkipWithError("verification failed");
    state.counters["checkpoints_verified"] = static_cast<double>(v.checkpoints_verified());
    verified += v.chain().records();
  }
  state.SetItemsProcessed(verified);
}
BENCHMARK(BM_AuditVerify)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace recall::audit
