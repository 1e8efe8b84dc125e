#pragma once
// Key management: `recall keys rotate` (docs/key-wrapping.md, "Rotation").
//
// RotateMasterKey:
//   1. appends a fresh master key version N+1 to the key file (temporary file,
//      0600, fsync, rename: the file is never half-written);
//   2. re-wraps every live data key of every practice and re-seals every
//      installation secret (users' TOTP seeds) under it, in one store
//      transaction with one audit record ("keys.master_rotated": versions and
//      counts only);
//   3. retires (removes from the file) every version that no live data key or
//      sealed secret refers to any more, and logs "keys.master_retired".
// A crash between 2 and 3 leaves a file that still holds the old versions; the
// next rotation (or RetireUnreferencedMasterVersions) retires them. A server
// running on the same data directory keeps working: its keyring reloads the
// file when it meets the new version (crypto/keyring.h).
//
// Key bytes never leave KeyMaterial and the file: results, errors and audit
// details carry version numbers and counts only.
//
// Thread-safety: one rotation at a time per key file (an advisory lock on
// "<key file>.lock"; a second one gets Unavailable).
#include <cstdint>
#include <vector>

#include "common/status.h"

namespace recall::engine {
class Engine;
}

namespace recall::lifecycle {

struct RotateResult {
  uint32_t old_version = 0;
  uint32_t new_version = 0;
  int64_t keys_rewrapped = 0;
  int64_t secrets_resealed = 0;
  std::vector<uint32_t> versions_retired;
};

struct RotateOptions {
  // Stops after the store commit, before retiring versions: what a crash
  // between the two leaves behind. Tests only.
  bool stop_before_retire_for_test = false;
};

// Unavailable when another rotation holds the lock or rows kept changing
// under it; FailedPrecondition/InvalidArgument for a missing or malformed key
// file; DataLoss when a wrapped key fails authentication (nothing is changed
// in the store then; the file keeps an unused new version, retired next time).
StatusOr<RotateResult> RotateMasterKey(engine::Engine& engine, const RotateOptions& options = {});

// Removes from the key file every version except the current one that no
// live data key or sealed secret uses, and reloads the engine's keyring.
// Returns the versions removed (audited as "keys.master_retired" when any).
StatusOr<std::vector<uint32_t>> RetireUnreferencedMasterVersions(engine::Engine& engine);

}  // namespace recall::lifecycle
