// libFuzzer target: the Kannel callback parsers must accept any bytes without
// crashing, and what they accept must keep its documented invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "channels/kannel/kannel_callbacks.h"
#include "common/status.h"
#include "common/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace recall::channels;
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  auto sms = ParseInboundSms(query);
  if (sms.ok()) {
    if (!recall::IsValidUtf8(sms->text) || sms->from_e164.empty() || sms->from_e164[0] != '+') abort();
    if (sms->kannel_id.empty() || sms->to.empty()) abort();
  } else if (sms.status().code() != recall::StatusCode::kInvalidArgument) {
    abort();
  }
  auto dlr = ParseDeliveryReport(query);
  if (dlr.ok()) {
    if (dlr->message_id.empty() || DeliveryStatusName(dlr->status) == "unknown") abort();
  } else if (dlr.status().code() != recall::StatusCode::kInvalidArgument) {
    abort();
  }
  auto decoded = FormUrlDecode(query);
  if (decoded.ok() && decoded->size() > size) abort();
  return 0;
}
