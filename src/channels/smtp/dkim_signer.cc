#include "channels/smtp/dkim_signer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>

#include "channels/smtp/mime_builder.h"
#include "common/text.h"
#include "crypto/crypto.h"

namespace recall::channels {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// Collapses runs of WSP (and, for headers, unfolded CRLFs) into one SP and
// trims trailing WSP.
std::string CollapseWsp(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (char c : s) {
    if (IsWsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool IsDnsLabelText(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

struct HeaderField {
  std::string name;
  std::string value;  // after the colon, folding kept
};

std::vector<HeaderField> ParseHeaders(std::string_view header_block) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < header_block.size()) {
    size_t eol = header_block.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = header_block.size();
    const std::string_view line = header_block.substr(pos, eol - pos);
    if (!line.empty() && IsWsp(line.front()) && !fields.empty()) {
      fields.back().value += "\r\n";
      fields.back().value += line;
    } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      fields.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
    }
    pos = eol + 2;
  }
  return fields;
}

}  // namespace

std::string DkimRelaxedHeader(std::string_view name, std::string_view value) {
  std::string unfolded;
  for (char c : value) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  std::string collapsed = CollapseWsp(unfolded);
  if (!collapsed.empty() && collapsed.front() == ' ') collapsed.erase(0, 1);
  return AsciiLower(TrimAscii(name)) + ":" + collapsed;
}

std::string DkimRelaxedBody(std::string_view body) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = body.size();
    lines.push_back(CollapseWsp(body.substr(pos, eol - pos)));
    pos = eol + 2;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const std::string& line : lines) out += line + "\r\n";
  return out;
}

StatusOr<std::unique_ptr<DkimSigner>> DkimSigner::Create(DkimOptions options) {
  if (!IsDnsLabelText(options.domain)) return InvalidArgumentError("dkim domain is malformed");
  if (!IsDnsLabelText(options.selector)) return InvalidArgumentError("dkim selector is malformed");
  if (options.signed_headers.empty()) return InvalidArgumentError("dkim signed_headers is empty");
  bool signs_from = false;
  for (const std::string& h : options.signed_headers) {
    if (h.empty() || h.find_first_of(": \t\r\n;") != std::string::npos) {
      return InvalidArgumentError("dkim signed_headers holds a malformed name");
    }
    signs_from = signs_from || AsciiLower(h) == "from";
  }
  if (!signs_from) return InvalidArgumentError("dkim signed_headers must include From (RFC 6376 5.4)");

  BIO* bio = BIO_new_mem_buf(options.private_key_pem.data(), static_cast<int>(options.private_key_pem.size()));
  if (bio == nullptr) return InternalError("dkim: BIO_new_mem_buf failed");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return InvalidArgumentError("dkim private key is not a readable PEM private key");
  if (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_get_bits(key) < 1024) {
    EVP_PKEY_free(key);
    return InvalidArgumentError("dkim private key must be RSA of at least 1024 bits");
  }
  return std::unique_ptr<DkimSigner>(new DkimSigner(std::move(options), key));
}

DkimSigner::~DkimSigner() { EVP_PKEY_free(key_); }

StatusOr<std::string> DkimSigner::SignatureHeader(std::string_view message, TimePoint now) const {
  const size_t split = message.find("\r\n\r\n");
  if (split == std::string_view::npos) return InvalidArgumentError("dkim: message has no header/body separator");
  const std::vector<HeaderField> fields = ParseHeaders(message.substr(0, split + 2));
  const std::string_view body = message.substr(split + 4);

  std::string signed_block;  // canonical signed headers, each CRLF-terminated
  std::string h_tag;
  bool has_from = false;
  for (const std::string& name : options_.signed_headers) {
    const std::string lower = AsciiLower(name);
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (AsciiLower(TrimAscii(it->name)) != lower) continue;
      signed_block += DkimRelaxedHeader(it->name, it->value) + "\r\n";
      if (!h_tag.empty()) h_tag += ':';
      h_tag += name;
      has_from = has_from || lower == "from";
      break;
    }
  }
  if (!has_from) return InvalidArgumentError("dkim: message has no From");

  const std::string body_hash = Base64Encode(crypto::Sha256(DkimRelaxedBody(body)));
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::string value = " v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + options_.domain +
                            "; s=" + options_.selector + ";\r\n\tt=" + std::to_string(seconds) +
                            "; h=" + h_tag + ";\r\n\tbh=" + body_hash + ";\r\n\tb=";
  signed_block += DkimRelaxedHeader("DKIM-Signature", value);  // no trailing CRLF (RFC 6376 3.7)

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return InternalError("dkim: EVP_MD_CTX_new failed");
  size_t sig_len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, nullptr, &sig_len, reinterpret_cast<const unsigned char*>(signed_block.data()),
                           signed_block.size()) == 1;
  if (ok) {
    sig.resize(sig_len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                        reinterpret_cast<const unsigned char*>(signed_block.data()), signed_block.size()) == 1;
    sig.resize(sig_len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return InternalError("dkim: RSA signing failed");
  return "DKIM-Signature:" + value + Base64Encode(sig) + "\r\n";
}

StatusOr<std::string> DkimSigner::Sign(std::string_view message, TimePoint now) const {
  ASSIGN_OR_RETURN(std::string header, SignatureHeader(message, now));
  return header + std::string(message);
}

}  // namespace recall::channels
