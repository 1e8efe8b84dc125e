// Throughput of Scanner::Scan with the full vocabulary loaded.
//
//   ninja -C build-scanner scanner_benchmark && build-scanner/src/scanner/scanner_benchmark
//
// Arg 0: curated lists only; arg 1: plus the hunspell medical dictionary (the
// default when installed; reported as an error when it is not).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "scanner/scanner.h"

namespace {

using recall::scanner::Scanner;
using recall::scanner::ScannerOptions;

const Scanner* SharedScanner(bool system_dictionary) {
  static std::unique_ptr<Scanner> scanners[2];
  std::unique_ptr<Scanner>& slot = scanners[system_dictionary ? 1 : 0];
  if (slot == nullptr) {
    ScannerOptions options;
    options.system_medical_dictionary =
        system_dictionary ? recall::scanner::SystemDictionary::kRequired : recall::scanner::SystemDictionary::kOff;
    auto created = Scanner::Create(options);
    if (!created.ok()) return nullptr;
    slot = std::move(created).value();
  }
  return slot.get();
}

// Synthetic administrative text: greetings, names, dates, times, addresses,
// phone numbers, billing and portal sentences. Deterministic.
class AdminTextGenerator {
 public:
  explicit AdminTextGenerator(uint32_t seed) : rng_(seed) {}

  std::string Sentence() {
    static const char* const kTemplates[] = {
        "Hi {name}, this is a reminder of your appointment with Dr. {surname} on {day} at {time}.",
        "Reply C to confirm or R to reschedule. Reply STOP to opt out.",
        "Your billing statement of ${amount} is ready in the patient portal.",
        "Our office at {number} {street} St, Suite {number}, {city}, OR {zip} is open {day}.",
        "Please call us at ({area}) 555-{four} if you need to change your visit.",
        "Happy birthday from {practice}! We hope to see you soon.",
        "Dr. {surname} has an opening on {day} at {time}. Reply 1 to book it.",
        "We have a new patient portal where you can pay bills and update forms.",
        "Please arrive 15 minutes early and bring your insurance card and photo ID.",
        "The office will be closed on {day} for staff training. Thank you for your patience.",
        "Thanks for choosing {practice}. Tell us how we did in a short survey.",
        "Your payment of ${amount} was received on {date}. Have a great day!",
        "Parking is free in the garage on {street} Avenue; bring your ticket to the front desk.",
        "It has been a while since your last visit, {name}. Book online anytime.",
    };
    static const char* const kNames[] = {"Ana",   "Marco", "Li",   "Priya", "Sam",   "Olivia", "Noah", "Fatima",
                                         "Jamal", "Sofia", "Chen", "Grace", "Mateo", "Aisha",  "Liam", "Emma"};
    static const char* const kSurnames[] = {"Payne", "Burns", "Garcia", "Nguyen", "Smith", "Okafor", "Kim",
                                            "Patel", "Cramp", "Stone",  "Lee",    "Rossi", "Haddad", "Novak"};
    static const char* const kDays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    static const char* const kStreets[] = {"Elm", "Maple", "Oak", "Main", "Everett", "Burnside", "Division"};
    static const char* const kCities[] = {"Portland", "Salem", "Eugene", "Bend", "Medford"};
    static const char* const kPractices[] = {"Maple Family Dental", "Riverside Family Medicine", "Lakeside Pediatrics",
                                             "Oak Street Clinic", "Northside Eye Care"};
    const std::string t = kTemplates[rng_() % std::size(kTemplates)];
    std::string out;
    out.reserve(t.size() + 32);
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '{') {
        out.push_back(t[i]);
        continue;
      }
      const size_t close = t.find('}', i);
      const std::string key = t.substr(i + 1, close - i - 1);
      i = close;
      if (key == "name") out += kNames[rng_() % std::size(kNames)];
      if (key == "surname") out += kSurnames[rng_() % std::size(kSurnames)];
      if (key == "day") out += kDays[rng_() % std::size(kDays)];
      if (key == "street") out += kStreets[rng_() % std::size(kStreets)];
      if (key == "city") out += kCities[rng_() % std::size(kCities)];
      if (key == "practice") out += kPractices[rng_() % std::size(kPractices)];
      if (key == "time") out += std::to_string(8 + rng_() % 9) + ":" + std::to_string(10 + rng_() % 50) + " PM";
      if (key == "amount") out += std::to_string(20 + rng_() % 400) + ".00";
      if (key == "number") out += std::to_string(100 + rng_() % 900);
      if (key == "zip") out += std::to_string(97000 + rng_() % 999);
      if (key == "area") out += std::to_string(200 + rng_() % 799);
      if (key == "four") out += std::to_string(1000 + rng_() % 8999);
      if (key == "date") out += std::to_string(1 + rng_() % 12) + "/" + std::to_string(1 + rng_() % 28);
    }
    return out;
  }

  // Sentences joined by spaces until at least `bytes` long, cut to exactly `bytes`
  // at a space.
  std::string Text(size_t bytes) {
    std::string out;
    out.reserve(bytes + 256);
    while (out.size() < bytes) {
      out += Sentence();
      out.push_back(rng_() % 8 == 0 ? '\n' : ' ');
    }
    out.resize(bytes);
    return out;
  }

  // One SMS-length message, 120-160 bytes.
  std::string Sms() {
    std::string s = Sentence();
    while (s.size() < 120) s += " " + Sentence();
    if (s.size() > 160) {
      const size_t cut = s.rfind(' ', 160);
      s.resize(cut >= 120 ? cut : 160);
    }
    return s;
  }

 private:
  std::mt19937 rng_;
};

