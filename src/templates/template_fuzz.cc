// libFuzzer target for the template parser and everything that parses on the
// way: rendering, tier policy, required elements, serialization, SMS counting.
// Invariants checked beyond "no crash": a parsed template renders with every
// value present, its output never holds "{{", and serialization is stable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "templates/sms_encoding.h"
#include "templates/templates.h"

namespace recall::templates {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void FuzzOne(std::string_view text) {
  auto parsed = Parse(text);
  if (parsed.ok()) {
    Values values;
    for (std::string_view name : kAllowedVariables) values.emplace(std::string(name), "v<&'\">");
    for (Escaping escaping : {Escaping::kPlain, Escaping::kHtml}) {
      auto rendered = Render(*parsed, values, escaping);
      Check(rendered.ok());
      Check(rendered->find("{{") == std::string::npos);
    }
    for (const auto& name : parsed->Variables()) Check(IsAllowedVariable(name));
  } else {
    Check(parsed.status().code() == StatusCode::kInvalidArgument ||
          parsed.status().code() == StatusCode::kResourceExhausted);
  }

  for (Channel channel :
       {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm, Channel::kPortal}) {
    for (Tier tier : {Tier::kAdministrative, Tier::kNotification, Tier::kClinical}) {
      (void)CheckTierPolicy(channel, tier, text);
    }
    Template t;
    t.channel = channel;
    t.body = std::string(text);
    if (channel == Channel::kEmail) t.subject = std::string(text.substr(0, text.find('\n')));
    (void)ValidateTemplate(t);
    (void)CheckRequiredElements(t, ElementCheckOptions{"Maple Street", true});
    auto first = SerializeCanonical(t);
    auto second = SerializeCanonical(t);
    Check(first.ok() == second.ok());
    if (first.ok()) Check(*first == *second);
  }
  (void)NormalizeLanguageTag(text.substr(0, 160));
  (void)AnalyzeSms(text);
}

}  // namespace
}  // namespace recall::templates

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  recall::templates::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
