#pragma once
// Automatic replies to inbound keywords, as the CTIA Messaging Principles and
// Best Practices require: confirm an opt-out, answer HELP, confirm a START.
//
// Replies are built from the practice's identity alone (its name and its public
// phone number) and fixed text; they never contain PHI, and nothing from the
// inbound message is echoed. English and Spanish texts use only GSM-7 characters
// (Spanish without á/í/ó/ú), so with a practice name of up to 30 characters and
// a phone of up to 17 each reply fits one 160-character SMS segment. Pure
// functions: thread-safe, no I/O, never throw except std::bad_alloc.
#include <optional>
#include <string>

#include "inbound/classifier.h"

namespace recall::inbound {

struct PracticeIdentity {
  std::string name;   // "Maple Family Dental"
  std::string phone;  // as it should be shown: "(555) 555-0100"; may be empty
};

// "Maple Family Dental: You have been unsubscribed and will receive no more
// messages. Reply START to resubscribe."
std::string StopConfirmationReply(const PracticeIdentity& practice, Language language = Language::kEnglish);

// "Maple Family Dental: For help call (555) 555-0100. Msg & data rates may
// apply. Reply STOP to opt out." The phone clause is left out when the phone is
// empty.
std::string HelpReply(const PracticeIdentity& practice, Language language = Language::kEnglish);

// "Maple Family Dental: You have resubscribed. Msg & data rates may apply.
// Reply HELP for help, STOP to opt out."
std::string StartConfirmationReply(const PracticeIdentity& practice, Language language = Language::kEnglish);

// The reply that carrier rules require for a classified message, in its
// language: the STOP confirmation whenever `opt_out` is set (also for an urgent
// message), the START confirmation for kOptIn, the HELP reply for kHelp, and
// nothing otherwise (confirmations, urgent hand-offs and the inbox are answered
// by people or by other parts of Recall).
std::optional<std::string> RequiredReply(const Classification& classification, const PracticeIdentity& practice);

}  // namespace recall::inbound
