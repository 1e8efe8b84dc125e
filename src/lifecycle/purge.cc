#include "lifecycle/purge.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "lifecycle/certificate.h"
#include "lifecycle/keys.h"
#include "reports/report.h"
#include "store/lifecycle_store.h"

namespace recall::lifecycle {
namespace {

namespace fs = std::filesystem;

// The context a sealed field was encrypted with (patients/importer.cc,
// consent/consent.cc, handoffs/handoffs.cc).
StatusOr<std::string> FieldContext(const std::string& practice_id, const store::SealedField& f) {
  if (f.table == "patients") return "patient." + f.field + "|" + practice_id + "|" + f.row_key;
  if (f.table == "consent_records") return "consent." + f.field + "|" + practice_id + "|" + f.row_key;
  if (f.table == "handoffs") return "handoff." + f.field + "|" + f.row_key;
  return InternalError("no field context for table " + f.table);
}

// The message id a file is named after: "<id>.eml", "<id>.txt", "<id>.wav"
// or a writer's temporary ".<id>.<ext>.<pid>.<n>.tmp".
std::string MessageIdOfFile(std::string name) {
  if (!name.empty() && name[0] == '.') name.erase(0, 1);
  return name.substr(0, name.find('.'));
}

// Deletes the regular files directly in `dir` that belong to `message_ids`;
// returns how many. A missing directory holds nothing.
int64_t DeleteMessageFiles(const fs::path& dir, const std::set<std::string>& message_ids) {
  std::error_code ec;
  if (message_ids.empty() || !fs::is_directory(dir, ec)) return 0;
  int64_t removed = 0;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (message_ids.count(MessageIdOfFile(entry.path().filename().string())) > 0) doomed.push_back(entry.path());
  }
  for (const auto& p : doomed) {
    if (fs::remove(p, ec)) ++removed;
  }
  return removed;
}

// The folders the `file` channel writes to for the practice, from
// <data>/channels.json (docs/channels.md). A missing or unreadable file
// names none (the worker would refuse to run with it).
std::vector<fs::path> FileChannelDirs(const std::string& data_dir, const std::string& practice_id) {
  std::ifstream in(fs::path(data_dir) / "channels.json", std::ios::binary);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  const auto config = nlohmann::json::parse(text.str(), nullptr, false);
  if (config.is_discarded() || !config.is_object() || !config.contains("transports") ||
      !config["transports"].is_array()) {
    return {};
  }
  std::vector<fs::path> dirs;
  for (const auto& t : config["transports"]) {
    if (!t.is_object() || t.value("type", "") != "file" || !t.contains("dir") || !t["dir"].is_string()) continue;
    const std::string practice = t.value("practice", "*");
    if (practice != "*" && practice != practice_id) continue;
    dirs.emplace_back(t["dir"].get<std::string>());
  }
  return dirs;
}

// Preview WAVs (campaigns/preview.h: "<campaign>-step<N>-...wav") anywhere
// under the data directory.
int64_t DeletePreviewFiles(const std::string& data_dir, const std::set<std::string>& campaign_ids) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (auto it = fs::recursive_directory_iterator(data_dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    const size_t dash = name.find("-step");
    if (dash == std::string::npos || !name.ends_with(".wav")) continue;
    if (campaign_ids.count(name.substr(0, dash)) > 0) doomed.push_back(it->path());
  }
  int64_t removed = 0;
  for (const auto& p : doomed) {
    if (fs::remove(p, ec)) ++removed;
  }
  return removed;
}

// Everything Recall wrote to files for these messages and campaigns.
int64_t DeleteFiles(engine::Engine& engine, const std::string& practice_id,
                    const std::vector<std::string>& message_ids, const std::set<std::string>& campaign_ids) {
  const std::set<std::string> ids(message_ids.begin(), message_ids.end());
  int64_t removed = DeleteMessageFiles(fs::path(engine.data_dir()) / "spool", ids);
  for (const auto& dir : FileChannelDirs(engine.data_dir(), practice_id)) removed += DeleteMessageFiles(dir, ids);
  removed += DeletePreviewFiles(engine.data_dir(), campaign_ids);
  return removed;
}

StatusOr<std::string> ReportSnapshot(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& campaign_id) {
  ASSIGN_OR_RETURN(auto report, reports::BuildReport(engine, practice_id, campaign_id));
  return reports::ReportJson(report).dump();
}

// The destroyed keys' wrapped copies in backups stay unwrappable for as long as
// the master key version that wrapped them exists: rotate and retire it.
// Returns the method line for the certificate.
std::string RotateMaster(engine::Engine& engine, PurgeResult& result) {
  const bool destroyed = !result.destroyed_key_ids.empty();
  auto rotated = RotateMasterKey(engine);
  if (!rotated.ok()) {
    result.crypto_shredded = false;
    return "the master key could not be rotated (" + std::string(StatusCodeName(rotated.status().code())) +
           "): run `recall keys rotate` so that copies of the destroyed key in backups cannot be unwrapped";
  }
  result.master_key_version = rotated->new_version;
  result.master_versions_retired = rotated->versions_retired;
  result.crypto_shredded = destroyed && !rotated->versions_retired.empty();
  std::string retired;
  for (uint32_t v : rotated->versions_retired) retired += (retired.empty() ? "v" : ", v") + std::to_string(v);
  return "re-wrapped every live data key under master key version v" + std::to_string(rotated->new_version) +
         (retired.empty() ? std::string(" (no older version could be retired yet)")
                          : " and removed " + retired + " from the master key file") +
         ": wrapped copies of destroyed keys in backups can no longer be unwrapped";
}

// Compaction failing (another process holds the database) does not undo the
// purge: the result and the certificate say so.
void Compact(engine::Engine& engine, PurgeResult& result) {
  auto compacted = engine.store().lifecycle().Compact();
  result.compacted = compacted.ok() && compacted->vacuumed && compacted->wal_truncated;
}

Status Certify(engine::Engine& engine, const store::PracticeRow& practice, std::vector<std::string> method,
               const std::string& out_dir, PurgeResult& result) {
  DeletionCertificate c;
  ASSIGN_OR_RETURN(c.certificate_id, engine.random().NewId("dc"));
  c.practice_id = practice.practice_id;
  c.practice_name = practice.name;
  c.scope = result.scope;
  c.campaign_id = result.campaign_id;
  c.counts = result.counts;
  if (result.compacted) {
    method.push_back("compacted the database (VACUUM) and truncated its write-ahead log, so freed pages hold no "
                     "bytes of the deleted rows");
  } else {
    method.push_back("database compaction could not complete (the database was in use); deleted cells were zeroed "
                     "(secure_delete)");
  }
  c.method = std::move(method);
  c.crypto_shredded = result.crypto_shredded;
  c.destroyed_key_ids = result.destroyed_key_ids;
  c.issued_at = FormatRfc3339Millis(engine.clock().Now());
  c.audit_seq = result.audit_seq;
  c.audit_hash = result.audit_hash;
  RETURN_IF_ERROR(Sign(*engine.signing_keys().current(), c));
  RETURN_IF_ERROR(WriteCertificateFiles(c, out_dir));
  result.certificate_id = c.certificate_id;
  result.certificate_json = (fs::path(out_dir) / kCertificateJsonName).string();
  result.certificate_pdf = (fs::path(out_dir) / kCertificatePdfName).string();
  return OkStatus();
}

// Finds the practice of `campaign_id` when the caller did not name it.
StatusOr<store::CampaignRow> FindCampaign(engine::Engine& engine, const std::string& practice_id,
                                          const std::string& campaign_id) {
  if (!practice_id.empty()) return engine.store().campaigns().GetCampaign(practice_id, campaign_id);
  ASSIGN_OR_RETURN(auto practices, engine.store().practices().List());
  for (const auto& p : practices) {
    auto row = engine.store().campaigns().GetCampaign(p.practice_id, campaign_id);
    if (row.ok()) return row;
    if (!IsNotFound(row.status())) return row.status();
  }
  return NotFoundError("no campaign " + campaign_id);
}

void Record(PurgeResult& result, const store::PurgeOutcome& outcome, int64_t files) {
  result.counts = outcome.counts;
  result.counts["files"] = files;
  result.recipients = outcome.recipients;
  result.retained = outcome.retained;
  result.reencrypted_fields = outcome.reencrypted_fields;
  result.destroyed_key_ids = outcome.destroyed_key_ids;
  result.audit_seq = outcome.record.seq;
  result.audit_hash = outcome.record.hash;
}

}  // namespace

