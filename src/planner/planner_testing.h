#pragma once
// Test helpers shared by the planner and worker tests: synthetic patients with
// consent, vendors with BAAs, and an approved campaign. For tests only.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "campaigns/campaigns.h"
#include "consent/consent.h"
#include "engine/engine_testing.h"
#include "patients/patients.h"
#include "vendors/vendors.h"

namespace recall::planner {

// Imports `csv` (synthetic only) and returns the Recall ids of its rows, in
// file order, looked up by the practice's own ids in `external_ids`.
inline StatusOr<std::vector<std::string>> ImportForTest(engine::TestEngine& engine, const std::string& practice,
                                                        const std::string& csv,
                                                        const std::vector<std::string>& external_ids) {
  std::istringstream in(csv);
  ASSIGN_OR_RETURN(auto report, patients::ImportCsv(*engine, practice, in, {}));
  (void)report;
  ASSIGN_OR_RETURN(auto keys, engine->KeysFor(practice));
  std::vector<std::string> ids;
  for (const auto& ext : external_ids) {
    ASSIGN_OR_RETURN(auto row, engine->store().patients().GetByExternalIndex(practice,
                                                                             keys->BlindIndex("external_id", ext)));
    ids.push_back(row.patient_id);
  }
  return ids;
}

inline Status GrantForTest(engine::TestEngine& engine, const std::string& practice, const std::string& patient,
                           consent::Channel channel, consent::Purpose purpose = consent::Purpose::kOutreach) {
  consent::GrantRequest req;
  req.practice_id = practice;
  req.patient = patient;
  req.channel = channel;
  req.purpose = purpose;
  req.source = consent::Source::kIntakeForm;
  req.evidence = "signed intake form, front desk (synthetic)";
  return consent::ConsentVault(*engine).Record(req).status();
}

// A vendor with a BAA for each channel named.
inline Status AddVendorsForTest(engine::TestEngine& engine, const std::string& practice,
                                const std::vector<std::string>& channels) {
  const auto doc = engine.dir() / "vendor-baa.pdf";
  std::ofstream(doc) << "signed vendor BAA document (synthetic)";
  for (const auto& channel : channels) {
    RETURN_IF_ERROR(
        vendors::AddVendor(*engine, {practice, "Vendor " + channel, channel, "", "2025-10-01", doc.string()}).status());
  }
  return OkStatus();
}

// A one-step SMS campaign over the lapsed patients, with template `sms_template`.
inline campaigns::CampaignInput SmsCampaignForTest(const std::string& practice, const std::string& sms_template,
                                                   const std::string& start = "2025-11-20T09:00",
                                                   const std::string& purpose = "outreach") {
  campaigns::CampaignInput c;
  c.practice_id = practice;
  c.name = "Lapsed patients";
  c.kind = "re-engagement";
  c.purpose = purpose;
  c.segment_json = R"({"status":"lapsed"})";
  campaigns::StepInput step;
  step.channel = "sms";
  step.templates = {sms_template};
  c.steps = {step};
  c.start = start;
  c.window = "08:00-20:00";
  return c;
}

// Creates, submits and approves (as a second actor, "cli:dana") a campaign.
inline StatusOr<std::string> ApprovedCampaignForTest(engine::TestEngine& engine, const campaigns::CampaignInput& input,
                                                     const scanner::Scanner& scanner) {
  ASSIGN_OR_RETURN(auto created, campaigns::CreateCampaign(*engine, input));
  ASSIGN_OR_RETURN(auto submitted, campaigns::Submit(*engine, scanner, input.practice_id, created.campaign_id));
  (void)submitted;
  ASSIGN_OR_RETURN(auto approver,
                   engine::Engine::Open({engine.dir().string(), "", "cli:dana", &engine.clock(), nullptr}));
  RETURN_IF_ERROR(campaigns::Approve(*approver, input.practice_id, created.campaign_id,
                                     {"Dana Whitlock", "Office Manager",
                                      "I approve these messages, word for word, for the segment and schedule shown.",
                                      ""})
                      .status());
  return created.campaign_id;
}

}  // namespace recall::planner
