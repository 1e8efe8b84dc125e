#include "channels/twilio/twilio_signature.h"

#include <openssl/evp.h>

#include <algorithm>

#include "channels/smtp/mime_builder.h"
#include "crypto/crypto.h"

namespace recall::channels {
namespace {

// Raw 20-byte HMAC-SHA1; empty on an OpenSSL failure (which then never
// validates, because a real signature is never empty).
std::string HmacSha1(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out),
                &out_len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace

std::string TwilioSignature(std::string_view auth_token, std::string_view full_url, const FormParams& post_params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(post_params.size());
  for (const auto& param : post_params) sorted.push_back(&param);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
  std::string data(full_url);
  for (const auto* param : sorted) {
    data += param->first;
    data += param->second;
  }
  const std::string mac = HmacSha1(auth_token, data);
  if (mac.empty()) return {};
  return Base64Encode(mac);
}

bool ValidateTwilioSignature(std::string_view auth_token, std::string_view url, const FormParams& params,
                             std::string_view header_value) {
  if (auth_token.empty() || header_value.empty()) return false;
  const std::string expected = TwilioSignature(auth_token, url, params);
  if (expected.empty()) return false;
  return crypto::ConstantTimeEquals(expected, header_value);
}

}  // namespace recall::channels
