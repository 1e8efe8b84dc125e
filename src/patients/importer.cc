// CSV import: header mapping, per-row validation, field encryption, one
// transaction. See docs/import.md for aliases and rules.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <array>
#include <optional>
#include <unordered_map>

#include "common/redact.h"
#include "common/text.h"
#include "contact/contact.h"
#include "crypto/crypto.h"
#include "patients/csv_reader.h"
#include "patients/patients.h"
#include "practices/practices.h"

namespace recall::patients {

namespace {

constexpr size_t kMaxNameBytes = 100;
constexpr size_t kMaxRejectedListed = 100000;

std::string HeaderKey(std::string_view header) {
  std::string key;
  for (char c : header) {
    if (c >= 'A' && c <= 'Z') key.push_back(static_cast<char>(c + 32));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) key.push_back(c);
  }
  return key;
}

StatusOr<std::string> NormalizeLanguage(std::string_view text) {
  const std::string t = AsciiLower(TrimAscii(text));
  if (t.empty()) return std::string("en");
  static const std::pair<const char*, const char*> kNames[] = {
      {"english", "en"},    {"spanish", "es"},    {"espanol", "es"},    {"espa\xc3\xb1ol", "es"},
      {"chinese", "zh"},    {"mandarin", "zh"},   {"cantonese", "yue"}, {"vietnamese", "vi"},
      {"tagalog", "tl"},    {"french", "fr"},     {"korean", "ko"},     {"russian", "ru"},
      {"arabic", "ar"},     {"portuguese", "pt"}, {"haitian creole", "ht"}, {"german", "de"},
      {"polish", "pl"},     {"italian", "it"},    {"japanese", "ja"},   {"hindi", "hi"},
  };
  for (const auto& [name, tag] : kNames) {
    if (t == name) return std::string(tag);
  }
  // BCP-47 shape: 2-3 letter language, then 2-8 alphanumeric subtags.
  std::string out;
  size_t start = 0;
  int idx = 0;
  while (start <= t.size()) {
    size_t end = t.find_first_of("-_", start);
    if (end == std::string::npos) end = t.size();
    std::string sub = t.substr(start, end - start);
    const bool alnum = !sub.empty() && std::all_of(sub.begin(), sub.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
    if (!alnum) return InvalidArgumentError("unrecognised preferred language");
    if (idx == 0) {
      if (sub.size() < 2 || sub.size() > 3 || !std::all_of(sub.begin(), sub.end(), ::isalpha)) {
        return InvalidArgumentError("unrecognised preferred language");
      }
      out = sub;
    } else {
      if (sub.size() < 2 || sub.size() > 8) return InvalidArgumentError("unrecognised preferred language");
      if (sub.size() == 2 && std::all_of(sub.begin(), sub.end(), ::isalpha)) {
        for (char& c : sub) c = static_cast<char>(c - 32);  // region: US
      } else if (sub.size() == 4 && std::all_of(sub.begin(), sub.end(), ::isalpha)) {
        sub[0] = static_cast<char>(sub[0] - 32);  // script: Hant
      }
      out += "-" + sub;
    }
    ++idx;
    if (end == t.size()) break;
    start = end + 1;
  }
  return out;
}

StatusOr<std::string> NormalizeStatus(std::string_view text) {
  const std::string t = AsciiLower(TrimAscii(text));
  if (t.empty() || t == "active" || t == "a") return std::string("active");
  if (t == "inactive" || t == "i") return std::string("inactive");
  if (t == "lapsed" || t == "l") return std::string("lapsed");
  return InvalidArgumentError("unknown status (expected active, inactive or lapsed)");
}

std::optional<bool> ParseConsentFlag(std::string_view text) {
  const std::string t = AsciiLower(TrimAscii(text));
  if (t == "y" || t == "yes" || t == "true" || t == "1" || t == "x" || t == "opted in" || t == "granted") return true;
  if (t == "n" || t == "no" || t == "false" || t == "0" || t == "opted out" || t == "revoked") return false;
  return std::nullopt;
}

StatusOr<std::string> CleanName(std::string_view text, const char* what) {
  std::string_view t = TrimAscii(text);
  if (t.size() > kMaxNameBytes) return InvalidArgumentError(std::string(what) + " is too long");
  for (char c : t) {
    if (static_cast<unsigned char>(c) < 0x20) return InvalidArgumentError(std::string(what) + " has control characters");
  }
  return std::string(t);
}

// "pat_" + 12 hex digits of the import's epoch millisecond + 8 hex digits of
// the file line + 16 random hex digits: opaque like every id, but ordered
// within and across imports, so that a large import appends to the end of
// the patients index instead of touching a random page per row.
StatusOr<std::string> NewPatientId(TimePoint now, int64_t line, Random& random) {
  const auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  ASSIGN_OR_RETURN(std::string rnd, random.Bytes(8));
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%012llx%08llx", static_cast<unsigned long long>(ms & 0xffffffffffffULL),
                static_cast<unsigned long long>(static_cast<uint64_t>(line) & 0xffffffffULL));
  return "pat_" + std::string(buf) + HexEncode(rnd);
}

struct Mapping {
  std::vector<std::optional<Field>> by_column;
  std::vector<std::string> dropped;
};

StatusOr<Mapping> MapHeader(const std::vector<std::string>& header, const ImportOptions& options) {
  std::unordered_map<std::string, std::string> overrides;
  for (const auto& [h, f] : options.header_map) overrides[HeaderKey(h)] = f;
  Mapping m;
  std::array<int, 16> seen{};
  seen.fill(-1);
  for (size_t col = 0; col < header.size(); ++col) {
    std::string h = std::string(TrimAscii(header[col]));
    if (!IsValidUtf8(h)) return InvalidArgumentError("header column " + std::to_string(col + 1) + " is not UTF-8");
    std::optional<Field> field;
    if (auto it = overrides.find(HeaderKey(h)); it != overrides.end()) {
      if (it->second != "drop") {
        field = FieldFromName(it->second);
        if (!field) return InvalidArgumentError("--map names an unknown field: " + it->second);
      }
    } else {
      field = FieldFromHeader(h);
    }
    if (field) {
      auto& prev = seen[static_cast<size_t>(*field)];
      if (prev >= 0) {
        return InvalidArgumentError("columns " + std::to_string(prev + 1) + " and " + std::to_string(col + 1) +
                                    " both map to the same field; use --map HEADER=drop for one of them");
      }
      prev = static_cast<int>(col);
    } else {
      m.dropped.push_back(h.empty() ? "(column " + std::to_string(col + 1) + ")" : h);
    }
    m.by_column.push_back(field);
  }
  if (seen[static_cast<size_t>(Field::kExternalId)] < 0) {
    return InvalidArgumentError("no patient id column found; map one with --map HEADER=external_id");
  }
  if (seen[static_cast<size_t>(Field::kFirstName)] < 0) {
    return InvalidArgumentError("no first name column found; map one with --map HEADER=first_name");
  }
  return m;
}

// Remembers the first line of each external index, to reject duplicates.
// Blind indexes are 32 hex digits (HMAC output): keyed by their 128 bits in
// an open-addressing table, the check costs no allocation per row and one
// cache miss. Any other shape falls back to a string-keyed map.
class FirstLineOf {
 public:
  FirstLineOf() : slots_(1024) {}

