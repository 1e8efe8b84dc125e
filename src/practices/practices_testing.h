#pragma once
// Test helper: a synthetic practice with a recorded BAA, the starting point of
// most tests that import patients. For tests only.
#include <fstream>
#include <string>

#include "engine/engine_testing.h"
#include "practices/practices.h"

namespace recall::practices {

// Creates practice `name` (Springfield, IL; America/Chicago) and records its
// BAA from a synthetic document in the engine's temp directory.
inline StatusOr<std::string> AddPracticeWithBaaForTest(engine::TestEngine& engine,
                                                       const std::string& name = "Maple Family Dental") {
  ASSIGN_OR_RETURN(auto practice,
                   CreatePractice(*engine, {name, "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                            name + " <office@maple.example>", "America/Chicago", "IL"}));
  const auto doc = engine.dir() / ("baa-" + practice.practice_id + ".pdf");
  std::ofstream(doc) << "signed BAA document (synthetic)";
  RETURN_IF_ERROR(RecordBaa(*engine, {practice.practice_id, "Dana Whitlock", "2025-11-01", doc.string(), 72}).status());
  return practice.practice_id;
}

}  // namespace recall::practices
