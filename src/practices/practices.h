#pragma once
// Practices (tenants) and the BAA gate.
//
// A practice is the covered entity Recall sends for: its name, postal address
// (CAN-SPAM), phone, sender identity, IANA time zone and US state. Its Business
// Associate Agreement is recorded before any patient data may enter:
// RequireBaa is the one gate every PHI-ingesting path calls.
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "store/records.h"

namespace recall::practices {

struct NewPractice {
  std::string name, address, phone, email_from, timezone, state;
};

// Validates (E.164 phone, email sender, IANA zone, US state) and creates the
// practice with a fresh data key. InvalidArgument on a bad field. Audited.
StatusOr<store::PracticeRow> CreatePractice(engine::Engine& engine, const NewPractice& input);
StatusOr<std::vector<store::PracticeRow>> ListPractices(engine::Engine& engine);

struct NewBaa {
  std::string practice_id;
  std::string signed_by;
  std::string signed_on;      // YYYY-MM-DD
  std::string document_path;  // the signed document; its SHA-256 is recorded, not its content
  int breach_notice_hours = 72;
};

// Records a BAA. NotFound for an unknown practice; InvalidArgument for a bad
// date, an unreadable document or hours outside 1..1440. Audited.
StatusOr<store::BaaRow> RecordBaa(engine::Engine& engine, const NewBaa& input);

// OK when the practice exists and has a recorded BAA; otherwise
// FailedPrecondition naming the missing BAA (or NotFound for an unknown practice).
Status RequireBaa(engine::Engine& engine, const std::string& practice_id);

}  // namespace recall::practices
