// libFuzzer target: FromJson must accept any bytes without crashing or
// throwing, and what it accepts must survive ToJson -> FromJson unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lifecycle/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace recall::lifecycle;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = FromJson(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != recall::StatusCode::kInvalidArgument) abort();
    return 0;
  }
  auto again = FromJson(ToJson(*parsed));
  if (!again.ok()) abort();
  if (SignedPayload(*again) != SignedPayload(*parsed)) abort();
  if (again->signature != parsed->signature || again->public_key != parsed->public_key) abort();
  return 0;
}
