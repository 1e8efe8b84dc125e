// libFuzzer target. Invariants:
//   - Scan never crashes, and every finding is a valid span of the input whose
//     bytes equal its match;
//   - the match view's ASCII fast path and general path agree on ASCII input,
//     and its hybrid folding equals recall::FoldForMatching on any input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "common/text.h"
#include "scanner/internal/match_view.h"
#include "scanner/scanner.h"

namespace {

const recall::scanner::Scanner& FuzzScanner() {
  static const std::unique_ptr<recall::scanner::Scanner> scanner = [] {
    auto created = recall::scanner::Scanner::Create(recall::scanner::ScannerOptions{});
    if (!created.ok()) std::abort();
    return std::move(created).value();
  }();
  return *scanner;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const recall::scanner::Finding& f : FuzzScanner().Scan(input)) {
    if (f.start > f.end || f.end > input.size()) std::abort();
    if (input.substr(f.start, f.end - f.start) != f.match) std::abort();
  }

  using recall::scanner::internal::MatchView;
  const recall::FoldedText expected = recall::FoldForMatching(input);
  const recall::FoldedText hybrid = recall::scanner::internal::FoldHybridForTest(input);
  if (hybrid.text != expected.text || hybrid.origin != expected.origin) std::abort();
  if (IsAscii(input)) {
    MatchView fast;
    MatchView slow;
    recall::scanner::internal::BuildMatchView(input, &fast);
    recall::scanner::internal::BuildMatchViewSlowPathForTest(input, &slow);
    if (fast.text != slow.text || fast.origin != slow.origin) std::abort();
  }
  return 0;
}
