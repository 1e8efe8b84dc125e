#include "store/sqlite/migrations.h"

namespace recall::store::sqlite {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "practices, BAAs, data keys, minimum-necessary patients, audit log", R"sql(
CREATE TABLE practices (
  practice_id TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  address     TEXT NOT NULL,
  phone       TEXT NOT NULL,
  email_from  TEXT NOT NULL,
  timezone    TEXT NOT NULL,
  state       TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE TABLE data_keys (
  practice_id    TEXT NOT NULL REFERENCES practices(practice_id),
  key_id         TEXT NOT NULL,
  master_version INTEGER NOT NULL,
  wrapped        BLOB NOT NULL,
  created_at     TEXT NOT NULL,
  destroyed_at   TEXT,
  PRIMARY KEY (practice_id, key_id)
);
CREATE TABLE baas (
  practice_id         TEXT NOT NULL REFERENCES practices(practice_id),
  baa_id              TEXT NOT NULL,
  signed_by           TEXT NOT NULL,
  signed_on           TEXT NOT NULL,
  document_sha256     TEXT NOT NULL,
  breach_notice_hours INTEGER NOT NULL,
  recorded_at         TEXT NOT NULL,
  PRIMARY KEY (practice_id, baa_id)
);
CREATE TABLE patients (
  practice_id     TEXT NOT NULL REFERENCES practices(practice_id),
  patient_id      TEXT NOT NULL,
  external_index  TEXT NOT NULL,
  subject         TEXT NOT NULL,
  external_id_enc BLOB NOT NULL,
  first_name_enc  BLOB,
  last_name_enc   BLOB,
  email_enc       BLOB,
  email_index     TEXT,
  phone_enc       BLOB,
  phone_index     TEXT,
  phone_line_type TEXT NOT NULL,
  language        TEXT NOT NULL,
  last_visit      TEXT,
  status          TEXT NOT NULL,
  provider_name   TEXT,
  postal_code_enc BLOB,
  state           TEXT,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (practice_id, patient_id),
  UNIQUE (practice_id, external_index)
) WITHOUT ROWID;
CREATE INDEX patients_by_phone ON patients(practice_id, phone_index);
CREATE INDEX patients_by_email ON patients(practice_id, email_index);
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  time        TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  practice_id TEXT NOT NULL,
  subject     TEXT NOT NULL,
  details     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
-- The audit log is append-only: the engine never updates or deletes a record.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
)sql"},
  };
  return kMigrations;
}

}  // namespace recall::store::sqlite
