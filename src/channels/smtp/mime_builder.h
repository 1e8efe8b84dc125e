#pragma once
// MimeBuilder: renders an OutboundMessage as the RFC 5322 / MIME message that
// the SMTP channel sends and the file channel writes. Pure: no I/O, no clock
// (the Date is passed in), deterministic output for the same inputs, so a
// resend of the same message_id carries the same Message-ID and boundary.
//
// The message it builds:
//   Date:        RFC 5322 date of `date`, in UTC ("+0000").
//   From:        "Display Name" <from_address>; the display name becomes RFC 2047
//                encoded-words (UTF-8, B) when it is not plain ASCII.
//   Reply-To:    reply_to, when not empty.
//   To:          to (the bare address: nothing else about the patient is sent).
//   Subject:     plain when short printable ASCII, else folded encoded-words.
//   Message-ID:  <message_id@domain of from_address>.
//   MIME-Version: 1.0
//   List-Unsubscribe: <https://...>, <mailto:...> (those given), and
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click when an https URL is given
//                (RFC 8058 one-click needs the https URI).
//   Content-Type: multipart/alternative of text/plain and text/html (UTF-8,
//                quoted-printable), or text/plain alone when html_body is "".
//
// Postal address (CAN-SPAM): postal_address is required. Callers normally render
// it into their bodies; when a body does not contain it verbatim, MimeBuilder
// appends it as a footer (text: a final paragraph; HTML: a <p> before </body>).
//
// Every header input is checked: CR, LF and other control characters are refused
// (header injection), addresses must be plain ASCII addr-specs, text must be
// valid UTF-8. Failures are InvalidArgument naming the field, never its value.
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::channels {

class MimeBuilder {
 public:
  // The complete message, CRLF line endings, ready for SMTP DATA.
  // InvalidArgument when a field is missing or malformed (see above).
  static StatusOr<std::string> Build(const OutboundMessage& message, TimePoint date);
};

// --- Encoding helpers, exposed for tests and for the DKIM signer. ---

// RFC 4648 base64 with padding, no line breaks.
std::string Base64Encode(std::string_view bytes);
// RFC 2045 quoted-printable of UTF-8 text: any line ending (CRLF, LF, CR) becomes
// CRLF, lines are soft-broken at 76 characters, '=' and non-ASCII are escaped,
// trailing whitespace and a leading '.' are escaped. Ends with CRLF.
std::string QuotedPrintableEncode(std::string_view text);
// "Tue, 25 Nov 2026 18:06:06 +0000".
std::string FormatRfc5322Date(TimePoint t);
// True for a plain ASCII addr-spec "local@domain" (dot-atom local part, letters,
// digits, '-' and '.' in the domain); no display names, no angle brackets.
bool IsPlainAddress(std::string_view address);

}  // namespace recall::channels