bool SkipWithoutScanner(benchmark::State& state, const Scanner* scanner) {
  if (scanner != nullptr) return false;
  state.SkipWithError("scanner could not be created (system dictionary not installed?)");
  return true;
}

void BM_Scan1KB(benchmark::State& state) {
  const Scanner* scanner = SharedScanner(state.range(0) != 0);
  if (SkipWithoutScanner(state, scanner)) return;
  AdminTextGenerator gen(1);
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) texts.push_back(gen.Text(1024));
  size_t i = 0;
  size_t findings = 0;
  for (auto _ : state) {
    findings += scanner->Scan(texts[i++ & 63]).size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1024);
  state.counters["findings_per_scan"] =
      benchmark::Counter(static_cast<double>(findings), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Scan1KB)->Arg(0)->Arg(1);

void BM_Scan100MB(benchmark::State& state) {
  const Scanner* scanner = SharedScanner(state.range(0) != 0);
  if (SkipWithoutScanner(state, scanner)) return;
  static const std::string text = AdminTextGenerator(2).Text(100 * 1024 * 1024);
  size_t findings = 0;
  for (auto _ : state) {
    findings += scanner->Scan(text).size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["findings_per_scan"] =
      benchmark::Counter(static_cast<double>(findings), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Scan100MB)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void ScanSms(benchmark::State& state, const char* suffix) {
  const Scanner* scanner = SharedScanner(state.range(0) != 0);
  if (SkipWithoutScanner(state, scanner)) return;
  AdminTextGenerator gen(3 + static_cast<uint32_t>(state.thread_index()));
  std::vector<std::string> messages;
  size_t bytes = 0;
  for (int i = 0; i < 1024; ++i) {
    std::string m = gen.Sms();
    m += suffix;
    bytes += m.size();
    messages.push_back(std::move(m));
  }
  size_t i = 0;
  size_t findings = 0;
  for (auto _ : state) {
    findings += scanner->Scan(messages[i++ & 1023]).size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes / 1024));
  state.counters["findings_per_scan"] =
      benchmark::Counter(static_cast<double>(findings), benchmark::Counter::kAvgIterations);
}

void BM_ScanSms(benchmark::State& state) { ScanSms(state, ""); }
BENCHMARK(BM_ScanSms)->Arg(0)->Arg(1);
BENCHMARK(BM_ScanSms)->Arg(0)->Threads(2)->UseRealTime();

// Same messages with a curly apostrophe: the non-ASCII folding path.
void BM_ScanSmsNonAscii(benchmark::State& state) { ScanSms(state, " We\xE2\x80\x99re here to help."); }
BENCHMARK(BM_ScanSmsNonAscii)->Arg(0)->Arg(1);

// Every message carries two findings: the cost of building the result.
void BM_ScanSmsWithFindings(benchmark::State& state) { ScanSms(state, " Refill your metformin; A1C of 9.2."); }
BENCHMARK(BM_ScanSmsWithFindings)->Arg(0)->Arg(1);

void BM_Create(benchmark::State& state) {
  for (auto _ : state) {
    ScannerOptions options;
    options.system_medical_dictionary =
        state.range(0) != 0 ? recall::scanner::SystemDictionary::kRequired : recall::scanner::SystemDictionary::kOff;
    auto created = Scanner::Create(options);
    if (!created.ok()) {
      state.SkipWithError("create failed");
      return;
    }
  }
}
BENCHMARK(BM_Create)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
