#pragma once
// A DKIM key pair generated at test time (test-only): no private key is ever
// committed. public_key_b64 is the p= value of the DNS TXT record (base64 DER
// SubjectPublicKeyInfo).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <string>

#include "channels/smtp/mime_builder.h"

namespace recall::channels::testing {

struct TestDkimKey {
  std::string private_key_pem;
  std::string public_key_b64;
};

inline TestDkimKey GenerateDkimKey(unsigned bits = 2048) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  if (key == nullptr) std::abort();
  TestDkimKey out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) std::abort();
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  out.private_key_pem.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(key, &der);
  if (der_len <= 0) std::abort();
  out.public_key_b64 = Base64Encode(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(der_len)));
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace recall::channels::testing
