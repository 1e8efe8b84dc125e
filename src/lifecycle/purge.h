#pragma once
// Purge: destroys the PHI of a campaign's recipients that no other active
// campaign needs, or of a whole practice, and issues a deletion certificate
// (docs/lifecycle.md, "Purge").
//
// PurgeCampaign, in order:
//   1. checks the campaign (NotFound; FailedPrecondition when it is purged
//      already, or scheduled/running: pause it first);
//   2. takes the campaign's report (counts only) as a snapshot;
//   3. deletes the files written for the campaign's messages: voice/RVM WAVs
//      under <data>/spool/, what a `file` channel (channels.json) wrote, and
//      preview WAVs (<campaign>-step*.wav) anywhere under the data directory;
//   4. in one store transaction (store/lifecycle_store.h): deletes the
//      recipients no other active campaign needs (patient rows, consent
//      records, inbound events, invalid contacts, hand-offs), the campaign's
//      outbox rows and plan entries, cached API responses; marks the campaign
//      purged; re-encrypts every remaining sealed field of the practice under
//      a new random field key and destroys the old field key (crypto-shredding:
//      copies of the purged rows in backups can no longer be decrypted);
//      appends the audit record ("campaign.purge", counts only);
//   5. rotates the master key (lifecycle/keys.h): every live data key is
//      re-wrapped under a new version and the old versions are removed from
//      the key file, so the destroyed key's wrapped copy in a backup of the
//      database can no longer be unwrapped even with a copy of today's key
//      file taken after this point. Until then (the rotation failed) the
//      result says crypto_shredded = false;
//   6. compacts the database (VACUUM, WAL truncated);
//   7. writes DIR/deletion-certificate.json and .pdf, signed.
// A practice created before field keys existed derives its field key from its
// root key, which must live on (blind indexes, pseudonyms, links): its first
// purge moves the live rows to a new field key but cannot destroy the old
// one, and says so (crypto_shredded = false).
//
// OffboardPractice deletes every PHI row and file of the practice, destroys
// every data key (root and field), revokes user memberships and marks the
// practice offboarded (RequireBaa refuses it from then on), then compacts and
// certifies as above ("practice.offboard").
//
// Nothing here carries PHI: results, errors and audit details hold ids and counts.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace recall::engine {
class Engine;
}

namespace recall::lifecycle {

struct PurgeResult {
  std::string practice_id;
  std::string scope;        // kScopeCampaign | kScopePractice (certificate.h)
  std::string campaign_id;  // "" for a practice
  std::map<std::string, int64_t> counts;  // deleted per kind, files included ("files")
  int64_t recipients = 0;   // campaign: patients it planned for or messaged
  int64_t retained = 0;     // campaign: of those, kept for another active campaign
  int64_t reencrypted_fields = 0;
  // A data key was destroyed and the master key versions that wrapped it were
  // retired (so the copies of it in backups cannot be unwrapped either).
  bool crypto_shredded = false;
  std::vector<std::string> destroyed_key_ids;
  uint32_t master_key_version = 0;                // after the rotation; 0 when it failed
  std::vector<uint32_t> master_versions_retired;
  bool compacted = false;   // VACUUM ran and the WAL was truncated
  int64_t audit_seq = 0;
  std::string audit_hash;
  std::string certificate_id;
  std::string certificate_json;  // paths of the files written
  std::string certificate_pdf;
};

// `practice_id` may be "": the campaign's practice is looked up. The
// certificate is written to `out_dir` (created 0700). Errors as described above;
// Internal when the certificate cannot be written (the purge itself is done
// then: the audit record holds its counts).
StatusOr<PurgeResult> PurgeCampaign(engine::Engine& engine, const std::string& practice_id,
                                    const std::string& campaign_id, const std::string& out_dir);

// NotFound for an unknown practice; FailedPrecondition when offboarded already.
StatusOr<PurgeResult> OffboardPractice(engine::Engine& engine, const std::string& practice_id,
                                       const std::string& out_dir);

}  // namespace recall::lifecycle
