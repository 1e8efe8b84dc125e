#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/engine_testing.h"
#include "patients/patients.h"
#include "practices/practices.h"

namespace recall::patients {
namespace {

namespace fs = std::filesystem;

std::string Fixture(const std::string& name) {
  return std::string(std::getenv("RECALL_SOURCE_DIR")) + "/src/patients/testdata/" + name;
}

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    auto p = practices::CreatePractice(*engine_, {"Maple Family Dental", "1 Main St, Springfield, IL 62701",
                                                  "(217) 555-0100", "Maple Family Dental <office@maple.example>",
                                                  "America/Chicago", "IL"});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    practice_ = p->practice_id;
  }
  void RecordBaa() {
    const fs::path doc = engine_.dir() / "baa.pdf";
    std::ofstream(doc) << "signed BAA document (synthetic)";
    auto b = practices::RecordBaa(*engine_, {practice_, "Dana Whitlock", "2025-11-01", doc.string(), 72});
    ASSERT_TRUE(b.ok()) << b.status().ToString();
  }
  StatusOr<ImportReport> ImportFile(const std::string& path, ImportOptions options = {}) {
    std::ifstream in(path, std::ios::binary);
    return ImportCsv(*engine_, practice_, in, options);
  }
  StatusOr<ImportReport> ImportText(const std::string& text, ImportOptions options = {}) {
    std::istringstream in(text);
    return ImportCsv(*engine_, practice_, in, options);
  }
  int64_t AuditCount(const std::string& action) { return engine_.CountAudit(action); }

  engine::TestEngine engine_;
  std::string practice_;
};

TEST_F(ImporterTest, RefusedWithoutBaa) {
  auto r = ImportFile(Fixture("messy_export.csv"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("Business Associate Agreement"), std::string::npos);
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 0);
}

TEST_F(ImporterTest, MessyExport) {
  RecordBaa();
  auto r = ImportFile(Fixture("messy_export.csv"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->imported, 4);
  EXPECT_EQ(r->updated, 0);
  EXPECT_EQ(r->dropped_columns,
            (std::vector<std::string>{"DOB", "Primary Dx", "SSN", "Insurance Carrier", "Clinical Notes"}));
  std::vector<std::pair<int64_t, std::string>> rejected;
  for (const auto& row : r->rejected) rejected.emplace_back(row.line, row.reason);
  EXPECT_EQ(rejected, (std::vector<std::pair<int64_t, std::string>>{
                          {7, "invalid phone number"},
                          {8, "invalid email address"},
                          {9, "missing patient id"},
                          {10, "duplicate patient id (first seen on line 2)"},
                          {11, "has 3 fields; the header has 17"},
                          {12, "invalid last visit date"},
                          {13, "last visit date is in the future"},
                          {14, "unknown status (expected active, inactive or lapsed)"},
                          {15, "no phone or email to contact"},
                          {17, "contains invalid UTF-8"},
                      }));
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 4);

  // What was stored, through an audited reveal.
  auto p1 = Reveal(*engine_, practice_, "SYN-001", "verify import");
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  EXPECT_EQ(p1->first_name, "Quintessa");
  EXPECT_EQ(p1->phone, "+12175550142");
  EXPECT_EQ(p1->phone_line_type, "mobile");
  EXPECT_EQ(p1->email, "quintessa.marlowe@example.com");
  EXPECT_EQ(p1->language, "en");
  EXPECT_EQ(p1->status, "lapsed");
  EXPECT_EQ(p1->last_visit, "2024-03-05");
  EXPECT_EQ(p1->postal_code, "62701");
  auto p2 = Reveal(*engine_, practice_, "SYN-002", "verify import");
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->first_name, "Bartholomew, Jr.");
  EXPECT_EQ(p2->phone_line_type, "landline");
  EXPECT_EQ(p2->language, "es");
  EXPECT_EQ(p2->state, "IL");
  EXPECT_EQ(p2->postal_code, "62704");
  auto p3 = Reveal(*engine_, practice_, "SYN-003", "verify import");
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->last_visit, "2025-01-09");
  EXPECT_EQ(AuditCount("patient.reveal"), 3);
  EXPECT_EQ(AuditCount("patient.import"), 1);
}

