#pragma once
// Streaming RFC 4180 reader over libcsv: quotes, embedded newlines, CRLF and a
// UTF-8 byte-order mark. Reads in 64 KiB blocks, so a 200 MB export is never
// held whole; only the current record is in memory.
//
// Not thread-safe; one reader per stream.
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "common/status.h"

struct csv_parser;  // libcsv

namespace recall::patients {

struct CsvLimits {
  size_t max_field_bytes = 64 * 1024;  // a longer field is a malformed file (e.g. a stray quote)
  size_t max_fields = 512;
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, CsvLimits limits = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `fields`; sets `line` to the 1-based line where it
  // starts. Returns false at end of input. InvalidArgument (with the line) on a
  // malformed file; the reader is then unusable.
  StatusOr<bool> Next(std::vector<std::string>& fields, int64_t& line);

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  static void OnField(void* data, size_t len, void* self);
  static void OnRecord(int terminator, void* self);
  Status Fill();

  std::istream& in_;
  CsvLimits limits_;
  ::csv_parser* parser_;
  std::string buffer_;
  bool eof_ = false;
  bool first_block_ = true;
  uint64_t bytes_read_ = 0;

  // Records completed by libcsv but not yet handed out.
  struct Record {
    std::vector<std::string> fields;
    int64_t line;
  };
  std::vector<Record> ready_;
  size_t ready_pos_ = 0;
  std::vector<std::string> current_;
  int64_t current_line_ = 1;  // line where the current record starts
  int64_t line_ = 1;          // line of the parser's position (record boundaries)
  int64_t newlines_in_record_ = 0;
  Status error_;
};

}  // namespace recall::patients
