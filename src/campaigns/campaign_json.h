#pragma once
// The JSON shape of a campaign, one for the CLI (`campaign show|create|edit`)
// and the API (`GET …/campaigns/{c}`, list, create, submit): a contract, see
// docs/cli.md. Kept apart from campaigns.h so that only the callers that emit
// JSON compile nlohmann-json's full header.
#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "engine/engine.h"
#include "store/campaign_store.h"

namespace recall::campaigns {

// The campaign row: id, name, kind, purpose, segment, steps (channel,
// fallback, condition, delay_hours, variants), schedule, state, author,
// approved_hash, revision, times.
nlohmann::json CampaignJson(const store::CampaignRow& campaign);

// One written sign-off.
nlohmann::json ApprovalJson(const store::ApprovalRow& approval);

// CampaignJson plus what a reviewer needs: content_sha256 (null when the
// content cannot be hashed), approvals, dispatchable / not_dispatchable_reason
// and `matched`, the patients the segment matches now (counted over stored,
// unencrypted fields only; nothing is decrypted and nothing audited).
StatusOr<nlohmann::json> CampaignDetailJson(engine::Engine& engine, const store::CampaignRow& campaign);

}  // namespace recall::campaigns
