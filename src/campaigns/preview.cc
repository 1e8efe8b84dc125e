#include "campaigns/preview.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "campaigns/campaigns.h"
#include "campaigns/speech.h"
#include "common/redact.h"
#include "common/text.h"
#include "templates/sms_encoding.h"

namespace recall::campaigns {

namespace {

// Plainly fake values for what the store does not hold yet.
const templates::Values& SampleValues() {
  static const templates::Values kSamples = {
      {"appointment_date", "Tuesday, December 2"},
      {"appointment_time", "10:30 AM"},
      {"portal_link", "https://portal.example.invalid/m/SAMPLE"},
      {"unsubscribe_link", "https://recall.example.invalid/u/SAMPLE"},
      {"consent_link", "https://recall.example.invalid/c/SAMPLE"},
      {"office_hours", "Mon-Fri 8am-5pm"},
  };
  return kSamples;
}

// "+12175550100" -> "(217) 555-0100"; other numbers as stored.
std::string DisplayPhone(const std::string& e164) {
  if (e164.size() == 12 && e164.starts_with("+1")) {
    return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
  }
  return e164;
}

std::string Initial(const std::string& name) {
  if (name.empty()) return "";
  size_t len = 1;
  const auto lead = static_cast<unsigned char>(name[0]);
  if (lead >= 0xF0) len = 4;
  else if (lead >= 0xE0) len = 3;
  else if (lead >= 0xC0) len = 2;
  return name.substr(0, std::min(len, name.size())) + ".";
}

void AddScan(const scanner::Scanner& scanner, std::string_view text, const std::string& field,
             templates::Channel channel, templates::Tier tier, std::vector<LintFinding>* out) {
  for (const scanner::Finding& f : scanner.Scan(text)) {
    out->push_back({f.category, f.match, f.start, f.end, ClinicalSeverity(f.severity, channel, tier), "", "", field});
  }
}


// The channels a step may send on, in order of use (its channel, then each
// fallback), that have templates; none for a call_list step.
std::vector<std::string> PreviewChannels(const store::CampaignStepRow& step) {
  std::vector<std::string> candidates;
  if (step.channel != kCallList) candidates.push_back(step.channel);
  candidates.insert(candidates.end(), step.fallback.begin(), step.fallback.end());
  std::vector<std::string> out;
  for (const std::string& channel : candidates) {
    const bool has_variant = std::any_of(step.variants.begin(), step.variants.end(),
                                         [&](const store::StepVariantRow& v) { return v.channel == channel; });
    if (has_variant) out.push_back(channel);
  }
  return out;
}

}  // namespace

StatusOr<PreviewReport> Preview(engine::Engine& engine, const scanner::Scanner& scanner,
                                const std::string& practice_id, const std::string& campaign_id,
                                const PreviewOptions& options) {
  if (options.sample < 1 || options.sample > 50) return InvalidArgumentError("sample size must be 1-50");
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  ASSIGN_OR_RETURN(store::CampaignRow campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  ASSIGN_OR_RETURN(Segment segment, ParseSegment(campaign.segment_json));
  PreviewReport report;
  report.campaign_id = campaign_id;
  report.state = campaign.state;
  ASSIGN_OR_RETURN(report.content_sha256, ContentHash(engine, campaign));
  for (const auto& [name, value] : SampleValues()) report.sample_variables.push_back(name);

  // Reservoir sample over every matching patient.
  std::vector<store::PatientRow> sample;
  store::PageRequest page{"", 1000};
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, engine.store().patients().List(practice_id, page));
    for (auto& row : rows.rows) {
      if (!SegmentMatches(segment, row)) continue;
      ++report.matched;
      if (static_cast<int>(sample.size()) < options.sample) {
        sample.push_back(std::move(row));
      } else {
        ASSIGN_OR_RETURN(uint64_t pick, engine.random().Uniform(static_cast<uint64_t>(report.matched)));
        if (pick < sample.size()) sample[pick] = std::move(row);
      }
    }
    if (rows.next.empty()) break;
    page.after = rows.next;
  }
  std::sort(sample.begin(), sample.end(), [](const auto& a, const auto& b) { return a.patient_id < b.patient_id; });

