#include "vendors/vendors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/engine_testing.h"
#include "practices/practices.h"

namespace recall::vendors {
namespace {

namespace fs = std::filesystem;

class VendorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.status().ok()) << engine_.status().ToString();
    practice_a_ = NewPractice("Maple Family Dental");
    practice_b_ = NewPractice("Oak Street Dental");
    doc_ = (engine_.dir() / "vendor-baa.pdf").string();
    std::ofstream(doc_) << "signed vendor BAA document (synthetic)";
  }

  std::string NewPractice(const std::string& name) {
    auto p = practices::CreatePractice(*engine_, {name, "1 Main St, Springfield, IL 62701", "(217) 555-0100",
                                                  "Office <office@maple.example>", "America/Chicago", "IL"});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? p->practice_id : "";
  }

  StatusOr<store::VendorRow> Add(const std::string& practice, const std::string& channel, bool with_baa) {
    NewVendor v{practice, "Example SMS Gateway", channel, "", "", ""};
    if (with_baa) {
      v.baa_signed_on = "2025-10-01";
      v.baa_document_path = doc_;
    }
    return AddVendor(*engine_, v);
  }

  engine::TestEngine engine_;
  std::string practice_a_, practice_b_, doc_;
};

TEST_F(VendorsTest, RefusedWithoutAnyVendor) {
  Status s = RequireVendorBaa(*engine_, practice_a_, "sms");
  EXPECT_TRUE(IsFailedPrecondition(s)) << s.ToString();
  EXPECT_NE(s.message().find("sms"), std::string::npos);
  EXPECT_NE(s.message().find("BAA"), std::string::npos);
}

TEST_F(VendorsTest, RefusedForVendorWithoutBaaThenAcceptedAfterBaa) {
  auto v = Add(practice_a_, "sms", false);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->vendor_id.rfind("vnd_", 0), 0u);
  EXPECT_EQ(v->kind, "channel_provider");
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_a_, "sms")));

  auto rec = RecordVendorBaa(*engine_, {practice_a_, v->vendor_id, "2025-11-02", doc_});
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->baa_signed_on, "2025-11-02");
  EXPECT_EQ(rec->baa_document_sha256.size(), 64u);
  EXPECT_TRUE(RequireVendorBaa(*engine_, practice_a_, "sms").ok());
  // A BAA for the SMS vendor does not cover email.
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_a_, "email")));

  auto stored = engine_->store().vendors().Get(practice_a_, v->vendor_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->baa_signed_on, "2025-11-02");
  EXPECT_EQ(stored->baa_document_sha256, rec->baa_document_sha256);
  EXPECT_EQ(engine_.CountAudit("vendor.add"), 1);
  EXPECT_EQ(engine_.CountAudit("vendor.baa_record"), 1);
}

TEST_F(VendorsTest, BaaAtAddAndRefusedAfterDeactivate) {
  auto v = Add(practice_a_, "email", true);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(RequireVendorBaa(*engine_, practice_a_, "email").ok());
  ASSERT_TRUE(DeactivateVendor(*engine_, practice_a_, v->vendor_id).ok());
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_a_, "email")));
  EXPECT_TRUE(IsFailedPrecondition(DeactivateVendor(*engine_, practice_a_, v->vendor_id)));
  auto list = ListVendors(*engine_, practice_a_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].active);
  EXPECT_EQ((*list)[0].baa_signed_on, "2025-10-01");
  EXPECT_EQ(engine_.CountAudit("vendor.deactivate"), 1);
}

TEST_F(VendorsTest, TenantIsolation) {
  auto v = Add(practice_a_, "sms", true);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(RequireVendorBaa(*engine_, practice_a_, "sms").ok());
  // B neither sees nor can use or change A's vendor.
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_b_, "sms")));
  auto list_b = ListVendors(*engine_, practice_b_);
  ASSERT_TRUE(list_b.ok());
  EXPECT_TRUE(list_b->empty());
  EXPECT_TRUE(IsNotFound(engine_->store().vendors().Get(practice_b_, v->vendor_id).status()));
  EXPECT_TRUE(IsNotFound(RecordVendorBaa(*engine_, {practice_b_, v->vendor_id, "2025-11-02", doc_}).status()));
  EXPECT_TRUE(IsNotFound(DeactivateVendor(*engine_, practice_b_, v->vendor_id)));
  EXPECT_TRUE(RequireVendorBaa(*engine_, practice_a_, "sms").ok());
  EXPECT_EQ(engine_.CountAudit("vendor.baa_record"), 0);
  EXPECT_EQ(engine_.CountAudit("vendor.deactivate"), 0);
}

TEST_F(VendorsTest, Validation) {
  EXPECT_TRUE(IsNotFound(Add("prc_nope", "sms", false).status()));
  EXPECT_TRUE(IsInvalidArgument(Add(practice_a_, "fax", false).status()));
  EXPECT_TRUE(IsInvalidArgument(AddVendor(*engine_, {practice_a_, "  ", "sms", "", "", ""}).status()));
  EXPECT_TRUE(IsInvalidArgument(AddVendor(*engine_, {practice_a_, "X", "sms", "reseller", "", ""}).status()));
  EXPECT_TRUE(IsInvalidArgument(AddVendor(*engine_, {practice_a_, "X", "sms", "", "2025-10-01", ""}).status()));
  EXPECT_TRUE(IsInvalidArgument(AddVendor(*engine_, {practice_a_, "X", "sms", "", "10/01/2025", doc_}).status()));
  EXPECT_TRUE(
      IsInvalidArgument(AddVendor(*engine_, {practice_a_, "X", "sms", "", "2025-10-01", doc_ + ".missing"}).status()));
  EXPECT_TRUE(IsInvalidArgument(RequireVendorBaa(*engine_, practice_a_, "fax")));
  auto hosting = AddVendor(*engine_, {practice_a_, "Example Cloud", "hosting", "", "", ""});
  ASSERT_TRUE(hosting.ok());
  EXPECT_EQ(hosting->kind, "subprocessor");
  EXPECT_EQ(engine_.CountAudit("vendor.add"), 1);
  auto list = ListVendors(*engine_, practice_a_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_TRUE(IsNotFound(ListVendors(*engine_, "prc_nope").status()));
}

}  // namespace
}  // namespace recall::vendors

namespace recall::vendors {
namespace {

// The carrier line-type lookup receives phone numbers: it is a vendor channel
// with its own BAA gate (migration 7 widened the table's CHECK constraint).
TEST_F(VendorsTest, LookupIsAVendorChannel) {
  EXPECT_TRUE(IsVendorChannel("lookup"));
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_a_, "lookup")));
  auto v = Add(practice_a_, "lookup", true);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(RequireVendorBaa(*engine_, practice_a_, "lookup").ok());
  EXPECT_TRUE(IsFailedPrecondition(RequireVendorBaa(*engine_, practice_b_, "lookup")));
}

}  // namespace
}  // namespace recall::vendors
