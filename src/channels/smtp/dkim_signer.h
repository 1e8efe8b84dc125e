#pragma once
// DkimSigner: DKIM signatures (RFC 6376) for the messages MimeBuilder builds,
// rsa-sha256 (RFC 8301) with relaxed/relaxed canonicalisation.
//
// One signer holds one private key for one signing domain (d=) and selector
// (s=); the public key is published at <selector>._domainkey.<domain> as
// "v=DKIM1; k=rsa; p=<base64 DER SubjectPublicKeyInfo>".
//
// The signature covers the headers in DkimOptions::signed_headers that are
// present in the message (the last instance of each), the body hash (bh=) and
// the signing time (t=, from the caller, so signing is deterministic under a
// FakeClock: RSA PKCS#1 v1.5 signatures have no randomness).
//
// Thread-safety: Sign is const and safe to call from several threads. The key
// never appears in an error message.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

struct evp_pkey_st;  // OpenSSL EVP_PKEY

namespace recall::channels {

struct DkimOptions {
  std::string domain;           // d=, e.g. "mapledental.example"
  std::string selector;         // s=, e.g. "recall2026"
  std::string private_key_pem;  // RSA private key (PKCS#8 or PKCS#1 PEM), >= 1024 bits
  // h=, in this order. Default: the headers MimeBuilder writes.
  std::vector<std::string> signed_headers = {"From",       "To",           "Subject",
                                             "Date",       "Message-ID",   "MIME-Version",
                                             "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post",
                                             "Reply-To"};
};

class DkimSigner {
 public:
  // InvalidArgument when the domain or selector is malformed, the PEM does not
  // parse, or the key is not RSA of at least 1024 bits.
  static StatusOr<std::unique_ptr<DkimSigner>> Create(DkimOptions options);
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  const std::string& domain() const { return options_.domain; }

  // The "DKIM-Signature: ..." header field (CRLF-terminated) for `message`
  // (CRLF line endings, headers then a blank line then the body), signed at
  // `now`. InvalidArgument when the message has no header/body separator or no
  // From header; Internal when OpenSSL fails.
  StatusOr<std::string> SignatureHeader(std::string_view message, TimePoint now) const;
  // `message` with the DKIM-Signature header field prepended.
  StatusOr<std::string> Sign(std::string_view message, TimePoint now) const;

 private:
  DkimSigner(DkimOptions options, evp_pkey_st* key) : options_(std::move(options)), key_(key) {}

  DkimOptions options_;
  evp_pkey_st* key_;  // owned
};

// RFC 6376 3.4.2 / 3.4.4 relaxed canonicalisation, exposed for tests.
// `value` is everything after the colon, folding included; no trailing CRLF.
std::string DkimRelaxedHeader(std::string_view name, std::string_view value);
std::string DkimRelaxedBody(std::string_view body);

}  // namespace recall::channels
