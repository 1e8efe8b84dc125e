// CSV import: header mapping, per-row validation, field encryption, one
// transaction. See docs/import.md for aliases and rules.
#include <algorithm>
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

// One row's values by field.
struct RowValues {
  std::array<std::string_view, 16> v{};
  std::string_view get(Field f) const { return v[static_cast<size_t>(f)]; }
};

}  // namespace

StatusOr<ImportReport> ImportCsv(engine::Engine& engine, const std::string& practice_id, std::istream& in,
                                 const ImportOptions& options, std::vector<ImportedConsent>* consent_sink) {
  RETURN_IF_ERROR(practices::RequireBaa(engine, practice_id));
  ASSIGN_OR_RETURN(auto practice, engine.store().practices().Get(practice_id));
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));

  CsvReader reader(in);
  std::vector<std::string> fields;
  int64_t line = 0;
  ASSIGN_OR_RETURN(bool has_header, reader.Next(fields, line));
  if (!has_header) return InvalidArgumentError("the file is empty (no header row)");
  ASSIGN_OR_RETURN(Mapping mapping, MapHeader(fields, options));

  ImportReport report;
  report.dropped_columns = mapping.dropped;
  int64_t rejected_total = 0;
  auto reject = [&](int64_t at, std::string reason) {
    ++rejected_total;
    if (report.rejected.size() < kMaxRejectedListed) report.rejected.push_back({at, std::move(reason)});
  };

  // Hash the file as it streams, for the audit record.
  ASSIGN_OR_RETURN(auto import, engine.store().patients().BeginImport(practice_id));
  std::unordered_map<std::string, int64_t> first_line_of;  // external_index -> line
  const std::string now = FormatRfc3339Millis(engine.clock().Now());
  Random& random = engine.random();
  const std::string region = "US";
  std::vector<ImportedConsent> consents;
  uint64_t last_progress = 0;
  int64_t rows = 0;

  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) break;
    ++rows;
    if (options.progress && reader.bytes_read() - last_progress >= 64 * 1024) {
      last_progress = reader.bytes_read();
      options.progress(last_progress, rows);
    }
    if (fields.size() == 1 && TrimAscii(fields[0]).empty()) continue;  // blank line
    if (fields.size() != mapping.by_column.size()) {
      reject(line, "has " + std::to_string(fields.size()) + " fields; the header has " +
                       std::to_string(mapping.by_column.size()));
      continue;
    }
    RowValues row;
    bool utf8_ok = true;
    for (size_t col = 0; col < fields.size(); ++col) {
      if (!mapping.by_column[col]) continue;  // dropped at the door: never read further
      if (!IsValidUtf8(fields[col])) utf8_ok = false;
      row.v[static_cast<size_t>(*mapping.by_column[col])] = fields[col];
    }
    if (!utf8_ok) {
      reject(line, "contains invalid UTF-8");
      continue;
    }
    const std::string ext_id(TrimAscii(row.get(Field::kExternalId)));
    if (ext_id.empty()) {
      reject(line, "missing patient id");
      continue;
    }
    if (ext_id.size() > 64) {
      reject(line, "patient id is too long");
      continue;
    }
    auto first = CleanName(row.get(Field::kFirstName), "first name");
    auto last = CleanName(row.get(Field::kLastName), "last name");
    if (!first.ok() || !last.ok()) {
      reject(line, (!first.ok() ? first.status() : last.status()).message());
      continue;
    }
    if (first->empty()) {
      reject(line, "missing first name");
      continue;
    }
    // Phone: cell first, then a plain phone column, then home.
    std::string phone_e164, line_type = "unknown";
    bool phone_error = false;
    for (Field f : {Field::kMobilePhone, Field::kPhone, Field::kHomePhone}) {
      std::string_view text = TrimAscii(row.get(f));
      if (text.empty()) continue;
      auto phone = contact::ParsePhone(text, region);
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
      reject(line, "invalid phone number");
      continue;
    }
    std::string email;
    if (std::string_view text = TrimAscii(row.get(Field::kEmail)); !text.empty()) {
      auto e = contact::NormalizeEmail(text);
      if (!e.ok()) {
        reject(line, "invalid email address");
        continue;
      }
      email = *e;
    }
    if (phone_e164.empty() && email.empty()) {
      reject(line, "no phone or email to contact");
      continue;
    }
    auto language = NormalizeLanguage(row.get(Field::kLanguage));
    if (!language.ok()) {
      reject(line, language.status().message());
      continue;
    }
    std::string last_visit;
    if (std::string_view text = TrimAscii(row.get(Field::kLastVisit)); !text.empty()) {
      auto d = contact::ParseUsDate(text);
      if (!d.ok()) {
        reject(line, "invalid last visit date");
        continue;
      }
      if (*d > now.substr(0, 10)) {
        reject(line, "last visit date is in the future");
        continue;
      }
      last_visit = *d;
    }
    auto status = NormalizeStatus(row.get(Field::kStatus));
    if (!status.ok()) {
      reject(line, status.status().message());
      continue;
    }
    auto provider = CleanName(row.get(Field::kProvider), "provider name");
    if (!provider.ok()) {
      reject(line, provider.status().message());
      continue;
    }
    std::string postal;
    if (std::string_view text = TrimAscii(row.get(Field::kPostalCode)); !text.empty()) {
      auto z = contact::NormalizeUsPostalCode(text);
      if (!z.ok()) {
        reject(line, "invalid postal code");
        continue;
      }
      postal = *z;
    }
    std::string state;
    if (std::string_view text = TrimAscii(row.get(Field::kState)); !text.empty()) {
      auto s = contact::NormalizeUsState(text);
      if (!s.ok()) {
        reject(line, "invalid state");
        continue;
      }
      state = *s;
    }

    store::PatientRow r;
    r.practice_id = practice_id;
    r.external_index = keys->BlindIndex("external_id", ext_id);
    if (auto [it, inserted] = first_line_of.emplace(r.external_index, line); !inserted) {
      reject(line, "duplicate patient id (first seen on line " + std::to_string(it->second) + ")");
      continue;
    }
    ASSIGN_OR_RETURN(r.patient_id, random.NewId("pat"));
    r.subject = keys->Pseudonym(ext_id);
    const std::string ctx_suffix = "|" + practice_id + "|" + r.external_index;
    auto seal = [&](std::string_view value, const char* field) -> StatusOr<std::string> {
      if (value.empty()) return std::string();
      return keys->EncryptField(value, std::string("patient.") + field + ctx_suffix, random);
    };
    ASSIGN_OR_RETURN(r.external_id_enc, seal(ext_id, "external_id"));
    ASSIGN_OR_RETURN(r.first_name_enc, seal(*first, "first_name"));
    ASSIGN_OR_RETURN(r.last_name_enc, seal(*last, "last_name"));
    ASSIGN_OR_RETURN(r.email_enc, seal(email, "email"));
    ASSIGN_OR_RETURN(r.phone_enc, seal(phone_e164, "phone"));
    ASSIGN_OR_RETURN(r.postal_code_enc, seal(postal, "postal_code"));
    if (!email.empty()) r.email_index = keys->BlindIndex("email", email);
    if (!phone_e164.empty()) r.phone_index = keys->BlindIndex("phone", phone_e164);
    r.phone_line_type = phone_e164.empty() ? "unknown" : line_type;
    r.language = *language;
    r.last_visit = last_visit;
    r.status = *status;
    r.provider_name = *provider;
    r.state = state;
    r.updated_at = now;
    ASSIGN_OR_RETURN(store::UpsertOutcome outcome, import->Upsert(r));
    if (outcome == store::UpsertOutcome::kInserted) ++report.imported;
    else ++report.updated;

    if (consent_sink != nullptr) {
      for (auto [f, channel] : {std::pair{Field::kSmsConsent, "sms"}, std::pair{Field::kEmailConsent, "email"}}) {
        if (auto flag = ParseConsentFlag(row.get(f)); flag.has_value()) {
          // The id is resolved after commit (an update keeps the stored id).
          consents.push_back({r.external_index, channel, *flag});
        }
      }
    }
  }

  audit::Details details{{"imported", report.imported},
                         {"updated", report.updated},
                         {"rejected", rejected_total},
                         {"dropped_columns", int64_t(report.dropped_columns.size())}};
  report.rejected_total = rejected_total;
  RETURN_IF_ERROR(import->Commit(engine.Event("patient.import", practice_id, "", std::move(details))));
  if (options.progress) options.progress(reader.bytes_read(), rows);
  if (consent_sink != nullptr) *consent_sink = std::move(consents);
  (void)practice;
  return report;
}

}  // namespace recall::patients