  // Records line for index, or returns the line it was first seen on.
  std::optional<int64_t> Insert(const std::string& index, int64_t line) {
    Slot key;
    if (!ToKey(index, key)) {
      auto [it, inserted] = other_.emplace(index, line);
      return inserted ? std::nullopt : std::optional<int64_t>(it->second);
    }
    if ((used_ + 1) * 2 > slots_.size()) Grow();
    Slot& slot = Find(slots_, key);
    if (slot.line != 0) return slot.line;
    slot = {key.hi, key.lo, line};
    ++used_;
    return std::nullopt;
  }

 private:
  struct Slot {
    uint64_t hi = 0, lo = 0;
    int64_t line = 0;  // 0: empty (file lines start at 1)
  };
  static Slot& Find(std::vector<Slot>& slots, const Slot& key) {
    const size_t mask = slots.size() - 1;
    for (size_t i = static_cast<size_t>(key.lo) & mask;; i = (i + 1) & mask) {
      Slot& s = slots[i];
      if (s.line == 0 || (s.hi == key.hi && s.lo == key.lo)) return s;
    }
  }
  void Grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (const Slot& s : slots_) {
      if (s.line != 0) Find(bigger, s) = s;
    }
    slots_.swap(bigger);
  }
  static bool ToKey(std::string_view hex, Slot& key) {
    if (hex.size() != 32) return false;
    uint64_t half[2] = {0, 0};
    for (size_t i = 0; i < 32; ++i) {
      const char c = hex[i];
      int v;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else return false;
      half[i / 16] = (half[i / 16] << 4) | static_cast<uint64_t>(v);
    }
    key.hi = half[0];
    key.lo = half[1];
    return true;
  }
  std::vector<Slot> slots_;  // size a power of two, at most half full
  size_t used_ = 0;
  std::unordered_map<std::string, int64_t> other_;
};

