#pragma once
// The deletion certificate: the written confirmation a practice receives when
// its data (or a campaign's recipients' data) has been destroyed
// (docs/lifecycle.md). A JSON document signed with the installation's Ed25519
// key (crypto/signing.h) and a PDF rendered from it (libhpdf). It names the
// practice, the scope, the counts deleted per kind, the method, the time and
// the hash of the audit record that logged the purge. It carries no PHI:
// opaque ids and counts only.
//
// Contract (docs/cli.md): `recall campaign purge --campaign ID --out DIR` and
// `recall practice offboard --practice ID --out DIR` write
// DIR/deletion-certificate.json and DIR/deletion-certificate.pdf;
// `recall --json certificate verify FILE` -> {"ok": bool, ...}, exit 1 when not ok.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/signing.h"

namespace recall::engine {
class Engine;
}

namespace recall::lifecycle {

inline constexpr char kScopeCampaign[] = "campaign";
inline constexpr char kScopePractice[] = "practice";
inline constexpr char kCertificateJsonName[] = "deletion-certificate.json";
inline constexpr char kCertificatePdfName[] = "deletion-certificate.pdf";

struct DeletionCertificate {
  std::string certificate_id;           // "dc_..." opaque
  std::string practice_id;
  std::string practice_name;            // the practice's business name (not PHI)
  std::string scope;                    // kScopeCampaign | kScopePractice
  std::string campaign_id;              // "" unless scope == kScopeCampaign
  std::map<std::string, int64_t> counts;  // deleted per kind ("patients", "consent_records", "outbox_messages", ...)
  std::vector<std::string> method;      // what was done, in order, in plain words
  bool crypto_shredded = false;         // a data key was destroyed
  std::vector<std::string> destroyed_key_ids;  // "dk_..." ids of destroyed data keys
  std::string issued_at;                // RFC 3339 UTC
  int64_t audit_seq = 0;                // the audit record that logged the purge
  std::string audit_hash;               // its hash (hex)
  // Filled by Sign():
  std::string key_id;                   // signing key id (16 hex)
  std::string public_key;               // raw 32 bytes (hex in JSON)
  std::string signature;                // raw 64 bytes (hex in JSON)
};

// The exact bytes that are signed: a canonical encoding of every field above
// except key_id/public_key/signature (documented in docs/lifecycle.md).
std::string SignedPayload(const DeletionCertificate& certificate);

// Fills key_id, public_key and signature. Internal on an OpenSSL failure.
Status Sign(const crypto::SigningKey& key, DeletionCertificate& certificate);

// JSON document (stable field names, see docs/lifecycle.md) and back.
// FromJson: InvalidArgument on malformed JSON or missing/ill-typed fields.
std::string ToJson(const DeletionCertificate& certificate);
StatusOr<DeletionCertificate> FromJson(std::string_view json);

// Writes DIR/deletion-certificate.json and DIR/deletion-certificate.pdf
// (creating DIR, 0700, if needed). Internal on I/O or PDF failure; nothing is
// left half-written (files are written to temporaries and renamed).
Status WriteCertificateFiles(const DeletionCertificate& certificate, const std::string& out_dir);

struct VerifyResult {
  bool ok = false;
  bool signature_valid = false;      // the signature verifies with the embedded public key
  bool key_known = false;            // that key is one of this installation's signing keys
  bool audit_record_found = false;   // the audit record (seq, hash) exists in this installation's log
  std::string reason;                // "" when ok; else a short reason without PHI
};

// Checks the certificate in `json` against this installation: signature,
// signing key and the audit record. A malformed document is a VerifyResult
// with ok=false (not an error); errors are for the store.
StatusOr<VerifyResult> Verify(engine::Engine& engine, std::string_view json);

}  // namespace recall::lifecycle
