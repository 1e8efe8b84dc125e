#include "campaigns/campaign_json.h"

#include <nlohmann/json.hpp>

#include "campaigns/campaigns.h"

namespace recall::campaigns {

using nlohmann::json;

json CampaignJson(const store::CampaignRow& c) {
  json steps = json::array();
  for (const auto& s : c.steps) {
    json variants = json::array();
    for (const auto& v : s.variants) {
      variants.push_back({{"channel", v.channel},
                          {"language", v.language},
                          {"template_id", v.template_id},
                          {"template_version", v.template_version}});
    }
    steps.push_back({{"channel", s.channel},
                     {"fallback", s.fallback},
                     {"condition", s.condition},
                     {"delay_hours", s.delay_hours},
                     {"variants", variants}});
  }
  json segment = json::parse(c.segment_json, nullptr, /*allow_exceptions=*/false);
  if (segment.is_discarded()) segment = nullptr;
  const std::string window =
      c.schedule_window_start.empty() ? "" : c.schedule_window_start + "-" + c.schedule_window_end;
  return {{"campaign_id", c.campaign_id},
          {"name", c.name},
          {"kind", c.kind},
          {"purpose", c.purpose},
          {"segment", segment},
          {"steps", steps},
          {"schedule", {{"start", c.schedule_start}, {"window", window}}},
          {"state", c.state},
          {"author", c.author},
          {"approved_hash", c.approved_hash.empty() ? json(nullptr) : json(c.approved_hash)},
          {"revision", c.revision},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json ApprovalJson(const store::ApprovalRow& a) {
  return {{"approval_id", a.approval_id},   {"revision", a.revision},     {"signer_name", a.signer_name},
          {"signer_title", a.signer_title}, {"statement", a.statement},   {"content_sha256", a.content_sha256},
          {"recorded_by", a.actor},         {"approved_at", a.approved_at}};
}

StatusOr<json> CampaignDetailJson(engine::Engine& engine, const store::CampaignRow& row) {
  ASSIGN_OR_RETURN(auto approvals, engine.store().campaigns().ListApprovals(row.practice_id, row.campaign_id));
  json out = CampaignJson(row);
  auto hash = ContentHash(engine, row);
  out["content_sha256"] = hash.ok() ? json(*hash) : json(nullptr);
  json list = json::array();
  for (const auto& a : approvals) list.push_back(ApprovalJson(a));
  out["approvals"] = list;
  Status dispatchable = CheckDispatchable(engine, row.practice_id, row.campaign_id);
  out["dispatchable"] = dispatchable.ok();
  if (!dispatchable.ok()) out["not_dispatchable_reason"] = dispatchable.message();
  ASSIGN_OR_RETURN(Segment segment, ParseSegment(row.segment_json));
  int64_t matched = 0;
  store::PageRequest page{"", 1000};
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, engine.store().patients().List(row.practice_id, page));
    for (const auto& patient : rows.rows) matched += SegmentMatches(segment, patient) ? 1 : 0;
    if (rows.next.empty()) break;
    page.after = rows.next;
  }
  out["matched"] = matched;
  return out;
}

}  // namespace recall::campaigns
