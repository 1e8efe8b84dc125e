#pragma once
// Random: the one source of randomness (keys, nonces, ids, tokens, jitter).
// Production uses the OS CSPRNG through OpenSSL; tests inject a seeded,
// deterministic generator. Implementations are thread-safe.
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "common/status.h"

namespace recall {

class Random {
 public:
  virtual ~Random() = default;
  // Fills out[0..n). Unavailable if the CSPRNG fails.
  virtual Status Fill(uint8_t* out, size_t n) = 0;

  // n random bytes; aborts the operation (Unavailable) if the CSPRNG fails.
  StatusOr<std::string> Bytes(size_t n);
  // Uniform in [0, bound); bound > 0.
  StatusOr<uint64_t> Uniform(uint64_t bound);
  // "<prefix>_<hex of 10 random bytes>", e.g. prc_4f1c...; opaque and unguessable.
  StatusOr<std::string> NewId(std::string_view prefix);
};

// OpenSSL RAND_bytes.
class SecureRandom final : public Random {
 public:
  Status Fill(uint8_t* out, size_t n) override;
};

// Deterministic, for tests and synthetic data only. Never use for keys.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  Status Fill(uint8_t* out, size_t n) override;

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;  // GUARDED_BY(mu_)
};

std::string HexEncode(std::string_view bytes);
StatusOr<std::string> HexDecode(std::string_view hex);

}  // namespace recall