StatusOr<PurgeResult> PurgeCampaign(engine::Engine& engine, const std::string& practice_id,
                                    const std::string& campaign_id, const std::string& out_dir) {
  if (campaign_id.empty()) return InvalidArgumentError("--campaign is required");
  if (out_dir.empty()) return InvalidArgumentError("--out is required");
  ASSIGN_OR_RETURN(auto campaign, FindCampaign(engine, practice_id, campaign_id));
  const std::string pid = campaign.practice_id;
  ASSIGN_OR_RETURN(auto practice, engine.store().practices().Get(pid));
  store::LifecycleStore& lifecycle = engine.store().lifecycle();
  ASSIGN_OR_RETURN(auto offboarded, lifecycle.OffboardedAt(pid));
  if (offboarded.has_value()) return FailedPreconditionError("practice " + pid + " is offboarded");
  // The store checks again inside its transaction; checking here first keeps
  // a refused purge from deleting any file.
  if (campaign.state == "purged") return FailedPreconditionError("campaign " + campaign_id + " is purged already");
  if (campaign.state == "scheduled" || campaign.state == "running") {
    return FailedPreconditionError("campaign " + campaign_id + " is " + campaign.state + "; pause it before purging");
  }

  store::PurgeRequest request;
  ASSIGN_OR_RETURN(request.purge_id, engine.random().NewId("prg"));
  request.practice_id = pid;
  request.campaign_id = campaign_id;
  request.now = engine.clock().Now();
  ASSIGN_OR_RETURN(request.report_snapshots[campaign_id], ReportSnapshot(engine, pid, campaign_id));

  // The keys the live rows are sealed with now, and the ones they move to.
  ASSIGN_OR_RETURN(auto live, lifecycle.LiveDataKeys(pid));
  const store::DataKeyRow* root = nullptr;
  for (const auto& k : live) {  // newest first
    if (k.purpose == store::kKeyPurposeRoot && root == nullptr) root = &k;
    if (k.purpose == store::kKeyPurposeField && request.expected_field_key_id.empty()) {
      request.expected_field_key_id = k.key.key_id;
    }
  }
  if (root == nullptr) return FailedPreconditionError("practice " + pid + " has no live data key");
  ASSIGN_OR_RETURN(auto old_keys, engine.KeysFor(pid));
  ASSIGN_OR_RETURN(request.new_field_key, engine.NewDataKey(pid));
  ASSIGN_OR_RETURN(auto root_dek, engine.master_keys().Unwrap(pid, root->key));
  ASSIGN_OR_RETURN(auto field_dek, engine.master_keys().Unwrap(pid, request.new_field_key));
  ASSIGN_OR_RETURN(auto new_keys, crypto::PracticeKeys::Derive(pid, *root_dek, field_dek.get()));
  request.reencrypt = [&](const store::SealedField& f) -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string context, FieldContext(pid, f));
    ASSIGN_OR_RETURN(std::string plain, old_keys->DecryptField(f.sealed, context));
    auto sealed = new_keys->EncryptField(plain, context, engine.random());
    std::fill(plain.begin(), plain.end(), '\0');
    return sealed;
  };

  ASSIGN_OR_RETURN(auto message_ids, lifecycle.MessageIds(pid, campaign_id));
  const int64_t files = DeleteFiles(engine, pid, message_ids, {campaign_id});

  auto outcome = lifecycle.PurgeCampaign(request, engine.Event("campaign.purge", pid, campaign_id));
  engine.ForgetKeys(pid);
  if (!outcome.ok()) return outcome.status();

  PurgeResult result;
  result.practice_id = pid;
  result.scope = kScopeCampaign;
  result.campaign_id = campaign_id;
  Record(result, *outcome, files);
  const std::string master_line = RotateMaster(engine, result);
  Compact(engine, result);

  std::vector<std::string> method = {
      "took a counts-only report of the campaign before deleting anything",
      "deleted the files written for the campaign's messages (rendered messages, audio) and its preview audio",
      "deleted the patient records, consent records, inbound events, invalid-contact marks and hand-off items of "
      "the campaign's recipients that no other active campaign needs, and the campaign's outbox and plan",
      "re-encrypted every remaining protected field of the practice under a new field key"};
  method.push_back(!result.destroyed_key_ids.empty()
                       ? "destroyed the previous field key (crypto-shredding): copies of the deleted records in "
                         "backups can no longer be decrypted"
                       : "the practice's previous field key derives from its root key, which must be kept: copies "
                         "of the deleted records in backups were not crypto-shredded");
  method.push_back(master_line);
  RETURN_IF_ERROR(Certify(engine, practice, std::move(method), out_dir, result));
  return result;
}

