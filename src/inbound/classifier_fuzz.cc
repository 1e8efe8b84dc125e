// libFuzzer target: Classify must accept any bytes, in bounded time, without
// crashing, and its result must keep its documented invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inbound/classifier.h"
#include "inbound/replies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace recall::inbound;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // The first byte, when present, picks the pending-request context.
  ClassifyContext context;
  if (size > 0) {
    context.consent_request_pending = (data[0] & 1) != 0;
    context.confirmation_pending = (data[0] & 2) != 0;
  }
  const Classification c = Classify(body, context);
  if (c.urgent != (c.intent == Intent::kUrgent)) abort();
  if (c.intent == Intent::kOptOut && !c.opt_out) abort();
  if (c.truncated != (size > kMaxClassifiedBytes)) abort();
  const std::string_view name = IntentName(c.intent);
  if (name.empty()) abort();
  (void)RequiredReply(c, PracticeIdentity{"Maple Family Dental", "(555) 555-0100"});
  return 0;
}
