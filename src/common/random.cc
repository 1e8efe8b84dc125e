#include "common/random.h"

#include <openssl/rand.h>

namespace recall {

StatusOr<std::string> Random::Bytes(size_t n) {
  std::string out(n, '\0');
  RETURN_IF_ERROR(Fill(reinterpret_cast<uint8_t*>(out.data()), n));
  return out;
}

StatusOr<uint64_t> Random::Uniform(uint64_t bound) {
  if (bound == 0) return InvalidArgumentError("Uniform bound must be positive");
  // Rejection sampling keeps the distribution exact.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    uint64_t v = 0;
    RETURN_IF_ERROR(Fill(reinterpret_cast<uint8_t*>(&v), sizeof(v)));
    if (v < limit) return v % bound;
  }
}

StatusOr<std::string> Random::NewId(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string raw, Bytes(10));
  std::string id(prefix);
  id += '_';
  id += HexEncode(raw);
  return id;
}

Status SecureRandom::Fill(uint8_t* out, size_t n) {
  if (n == 0) return OkStatus();
  if (RAND_bytes(out, static_cast<int>(n)) != 1) return UnavailableError("CSPRNG failure");
  return OkStatus();
}

Status SeededRandom::Fill(uint8_t* out, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(engine_() >> 56);
  return OkStatus();
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

StatusOr<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgumentError("hex string has odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("not a hex string");
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace recall