TEST_F(ImporterTest, ReimportUpdatesByPatientId) {
  RecordBaa();
  ASSERT_TRUE(ImportFile(Fixture("messy_export.csv")).ok());
  auto again = ImportText(
      "Patient ID,First Name,Last Name,Cell Phone,Status\n"
      "SYN-001,Quintessa,Marlowe,(217) 555-0199,active\n"
      "SYN-900,New,Person,(217) 555-0198,active\n");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->imported, 1);
  EXPECT_EQ(again->updated, 1);
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 5);
  auto p1 = Reveal(*engine_, practice_, "SYN-001", "verify update");
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->phone, "+12175550199");
  EXPECT_EQ(p1->status, "active");
}

TEST_F(ImporterTest, MalformedFileChangesNothing) {
  RecordBaa();
  auto r = ImportText("Patient ID,First Name,Cell Phone\nA1,Avery,(217) 555-0101\nA2,\"Unterminated,(217) 555-0102\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().message();
  EXPECT_EQ(*engine_->store().patients().Count(practice_), 0);
  EXPECT_EQ(AuditCount("patient.import"), 0);
}

TEST_F(ImporterTest, BadHeadersAreClearErrors) {
  RecordBaa();
  EXPECT_EQ(ImportText("").status().code(), StatusCode::kInvalidArgument);
  auto no_id = ImportText("First Name,Cell Phone\nAvery,(217) 555-0101\n");
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.status().message().find("--map"), std::string::npos);
  auto twice = ImportText("Patient ID,MRN,First Name\n1,2,A\n");
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ImporterTest, MapOverridesAndDrop) {
  RecordBaa();
  ImportOptions o;
  o.header_map = {{"Pt Cell #", "mobile_phone"}, {"Given", "first_name"}, {"Chart", "drop"}, {"Acct", "external_id"}};
  auto r = ImportText("Acct,Chart,Given,Pt Cell #\nZ9,C-77,Avery,(217) 555-0101\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->imported, 1);
  EXPECT_EQ(r->dropped_columns, std::vector<std::string>{"Chart"});
  o.header_map["Given"] = "diagnosis";
  EXPECT_EQ(ImportText("Acct,Given\n1,A\n", o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ImporterTest, MaskedListAndRevealRules) {
  RecordBaa();
  ASSERT_TRUE(ImportFile(Fixture("messy_export.csv")).ok());
  auto page = ListMasked(*engine_, practice_, "", 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->patients.size(), 4u);
  bool saw = false;
  for (const auto& p : page->patients) {
    EXPECT_EQ(p.first_name.find("***"), 1u);
    if (p.phone == "+1 ***-***-0142") {
      saw = true;
      EXPECT_EQ(p.first_name, "Q***");
      EXPECT_EQ(p.last_name, "M***");
      EXPECT_EQ(p.email, "q***@e***.com");
    }
  }
  EXPECT_TRUE(saw);
  EXPECT_EQ(Reveal(*engine_, practice_, "SYN-001", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Reveal(*engine_, practice_, "SYN-001", "caller at 217-555-0142").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Reveal(*engine_, practice_, "SYN-404", "lookup").status().code(), StatusCode::kNotFound);
}

// The plaintext-leak test: no imported name, phone or email, and none of the
// dropped clinical values, appears anywhere in the data directory's bytes.
TEST_F(ImporterTest, NoPlaintextPhiInDataDirectory) {
  RecordBaa();
  ASSERT_TRUE(ImportFile(Fixture("messy_export.csv")).ok());
  ASSERT_TRUE(ListMasked(*engine_, practice_, "", 100).ok());
  ASSERT_TRUE(Reveal(*engine_, practice_, "SYN-002", "verify").ok());
  // Scan while the engine is open (WAL present) and again after close.
  const std::vector<std::string> needles = {
      "Quintessa", "Marlowe", "Bartholomew", "Oakhurst", "Wilhelmina", "Thistledown", "Aurelio", "Kestrel",
      "+12175550142", "2175550142", "555-0142", "+12175550177", "+13125550119", "+14045550166",
      "quintessa.marlowe@example.com", "Quintessa.Marlowe@Example.com", "wilhelmina.t@example.org",
      "aurelio.kestrel@example.net", "SYN-001", "SYN-011",
      // dropped at the door
      "900-12-3456", "E11.9", "SynthCare", "A1C 9.2", "clinical note", "04/12/1961"};
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) engine_.Close();
    for (const auto& entry : fs::recursive_directory_iterator(engine_.dir())) {
      if (!entry.is_regular_file() || entry.path().filename() == "baa.pdf") continue;
      std::ifstream f(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      for (const auto& needle : needles) {
        EXPECT_EQ(bytes.find(needle), std::string::npos)
            << "'" << needle << "' found in " << entry.path().filename() << " (pass " << pass << ")";
      }
    }
  }
}

}  // namespace
}  // namespace recall::patients
