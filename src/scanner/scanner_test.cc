#include "scanner/scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace recall::scanner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Describe(const std::vector<Finding>& findings) {
  std::ostringstream out;
  for (const Finding& f : findings) {
    out << "[" << f.category << "/" << SeverityName(f.severity) << " '" << f.match << "' " << f.start << "-" << f.end
        << "] ";
  }
  return findings.empty() ? "no findings" : out.str();
}

bool HasCategory(const std::vector<Finding>& findings, std::string_view category) {
  for (const Finding& f : findings) {
    if (f.category == category) return true;
  }
  return false;
}

class ScannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto created = Scanner::Create(ScannerOptions{});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    scanner_ = std::move(created).value().release();
  }
  static void TearDownTestSuite() {
    delete scanner_;
    scanner_ = nullptr;
  }
  static std::vector<Finding> Scan(std::string_view text) { return scanner_->Scan(text); }

  // Every finding's span must be exactly its match in the original input.
  static void ExpectSpansValid(std::string_view text, const std::vector<Finding>& findings) {
    for (const Finding& f : findings) {
      ASSERT_LE(f.start, f.end);
      ASSERT_LE(f.end, text.size());
      EXPECT_EQ(text.substr(f.start, f.end - f.start), f.match);
    }
  }

  static Scanner* scanner_;
};

Scanner* ScannerTest::scanner_ = nullptr;

// ---------------------------------------------------------------------------
// Texts that must be blocked, with the category that must be among the
// findings.
struct BlockCase {
  const char* text;
  std::string_view category;
};

const BlockCase kMustBlock[] = {
    {"Hi Ana, time to refill your metformin", kMedication},
    {"Your HIV test results are ready", kSensitiveService},
    {"Reminder: your chemotherapy session is tomorrow", kSensitiveService},
    {"Your A1C of 9.2 is high", kLabResult},
    {"Your a1c 9.2% came back", kLabResult},
    {"LDL 160, please call us", kLabResult},
    {"Your blood pressure 150/95 was high at your visit", kLabResult},
    {"Your BP was 150/95", kLabResult},
    {"Your cholesterol is high, call us", kLabResult},
    {"You tested positive for chlamydia", kLabResult},
    {"You tested positive for chlamydia", kDiagnosis},
    {"Good news: your results came back positive", kLabResult},
    {"Downtown HIV Clinic", kSensitiveService},
    {"Dr. Lee, Oncology", kSensitiveService},
    {"Dr. Lee - Oncology", kSensitiveService},
    {"Dr. Oncology", kSensitiveService},
    {"H.I.V.", kSensitiveService},
    {"h-i-v screening", kSensitiveService},
    {"\xEF\xBC\xA8\xEF\xBC\xA9\xEF\xBC\xB6 clinic", kSensitiveService},  // full-width ＨＩＶ
    {"Refill your met\xE2\x80\x8B"
     "formin today",
     kMedication},  // zero-width space inside
    {"chemo\xC2\xAD"
     "therapy",
     kSensitiveService},  // soft hyphen inside
    {"Free testing for STIs this week", kSensitiveService},
    {"Time for your annual mammograms", kProcedure},
    {"Your biopsies are scheduled", kProcedure},
    {"Living with psychoses", kDiagnosis},
    {"METFORMIN", kMedication},
    {"HiV", kSensitiveService},
    {"Your Ozempic refill", kMedication},
    {"Confirming your psychiatry appointment on Monday", kSensitiveService},
    {"Your IVF consultation", kSensitiveService},
    {"Planned Parenthood reminder", kSensitiveService},
    {"Ask us about PrEP", kSensitiveService},
    {"HIV/AIDS support group", kSensitiveService},
    {"AIDS", kSensitiveService},
    {"Your methadone dose pickup", kMedication},
    {"Your Zoloft prescription", kMedication},
    {"Alzheimer's support", kDiagnosis},
    {"Crohn\xE2\x80\x99s disease follow-up", kDiagnosis},  // curly apostrophe
    {"You were diagnosed with diabetes", kDiagnosis},
    {"Your colonoscopy prep instructions", kProcedure},
    {"ICD-10 E11.9", kCode},
    {"Dx: F32.A", kCode},
    {"Claim for E11.65", kCode},
    {"CPT 99213 billed", kCode},
    {"cpt code: 99214", kCode},
    {"HCPCS G0438", kCode},
    {"ICD E119", kCode},
    {"Your blood\npressure   150/95", kLabResult},
    {"Your std test", kSensitiveService},
    {"Our addiction treatment program", kSensitiveService},
    {"Your glucose level of 240", kLabResult},
    {"Platelets 250,000", kLabResult},
    {"Your viral load is undetectable", kProcedure},
    {"Post-op check with Dr. Smith", kProcedure},
    {"Your C-section is scheduled", kProcedure},
    {"Prenatal visit on Friday", kSensitiveService},
    {"Dr. Chen, Fertility & IVF", kSensitiveService},
    {"Maple Behavioral Health", kSensitiveService},
    {"Gallstone removal is scheduled", kDiagnosis},
};

