#include "store/sqlite/migrations.h"

#include <algorithm>

namespace recall::store::sqlite {

namespace {

std::vector<Migration> Listed() {
  return {
      {1, "practices, BAAs, data keys, minimum-necessary patients, audit log", R"sql(
-- practice_key is internal to this backend: patients rows and their indexes
-- carry it instead of repeating the 24-character practice_id.
CREATE TABLE practices (
  practice_key INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL UNIQUE,
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
-- Blind indexes (*_index) are stored as their 16 raw bytes (BLOB), not hex.
-- Every query is scoped by practice_key (the practice's row in practices).
CREATE TABLE patients (
  practice_key    INTEGER NOT NULL REFERENCES practices(practice_key),
  patient_id      TEXT NOT NULL,
  external_index  BLOB NOT NULL,
  subject         TEXT NOT NULL,
  external_id_enc BLOB NOT NULL,
  first_name_enc  BLOB,
  last_name_enc   BLOB,
  email_enc       BLOB,
  email_index     BLOB,
  phone_enc       BLOB,
  phone_index     BLOB,
  phone_line_type TEXT NOT NULL,
  language        TEXT NOT NULL,
  last_visit      TEXT,
  status          TEXT NOT NULL,
  provider_name   TEXT,
  postal_code_enc BLOB,
  state           TEXT,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (practice_key, patient_id),
  UNIQUE (practice_key, external_index)
);
CREATE INDEX patients_by_phone ON patients(practice_key, phone_index);
-- No query looks patients up by email yet; add patients_by_email with the first.
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
      {2, "consent vault: consent records, consent language versions, reassigned numbers", R"sql(
CREATE TABLE consent_records (
  seq               INTEGER PRIMARY KEY,
  practice_id       TEXT NOT NULL REFERENCES practices(practice_id),
  consent_id        TEXT NOT NULL,
  patient_id        TEXT NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('grant', 'revoke')),
  channel           TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  source            TEXT NOT NULL,
  captured_at       TEXT NOT NULL,
  captured_by       TEXT NOT NULL,
  contact_enc       BLOB,
  contact_index     TEXT,
  ip_enc            BLOB,
  user_agent_enc    BLOB,
  evidence_enc      BLOB,
  language_version  TEXT,
  language_sha256   TEXT,
  risk_acknowledged INTEGER,
  UNIQUE (practice_id, consent_id)
);
CREATE INDEX consent_records_by_patient ON consent_records(practice_id, patient_id, seq);
CREATE INDEX consent_records_by_contact ON consent_records(practice_id, contact_index, seq);
-- Consent records are evidence: append-only, like the audit log.
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
  BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
  BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TABLE consent_language (
  practice_id TEXT NOT NULL REFERENCES practices(practice_id),
  version_id  TEXT NOT NULL,
  channel     TEXT NOT NULL,
  text        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  PRIMARY KEY (practice_id, version_id)
);
CREATE INDEX consent_language_by_channel ON consent_language(practice_id, channel, created_at);
CREATE TABLE reassigned_numbers (
  practice_id     TEXT NOT NULL REFERENCES practices(practice_id),
  phone_index     TEXT NOT NULL,
  disconnected_on TEXT NOT NULL,
  imported_at     TEXT NOT NULL,
  PRIMARY KEY (practice_id, phone_index)
) WITHOUT ROWID;
)sql"},
      {3, "message templates (versioned), campaigns, steps, written approvals", R"sql(
CREATE TABLE templates (
  practice_id TEXT NOT NULL REFERENCES practices(practice_id),
  template_id TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  name        TEXT NOT NULL,
  channel     TEXT NOT NULL,
  tier        INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
  purpose     TEXT NOT NULL,
  language    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  body        TEXT NOT NULL,
  author      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (practice_id, template_id, version)
) WITHOUT ROWID;
CREATE INDEX templates_by_name ON templates(practice_id, name);
-- A template version is immutable: an edit is a new version.
CREATE TRIGGER templates_no_update BEFORE UPDATE ON templates
  BEGIN SELECT RAISE(ABORT, 'template versions are immutable'); END;
CREATE TABLE campaigns (
  practice_id           TEXT NOT NULL REFERENCES practices(practice_id),
  campaign_id           TEXT NOT NULL,
  name                  TEXT NOT NULL,
  kind                  TEXT NOT NULL,
  purpose               TEXT NOT NULL,
  segment_json          TEXT NOT NULL,
  schedule_start        TEXT NOT NULL,
  schedule_window_start TEXT NOT NULL,
  schedule_window_end   TEXT NOT NULL,
  state                 TEXT NOT NULL,
  author                TEXT NOT NULL,
  approved_hash         TEXT NOT NULL,
  revision              INTEGER NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  PRIMARY KEY (practice_id, campaign_id)
) WITHOUT ROWID;
CREATE TABLE campaign_steps (
  practice_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  step_index  INTEGER NOT NULL,
  channel     TEXT NOT NULL,
  delay_hours INTEGER NOT NULL,
  PRIMARY KEY (practice_id, campaign_id, step_index),
  FOREIGN KEY (practice_id, campaign_id) REFERENCES campaigns(practice_id, campaign_id)
) WITHOUT ROWID;
CREATE TABLE campaign_step_variants (
  practice_id      TEXT NOT NULL,
  campaign_id      TEXT NOT NULL,
  step_index       INTEGER NOT NULL,
  language         TEXT NOT NULL,
  template_id      TEXT NOT NULL,
  template_version INTEGER NOT NULL,
  PRIMARY KEY (practice_id, campaign_id, step_index, language),
  FOREIGN KEY (practice_id, campaign_id, step_index)
    REFERENCES campaign_steps(practice_id, campaign_id, step_index),
  FOREIGN KEY (practice_id, template_id, template_version)
    REFERENCES templates(practice_id, template_id, version)
) WITHOUT ROWID;
CREATE INDEX campaign_step_variants_by_template ON campaign_step_variants(practice_id, template_id);
CREATE TABLE campaign_approvals (
  practice_id    TEXT NOT NULL,
  campaign_id    TEXT NOT NULL,
  approval_id    TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  signer_name    TEXT NOT NULL,
  signer_title   TEXT NOT NULL,
  statement      TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  actor          TEXT NOT NULL,
  approved_at    TEXT NOT NULL,
  PRIMARY KEY (practice_id, approval_id),
  FOREIGN KEY (practice_id, campaign_id) REFERENCES campaigns(practice_id, campaign_id)
) WITHOUT ROWID;
CREATE INDEX campaign_approvals_by_campaign ON campaign_approvals(practice_id, campaign_id, approved_at);
-- A written approval is evidence: never rewritten (purge, a later issue, may delete).
CREATE TRIGGER campaign_approvals_no_update BEFORE UPDATE ON campaign_approvals
  BEGIN SELECT RAISE(ABORT, 'approvals are never rewritten'); END;
)sql"},
      {4, "vendor / subprocessor registry with BAA dates", R"sql(
CREATE TABLE vendors (
  practice_id         TEXT NOT NULL REFERENCES practices(practice_id),
  vendor_id           TEXT NOT NULL,
  name                TEXT NOT NULL,
  channel             TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'voice', 'rvm', 'portal', 'hosting')),
  kind                TEXT NOT NULL CHECK (kind IN ('channel_provider', 'subprocessor')),
  baa_signed_on       TEXT,
  baa_document_sha256 TEXT,
  active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at          TEXT NOT NULL,
  PRIMARY KEY (practice_id, vendor_id)
);
CREATE INDEX vendors_by_channel ON vendors(practice_id, channel, active);
)sql"},
      {5, "durable outbox: one row per campaign x step x patient, leased by workers", R"sql(
-- Rows hold no PHI: ids, channel, purpose, reason codes and times (INTEGER
-- milliseconds since the Unix epoch). The body is rendered at send time.
CREATE TABLE outbox (
  practice_id    TEXT NOT NULL REFERENCES practices(practice_id),
  message_id     TEXT NOT NULL,
  campaign_id    TEXT NOT NULL,
  step           INTEGER NOT NULL CHECK (step >= 0),
  patient_id     TEXT NOT NULL,
  channel        TEXT NOT NULL,
  purpose        TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'sent', 'failed', 'cancelled')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  not_before_ms  INTEGER NOT NULL,
  lease_until_ms INTEGER,
  worker_id      TEXT,
  provider_id    TEXT,
  last_reason    TEXT,
  sent_at_ms     INTEGER,
  created_at_ms  INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, message_id),
  -- The planner's idempotency key: one message per campaign step and patient.
  UNIQUE (practice_id, campaign_id, step, patient_id)
);
-- Claim's two scans: due queued rows and abandoned leases.
CREATE INDEX outbox_queued_due ON outbox(not_before_ms) WHERE state = 'queued';
CREATE INDEX outbox_lease_expiry ON outbox(lease_until_ms) WHERE state = 'leased';
-- Frequency caps: a patient's recent sends.
CREATE INDEX outbox_sent_by_patient ON outbox(practice_id, patient_id, sent_at_ms) WHERE state = 'sent';
)sql"},
      {6, "campaign sequences (fallback channels, conditions, call lists), runs, plan, delivery, inbound, settings", R"sql(
-- Sequences: a step may fall back to other channels and carry a condition; its
-- variants are keyed by (channel, language).
ALTER TABLE campaign_steps ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_steps ADD COLUMN condition TEXT NOT NULL DEFAULT 'always';
CREATE TABLE campaign_step_variants_v6 (
  practice_id      TEXT NOT NULL,
  campaign_id      TEXT NOT NULL,
  step_index       INTEGER NOT NULL,
  channel          TEXT NOT NULL,
  language         TEXT NOT NULL,
  template_id      TEXT NOT NULL,
  template_version INTEGER NOT NULL,
  PRIMARY KEY (practice_id, campaign_id, step_index, channel, language),
  FOREIGN KEY (practice_id, campaign_id, step_index)
    REFERENCES campaign_steps(practice_id, campaign_id, step_index),
  FOREIGN KEY (practice_id, template_id, template_version)
    REFERENCES templates(practice_id, template_id, version)
) WITHOUT ROWID;
INSERT INTO campaign_step_variants_v6
  SELECT v.practice_id, v.campaign_id, v.step_index, s.channel, v.language, v.template_id, v.template_version
  FROM campaign_step_variants v JOIN campaign_steps s
    ON s.practice_id = v.practice_id AND s.campaign_id = v.campaign_id AND s.step_index = v.step_index;
DROP TABLE campaign_step_variants;
ALTER TABLE campaign_step_variants_v6 RENAME TO campaign_step_variants;
CREATE INDEX campaign_step_variants_by_template ON campaign_step_variants(practice_id, template_id);

-- Practice settings (send window, caps, language policy, ...), one JSON object.
CREATE TABLE practice_settings (
  practice_id   TEXT PRIMARY KEY REFERENCES practices(practice_id),
  settings_json TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) WITHOUT ROWID;

-- Outbox: the variant's language, deferral count and delivery reports.
ALTER TABLE outbox ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN defers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN delivery TEXT NOT NULL DEFAULT ''
  CHECK (delivery IN ('', 'delivered', 'undeliverable', 'failed'));
ALTER TABLE outbox ADD COLUMN delivery_reason TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at_ms INTEGER;
CREATE INDEX outbox_by_campaign ON outbox(practice_id, campaign_id, state);

-- Campaign runs: when each step falls due, and whether it has been planned.
CREATE TABLE step_runs (
  practice_id   TEXT NOT NULL REFERENCES practices(practice_id),
  campaign_id   TEXT NOT NULL,
  step          INTEGER NOT NULL CHECK (step >= 0),
  due_at_ms     INTEGER NOT NULL,
  planned_at_ms INTEGER,
  entries       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (practice_id, campaign_id, step)
) WITHOUT ROWID;
CREATE INDEX step_runs_due ON step_runs(due_at_ms) WHERE planned_at_ms IS NULL;

-- The planner's decision for every patient it considered.
CREATE TABLE plan_entries (
  practice_id   TEXT NOT NULL,
  campaign_id   TEXT NOT NULL,
  step          INTEGER NOT NULL,
  patient_id    TEXT NOT NULL,
  decision      TEXT NOT NULL CHECK (decision IN ('planned', 'skipped', 'call_list')),
  reason        TEXT NOT NULL,
  channel       TEXT NOT NULL DEFAULT '',
  language      TEXT NOT NULL DEFAULT '',
  message_id    TEXT NOT NULL DEFAULT '',
  planned_at_ms INTEGER NOT NULL,
  PRIMARY KEY (practice_id, campaign_id, step, patient_id)
) WITHOUT ROWID;

-- What patients did in reply (never the text).
CREATE TABLE inbound_events (
  practice_id    TEXT NOT NULL REFERENCES practices(practice_id),
  event_id       TEXT NOT NULL,
  patient_id     TEXT NOT NULL DEFAULT '',
  channel        TEXT NOT NULL,
  kind           TEXT NOT NULL,
  campaign_id    TEXT NOT NULL DEFAULT '',
  message_id     TEXT NOT NULL DEFAULT '',
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (practice_id, event_id)
) WITHOUT ROWID;
CREATE INDEX inbound_by_patient ON inbound_events(practice_id, patient_id, received_at_ms);
CREATE INDEX inbound_by_campaign ON inbound_events(practice_id, campaign_id, kind);

-- Contacts a provider reported as invalid (hard bounce, dead number).
CREATE TABLE invalid_contacts (
  practice_id   TEXT NOT NULL REFERENCES practices(practice_id),
  patient_id    TEXT NOT NULL,
  channel       TEXT NOT NULL,
  contact_index BLOB NOT NULL,
  reason        TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  marked_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, patient_id, channel, contact_index)
) WITHOUT ROWID;
)sql"},
      {7, "vendors: 'lookup' (carrier line-type lookup) is a vendor channel", R"sql(
-- SQLite cannot alter a CHECK constraint: rebuild the table with the same
-- columns and rowids (vendor lists are ordered by rowid), then its index.
CREATE TABLE vendors_v7 (
  practice_id         TEXT NOT NULL REFERENCES practices(practice_id),
  vendor_id           TEXT NOT NULL,
  name                TEXT NOT NULL,
  channel             TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'voice', 'rvm', 'lookup', 'portal', 'hosting')),
  kind                TEXT NOT NULL CHECK (kind IN ('channel_provider', 'subprocessor')),
  baa_signed_on       TEXT,
  baa_document_sha256 TEXT,
  active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at          TEXT NOT NULL,
  PRIMARY KEY (practice_id, vendor_id)
);
INSERT INTO vendors_v7 (rowid, practice_id, vendor_id, name, channel, kind, baa_signed_on, baa_document_sha256,
                        active, created_at)
  SELECT rowid, practice_id, vendor_id, name, channel, kind, baa_signed_on, baa_document_sha256, active, created_at
  FROM vendors;
