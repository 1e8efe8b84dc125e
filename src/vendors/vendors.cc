#include "vendors/vendors.h"

#include <array>
#include <fstream>
#include <iterator>

#include "common/text.h"
#include "contact/contact.h"
#include "crypto/crypto.h"

namespace recall::vendors {
namespace {

// "lookup": the carrier line-type lookup, which receives phone numbers.
constexpr std::array<std::string_view, 7> kChannels = {"email", "sms", "voice", "rvm", "lookup", "portal", "hosting"};

Status ValidateDate(const std::string& text, const char* flag) {
  auto on = contact::ParseUsDate(text);
  if (!on.ok() || *on != text) return InvalidArgumentError(std::string(flag) + " must be a date as YYYY-MM-DD");
  return OkStatus();
}

// The hex SHA-256 of the document at `path` (its content is not kept).
StatusOr<std::string> DocumentSha256(const std::string& path) {
  std::ifstream doc(path, std::ios::binary);
  if (!doc) return InvalidArgumentError("cannot read the vendor BAA document file");
  std::string content((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  if (content.empty()) return InvalidArgumentError("the vendor BAA document file is empty");
  return HexEncode(crypto::Sha256(content));
}

}  // namespace

bool IsVendorChannel(const std::string& channel) {
  for (std::string_view c : kChannels) {
    if (c == channel) return true;
  }
  return false;
}

StatusOr<store::VendorRow> AddVendor(engine::Engine& engine, const NewVendor& in) {
  ASSIGN_OR_RETURN(auto practice, engine.store().practices().Get(in.practice_id));
  store::VendorRow v;
  v.practice_id = practice.practice_id;
  v.name = std::string(TrimAscii(in.name));
  if (v.name.empty() || v.name.size() > 200 || !IsValidUtf8(v.name)) {
    return InvalidArgumentError("vendor name is empty, too long or not UTF-8");
  }
  if (!IsVendorChannel(in.channel)) {
    return InvalidArgumentError("vendor channel must be one of email, sms, voice, rvm, lookup, portal, hosting");
  }
  v.channel = in.channel;
  v.kind = in.kind.empty() ? (in.channel == "hosting" ? "subprocessor" : "channel_provider") : in.kind;
  if (v.kind != "channel_provider" && v.kind != "subprocessor") {
    return InvalidArgumentError("vendor kind must be channel_provider or subprocessor");
  }
  if (in.baa_signed_on.empty() != in.baa_document_path.empty()) {
    return InvalidArgumentError("a vendor BAA needs both --baa-signed-on and --baa-document");
  }
  if (!in.baa_signed_on.empty()) {
    RETURN_IF_ERROR(ValidateDate(in.baa_signed_on, "--baa-signed-on"));
    v.baa_signed_on = in.baa_signed_on;
    ASSIGN_OR_RETURN(v.baa_document_sha256, DocumentSha256(in.baa_document_path));
  }
  v.active = true;
  ASSIGN_OR_RETURN(v.vendor_id, engine.random().NewId("vnd"));
  v.created_at = FormatRfc3339Millis(engine.clock().Now());
  audit::Details details = {{"channel", v.channel}, {"kind", v.kind}, {"baa_recorded", !v.baa_signed_on.empty()}};
  if (!v.baa_signed_on.empty()) {
    details["baa_signed_on"] = v.baa_signed_on;
    details["document_sha256"] = v.baa_document_sha256;
  }
  RETURN_IF_ERROR(engine.store().vendors().Add(v, engine.Event("vendor.add", v.practice_id, v.vendor_id, details)));
  return v;
}

StatusOr<store::VendorRow> RecordVendorBaa(engine::Engine& engine, const NewVendorBaa& in) {
  ASSIGN_OR_RETURN(auto v, engine.store().vendors().Get(in.practice_id, in.vendor_id));
  RETURN_IF_ERROR(ValidateDate(in.signed_on, "--signed-on"));
  ASSIGN_OR_RETURN(std::string sha, DocumentSha256(in.document_path));
  auto event = engine.Event("vendor.baa_record", v.practice_id, v.vendor_id,
                            {{"channel", v.channel}, {"signed_on", in.signed_on}, {"document_sha256", sha}});
  RETURN_IF_ERROR(engine.store().vendors().RecordBaa(v.practice_id, v.vendor_id, in.signed_on, sha, event));
  v.baa_signed_on = in.signed_on;
  v.baa_document_sha256 = sha;
  return v;
}

StatusOr<std::vector<store::VendorRow>> ListVendors(engine::Engine& engine, const std::string& practice_id) {
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  return engine.store().vendors().List(practice_id);
}

Status DeactivateVendor(engine::Engine& engine, const std::string& practice_id, const std::string& vendor_id) {
  ASSIGN_OR_RETURN(auto v, engine.store().vendors().Get(practice_id, vendor_id));
  return engine.store().vendors().Deactivate(practice_id, vendor_id,
                                             engine.Event("vendor.deactivate", practice_id, vendor_id,
                                                          {{"channel", v.channel}}));
}

Status RequireVendorBaa(engine::Engine& engine, const std::string& practice_id, const std::string& channel) {
  if (!IsVendorChannel(channel)) return InvalidArgumentError("unknown vendor channel " + channel);
  ASSIGN_OR_RETURN(auto rows, engine.store().vendors().List(practice_id));
  for (const auto& v : rows) {
    if (v.active && v.channel == channel && !v.baa_signed_on.empty()) return OkStatus();
  }
  return FailedPreconditionError("no active " + channel + " vendor with a Business Associate Agreement (BAA) is on " +
                                 "file for practice " + practice_id +
                                 "; register one with `recall vendor add` and `recall vendor baa record`");
}

}  // namespace recall::vendors
