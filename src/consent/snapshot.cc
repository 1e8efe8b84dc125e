#include "consent/snapshot.h"

namespace recall::consent {

namespace {

constexpr int kCells = 5 * 2;
int CellOf(Channel c, Purpose p) { return static_cast<int>(c) * 2 + static_cast<int>(p); }
bool UsesPhone(Channel c) { return c == Channel::kSms || c == Channel::kVoice || c == Channel::kRvm; }

}  // namespace

StatusOr<ConsentSnapshot> ConsentSnapshot::Load(engine::Engine& engine, const std::string& practice_id,
                                                TimePoint at) {
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ConsentSnapshot snap;
  const std::string at_text = FormatRfc3339Millis(at);
  std::vector<store::ConsentRecordRow> group;
  auto flush = [&] {
    if (group.empty()) return;
    CellState cells[5][2];
    DeriveStates(group, at_text, cells);
    PatientConsent pc;
    for (int c = 0; c < 5; ++c) {
      for (int p = 0; p < 2; ++p) {
        const CellState& cell = cells[c][p];
        if (cell.state == State::kRevoked) pc.revoked |= static_cast<uint16_t>(1u << (c * 2 + p));
        if (cell.state != State::kGranted) continue;
        for (const auto& r : group) {
          if (r.consent_id != cell.consent_id) continue;
          pc.grants.push_back(Grant{static_cast<uint8_t>(c * 2 + p), r.seq, r.contact_index,
                                    r.captured_at.substr(0, 10)});
          break;
        }
      }
    }
    snap.patients_.emplace(group.front().patient_id, std::move(pc));
    group.clear();
  };
  RETURN_IF_ERROR(engine.store().consent().ScanHistories(practice_id, [&](const store::ConsentRecordRow& r) {
    if (r.patient_id.empty()) {
      // Address-level: keep the latest record per (contact, channel).
      if (r.contact_index.empty()) return true;
      auto& states = snap.address_[r.contact_index];
      for (int c = 0; c < 5; ++c) {
        if (r.channel == ChannelName(static_cast<Channel>(c)) || r.channel == "all") {
          states[c] = AddressState{r.seq, r.kind == "revoke"};
        }
      }
      return true;
    }
    if (!group.empty() && group.front().patient_id != r.patient_id) flush();
    group.push_back(r);
    return true;
  }));
  flush();
  ASSIGN_OR_RETURN(auto reassigned, engine.store().consent().ListReassigned(practice_id));
  for (auto& r : reassigned) snap.disconnected_[r.phone_index] = r.disconnected_on;
  return snap;
}

Block ConsentSnapshot::Check(const store::PatientRow& patient, Channel channel, Purpose purpose) const {
  static_assert(kCells <= 16, "cells fit the revoked bitmask");
  auto it = patients_.find(patient.patient_id);
  if (it == patients_.end()) return Block::kNoConsent;
  const int cell = CellOf(channel, purpose);
  const Grant* grant = nullptr;
  for (const Grant& g : it->second.grants) {
    if (g.cell == cell) grant = &g;
  }
  if (grant == nullptr) return (it->second.revoked >> cell) & 1u ? Block::kRevoked : Block::kNoConsent;
  if (channel == Channel::kPortal) return Block::kAllowed;
  const std::string& target = channel == Channel::kEmail ? patient.email_index : patient.phone_index;
  if (!grant->contact_index.empty() && grant->contact_index != target) return Block::kContactChanged;
  if (target.empty()) return Block::kContactChanged;
  if (UsesPhone(channel)) {
    if (auto d = disconnected_.find(target); d != disconnected_.end() && grant->captured_date <= d->second) {
      return Block::kNumberReassigned;
    }
  }
  if (auto a = address_.find(target); a != address_.end()) {
    const AddressState& latest = a->second[static_cast<int>(channel)];
    if (latest.revoke && latest.seq > grant->seq) return Block::kRevoked;
  }
  return Block::kAllowed;
}

}  // namespace recall::consent
