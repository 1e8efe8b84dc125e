#include "practices/practices.h"

#include <fstream>

#include "common/text.h"
#include "contact/contact.h"
#include "crypto/crypto.h"
#include "store/lifecycle_store.h"

namespace recall::practices {

StatusOr<store::PracticeRow> CreatePractice(engine::Engine& engine, const NewPractice& in) {
  store::PracticeRow p;
  p.name = std::string(TrimAscii(in.name));
  p.address = std::string(TrimAscii(in.address));
  if (p.name.empty() || p.name.size() > 200 || !IsValidUtf8(p.name)) return InvalidArgumentError("practice name is empty, too long or not UTF-8");
  if (p.address.empty() || p.address.size() > 500 || !IsValidUtf8(p.address)) {
    return InvalidArgumentError("practice postal address is required (CAN-SPAM)");
  }
  auto phone = contact::ParsePhone(in.phone);
  if (!phone.ok()) return InvalidArgumentError("practice phone is not a valid number");
  p.phone = phone->e164;
  // "Name <addr@domain>" or a bare address; the address part must be valid.
  std::string_view from = TrimAscii(in.email_from);
  std::string_view addr = from;
  if (size_t lt = from.rfind('<'); lt != std::string_view::npos && from.back() == '>') {
    addr = from.substr(lt + 1, from.size() - lt - 2);
  }
  auto email = contact::NormalizeEmail(addr);
  if (!email.ok()) return InvalidArgumentError("practice sender email is not valid");
  p.email_from = std::string(from);
  RETURN_IF_ERROR(contact::ValidateTimeZone(in.timezone));
  p.timezone = in.timezone;
  ASSIGN_OR_RETURN(p.state, contact::NormalizeUsState(in.state));
  ASSIGN_OR_RETURN(p.practice_id, engine.random().NewId("prc"));
  p.created_at = FormatRfc3339Millis(engine.clock().Now());
  ASSIGN_OR_RETURN(auto key, engine.NewDataKey(p.practice_id));  // the root key
  auto event = engine.Event("practice.create", p.practice_id, "", {{"state", p.state}, {"timezone", p.timezone}});
  // PHI fields are sealed under a separate random field key, so that a purge
  // can rotate and destroy it while the root key lives on (docs/key-wrapping.md).
  ASSIGN_OR_RETURN(auto field_key, engine.NewDataKey(p.practice_id));
  RETURN_IF_ERROR(engine.store().practices().Create(p, key, event, field_key));
  return p;
}

StatusOr<std::vector<store::PracticeRow>> ListPractices(engine::Engine& engine) {
  return engine.store().practices().List();
}

StatusOr<store::BaaRow> RecordBaa(engine::Engine& engine, const NewBaa& in) {
  ASSIGN_OR_RETURN(auto practice, engine.store().practices().Get(in.practice_id));
  store::BaaRow b;
  b.practice_id = practice.practice_id;
  b.signed_by = std::string(TrimAscii(in.signed_by));
  if (b.signed_by.empty() || !IsValidUtf8(b.signed_by)) return InvalidArgumentError("--signed-by is required");
  auto on = contact::ParseUsDate(in.signed_on);
  if (!on.ok() || *on != in.signed_on) return InvalidArgumentError("--signed-on must be a date as YYYY-MM-DD");
  b.signed_on = *on;
  if (in.breach_notice_hours < 1 || in.breach_notice_hours > 1440) {
    return InvalidArgumentError("breach notice hours must be between 1 and 1440");
  }
  b.breach_notice_hours = in.breach_notice_hours;
  std::ifstream doc(in.document_path, std::ios::binary);
  if (!doc) return InvalidArgumentError("cannot read the BAA document file");
  std::string content((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  if (content.empty()) return InvalidArgumentError("the BAA document file is empty");
  b.document_sha256 = HexEncode(crypto::Sha256(content));
  ASSIGN_OR_RETURN(b.baa_id, engine.random().NewId("baa"));
  b.recorded_at = FormatRfc3339Millis(engine.clock().Now());
  auto event = engine.Event("baa.record", b.practice_id, b.baa_id,
                            {{"signed_on", b.signed_on},
                             {"document_sha256", b.document_sha256},
                             {"breach_notice_hours", int64_t{b.breach_notice_hours}}});
  RETURN_IF_ERROR(engine.store().practices().RecordBaa(b, event));
  return b;
}

Status RequireBaa(engine::Engine& engine, const std::string& practice_id) {
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ASSIGN_OR_RETURN(auto offboarded, engine.store().lifecycle().OffboardedAt(practice_id));
  if (offboarded.has_value()) {
    return FailedPreconditionError("practice " + practice_id + " is offboarded: its data was purged");
  }
  ASSIGN_OR_RETURN(auto baa, engine.store().practices().LatestBaa(practice_id));
  if (!baa.has_value()) {
    return FailedPreconditionError("no Business Associate Agreement (BAA) is recorded for practice " + practice_id +
                                   "; record it first with `recall baa record`");
  }
  return OkStatus();
}

}  // namespace recall::practices