// One row's values by field.
struct RowValues {
  std::array<std::string_view, 16> v{};
  std::string_view get(Field f) const { return v[static_cast<size_t>(f)]; }
};

}  // namespace

// Everything a worker needs to turn a record into a row; read-only while the
// import runs, so workers share it without locks.
struct RowContext {
  std::string practice_id;
  std::shared_ptr<const crypto::PracticeKeys> keys;
  const Mapping* mapping;
  std::string now;  // RFC 3339
  TimePoint now_tp;
  Random* random;
  bool want_consents;
};

// Serves a worker's randomness (nonces, ids) from 4 KiB blocks of the
// engine's Random: one CSPRNG call per ~50 rows instead of seven per row.
// One per worker thread, so unsynchronised; the buffer is wiped on exit.
class BufferedRandom final : public Random {
 public:
  explicit BufferedRandom(Random& source) : source_(source) {}
  ~BufferedRandom() override {
    volatile uint8_t* p = buf_.data();
    for (size_t i = 0; i < buf_.size(); ++i) p[i] = 0;
  }
  Status Fill(uint8_t* out, size_t n) override {
    if (n > buf_.size()) return source_.Fill(out, n);
    if (n > avail_) {
      RETURN_IF_ERROR(source_.Fill(buf_.data(), buf_.size()));
      avail_ = buf_.size();
    }
    const uint8_t* from = buf_.data() + (buf_.size() - avail_);
    std::copy(from, from + n, out);
    std::fill(buf_.data() + (buf_.size() - avail_), buf_.data() + (buf_.size() - avail_) + n, uint8_t{0});
    avail_ -= n;
    return OkStatus();
  }

 private:
  Random& source_;
  std::array<uint8_t, 4096> buf_{};
  size_t avail_ = 0;
};

// One record's outcome: a prepared (encrypted) row, or a rejection.
struct Prepared {
  int64_t line = 0;
  std::optional<store::PatientRow> row;
  std::string reject;
  std::vector<ImportedConsent> consents;
};

Prepared Rejected(int64_t line, std::string reason) {
  Prepared p;
  p.line = line;
  p.reject = std::move(reason);
  return p;
}

