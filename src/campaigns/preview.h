#pragma once
// Preview: what patients will see (and hear), shown to the approver before
// they sign. Renders every step of a campaign on each channel the step may
// use (its channel, then each fallback; call_list steps send nothing and are
// skipped), in the recipient's language, for a random sample of real
// recipients that match its segment, scans every rendered message and every
// rendered value, and reports SMS encoding and segment counts. Voice and ringless-voicemail scripts are spoken to WAV files
// with espeak-ng in the template's language.
//
// PHI: rendering needs each sampled patient's first name, so preview decrypts
// that one field (nothing else) and is audited as a PHI access
// ("campaign.preview", with counts only). Output is masked: the first name is
// shown as "J***"; scanner findings inside a PHI value quote "***"; SMS
// segment counts are computed on the real text, because a name like "Zoë"
// switches a message to UCS-2. WAV files speak the initial only ("J.").
//
// Values the store does not hold yet (appointment date and time, portal and
// unsubscribe links, office hours) are filled with fixed, plainly fake sample
// values and listed in PreviewReport::sample_variables.
#include <cstdint>
#include <string>
#include <vector>

#include "campaigns/lint.h"
#include "common/status.h"
#include "engine/engine.h"
#include "scanner/scanner.h"

namespace recall::campaigns {

struct PreviewOptions {
  int sample = 3;       // recipients, 1..50
  std::string out_dir;  // where WAVs go; "" -> voice/rvm are not spoken
  std::string espeak_binary = "espeak-ng";
  // Render every language variant of each step for each sample recipient (the
  // approval page: the practice signs off all of them), not only the variant
  // the recipient would get.
  bool every_variant = false;
};

struct PreviewMessage {
  int step = 0;  // 1-based
  std::string channel, language, template_id;
  int64_t template_version = 0;
  std::string recipient;          // patient id (opaque)
  std::string first_name_masked;  // "J***"
  bool language_fallback = false;  // no variant in the patient's language
  std::string subject;            // email, masked rendering
  std::string body;               // masked rendering (email: HTML)
  std::string sms_encoding;       // sms: "GSM-7" | "UCS-2"
  int64_t sms_units = 0, sms_segments = 0;
  std::vector<LintFinding> findings;  // on the masked rendering and on the values
  std::string verdict;                // "ok" | "warn" | "block"
  std::string wav_path;               // voice/rvm with out_dir: <campaign>-step<N>-<channel>-<language>-r<k>.wav
};

struct PreviewReport {
  std::string campaign_id;
  std::string state;
  std::string content_sha256;
  int64_t matched = 0;  // patients matching the segment
  std::vector<std::string> sample_variables;
  std::vector<PreviewMessage> messages;
  std::string verdict;  // worst over messages; "ok" when there are none
};

// NotFound for an unknown practice or campaign; InvalidArgument for a bad
// sample size; Internal when espeak-ng fails or the WAV cannot be written;
// errors of the store and of decryption (DataLoss) otherwise.
StatusOr<PreviewReport> Preview(engine::Engine& engine, const scanner::Scanner& scanner,
                                const std::string& practice_id, const std::string& campaign_id,
                                const PreviewOptions& options);

}  // namespace recall::campaigns
