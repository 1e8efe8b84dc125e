#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "inbound/classifier.h"

namespace recall::inbound {
namespace {

// A mix shaped like a practice's inbound traffic: mostly confirmations and
// short questions, some opt-outs, a little Spanish, rare urgent messages.
const std::vector<std::string>& TypicalInbound() {
  static const auto* texts = new std::vector<std::string>{
      "C",
      "Confirmed, thanks!",
      "STOP",
      "Yes",
      "Can I reschedule to Thursday afternoon?",
      "What time is my appointment again?",
      "Stop texting me",
      "ok see you then",
      "Is the office open until the end of the day?",
      "I need to cancel my appointment, something came up at work",
      "HELP",
      "Confirmo",
      "No m\xC3\xA1s mensajes por favor",
      "\xF0\x9F\x91\x8D",
      "I've been dizzy since the new medication, should I keep taking it?",
      "Thanks! Do you take Delta Dental insurance? My employer switched plans this year.",
  };
  return *texts;
}

void BM_ClassifyTypical(benchmark::State& state) {
  const auto& texts = TypicalInbound();
  const ClassifyContext context{.consent_request_pending = false, .confirmation_pending = true};
  size_t next = 0;
  for (auto _ : state) {
    Classification c = Classify(texts[next], context);
    benchmark::DoNotOptimize(c);
    next = next + 1 == texts.size() ? 0 : next + 1;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items/s = messages/s");
}
BENCHMARK(BM_ClassifyTypical);

void BM_ClassifyMaxSize(benchmark::State& state) {
  // The cap bounds the worst case: a megabyte of words costs what 4 KiB does.
  std::string body;
  while (body.size() < (1 << 20)) body += "please call me back about the bill ";
  for (auto _ : state) {
    Classification c = Classify(body);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyMaxSize);

}  // namespace
}  // namespace recall::inbound
