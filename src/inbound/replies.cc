#include "inbound/replies.h"

#include <string_view>

namespace recall::inbound {
namespace {

// Operator-entered identity goes into an SMS verbatim, so control characters
// (a pasted newline) become spaces and runs of spaces collapse.
std::string Clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string WithPrefix(const PracticeIdentity& practice, std::string_view body) {
  std::string name = Clean(practice.name);
  if (name.empty()) return std::string(body);
  name += ": ";
  name += body;
  return name;
}

}  // namespace

std::string StopConfirmationReply(const PracticeIdentity& practice, Language language) {
  if (language == Language::kSpanish) {
    return WithPrefix(practice,
                      "Le hemos dado de baja y no le enviaremos otros mensajes. Responda START para volver a "
                      "suscribirse.");
  }
  return WithPrefix(practice,
                    "You have been unsubscribed and will receive no more messages. Reply START to resubscribe.");
}

std::string HelpReply(const PracticeIdentity& practice, Language language) {
  const std::string phone = Clean(practice.phone);
  std::string body;
  if (language == Language::kSpanish) {
    if (!phone.empty()) body += "Para ayuda llame al " + phone + ". ";
    body += "Pueden aplicarse tarifas de mensajes y datos. Responda STOP para darse de baja.";
  } else {
    if (!phone.empty()) body += "For help call " + phone + ". ";
    body += "Msg & data rates may apply. Reply STOP to opt out.";
  }
  return WithPrefix(practice, body);
}

std::string StartConfirmationReply(const PracticeIdentity& practice, Language language) {
  if (language == Language::kSpanish) {
    return WithPrefix(practice,
                      "Ha vuelto a suscribirse. Pueden aplicarse tarifas de mensajes y datos. Responda STOP para "
                      "darse de baja.");
  }
  return WithPrefix(practice,
                    "You have resubscribed. Msg & data rates may apply. Reply HELP for help, STOP to opt out.");
}

std::optional<std::string> RequiredReply(const Classification& classification, const PracticeIdentity& practice) {
  if (classification.opt_out) return StopConfirmationReply(practice, classification.language);
  switch (classification.intent) {
    case Intent::kOptIn: return StartConfirmationReply(practice, classification.language);
    case Intent::kHelp: return HelpReply(practice, classification.language);
    default: return std::nullopt;
  }
}

}  // namespace recall::inbound
