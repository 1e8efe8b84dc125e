#include "reports/report.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include <unordered_map>

#include "practices/settings.h"
#include "store/run_store.h"

namespace recall::reports {

namespace {

using nlohmann::json;

json Counts(const std::map<std::string, int64_t>& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

std::string Dollars(int64_t cents) {
  const char* sign = cents < 0 ? "-" : "";
  if (cents < 0) cents = -cents;
  std::string frac = std::to_string(cents % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return sign + std::to_string(cents / 100) + "." + frac;
}

}  // namespace

StatusOr<CampaignReport> BuildReport(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& campaign_id) {
  store::Store& store = engine.store();
  ASSIGN_OR_RETURN(store::CampaignRow campaign, store.campaigns().GetCampaign(practice_id, campaign_id));
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine, practice_id));
  ASSIGN_OR_RETURN(store::RunCounts counts, store.runs().Counts(practice_id, campaign_id));
  ASSIGN_OR_RETURN(auto runs, store.runs().StepRuns(practice_id, campaign_id));

  CampaignReport r;
  r.practice_id = practice_id;
  r.campaign_id = campaign_id;
  r.name = campaign.name;
  r.kind = campaign.kind;
  r.state = campaign.state;
  r.planned = counts.planned;
  r.call_list = counts.call_list;
  r.skipped = counts.skipped_by_reason;
  r.delivered = counts.delivered;
  r.undeliverable = counts.undeliverable;
  r.deferred = counts.deferred;
  for (size_t i = 0; i < campaign.steps.size(); ++i) {
    StepReport s;
    s.step = static_cast<int>(i);
    s.channel = campaign.steps[i].channel;
    if (i < runs.size()) {
      s.due_at = FormatRfc3339Millis(runs[i].due_at);
      s.planned = runs[i].planned;
    }
    for (const auto& [key, n] : counts.per_step[static_cast<int>(i)]) {
      s.considered += n;
      if (key == "planned") s.planned_messages += n;
      else if (key.starts_with("call_list:")) s.call_list += n;
      else if (key.starts_with("skipped:")) s.skipped[key.substr(8)] += n;
    }
    s.channels = counts.channels_per_step[static_cast<int>(i)];
    if (i == 0) r.targeted = s.considered;
    r.steps.push_back(std::move(s));
  }
  for (const auto& [kind, n] : counts.inbound_by_kind) {
    if (kind != "unsubscribe" && kind != "click") r.replies += n;
    if (kind == "confirm") r.confirmations += n;
    if (kind == "opt_out") r.opt_outs += n;
    if (kind == "unsubscribe") r.unsubscribes += n;
    if (kind == "urgent" || kind == "other") r.handoffs += n;
  }

  // Message states, and the day each patient was first reached.
  std::unordered_map<std::string, std::string> first_sent;  // patient -> YYYY-MM-DD (UTC)
  std::unordered_map<std::string, int64_t> first_sent_hour;  // patient -> hours since the epoch
  // The series, by hour since the epoch.
  std::map<int64_t, CampaignReport::Bucket> hours;
  auto hour_of = [](TimePoint t) {
    return std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count();
  };
  for (const auto& [hour, kinds] : counts.inbound_by_hour) {
    for (const auto& [kind, n] : kinds) {
      if (kind != "unsubscribe" && kind != "click") hours[hour].replies += n;
      if (kind == "opt_out" || kind == "unsubscribe") hours[hour].opt_outs += n;
    }
  }
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, store.outbox().ListByCampaign(practice_id, campaign_id, after, 1000));
    if (page.empty()) break;
    after = page.back().message_id;
    for (const auto& row : page) {
      if (row.state == store::kOutboxQueued) ++r.queued;
      else if (row.state == store::kOutboxLeased) ++r.in_flight;
      else if (row.state == store::kOutboxFailed) ++r.failed, ++r.failed_by_reason[row.last_reason];
      else if (row.state == store::kOutboxCancelled) ++r.cancelled, ++r.cancelled_by_reason[row.last_reason];
      else if (row.state == store::kOutboxSent) {
        ++r.sent;
        const std::string day = FormatRfc3339Millis(row.sent_at).substr(0, 10);
        auto [it, inserted] = first_sent.emplace(row.patient_id, day);
        if (!inserted && day < it->second) it->second = day;
        const int64_t hour = hour_of(row.sent_at);
        ++hours[hour].sent;
        auto [ht, hinserted] = first_sent_hour.emplace(row.patient_id, hour);
        if (!hinserted && hour < ht->second) ht->second = hour;
      }
      if (row.delivery == "delivered") ++hours[hour_of(row.delivered_at)].delivered;
    }
  }
  // Reactivation: a later import moved the patient's last visit past the day
  // Recall first reached them.
  if (!first_sent.empty()) {
    RETURN_IF_ERROR(store.patients().Scan(practice_id, [&](const store::PatientRow& p) {
      auto it = first_sent.find(p.patient_id);
      if (it != first_sent.end() && !p.last_visit.empty() && p.last_visit > it->second) {
        ++r.reactivated;
        ++hours[first_sent_hour[p.patient_id]].reactivations;
      }
      return true;
    }));
  }
  if (!hours.empty()) {
    // Consecutive buckets from the first to the last activity: hours over at
    // most three days, else days.
    const int64_t first = hours.begin()->first, last = hours.rbegin()->first;
    const bool by_day = last - first >= 72;
    r.bucket = by_day ? "day" : "hour";
    const int64_t width = by_day ? 24 : 1;
    const int64_t start = first - (first % width), end = last - (last % width);
    for (int64_t b = start; b <= end; b += width) {
      CampaignReport::Bucket bucket;
      bucket.start = FormatRfc3339Millis(TimePoint(std::chrono::hours(b)));
      for (auto it = hours.lower_bound(b); it != hours.end() && it->first < b + width; ++it) {
        bucket.sent += it->second.sent;
        bucket.delivered += it->second.delivered;
        bucket.replies += it->second.replies;
        bucket.opt_outs += it->second.opt_outs;
        bucket.reactivations += it->second.reactivations;
      }
      r.series.push_back(std::move(bucket));
    }
  }
  r.average_visit_value_cents = settings.average_visit_value_cents;
  r.roi_estimate_cents = r.reactivated * settings.average_visit_value_cents;
  RETURN_IF_ERROR(store.audit()
                      .Append(engine.Event("campaign.report", practice_id, campaign_id,
                                           {{"sent", r.sent}, {"reactivated", r.reactivated}}))
                      .status());
  return r;
}

