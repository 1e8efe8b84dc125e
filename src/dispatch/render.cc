#include "dispatch/render.h"

#include "campaigns/campaigns.h"
#include "common/text.h"
#include "templates/templates.h"

namespace recall::dispatch {

namespace {

// "+12175550100" -> "(217) 555-0100"; other numbers as stored.
std::string DisplayPhone(const std::string& e164) {
  if (e164.size() == 12 && e164.starts_with("+1")) {
    return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
  }
  return e164;
}

}  // namespace

std::pair<std::string, std::string> SplitSender(const std::string& email_from) {
  const size_t lt = email_from.rfind('<');
  const size_t gt = email_from.rfind('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return {"", std::string(TrimAscii(email_from))};
  std::string name(TrimAscii(std::string_view(email_from).substr(0, lt)));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  return {name, email_from.substr(lt + 1, gt - lt - 1)};
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size();) {
    if (html[i] == '<') {
      const size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string tag = AsciiLower(html.substr(i + 1, end - i - 1));
      const std::string name = tag.substr(tag.starts_with("/") ? 1 : 0, tag.find_first_of(" /", 1));
      if (name == "br" || name == "br/" || tag == "/p" || tag == "/div" || tag == "/li" || tag == "/h1" ||
          tag == "/h2" || tag == "/tr") {
        out += '\n';
      }
      i = end + 1;
      continue;
    }
    if (html[i] == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
      bool matched = false;
      for (const auto& [entity, ch] : kEntities) {
        if (html.substr(i, entity.size()) == entity) {
          out += ch;
          i += entity.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out += html[i++];
  }
  // Trim trailing blank lines.
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

StatusOr<Rendered> RenderMessage(const scanner::Scanner& scanner, const RenderRequest& r) {
  ASSIGN_OR_RETURN(templates::Template t, campaigns::ToTemplate(*r.template_row));
  templates::Values values;
  values["first_name"] = r.first_name;
  values["practice_name"] = r.practice->name;
  values["practice_phone"] = DisplayPhone(r.practice->phone);
  values["callback_number"] = DisplayPhone(r.practice->phone);
  values["practice_address"] = r.practice->address;
  values["provider_name"] = r.patient->provider_name;
  if (!r.settings->office_hours.empty()) values["office_hours"] = r.settings->office_hours;
  if (!r.settings->portal_url.empty()) values["portal_link"] = r.settings->portal_url;
  if (!r.unsubscribe_url.empty()) values["unsubscribe_link"] = r.unsubscribe_url;
  if (!r.consent_url.empty()) values["consent_link"] = r.consent_url;

  ASSIGN_OR_RETURN(templates::ParsedTemplate body, templates::Parse(t.body));
  Rendered out;
  channels::OutboundMessage& m = out.message;
  m.message_id = r.message_id;
  m.practice_id = r.practice->practice_id;
  m.channel = r.template_row->channel;
  m.to = r.address;
  auto [from_name, from_address] = SplitSender(r.practice->email_from);
  m.from_name = from_name.empty() ? r.practice->name : from_name;
  m.from_address = m.channel == "email" ? from_address : "";
  m.postal_address = r.practice->address;
  if (m.channel == "email") {
    m.reply_to = r.settings->reply_to.empty() ? from_address : r.settings->reply_to;
    ASSIGN_OR_RETURN(templates::ParsedTemplate subject, templates::Parse(t.subject));
    ASSIGN_OR_RETURN(m.subject, templates::Render(subject, values, templates::Escaping::kHeader));
    ASSIGN_OR_RETURN(m.html_body, templates::Render(body, values, templates::Escaping::kHtml));
    ASSIGN_OR_RETURN(std::string plain, templates::Render(body, values, templates::Escaping::kPlain));
    m.text_body = HtmlToText(plain);
    m.unsubscribe_url = r.unsubscribe_url;
    if (!r.settings->unsubscribe_mailto.empty()) {
      m.unsubscribe_mailto = "mailto:" + r.settings->unsubscribe_mailto + "?subject=unsubscribe";
    }
  } else {
    ASSIGN_OR_RETURN(m.text_body, templates::Render(body, values, templates::Escaping::kPlain));
    if (m.channel == "voice" || m.channel == "rvm") out.spoken = m.text_body;
  }

  // The found-phone test on what is actually sent.
  const auto channel = t.channel;
  const auto tier = t.tier;
  for (const auto& [field, text] : {std::pair<std::string, std::string_view>{"subject", m.subject},
                                    std::pair<std::string, std::string_view>{"body", m.text_body}}) {
    if (text.empty()) continue;
    for (const scanner::Finding& f : scanner.Scan(text)) {
      campaigns::LintFinding finding;
      finding.category = f.category;
      finding.start = f.start;
      finding.end = f.end;
      finding.severity = campaigns::ClinicalSeverity(f.severity, channel, tier);
      finding.field = field;
      // The match itself may be PHI (a name): findings carry offsets, not text.
      if (finding.severity == "block") out.blocked = true;
      out.findings.push_back(std::move(finding));
    }
  }
  return out;
}

}  // namespace recall::dispatch
