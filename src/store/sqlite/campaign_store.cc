// SQLite implementation of CampaignStore. Every statement is scoped by
// practice_id; every change commits with its audit record.
#include <algorithm>
#include <mutex>

#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {

constexpr std::string_view kTemplateColumns =
    "practice_id, template_id, version, name, channel, tier, purpose, language, subject, body, author, created_at";

constexpr std::string_view kCampaignColumns =
    "practice_id, campaign_id, name, kind, purpose, segment_json, schedule_start, schedule_window_start, "
    "schedule_window_end, state, author, approved_hash, revision, created_at, updated_at";

TemplateRow ReadTemplate(const Stmt& s) {
  TemplateRow t;
  t.practice_id = s.Text(0);
  t.template_id = s.Text(1);
  t.version = s.Int(2);
  t.name = s.Text(3);
  t.channel = s.Text(4);
  t.tier = s.Int(5);
  t.purpose = s.Text(6);
  t.language = s.Text(7);
  t.subject = s.Text(8);
  t.body = s.Text(9);
  t.author = s.Text(10);
  t.created_at = s.Text(11);
  return t;
}

CampaignRow ReadCampaign(const Stmt& s) {
  CampaignRow c;
  c.practice_id = s.Text(0);
  c.campaign_id = s.Text(1);
  c.name = s.Text(2);
  c.kind = s.Text(3);
  c.purpose = s.Text(4);
  c.segment_json = s.Text(5);
  c.schedule_start = s.Text(6);
  c.schedule_window_start = s.Text(7);
  c.schedule_window_end = s.Text(8);
  c.state = s.Text(9);
  c.author = s.Text(10);
  c.approved_hash = s.Text(11);
  c.revision = s.Int(12);
  c.created_at = s.Text(13);
  c.updated_at = s.Text(14);
  return c;
}

bool IsHistory(const std::string& state) { return state == "completed" || state == "purged"; }

class SqliteCampaignStore final : public CampaignStore {
 public:
  SqliteCampaignStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

  Status CreateTemplate(const TemplateRow& row, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePracticeLocked(row.practice_id));
    ASSIGN_OR_RETURN(Stmt taken, db_->Prepare("SELECT 1 FROM templates WHERE practice_id = ? AND "
                                              "(template_id = ? OR name = ?) LIMIT 1"));
    taken.Bind(1, row.practice_id).Bind(2, row.template_id).Bind(3, row.name);
    ASSIGN_OR_RETURN(bool exists, taken.Step());
    if (exists) return AlreadyExistsError("a template with this id or name exists in practice " + row.practice_id);
    if (row.version != 1) return InvalidArgumentError("a new template starts at version 1");
    RETURN_IF_ERROR(InsertTemplateLocked(row));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<std::string>> AddTemplateVersion(const TemplateRow& row,
                                                        const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(TemplateRow latest, GetTemplateLocked(row.practice_id, row.template_id, 0));
    if (row.version != latest.version + 1) {
      return FailedPreconditionError("template " + row.template_id + " is at version " +
                                     std::to_string(latest.version) + "; the edit was based on another version");
    }
    if (row.name != latest.name) return InvalidArgumentError("a new version keeps the template's name");
    RETURN_IF_ERROR(InsertTemplateLocked(row));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());

