#include "campaigns/preview.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "campaigns/campaigns.h"
#include "common/redact.h"
#include "common/text.h"
#include "templates/sms_encoding.h"

extern char** environ;

namespace recall::campaigns {

namespace {

// Plainly fake values for what the store does not hold yet.
const templates::Values& SampleValues() {
  static const templates::Values kSamples = {
      {"appointment_date", "Tuesday, December 2"},
      {"appointment_time", "10:30 AM"},
      {"portal_link", "https://portal.example.invalid/m/SAMPLE"},
      {"unsubscribe_link", "https://recall.example.invalid/u/SAMPLE"},
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

// Runs espeak-ng: the script goes through a private temporary file, never argv.
Status Speak(const std::string& binary, const std::string& language, const std::string& text,
             const std::string& wav_path) {
  std::string script = wav_path + ".XXXXXX";
  const int fd = ::mkstemp(script.data());
  if (fd < 0) return InternalError("cannot create a temporary file in the preview directory");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(script.c_str());
    return InternalError("cannot write the voice script");
  }
  std::vector<std::string> voices = {AsciiLower(language), AsciiLower(language.substr(0, language.find('-'))), "en"};
  voices.erase(std::unique(voices.begin(), voices.end()), voices.end());
  Status result = InternalError("espeak-ng could not speak the script");
  for (const std::string& voice : voices) {
    std::vector<std::string> args = {binary, "-v", voice, "-w", wav_path, "-f", script};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      result = InternalError("cannot run espeak-ng (is the espeak-ng package installed?)");
      break;
    }
    int wstatus = 0;
    if (::waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
      result = OkStatus();
      break;
    }
  }
  ::unlink(script.c_str());
  return result;
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
  for (const auto& step : campaign.steps) messages += step.variants.empty() ? 0 : sample.size();
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
      if (step.variants.empty()) continue;
      // The patient's language, else its primary subtag, else the first variant.
      const store::StepVariantRow* variant = nullptr;
      for (const auto& v : step.variants) {
        if (AsciiLower(v.language) == AsciiLower(patient.language)) variant = &v;
      }
      const std::string primary = AsciiLower(patient.language.substr(0, patient.language.find('-')));
      for (const auto& v : step.variants) {
        if (variant == nullptr && AsciiLower(v.language.substr(0, v.language.find('-'))) == primary) variant = &v;
      }
      PreviewMessage m;
      m.language_fallback = variant == nullptr;
      if (variant == nullptr) variant = &step.variants.front();
      ASSIGN_OR_RETURN(store::TemplateRow row, engine.store().campaigns().GetTemplate(
                                                   practice_id, variant->template_id, variant->template_version));
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
                      (campaign_id + "-step" + std::to_string(m.step) + "-" + m.language + "-r" +
                       std::to_string(sample_idx + 1) + ".wav"))
                         .string();
        RETURN_IF_ERROR(Speak(options.espeak_binary, m.language, script, m.wav_path));
      }
      if (m.verdict == "block" || (m.verdict == "warn" && report.verdict != "block")) report.verdict = m.verdict;
      report.messages.push_back(std::move(m));
    }
  }
  if (report.verdict.empty()) report.verdict = "ok";
  return report;
}

}  // namespace recall::campaigns
