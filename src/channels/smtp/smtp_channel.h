#pragma once
// SmtpChannel: the email channel. Builds the message with MimeBuilder, signs it
// with DKIM when a key is configured for the From domain, and submits it over
// SMTP with libcurl (smtp:// with optional or required STARTTLS, or smtps://;
// AUTH when a username is configured).
//
// Outcomes (see channels/channel.h):
//   OK                   the server accepted the DATA; Receipt.provider_id is the
//                        Message-ID "<message_id@domain>", detail "smtp 250".
//   kInvalidArgument     MimeBuilder refused the message (nothing was sent).
//   kUnavailable         no connection, timeout, TLS handshake failure, or an
//                        SMTP 4xx reply: retry later with the same message_id.
//   kFailedPrecondition  an SMTP 5xx ("permanent: 550 5.1.1 at RCPT"), login
//                        refused, STARTTLS required but not offered, or a bad
//                        certificate. A 5xx to RCPT TO that names the mailbox
//                        (550/551/553, or enhanced status 5.1.x) is a hard bounce:
//                        the message carries kHardBounceMarker.
// Server reply texts are never copied into a Status: they often quote the
// address. Only reply codes, enhanced status codes and the SMTP verb are.
//
// Thread-safety: Send may be called from several threads; each call uses its
// own libcurl handle and connection. The Clock must outlive the channel.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "channels/smtp/dkim_signer.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::channels {

enum class SmtpTls {
  kNone,              // plain SMTP (tests, a local relay on the same host)
  kStartTlsIfOffered, // STARTTLS when the server offers it, plain otherwise
  kStartTlsRequired,  // STARTTLS or fail (FailedPrecondition); the default
  kImplicit,          // smtps:// (TLS from the first byte, port 465)
};

struct SmtpOptions {
  std::string host = "127.0.0.1";
  int port = 587;
  SmtpTls tls = SmtpTls::kStartTlsRequired;
  std::string ca_file;       // "" = the system trust store
  bool verify_peer = true;   // certificate and host name checks (never off in production)
  std::string username;      // "" = no AUTH
  std::string password;
  std::string helo_domain;   // EHLO argument; "" lets libcurl choose
  // MAIL FROM; "" = the message's from_address. Set it to the practice's bounce
  // address when bounces go elsewhere.
  std::string envelope_from;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  // Keys by signing domain; a message is signed by the key whose domain equals
  // its From domain, and sent unsigned when there is none.
  std::vector<DkimOptions> dkim;
};

// InvalidArgument for a malformed option (port, host, a DKIM key that does not
// load); Internal when libcurl cannot be initialised.
StatusOr<std::unique_ptr<Channel>> NewSmtpChannel(SmtpOptions options, const Clock& clock);

}  // namespace recall::channels