TEST_F(ScannerTest, BlocksClinicalContent) {
  for (const BlockCase& c : kMustBlock) {
    const std::vector<Finding> findings = Scan(c.text);
    EXPECT_TRUE(HasBlocking(findings)) << c.text << ": " << Describe(findings);
    EXPECT_TRUE(HasCategory(findings, c.category)) << c.text << " wants " << c.category << ": " << Describe(findings);
    ExpectSpansValid(c.text, findings);
  }
}

// ---------------------------------------------------------------------------
// Everyday administrative texts: no finding of any severity.
const char* const kAdminCorpus[] = {
    "Hi Ana, this is a reminder of your appointment with Dr. Payne on Tuesday, March 4 at 3:30 PM.",
    "Your appointment with Dr. Payne is at 3:30 PM.",
    "Reply STOP to opt out. Msg & data rates may apply.",
    "Reply YES to confirm, NO to cancel, or call us at (503) 555-0142.",
    "Can I stop by tomorrow?",
    "The end of the month works for us.",
    "Dr. Burns will see you on Friday at 10:15 AM.",
    "Dr. Anna Burns and Dr. Payne are accepting new patients.",
    "Ms. Gallstone from our front desk will call you to reschedule.",
    "Dr. Cramp is out of the office next week.",
    "Mr. Stone, your visit is confirmed for 9:00 AM.",
    "Please bring your insurance card and a photo ID to your visit.",
    "We have a new patient portal! Sign up at maplefamilydental.com/portal.",
    "Your billing statement is ready. Pay online or call 555-867-5309.",
    "Happy birthday from Maple Family Dental!",
    "Our office is located at 1200 NW Everett St, Suite 310, Portland, OR 97209.",
    "We moved! Our new address is 45 Elm Street, Springfield, IL 62704.",
    "Please arrive 15 minutes early to complete paperwork.",
    "Our office will be closed on Monday for Memorial Day.",
    "Parking is available in the garage on 3rd Avenue; we validate tickets.",
    "Your appointment has been rescheduled to April 12 at 11:45 AM.",
    "Running late? Call us and we will do our best to fit you in.",
    "Thank you for choosing Riverside Family Medicine.",
    "You have a balance of $45.00. Visit our website to pay.",
    "We could not reach you. Please call our office at 800-555-0199 ext. 204.",
    "Save the date: our community open house is Saturday from 10 to 2.",
    "It has been a while since your last visit. Book online anytime.",
    "New hours: Monday through Friday 8 AM to 6 PM, Saturday 9 AM to noon.",
    "Please update your contact information in the portal.",
    "Your visit summary is available in the patient portal.",
    "Text HELP for help or STOP to unsubscribe.",
    "We are now in network with most major insurance plans.",
    "Our archive of newsletters is on our website.",
    "Standard office hours resume next week.",
    "Your next cleaning is due. Schedule with Maple Family Dental today.",
    "Thanks for visiting! Tell us how we did in a 2-minute survey.",
    "Seasons greetings from all of us at Lakeside Pediatrics.",
    "Reminder: your annual physical with Dr. Garcia is next Wednesday.",
    "Dr. Nguyen has an opening at 2:15 today. Reply 1 to book it.",
    "Your check-in is complete. Please have a seat in the waiting room.",
    "The weather may delay your appointment. We will text you with any changes.",
    "Your payment of $120.00 was received on 03/14. Thank you!",
    "Our staff speak English, Spanish and Vietnamese. Interpreters are free.",
    "Visit us at www.riversidefm.org or follow us for updates.",
    "Our fax number changed to 503-555-0177.",
    "Hi Marco, please call Mrs. Payne at the front desk about your forms.",
    "Your ride to the office is booked for 8:40 AM, pickup at 221B Baker St.",
    "Confirmation code 48213. Show it at the front desk.",
    "Order #10532 has shipped and should arrive by Friday.",
    "Please complete the intake questionnaire before your first visit.",
    "Our new location on Main St opens June 1. Same phone number!",
    "The practice will be closed Dec 24 to Jan 2. Happy holidays!",
    "We are hiring front desk staff; ask for details at reception.",
    "Your referral paperwork was received; we will call to schedule.",
    "Please sign the updated privacy notice at your next visit.",
    "Video visits are available; a link will be texted 10 minutes before.",
    "Don't forget: your appointment is tomorrow at 9:30. See you then!",
    "We appreciate your patience while our phones are being repaired.",
    "Your account number ending in 4421 has a new statement.",
    "A1 Auto Body, Suite B12, is next to our office.",
    "Proud sponsor of the Little League PSA: 3 games this weekend.",
    "Hours of operation: 8-5 weekdays.",
    "Drop-off and pick-up are at the north entrance.",
    "We are closed for Labor Day.",
    "Thank you for your positive feedback!",
    "We are proud to welcome Dr. Amelia Burns to our team.",
    "Sign up for e-statements and go paperless.",
    "Su cita es ma\xC3\xB1"
    "ana a las 3:00 PM con la Dra. Payne.",
    "We\xE2\x80\x99re open late on Thursdays \xE2\x80\x94 see you soon!",
};

