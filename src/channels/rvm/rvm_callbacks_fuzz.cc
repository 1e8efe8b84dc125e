// libFuzzer target: the RVM status-callback parser accepts any bytes without
// crashing, and refuses what it refuses with InvalidArgument only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "channels/rvm/rvm_callbacks.h"
#include "common/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace recall::channels;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Line 1: the URL query; line 2: the content type; the rest: the body.
  const size_t nl1 = input.find('\n');
  const std::string_view query = nl1 == std::string_view::npos ? std::string_view() : input.substr(0, nl1);
  std::string_view rest = nl1 == std::string_view::npos ? input : input.substr(nl1 + 1);
  std::string_view content_type;
  if (const size_t nl2 = rest.find('\n'); nl2 != std::string_view::npos) {
    content_type = rest.substr(0, nl2);
    rest = rest.substr(nl2 + 1);
  }
  const auto report = ParseRvmStatusCallback(query, content_type, rest);
  if (!report.ok() && report.status().code() != recall::StatusCode::kInvalidArgument) abort();
  if (report.ok() && report->message_id.empty()) abort();
  return 0;
}
