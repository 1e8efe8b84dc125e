#pragma once
// Campaign reports: what a campaign did, in counts only (no PHI).
//
//   targeted        patients the planner considered (step 0's cohort)
//   planned / skipped by reason / call_list    per step and in total
//   queued, deferred (deferred at least once), sent, delivered, failed,
//   cancelled (by reason), undeliverable
//   replies         inbound events attributed to the campaign (any kind)
//   confirmations, opt_outs, unsubscribes, handoffs (urgent or free-text
//   replies a person must read)
//   reactivated     patients sent a message whose last visit, on a later
//                   import, is after the day of that first message
//   roi_estimate    reactivated x the practice's average visit value
//   series          the same over time, for the console's chart: buckets of
//                   one hour (UTC) when the campaign's activity spans at most
//                   three days, else of one day; per bucket sent (by sent_at),
//                   delivered (by the report's arrival), replies and opt_outs
//                   (by receipt), reactivations (counted in the bucket of the
//                   patient's first message, i.e. which sends won them back)
//
// Reading a report is audited ("campaign.report"; counts are not PHI, but who
// looked is worth knowing).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "engine/engine.h"

namespace recall::reports {

struct StepReport {
  int step = 0;  // 0-based
  std::string channel;
  std::string due_at;  // RFC 3339; "" before the campaign starts
  bool planned = false;
  int64_t considered = 0, planned_messages = 0, call_list = 0;
  std::map<std::string, int64_t> skipped;   // by reason
  std::map<std::string, int64_t> channels;  // planned messages by channel
};

struct CampaignReport {
  std::string practice_id, campaign_id, name, kind, state;
  int64_t targeted = 0;
  int64_t planned = 0;
  int64_t call_list = 0;
  std::map<std::string, int64_t> skipped;
  int64_t queued = 0, in_flight = 0, deferred = 0, sent = 0, delivered = 0, undeliverable = 0, failed = 0,
          cancelled = 0;
  std::map<std::string, int64_t> cancelled_by_reason;
  std::map<std::string, int64_t> failed_by_reason;
  int64_t replies = 0, confirmations = 0, opt_outs = 0, unsubscribes = 0, handoffs = 0;
  int64_t reactivated = 0;
  int64_t average_visit_value_cents = 0;
  int64_t roi_estimate_cents = 0;
  std::vector<StepReport> steps;
  struct Bucket {
    std::string start;  // RFC 3339, the bucket's first instant (UTC)
    int64_t sent = 0, delivered = 0, replies = 0, opt_outs = 0, reactivations = 0;
  };
  std::string bucket = "hour";  // "hour" | "day"
  std::vector<Bucket> series;    // consecutive buckets, first to last activity
};

// NotFound for an unknown practice or campaign.
StatusOr<CampaignReport> BuildReport(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& campaign_id);

// The CLI / API shape (a contract: see docs/cli.md).
nlohmann::json ReportJson(const CampaignReport& report);

struct CallListEntry {
  int step = 0;
  std::string patient_id;
  std::string reason;  // "ok" (a call step) or "no_language"
};
// The patients listed for a staff call, by step and patient id (ids only: the
// console or `patient show --reveal` gives staff the number, audited).
StatusOr<std::vector<CallListEntry>> CallList(engine::Engine& engine, const std::string& practice_id,
                                              const std::string& campaign_id);

}  // namespace recall::reports