TEST_F(ScannerTest, AdminCorpusHasNoFindings) {
  ASSERT_GE(std::size(kAdminCorpus), 40u);
  for (const char* text : kAdminCorpus) {
    const std::vector<Finding> findings = Scan(text);
    EXPECT_TRUE(findings.empty()) << text << ": " << Describe(findings);
  }
}

// Notification-tier texts the HIPAA guidance allows over SMS: they may earn a
// warning for the reviewer but never a block.
const char* const kNotificationTier[] = {
    "Your lab results are ready. Please log in to the patient portal or call us.",
    "Your prescription is ready for pickup at Main Street Pharmacy.",
    "We have an important message waiting for you in your patient portal.",
    "Flu shots are available at all locations this month.",
    "Please bring a list of your medications to your visit.",
    "Time to schedule your dermatology appointment.",
    "Our office follows COVID-19 safety guidelines. Please wear a surgical mask.",
    "Your test results are available in the portal.",
};

TEST_F(ScannerTest, NotificationTierNeverBlocks) {
  for (const char* text : kNotificationTier) {
    const std::vector<Finding> findings = Scan(text);
    EXPECT_FALSE(HasBlocking(findings)) << text << ": " << Describe(findings);
    ExpectSpansValid(text, findings);
  }
}

TEST_F(ScannerTest, WordBoundaries) {
  for (const char* text : {"archive", "standard", "hivemind", "Please prepare your questions", "This aids digestion",
                           "Institution", "the statin-free diet"}) {
    const std::vector<Finding> findings = Scan(text);
    if (std::string_view(text) == "the statin-free diet") {
      EXPECT_TRUE(HasCategory(findings, kMedication)) << text;  // "statin" is a whole word there
      continue;
    }
    EXPECT_TRUE(findings.empty()) << text << ": " << Describe(findings);
  }
}

