#include "consent/consent_json.h"

#include <nlohmann/json.hpp>

namespace recall::consent {

using nlohmann::json;

namespace {

json OptionalBool(const std::optional<bool>& v) { return v.has_value() ? json(*v) : json(nullptr); }

}  // namespace

json ViewJson(const ConsentView& v) {
  json channels = json::object();
  json invalidated = json::array();
  for (Channel c : kAllChannels) {
    json purposes = json::object();
    for (Purpose p : kAllPurposes) {
      const auto& cell = v.cell(c, p);
      // A grant that no longer counts (contact changed, number reassigned) is
      // reported as "none"; an address-level STOP as "revoked".
      std::string_view state = "none";
      if (cell.block == Block::kAllowed) state = "granted";
      else if (cell.block == Block::kRevoked) state = "revoked";
      purposes[std::string(PurposeName(p))] = state;
      if (cell.state == State::kGranted && cell.block != Block::kAllowed) {
        invalidated.push_back({{"channel", ChannelName(c)},
                               {"purpose", PurposeName(p)},
                               {"reason", BlockName(cell.block)},
                               {"consent_id", cell.consent_id}});
      }
    }
    channels[std::string(ChannelName(c))] = purposes;
  }
  json history = json::array();
  for (const auto& h : v.history) {
    history.push_back({{"consent_id", h.consent_id},
                       {"kind", h.kind},
                       {"channel", h.channel},
                       {"purpose", h.purpose},
                       {"source", h.source},
                       {"captured_at", h.captured_at},
                       {"captured_by", h.captured_by},
                       {"contact", h.contact_masked},
                       {"language_version", h.language_version},
                       {"language_sha256", h.language_sha256},
                       {"risk_acknowledged", OptionalBool(h.risk_acknowledged)}});
  }
  return {{"patient_id", v.patient_id}, {"channels", channels}, {"invalidated", invalidated}, {"history", history}};
}

json LanguageJson(const store::ConsentLanguageRow& l) {
  return {{"version", l.version_id}, {"channel", l.channel},       {"sha256", l.sha256},
          {"text", l.text},          {"created_at", l.created_at}, {"created_by", l.created_by}};
}

}  // namespace recall::consent
