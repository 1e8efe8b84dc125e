#include "channels/smtp/mime_builder.h"

#include <openssl/evp.h>

#include <chrono>
#include <ctime>

#include "common/random.h"
#include "common/text.h"
#include "crypto/crypto.h"

namespace recall::channels {
namespace {

constexpr size_t kMaxHeaderLine = 78;
// Bytes of UTF-8 per encoded-word: 39 bytes -> 52 base64 characters -> a 64
// character word, so "Subject: " plus one word stays within 78 columns.
constexpr size_t kEncodedWordBytes = 39;

bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Refuses what could break out of a header: any C0 control (CR, LF, NUL, ...)
// and DEL. Tabs are refused too: none of our header values needs one.
Status CheckHeaderText(std::string_view field, std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError(std::string(field) + " contains a control character (CR/LF injection?)");
    }
  }
  if (!IsValidUtf8(value)) return InvalidArgumentError(std::string(field) + " is not valid UTF-8");
  return OkStatus();
}

// RFC 2047 encoded-words (UTF-8, B), folded with CRLF SP, never splitting a
// UTF-8 sequence across two words.
std::string EncodeWords(std::string_view utf8) {
  std::string out;
  size_t pos = 0;
  while (pos < utf8.size()) {
    size_t end = std::min(utf8.size(), pos + kEncodedWordBytes);
    while (end < utf8.size() && end > pos && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += Base64Encode(utf8.substr(pos, end - pos));
    out += "?=";
    pos = end;
  }
  return out;
}

// Header value for free text (a display name, a subject): plain when it is
// short printable ASCII that cannot be mistaken for an encoded-word.
std::string HeaderText(std::string_view name, std::string_view value, bool quote_if_plain) {
  const size_t plain_len = name.size() + 2 + value.size() + (quote_if_plain ? 2 : 0);
  if (IsPrintableAscii(value) && value.find("=?") == std::string_view::npos && plain_len <= kMaxHeaderLine) {
    if (!quote_if_plain) return std::string(value);
    std::string quoted = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\"";
  }
  return EncodeWords(value);
}

std::string DomainOf(std::string_view address) { return std::string(address.substr(address.rfind('@') + 1)); }

Status CheckUri(std::string_view field, std::string_view uri, std::string_view scheme) {
  if (uri.substr(0, scheme.size()) != scheme || uri.size() == scheme.size()) {
    return InvalidArgumentError(std::string(field) + " must start with " + std::string(scheme));
  }
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>') {
      return InvalidArgumentError(std::string(field) + " must be printable ASCII without spaces or angle brackets");
    }
  }
  return OkStatus();
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': out += "<br>"; break;
      case '\r': break;
      default: out += c;
    }
  }
  return out;
}

std::string WithTextFooter(std::string_view body, std::string_view postal) {
  std::string out(body);
  if (out.find(postal) != std::string::npos) return out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  out += "\n\n";
  out += postal;
  out += "\n";
  return out;
}

std::string WithHtmlFooter(std::string_view html, std::string_view postal) {
  const std::string escaped = HtmlEscape(postal);
  if (html.find(postal) != std::string_view::npos || html.find(escaped) != std::string_view::npos) {
    return std::string(html);
  }
  const std::string footer = "<p>" + escaped + "</p>";
  const std::string lower = AsciiLower(html);
  const size_t body_end = lower.rfind("</body>");
  if (body_end == std::string::npos) return std::string(html) + "\n" + footer + "\n";
  std::string out(html);
  out.insert(body_end, footer + "\n");
  return out;
}

void AppendPart(std::string& out, std::string_view content_type, std::string_view text) {
  out += "Content-Type: ";
  out += content_type;
  out += "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintableEncode(text);
}

// In a multipart body the CRLF before "--boundary" belongs to the delimiter
// (RFC 2046 5.1.1): one more keeps the part's own final line break.
void AppendMultipartPart(std::string& out, std::string_view content_type, std::string_view text) {
  AppendPart(out, content_type, text);
  out += "\r\n";
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (bytes.empty()) return out;
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string QuotedPrintableEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  size_t pos = 0;
  while (true) {
    // One source line, without its line ending.
    size_t eol = text.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    size_t column = 0;
    for (size_t idx = 0; idx < line.size(); ++idx) {
      const unsigned char c = static_cast<unsigned char>(line[idx]);
      const bool last = idx + 1 == line.size();
      const bool literal = (c >= 33 && c <= 126 && c != '=' && !(idx == 0 && c == '.')) ||
                           ((c == ' ' || c == '\t') && !last);
      const size_t width = literal ? 1 : 3;
      // Keep every encoded line within 76 characters, counting the soft break '='.
      if (column + width > 75) {
        out += "=\r\n";
        column = 0;
      }
      if (literal) {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
      column += width;
    }
    out += "\r\n";
    if (eol == text.size()) break;
    pos = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
    if (pos == text.size()) break;  // the text ended with a line break, already written
  }
  return out;
}

std::string FormatRfc5322Date(TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool IsPlainAddress(std::string_view address) {
  const size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size() || address.size() > 254) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  static constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~.";
  for (char c : local) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    kAtextSpecials.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  if (domain.front() == '.' || domain.back() == '.' || domain.front() == '-' ||
      domain.find("..") != std::string_view::npos || domain.find('.') == std::string_view::npos) {
    return false;
  }
  for (char c : domain) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.';
    if (!ok) return false;
  }
  return true;
}

