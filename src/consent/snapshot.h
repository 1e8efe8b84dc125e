#pragma once
// ConsentSnapshot: the consent vault's Check, for a whole practice at once.
//
// The campaign planner decides for up to millions of patients in one pass; a
// store round trip per patient and channel would dominate. A snapshot reads
// every consent record, address-level record and reassigned number of the
// practice once (ConsentStore::ScanHistories, ListReassigned), keeps per
// patient only what Check needs (granted and revoked cells with the grant's
// contact index, date and sequence), and answers exactly what
// ConsentVault::Check would have answered at `at` for the patient's current
// contact. The planner uses it; the dispatch gate still calls
// ConsentVault::Check at the moment of sending, because consent can change in
// between.
//
// Memory: about 100 bytes per patient with consent records. Not audited (reads
// only). Thread-compatible: build once, then Check from one thread (or many,
// since Check is const).
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "consent/consent.h"

namespace recall::consent {

class ConsentSnapshot {
 public:
  // NotFound for an unknown practice; store errors otherwise.
  static StatusOr<ConsentSnapshot> Load(engine::Engine& engine, const std::string& practice_id, TimePoint at);

  // As ConsentVault::Check(practice, patient.patient_id, channel, purpose, "", at).
  Block Check(const store::PatientRow& patient, Channel channel, Purpose purpose) const;

  size_t patients() const { return patients_.size(); }

 private:
  struct Grant {
    uint8_t cell = 0;            // channel * 2 + purpose
    int64_t seq = 0;
    std::string contact_index;   // "" when the grant names no contact
    std::string captured_date;   // YYYY-MM-DD
  };
  struct PatientConsent {
    uint16_t revoked = 0;  // bit per cell: derived state is revoked
    std::vector<Grant> grants;
  };
  struct AddressState {
    int64_t seq = 0;
    bool revoke = false;
  };

  std::unordered_map<std::string, PatientConsent> patients_;
  // contact index -> per channel (Channel enum) the latest address-level record.
  std::unordered_map<std::string, std::array<AddressState, 5>> address_;
  std::unordered_map<std::string, std::string> disconnected_;  // phone index -> YYYY-MM-DD
};

}  // namespace recall::consent