TEST_F(ScannerTest, SpansMapToOriginalBytes) {
  // Multi-byte text before the match, full-width letters in it.
  const std::string text = "Caf\xC3\xA9 \xE2\x98\x95 note: \xEF\xBC\xA8\xEF\xBC\xA9\xEF\xBC\xB6 testing today";
  const std::vector<Finding> findings = Scan(text);
  ASSERT_EQ(findings.size(), 1u) << Describe(findings);
  const size_t start = text.find("\xEF\xBC\xA8");
  EXPECT_EQ(findings[0].start, start);
  EXPECT_EQ(findings[0].end, text.find(" today"));
  EXPECT_EQ(findings[0].match, "\xEF\xBC\xA8\xEF\xBC\xA9\xEF\xBC\xB6 testing");
  EXPECT_EQ(findings[0].category, kSensitiveService);
  EXPECT_EQ(findings[0].severity, Severity::kBlock);

  // A zero-width space inside the word stays inside the span.
  const std::string zw =
      "Note: met\xE2\x80\x8B"
      "formin.";
  const std::vector<Finding> zw_findings = Scan(zw);
  ASSERT_EQ(zw_findings.size(), 1u) << Describe(zw_findings);
  EXPECT_EQ(zw_findings[0].match,
            "met\xE2\x80\x8B"
            "formin");
  EXPECT_EQ(zw_findings[0].start, 6u);

  // Punctuation inside the word: the span runs from the first to the last letter.
  const std::string dotted = "Your H.I.V. results";
  const std::vector<Finding> dotted_findings = Scan(dotted);
  ASSERT_FALSE(dotted_findings.empty());
  EXPECT_EQ(dotted_findings[0].match, "H.I.V");
  EXPECT_EQ(dotted_findings[0].start, 5u);
}

TEST_F(ScannerTest, NestedFindingsCollapse) {
  const std::vector<Finding> findings = Scan("Your HIV test is Monday");
  ASSERT_EQ(findings.size(), 1u) << Describe(findings);
  EXPECT_EQ(findings[0].match, "HIV test");

  const std::vector<Finding> lab = Scan("Your A1C of 9.2 is high");
  ASSERT_EQ(lab.size(), 1u) << Describe(lab);
  EXPECT_EQ(lab[0].match, "A1C of 9.2");
  EXPECT_EQ(lab[0].category, kLabResult);
}

TEST_F(ScannerTest, SurnamesAfterTitles) {
  EXPECT_TRUE(Scan("Dr. Gallstone will call you").empty());
  EXPECT_TRUE(Scan("Dr. Anna M. Gallstone will call you").empty());
  EXPECT_TRUE(Scan("Mrs Gallstone's office").empty());
  EXPECT_TRUE(HasBlocking(Scan("your gallstone")));
  EXPECT_TRUE(HasBlocking(Scan("Dr. Smith: Gallstone follow-up")));
  EXPECT_TRUE(HasBlocking(Scan("Dr. GALLSTONE")));          // capitals are not a surname
  EXPECT_TRUE(HasBlocking(Scan("Dr. Smith, Psychiatry")));  // services never hide as surnames
  EXPECT_TRUE(HasBlocking(Scan("Dr. Psychiatry")));
}

TEST_F(ScannerTest, AcronymOnlyTerms) {
  EXPECT_TRUE(HasBlocking(Scan("PrEP refill reminder")));
  EXPECT_TRUE(HasBlocking(Scan("P.r.E.P. clinic")));
  EXPECT_TRUE(Scan("Meal prep tips for busy weeks").empty());
  EXPECT_TRUE(Scan("Prep time is about ten minutes").empty());
  EXPECT_TRUE(HasBlocking(Scan("AIDS")));
  EXPECT_TRUE(Scan("Hearing aids are on sale").empty());
}

TEST_F(ScannerTest, CodesNeedTheirShape) {
  for (const char* text : {"Portland, OR 97209", "Call 555-867-5309", "See you at 10:30", "Room 99213", "Ticket 12345",
                           "version 10.2.3", "app v10.2.3 released"}) {
    const std::vector<Finding> findings = Scan(text);
    EXPECT_TRUE(findings.empty()) << text << ": " << Describe(findings);
  }
  EXPECT_TRUE(HasCategory(Scan("E11.9"), kCode));
  EXPECT_TRUE(HasCategory(Scan("Z00.00 annual"), kCode));
}