    // Campaigns that use the template follow the new version; those past draft
    // lose their approval (store/campaign_store.h).
    ASSIGN_OR_RETURN(Stmt users, db_->Prepare("SELECT DISTINCT c.campaign_id, c.state FROM campaigns c "
                                              "JOIN campaign_step_variants v ON v.practice_id = c.practice_id AND "
                                              "v.campaign_id = c.campaign_id WHERE c.practice_id = ? AND "
                                              "v.template_id = ? ORDER BY c.campaign_id"));
    users.Bind(1, row.practice_id).Bind(2, row.template_id);
    std::vector<std::pair<std::string, std::string>> affected;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, users.Step());
      if (!more) break;
      if (!IsHistory(users.Text(1))) affected.emplace_back(users.Text(0), users.Text(1));
    }
    std::vector<std::string> reverted;
    for (const auto& [campaign_id, state] : affected) {
      ASSIGN_OR_RETURN(Stmt repoint, db_->Prepare("UPDATE campaign_step_variants SET template_version = ? WHERE "
                                                  "practice_id = ? AND campaign_id = ? AND template_id = ?"));
      repoint.Bind(1, row.version).Bind(2, row.practice_id).Bind(3, campaign_id).Bind(4, row.template_id);
      RETURN_IF_ERROR(repoint.Run());
      ASSIGN_OR_RETURN(Stmt bump, db_->Prepare("UPDATE campaigns SET revision = revision + 1, state = 'draft', "
                                               "approved_hash = '', updated_at = ? WHERE practice_id = ? AND "
                                               "campaign_id = ?"));
      bump.Bind(1, row.created_at).Bind(2, row.practice_id).Bind(3, campaign_id);
      RETURN_IF_ERROR(bump.Run());
      if (state != "draft") {
        audit::AuditEvent revert = event;
        revert.action = "campaign.revert_to_draft";
        revert.subject = campaign_id;
        revert.details = {{"from_state", state},
                          {"reason", std::string("template_changed")},
                          {"template_id", row.template_id},
                          {"template_version", row.version}};
        RETURN_IF_ERROR(AppendAuditLocked(db_, revert).status());
        reverted.push_back(campaign_id);
      }
    }
    RETURN_IF_ERROR(txn.Commit());
    return reverted;
  }

  StatusOr<TemplateRow> GetTemplate(const std::string& practice_id, const std::string& id_or_name,
                                    int64_t version) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetTemplateLocked(practice_id, id_or_name, version);
  }

  StatusOr<std::vector<TemplateRow>> ListTemplates(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kTemplateColumns) +
                                          " FROM templates t WHERE practice_id = ? AND version = (SELECT max(version) "
                                          "FROM templates u WHERE u.practice_id = t.practice_id AND "
                                          "u.template_id = t.template_id) ORDER BY name, template_id"));
    s.Bind(1, practice_id);
    std::vector<TemplateRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadTemplate(s));
    }
    return out;
  }

  Status CreateCampaign(const CampaignRow& row, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(RequirePracticeLocked(row.practice_id));
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO campaigns (") + std::string(kCampaignColumns) +
                                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    BindCampaign(ins, row);
    ins.Bind(12, row.approved_hash).Bind(13, row.revision).Bind(14, row.created_at).Bind(15, row.updated_at);
    RETURN_IF_ERROR(ins.Run());
    RETURN_IF_ERROR(InsertStepsLocked(row));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<CampaignRow> GetCampaign(const std::string& practice_id, const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    return GetCampaignLocked(practice_id, campaign_id);
  }

  StatusOr<std::vector<CampaignRow>> ListCampaigns(const std::string& practice_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT campaign_id FROM campaigns WHERE practice_id = ? "
                                          "ORDER BY created_at DESC, campaign_id"));
    s.Bind(1, practice_id);
    std::vector<std::string> ids;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.Text(0));
    }
    std::vector<CampaignRow> out;
    for (const auto& id : ids) {
      ASSIGN_OR_RETURN(CampaignRow c, GetCampaignLocked(practice_id, id));
      out.push_back(std::move(c));
    }
    return out;
  }

  StatusOr<CampaignRow> UpdateCampaign(const CampaignRow& row, int64_t expected_revision,
                                       const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(CampaignRow current, GetCampaignLocked(row.practice_id, row.campaign_id));
    if (IsHistory(current.state)) {
      return FailedPreconditionError("campaign " + row.campaign_id + " is " + current.state + " and cannot change");
    }
    if (current.revision != expected_revision) {
      return FailedPreconditionError("campaign " + row.campaign_id + " changed concurrently; read it again");
    }
    ASSIGN_OR_RETURN(Stmt upd, db_->Prepare("UPDATE campaigns SET name = ?, kind = ?, purpose = ?, segment_json = ?, "
                                            "schedule_start = ?, schedule_window_start = ?, "
                                            "schedule_window_end = ?, state = 'draft', approved_hash = '', "
                                            "revision = revision + 1, updated_at = ? WHERE practice_id = ? AND "
                                            "campaign_id = ?"));
    upd.Bind(1, row.name).Bind(2, row.kind).Bind(3, row.purpose).Bind(4, row.segment_json);
    upd.Bind(5, row.schedule_start).Bind(6, row.schedule_window_start).Bind(7, row.schedule_window_end);
    upd.Bind(8, row.updated_at).Bind(9, row.practice_id).Bind(10, row.campaign_id);
    RETURN_IF_ERROR(upd.Run());
    for (std::string_view table : {"campaign_step_variants", "campaign_steps"}) {
      ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM " + std::string(table) +
                                              " WHERE practice_id = ? AND campaign_id = ?"));
      del.Bind(1, row.practice_id).Bind(2, row.campaign_id);
      RETURN_IF_ERROR(del.Run());
    }
    RETURN_IF_ERROR(InsertStepsLocked(row));
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    ASSIGN_OR_RETURN(CampaignRow stored, GetCampaignLocked(row.practice_id, row.campaign_id));
    RETURN_IF_ERROR(txn.Commit());
    return stored;
  }

  Status SetState(const std::string& practice_id, const std::string& campaign_id, const std::string& from,
                  const std::string& to, int64_t expected_revision, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(Stmt upd, db_->Prepare("UPDATE campaigns SET state = ?, approved_hash = CASE WHEN ? = 'draft' "
                                            "THEN '' ELSE approved_hash END, updated_at = ? WHERE practice_id = ? "
                                            "AND campaign_id = ? AND state = ? AND revision = ?"));
    upd.Bind(1, to).Bind(2, to).Bind(3, FormatRfc3339Millis(event.time)).Bind(4, practice_id).Bind(5, campaign_id);
    upd.Bind(6, from).Bind(7, expected_revision);
    RETURN_IF_ERROR(upd.Run());
    if (sqlite3_changes(db_->raw()) != 1) {
      RETURN_IF_ERROR(GetCampaignLocked(practice_id, campaign_id).status());  // NotFound first
      return FailedPreconditionError("campaign " + campaign_id + " is not " + from +
                                     " at the expected revision; read it again");
    }
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  Status RecordApproval(const ApprovalRow& row, const audit::AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(*mu_);
    Txn txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(CampaignRow current, GetCampaignLocked(row.practice_id, row.campaign_id));
    if (current.state != "submitted") {
      return FailedPreconditionError("campaign " + row.campaign_id + " is " + current.state +
                                     "; only a submitted campaign can be approved");
    }
    if (current.revision != row.revision) {
      return FailedPreconditionError("campaign " + row.campaign_id + " changed after its content was hashed");
    }
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO campaign_approvals (practice_id, campaign_id, approval_id, "
                                            "revision, signer_name, signer_title, statement, content_sha256, actor, "
                                            "approved_at) VALUES (?,?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, row.practice_id).Bind(2, row.campaign_id).Bind(3, row.approval_id).Bind(4, row.revision);
    ins.Bind(5, row.signer_name).Bind(6, row.signer_title).Bind(7, row.statement).Bind(8, row.content_sha256);
    ins.Bind(9, row.actor).Bind(10, row.approved_at);
    RETURN_IF_ERROR(ins.Run());
    ASSIGN_OR_RETURN(Stmt upd, db_->Prepare("UPDATE campaigns SET state = 'approved', approved_hash = ?, "
                                            "updated_at = ? WHERE practice_id = ? AND campaign_id = ?"));
    upd.Bind(1, row.content_sha256).Bind(2, row.approved_at).Bind(3, row.practice_id).Bind(4, row.campaign_id);
    RETURN_IF_ERROR(upd.Run());
    RETURN_IF_ERROR(AppendAuditLocked(db_, event).status());
    return txn.Commit();
  }

  StatusOr<std::vector<ApprovalRow>> ListApprovals(const std::string& practice_id,
                                                   const std::string& campaign_id) override {
    std::lock_guard<std::mutex> lock(*mu_);
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT practice_id, campaign_id, approval_id, revision, signer_name, "
                                          "signer_title, statement, content_sha256, actor, approved_at FROM "
                                          "campaign_approvals WHERE practice_id = ? AND campaign_id = ? "
                                          "ORDER BY revision, approved_at, approval_id"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    std::vector<ApprovalRow> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7),
                     s.Text(8), s.Text(9)});
    }
    return out;
  }

 private:
  Status RequirePracticeLocked(const std::string& practice_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT 1 FROM practices WHERE practice_id = ?"));
    s.Bind(1, practice_id);
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotFoundError("no practice " + practice_id);
    return OkStatus();
  }

  Status InsertTemplateLocked(const TemplateRow& t) {
    ASSIGN_OR_RETURN(Stmt ins, db_->Prepare(std::string("INSERT INTO templates (") + std::string(kTemplateColumns) +
                                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, t.practice_id).Bind(2, t.template_id).Bind(3, t.version).Bind(4, t.name).Bind(5, t.channel);
    ins.Bind(6, t.tier).Bind(7, t.purpose).Bind(8, t.language).Bind(9, t.subject).Bind(10, t.body);
    ins.Bind(11, t.author).Bind(12, t.created_at);
    return ins.Run();
  }

  StatusOr<TemplateRow> GetTemplateLocked(const std::string& practice_id, const std::string& id_or_name,
                                          int64_t version) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kTemplateColumns) +
                                          " FROM templates WHERE practice_id = ? AND (template_id = ? OR name = ?) "
                                          "AND (? = 0 OR version = ?) ORDER BY version DESC LIMIT 1"));
    s.Bind(1, practice_id).Bind(2, id_or_name).Bind(3, id_or_name).Bind(4, version).Bind(5, version);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no such template (version) in practice " + practice_id);
    return ReadTemplate(s);
  }

  static void BindCampaign(Stmt& s, const CampaignRow& c) {
    s.Bind(1, c.practice_id).Bind(2, c.campaign_id).Bind(3, c.name).Bind(4, c.kind).Bind(5, c.purpose);
    s.Bind(6, c.segment_json).Bind(7, c.schedule_start).Bind(8, c.schedule_window_start);
    s.Bind(9, c.schedule_window_end).Bind(10, c.state).Bind(11, c.author);
  }

  Status InsertStepsLocked(const CampaignRow& c) {
    ASSIGN_OR_RETURN(Stmt step, db_->Prepare("INSERT INTO campaign_steps (practice_id, campaign_id, step_index, "
                                             "channel, delay_hours, fallback, condition) VALUES (?,?,?,?,?,?,?)"));
    ASSIGN_OR_RETURN(Stmt variant, db_->Prepare("INSERT INTO campaign_step_variants (practice_id, campaign_id, "
                                                "step_index, language, template_id, template_version, channel) "
                                                "VALUES (?,?,?,?,?,?,?)"));
    ASSIGN_OR_RETURN(Stmt exists, db_->Prepare("SELECT 1 FROM templates WHERE practice_id = ? AND template_id = ? "
                                               "AND version = ?"));
    for (size_t step_idx = 0; step_idx < c.steps.size(); ++step_idx) {
      const CampaignStepRow& s = c.steps[step_idx];
      step.Bind(1, c.practice_id).Bind(2, c.campaign_id).Bind(3, static_cast<int64_t>(step_idx));
      std::string fallback;
      for (const std::string& f : s.fallback) fallback += (fallback.empty() ? "" : ",") + f;
      step.Bind(4, s.channel).Bind(5, s.delay_hours).Bind(6, fallback).Bind(7, s.condition);
      RETURN_IF_ERROR(step.Run());
      for (const StepVariantRow& v : s.variants) {
        exists.Bind(1, c.practice_id).Bind(2, v.template_id).Bind(3, v.template_version);
        ASSIGN_OR_RETURN(bool found, exists.Step());
        exists.Reset();
        if (!found) {
          return NotFoundError("step " + std::to_string(step_idx + 1) + " references template " + v.template_id +
                               " version " + std::to_string(v.template_version) + ", which does not exist");
        }
        variant.Bind(1, c.practice_id).Bind(2, c.campaign_id).Bind(3, static_cast<int64_t>(step_idx));
        variant.Bind(4, v.language).Bind(5, v.template_id).Bind(6, v.template_version);
        variant.Bind(7, v.channel.empty() ? s.channel : v.channel);
        RETURN_IF_ERROR(variant.Run());
      }
    }
    return OkStatus();
  }

  StatusOr<CampaignRow> GetCampaignLocked(const std::string& practice_id, const std::string& campaign_id) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(std::string("SELECT ") + std::string(kCampaignColumns) +
                                          " FROM campaigns WHERE practice_id = ? AND campaign_id = ?"));
    s.Bind(1, practice_id).Bind(2, campaign_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no campaign " + campaign_id + " in practice " + practice_id);
    CampaignRow c = ReadCampaign(s);
    ASSIGN_OR_RETURN(Stmt steps, db_->Prepare("SELECT step_index, channel, delay_hours, fallback, condition FROM "
                                              "campaign_steps WHERE practice_id = ? AND campaign_id = ? "
                                              "ORDER BY step_index"));
    steps.Bind(1, practice_id).Bind(2, campaign_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool more, steps.Step());
      if (!more) break;
      CampaignStepRow step;
      step.channel = steps.Text(1);
      step.delay_hours = steps.Int(2);
      const std::string fallback = steps.Text(3);
      for (size_t pos = 0; pos < fallback.size();) {
        const size_t comma = std::min(fallback.find(',', pos), fallback.size());
        step.fallback.push_back(fallback.substr(pos, comma - pos));
        pos = comma + 1;
      }
      step.condition = steps.Text(4);
      c.steps.push_back(std::move(step));
    }
    ASSIGN_OR_RETURN(Stmt vars, db_->Prepare("SELECT step_index, language, template_id, template_version, channel "
                                             "FROM campaign_step_variants WHERE practice_id = ? AND campaign_id = ? "
                                             "ORDER BY step_index, channel, language"));
    vars.Bind(1, practice_id).Bind(2, campaign_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool more, vars.Step());
      if (!more) break;
      const auto idx = static_cast<size_t>(vars.Int(0));
      if (idx >= c.steps.size()) return DataLossError("campaign " + campaign_id + " has a variant without a step");
      c.steps[idx].variants.push_back({vars.Text(4), vars.Text(1), vars.Text(2), vars.Int(3)});
    }
    return c;
  }

  Db* db_;
  std::mutex* mu_;
};

}  // namespace

std::unique_ptr<CampaignStore> NewSqliteCampaignStore(Db* db, std::mutex* mu) {
  return std::make_unique<SqliteCampaignStore>(db, mu);
}

}  // namespace recall::store::sqlite