StatusOr<std::string> MimeBuilder::Build(const OutboundMessage& m, TimePoint date) {
  RETURN_IF_ERROR(CheckMessageId(m.message_id));
  if (!IsPlainAddress(m.from_address)) return InvalidArgumentError("from_address is not a plain addr-spec");
  if (!IsPlainAddress(m.to)) return InvalidArgumentError("to is not a plain addr-spec");
  if (!m.reply_to.empty() && !IsPlainAddress(m.reply_to)) {
    return InvalidArgumentError("reply_to is not a plain addr-spec");
  }
  RETURN_IF_ERROR(CheckHeaderText("from_name", m.from_name));
  RETURN_IF_ERROR(CheckHeaderText("subject", m.subject));
  if (m.subject.empty()) return InvalidArgumentError("subject is empty");
  if (m.text_body.empty()) return InvalidArgumentError("text_body is empty");
  if (!IsValidUtf8(m.text_body)) return InvalidArgumentError("text_body is not valid UTF-8");
  if (!IsValidUtf8(m.html_body)) return InvalidArgumentError("html_body is not valid UTF-8");
  if (m.postal_address.empty()) return InvalidArgumentError("postal_address is empty (CAN-SPAM)");
  if (!IsValidUtf8(m.postal_address)) return InvalidArgumentError("postal_address is not valid UTF-8");
  if (!m.unsubscribe_url.empty()) RETURN_IF_ERROR(CheckUri("unsubscribe_url", m.unsubscribe_url, "https://"));
  if (!m.unsubscribe_mailto.empty()) {
    RETURN_IF_ERROR(CheckUri("unsubscribe_mailto", m.unsubscribe_mailto, "mailto:"));
  }

  std::string out;
  out += "Date: " + FormatRfc5322Date(date) + "\r\n";
  std::string from = "From: ";
  if (!m.from_name.empty()) from += HeaderText("From", m.from_name, /*quote_if_plain=*/true);
  const size_t last_line = from.rfind('\n') == std::string::npos ? from.size() : from.size() - from.rfind('\n') - 1;
  if (!m.from_name.empty()) from += last_line + m.from_address.size() + 3 > kMaxHeaderLine ? "\r\n " : " ";
  out += from + "<" + m.from_address + ">\r\n";
  if (!m.reply_to.empty()) out += "Reply-To: " + m.reply_to + "\r\n";
  out += "To: " + m.to + "\r\n";
  out += "Subject: " + HeaderText("Subject", m.subject, /*quote_if_plain=*/false) + "\r\n";
  out += "Message-ID: <" + m.message_id + "@" + DomainOf(m.from_address) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!m.unsubscribe_url.empty() || !m.unsubscribe_mailto.empty()) {
    out += "List-Unsubscribe: ";
    if (!m.unsubscribe_url.empty()) out += "<" + m.unsubscribe_url + ">";
    if (!m.unsubscribe_url.empty() && !m.unsubscribe_mailto.empty()) out += ",\r\n ";
    if (!m.unsubscribe_mailto.empty()) out += "<" + m.unsubscribe_mailto + ">";
    out += "\r\n";
  }
  if (!m.unsubscribe_url.empty()) out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";

  const std::string text = WithTextFooter(m.text_body, m.postal_address);
  if (m.html_body.empty()) {
    AppendPart(out, "text/plain", text);  // its Content-Type and CTE join the top-level headers
    // AppendPart wrote "...\r\n\r\n<body>": the blank line ends the headers.
    return out;
  }
  // "=_" cannot occur in quoted-printable output, so this boundary never
  // collides with a body; derived from the id so resends are byte-identical.
  const std::string boundary = "=_recall_" + HexEncode(crypto::Sha256("mime-boundary:" + m.message_id)).substr(0, 24);
  out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n";
  AppendMultipartPart(out, "text/plain", text);
  out += "--" + boundary + "\r\n";
  AppendMultipartPart(out, "text/html", WithHtmlFooter(m.html_body, m.postal_address));
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace recall::channels