// Validates, normalises and encrypts one record. Pure but for randomness;
// thread-safe. A non-OK status (crypto failure) aborts the whole import.
StatusOr<Prepared> PrepareRow(const RowContext& c, const std::vector<std::string>& fields, int64_t line) {
  Random& random = *c.random;
  if (fields.size() != c.mapping->by_column.size()) {
    return Rejected(line, "has " + std::to_string(fields.size()) + " fields; the header has " +
                              std::to_string(c.mapping->by_column.size()));
  }
  RowValues row;
    bool utf8_ok = true;
    for (size_t col = 0; col < fields.size(); ++col) {
      if (!c.mapping->by_column[col]) continue;  // dropped at the door: never read further
      if (!IsValidUtf8(fields[col])) utf8_ok = false;
      row.v[static_cast<size_t>(*c.mapping->by_column[col])] = fields[col];
    }
    if (!utf8_ok) {
      return Rejected(line, "contains invalid UTF-8");
    }
    const std::string ext_id(TrimAscii(row.get(Field::kExternalId)));
    if (ext_id.empty()) {
      return Rejected(line, "missing patient id");
    }
    if (ext_id.size() > 64) {
      return Rejected(line, "patient id is too long");
    }
    auto first = CleanName(row.get(Field::kFirstName), "first name");
    auto last = CleanName(row.get(Field::kLastName), "last name");
    if (!first.ok() || !last.ok()) {
      return Rejected(line, (!first.ok() ? first.status() : last.status()).message());
    }
    if (first->empty()) {
      return Rejected(line, "missing first name");
    }
    // Phone: cell first, then a plain phone column, then home.
    std::string phone_e164, line_type = "unknown";
    bool phone_error = false;
    for (Field f : {Field::kMobilePhone, Field::kPhone, Field::kHomePhone}) {
      std::string_view text = TrimAscii(row.get(f));
      if (text.empty()) continue;
      auto phone = contact::ParsePhone(text, "US");
      if (!phone.ok()) {
        phone_error = true;
        break;
      }
      phone_e164 = phone->e164;
      line_type = f == Field::kMobilePhone  ? "mobile"
                  : f == Field::kHomePhone ? "landline"
                                           : std::string(contact::LineTypeName(phone->line_type));
      break;
    }
    if (phone_error) {
      return Rejected(line, "invalid phone number");
    }
    std::string email;
    if (std::string_view text = TrimAscii(row.get(Field::kEmail)); !text.empty()) {
      auto e = contact::NormalizeEmail(text);
      if (!e.ok()) {
        return Rejected(line, "invalid email address");
      }
      email = *e;
    }
    if (phone_e164.empty() && email.empty()) {
      return Rejected(line, "no phone or email to contact");
    }
    auto language = NormalizeLanguage(row.get(Field::kLanguage));
    if (!language.ok()) {
      return Rejected(line, language.status().message());
    }
    std::string last_visit;
    if (std::string_view text = TrimAscii(row.get(Field::kLastVisit)); !text.empty()) {
      auto d = contact::ParseUsDate(text);
      if (!d.ok()) {
        return Rejected(line, "invalid last visit date");
      }
      if (*d > c.now.substr(0, 10)) {
        return Rejected(line, "last visit date is in the future");
      }
      last_visit = *d;
    }
    auto status = NormalizeStatus(row.get(Field::kStatus));
    if (!status.ok()) {
      return Rejected(line, status.status().message());
    }
    auto provider = CleanName(row.get(Field::kProvider), "provider name");
    if (!provider.ok()) {
      return Rejected(line, provider.status().message());
    }
    std::string postal;
    if (std::string_view text = TrimAscii(row.get(Field::kPostalCode)); !text.empty()) {
      auto z = contact::NormalizeUsPostalCode(text);
      if (!z.ok()) {
        return Rejected(line, "invalid postal code");
      }
      postal = *z;
    }
    std::string state;
    if (std::string_view text = TrimAscii(row.get(Field::kState)); !text.empty()) {
      auto s = contact::NormalizeUsState(text);
      if (!s.ok()) {
        return Rejected(line, "invalid state");
      }
      state = *s;
    }

    store::PatientRow r;
    r.practice_id = c.practice_id;
    r.external_index = c.keys->BlindIndex("external_id", ext_id);
    ASSIGN_OR_RETURN(r.patient_id, NewPatientId(c.now_tp, line, random));
    r.subject = c.keys->Pseudonym(ext_id);
    const std::string ctx_suffix = "|" + c.practice_id + "|" + r.external_index;
    auto seal = [&](std::string_view value, const char* field) -> StatusOr<std::string> {
      if (value.empty()) return std::string();
      return c.keys->EncryptField(value, std::string("patient.") + field + ctx_suffix, random);
    };
    ASSIGN_OR_RETURN(r.external_id_enc, seal(ext_id, "external_id"));
    ASSIGN_OR_RETURN(r.first_name_enc, seal(*first, "first_name"));
    ASSIGN_OR_RETURN(r.last_name_enc, seal(*last, "last_name"));
    ASSIGN_OR_RETURN(r.email_enc, seal(email, "email"));
    ASSIGN_OR_RETURN(r.phone_enc, seal(phone_e164, "phone"));
    ASSIGN_OR_RETURN(r.postal_code_enc, seal(postal, "postal_code"));
    if (!email.empty()) r.email_index = c.keys->BlindIndex("email", email);
    if (!phone_e164.empty()) r.phone_index = c.keys->BlindIndex("phone", phone_e164);
    r.phone_line_type = phone_e164.empty() ? "unknown" : line_type;
    r.language = *language;
    r.last_visit = last_visit;
    r.status = *status;
    r.provider_name = *provider;
    r.state = state;
    r.updated_at = c.now;
  Prepared out;
  out.line = line;
  if (c.want_consents) {
    for (auto [f, channel] : {std::pair{Field::kSmsConsent, "sms"}, std::pair{Field::kEmailConsent, "email"}}) {
      if (auto flag = ParseConsentFlag(row.get(f)); flag.has_value()) {
        out.consents.push_back({r.external_index, channel, *flag});
      }
    }
  }
  out.row = std::move(r);
  return out;
}