TEST_F(ScannerTest, LabValuesIgnoreTimesAndNumbers) {
  for (const char* text : {"Your blood pressure check is at 3:30 PM", "BP at 9 am", "Pulse Fitness, 1200 Main St",
                           "Ask about our weight room hours"}) {
    const std::vector<Finding> findings = Scan(text);
    EXPECT_FALSE(HasCategory(findings, kLabResult)) << text << ": " << Describe(findings);
  }
}

TEST_F(ScannerTest, AllowListedPhrases) {
  EXPECT_TRUE(Scan("What a stroke of luck!").empty());
  EXPECT_TRUE(HasBlocking(Scan("Stroke recovery group")));
}

TEST_F(ScannerTest, EmptyAndOddInput) {
  EXPECT_TRUE(Scan("").empty());
  EXPECT_TRUE(Scan(" ").empty());
  EXPECT_TRUE(Scan(std::string(1000, '.')).empty());
  // Invalid UTF-8 does not stop the scan.
  const std::string invalid = "\xFF\xFE garbage \xC3 then hiv";
  const std::vector<Finding> findings = Scan(invalid);
  ASSERT_EQ(findings.size(), 1u) << Describe(findings);
  EXPECT_EQ(findings[0].match, "hiv");
  const std::string with_nul("hiv\0metformin", 13);
  EXPECT_EQ(Scan(with_nul).size(), 2u);
}

TEST_F(ScannerTest, LargeInputAcrossChunks) {
  // About 1.2 MB of filler with a medication every ~50 KB, including right at
  // the 256 KiB chunk boundaries the scanner uses internally.
  const std::string filler = "Please call our office to confirm your visit. ";
  std::string text;
  std::vector<size_t> planted;
  while (text.size() < 1200 * 1024) {
    text += filler;
    const size_t mod = text.size() % (50 * 1024);
    if (mod < filler.size() || (text.size() % (256 * 1024)) + 20 > 256 * 1024 ||
        text.size() % (256 * 1024) < filler.size()) {
      planted.push_back(text.size());
      text += "metformin ";
    }
  }
  const std::vector<Finding> findings = Scan(text);
  ASSERT_EQ(findings.size(), planted.size()) << Describe(findings).substr(0, 500);
  for (size_t i = 0; i < planted.size(); ++i) {
    EXPECT_EQ(findings[i].start, planted[i]);
    EXPECT_EQ(findings[i].match, "metformin");
  }
}

TEST_F(ScannerTest, ConcurrentScansAgree) {
  const std::string text = "Your HIV test and A1C of 9.2 are ready; refill metformin. Dr. Burns.";
  const std::string expected = Describe(Scan(text));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Describe(scanner_->Scan(text)) != expected) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST_F(ScannerTest, VocabularyIsLoaded) { EXPECT_GT(scanner_->vocabulary_size(), 1000u); }

TEST(SeverityTest, Names) {
  EXPECT_EQ(SeverityName(Severity::kBlock), "block");
  EXPECT_EQ(SeverityName(Severity::kWarn), "warn");
  EXPECT_FALSE(HasBlocking({}));
}

// ---------------------------------------------------------------------------
// Create() failures.

class ScannerDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("recall_scanner_test_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::copy(DefaultDataDir(), dir_, std::filesystem::copy_options::recursive);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const std::string& file, const std::string& text) {
    std::ofstream out(dir_ / file, std::ios::app);
    out << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ScannerDataTest, MissingFolderIsNotFound) {
  ScannerOptions options;
  options.data_dir = (dir_ / "nope").string();
  auto created = Scanner::Create(options);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kNotFound);
}

TEST_F(ScannerDataTest, MissingFileIsNotFound) {
  std::filesystem::remove(dir_ / "medications.txt");
  ScannerOptions options;
  options.data_dir = dir_.string();
  auto created = Scanner::Create(options);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kNotFound);
}

TEST_F(ScannerDataTest, MalformedFileIsInvalidArgumentWithLine) {
  Append("diagnoses.txt", "\n[sometimes]\nsecretterm\n");
  ScannerOptions options;
  options.data_dir = dir_.string();
  auto created = Scanner::Create(options);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(created.status().message(), HasSubstr("diagnoses.txt:"));
  EXPECT_THAT(created.status().message(), Not(HasSubstr("sometimes")));
}