  // Audit before any PHI is decrypted: a preview that cannot be audited does not happen.
  size_t messages = 0;
  for (const auto& step : campaign.steps) {
    for (const std::string& channel : PreviewChannels(step)) {
      size_t variants = 0;
      for (const auto& v : step.variants) variants += v.channel == channel ? 1 : 0;
      messages += (options.every_variant ? variants : std::min<size_t>(variants, 1)) * sample.size();
    }
  }
  RETURN_IF_ERROR(engine.store()
                      .audit()
                      .Append(engine.Event("campaign.preview", practice_id, campaign_id,
                                           {{"matched", report.matched},
                                            {"recipients", static_cast<int64_t>(sample.size())},
                                            {"messages", static_cast<int64_t>(messages)},
                                            {"fields_decrypted", std::string("first_name")}}))
                      .status());
  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) return InternalError("cannot create the preview output directory");
  }
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));

  for (size_t sample_idx = 0; sample_idx < sample.size(); ++sample_idx) {
    const store::PatientRow& patient = sample[sample_idx];
    std::string first_name;
    if (!patient.first_name_enc.empty()) {
      // The patients library's field context (patients/patients.cc).
      ASSIGN_OR_RETURN(first_name, keys->DecryptField(patient.first_name_enc, "patient.first_name|" + practice_id +
                                                                                  "|" + patient.external_index));
    }
    templates::Values values = SampleValues();
    values["practice_name"] = practice.name;
    values["practice_phone"] = DisplayPhone(practice.phone);
    values["callback_number"] = DisplayPhone(practice.phone);
    values["practice_address"] = practice.address;
    values["provider_name"] = patient.provider_name;
    values["first_name"] = first_name;
    templates::Values masked = values;
    masked["first_name"] = MaskName(first_name);
    templates::Values spoken = values;
    spoken["first_name"] = Initial(first_name);

    for (size_t step_idx = 0; step_idx < campaign.steps.size(); ++step_idx) {
      const store::CampaignStepRow& step = campaign.steps[step_idx];
      for (const std::string& channel : PreviewChannels(step)) {
        std::vector<const store::StepVariantRow*> variants;
        for (const auto& v : step.variants) {
          if (v.channel == channel) variants.push_back(&v);
        }
        if (variants.empty()) continue;
        // The patient's language, else its primary subtag, else the first variant.
        const store::StepVariantRow* variant = nullptr;
        for (const auto* v : variants) {
          if (AsciiLower(v->language) == AsciiLower(patient.language)) variant = v;
        }
        const std::string primary = AsciiLower(patient.language.substr(0, patient.language.find('-')));
        for (const auto* v : variants) {
          if (variant == nullptr && AsciiLower(v->language.substr(0, v->language.find('-'))) == primary) variant = v;
        }
        const bool language_fallback = variant == nullptr;
        if (variant == nullptr) variant = variants.front();
        // Every variant for the approval page; else the one this patient gets.
        std::vector<const store::StepVariantRow*> shown = {variant};
        if (options.every_variant) shown = variants;
        for (const store::StepVariantRow* v : shown) {
        PreviewMessage m;
        m.language_fallback = options.every_variant ? (v == variant && language_fallback) : language_fallback;
        ASSIGN_OR_RETURN(store::TemplateRow row, engine.store().campaigns().GetTemplate(
                                                     practice_id, v->template_id, v->template_version));
        ASSIGN_OR_RETURN(templates::Template t, ToTemplate(row));
        m.step = static_cast<int>(step_idx + 1);
        m.channel = row.channel;
        m.language = row.language;
        m.template_id = row.template_id;
        m.template_version = row.version;
        m.recipient = patient.patient_id;
        m.first_name_masked = MaskName(first_name);

        ASSIGN_OR_RETURN(templates::ParsedTemplate body, templates::Parse(t.body));
        const templates::Escaping escaping = templates::BodyEscapingFor(t.channel);
        ASSIGN_OR_RETURN(std::string real, templates::Render(body, values, escaping));
        ASSIGN_OR_RETURN(m.body, templates::Render(body, masked, escaping));
        if (!t.subject.empty()) {
          ASSIGN_OR_RETURN(templates::ParsedTemplate subject, templates::Parse(t.subject));
          ASSIGN_OR_RETURN(m.subject, templates::Render(subject, masked, templates::Escaping::kHeader));
          AddScan(scanner, m.subject, "subject", t.channel, t.tier, &m.findings);
        }
        AddScan(scanner, m.body, "body", t.channel, t.tier, &m.findings);
        templates::Values used;
        for (const std::string& name : body.Variables()) used[name] = values.at(name);
        auto value_findings = ScanValues(scanner, used, t.channel, t.tier);
        m.findings.insert(m.findings.end(), value_findings.begin(), value_findings.end());
        m.verdict = VerdictOf(m.findings);

        if (t.channel == templates::Channel::kSms) {
          ASSIGN_OR_RETURN(templates::SmsSegmentInfo info, templates::AnalyzeSms(real));
          m.sms_encoding = std::string(templates::SmsEncodingName(info.encoding));
          m.sms_units = static_cast<int64_t>(info.units);
          m.sms_segments = static_cast<int64_t>(info.segments);
        }
        if ((t.channel == templates::Channel::kVoice || t.channel == templates::Channel::kRvm) &&
            !options.out_dir.empty()) {
          ASSIGN_OR_RETURN(std::string script, templates::Render(body, spoken, templates::Escaping::kPlain));
          m.wav_path = (std::filesystem::path(options.out_dir) /
                        (campaign_id + "-step" + std::to_string(m.step) + "-" + m.channel + "-" + m.language + "-r" +
                         std::to_string(sample_idx + 1) + ".wav"))
                           .string();
          RETURN_IF_ERROR(SpeakToWav(options.espeak_binary, m.language, script, m.wav_path));
        }
        if (m.verdict == "block" || (m.verdict == "warn" && report.verdict != "block")) report.verdict = m.verdict;
        report.messages.push_back(std::move(m));
        }  // shown variants
      }
    }
  }
  if (report.verdict.empty()) report.verdict = "ok";
  return report;
}

}  // namespace recall::campaigns
