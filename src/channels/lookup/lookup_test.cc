// The lookup client is tested against a local stand-in
// (testing/lookup_standin.h) that implements the documented contract of a
// Twilio-Lookup-v2-compatible API: the real cloud API cannot be reached from
// here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "channels/lookup/line_type_lookup.h"
#include "channels/lookup/line_types.h"
#include "channels/lookup/testing/lookup_standin.h"
#include "engine/engine_testing.h"
#include "patients/patients.h"
#include "practices/practices.h"
#include "vendors/vendors.h"

namespace recall::channels {
namespace {

using testing::LookupStandIn;

constexpr char kSid[] = "AC0123456789abcdef";
constexpr char kToken[] = "lookup-token-secret";

std::unique_ptr<LineTypeLookup> NewLookup(const std::string& base, const std::string& token = kToken) {
  TwilioLookupConfig c;
  c.api_base = base;
  c.account_sid = kSid;
  c.auth_token = token;
  auto lookup = NewTwilioLookup(c);
  EXPECT_TRUE(lookup.ok()) << lookup.status().ToString();
  return lookup.ok() ? std::move(lookup).value() : nullptr;
}

void ExpectNoNumber(const Status& s) {
  EXPECT_EQ(s.message().find("5550"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(kToken), std::string::npos) << s.ToString();
}

TEST(LineTypeLookupTest, MapsProviderTypes) {
  EXPECT_EQ(MapLineTypeIntelligence("mobile"), "mobile");
  EXPECT_EQ(MapLineTypeIntelligence("landline"), "landline");
  for (std::string_view t : {"fixedVoip", "nonFixedVoip", "tollFree", "voicemail", "pager", "premium", "sharedCost",
                             "uan", "personal", "unknown", "", "Mobile", "satellite"}) {
    EXPECT_EQ(MapLineTypeIntelligence(t), "unknown") << t;
  }
}

TEST(LineTypeLookupTest, AsksTheStandIn) {
  LookupStandIn standin(kSid, kToken);
  ASSERT_TRUE(standin.ok());
  standin.SetType("+12175550101", "mobile");
  standin.SetType("+12175550102", "landline");
  standin.SetType("+12175550103", "nonFixedVoip");
  standin.SetType("+12175550104", "null");
  auto lookup = NewLookup(standin.BaseUrl());
  ASSERT_NE(lookup, nullptr);
  EXPECT_EQ(lookup->name(), "twilio_lookup");
  EXPECT_EQ(*lookup->Lookup("+12175550101"), "mobile");
  EXPECT_EQ(*lookup->Lookup("+12175550102"), "landline");
  EXPECT_EQ(*lookup->Lookup("+12175550103"), "unknown");
  EXPECT_EQ(*lookup->Lookup("+12175550104"), "unknown");

  const auto requests = standin.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, "/v2/PhoneNumbers/%2B12175550101");
  EXPECT_EQ(requests[0].query, "Fields=line_type_intelligence");

  auto missing = lookup->Lookup("+12175550199");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "line type lookup: number not found");