TEST_F(ScannerDataTest, InvalidUtf8IsInvalidArgument) {
  Append("medications.txt",
         "\nbad\xFF"
         "term\n");
  ScannerOptions options;
  options.data_dir = dir_.string();
  auto created = Scanner::Create(options);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ScannerDataTest, AddedTermIsFound) {
  Append("medications.txt", "\n[block]\nzorblaxin\n");
  ScannerOptions options;
  options.data_dir = dir_.string();
  options.system_medical_dictionary = SystemDictionary::kOff;
  auto created = Scanner::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(HasCategory((*created)->Scan("your Zorblaxin refill"), kMedication));
}

TEST_F(ScannerDataTest, MissingSystemDictionary) {
  ScannerOptions options;
  options.data_dir = dir_.string();
  options.system_medical_dictionary_path = (dir_ / "no_such.dic").string();
  options.system_medical_dictionary = SystemDictionary::kRequired;
  auto required = Scanner::Create(options);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.status().code(), StatusCode::kFailedPrecondition);

  options.system_medical_dictionary = SystemDictionary::kIfInstalled;
  auto optional = Scanner::Create(options);
  ASSERT_TRUE(optional.ok()) << optional.status().ToString();
  EXPECT_FALSE((*optional)->uses_system_medical_dictionary());
  EXPECT_TRUE(HasBlocking((*optional)->Scan("metformin")));
}

TEST_F(ScannerDataTest, CuratedOnly) {
  ScannerOptions options;
  options.data_dir = dir_.string();
  options.system_medical_dictionary = SystemDictionary::kOff;
  auto created = Scanner::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE((*created)->uses_system_medical_dictionary());
  EXPECT_TRUE((*created)->Scan("Follow-up on your nephrolithiasis").empty());
}

TEST(DefaultDataDirTest, EnvironmentOverrides) {
  const char* old = std::getenv("RECALL_DATA_FILES");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("RECALL_DATA_FILES", "/opt/recall-data", 1);
  EXPECT_EQ(DefaultDataDir(), "/opt/recall-data/scanner");
  if (old != nullptr) {
    ::setenv("RECALL_DATA_FILES", saved.c_str(), 1);
  } else {
    ::unsetenv("RECALL_DATA_FILES");
  }
  if (old == nullptr) {
    EXPECT_TRUE(std::filesystem::is_directory(DefaultDataDir()));
  }
}

// ---------------------------------------------------------------------------
// The optional hunspell layer, when the packages are installed.

TEST(SystemDictionaryTest, AddsWarnOnlyMedicalTerms) {
  ScannerOptions options;
  options.system_medical_dictionary = SystemDictionary::kRequired;
  if (!std::filesystem::exists(options.system_medical_dictionary_path) ||
      !std::filesystem::exists(options.system_english_dictionary_path)) {
    GTEST_SKIP() << "hunspell-en-med or hunspell-en-us not installed";
  }
  auto created = Scanner::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const Scanner& scanner = **created;
  const std::vector<Finding> findings = scanner.Scan("Follow-up on your nephrolithiasis");
  ASSERT_EQ(findings.size(), 1u) << Describe(findings);
  EXPECT_EQ(findings[0].category, kMedicalTerm);
  EXPECT_EQ(findings[0].severity, Severity::kWarn);
  EXPECT_TRUE(scanner.uses_system_medical_dictionary());
  // Capitalised, a dictionary word reads as a name and is not reported.
  EXPECT_TRUE(scanner.Scan("Nephrolithiasis").empty());
  EXPECT_FALSE(scanner.Scan("NEPHROLITHIASIS").empty());
  // Curated words keep their own category and severity.
  EXPECT_TRUE(HasCategory(scanner.Scan("metformin"), kMedication));
  for (const char* text : kAdminCorpus) {
    const std::vector<Finding> admin = scanner.Scan(text);
    EXPECT_TRUE(admin.empty()) << text << ": " << Describe(admin);
  }
}

}  // namespace
}  // namespace recall::scanner
