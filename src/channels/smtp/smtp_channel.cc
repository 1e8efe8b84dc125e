#include "channels/smtp/smtp_channel.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "channels/smtp/mime_builder.h"
#include "common/text.h"

namespace recall::channels {
namespace {

// What the SMTP dialogue said, seen through libcurl's debug callback. Only
// verbs and reply codes are kept: arguments and reply texts can hold addresses
// (RCPT TO:<...>, "550 <...>: unknown user") or credentials (AUTH PLAIN ...).
struct Transcript {
  std::string verb;            // last command sent: "EHLO", "MAIL", "RCPT", "DATA", ...
  int last_code = 0;           // last reply code seen
  int error_code = 0;          // first 4xx/5xx reply outside EHLO (libcurl retries HELO)
  std::string error_enhanced;  // its RFC 3463 enhanced status, e.g. "5.1.1"; may be ""
  std::string error_verb;      // the command it answered
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "5.1.1" at the start of `text` (RFC 3463: class.subject.detail), or "".
std::string EnhancedStatus(std::string_view text) {
  size_t pos = 0;
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return "";
  pos = 2;
  for (int part = 0; part < 2; ++part) {
    const size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos]) && pos - start < 3) ++pos;
    if (pos == start) return "";
    if (part == 0) {
      if (pos >= text.size() || text[pos] != '.') return "";
      ++pos;
    }
  }
  if (pos < text.size() && text[pos] != ' ' && text[pos] != '\r' && text[pos] != '\n') return "";
  return std::string(text.substr(0, pos));
}

void OnReplyLine(Transcript& t, std::string_view line) {
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2])) return;
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  t.last_code = code;
  if (code >= 400 && t.error_code == 0 && t.verb != "EHLO") {
    t.error_code = code;
    t.error_verb = t.verb;
    t.error_enhanced = line.size() > 4 ? EnhancedStatus(line.substr(4)) : "";
  }
}

int DebugCallback(CURL* /*handle*/, curl_infotype type, char* data, size_t size, void* userp) {
  auto& t = *static_cast<Transcript*>(userp);
  const std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT) {
    const size_t end = text.find_first_of(" \r\n");
    t.verb.clear();
    for (char c : text.substr(0, std::min<size_t>(end, 8))) {
      t.verb += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
  } else if (type == CURLINFO_HEADER_IN) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string_view::npos) eol = text.size();
      OnReplyLine(t, text.substr(pos, eol - pos));
      pos = eol + 1;
    }
  }
  return 0;
}

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userp) {
  auto& upload = *static_cast<Upload*>(userp);
  const size_t n = std::min(size * nitems, upload.data.size() - upload.pos);
  std::memcpy(buffer, upload.data.data() + upload.pos, n);
  upload.pos += n;
  return n;
}

bool IsHardBounceReply(const Transcript& t) {
  if (t.error_verb != "RCPT" || t.error_code < 500) return false;
  const std::string& e = t.error_enhanced;
  if (!e.empty()) return e.starts_with("5.1.") || e == "5.2.1";
  return t.error_code == 550 || t.error_code == 551 || t.error_code == 553;
}

Status MapFailure(CURLcode rc, const Transcript& t, std::string_view message_id) {
  const std::string where = "smtp send " + std::string(message_id) + ": ";
  if (t.error_code >= 400) {
    std::string reason = std::to_string(t.error_code);
    if (!t.error_enhanced.empty()) reason += " " + t.error_enhanced;
    if (!t.error_verb.empty()) reason += " at " + t.error_verb;
    if (t.error_code < 500) return UnavailableError(where + "transient: " + reason);
    reason = where + "permanent: " + reason;
    if (IsHardBounceReply(t)) reason += "; " + std::string(kHardBounceMarker);
    return FailedPreconditionError(reason);
  }
  const std::string curl_reason = curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return FailedPreconditionError(where + "configuration: " + curl_reason);
    default:
      // Connection refused, resolution, timeouts, TLS handshake and I/O errors,
      // a dropped connection: all worth a retry.
      return UnavailableError(where + "transient: " + curl_reason);
  }
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

class SmtpChannel final : public Channel {
 public:
  SmtpChannel(SmtpOptions options, std::string url, std::vector<std::unique_ptr<DkimSigner>> signers,
              const Clock& clock)
      : options_(std::move(options)), url_(std::move(url)), signers_(std::move(signers)), clock_(clock) {}