  auto bad = lookup->Lookup("217-555-0101");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  ExpectNoNumber(bad.status());
  EXPECT_EQ(standin.Requests().size(), 5u);  // the malformed number was not sent
}

TEST(LineTypeLookupTest, MapsFailures) {
  LookupStandIn standin(kSid, kToken);
  standin.SetType("+12175550101", "mobile");
  auto wrong = NewLookup(standin.BaseUrl(), "wrong-token");
  Status denied = wrong->Lookup("+12175550101").status();
  EXPECT_EQ(denied.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(denied.message().find("configuration"), std::string::npos);
  ExpectNoNumber(denied);

  auto lookup = NewLookup(standin.BaseUrl());
  for (int code : {408, 429, 500, 503}) {
    standin.FailNextWith(code, "{}");
    EXPECT_EQ(lookup->Lookup("+12175550101").status().code(), StatusCode::kUnavailable) << code;
  }
  standin.FailNextWith(200, "<html>");
  Status malformed = lookup->Lookup("+12175550101").status();
  EXPECT_EQ(malformed.code(), StatusCode::kUnavailable);
  ExpectNoNumber(malformed);
  standin.FailNextWith(200, R"({"line_type_intelligence": {"type": 7}})");
  EXPECT_EQ(lookup->Lookup("+12175550101").status().code(), StatusCode::kUnavailable);
  standin.FailNextWith(200, R"({"phone_number": "+12175550101", "line_type_intelligence": null})");
  EXPECT_EQ(*lookup->Lookup("+12175550101"), "unknown");
  standin.FailNextWith(400, R"({"code": 20001})");
  EXPECT_EQ(lookup->Lookup("+12175550101").status().code(), StatusCode::kInvalidArgument);
  standin.FailNextWith(409, "{}");
  EXPECT_EQ(lookup->Lookup("+12175550101").status().code(), StatusCode::kFailedPrecondition);
}

TEST(LineTypeLookupTest, FactoryRefusesBadConfiguration) {
  TwilioLookupConfig c;
  c.account_sid = kSid;
  c.auth_token = kToken;
  EXPECT_TRUE(NewTwilioLookup(c).ok());  // the default https base
  TwilioLookupConfig plain = c;
  plain.api_base = "http://lookups.example";
  EXPECT_EQ(NewTwilioLookup(plain).status().code(), StatusCode::kInvalidArgument);
  TwilioLookupConfig bad_sid = c;
  bad_sid.account_sid = "AC/../x";
  EXPECT_EQ(NewTwilioLookup(bad_sid).status().code(), StatusCode::kInvalidArgument);
  TwilioLookupConfig no_token = c;
  no_token.auth_token = "";
  EXPECT_EQ(NewTwilioLookup(no_token).status().code(), StatusCode::kInvalidArgument);
}

class RefreshLineTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    ASSERT_TRUE(standin_.ok());
    auto p = practices::CreatePractice(*engine_, {"Maple Family Dental", "1 Main St, Springfield, IL 62701",
                                                  "(217) 555-0100", "Maple Family Dental <office@maple.example>",
                                                  "America/Chicago", "IL"});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    practice_ = p->practice_id;
    doc_ = (engine_.dir() / "baa.pdf").string();
    std::ofstream(doc_) << "signed BAA document (synthetic)";
    ASSERT_TRUE(practices::RecordBaa(*engine_, {practice_, "Dana Whitlock", "2025-11-01", doc_, 72}).ok());
    std::istringstream csv(
        "Patient ID,First Name,Last Name,Phone,Cell Phone,Email\n"
        "SYN-1,Quintessa,Marlowe,(217) 555-0101,,\n"
        "SYN-2,Bartholomew,Oakhurst,(217) 555-0102,,\n"
        "SYN-3,Ingrid,Vasquez,(217) 555-0103,,\n"
        "SYN-4,Tobias,Wren,(217) 555-0104,,\n"
        "SYN-5,Mireille,Okafor,,(217) 555-0105,\n"
        "SYN-6,Desmond,Achterberg,,,desmond@example.com\n");
    auto report = patients::ImportCsv(*engine_, practice_, csv, {});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->imported, 6);
    standin_.SetType("+12175550101", "mobile");
    standin_.SetType("+12175550102", "landline");
    standin_.SetType("+12175550103", "fixedVoip");
    // +12175550104 is unknown to the provider (404).
    lookup_ = NewLookup(standin_.BaseUrl());
  }

  void AddLookupVendor(bool with_baa) {
    vendors::NewVendor v{practice_, "Synthetic Carrier Data", "lookup", "subprocessor", "", ""};
    if (with_baa) {
      v.baa_signed_on = "2025-10-01";
      v.baa_document_path = doc_;
    }
    auto row = vendors::AddVendor(*engine_, v);
    ASSERT_TRUE(row.ok()) << row.status().ToString();
  }

  std::map<std::string, std::string> LineTypes() {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(engine_->store()
                    .patients()
                    .Scan(practice_,
                          [&](const store::PatientRow& row) {
                            out[row.patient_id] = row.phone_line_type;
                            return true;
                          })
                    .ok());
    return out;
  }

  engine::TestEngine engine_;
  LookupStandIn standin_{kSid, kToken};
  std::unique_ptr<LineTypeLookup> lookup_;
  std::string practice_, doc_;
};

TEST_F(RefreshLineTypesTest, RefusedWithoutALookupVendorBaa) {
  Status s = RefreshLineTypes(*engine_, *lookup_, practice_, 100).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("lookup"), std::string::npos);
  AddLookupVendor(false);
  EXPECT_EQ(RefreshLineTypes(*engine_, *lookup_, practice_, 100).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(standin_.Asked().empty());
}

TEST_F(RefreshLineTypesTest, LooksUpUnknownPhonesAndRecordsTheResult) {
  AddLookupVendor(true);
  const int64_t audits_before = engine_.CountAudit("patient.line_type");
  auto report = RefreshLineTypes(*engine_, *lookup_, practice_, 100);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->looked_up, 4);  // the cell-phone column and the email-only patient are not looked up
  EXPECT_EQ(report->mobile, 1);
  EXPECT_EQ(report->landline, 1);
  EXPECT_EQ(report->unknown, 2);
  EXPECT_EQ(standin_.Asked(),
            (std::vector<std::string>{"+12175550101", "+12175550102", "+12175550103", "+12175550104"}));
  // Three recorded (mobile, landline, fixedVoip -> unknown); the 404 is not.
  EXPECT_EQ(engine_.CountAudit("patient.line_type") - audits_before, 3);
  std::multiset<std::string> types;
  for (const auto& [id, type] : LineTypes()) types.insert(type);
  EXPECT_EQ(types, (std::multiset<std::string>{"mobile", "mobile", "landline", "unknown", "unknown", "unknown"}));

  // The audit details carry the source and type, never the number.
  bool seen = false;
  ASSERT_TRUE(engine_->store()
                  .audit()
                  .Scan(1,
                        [&](const audit::AuditRecord& r) {
                          if (r.action != "patient.line_type") return true;
                          seen = true;
                          EXPECT_EQ(r.subject.rfind("sub_", 0), 0u);
                          const std::string& details = r.details_json;
                          EXPECT_NE(details.find("carrier_lookup"), std::string::npos) << details;
                          EXPECT_EQ(details.find("5550"), std::string::npos) << details;
                          return true;
                        })
                  .ok());
  EXPECT_TRUE(seen);

  // A second refresh asks only for the numbers still unknown.
  auto again = RefreshLineTypes(*engine_, *lookup_, practice_, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->looked_up, 2);
}

TEST_F(RefreshLineTypesTest, HonoursTheLimitAndStopsOnTransientFailure) {
  AddLookupVendor(true);
  auto one = RefreshLineTypes(*engine_, *lookup_, practice_, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->looked_up, 1);
  EXPECT_EQ(RefreshLineTypes(*engine_, *lookup_, practice_, 0).status().code(), StatusCode::kInvalidArgument);

  standin_.FailNextWith(503, "{}");
  Status s = RefreshLineTypes(*engine_, *lookup_, practice_, 100).status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  ExpectNoNumber(s);
}

}  // namespace
}  // namespace recall::channels
