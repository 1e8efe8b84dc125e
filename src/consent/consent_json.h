#pragma once
// The JSON shapes of the consent vault, one for the CLI (`consent show`,
// `consent language`) and the API (`GET …/patients/{p}/consent`,
// `GET …/consent/wording`): a contract, see docs/cli.md.
#include <nlohmann/json_fwd.hpp>

#include "consent/consent.h"
#include "store/consent_store.h"

namespace recall::consent {

// {"patient_id", "channels": {channel: {purpose: "granted"|"revoked"|"none"}},
//  "invalidated": [...], "history": [...]} (history: no evidence text, contact masked).
nlohmann::json ViewJson(const ConsentView& view);

// One wording version: {"version","channel","sha256","text","created_at","created_by"}.
nlohmann::json LanguageJson(const store::ConsentLanguageRow& language);

}  // namespace recall::consent
