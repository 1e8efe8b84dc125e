#include "audit/checkpoint.h"

#include <algorithm>

#include "common/random.h"

namespace recall::audit {

std::string CheckpointEncoding(int64_t seq, std::string_view hash, std::string_view created_at) {
  std::string out = "recall-audit-checkpoint-v1\n";
  out += std::to_string(seq);
  out += '\n';
  out += hash;
  out += '\n';
  out += created_at;
  return out;
}

StatusOr<Checkpoint> SignCheckpoint(const crypto::SigningKey& key, int64_t seq, const std::string& hash,
                                    TimePoint now) {
  Checkpoint c;
  c.seq = seq;
  c.hash = hash;
  c.key_id = key.key_id();
  c.public_key = HexEncode(key.public_key());
  c.created_at = FormatRfc3339Millis(now);
  ASSIGN_OR_RETURN(std::string sig, key.Sign(CheckpointEncoding(seq, hash, c.created_at)));
  c.signature = HexEncode(sig);
  return c;
}

Status VerifyCheckpoint(const Checkpoint& c, std::string_view record_hash,
                        const std::map<std::string, std::string>& known_keys) {
  if (c.hash != record_hash) return DataLossError("checkpoint hash differs from the record's hash");
  auto pub = HexDecode(c.public_key);
  if (!pub.ok() || pub->size() != crypto::kEd25519PublicKeySize) return DataLossError("malformed public key");
  if (crypto::SigningKeyId(*pub) != c.key_id) return DataLossError("key id does not match the public key");
  auto known = known_keys.find(c.key_id);
  if (known == known_keys.end() || known->second != *pub) {
    return DataLossError("signed with a key this installation does not know");
  }
  auto sig = HexDecode(c.signature);
  if (!sig.ok() || sig->size() != crypto::kEd25519SignatureSize) return DataLossError("malformed signature");
  if (!crypto::VerifySignature(*pub, CheckpointEncoding(c.seq, c.hash, c.created_at), *sig).ok()) {
    return DataLossError("signature does not verify");
  }
  return OkStatus();
}

LogVerifier::LogVerifier(std::vector<Checkpoint> checkpoints, std::map<std::string, std::string> known_keys)
    : checkpoints_(std::move(checkpoints)), known_keys_(std::move(known_keys)) {
  std::stable_sort(checkpoints_.begin(), checkpoints_.end(),
                   [](const Checkpoint& a, const Checkpoint& b) { return a.seq < b.seq; });
}

void LogVerifier::Bad(int64_t seq, std::string reason) {
  if (first_bad_checkpoint_) return;
  first_bad_checkpoint_ = seq;
  checkpoint_reason_ = std::move(reason);
}

bool LogVerifier::Feed(const AuditRecord& record) {
  if (!chain_.Feed(record)) return false;
  // Checkpoints below the first record fed cannot be matched (callers scan from 1).
  while (next_ < checkpoints_.size() && checkpoints_[next_].seq < record.seq) {
    Bad(checkpoints_[next_].seq, "no record at the checkpoint's seq");
    ++next_;
  }
  while (next_ < checkpoints_.size() && checkpoints_[next_].seq == record.seq) {
    Status s = VerifyCheckpoint(checkpoints_[next_], record.hash, known_keys_);
    if (s.ok()) {
      ++verified_;
      last_verified_seq_ = record.seq;
    } else {
      Bad(record.seq, s.message());
    }
    ++next_;
  }
  return true;
}

void LogVerifier::Finish() {
  if (!chain_.ok()) return;  // the chain's break is the finding; later checkpoints were not reached
  if (next_ < checkpoints_.size()) {
    Bad(checkpoints_[next_].seq, "checkpoint beyond the last record (records were removed from the end)");
  }
}

}  // namespace recall::audit
