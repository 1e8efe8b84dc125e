// libFuzzer target: the Twilio webhook parsers accept any bytes without
// crashing, and refuse what they refuse with InvalidArgument only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "channels/twilio/twilio_callbacks.h"
#include "common/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace recall::channels;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Split the input into a URL query and a body at the first newline.
  const size_t nl = input.find('\n');
  const std::string_view query = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  auto expect_ok_or_invalid = [](const recall::Status& s) {
    if (!s.ok() && s.code() != recall::StatusCode::kInvalidArgument) abort();
  };
  expect_ok_or_invalid(ParseTwilioForm(body).status());
  expect_ok_or_invalid(ParseTwilioStatusCallback(query, body).status());
  expect_ok_or_invalid(ParseTwilioInboundMessage(body).status());
  return 0;
}