StatusOr<PurgeResult> OffboardPractice(engine::Engine& engine, const std::string& practice_id,
                                       const std::string& out_dir) {
  if (practice_id.empty()) return InvalidArgumentError("--practice is required");
  if (out_dir.empty()) return InvalidArgumentError("--out is required");
  ASSIGN_OR_RETURN(auto practice, engine.store().practices().Get(practice_id));
  store::LifecycleStore& lifecycle = engine.store().lifecycle();
  ASSIGN_OR_RETURN(auto offboarded, lifecycle.OffboardedAt(practice_id));
  if (offboarded.has_value()) return FailedPreconditionError("practice " + practice_id + " is offboarded already");

  store::PurgeRequest request;
  ASSIGN_OR_RETURN(request.purge_id, engine.random().NewId("prg"));
  request.practice_id = practice_id;
  request.now = engine.clock().Now();
  ASSIGN_OR_RETURN(auto campaigns, engine.store().campaigns().ListCampaigns(practice_id));
  std::set<std::string> campaign_ids;
  for (const auto& c : campaigns) {
    campaign_ids.insert(c.campaign_id);
    if (c.state == "purged") continue;  // its snapshot was taken by its purge
    ASSIGN_OR_RETURN(request.report_snapshots[c.campaign_id], ReportSnapshot(engine, practice_id, c.campaign_id));
  }

  ASSIGN_OR_RETURN(auto message_ids, lifecycle.MessageIds(practice_id, ""));
  const int64_t files = DeleteFiles(engine, practice_id, message_ids, campaign_ids);

  auto outcome = lifecycle.OffboardPractice(request, engine.Event("practice.offboard", practice_id, practice_id));
  engine.ForgetKeys(practice_id);
  if (!outcome.ok()) return outcome.status();

  PurgeResult result;
  result.practice_id = practice_id;
  result.scope = kScopePractice;
  Record(result, *outcome, files);
  const std::string master_line = RotateMaster(engine, result);
  Compact(engine, result);
  std::vector<std::string> method = {
      "took a counts-only report of every campaign before deleting anything",
      "deleted the files written for the practice's messages (rendered messages, audio) and preview audio",
      "deleted every patient record, consent record and consent wording, reassigned-number entry, outbox message, "
      "plan entry, inbound event, invalid-contact mark, hand-off item and cached API response of the practice",
      "destroyed every data key of the practice, root and field (crypto-shredding): copies of its records in "
      "backups can no longer be decrypted",
      "revoked every user's access to the practice and marked it offboarded: nothing can be imported or sent for it",
      master_line};
  RETURN_IF_ERROR(Certify(engine, practice, std::move(method), out_dir, result));
  return result;
}

}  // namespace recall::lifecycle