// Reads records on the calling thread in batches, prepares them on worker
// threads, and hands the results back to the calling thread in file order.
// Memory stays bounded: at most kMaxInFlight batches exist at once.
Status RunPipeline(const RowContext& ctx,
                   const std::function<StatusOr<bool>(std::vector<std::string>&, int64_t&)>& next_record,
                   const std::function<Status(Prepared&)>& consume) {
  constexpr size_t kBatch = 1024;
  constexpr size_t kMaxInFlight = 8;
  struct Batch {
    std::vector<std::vector<std::string>> records;
    std::vector<int64_t> lines;
    std::vector<Prepared> out;
    Status status;
    bool done = false;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Batch>> pending;  // not yet picked by a worker
  std::deque<std::shared_ptr<Batch>> ordered;  // every batch in flight, in file order
  bool stop = false;

  auto worker = [&] {
    BufferedRandom random(*ctx.random);
    RowContext my_ctx = ctx;
    my_ctx.random = &random;
    for (;;) {
      std::shared_ptr<Batch> batch;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || !pending.empty(); });
        if (pending.empty()) return;
        batch = pending.front();
        pending.pop_front();
      }
      batch->out.reserve(batch->records.size());
      for (size_t i = 0; i < batch->records.size() && batch->status.ok(); ++i) {
        auto p = PrepareRow(my_ctx, batch->records[i], batch->lines[i]);
        if (p.ok()) batch->out.push_back(std::move(p).value());
        else batch->status = p.status();
      }
      batch->records.clear();
      {
        std::lock_guard lock(mu);
        batch->done = true;
      }
      cv.notify_all();
    }
  };
  const unsigned n_workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < n_workers; ++i) workers.emplace_back(worker);
  auto shutdown = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
  };

  Status result;
  bool input_done = false;
  while (result.ok()) {
    // Fill the pipeline.
    while (!input_done) {
      {
        std::lock_guard lock(mu);
        if (ordered.size() >= kMaxInFlight) break;
      }
      auto batch = std::make_shared<Batch>();
      while (batch->records.size() < kBatch) {
        std::vector<std::string> fields;
        int64_t line = 0;
        auto more = next_record(fields, line);
        if (!more.ok()) {
          result = more.status();
          input_done = true;
          break;
        }
        if (!*more) {
          input_done = true;
          break;
        }
        batch->records.push_back(std::move(fields));
        batch->lines.push_back(line);
      }
      if (batch->records.empty()) break;
      {
        std::lock_guard lock(mu);
        pending.push_back(batch);
        ordered.push_back(batch);
      }
      cv.notify_all();
    }
    if (!result.ok()) break;
    // Drain the oldest batch once it is ready.
    std::shared_ptr<Batch> head;
    {
      std::unique_lock lock(mu);
      if (ordered.empty()) break;
      cv.wait(lock, [&] { return ordered.front()->done; });
      head = ordered.front();
      ordered.pop_front();
    }
    if (!head->status.ok()) {
      result = head->status;
      break;
    }
    for (auto& p : head->out) {
      result = consume(p);
      if (!result.ok()) break;
    }
  }
  shutdown();
  return result;
}