json ReportJson(const CampaignReport& r) {
  json series = json::array();
  for (const auto& b : r.series) {
    series.push_back({{"start", b.start},
                      {"sent", b.sent},
                      {"delivered", b.delivered},
                      {"replies", b.replies},
                      {"opt_outs", b.opt_outs},
                      {"reactivations", b.reactivations}});
  }
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"step", s.step + 1},
                     {"channel", s.channel},
                     {"due_at", s.due_at},
                     {"planned", s.planned},
                     {"considered", s.considered},
                     {"messages", s.planned_messages},
                     {"call_list", s.call_list},
                     {"skipped", Counts(s.skipped)},
                     {"channels", Counts(s.channels)}});
  }
  return {{"campaign_id", r.campaign_id},
          {"practice_id", r.practice_id},
          {"name", r.name},
          {"kind", r.kind},
          {"state", r.state},
          {"targeted", r.targeted},
          {"planned", r.planned},
          {"call_list", r.call_list},
          {"skipped", Counts(r.skipped)},
          {"queued", r.queued},
          {"in_flight", r.in_flight},
          {"deferred", r.deferred},
          {"sent", r.sent},
          {"delivered", r.delivered},
          {"undeliverable", r.undeliverable},
          {"failed", r.failed},
          {"failed_by_reason", Counts(r.failed_by_reason)},
          {"cancelled", r.cancelled},
          {"cancelled_by_reason", Counts(r.cancelled_by_reason)},
          {"replies", r.replies},
          {"confirmations", r.confirmations},
          {"opt_outs", r.opt_outs},
          {"unsubscribes", r.unsubscribes},
          {"handoffs", r.handoffs},
          {"reactivated", r.reactivated},
          {"average_visit_value", Dollars(r.average_visit_value_cents)},
          {"roi_estimate", Dollars(r.roi_estimate_cents)},
          {"steps", steps},
          {"bucket", r.bucket},
          {"series", series}};
}

StatusOr<std::vector<CallListEntry>> CallList(engine::Engine& engine, const std::string& practice_id,
                                              const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::CampaignRow campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  std::vector<CallListEntry> out;
  for (size_t i = 0; i < campaign.steps.size(); ++i) {
    ASSIGN_OR_RETURN(auto entries, engine.store().runs().ListPlan(practice_id, campaign_id, static_cast<int>(i),
                                                                  store::kPlanCallList));
    for (const auto& e : entries) out.push_back({static_cast<int>(i), e.patient_id, e.reason});
  }
  RETURN_IF_ERROR(engine.store()
                      .audit()
                      .Append(engine.Event("campaign.call_list", practice_id, campaign_id,
                                           {{"entries", static_cast<int64_t>(out.size())}}))
                      .status());
  return out;
}

}  // namespace recall::reports
