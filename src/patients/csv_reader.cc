#include "patients/csv_reader.h"

#include <csv.h>

#include <algorithm>

namespace recall::patients {

namespace {
constexpr size_t kBlock = 64 * 1024;
}

CsvReader::CsvReader(std::istream& in, CsvLimits limits) : in_(in), limits_(limits), parser_(new csv_parser) {
  csv_init(parser_, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI);
}

CsvReader::~CsvReader() {
  csv_free(parser_);
  delete parser_;
}

void CsvReader::OnField(void* data, size_t len, void* self_ptr) {
  auto* self = static_cast<CsvReader*>(self_ptr);
  if (!self->error_.ok()) return;
  if (len > self->limits_.max_field_bytes) {
    self->error_ = InvalidArgumentError("line " + std::to_string(self->current_line_) +
                                        ": a field is larger than the limit (unbalanced quote?)");
    return;
  }
  if (self->current_.size() >= self->limits_.max_fields) {
    self->error_ = InvalidArgumentError("line " + std::to_string(self->current_line_) + ": too many columns");
    return;
  }
  const char* p = static_cast<const char*>(data);
  self->newlines_in_record_ += std::count(p, p + len, '\n');
  self->current_.emplace_back(p, len);
}

void CsvReader::OnRecord(int terminator, void* self_ptr) {
  auto* self = static_cast<CsvReader*>(self_ptr);
  // With CSV_REPALL_NL every unquoted CR and LF ends a "record"; an empty one is
  // the LF of a CRLF pair or a blank line. Lines are counted on LF (and on a CR
  // not followed by LF, which we cannot see here; CR-only files count as one line).
  if (self->current_.empty()) {
    if (terminator == '\n') ++self->line_;
    self->current_line_ = self->line_;
    self->newlines_in_record_ = 0;
    return;
  }
  self->ready_.push_back({std::move(self->current_), self->current_line_});
  self->current_.clear();
  self->line_ += self->newlines_in_record_ + (terminator == '\n' ? 1 : 0);
  self->newlines_in_record_ = 0;
  self->current_line_ = self->line_;
}

Status CsvReader::Fill() {
  buffer_.resize(kBlock);
  in_.read(buffer_.data(), static_cast<std::streamsize>(kBlock));
  const auto n = static_cast<size_t>(in_.gcount());
  buffer_.resize(n);
  bytes_read_ += n;
  if (in_.bad()) return InternalError("read error on the CSV input");
  size_t start = 0;
  if (first_block_) {
    first_block_ = false;
    if (n >= 3 && static_cast<unsigned char>(buffer_[0]) == 0xEF && static_cast<unsigned char>(buffer_[1]) == 0xBB &&
        static_cast<unsigned char>(buffer_[2]) == 0xBF) {
      start = 3;
    }
  }
  if (n == 0) {
    eof_ = true;
    if (csv_fini(parser_, &CsvReader::OnField, &CsvReader::OnRecord, this) != 0) {
      return InvalidArgumentError("line " + std::to_string(current_line_) +
                                  ": the file ends inside a quoted field");
    }
    return error_;
  }
  const size_t parsed = csv_parse(parser_, buffer_.data() + start, n - start, &CsvReader::OnField,
                                  &CsvReader::OnRecord, this);
  if (parsed != n - start) {
    const int err = csv_error(parser_);
    if (err == CSV_EPARSE) {
      return InvalidArgumentError("line " + std::to_string(current_line_ + newlines_in_record_) +
                                  ": malformed CSV (a quote inside an unquoted field, or text after a closing quote)");
    }
    return InternalError("CSV parser failure");
  }
  return error_;
}

StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields, int64_t& line) {
  if (!error_.ok()) return error_;
  while (ready_pos_ >= ready_.size()) {
    ready_.clear();
    ready_pos_ = 0;
    if (eof_) return false;
    Status s = Fill();
    if (!s.ok()) {
      error_ = s;
      return s;
    }
  }
  fields = std::move(ready_[ready_pos_].fields);
  line = ready_[ready_pos_].line;
  ++ready_pos_;
  return true;
}

}  // namespace recall::patients