  std::string_view name() const override { return "smtp"; }

  StatusOr<Receipt> Send(const OutboundMessage& m) override {
    RETURN_IF_ERROR(CheckMessageId(m.message_id));
    if (m.channel != "email") return InvalidArgumentError("smtp channel sends email only: " + m.message_id);
    const TimePoint now = clock_.Now();
    ASSIGN_OR_RETURN(std::string mime, MimeBuilder::Build(m, now));
    const std::string domain = AsciiLower(m.from_address.substr(m.from_address.rfind('@') + 1));
    for (const auto& signer : signers_) {
      if (AsciiLower(signer->domain()) != domain) continue;
      ASSIGN_OR_RETURN(mime, signer->Sign(mime, now));
      break;
    }
    const std::string& envelope_from = options_.envelope_from.empty() ? m.from_address : options_.envelope_from;

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (curl == nullptr) return InternalError("smtp: curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + m.to + ">").c_str()));
    if (rcpt == nullptr) return InternalError("smtp: curl_slist_append failed");
    const std::string mail_from = "<" + envelope_from + ">";
    Upload upload{mime, 0};
    Transcript transcript;

    CURL* h = curl.get();
    bool ok = curl_easy_setopt(h, CURLOPT_URL, url_.c_str()) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str()) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get()) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadCallback) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_READDATA, &upload) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count())) ==
                  CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count())) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &DebugCallback) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_DEBUGDATA, &transcript) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_peer ? 1L : 0L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_peer ? 2L : 0L) == CURLE_OK;
    long use_ssl = CURLUSESSL_NONE;
    if (options_.tls == SmtpTls::kStartTlsIfOffered) use_ssl = CURLUSESSL_TRY;
    if (options_.tls == SmtpTls::kStartTlsRequired) use_ssl = CURLUSESSL_ALL;
    ok = ok && curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl) == CURLE_OK;
    if (ok && !options_.ca_file.empty()) ok = curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str()) == CURLE_OK;
    if (ok && !options_.username.empty()) {
      ok = curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str()) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str()) == CURLE_OK;
    }
    if (!ok) return InternalError("smtp: curl_easy_setopt failed for " + m.message_id);

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) return MapFailure(rc, transcript, m.message_id);
    return Receipt{"<" + m.message_id + "@" + domain + ">", "smtp " + std::to_string(transcript.last_code)};
  }

 private:
  const SmtpOptions options_;
  const std::string url_;
  const std::vector<std::unique_ptr<DkimSigner>> signers_;
  const Clock& clock_;
};

bool IsHostText(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<Channel>> NewSmtpChannel(SmtpOptions options, const Clock& clock) {
  // curl_global_init is not thread-safe: do it once, before the first handle.
  static std::once_flag once;
  static CURLcode global_rc = CURLE_OK;
  std::call_once(once, [] { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global_rc != CURLE_OK) return InternalError("smtp: curl_global_init failed");

  if (!IsHostText(options.host)) return InvalidArgumentError("smtp host is malformed");
  if (options.port <= 0 || options.port > 65535) return InvalidArgumentError("smtp port is out of range");
  if (!options.helo_domain.empty() && !IsHostText(options.helo_domain)) {
    return InvalidArgumentError("smtp helo_domain is malformed");
  }
  if (!options.envelope_from.empty() && !IsPlainAddress(options.envelope_from)) {
    return InvalidArgumentError("smtp envelope_from is not a plain addr-spec");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return InvalidArgumentError("smtp timeouts must be positive");
  }
  std::vector<std::unique_ptr<DkimSigner>> signers;
  for (const DkimOptions& dkim : options.dkim) {
    ASSIGN_OR_RETURN(auto signer, DkimSigner::Create(dkim));
    signers.push_back(std::move(signer));
  }
  const std::string scheme = options.tls == SmtpTls::kImplicit ? "smtps" : "smtp";
  std::string url = scheme + "://" + options.host + ":" + std::to_string(options.port) + "/" + options.helo_domain;
  return std::unique_ptr<Channel>(new SmtpChannel(std::move(options), std::move(url), std::move(signers), clock));
}

}  // namespace recall::channels