StatusOr<ImportReport> ImportCsv(engine::Engine& engine, const std::string& practice_id, std::istream& in,
                                 const ImportOptions& options, std::vector<ImportedConsent>* consent_sink) {
  RETURN_IF_ERROR(practices::RequireBaa(engine, practice_id));
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));

  CsvReader reader(in);
  std::vector<std::string> header;
  int64_t header_line = 0;
  ASSIGN_OR_RETURN(bool has_header, reader.Next(header, header_line));
  if (!has_header) return InvalidArgumentError("the file is empty (no header row)");
  ASSIGN_OR_RETURN(Mapping mapping, MapHeader(header, options));

  const TimePoint now = engine.clock().Now();
  RowContext ctx{practice_id, keys, &mapping, FormatRfc3339Millis(now), now, &engine.random(),
                 consent_sink != nullptr};
  ASSIGN_OR_RETURN(auto import, engine.store().patients().BeginImport(practice_id));

  ImportReport report;
  report.dropped_columns = mapping.dropped;
  FirstLineOf first_line_of;
  std::vector<ImportedConsent> consents;
  uint64_t last_progress = 0;
  int64_t rows = 0;

  // The calling thread writes rows in file order (SQLite and duplicate
  // detection need one writer); the pipeline prepares them in parallel.
  auto consume = [&](Prepared& p) -> Status {
    if (!p.row) {
      ++report.rejected_total;
      if (report.rejected.size() < kMaxRejectedListed) report.rejected.push_back({p.line, std::move(p.reject)});
      return OkStatus();
    }
    if (auto first = first_line_of.Insert(p.row->external_index, p.line); first.has_value()) {
      ++report.rejected_total;
      if (report.rejected.size() < kMaxRejectedListed) {
        report.rejected.push_back({p.line, "duplicate patient id (first seen on line " + std::to_string(*first) + ")"});
      }
      return OkStatus();
    }
    ASSIGN_OR_RETURN(store::UpsertOutcome outcome, import->Upsert(*p.row));
    if (outcome == store::UpsertOutcome::kInserted) ++report.imported;
    else ++report.updated;
    for (auto& c : p.consents) consents.push_back(std::move(c));
    return OkStatus();
  };
  auto next_record = [&](std::vector<std::string>& fields, int64_t& line) -> StatusOr<bool> {
    for (;;) {
      ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
      if (!more) return false;
      if (fields.size() == 1 && TrimAscii(fields[0]).empty()) continue;  // blank line
      ++rows;
      if (options.progress && reader.bytes_read() - last_progress >= 64 * 1024) {
        last_progress = reader.bytes_read();
        options.progress(last_progress, rows);
      }
      return true;
    }
  };
  RETURN_IF_ERROR(RunPipeline(ctx, next_record, consume));

  audit::Details details{{"imported", report.imported},
                         {"updated", report.updated},
                         {"rejected", report.rejected_total},
                         {"dropped_columns", int64_t(report.dropped_columns.size())}};
  RETURN_IF_ERROR(import->Commit(engine.Event("patient.import", practice_id, "", std::move(details))));
  if (options.progress) options.progress(reader.bytes_read(), rows);
  if (consent_sink != nullptr) *consent_sink = std::move(consents);
  return report;
}

}  // namespace recall::patients
