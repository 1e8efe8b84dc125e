#pragma once
// Test helper: one Scanner per test process, built on first use with the
// default vocabulary (building it takes about a second with hunspell-en-med).
// Returns nullptr when it cannot be built; callers ASSERT on it. Tests only.
#include <memory>

#include "scanner/scanner.h"

namespace recall::scanner {

inline const Scanner* SharedScannerForTest() {
  static const std::unique_ptr<Scanner> scanner = [] {
    auto created = Scanner::Create(ScannerOptions{});
    return created.ok() ? std::move(created).value() : nullptr;
  }();
  return scanner.get();
}

}  // namespace recall::scanner
