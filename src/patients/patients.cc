#include "patients/patients.h"

#include "common/redact.h"
#include "common/text.h"
#include "incidents/incidents.h"

namespace recall::patients {

namespace {

StatusOr<std::string> Open(const crypto::PracticeKeys& keys, const store::PatientRow& r, std::string_view sealed,
                           const char* field) {
  if (sealed.empty()) return std::string();
  return keys.DecryptField(sealed, std::string("patient.") + field + "|" + r.practice_id + "|" + r.external_index);
}

StatusOr<PatientView> View(const crypto::PracticeKeys& keys, const store::PatientRow& r, bool reveal) {
  PatientView v;
  v.patient_id = r.patient_id;
  v.subject = r.subject;
  ASSIGN_OR_RETURN(std::string first, Open(keys, r, r.first_name_enc, "first_name"));
  ASSIGN_OR_RETURN(std::string last, Open(keys, r, r.last_name_enc, "last_name"));
  ASSIGN_OR_RETURN(std::string email, Open(keys, r, r.email_enc, "email"));
  ASSIGN_OR_RETURN(std::string phone, Open(keys, r, r.phone_enc, "phone"));
  if (reveal) {
    v.first_name = std::move(first);
    v.last_name = std::move(last);
    v.email = std::move(email);
    v.phone = std::move(phone);
    ASSIGN_OR_RETURN(v.external_id, Open(keys, r, r.external_id_enc, "external_id"));
    ASSIGN_OR_RETURN(v.postal_code, Open(keys, r, r.postal_code_enc, "postal_code"));
  } else {
    v.first_name = MaskName(first);
    v.last_name = MaskName(last);
    v.email = email.empty() ? "" : MaskEmail(email);
    v.phone = phone.empty() ? "" : MaskPhone(phone);
  }
  v.phone_line_type = r.phone_line_type;
  v.language = r.language;
  v.last_visit = r.last_visit;
  v.status = r.status;
  v.provider_name = r.provider_name;
  v.state = r.state;
  return v;
}

// By Recall's id, else by the practice's own patient id (through its blind index).
StatusOr<store::PatientRow> FindRow(engine::Engine& engine, const crypto::PracticeKeys& keys,
                                    const std::string& practice_id, const std::string& patient) {
  auto row = engine.store().patients().Get(practice_id, patient);
  if (!row.ok() && IsNotFound(row.status())) {
    row = engine.store().patients().GetByExternalIndex(practice_id, keys.BlindIndex("external_id", patient));
  }
  return row;
}

}  // namespace

StatusOr<PatientView> ShowMasked(engine::Engine& engine, const std::string& practice_id, const std::string& patient) {
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
  ASSIGN_OR_RETURN(auto row, FindRow(engine, *keys, practice_id, patient));
  RETURN_IF_ERROR(engine.store()
                      .audit()
                      .Append(engine.Event("patient.view", practice_id, row.subject, {{"masked", true}}))
                      .status());
  return View(*keys, row, /*reveal=*/false);
}

StatusOr<PatientListPage> ListMasked(engine::Engine& engine, const std::string& practice_id, const std::string& after,
                                     int limit) {
  RETURN_IF_ERROR(engine.store().practices().Get(practice_id).status());
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
  ASSIGN_OR_RETURN(auto page, engine.store().patients().List(practice_id, {after, limit}));
  PatientListPage out;
  out.next = page.next;
  for (const auto& row : page.rows) {
    ASSIGN_OR_RETURN(PatientView v, View(*keys, row, /*reveal=*/false));
    out.patients.push_back(std::move(v));
  }
  RETURN_IF_ERROR(engine.store()
                      .audit()
                      .Append(engine.Event("patient.list", practice_id, "",
                                           {{"count", int64_t(out.patients.size())}, {"masked", true}}))
                      .status());
  return out;
}

StatusOr<PatientView> Reveal(engine::Engine& engine, const std::string& practice_id, const std::string& patient,
                             const std::string& reason) {
  std::string_view why = TrimAscii(reason);
  if (why.empty()) return InvalidArgumentError("a reason is required to reveal PHI (--reason)");
  if (why.size() > 200 || !IsValidUtf8(why)) return InvalidArgumentError("the reason must be short UTF-8 text");
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));
  auto row = FindRow(engine, *keys, practice_id, patient);
  if (!row.ok()) return row.status();
  // Audit first: a reveal that cannot be audited does not happen.
  auto event = engine.Event("patient.reveal", practice_id, row->subject,
                            {{"patient", row->patient_id}, {"reason", std::string(why)}});
  auto appended = engine.store().audit().Append(event);
  if (!appended.ok()) {
    if (IsInvalidArgument(appended.status())) {
      return InvalidArgumentError("the reason looks like it contains PHI (a phone number or email); rephrase it");
    }
    return appended.status();
  }
  // An unusual volume of reveals by this actor opens an incident; never blocks this one.
  (void)incidents::OnSensitiveAccess(engine, practice_id, incidents::AccessKind::kReveal);
  return View(*keys, *row, /*reveal=*/true);
}

}  // namespace recall::patients
