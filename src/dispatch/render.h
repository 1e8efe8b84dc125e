#pragma once
// Rendering one approved message for one patient, at the moment of sending.
//
// The body comes from the campaign's pinned template version for the message's
// channel and language, with the practice's own identity (name, address,
// phone, From address and domain), the patient's first name and provider, the
// practice's settings (office hours, portal link) and per-patient signed links
// (unsubscribe, consent confirmation). The rendered text is scanned again:
// values such as a provider's or practice's name can carry clinical words that
// the template itself did not (the found-phone test applies to what is sent).
#include <string>
#include <vector>

#include "campaigns/lint.h"
#include "channels/channel.h"
#include "common/status.h"
#include "engine/engine.h"
#include "practices/settings.h"
#include "scanner/scanner.h"
#include "store/campaign_store.h"
#include "store/records.h"

namespace recall::dispatch {

struct RenderRequest {
  const store::PracticeRow* practice = nullptr;
  const practices::PracticeSettings* settings = nullptr;
  const store::CampaignRow* campaign = nullptr;
  const store::TemplateRow* template_row = nullptr;
  const store::PatientRow* patient = nullptr;
  std::string first_name;        // decrypted; PHI
  std::string address;           // the gate's checked contact; PHI
  std::string message_id;
  std::string unsubscribe_url;   // "" when the practice has no public base URL
  std::string consent_url;       // consent confirmation link, or ""
};

struct Rendered {
  channels::OutboundMessage message;
  std::vector<campaigns::LintFinding> findings;  // on the rendered subject and body
  bool blocked = false;                          // a finding blocks on this channel and tier
  std::string spoken;                            // voice/rvm: the script to speak
};

// InvalidArgument / FailedPrecondition when the template cannot be rendered
// (e.g. {{appointment_date}}, which Recall does not hold); no PHI in errors.
StatusOr<Rendered> RenderMessage(const scanner::Scanner& scanner, const RenderRequest& request);

// "Maple Dental <office@maple.example>" -> {"Maple Dental", "office@maple.example"}.
std::pair<std::string, std::string> SplitSender(const std::string& email_from);

// A plain-text rendering of simple HTML (tags dropped, block ends as line
// breaks, the five XML entities decoded) for the text/plain part.
std::string HtmlToText(std::string_view html);

}  // namespace recall::dispatch