DROP TABLE vendors;
ALTER TABLE vendors_v7 RENAME TO vendors;
CREATE INDEX vendors_by_channel ON vendors(practice_id, channel, active);
)sql"},
      {8, "signed audit checkpoints; six-year audit retention", R"sql(
-- The chain head signed with the installation's Ed25519 key every N records
-- and on a timer (docs/audit-format.md, "Checkpoints"). Append-only.
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,  -- the audit_log record signed
  hash       TEXT NOT NULL,        -- that record's hash
  key_id     TEXT NOT NULL,        -- first 16 hex of SHA-256(public key)
  public_key TEXT NOT NULL,        -- raw 32-byte Ed25519 key, hex
  signature  TEXT NOT NULL,        -- Ed25519 over the v1 encoding, hex
  created_at TEXT NOT NULL         -- RFC 3339 UTC ms; signed
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
-- Retention: an audit record is kept at least six years. This holds even
-- should a later migration relax audit_log_no_delete to expire old records.
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
  WHEN OLD.time > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-6 years')
  BEGIN SELECT RAISE(ABORT, 'audit records are kept for six years'); END;
)sql"},
      {9, "users, practice memberships (roles), sessions and API tokens (hashed), login lockout", R"sql(
-- Installation-wide: users are not practice-scoped (store/user_store.h).
CREATE TABLE users (
  user_id            TEXT PRIMARY KEY,
  login              TEXT NOT NULL UNIQUE,
  display_name       TEXT NOT NULL,
  password_hash      TEXT NOT NULL,             -- argon2id encoded
  admin              INTEGER NOT NULL DEFAULT 0,
  totp_secret_sealed TEXT NOT NULL DEFAULT '',  -- '' when not enrolled
  failed_logins      INTEGER NOT NULL DEFAULT 0,
  locked_until_ms    INTEGER NOT NULL DEFAULT 0,
  created_at_ms      INTEGER NOT NULL
);
CREATE TABLE user_memberships (
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  practice_id   TEXT NOT NULL REFERENCES practices(practice_id),
  role          TEXT NOT NULL CHECK (role IN ('operator', 'approver', 'staff', 'auditor', 'admin')),
  granted_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, practice_id, role)
);
CREATE INDEX user_memberships_by_practice ON user_memberships(practice_id);
-- Bearer credentials, stored only as SHA-256 hex of the token.
CREATE TABLE user_credentials (
  token_id      TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  token_hash    TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  scopes        TEXT NOT NULL DEFAULT '',
  label         TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
CREATE INDEX user_credentials_by_user ON user_credentials(user_id);
)sql"},
      {12, "the human hand-off queue: items (text sealed) and their event history", R"sql(
-- docs/handoffs.md. No message text in clear: text_enc is AES-256-GCM under the
-- practice's field key. Times are ms since the epoch; 0 = not yet.
CREATE TABLE handoffs (
  practice_id      TEXT NOT NULL REFERENCES practices(practice_id),
  handoff_id       TEXT NOT NULL,
  patient_id       TEXT NOT NULL DEFAULT '',
  channel          TEXT NOT NULL,
  inbound_event_id TEXT NOT NULL DEFAULT '',
  category         TEXT NOT NULL CHECK (category IN ('urgent', 'clinical', 'other')),
  priority         INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  assignee         TEXT NOT NULL DEFAULT '',
  text_enc         BLOB,
  created_ms       INTEGER NOT NULL,
  acknowledged_ms  INTEGER NOT NULL DEFAULT 0,
  resolved_ms      INTEGER NOT NULL DEFAULT 0,
  escalated_ms     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (practice_id, handoff_id)
);
CREATE INDEX handoffs_queue ON handoffs(practice_id, status, priority, created_ms);
CREATE INDEX handoffs_escalation ON handoffs(status, category, escalated_ms, created_ms);
CREATE INDEX handoffs_by_patient ON handoffs(practice_id, patient_id);
CREATE TABLE handoff_events (
  practice_id TEXT NOT NULL,
  handoff_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('opened', 'assigned', 'acknowledged', 'replied', 'escalated', 'resolved')),
  actor       TEXT NOT NULL,
  ref         TEXT NOT NULL DEFAULT '',
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (practice_id, handoff_id, seq),
  FOREIGN KEY (practice_id, handoff_id) REFERENCES handoffs(practice_id, handoff_id) ON DELETE CASCADE
);
)sql"},
      {13, "API Idempotency-Key records: the sealed first response per (principal, practice, route, key)", R"sql(
-- store/idempotency_store.h. scope_hash is SHA-256 of (principal, practice,
-- method + path, client key): neither the key nor a concrete path (which may
-- name a patient) is stored in clear. response_sealed is AES-256-GCM under the
-- practice's field key (installation routes: an installation secret). Times are
-- ms since the epoch. Not practice-FK'd: installation routes use ''.
CREATE TABLE idempotency_keys (
  practice_id     TEXT NOT NULL,
  record_id       TEXT NOT NULL,
  principal       TEXT NOT NULL,
  route           TEXT NOT NULL,
  scope_hash      TEXT NOT NULL,
  body_hash       TEXT NOT NULL DEFAULT '',
  done            INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
  status          INTEGER NOT NULL DEFAULT 0,
  content_type    TEXT NOT NULL DEFAULT '',
  response_sealed BLOB,
  created_at_ms   INTEGER NOT NULL,
  expires_at_ms   INTEGER NOT NULL,
  PRIMARY KEY (practice_id, record_id),
  UNIQUE (practice_id, scope_hash)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at_ms);
)sql"},
      {14, "the sensitive-access index covers only the actions the triggers count", R"sql(
-- Migration 11's index over every audit record cost each append a B-tree
-- insert (audit append throughput fell by half). The reveal/export-volume
-- triggers count two actions only: a partial index over those keeps every
-- other append free of it. IncidentStore::CountAudit repeats the WHERE term
-- literally so SQLite can use the index.
DROP INDEX audit_log_by_actor;
CREATE INDEX audit_log_sensitive_by_actor ON audit_log(actor, action, time)
  WHERE action IN ('patient.reveal', 'audit.export');
)sql"},
      {11, "security incidents: affected practices and deadlines, notifications, update history; audit by actor", R"sql(
-- Installation-wide (docs/incidents.md). No PHI: ids, counts, times and
-- operator text the domain checked with the audit log's PHI guard.
CREATE TABLE incidents (
  incident_id      TEXT PRIMARY KEY,
  source           TEXT NOT NULL CHECK (source IN ('manual', 'audit_chain', 'scanner_after_approval',
                                                   'reveal_volume', 'export_volume')),
  severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  discovered_at_ms INTEGER NOT NULL,
  opened_at_ms     INTEGER NOT NULL,
  closed_at_ms     INTEGER,
  description      TEXT NOT NULL,
  resolution       TEXT NOT NULL DEFAULT '',
  dedupe_key       TEXT NOT NULL DEFAULT '',
  opened_by        TEXT NOT NULL,
  trigger_count    INTEGER NOT NULL DEFAULT 0
);
-- An automatic trigger that fires again finds the open incident by its key.
CREATE UNIQUE INDEX incidents_open_by_dedupe ON incidents(dedupe_key) WHERE status = 'open' AND dedupe_key <> '';
CREATE INDEX incidents_by_status ON incidents(status, opened_at_ms);
-- practice_id is checked on insert, not a foreign key: offboarding must not
-- be blocked by an incident that names the practice.
CREATE TABLE incident_practices (
  incident_id             TEXT NOT NULL REFERENCES incidents(incident_id),
  practice_id             TEXT NOT NULL,
  affected                INTEGER NOT NULL CHECK (affected >= 0),
  breach_notice_hours     INTEGER NOT NULL,
  contractual_deadline_ms INTEGER NOT NULL,
  regulatory_deadline_ms  INTEGER NOT NULL,
  added_at_ms             INTEGER NOT NULL,
  PRIMARY KEY (incident_id, practice_id)
);  -- listed in rowid order: the order the practices were added
CREATE INDEX incident_practices_by_practice ON incident_practices(practice_id);
CREATE TABLE incident_notifications (
  seq            INTEGER PRIMARY KEY,
  incident_id    TEXT NOT NULL,
  practice_id    TEXT NOT NULL,
  recipient      TEXT NOT NULL,
  channel        TEXT NOT NULL CHECK (channel IN ('email', 'phone', 'letter', 'portal', 'in_person', 'other')),
  notified_at_ms INTEGER NOT NULL,
  recorded_by    TEXT NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  FOREIGN KEY (incident_id, practice_id) REFERENCES incident_practices(incident_id, practice_id)
);
CREATE INDEX incident_notifications_by_incident ON incident_notifications(incident_id, practice_id);
CREATE TABLE incident_updates (
  incident_id TEXT NOT NULL REFERENCES incidents(incident_id),
  seq         INTEGER NOT NULL,
  at_ms       INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('opened', 'updated', 'practice', 'notified', 'triggered', 'closed')),
  note        TEXT NOT NULL,
  PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;
-- Notifications and the update history are a record: append-only.
CREATE TRIGGER incident_notifications_no_update BEFORE UPDATE ON incident_notifications
  BEGIN SELECT RAISE(ABORT, 'incident notifications are append-only'); END;
CREATE TRIGGER incident_notifications_no_delete BEFORE DELETE ON incident_notifications
  BEGIN SELECT RAISE(ABORT, 'incident notifications are append-only'); END;
CREATE TRIGGER incident_updates_no_update BEFORE UPDATE ON incident_updates
  BEGIN SELECT RAISE(ABORT, 'incident updates are append-only'); END;
CREATE TRIGGER incident_updates_no_delete BEFORE DELETE ON incident_updates
  BEGIN SELECT RAISE(ABORT, 'incident updates are append-only'); END;
-- The sensitive-access triggers count one actor's reveals / exports in a window.
CREATE INDEX audit_log_by_actor ON audit_log(actor, action, time);
)sql"},
      {10, "purge and crypto-shredding: data key purposes, purge guard on consent evidence, offboarded practices, "
           "report snapshots",
       R"sql(
-- A practice's data keys: one 'root' key (index, pseudonym and token keys) for
-- the practice's life and 'field' keys (PHI field encryption) that a purge
-- rotates and destroys (docs/key-wrapping.md). Existing keys are roots.
ALTER TABLE data_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'root' CHECK (purpose IN ('root', 'field'));
-- A purge transaction inserts its id here first and deletes it before it
-- commits: only then may consent evidence be deleted or re-encrypted. Never
-- holds a row outside such a transaction.
CREATE TABLE purge_in_progress (
  purge_id    TEXT PRIMARY KEY,
  practice_id TEXT NOT NULL,
  started_at  TEXT NOT NULL
);
DROP TRIGGER consent_records_no_update;
DROP TRIGGER consent_records_no_delete;
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
  WHEN NOT EXISTS (SELECT 1 FROM purge_in_progress)
  BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
  WHEN NOT EXISTS (SELECT 1 FROM purge_in_progress)
  BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
-- An offboarded practice keeps its row (business name and address are not
-- PHI) but nothing may import or send for it again.
ALTER TABLE practices ADD COLUMN offboarded_at TEXT;
-- A purged campaign's report (counts only), taken before its rows are deleted.
CREATE TABLE campaign_report_snapshots (
  practice_id TEXT NOT NULL REFERENCES practices(practice_id),
  campaign_id TEXT NOT NULL,
  report_json TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (practice_id, campaign_id)
) WITHOUT ROWID;
)sql"},
  };
}

}  // namespace

const std::vector<Migration>& Migrations() {
  // Applied in version order, whatever the order of the list above (a fresh
  // database must see migration 11's index before 14 replaces it).
  static const std::vector<Migration> kMigrations = [] {
    std::vector<Migration> m = Listed();
    std::sort(m.begin(), m.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return m;
  }();
  return kMigrations;
}

}  // namespace recall::store::sqlite
