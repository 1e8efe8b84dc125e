#pragma once
// Signed audit checkpoints: the installation's Ed25519 key signs the chain head
// every N records (in the transaction that appends record N) and on a timer, so
// that truncating or rewriting the log is evident without trusting the file.
// See docs/audit-format.md ("Checkpoints").
//
// Signed bytes (version 1), all ASCII:
//   "recall-audit-checkpoint-v1\n" seq "\n" hash "\n" created_at
// seq in decimal without leading zeros, hash the record's 64 lower-case hex,
// created_at RFC 3339 UTC with milliseconds.
//
// Pure and thread-compatible; storage is the Store's business.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/signing.h"

namespace recall::audit {

inline constexpr int64_t kDefaultCheckpointEvery = 1000;

struct Checkpoint {
  int64_t seq = 0;          // the record signed
  std::string hash;         // that record's hash (64 hex)
  std::string key_id;       // SigningKeyId(public key), 16 hex
  std::string public_key;   // 64 hex (raw 32-byte Ed25519 key)
  std::string signature;    // 128 hex (raw 64-byte Ed25519 signature)
  std::string created_at;   // RFC 3339 UTC, milliseconds; part of the signed bytes
};

// The bytes a checkpoint's signature covers.
std::string CheckpointEncoding(int64_t seq, std::string_view hash, std::string_view created_at);

// Signs record `seq` whose hash is `hash`. Internal on an OpenSSL failure.
StatusOr<Checkpoint> SignCheckpoint(const crypto::SigningKey& key, int64_t seq, const std::string& hash,
                                    TimePoint now);

// Checks one checkpoint against the hash of the record at its seq, with the
// keys this installation knows (key id -> raw public key). OK, or DataLoss
// whose message names what is wrong (hash, key, signature).
Status VerifyCheckpoint(const Checkpoint& checkpoint, std::string_view record_hash,
                        const std::map<std::string, std::string>& known_keys);

// The whole log: the hash chain (ChainVerifier) and every checkpoint. Feed the
// records in seq order, then call Finish(). A checkpoint whose record is
// missing (a truncated log) is a bad checkpoint.
class LogVerifier {
 public:
  LogVerifier(std::vector<Checkpoint> checkpoints, std::map<std::string, std::string> known_keys);
  // Returns false once the chain is broken (callers may stop scanning);
  // a bad checkpoint does not stop the scan.
  bool Feed(const AuditRecord& record);
  // Checks the checkpoints after the last record fed.
  void Finish();

  bool ok() const { return chain_.ok() && !first_bad_checkpoint_.has_value(); }
  const ChainVerifier& chain() const { return chain_; }
  int64_t checkpoints() const { return static_cast<int64_t>(checkpoints_.size()); }
  int64_t checkpoints_verified() const { return verified_; }
  std::optional<int64_t> last_checkpoint_seq() const { return last_verified_seq_; }
  std::optional<int64_t> first_bad_checkpoint() const { return first_bad_checkpoint_; }
  const std::string& checkpoint_reason() const { return checkpoint_reason_; }

 private:
  void Bad(int64_t seq, std::string reason);
  ChainVerifier chain_;
  std::vector<Checkpoint> checkpoints_;  // sorted by seq
  std::map<std::string, std::string> known_keys_;
  size_t next_ = 0;
  int64_t verified_ = 0;
  std::optional<int64_t> last_verified_seq_;
  std::optional<int64_t> first_bad_checkpoint_;
  std::string checkpoint_reason_;
};

}  // namespace recall::audit
