// libFuzzer target: the CSV reader and the header mapper must never crash,
// hang or grow without bound on any input.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "patients/csv_reader.h"
#include "patients/patients.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  recall::patients::CsvReader reader(in, {4096, 64});
  std::vector<std::string> fields;
  int64_t line = 0;
  for (int i = 0; i < 10000; ++i) {
    auto more = reader.Next(fields, line);
    if (!more.ok() || !*more) break;
    for (const auto& f : fields) (void)recall::patients::FieldFromHeader(f);
  }
  return 0;
}
