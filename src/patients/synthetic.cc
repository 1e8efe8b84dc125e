#include "patients/synthetic.h"

#include <cstdio>
#include <random>
#include <string>

namespace recall::patients {

namespace {
constexpr const char* kFirst[] = {"Avery", "Jordan", "Rowan", "Quinn", "Emery", "Harper", "Sage", "Reese",
                                  "Elena", "Mateo", "Lucia", "Tomas", "Mina", "Kenji", "Priya", "Omar",
                                  "Lena", "Jonah", "Iris", "Felix", "Nadia", "Caleb", "Zara", "Milo"};
constexpr const char* kLast[] = {"Ashbury", "Brightwater", "Calloway", "Dunmore", "Ellery", "Fairbanks",
                                 "Garrow", "Hollis", "Ingleby", "Jessup", "Kestrel", "Larkspur",
                                 "Merriweather", "Northcott", "Oakhurst", "Pembrook", "Quill", "Ravensworth",
                                 "Stillwater", "Thistledown", "Underhill", "Vantreight", "Whitlock", "Yarrow"};
constexpr const char* kAreas[] = {"217", "312", "404", "512", "602", "718", "305", "405", "410", "206"};
constexpr const char* kStates[] = {"IL", "IL", "GA", "TX", "AZ", "NY", "FL", "OK", "MD", "WA"};
constexpr const char* kZips[] = {"62701", "60601", "30303", "78701", "85001", "11201", "33101", "73101", "21201", "98101"};
constexpr const char* kDomains[] = {"example.com", "example.net", "example.org"};
constexpr const char* kProviders[] = {"Dr. Avery Stone", "Dr. Sam Ortiz", "Dr. Lee Park", "Dr. Robin Hale"};
constexpr const char* kStatus[] = {"active", "inactive", "lapsed", "lapsed"};
constexpr const char* kLang[] = {"en", "en", "en", "es", "en", "vi"};
constexpr const char* kDx[] = {"E11.9", "I10", "J45.909", "F41.1", "M54.5"};
}  // namespace

void WriteSyntheticCsv(std::ostream& out, const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto pick = [&](auto& arr) -> decltype(arr[0]) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  out << "Patient ID,Patient First Name,Patient Last Name,Cell Phone,Home Phone,E-mail Address,Preferred Language,"
         "Last Appt Date,Status,Provider,Zip,State";
  if (o.with_consent_columns) out << ",SMS Consent,Email Consent";
  if (o.with_clinical_columns) out << ",DOB,Diagnosis,SSN,Insurance,Notes";
  out << "\r\n";
  char buf[512];
  for (int64_t i = 0; i < o.rows; ++i) {
    const size_t region = rng() % (sizeof(kAreas) / sizeof(kAreas[0]));
    const char* first = pick(kFirst);
    const char* last = pick(kLast);
    const int local = static_cast<int>(rng() % 100);
    const bool has_cell = rng() % 10 < 8;
    const bool has_email = rng() % 10 < 7;
    const int month = static_cast<int>(rng() % 12) + 1, day = static_cast<int>(rng() % 28) + 1;
    const int year = 2020 + static_cast<int>(rng() % 5);
    std::string cell, home, email;
    std::snprintf(buf, sizeof(buf), "(%s) 555-01%02d", kAreas[region], local);
    (has_cell ? cell : home) = buf;
    if (has_email) {
      std::snprintf(buf, sizeof(buf), "%s.%s%lld@%s", first, last, static_cast<long long>(i), pick(kDomains));
      email = buf;
    }
    std::snprintf(buf, sizeof(buf), "SYN%07lld,%s,%s,%s,%s,%s,%s,%02d/%02d/%d,%s,\"%s\",%s,%s",
                  static_cast<long long>(i + 1), first, last, cell.c_str(), home.c_str(), email.c_str(), pick(kLang),
                  month, day, year, pick(kStatus), pick(kProviders), kZips[region], kStates[region]);
    out << buf;
    if (o.with_consent_columns) {
      auto consent = [&](bool has_contact) -> const char* {
        const int roll = static_cast<int>(rng() % 100);
        if (!has_contact) return "";
        return roll < 75 ? "Y" : roll < 85 ? "N" : "";
      };
      const char* sms = consent(has_cell);
      const char* mail = consent(has_email);
      out << ',' << sms << ',' << mail;
    }
    if (o.with_clinical_columns) {
      std::snprintf(buf, sizeof(buf), ",%02d/%02d/19%02d,%s,900-%02d-%04d,SynthCare PPO,\"Synthetic note, row %lld\"",
                    month, day, static_cast<int>(40 + rng() % 59), pick(kDx), static_cast<int>(rng() % 100),
                    static_cast<int>(rng() % 10000), static_cast<long long>(i + 1));
      out << buf;
    }
    out << "\r\n";
  }
}

}  // namespace recall::patients
